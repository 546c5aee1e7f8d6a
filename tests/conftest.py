"""Test-wide setup: quiet frameworks, the ``impl`` fixture (native vs twin), one Ray session."""

import os
import tempfile

# Before anything imports ray or tensorflow (shared/reference/stack_notes.md §1, §2, §6).
os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
# No thread override: torch/TF thread counts are the product's (rlcore.threads, set by each rollout worker).
# Abandoned synchronous gathers leave StopIteration results Ray would log as "unhandled".
os.environ.setdefault("RAY_IGNORE_UNHANDLED_ERRORS", "1")

# Hypothesis keeps caches in a storage directory (default: .hypothesis/ in the working tree):
# one temporary directory per session instead, removed at exit.
_HYPOTHESIS_DIR = tempfile.TemporaryDirectory(prefix="rlcore-hypothesis-")
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", _HYPOTHESIS_DIR.name)

import pytest  # noqa: E402
from hypothesis import settings as _hypothesis_settings  # noqa: E402

# Property tests keep no example database.
_hypothesis_settings.register_profile("rlcore", database=None, deadline=None)
_hypothesis_settings.load_profile("rlcore")

from rlcore import _backend, _reference  # noqa: E402

_IMPLS = {"reference": _reference}
if _backend.NATIVE:
    from rlcore import _core

    _IMPLS["native"] = _core


#: Fixtures that every process makes its own of, cheaply: they bind no tests to one worker. Each
#: pytest-xdist worker that runs Ray tests starts its own session cluster (``ray_session``), and
#: ``ray_mod`` only registers the requesting module with that cluster's pickler.
PER_PROCESS_FIXTURES = frozenset({"ray_session", "ray_mod"})


def _shared_fixture_keys(item):
    """Keys of the fixture instances broader than a test that ``item`` shares with other tests.

    ``("xdist_group", name)`` for an explicit ``xdist_group`` marker; ``(name, where)`` for each
    module-, class-, package- or session-scoped fixture defined in the tests (not pytest's or a
    plugin's, nor the root conftest's cheap guards, nor :data:`PER_PROCESS_FIXTURES`): the module,
    class or conftest folder whose instance it shares; ``(name, where, "param <i>")`` for a fixture
    parametrized with ``params``, whose every parameter is an instance of its own (tests of its
    parameters may run on different workers). A Ray test that shares only the session's cluster
    has none.
    """
    info = getattr(item, "_fixtureinfo", None)
    names = info.names_closure if info is not None else ()
    indices = getattr(getattr(item, "callspec", None), "indices", {})
    for mark in item.iter_markers("xdist_group"):
        yield "xdist_group", str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
    for name in names:
        defs = info.name2fixturedefs.get(name)
        if name in PER_PROCESS_FIXTURES or not defs or not defs[-1].baseid or defs[-1].scope == "function":
            continue
        scope, baseid = defs[-1].scope, defs[-1].baseid
        param = (f"param {indices[name]}",) if getattr(defs[-1], "params", None) and name in indices else ()
        if scope == "module":
            yield (name, str(item.path), *param)
        elif scope == "class":
            yield (name, item.parent.nodeid if item.cls is not None else str(item.path), *param)
        else:
            yield (name, baseid, *param)


def shared_fixture_groups(items) -> dict:
    """``{node id: group}`` for the tests that must run in one process with others: the tests of a
    group share a fixture instance (transitively). Tests that share nothing are left out.
    """
    parent = {}

    def root(key):
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    item_keys = [list(_shared_fixture_keys(item)) for item in items]
    for keys in item_keys:
        for key in keys[1:]:
            parent[root(key)] = root(keys[0])

    def name(key):  # "fixture of where" or "fixture of where [param i]"
        return " ".join([" of ".join(key[:2]), *(f"[{tag}]" for tag in key[2:])])

    return {item.nodeid: name(root(keys[0])) for item, keys in zip(items, item_keys) if keys}


#: Markers of tests that take seconds (a Ray cluster's actors, learning runs, their own timeout).
LONG_TEST_MARKERS = ("ray", "slow", "timeout")


def _groups_file(config, worker_id: str):
    """Where worker ``worker_id`` writes its groups: the controller's base temporary folder (each
    worker's is a ``popen-gwN`` folder inside it)."""
    base = config._tmp_path_factory.getbasetemp()
    return (base.parent if hasattr(config, "workerinput") else base) / f"xdist-groups-{worker_id}.json"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """In a pytest-xdist worker under ``--dist loadgroup`` (``make test``), puts the long tests first
    and writes the groups of :func:`shared_fixture_groups` for the controller's scheduler
    (:func:`pytest_xdist_make_scheduler`).

    Long tests first (those marked ``ray``, ``slow`` or with a ``timeout`` of their own: about two
    thirds of the suite's time in a tenth of its tests), so that the workers end together on short
    ones instead of one waiting for the other's last long test. Every worker orders its collection
    the same way (the scheduler hands out work in collection order, larger groups first).
    """
    if not getattr(config.option, "loadgroup", False):  # set by pytest-xdist in its workers only
        return
    import json

    items.sort(key=lambda item: not any(item.get_closest_marker(name) for name in LONG_TEST_MARKERS))

    path = _groups_file(config, config.workerinput["workerid"])
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(shared_fixture_groups(items)))
    partial.replace(path)  # the controller reads it whole once every worker has collected


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadgroup`` that keeps each group of :func:`shared_fixture_groups` on one worker.

    Tests that share a fixture instance broader than a test (a module-scoped trainer, a
    session-scoped data set or actor pool) run on one worker, so no instance is built twice. Ray
    tests that share only the session's cluster go anywhere: each worker that runs one starts its
    own cluster (:func:`ray_session`; about 4 s and 650 MB more for the second), since with all of
    them on one worker that worker's share bounded the run. Every other test goes on its own to
    whichever worker is free. pytest-xdist's own loadgroup cannot be used: it marks a group by
    renaming the test's node id, which pytest 9 no longer allows.
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    import json

    from xdist.scheduler import LoadScopeScheduling

    class SharedFixtureScheduling(LoadScopeScheduling):
        groups = None

        def _split_scope(self, nodeid):
            if self.groups is None:  # every worker has collected: the schedule starts
                worker_id = next(iter(self.registered_collections)).gateway.id
                self.groups = json.loads(_groups_file(config, worker_id).read_text())
            return self.groups.get(nodeid, nodeid)

    return SharedFixtureScheduling(config, log)


@pytest.fixture(params=["native", "reference"])
def impl(request):
    """Each kernel test runs against the compiled core and its numpy twin."""
    if request.param not in _IMPLS:
        pytest.skip("the compiled core is not built (RLCORE_PUREPYTHON or a failed build)")
    return _IMPLS[request.param]


@pytest.fixture(scope="session")
def ray_session():
    """One Ray cluster for the whole session (per pytest-xdist worker that runs Ray tests: each starts
    its own); tests that use it carry ``@pytest.mark.ray``."""
    import ray

    ray.init(
        address="local",  # a new cluster of this session's own, never one another process started
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        object_store_memory=200 * 1024 * 1024,
        ignore_reinit_error=True,
    )
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def ray_mod(ray_session, request):
    """Ray, with the requesting test module pickled by value (workers cannot import test modules)."""
    ray_session.cloudpickle.register_pickle_by_value(request.module)
    yield ray_session
    ray_session.cloudpickle.unregister_pickle_by_value(request.module)


class ImportProbe:
    """Which heavy modules (frameworks, Ray, the trainer...) importing a module loads, in fresh processes.

    ``after_each`` imports many modules one after another in one fresh interpreter and records, after
    each, which of ``heavy`` are in ``sys.modules``: one interpreter start (and one torch/TF import)
    for all of them instead of one each. Imports only add modules, so an empty record for a module
    means importing it alone loads none of ``heavy`` either; a non-empty one may come from a module
    imported before it, and ``alone`` then answers for that module in a process of its own.
    """

    def __init__(self):
        self._records = {}

    @staticmethod
    def _run(code: str) -> list:
        import json
        import subprocess
        import sys

        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240)
        assert done.returncode == 0, f"import probe failed ({done.returncode}): {done.stderr[-2000:]}"
        return json.loads(done.stdout.strip().splitlines()[-1])

    def after_each(self, modules, heavy) -> dict:
        """``{module: [the names of heavy in sys.modules once it and those before it are imported]}``."""
        return dict(self._run(
            "import importlib, json, sys\n"
            f"heavy, seen = {tuple(heavy)!r}, []\n"
            f"for name in {list(modules)!r}:\n"
            "    importlib.import_module(name)\n"
            "    seen.append([name, [h for h in heavy if h in sys.modules]])\n"
            "print(json.dumps(seen))"))

    def alone(self, module, heavy) -> list:
        """The names of ``heavy`` in ``sys.modules`` after importing only ``module`` in a fresh process."""
        return self._run(f"import json, sys, {module}\n"
                         f"print(json.dumps([h for h in {tuple(heavy)!r} if h in sys.modules]))")

    def loaded_by(self, module, record, heavy) -> list:
        """What importing ``module`` alone loads of ``heavy``, given its ``after_each`` record."""
        return record[module] and self.alone(module, heavy)

    def assert_loads_none(self, module, modules, heavy):
        """Importing ``module`` (one of ``modules``, probed together once per session) loads none of ``heavy``."""
        key = (tuple(modules), tuple(heavy))
        if key not in self._records:
            self._records[key] = self.after_each(modules, heavy)
        loaded = self.loaded_by(module, self._records[key], heavy)
        assert loaded == [], f"importing {module} imported {loaded}"


@pytest.fixture(scope="session")
def import_probe():
    """An :class:`ImportProbe`: checks of what an import loads, many modules to a process."""
    return ImportProbe()

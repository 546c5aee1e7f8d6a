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


@pytest.fixture(params=["native", "reference"])
def impl(request):
    """Each kernel test runs against the compiled core and its numpy twin."""
    if request.param not in _IMPLS:
        pytest.skip("the compiled core is not built (RLCORE_PUREPYTHON or a failed build)")
    return _IMPLS[request.param]


@pytest.fixture(scope="session")
def ray_session():
    """One Ray cluster for the whole session; tests that use it carry ``@pytest.mark.ray``."""
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

"""Guards for every test and doctest: results go under pytest's ``tmp_path``, never ``~/ray_results``.

A trainer built without a ``logger_creator``, ``rlcore train`` without ``--local-dir`` and Tune
without ``storage_path`` all write to Ray's default results root, ``~/ray_results``
(``ray.train.constants.DEFAULT_STORAGE_PATH``; :func:`rlcore.trial_logger.default_results_dir`).
Ray 2.60's Tune honours no environment variable for it (``TUNE_RESULT_DIR`` makes ``tune.run``
raise), so each test points that setting, and Tune's copies of it, at its own ``tmp_path``.

Each test then fails if this process wrote under the real ``~/ray_results`` while it ran (an audit
hook sees every ``open`` for writing, ``mkdir``, rename and copy there). Entries that appear there
from another process (a subprocess of a test, or another program of the same user) cannot be told
apart and are reported as a :class:`ResultsDirWarning`, per test module. Nothing there is ever deleted. This file sits
at the root so that it covers the doctests of ``rlcore/`` and ``rllib_compat/`` too.

Temporary files that libraries make on their own (TensorFlow's autograph writes the source of every
function it converts to a temporary file and never removes it) go under pytest's base temporary
folder too, in this process and in every process it starts (subprocesses, Ray's workers), so a
test run leaves nothing in ``/tmp``; Ray's own session folder stays where Ray puts it.
"""

import os
import sys
import tempfile
import warnings

import pytest

if "PYTEST_XDIST_WORKER" in os.environ:
    # Under ``pytest -n N`` (``make test``) N workers share the cores: each (and the processes it
    # starts) uses one intra-op thread in torch, TensorFlow and BLAS unless a config sets its own
    # (rlcore.threads sets the counts of every process that builds policies), before any imports them.
    for _name in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        os.environ.setdefault(_name, "1")

#: The user's results root, resolved before any test can change HOME or Ray's setting.
REAL_RESULTS_DIR = os.path.join(os.path.expanduser("~"), "ray_results")

#: Tune's modules that copy ``ray.train.constants.DEFAULT_STORAGE_PATH`` at import and fall back to it.
TUNE_COPIES = ("ray.tune.experiment.experiment", "ray.tune.trainable.trainable")
#: ``(event, path)`` of this process's writes under REAL_RESULTS_DIR since the current test began.
_WRITES = []
#: Audit events that create or change a file or directory, and the index of the target path in their args.
_WRITE_EVENTS = {"open": 0, "os.mkdir": 0, "os.rename": 1, "os.symlink": 1, "os.link": 1,
                 "shutil.copyfile": 1, "shutil.copytree": 1, "shutil.move": 1}


class ResultsDirWarning(UserWarning):
    """Something appeared under the real ``~/ray_results`` during a test, written by another process."""


def under_real_results(path) -> bool:
    """Whether ``path`` (str, bytes or PathLike; not a file descriptor) lies in REAL_RESULTS_DIR."""
    if isinstance(path, int):
        return False
    path = os.path.abspath(os.fsdecode(path))
    return path == REAL_RESULTS_DIR or path.startswith(REAL_RESULTS_DIR + os.sep)


def _audit(event, args):
    index = _WRITE_EVENTS.get(event)
    if index is None:
        return
    try:
        if event == "open":
            path, mode, flags = args
            if mode is not None and not set(mode) & set("wax+"):
                return
            if mode is None and not flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
                return
        target = args[index]
        if under_real_results(target):
            _WRITES.append((event, os.fsdecode(target)))
    except Exception:  # noqa: BLE001 - an audit hook must never break the operation it watches
        pass


sys.addaudithook(_audit)


def results_snapshot(root: str) -> dict:
    """``{entry name: mtime_ns}`` of ``root``'s entries ({} if it does not exist).

    A new trial folder is a new entry; a new trial inside an existing experiment folder changes
    that folder's mtime.
    """
    try:
        with os.scandir(root) as entries:
            return {e.name: e.stat(follow_symlinks=False).st_mtime_ns for e in entries}
    except FileNotFoundError:
        return {}


def changed_entries(before: dict, after: dict) -> list:
    """Entries of ``after`` that are new or modified since ``before``, sorted."""
    return sorted(name for name, mtime in after.items() if before.get(name) != mtime)


@pytest.hookimpl(trylast=True)  # after pytest's tmpdir plugin has made its factory
def pytest_configure(config):
    """Points ``TMPDIR`` (and :mod:`tempfile`) at ``<basetemp>/tmp`` and Ray's default results root
    at ``<basetemp>/ray_results`` for the session.

    ``RAY_TMPDIR`` is pinned to where Ray would have put its session folder before (Ray falls back
    to ``TMPDIR`` on Linux, and its socket paths must stay short).
    """
    factory = getattr(config, "_tmp_path_factory", None)
    if factory is None:  # the tmpdir plugin is disabled: leave the temporary folder alone
        return
    from ray._common.utils import get_default_system_temp_dir

    os.environ.setdefault("RAY_TMPDIR", get_default_system_temp_dir())
    session_tmp = factory.getbasetemp() / "tmp"
    session_tmp.mkdir(exist_ok=True)
    os.environ["TMPDIR"] = tempfile.tempdir = str(session_tmp)
    # Outside any test (a module- or session-scoped fixture building a trainer), Ray's default
    # results root is the session's; each test points it at its own tmp_path.
    import ray.train.constants

    ray.train.constants.DEFAULT_STORAGE_PATH = str(factory.getbasetemp() / "ray_results")


@pytest.fixture(autouse=True, scope="module")
def results_dir_unchanged_by_other_processes():
    """Warns when entries appear under the real ``~/ray_results`` while a test module runs.

    Another process (a test's subprocess, or another program of the same user) cannot be audited,
    so its writes are found by comparing the folder's entries before and after; once per module,
    not per test: the folder can hold thousands of entries, and each test's own writes are caught
    exactly by the audit hook (:func:`results_under_tmp_path`).
    """
    before = results_snapshot(REAL_RESULTS_DIR)
    yield
    appeared = changed_entries(before, results_snapshot(REAL_RESULTS_DIR))
    if appeared:
        warnings.warn(ResultsDirWarning(f"{appeared[:5]} appeared under {REAL_RESULTS_DIR} while this module ran, "
                                        "written by another process (a subprocess of a test, or another program)"))


@pytest.fixture(autouse=True)
def results_under_tmp_path(tmp_path, monkeypatch):
    """Ray's default results root is ``tmp_path/ray_results`` during the test; the real one stays untouched."""
    import ray.train.constants

    root = str(tmp_path / "ray_results")
    monkeypatch.setattr(ray.train.constants, "DEFAULT_STORAGE_PATH", root)
    # Tune's modules copy the constant when they are imported: a copy made during an earlier test
    # holds that test's tmp path, and is pointed at this one's; one made during this test is this one.
    for name in TUNE_COPIES:
        if name in sys.modules:
            monkeypatch.setattr(sys.modules[name], "DEFAULT_STORAGE_PATH", root)
    early = sorted({path for _, path in _WRITES})  # written since the last test: by a broader fixture
    del _WRITES[:]
    if early:
        pytest.fail(f"a fixture set up before this test wrote under the user's {REAL_RESULTS_DIR}: {early[:5]} "
                    "(nothing is deleted; fixtures must write under tmp_path_factory)", pytrace=False)
    yield root
    written = sorted({path for _, path in _WRITES})
    if written:
        pytest.fail(f"this test wrote under the user's {REAL_RESULTS_DIR}: {written[:5]} (nothing is deleted; "
                    "tests must write under tmp_path)", pytrace=False)

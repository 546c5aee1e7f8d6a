"""Guards for every test and doctest: results go under pytest's ``tmp_path``, never ``~/ray_results``.

A trainer built without a ``logger_creator``, ``rlcore train`` without ``--local-dir`` and Tune
without ``storage_path`` all write to Ray's default results root, ``~/ray_results``
(``ray.train.constants.DEFAULT_STORAGE_PATH``; :func:`rlcore.trial_logger.default_results_dir`).
Ray 2.60's Tune honours no environment variable for it (``TUNE_RESULT_DIR`` makes ``tune.run``
raise), so each test points that setting, and Tune's copies of it, at its own ``tmp_path``; and each
test fails if anything new appears under the real ``~/ray_results`` while it runs. This file sits at
the root so that it covers the doctests of ``rlcore/`` and ``rllib_compat/`` too.
"""

import os

import pytest

#: The user's results root, resolved before any test can change HOME or Ray's setting.
REAL_RESULTS_DIR = os.path.join(os.path.expanduser("~"), "ray_results")


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


@pytest.fixture(autouse=True)
def results_under_tmp_path(tmp_path, monkeypatch):
    """Ray's default results root is ``tmp_path/ray_results`` during the test; the real one stays untouched."""
    import ray.train.constants
    import ray.tune.experiment.experiment
    import ray.tune.trainable.trainable

    root = str(tmp_path / "ray_results")
    # Tune's modules copied the constant at import; each copy is where a Tune path falls back to it.
    for module in (ray.train.constants, ray.tune.experiment.experiment, ray.tune.trainable.trainable):
        monkeypatch.setattr(module, "DEFAULT_STORAGE_PATH", root)
    before = results_snapshot(REAL_RESULTS_DIR)
    yield root
    written = changed_entries(before, results_snapshot(REAL_RESULTS_DIR))
    if written:
        pytest.fail(f"this test wrote under the user's {REAL_RESULTS_DIR}: {written[:5]} (nothing is deleted; "
                    "tests must write under tmp_path)", pytrace=False)

"""tests/conftest.py's grouping for ``make test`` (pytest-xdist): shared fixtures kept together, Ray tests anywhere.

The cases are this module's own collected items: two tests share a module-scoped fixture, one test
takes each parameter of a parametrized module-scoped fixture, one is a Ray test, one shares nothing.
"""

from pathlib import Path

import pytest

CONFTEST = Path(__file__).with_name("conftest.py")


@pytest.fixture(scope="module")
def shared_counter():
    """One instance for the tests of this module that ask for it."""
    return {"uses": 0}


def test_first_user_of_the_module_fixture(shared_counter):
    shared_counter["uses"] += 1
    assert shared_counter["uses"] >= 1


def test_second_user_of_the_module_fixture(shared_counter):
    shared_counter["uses"] += 1
    assert shared_counter["uses"] >= 1


@pytest.fixture(scope="module", params=["a", "b"])
def per_param(request):
    """One instance per parameter."""
    return {"param": request.param}


def test_a_user_of_the_parametrized_module_fixture(per_param):
    assert per_param["param"] in ("a", "b")


@pytest.mark.ray
def test_a_ray_test(ray_session):
    assert ray_session.get(ray_session.put(7), timeout=60) == 7


def _conftest(config):
    return next(p for p in config.pluginmanager.get_plugins() if getattr(p, "__file__", None) == str(CONFTEST))


def test_groups_keep_a_module_fixture_together_and_leave_out_what_shares_nothing(request):
    """A Ray test that shares only the session's cluster is in no group: each worker has its own cluster."""
    mine = {item.name: item for item in request.session.items if item.path == Path(__file__)}
    groups = _conftest(request.config).shared_fixture_groups(list(mine.values()))
    first, second = (mine[f"test_{n}_user_of_the_module_fixture"].nodeid for n in ("first", "second"))
    assert groups[first] == groups[second] == f"shared_counter of {Path(__file__)}"
    assert mine["test_a_ray_test"].nodeid not in groups
    assert request.node.nodeid not in groups  # shares nothing: scheduled on its own
    # each parameter of a parametrized module fixture is an instance, and a group, of its own
    assert [groups[mine[f"test_a_user_of_the_parametrized_module_fixture[{p}]"].nodeid] for p in "ab"] == [
        f"per_param of {Path(__file__)} [param 0]", f"per_param of {Path(__file__)} [param 1]"]


def _item(nodeid, path, fixtures, defs):
    """A stand-in for a collected Ray test of ``path`` whose closure holds the session cluster and ``fixtures``."""
    import types

    return types.SimpleNamespace(
        nodeid=nodeid, path=Path(path), cls=None,
        get_closest_marker=lambda name: object() if name == "ray" else None,
        iter_markers=lambda name: iter(()),
        _fixtureinfo=types.SimpleNamespace(names_closure=["ray_session", "ray_mod", *fixtures], name2fixturedefs={
            "ray_session": [types.SimpleNamespace(baseid="tests", scope="session")],
            "ray_mod": [types.SimpleNamespace(baseid="tests", scope="module")], **defs}))


def test_ray_tests_are_bound_by_the_fixtures_they_share_not_by_the_session_cluster(request):
    """Two modules' Ray tests may run on two workers; a module- or session-scoped fixture instance
    (a trainer, an actor pool) still keeps the tests that share it on one worker."""
    import types

    module_fixture = {"trainer": [types.SimpleNamespace(baseid="m.py", scope="module")]}
    pool = {"pool": [types.SimpleNamespace(baseid="d", scope="session")]}
    groups = _conftest(request.config).shared_fixture_groups([
        _item("a.py::t", "a.py", [], {}), _item("b.py::t", "b.py", [], {}),
        _item("m.py::t0", "m.py", ["trainer"], module_fixture), _item("m.py::t1", "m.py", ["trainer"], module_fixture),
        _item("m.py::t2", "m.py", [], {}),
        _item("d/c.py::t", "d/c.py", ["pool"], pool), _item("d/e.py::t", "d/e.py", ["pool"], pool)])
    assert groups == {"m.py::t0": "trainer of m.py", "m.py::t1": "trainer of m.py",
                      "d/c.py::t": "pool of d", "d/e.py::t": "pool of d"}


def test_a_worker_puts_the_long_tests_first_and_writes_the_groups(request, tmp_path):
    """What each pytest-xdist worker does once it has collected (the same in every worker)."""
    import json
    import types

    conftest = _conftest(request.config)
    base = tmp_path / "popen-gw0"
    base.mkdir()
    config = types.SimpleNamespace(option=types.SimpleNamespace(loadgroup=True), workerinput={"workerid": "gw0"},
                                   _tmp_path_factory=types.SimpleNamespace(getbasetemp=lambda: base))
    mine = [item for item in request.session.items if item.path == Path(__file__)]
    items = list(mine)
    conftest.pytest_collection_modifyitems(config, items)
    assert [item.name for item in items] == ["test_a_ray_test"] + [i.name for i in mine if i.name != "test_a_ray_test"]
    assert json.loads((tmp_path / "xdist-groups-gw0.json").read_text()) == conftest.shared_fixture_groups(mine)

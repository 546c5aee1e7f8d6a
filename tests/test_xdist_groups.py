"""tests/conftest.py's grouping for ``make test`` (pytest-xdist): Ray tests on one worker, shared fixtures kept together.

The cases are this module's own collected items: two tests share a module-scoped fixture, one is a
Ray test, one shares nothing.
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


@pytest.mark.ray
def test_a_ray_test(ray_session):
    assert ray_session.get(ray_session.put(7), timeout=60) == 7


def _conftest(config):
    return next(p for p in config.pluginmanager.get_plugins() if getattr(p, "__file__", None) == str(CONFTEST))


def test_groups_keep_a_module_fixture_together_and_the_ray_tests_apart(request):
    mine = {item.name: item for item in request.session.items if item.path == Path(__file__)}
    groups = _conftest(request.config).shared_fixture_groups(list(mine.values()))
    first, second = (mine[f"test_{n}_user_of_the_module_fixture"].nodeid for n in ("first", "second"))
    assert groups[first] == groups[second] == f"shared_counter of {Path(__file__)}"
    assert groups[mine["test_a_ray_test"].nodeid] == "ray"
    assert request.node.nodeid not in groups  # shares nothing: scheduled on its own


def test_a_ray_test_joins_the_group_of_a_fixture_it_shares_with_other_tests(request):
    """Union of shared instances: a module whose fixture a Ray test uses runs with the Ray tests."""
    import types

    ray_item, module_item = (types.SimpleNamespace(
        nodeid=f"m.py::t{i}", path=Path("m.py"), cls=None,
        get_closest_marker=lambda name, ray=ray: object() if ray and name == "ray" else None,
        iter_markers=lambda name: iter(()),
        _fixtureinfo=types.SimpleNamespace(
            names_closure=["mod_fixture"],
            name2fixturedefs={"mod_fixture": [types.SimpleNamespace(baseid="m.py", scope="module")]}))
        for i, ray in ((0, True), (1, False)))
    groups = _conftest(request.config).shared_fixture_groups([module_item, ray_item])
    assert groups == {"m.py::t0": "ray", "m.py::t1": "ray"}

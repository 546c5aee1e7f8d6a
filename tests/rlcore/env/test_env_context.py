"""EnvContext: dict behaviour, fields, overrides, validation, pickling."""

import pickle

import pytest

from rlcore.env import EnvContext


def test_fields_and_dict():
    ctx = EnvContext({"a": 1}, worker_index=2, vector_index=3, remote=True, num_workers=4)
    assert dict(ctx) == {"a": 1} and ctx["a"] == 1
    assert (ctx.worker_index, ctx.vector_index, ctx.remote, ctx.num_workers) == (2, 3, True, 4)


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({}, ({"a": 1}, 2, 3, False, 4)),
        ({"vector_index": 7}, ({"a": 1}, 2, 7, False, 4)),
        ({"worker_index": 0, "remote": True}, ({"a": 1}, 0, 3, True, 4)),
        ({"env_config": {"b": 2}}, ({"b": 2}, 2, 3, False, 4)),
    ],
)
def test_copy_with_overrides(overrides, expected):
    ctx = EnvContext({"a": 1}, worker_index=2, vector_index=3, num_workers=4)
    new = ctx.copy_with_overrides(**overrides)
    assert (dict(new), new.worker_index, new.vector_index, new.remote, new.num_workers) == expected
    assert dict(ctx) == {"a": 1} and ctx.vector_index == 3  # original unchanged


def test_copy_is_independent():
    ctx = EnvContext({"a": [1]})
    new = ctx.copy_with_overrides()
    new["b"] = 2
    assert "b" not in ctx


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"env_config": [1, 2]}, TypeError, "env_config"),
        ({"worker_index": -1}, ValueError, "worker_index=-1"),
        ({"vector_index": 1.5}, TypeError, "vector_index=1.5"),
        ({"num_workers": True}, TypeError, "num_workers=True"),
    ],
)
def test_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        EnvContext(**kwargs)


def test_pickle_keeps_fields():
    ctx = EnvContext({"a": 1}, worker_index=1, vector_index=2, remote=True, num_workers=3)
    back = pickle.loads(pickle.dumps(ctx))
    assert dict(back) == {"a": 1}
    assert (back.worker_index, back.vector_index, back.remote, back.num_workers) == (1, 2, True, 3)

"""ViewRequirement: RLlib 1.3/1.4 constructor, shift forms, validation."""

import gymnasium as gym
import numpy as np
import pytest

from rlcore.data.view_requirement import ViewRequirement


@pytest.mark.parametrize(
    "shift,arr,frm,to",
    [(0, [0], None, None), (-1, [-1], None, None), ([-2, 0], [-2, 0], None, None), ("-3:-1", [-3, -2, -1], -3, -1), ("0:0", [0], 0, 0)],
)
def test_shift_forms(shift, arr, frm, to):
    vr = ViewRequirement("obs", shift=shift)
    assert vr.shift == shift and vr.shift_arr.tolist() == arr
    assert (vr.shift_from, vr.shift_to) == (frm, to)


def test_defaults_follow_rllib():
    vr = ViewRequirement()
    assert vr.data_col is None and vr.index is None and vr.batch_repeat_value == 1
    assert vr.used_for_compute_actions and vr.used_for_training
    assert vr.space == gym.spaces.Box(float("-inf"), float("inf"), shape=())


def test_state_in_requirement_like_the_lstm_wrapper():
    space = gym.spaces.Box(-1, 1, (8,), np.float32)
    vr = ViewRequirement("state_out_0", space=space, shift=-1, batch_repeat_value=20, used_for_compute_actions=False)
    assert (vr.data_col, vr.space, vr.batch_repeat_value, vr.used_for_compute_actions) == ("state_out_0", space, 20, False)


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"shift": "a:b"}, ValueError, "range string"),
        ({"shift": "-1:-3"}, ValueError, "empty range"),
        ({"shift": 1.5}, TypeError, "shift=1.5"),
        ({"shift": True}, TypeError, "bool"),
        ({"shift": []}, TypeError, "non-empty"),
        ({"data_col": 3}, TypeError, "data_col=3"),
        ({"batch_repeat_value": 0}, ValueError, "batch_repeat_value=0"),
        ({"index": "x"}, TypeError, "index='x'"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        ViewRequirement(**kwargs)


def test_equality_by_value():
    assert ViewRequirement("actions", shift=-1) == ViewRequirement("actions", shift=[-1])
    assert ViewRequirement("actions", shift=-1) != ViewRequirement("actions", shift=0)

"""Schedules: values at chosen timesteps, TF values equal to Python values, bad input."""

import pytest

from rlcore.policy.schedules import (
    ConstantSchedule,
    ExponentialSchedule,
    LinearSchedule,
    PiecewiseSchedule,
    PolynomialSchedule,
    from_config,
)

CASES = [
    # (schedule, [(t, expected), ...])
    (ConstantSchedule(0.7), [(0, 0.7), (10**9, 0.7)]),
    (LinearSchedule(100, final_p=0.1, initial_p=1.0), [(0, 1.0), (50, 0.55), (100, 0.1), (500, 0.1)]),
    (PolynomialSchedule(10, final_p=0.0, initial_p=1.0, power=2.0), [(0, 1.0), (5, 0.25), (10, 0.0), (20, 0.0)]),
    (PolynomialSchedule(10, final_p=1.0, initial_p=3.0, power=3.0), [(5, 1.25)]),
    (ExponentialSchedule(10, initial_p=2.0, decay_rate=0.5), [(0, 2.0), (10, 1.0), (30, 0.25)]),
    (PiecewiseSchedule([(0, 0.0), (10, 1.0), (20, 0.5)], outside_value=-1.0),
     [(0, 0.0), (5, 0.5), (10, 1.0), (15, 0.75), (20, -1.0), (99, -1.0)]),
]


@pytest.mark.parametrize("schedule,points", CASES, ids=lambda x: type(x).__name__ if not isinstance(x, list) else "")
def test_values(schedule, points):
    for t, expected in points:
        assert schedule.value(t) == pytest.approx(expected)
        assert schedule(t) == pytest.approx(expected)


@pytest.mark.parametrize("schedule,points", CASES, ids=lambda x: type(x).__name__ if not isinstance(x, list) else "")
def test_tf_values_match(schedule, points):
    import tensorflow as tf
    for t, expected in points:
        got = schedule.value(tf.constant(t, dtype=tf.int64))
        assert tf.is_tensor(got)
        assert float(got) == pytest.approx(expected, rel=1e-6)


def test_piecewise_without_outside_value_raises():
    s = PiecewiseSchedule([(0, 1.0), (10, 0.0)])
    with pytest.raises(ValueError, match="outside"):
        s.value(11)


@pytest.mark.parametrize("make,match", [
    (lambda: LinearSchedule(0, final_p=0.0), "schedule_timesteps=0"),
    (lambda: ExponentialSchedule(-5), "schedule_timesteps=-5"),
    (lambda: PiecewiseSchedule([]), "endpoints"),
    (lambda: PiecewiseSchedule([(10, 0.0), (0, 1.0)]), "increasing"),
    (lambda: from_config({"type": "NoSuchSchedule"}), "NoSuchSchedule"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_from_config_forms():
    assert from_config(0.3).value(5) == 0.3
    assert from_config([[0, 1.0], [10, 0.0]]).value(20) == 0.0
    assert from_config({"type": LinearSchedule, "schedule_timesteps": 10, "final_p": 0.0}).value(5) == 0.5
    s = ConstantSchedule(1.0)
    assert from_config(s) is s
    with pytest.raises(TypeError, match="schedule config"):
        from_config("linear")

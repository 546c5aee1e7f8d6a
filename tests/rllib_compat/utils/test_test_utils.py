"""rllib_compat.utils.test_utils: check, framework_iterator, check_compute_single_action (RLlib 1.x behaviour)."""

import gymnasium as gym
import numpy as np
import pytest

from rllib_compat.utils import test_utils
from rllib_compat.utils.test_utils import check, check_compute_single_action, framework_iterator

# -- check ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("x,y", [
    ({"a": 1, "b": [2.0, (3, "s")]}, {"b": [2.0000001, (3, "s")], "a": 1}),
    (True, np.bool_(True)),
    (None, None),
    (np.array(["a", None], dtype=object), np.array(["a", None], dtype=object)),
    (np.float32(0.1), 0.1),
    ([np.zeros((2, 2))], (np.zeros((2, 2)),)),
])
def test_check_equal_structures_pass_and_fail_with_false(x, y):
    check(x, y)
    with pytest.raises(AssertionError):
        check(x, y, false=True)


@pytest.mark.parametrize("x,y,message", [
    ({"a": 1}, {"b": 1}, "y does not have x's key='a'"),
    ({"a": 1}, {"a": 1, "b": 2}, "y contains keys \\(\\['b'\\]\\) that are not in x"),
    ({"a": 1}, [1], "If x is dict, y needs to be a dict"),
    ([1, 2], [1], "y does not have the same length as x \\(1 vs 2\\)"),
    (True, False, "x \\(True\\) is not y \\(False\\)"),
    ("s", "t", "x \\(s\\) is not the same as y \\(t\\)"),
    (np.array([1.0, 2.0]), np.array([1.0, 2.1]), "Arrays are not almost equal to 5 decimals"),
])
def test_check_reports_the_difference(x, y, message):
    with pytest.raises(AssertionError, match=message):
        check(x, y)


def test_check_decimals_atol_rtol():
    check(1.0, 1.004, decimals=2)
    with pytest.raises(AssertionError):
        check(1.0, 1.004, decimals=3)
    check(100.0, 101.0, rtol=0.02)
    check(1.0, 1.5, atol=0.6)
    with pytest.raises(AssertionError):
        check(1.0, 1.5, atol=0.1)


def test_check_accepts_framework_tensors():
    import torch
    import tensorflow as tf
    check(torch.tensor([1.0, 2.0], requires_grad=True), np.array([1.0, 2.0]))
    check(np.array([1.0, 2.0]), torch.tensor([1.0, 2.0]))
    check(tf.constant([1.0, 2.0]), [1.0, 2.0])
    with pytest.raises(ValueError, match="`y` \\(expected value\\) must not be a Tensor"):
        check(np.zeros(1), tf.zeros(1))


# -- framework_iterator -----------------------------------------------------------------------------


def test_framework_iterator_maps_1x_names_and_sets_the_config():
    config = {"lr": 0.1}
    assert list(framework_iterator(config, frameworks="tfe")) == ["tf2"] and config == {"lr": 0.1, "framework": "tf2"}
    assert list(framework_iterator(config, frameworks=["torch", "tf", "torch"])) == ["torch", "tf2"]
    assert list(framework_iterator(None, frameworks=("torch",), session=True)) == [("torch", None)]
    with pytest.raises(ValueError, match="framework='jax' is not supported"):
        list(framework_iterator({}, frameworks=("jax",)))


def test_framework_iterator_skips_what_is_not_installed(monkeypatch, caplog):
    monkeypatch.setattr(test_utils, "_installed", lambda fw: fw == "torch")
    config = {}
    assert list(framework_iterator(config)) == ["torch"] and config["framework"] == "torch"
    assert "framework_iterator skipping tf2 (tensorflow is not installed)" in caplog.text


# -- check_compute_single_action --------------------------------------------------------------------


def _pg(**config):
    from rllib_compat.agents.pg import PGTrainer

    return PGTrainer(config={"env": "CartPole-v1", "framework": "torch", "num_workers": 0, "log_sys_usage": False,
                             "rollout_fragment_length": 10, "train_batch_size": 10, **config})


def test_check_compute_single_action_with_rnn_state_and_prev_action_reward():
    trainer = _pg(model={"fcnet_hiddens": [8], "use_lstm": True, "lstm_cell_size": 4,
                         "lstm_use_prev_action": True, "lstm_use_prev_reward": True})
    try:
        check_compute_single_action(trainer, include_state=True, include_prev_action_reward=True)
    finally:
        trainer.stop()


def test_check_compute_single_action_raises_for_an_action_outside_the_space():
    trainer = _pg(model={"fcnet_hiddens": [8]})
    policy = trainer.get_policy()
    original = policy.compute_actions

    def out_of_space(obs_batch, *args, **kwargs):
        _, state, extra = original(obs_batch, *args, **kwargs)
        return np.full(len(obs_batch), 7, np.int64), state, extra

    policy.compute_actions = out_of_space
    try:
        with pytest.raises(ValueError, match=r"Returned action \(np.int64\(7\)\) of policy.compute_single_action "
                                             r"\(explore=True\) is not in the action space \(Discrete\(2\)\)"):
            check_compute_single_action(trainer)
    finally:
        trainer.stop()


def test_check_compute_single_action_checks_state_shapes():
    trainer = _pg(model={"fcnet_hiddens": [8], "use_lstm": True, "lstm_cell_size": 4})
    policy = trainer.get_policy()
    original = policy.compute_actions

    def wrong_state(obs_batch, state_batches=None, *args, **kwargs):
        actions, state, extra = original(obs_batch, state_batches, *args, **kwargs)
        return actions, [s[:, :2] for s in state], extra

    policy.compute_actions = wrong_state
    try:
        with pytest.raises(AssertionError):
            check_compute_single_action(trainer, include_state=True)
    finally:
        trainer.stop()


def test_obs_clipping_uses_the_raw_space_for_the_trainer():
    trainer = _pg(model={"fcnet_hiddens": [8]})
    seen = []
    compute_action = trainer.compute_action

    def spy(obs, *args, **kwargs):
        seen.append(np.asarray(obs))
        return compute_action(obs, *args, **kwargs)

    trainer.compute_action = spy
    try:
        check_compute_single_action(trainer)
        assert len(seen) == 4 and all(o.shape == (4,) and np.all(np.abs(o) <= 1.0) for o in seen)
        assert isinstance(trainer.get_policy().observation_space, gym.spaces.Box)
    finally:
        trainer.stop()

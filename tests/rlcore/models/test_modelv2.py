"""ModelV2 base: call protocol checks, from_batch, restore_original_dimensions per framework."""

import gymnasium as gym
import numpy as np
import pytest

from rlcore.models.modelv2 import ModelV2, flat_obs_shape, restore_original_dimensions

OBS = gym.spaces.Box(-1, 1, (3,))


class Echo(ModelV2):
    """Returns obs_flat (or a wrongly shaped array when told to)."""

    def __init__(self, num_outputs=3, bad=False):
        super().__init__(OBS, gym.spaces.Discrete(3), num_outputs, {}, "echo", "numpy")
        self.bad = bad
        self.seen = None

    def forward(self, input_dict, state, seq_lens):
        self.seen = (input_dict, state, seq_lens)
        out = input_dict["obs_flat"]
        return (out[:, :1] if self.bad else out), state


def test_call_adds_obs_flat_and_is_training_and_keeps_last_output():
    m = Echo()
    out, state = m({"obs": np.ones((2, 3))})
    assert m.seen[0]["is_training"] is False and state == []
    assert m.last_output() is out


def test_wrong_output_width_is_reported():
    with pytest.raises(ValueError, match=r"shape \(2, 1\); expected \[B, num_outputs=3\]"):
        Echo(bad=True)({"obs": np.ones((2, 3))})


def test_missing_obs_is_reported():
    with pytest.raises(ValueError, match="no 'obs'"):
        Echo()({"actions": np.ones(2)})


def test_from_batch_collects_states_and_seq_lens():
    m = Echo()
    batch = {"obs": np.ones((4, 3)), "state_in_0": np.zeros((2, 5)), "state_in_1": np.ones((2, 5)), "seq_lens": np.array([2, 2]),
             "prev_actions": np.zeros(4), "rewards": np.zeros(4)}
    m.from_batch(batch)
    input_dict, state, seq_lens = m.seen
    assert input_dict["is_training"] is True and "prev_actions" in input_dict and "rewards" not in input_dict
    assert len(state) == 2 and seq_lens.tolist() == [2, 2]


def test_defaults():
    m = Echo()
    assert m.get_initial_state() == [] and m.metrics() == {} and m.custom_loss(5.0, {}) == 5.0
    assert list(m.view_requirements) == ["obs"] and not m.is_time_major()


SPACE = gym.spaces.Dict({"a": gym.spaces.Discrete(3), "b": gym.spaces.Tuple([gym.spaces.Box(0, 1, (2, 2)), gym.spaces.Discrete(2)])})


def test_flat_obs_shape():
    assert flat_obs_shape(SPACE) == (9,)


@pytest.mark.parametrize("lib", ["numpy", "torch", "tf"])
def test_restore_original_dimensions_unflattens_per_framework(lib):
    flat = np.arange(18, dtype=np.float32).reshape(2, 9)
    if lib == "torch":
        import torch
        obs, conv = torch.as_tensor(flat), lambda t: t.numpy()
    elif lib == "tf":
        import tensorflow as tf
        obs, conv = tf.constant(flat), lambda t: t.numpy()
    else:
        obs, conv = flat, np.asarray
    out = restore_original_dimensions(obs, SPACE, tensorlib=lib)
    np.testing.assert_array_equal(conv(out["a"]), flat[:, :3])
    np.testing.assert_array_equal(conv(out["b"][0]), flat[:, 3:7].reshape(2, 2, 2))
    np.testing.assert_array_equal(conv(out["b"][1]), flat[:, 7:9])


def test_restore_original_dimensions_checks_the_width_and_passes_boxes_through():
    with pytest.raises(ValueError, match="width 8"):
        restore_original_dimensions(np.zeros((1, 8)), SPACE)
    x = np.zeros((1, 3))
    assert restore_original_dimensions(x, OBS) is x

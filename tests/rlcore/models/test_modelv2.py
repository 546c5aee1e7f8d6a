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


def test_forward_runs_inside_the_models_own_context():
    import contextlib

    events = []

    class Scoped(Echo):
        @contextlib.contextmanager
        def _scope(self):
            events.append("enter")
            yield
            events.append("exit")

        def context(self):
            return self._scope()

        def forward(self, input_dict, state, seq_lens):
            events.append("forward")
            return super().forward(input_dict, state, seq_lens)

    Scoped()({"obs": np.ones((2, 3))})
    assert events == ["enter", "forward", "exit"]
    Echo()({"obs": np.ones((2, 3))})  # the default context: forward alone
    assert events == ["enter", "forward", "exit"]


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


def _torch_echo(num_outputs=3, bad=None, obs_space=OBS, base=None):
    """A torch model whose forward records its inputs and returns obs_flat * 2 (or bad outputs)."""
    import torch

    from rlcore.models.torch.torch_modelv2 import TorchModelV2

    class TorchEcho(base or TorchModelV2, torch.nn.Module):
        def __init__(self):
            TorchModelV2.__init__(self, obs_space, gym.spaces.Discrete(3), num_outputs, {}, "echo")
            torch.nn.Module.__init__(self)
            self.seen = []

        def forward(self, input_dict, state, seq_lens):
            self.seen.append((dict(input_dict), list(state), seq_lens))
            if bad == "state":
                return input_dict["obs_flat"], None
            out = input_dict["obs_flat"] * 2
            return (out[:, :1] if bad == "width" else out), state

    return TorchEcho()


@pytest.mark.parametrize("given", [{}, {"is_training": False}, {"is_training": True}])
def test_torch_tensor_batch_short_path_hands_forward_what_the_full_handling_does(given):
    """A tensor batch of flat observations, alone or with is_training (the acting call), takes
    ModelV2.__call__'s short path: forward sees the same keys (in the order the full handling
    gives for these inputs: obs, is_training, obs_flat), the same
    obs/obs_flat values and is_training, and the call returns the same outputs and last_output as
    the full input handling (reached here by an explicit obs_flat=None, which it fills in)."""
    import torch

    m = _torch_echo()
    obs = torch.arange(6.0).reshape(2, 3)
    out, state = m({"obs": obs, **given})
    out_full, state_full = m({"obs": obs, **given, "obs_flat": None})
    assert m.__class__.__mro__[1].__dict__.get("_plain_obs_type") is torch.Tensor
    (short, _, short_lens), (full, _, full_lens) = m.seen
    assert list(short) == ["obs", "is_training", "obs_flat"] and sorted(full) == sorted(short)
    assert short["is_training"] is full["is_training"] is given.get("is_training", False)
    assert short["obs"] is obs and torch.equal(short["obs_flat"], full["obs_flat"])
    assert short_lens is None and full_lens is None and state == state_full == []
    assert torch.equal(out, out_full) and m.last_output() is out_full
    m({"obs": obs, **given})
    assert m.last_output() is not out_full and torch.equal(m.last_output(), out)


def test_torch_obs_flat_of_flat_rows_is_obs_itself_as_rllib_1x():
    """RLlib 1.x hands forward ``obs_flat = obs`` for [B, width] batches (no reshape op) and a
    [B, -1] reshape of anything with more dimensions."""
    import torch

    m = _torch_echo(obs_space=gym.spaces.Box(-1, 1, (3,)))
    flat = torch.arange(6.0).reshape(2, 3)
    m({"obs": flat})
    assert m.seen[-1][0]["obs_flat"] is flat
    image = _torch_echo(obs_space=gym.spaces.Box(-1, 1, (1, 3)))
    rows = torch.arange(6.0).reshape(2, 1, 3)
    image({"obs": rows})
    seen = image.seen[-1][0]["obs_flat"]
    assert tuple(seen.shape) == (2, 3) and torch.equal(seen, flat)


def test_torch_short_path_checks_outputs_as_the_full_handling():
    import torch

    obs = torch.ones((2, 3))
    with pytest.raises(ValueError, match=r"shape \(2, 1\); expected \[B, num_outputs=3\]"):
        _torch_echo(bad="width")({"obs": obs})
    with pytest.raises(TypeError, match="must return \\(outputs, state list\\)"):
        _torch_echo(bad="state")({"obs": obs, "is_training": False})


def test_torch_inputs_that_need_handling_take_the_full_path():
    """numpy obs are converted, other keys (prev_actions) converted, state and seq_lens handed on,
    and a class with its own input hook gets that hook called: none of these take the short path."""
    import torch

    from rlcore.models.torch.torch_modelv2 import TorchModelV2

    m = _torch_echo()
    out, _ = m({"obs": np.ones((2, 3))})  # float64 numpy -> a float32 tensor
    assert isinstance(m.seen[-1][0]["obs"], torch.Tensor) and out.dtype == torch.float32
    m({"obs": torch.ones((2, 3)), "prev_actions": np.zeros(2, np.int64)})
    assert isinstance(m.seen[-1][0]["prev_actions"], torch.Tensor)
    m({"obs": torch.ones((2, 3))}, [np.zeros((2, 2), np.float32)], np.ones(2))
    inputs, state, seq_lens = m.seen[-1]
    assert isinstance(state[0], torch.Tensor) and isinstance(seq_lens, torch.Tensor)

    class Halved(TorchModelV2):
        def _convert_inputs(self, input_dict, state, seq_lens):
            input_dict, state, seq_lens = super()._convert_inputs(input_dict, state, seq_lens)
            input_dict["obs"] = input_dict["obs"] / 2
            return input_dict, state, seq_lens

    halved = _torch_echo(base=Halved)
    out, _ = halved({"obs": torch.ones((2, 3))})
    assert torch.equal(out, torch.ones((2, 3)))  # the hook ran: obs_flat of the halved obs, doubled


def test_torch_structured_obs_space_takes_the_full_path():
    """A Dict observation space: forward gets obs restored into its structure even for a tensor
    batch of the flat rows (not the short path's flat obs)."""
    import torch

    space = gym.spaces.Dict({"a": gym.spaces.Box(-1, 1, (1,)), "b": gym.spaces.Box(-1, 1, (2,))})
    m = _torch_echo(obs_space=space)
    m({"obs": torch.arange(6.0).reshape(2, 3)})
    inputs = m.seen[-1][0]
    assert sorted(inputs["obs"]) == ["a", "b"] and tuple(inputs["obs_flat"].shape) == (2, 3)


def test_plain_batch_call_is_the_short_path_chosen_once_and_absent_where_call_would_not_take_it():
    """plain_batch_call()(obs) hands forward what model({"obs": obs, "is_training": False}) does
    (same keys in the same order, obs itself, obs_flat, no state, no seq_lens), returns the same
    outputs, keeps them as last_output and checks them the same way; there is none for a
    structured observation space, a class with its own input hook or its own __call__."""
    import torch

    from rlcore.models.torch.torch_modelv2 import TorchModelV2

    m = _torch_echo()
    obs = torch.arange(6.0).reshape(2, 3)
    out, state = m.plain_batch_call()(obs)
    want, want_state = m({"obs": obs, "is_training": False})
    (direct, direct_state, direct_lens), (called, _, called_lens) = m.seen
    assert list(direct) == list(called) == ["obs", "is_training", "obs_flat"]
    assert direct["obs"] is obs and direct["obs_flat"] is obs and direct["is_training"] is False
    assert direct_state == [] and direct_lens is called_lens is None and state == want_state == []
    assert torch.equal(out, want)
    out_again, _ = m.plain_batch_call()(obs)
    assert m.last_output() is out_again
    with pytest.raises(ValueError, match=r"shape \(2, 1\); expected \[B, num_outputs=3\]"):
        _torch_echo(bad="width").plain_batch_call()(obs)
    with pytest.raises(TypeError, match="must return \\(outputs, state list\\)"):
        _torch_echo(bad="state").plain_batch_call()(obs)

    class OwnHook(TorchModelV2):
        def _convert_inputs(self, input_dict, state, seq_lens):
            return super()._convert_inputs(input_dict, state, seq_lens)

    class OwnCall(TorchModelV2):
        def __call__(self, input_dict, state=None, seq_lens=None):
            return super().__call__(input_dict, state, seq_lens)

    space = gym.spaces.Dict({"a": gym.spaces.Box(-1, 1, (1,)), "b": gym.spaces.Box(-1, 1, (2,))})
    assert _torch_echo(obs_space=space).plain_batch_call() is None
    assert _torch_echo(base=OwnHook).plain_batch_call() is None
    assert _torch_echo(base=OwnCall).plain_batch_call() is None

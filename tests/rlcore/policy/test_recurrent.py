"""Recurrent policies: state carried across compute_actions calls, learning on padded sequences.

The memory task: the first observation of an episode shows a bit, later observations are zero;
the right action at every step is that bit. Only a policy that carries state can get the later
steps right, and the episodes (3 to 5 steps) make the padded layout matter.
"""

import gymnasium as gym
import numpy as np
import pytest

from rlcore.data.sample_batch import SampleBatch

OBS = gym.spaces.Box(-1.0, 1.0, (2,), dtype=np.float32)
ACT = gym.spaces.Discrete(2)
CELL = 16
T_MAX = 5


def memory_batch(n_eps: int, seed: int) -> SampleBatch:
    rng = np.random.default_rng(seed)
    cols = {k: [] for k in ("obs", "actions", "rewards", "eps_id", "t")}
    for ep in range(n_eps):
        bit = int(rng.integers(0, 2))
        for t in range(int(rng.integers(3, T_MAX + 1))):
            cols["obs"].append([2.0 * bit - 1.0, 1.0] if t == 0 else [0.0, 0.0])
            cols["actions"].append(bit)
            cols["rewards"].append(1.0)
            cols["eps_id"].append(ep)
            cols["t"].append(t)
    n = len(cols["t"])
    batch = {k: np.asarray(v, dtype=np.float32 if k in ("obs", "rewards") else np.int64) for k, v in cols.items()}
    batch["state_in_0"] = np.zeros((n, CELL), np.float32)
    batch["state_in_1"] = np.zeros((n, CELL), np.float32)
    return SampleBatch(batch)


def play(policy, n_steps=T_MAX):
    """Two envs, bits 0 and 1, stepped together; returns the actions at each step."""
    state = [np.stack([s, s]) for s in policy.get_initial_state()]
    taken = []
    for t in range(n_steps):
        obs = np.array([[-1.0, 1.0], [1.0, 1.0]] if t == 0 else [[0.0, 0.0], [0.0, 0.0]], np.float32)
        actions, state, _ = policy.compute_actions(obs, state, explore=False)
        assert len(state) == 2 and state[0].shape == (2, CELL)
        taken.append(actions.tolist())
    return taken


# ---------------------------------------------------------------- torch
def torch_policy_class():
    import torch
    import torch.nn as nn

    from rlcore.models.torch.torch_modelv2 import TorchModelV2
    from rlcore.policy.torch_policy_template import build_torch_policy

    class TorchMemoryNet(TorchModelV2, nn.Module):
        def __init__(self, obs_space, action_space, num_outputs, model_config, name):
            TorchModelV2.__init__(self, obs_space, action_space, num_outputs, model_config, name)
            nn.Module.__init__(self)
            self.lstm = nn.LSTM(int(np.prod(obs_space.shape)), CELL, batch_first=True)
            self.logits = nn.Linear(CELL, num_outputs)
            self.vf = nn.Linear(CELL, 1)

        def get_initial_state(self):
            return [np.zeros(CELL, np.float32), np.zeros(CELL, np.float32)]

        def forward(self, input_dict, state, seq_lens):
            x = input_dict["obs_flat"].float()
            n_seq = seq_lens.shape[0]
            x = x.reshape(n_seq, x.shape[0] // n_seq, x.shape[-1])
            out, (h, c) = self.lstm(x, (state[0][None], state[1][None]))
            out = out.reshape(-1, CELL)
            self._v = self.vf(out).squeeze(-1)
            return self.logits(out), [h[0], c[0]]

        def value_function(self):
            return self._v

    seen = {}

    def masked_loss(policy, model, dist_class, train_batch):
        logits, _ = model.from_batch(train_batch)
        seq_lens = train_batch["seq_lens"]
        max_len = logits.shape[0] // seq_lens.shape[0]
        seen["padded_rows"], seen["max_len"] = logits.shape[0], max_len
        mask = (torch.arange(max_len)[None, :] < seq_lens[:, None]).reshape(-1)
        logp = dist_class(logits, model).logp(train_batch["actions"])
        return -(logp * train_batch["rewards"])[mask].mean()

    return build_torch_policy("TorchMemory", loss_fn=masked_loss,
                              make_model=lambda p, o, a, c: TorchMemoryNet(o, a, 2, c["model"], "mem")), seen


# ---------------------------------------------------------------- tf
def tf_policy_class():
    from rlcore.framework import try_import_tf
    from rlcore.models.tf.tf_modelv2 import TFModelV2
    from rlcore.policy.tf_policy_template import build_tf_policy

    _, tf, _ = try_import_tf()

    class TFMemoryNet(TFModelV2):
        def __init__(self, obs_space, action_space, num_outputs, model_config, name):
            super().__init__(obs_space, action_space, num_outputs, model_config, name)
            self.lstm = tf.keras.layers.LSTM(CELL, return_sequences=True, return_state=True)
            self.logits = tf.keras.layers.Dense(num_outputs)
            self.vf = tf.keras.layers.Dense(1)
            zeros = tf.zeros([1, CELL])
            out, _, _ = self.lstm(tf.zeros([1, 1, 2]), initial_state=[zeros, zeros])
            self.logits(out[:, 0]), self.vf(out[:, 0])

        def get_initial_state(self):
            return [np.zeros(CELL, np.float32), np.zeros(CELL, np.float32)]

        def forward(self, input_dict, state, seq_lens):
            x = input_dict["obs_flat"]
            x = tf.reshape(x, [tf.shape(seq_lens)[0], -1, 2])
            out, h, c = self.lstm(x, initial_state=[state[0], state[1]])
            out = tf.reshape(out, [-1, CELL])
            self._v = tf.squeeze(self.vf(out), -1)
            return self.logits(out), [h, c]

        def value_function(self):
            return self._v

    seen = {}

    def masked_loss(policy, model, dist_class, train_batch):
        logits, _ = model.from_batch(train_batch)
        seq_lens = train_batch["seq_lens"]
        max_len = tf.shape(logits)[0] // tf.shape(seq_lens)[0]
        mask = tf.reshape(tf.sequence_mask(seq_lens, max_len), [-1])
        seen["padded"] = True
        logp = dist_class(logits, model).logp(train_batch["actions"])
        return -tf.reduce_mean(tf.boolean_mask(logp * train_batch["rewards"], mask))

    return build_tf_policy("TFMemory", loss_fn=masked_loss,
                           make_model=lambda p, o, a, c: TFMemoryNet(o, a, 2, c["model"], "mem")), seen


LSTM_MODEL = {"use_lstm": True, "lstm_cell_size": CELL, "fcnet_hiddens": [16], "max_seq_len": T_MAX}
ATTENTION_MODEL = {"use_attention": True, "attention_dim": 8, "attention_head_dim": 4, "attention_memory_inference": 4,
                   "attention_memory_training": 4, "fcnet_hiddens": [16], "max_seq_len": T_MAX}


def build(framework, kind):
    """A recurrent policy: a custom LSTM model (make_model) or the catalog's ``use_lstm`` wrapper."""
    if framework == "torch":
        import torch

        torch.manual_seed(0)
        cls, seen = torch_policy_class()
        config = {"lr": 0.02}
    else:
        from rlcore.framework import try_import_tf

        try_import_tf()[1].random.set_seed(0)
        cls, seen = tf_policy_class()
        config = {"lr": 0.02, "eager_tracing": True}
    if kind in ("use_lstm", "use_attention"):
        cls = cls.with_updates(make_model=None)
        config["model"] = LSTM_MODEL if kind == "use_lstm" else ATTENTION_MODEL
    else:
        config["model"] = {"max_seq_len": T_MAX}
    return cls(OBS, ACT, config), seen


@pytest.mark.slow
@pytest.mark.parametrize("framework", ["torch", "tf2"])
@pytest.mark.parametrize("kind", ["custom_model", "use_lstm"])
def test_recurrent_policy_learns_the_memory_task_on_padded_sequences(framework, kind):
    policy, seen = build(framework, kind)
    if kind == "use_lstm":
        assert "LSTMWrapper" in type(policy.model).__name__
    assert policy.is_recurrent() and policy.num_state_tensors() == 2
    assert policy.view_requirements["state_in_0"].batch_repeat_value == T_MAX
    batch = memory_batch(64, seed=1)
    for _ in range(80):
        policy.learn_on_batch(batch)
    if framework == "torch":
        assert seen["max_len"] == T_MAX and seen["padded_rows"] > batch.count
    else:
        assert seen["padded"]
    taken = play(policy)
    # Every step after the first sees the same (zero) observation in both envs: only the
    # carried state can tell them apart.
    for t in range(T_MAX):
        assert taken[t] == [0, 1], f"step {t}: actions {taken[t]}"


def test_state_is_carried_between_calls():
    import torch

    torch.manual_seed(0)
    cls, _ = torch_policy_class()
    policy = cls(OBS, ACT, {"model": {"max_seq_len": T_MAX}})
    obs = np.array([[1.0, 1.0]], np.float32)
    s0 = [s[None] for s in policy.get_initial_state()]
    _, s1, e1 = policy.compute_actions(obs, s0, explore=False)
    _, s2, e2 = policy.compute_actions(obs, s1, explore=False)
    assert not np.allclose(s1[0], s0[0]) and not np.allclose(s2[0], s1[0])
    assert not np.allclose(e1["action_dist_inputs"], e2["action_dist_inputs"])
    _, s1b, e1b = policy.compute_actions(obs, s0, explore=False)
    np.testing.assert_allclose(e1b["action_dist_inputs"], e1["action_dist_inputs"], rtol=1e-6)


@pytest.mark.parametrize("framework", ["torch", "tf2"])
@pytest.mark.parametrize("kind", ["use_lstm", "use_attention"])
def test_export_model_of_a_recurrent_policy_serves_state(framework, kind, tmp_path):
    policy, _ = build(framework, kind)
    path = policy.export_model(str(tmp_path))
    obs = np.array([[1.0, 1.0]], np.float32)
    state = [s[None] for s in policy.get_initial_state()]
    if framework == "torch":
        import torch

        loaded = torch.jit.load(path)
    else:
        import tensorflow as tf

        loaded = tf.saved_model.load(path)
    for _ in range(3):
        _, new_state, extra = policy.compute_actions(obs, state, explore=False)
        if framework == "torch":
            with torch.no_grad():
                out = loaded(torch.as_tensor(obs), *[torch.as_tensor(s) for s in state],
                             torch.ones(1, dtype=torch.int32))
            outputs, served_state = out[0].numpy(), [o.numpy() for o in out[1:]]
        else:
            out = loaded.serve(tf.constant(obs), [tf.constant(s) for s in state],
                                                  tf.ones([1], tf.int32))
            outputs, served_state = out["outputs"].numpy(), [out[f"state_out_{i}"].numpy() for i in range(len(state))]
        np.testing.assert_allclose(outputs, extra["action_dist_inputs"], rtol=1e-5, atol=1e-6)
        for a, b in zip(served_state, new_state):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        state = new_state


def test_pre_padded_batch_gives_the_same_gradients_as_a_per_step_batch():
    policy, _ = build("torch", "custom_model")
    steps = memory_batch(8, seed=3)
    g_steps, _ = policy.compute_gradients(steps)
    eps = steps["eps_id"]
    seq_lens = np.diff(np.flatnonzero(np.r_[True, eps[1:] != eps[:-1], True])).astype(np.int32)
    cols = {k: v for k, v in steps.items() if not k.startswith("state_in_")}
    cols["state_in_0"] = np.zeros((len(seq_lens), CELL), np.float32)
    cols["state_in_1"] = np.zeros((len(seq_lens), CELL), np.float32)
    padded = SampleBatch(cols, _seq_lens=seq_lens).right_zero_pad(int(seq_lens.max()))
    g_padded, _ = policy.compute_gradients(padded)
    for a, b in zip(g_steps, g_padded):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)

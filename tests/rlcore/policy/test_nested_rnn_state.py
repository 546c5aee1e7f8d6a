"""Nested (dict-valued) RNN state, as RLlib 1.x custom models may return from get_initial_state().

The model's state is ``[{"h": zeros(CELL), "count": zeros(1)}]``: ``h`` is a GRU state and
``count`` counts the steps since the episode started. The model always sees its state as that
dict (batched tensors at the leaves), at inference and in the loss; the policy's own state, the
sampled ``state_in_<k>`` columns and ``get_initial_state()`` are the flat leaves, dict keys
sorted: ``state_in_0`` is ``count``, ``state_in_1`` is ``h``. So in a sampled batch
``state_in_0 == t`` (the count advances each step and restarts with each episode), and at each
training sequence's start the model's ``count`` is that row's ``t``.
"""

import gymnasium as gym
import numpy as np
import pytest

from rlcore.models.catalog import ModelCatalog
from rlcore.policy.rnn_sequencing import pad_batch_to_sequences_of_same_size

CELL = 8
MAX_SEQ_LEN = 8
OBS = gym.spaces.Box(-1.0, 1.0, (4,), np.float32)
ACT = gym.spaces.Discrete(2)


def _initial_state():
    return [{"h": np.zeros(CELL, np.float32), "count": np.zeros(1, np.float32)}]


def _register():
    import tensorflow as tf
    import torch
    import torch.nn as nn

    from rlcore.models.tf.tf_modelv2 import TFModelV2
    from rlcore.models.torch.torch_modelv2 import TorchModelV2

    class TorchDictState(TorchModelV2, nn.Module):
        def __init__(self, obs_space, action_space, num_outputs, model_config, name):
            TorchModelV2.__init__(self, obs_space, action_space, num_outputs, model_config, name)
            nn.Module.__init__(self)
            self.cell = nn.GRUCell(int(np.prod(obs_space.shape)), CELL)
            self.pi, self.v = nn.Linear(CELL, num_outputs), nn.Linear(CELL, 1)
            self.state_types = set()

        def get_initial_state(self):
            return _initial_state()

        def forward(self, input_dict, state, seq_lens):
            s = state[0]
            self.state_types.add((type(s).__name__, tuple(sorted(s))))
            x = input_dict["obs_flat"].float()
            n_seq = seq_lens.shape[0]
            x = x.reshape(n_seq, x.shape[0] // n_seq, x.shape[-1])
            h, outs = s["h"], []
            for t in range(x.shape[1]):
                h = self.cell(x[:, t], h)
                outs.append(h)
            out = torch.stack(outs, 1).reshape(-1, CELL)
            self._v = self.v(out).squeeze(1)
            self._count_in = s["count"]
            return self.pi(out), [{"h": h, "count": s["count"] + seq_lens[:, None].float()}]

        def value_function(self):
            return self._v

        def metrics(self):
            return {"count_in_sum": self._count_in.sum(), "count_in_rows": self._count_in.shape[0]}

    class TFDictState(TFModelV2):
        def __init__(self, obs_space, action_space, num_outputs, model_config, name):
            super().__init__(obs_space, action_space, num_outputs, model_config, name)
            self.gru = tf.keras.layers.GRU(CELL, return_sequences=True, return_state=True)
            self.pi, self.v = tf.keras.layers.Dense(num_outputs), tf.keras.layers.Dense(1)
            out, _ = self.gru(tf.zeros([1, 1, 4]), initial_state=tf.zeros([1, CELL]))
            self.pi(out[:, 0]), self.v(out[:, 0])
            self.state_types = set()

        def get_initial_state(self):
            return _initial_state()

        def forward(self, input_dict, state, seq_lens):
            s = state[0]
            self.state_types.add((type(s).__name__, tuple(sorted(s))))
            x = tf.reshape(tf.cast(input_dict["obs_flat"], tf.float32), [tf.shape(seq_lens)[0], -1, 4])
            out, h = self.gru(x, initial_state=s["h"])
            out = tf.reshape(out, [-1, CELL])
            self._v = tf.squeeze(self.v(out), 1)
            self._count_in = s["count"]
            return self.pi(out), [{"h": h, "count": s["count"] + tf.cast(seq_lens, tf.float32)[:, None]}]

        def value_function(self):
            return self._v

        def metrics(self):
            return {"count_in_sum": tf.reduce_sum(self._count_in), "count_in_rows": tf.shape(self._count_in)[0]}

    ModelCatalog.register_custom_model("dict_state_torch", TorchDictState)
    ModelCatalog.register_custom_model("dict_state_tf", TFDictState)


FRAMEWORKS = {
    "torch": {"framework": "torch"},
    "tf2": {"framework": "tf2", "eager_tracing": False},
    "tf2-traced": {"framework": "tf2", "eager_tracing": True},
}


def _model_config(framework: str) -> dict:
    _register()
    name = "dict_state_torch" if framework == "torch" else "dict_state_tf"
    return {"custom_model": name, "max_seq_len": MAX_SEQ_LEN}


def _trainer(framework: str, **extra):
    from rlcore.algorithms.ppo import PPOTrainer

    config = {"env": "CartPole-v1", "num_workers": 0, "train_batch_size": 64, "rollout_fragment_length": 64,
              "sgd_minibatch_size": 32, "num_sgd_iter": 1, "seed": 0, "model": _model_config(framework),
              **FRAMEWORKS[framework], **extra}
    return PPOTrainer(config=config)


def _check_count_columns(batch) -> None:
    """``state_in_0`` is the count leaf: the episode step ``t``; ``state_in_1`` is ``h``."""
    t = np.asarray(batch["t"])
    assert batch["state_in_0"].shape == (len(t), 1) and batch["state_in_1"].shape == (len(t), CELL)
    assert batch["state_in_0"].dtype == np.float32
    np.testing.assert_array_equal(batch["state_in_0"][:, 0], t)
    np.testing.assert_array_equal(batch["state_out_0"][:, 0], t + 1)
    assert (t == 0).any() and t.max() > MAX_SEQ_LEN  # episodes restart, and run past one sequence


def _check_learning_sees_sequence_starts(policy, batch) -> None:
    """The loss's model gets the dict at each sequence start; its count is that row's ``t``."""
    stats = policy.learn_on_batch(batch)["learner_stats"]
    layout = {k: np.asarray(batch[k]) for k in ("obs", "eps_id", "t", "state_in_0")}
    if "unroll_id" in batch:
        layout["unroll_id"] = np.asarray(batch["unroll_id"])
    pad_batch_to_sequences_of_same_size(layout, max_seq_len=MAX_SEQ_LEN)
    seq_lens = layout["seq_lens"]
    starts = np.concatenate([[0], np.cumsum(seq_lens)[:-1]])
    expected = np.asarray(batch["t"])[starts]
    assert expected.sum() > 0  # some sequences start mid-episode
    assert stats["count_in_rows"] == len(seq_lens)
    assert stats["count_in_sum"] == pytest.approx(float(expected.sum()))


@pytest.mark.parametrize("framework", list(FRAMEWORKS))
def test_dict_state_model_trains_with_ppo_and_its_state_advances(framework):
    trainer = _trainer(framework)
    try:
        for _ in range(2):
            result = trainer.train()
        assert result["timesteps_total"] >= 128
        policy = trainer.get_policy()
        assert policy.is_recurrent() and policy.num_state_tensors() == 2
        assert [s.shape for s in policy.get_initial_state()] == [(1,), (CELL,)]
        assert policy.model.state_types == {("dict", ("count", "h"))}
        batch = trainer.workers.local_worker().sample()
        _check_count_columns(batch)
        _check_learning_sees_sequence_starts(policy, batch)
    finally:
        trainer.stop()


@pytest.mark.parametrize("framework", list(FRAMEWORKS))
def test_compute_single_action_round_trips_nested_state(framework):
    trainer = _trainer(framework)
    try:
        policy = trainer.get_policy()
        obs = np.zeros(4, np.float32)
        state = policy.get_initial_state()
        for step in range(3):
            action, state, extra = policy.compute_single_action(obs, state, explore=False)
            assert ACT.contains(int(action))
            assert [s.shape for s in state] == [(1,), (CELL,)] and state[0].tolist() == [step + 1.0]
        # The model's own nested layout is accepted too; the state comes back as the leaves.
        _, out, _ = policy.compute_single_action(obs, [{"h": state[1], "count": np.array([10.0], np.float32)}])
        assert out[0].tolist() == [11.0]
        _, flat_out, _ = policy.compute_single_action(obs, [np.array([10.0], np.float32), state[1]])
        np.testing.assert_allclose(out[1], flat_out[1], rtol=1e-6)
        action, trainer_state, _ = trainer.compute_action(obs, state=state, explore=False)
        assert trainer_state[0].tolist() == [4.0]
        with pytest.raises(ValueError, match=r"keys \['count', 'h'\]"):
            policy.compute_single_action(obs, [{"h": state[1]}])
    finally:
        trainer.stop()


@pytest.mark.parametrize("framework", ["torch", "tf2-traced"])
def test_multi_agent_with_one_nested_state_policy(framework):
    from rlcore.env.multi_agent_env import make_multi_agent
    from rlcore.env.registry import register_env

    register_env("nested_state_multi_cartpole", lambda cfg: make_multi_agent("CartPole-v1")({"num_agents": 2}))
    trainer = _trainer(framework, env="nested_state_multi_cartpole", multiagent={
        "policies": {"nested": (None, OBS, ACT, {"model": _model_config(framework)}),
                     "plain": (None, OBS, ACT, {"model": {"fcnet_hiddens": [16]}})},
        "policy_mapping_fn": lambda agent_id, *args, **kwargs: "nested" if agent_id == 0 else "plain",
    })
    try:
        trainer.train()
        assert trainer.get_policy("nested").num_state_tensors() == 2
        assert not trainer.get_policy("plain").is_recurrent()
        batch = trainer.workers.local_worker().sample()
        _check_count_columns(batch.policy_batches["nested"])
        assert not any(k.startswith("state_in_") for k in batch.policy_batches["plain"])
        _check_learning_sees_sequence_starts(trainer.get_policy("nested"), batch.policy_batches["nested"])
    finally:
        trainer.stop()


@pytest.mark.parametrize("framework", ["torch", "tf2-traced"])
def test_exported_model_serves_the_flat_state_leaves(framework, tmp_path):
    trainer = _trainer(framework)
    try:
        policy = trainer.get_policy()
        path = policy.export_model(str(tmp_path))
        obs = np.full((1, 4), 0.5, np.float32)
        state = [s[None] for s in policy.get_initial_state()]
        if framework == "torch":
            import torch

            loaded = torch.jit.load(path)
        else:
            import tensorflow as tf

            loaded = tf.saved_model.load(path)
        for step in range(2):
            _, new_state, extra = policy.compute_actions(obs, state, explore=False)
            if framework == "torch":
                with torch.no_grad():
                    out = loaded(torch.as_tensor(obs), *[torch.as_tensor(s) for s in state],
                                 torch.ones(1, dtype=torch.int32))
                outputs, served = out[0].numpy(), [o.numpy() for o in out[1:]]
            else:
                out = loaded.serve(tf.constant(obs), [tf.constant(s) for s in state], tf.ones([1], tf.int32))
                outputs, served = out["outputs"].numpy(), [out[f"state_out_{i}"].numpy() for i in range(2)]
            np.testing.assert_allclose(outputs, extra["action_dist_inputs"], rtol=1e-5, atol=1e-6)
            assert served[0].tolist() == [[step + 1.0]]
            np.testing.assert_allclose(served[1], new_state[1], rtol=1e-5, atol=1e-6)
            state = new_state
    finally:
        trainer.stop()

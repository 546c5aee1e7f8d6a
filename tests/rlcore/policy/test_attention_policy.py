"""Issue #19 item 3: attention-net policies (``use_attention``) learn a memory task and train in a
trainer, torch and TF2 (traced).

The memory task: the first observation of an episode shows a bit, the later ones are zero, and
the right action at every step is that bit; only a policy that remembers can get the later steps
right. The memories are RNN state ``[memory, attention_dim]`` per transformer unit, carried by the
sampler and cut into one initial state per training sequence like an LSTM's.
"""

import gymnasium as gym
import numpy as np
import pytest

from rlcore.data.sample_batch import SampleBatch

OBS = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)
ACT = gym.spaces.Discrete(2)
T_MAX = 5
MODEL = {"use_attention": True, "attention_dim": 16, "attention_num_heads": 2, "attention_head_dim": 8,
         "attention_memory_inference": 6, "attention_memory_training": 6, "attention_position_wise_mlp_dim": 16,
         "attention_num_transformer_units": 1, "fcnet_hiddens": [16], "max_seq_len": T_MAX}


def _policy(framework, **config):
    from rlcore.algorithms.pg import PGTFPolicy, PGTorchPolicy

    if framework == "torch":
        import torch

        torch.manual_seed(0)
        return PGTorchPolicy(OBS, ACT, {"lr": 0.01, "model": MODEL, **config})
    import tensorflow as tf

    tf.random.set_seed(0)
    return PGTFPolicy(OBS, ACT, {"lr": 0.01, "eager_tracing": True, "model": MODEL, **config})


def memory_batch(n_eps, seed, memory):
    rng = np.random.default_rng(seed)
    cols = {k: [] for k in ("obs", "actions", "advantages", "eps_id", "t")}
    for ep in range(n_eps):
        bit = int(rng.integers(0, 2))
        for t in range(int(rng.integers(3, T_MAX + 1))):
            cols["obs"].append([2.0 * bit - 1.0, 1.0] if t == 0 else [0.0, 0.0])
            cols["actions"].append(bit)
            cols["advantages"].append(1.0)
            cols["eps_id"].append(ep)
            cols["t"].append(t)
    batch = {k: np.asarray(v, dtype=np.float32 if k in ("obs", "advantages") else np.int64) for k, v in cols.items()}
    batch["state_in_0"] = np.zeros((len(cols["t"]), memory, MODEL["attention_dim"]), np.float32)
    return SampleBatch(batch)


@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_attention_policy_learns_the_memory_task(framework):
    policy = _policy(framework)
    state0 = policy.get_initial_state()
    assert [s.shape for s in state0] == [(6, 16)] and policy.is_recurrent()
    for i in range(60):
        stats = policy.learn_on_batch(memory_batch(16, seed=i % 8, memory=6))
    assert np.isfinite(stats["learner_stats"]["policy_loss"])
    # Two envs, bits 0 and 1, stepped together: after the first step both see zeros.
    state = [np.stack([s, s]) for s in state0]
    for t in range(T_MAX):
        obs = np.array([[-1.0, 1.0], [1.0, 1.0]] if t == 0 else [[0.0, 0.0], [0.0, 0.0]], np.float32)
        actions, state, _ = policy.compute_actions(obs, state, explore=False)
        assert [s.shape for s in state] == [(2, 6, 16)]
        assert actions.tolist() == [0, 1], f"step {t}: actions {actions.tolist()}"


class MemoryEnv(gym.Env):
    """The memory task as an env: reward 1 for repeating the first observation's bit."""

    def __init__(self, config=None):
        self.observation_space, self.action_space = OBS, ACT
        self._rng = np.random.default_rng(0)

    def reset(self, *, seed=None, options=None):
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        self.bit, self.t = int(self._rng.integers(0, 2)), 0
        return np.array([2.0 * self.bit - 1.0, 1.0], np.float32), {}

    def step(self, action):
        self.t += 1
        return np.zeros(2, np.float32), float(action == self.bit), self.t >= 4, False, {}


@pytest.mark.parametrize("framework,tracing", [("torch", False), ("tf2", True)])
def test_trainer_with_use_attention_samples_memories_and_trains(framework, tracing):
    from rlcore.algorithms.pg import PGTrainer

    trainer = PGTrainer(config={"framework": framework, "eager_tracing": tracing, "num_workers": 0, "seed": 0,
                                "rollout_fragment_length": 20, "train_batch_size": 40, "model": MODEL}, env=MemoryEnv)
    try:
        result = trainer.train()
        assert result["info"]["num_steps_trained"] == 40
        batch = trainer.workers.local_worker().sample()
        assert batch["state_in_0"].shape == (20, 6, 16) and batch["state_out_0"].shape == (20, 6, 16)
        # Within an episode, each step's memory is the last one's state_out; it starts at zeros.
        same_episode = batch["eps_id"][1:] == batch["eps_id"][:-1]
        np.testing.assert_array_equal(batch["state_in_0"][1:][same_episode], batch["state_out_0"][:-1][same_episode])
        assert np.all(batch["state_in_0"][batch["t"] == 0] == 0.0)
        # The memory slides: a step's state_out is its state_in shifted by one row.
        np.testing.assert_allclose(batch["state_out_0"][:, :-1], batch["state_in_0"][:, 1:], rtol=1e-6)
        action = trainer.compute_action(np.array([1.0, 1.0], np.float32), state=trainer.get_policy().get_initial_state())
        assert len(action) == 3 and [s.shape for s in action[1]] == [(6, 16)]
    finally:
        trainer.cleanup()


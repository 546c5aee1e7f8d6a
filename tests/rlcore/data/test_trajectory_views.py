"""Trajectory views (RLlib 1.x's view requirements): a model's own time-shifted views of obs,
actions and rewards are fed at inference, stored in every row for the loss, zero before an
episode's start, shifted one step for bootstrapping; single- and multi-agent, torch and TF2."""

import gymnasium as gym
import numpy as np
import pytest

from rlcore.data.trajectory_views import ViewHistory, ViewSpec, model_views, next_step_views
from rlcore.data.view_requirement import ViewRequirement
from rlcore.models.catalog import ModelCatalog

SEEN = []


def _register():
    import torch
    import torch.nn as nn

    from rlcore.models.torch.torch_modelv2 import TorchModelV2

    class TorchStack(TorchModelV2, nn.Module):
        """Acts on the last 4 observations and the last 2 actions (1.x's framestacking idiom)."""

        def __init__(self, obs_space, action_space, num_outputs, model_config, name):
            TorchModelV2.__init__(self, obs_space, action_space, num_outputs, model_config, name)
            nn.Module.__init__(self)
            self.view_requirements["prev_n_obs"] = ViewRequirement("obs", shift="-3:0", space=obs_space)
            self.view_requirements["prev_n_actions"] = ViewRequirement("actions", shift="-2:-1", space=action_space)
            self.view_requirements["prev_3_rewards"] = ViewRequirement("rewards", shift=[-3, -2, -1])
            self.body = nn.Linear(4 * 4 + 2 + 3, 16)
            self.pi, self.v = nn.Linear(16, num_outputs), nn.Linear(16, 1)

        def forward(self, input_dict, state, seq_lens):
            o, a, r = (input_dict[k].float() for k in ("prev_n_obs", "prev_n_actions", "prev_3_rewards"))
            SEEN.append(o.shape[1:])
            h = torch.tanh(self.body(torch.cat([o.flatten(1), a.flatten(1), r.flatten(1)], 1)))
            self._v = self.v(h).squeeze(1)
            return self.pi(h), state

        def value_function(self):
            return self._v

    import tensorflow as tf

    from rlcore.models.tf.tf_modelv2 import TFModelV2

    class TFStack(TFModelV2):
        def __init__(self, obs_space, action_space, num_outputs, model_config, name):
            super().__init__(obs_space, action_space, num_outputs, model_config, name)
            self.view_requirements["prev_n_obs"] = ViewRequirement("obs", shift="-3:0", space=obs_space)
            self.view_requirements["prev_n_actions"] = ViewRequirement("actions", shift="-2:-1", space=action_space)
            self.view_requirements["prev_3_rewards"] = ViewRequirement("rewards", shift=[-3, -2, -1])
            inp = tf.keras.Input((4 * 4 + 2 + 3,))
            h = tf.keras.layers.Dense(16, activation="tanh")(inp)
            self.base = tf.keras.Model(inp, [tf.keras.layers.Dense(num_outputs)(h), tf.keras.layers.Dense(1)(h)])

        def forward(self, input_dict, state, seq_lens):
            o, a, r = (tf.cast(input_dict[k], tf.float32) for k in ("prev_n_obs", "prev_n_actions", "prev_3_rewards"))
            flat = tf.concat([tf.reshape(o, [-1, 16]), tf.reshape(a, [-1, 2]), tf.reshape(r, [-1, 3])], 1)
            logits, v = self.base(flat)
            self._v = tf.reshape(v, [-1])
            return logits, state

        def value_function(self):
            return self._v

    ModelCatalog.register_custom_model("views_torch", TorchStack)
    ModelCatalog.register_custom_model("views_tf", TFStack)


def _check_rows(b):
    """Every row's views against its own episode's columns; zeros before the episode's start."""
    for i in range(b.count):
        same = [j for j in range(i - 3, i) if j >= 0 and b["eps_id"][j] == b["eps_id"][i]
                and b["env_id"][j] == b["env_id"][i] and b["agent_index"][j] == b["agent_index"][i]]
        t = int(b["t"][i])
        np.testing.assert_allclose(b["prev_n_obs"][i][-1], b["obs"][i])
        if t >= 1 and same and same[-1] == i - 1:
            np.testing.assert_allclose(b["prev_n_obs"][i][-2], b["obs"][i - 1])
            assert b["prev_n_actions"][i][-1] == b["actions"][i - 1]
            assert b["prev_3_rewards"][i][-1] == b["rewards"][i - 1]
        if t == 0:
            assert not b["prev_n_obs"][i][:3].any() and not b["prev_n_actions"][i].any() and not b["prev_3_rewards"][i].any()
        if t == 1:
            assert not b["prev_n_obs"][i][:2].any() and b["prev_n_actions"][i][0] == 0


@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_a_models_views_reach_acting_and_the_loss(framework):
    _register()
    from rlcore.algorithms.ppo import PPOTrainer

    trainer = PPOTrainer(config={"env": "CartPole-v1", "framework": framework, "num_workers": 0, "seed": 0,
                                 "eager_tracing": framework != "torch", "train_batch_size": 200,
                                 "sgd_minibatch_size": 50, "num_sgd_iter": 2, "rollout_fragment_length": 100,
                                 "num_envs_per_worker": 2,
                                 "model": {"custom_model": "views_torch" if framework == "torch" else "views_tf"}})
    try:
        result = trainer.train()
        assert result["timesteps_total"] == 200 and np.isfinite(result["info"]["learner"]["default_policy"]["total_loss"])
        batch = trainer.workers.local_worker().sample()
        assert batch["prev_n_obs"].shape == (200, 4, 4) and batch["prev_n_actions"].shape == (200, 2)
        assert batch["prev_3_rewards"].shape == (200, 3)
        _check_rows(batch)
        # Bootstrapping a cut fragment: the next step's views are the row's shifted by one.
        policy = trainer.get_policy()
        rows = np.array([99, 199])
        nxt = next_step_views(policy, batch, rows)
        np.testing.assert_allclose(nxt["prev_n_obs"][:, :3], batch["prev_n_obs"][rows][:, 1:])
        np.testing.assert_allclose(nxt["prev_n_obs"][:, 3], batch["new_obs"][rows])
        assert nxt["prev_n_actions"][:, -1].tolist() == batch["actions"][rows].tolist()
        # A 1.x input dict with the views goes through compute_actions_from_input_dict.
        actions, _, _ = policy.compute_actions_from_input_dict(
            {"obs": batch["obs"][:3], "prev_n_obs": batch["prev_n_obs"][:3], "prev_n_actions": batch["prev_n_actions"][:3],
             "prev_3_rewards": batch["prev_3_rewards"][:3]}, explore=False)
        assert len(actions) == 3
    finally:
        trainer.stop()


def test_views_in_multi_agent_sampling():
    _register()
    from rlcore.algorithms.ppo import PPOTorchPolicy
    from rlcore.env import make_multi_agent
    from rlcore.sampling.rollout_worker import RolloutWorker

    obs_space, act_space = gym.spaces.Box(-10, 10, (4,), np.float32), gym.spaces.Discrete(2)
    worker = RolloutWorker(
        env_creator=lambda ctx: make_multi_agent("CartPole-v1")({"num_agents": 3}),
        policy_spec={"p": (PPOTorchPolicy, obs_space, act_space, {"model": {"custom_model": "views_torch"}})},
        policy_mapping_fn=lambda agent_id: "p", rollout_fragment_length=40, num_envs=2, seed=1)
    batch = worker.sample().policy_batches["p"]
    assert batch["prev_n_obs"].shape[1:] == (4, 4) and "advantages" in batch
    _check_rows(batch)


def test_view_history_and_bad_views():
    hist = ViewHistory([ViewSpec("a", "actions", np.array([-2, -1]), False), ViewSpec("o", "obs", np.array([-1]), True)],
                       n=2, examples={"obs": np.zeros(2, np.float32), "actions": np.int64(0)})
    hist.start(np.array([0, 1]), np.ones((2, 2), np.float32))
    hist.push("actions", np.array([5, 6]))
    hist.push("obs", np.full((2, 2), 2.0, np.float32))
    views = hist.views()
    assert views["a"].tolist() == [[0, 5], [0, 6]] and views["o"].tolist() == [[1.0, 1.0], [1.0, 1.0]]
    hist.grow(3)
    assert hist.views(np.array([2]))["a"].tolist() == [[0, 0]]

    class Model:
        view_requirements = {"future": ViewRequirement("obs", shift=2)}

    class Policy:
        model = Model()

    with pytest.raises(ValueError, match=r"view_requirements\['future'\] = shift 2 of 'obs' needs values"):
        model_views(Policy())
    Model.view_requirements = {"dones_seen": ViewRequirement("dones", shift=-1)}
    with pytest.raises(ValueError, match="reads 'dones': the samplers build views of"):
        model_views(Policy())


@pytest.mark.parametrize("framework", ["torch", "tf2"])
@pytest.mark.parametrize("n", [1, 3])
def test_attention_net_with_previous_actions_and_rewards_trains(framework, n):
    """use_attention with attention_use_n_prev_actions/_rewards: n = 1 rides the native
    prev_actions/prev_rewards columns, n > 1 the views of the last n (shift "-n:-1")."""
    from rlcore.algorithms.ppo import PPOTrainer

    trainer = PPOTrainer(config={
        "env": "CartPole-v1", "framework": framework, "num_workers": 0, "eager_tracing": framework != "torch",
        "train_batch_size": 100, "sgd_minibatch_size": 50, "num_sgd_iter": 1, "rollout_fragment_length": 50,
        "model": {"use_attention": True, "attention_dim": 16, "attention_num_transformer_units": 1,
                  "attention_memory_inference": 5, "attention_memory_training": 5, "attention_head_dim": 8,
                  "attention_num_heads": 1, "max_seq_len": 10, "attention_use_n_prev_actions": n,
                  "attention_use_n_prev_rewards": n}})
    try:
        assert trainer.train()["timesteps_total"] == 100
        batch = trainer.workers.local_worker().sample()
        want = (50,) if n == 1 else (50, n)
        assert batch["prev_actions"].shape == want and batch["prev_rewards"].shape == want
        i = next(i for i in range(1, batch.count) if batch["t"][i] >= n and batch["eps_id"][i] == batch["eps_id"][i - 1])
        assert np.atleast_1d(batch["prev_actions"][i])[-1] == batch["actions"][i - 1]
        assert np.atleast_1d(batch["prev_rewards"][i])[-1] == batch["rewards"][i - 1]
    finally:
        trainer.stop()

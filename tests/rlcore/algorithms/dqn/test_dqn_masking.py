"""Parametric action masking with DQN (RLlib's parametric-actions CartPole pattern): a custom Q model
subclassing the Q head returns logits plus ``log(mask)`` clipped at ``FLOAT_MIN``, with ``hiddens: []``
and ``dueling: False``; no masked action is ever taken (greedy or random) and the loss stays finite."""

import math

import gymnasium as gym
import numpy as np
import pytest

from rlcore.policy.exploration.epsilon_greedy import FLOAT_MIN


class MaskedActionsEnv(gym.Env):
    """Four actions, a random subset valid each step; the observation is ``[x, y, mask_0..3]``.

    A valid action earns 1, an invalid one -10 (so taking one would show in the rewards too).
    """

    observation_space = gym.spaces.Box(0.0, 1.0, (6,), np.float32)
    action_space = gym.spaces.Discrete(4)

    def __init__(self, config=None):
        self.rng = np.random.default_rng(0)
        self.t = 0

    def _obs(self):
        self.mask = (self.rng.random(4) < 0.5).astype(np.float32)
        self.mask[self.rng.integers(4)] = 1.0
        return np.concatenate([self.rng.random(2).astype(np.float32), self.mask])

    def reset(self, *, seed=None, options=None):
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.t = 0
        return self._obs(), {}

    def step(self, action):
        reward = 1.0 if self.mask[action] else -10.0
        self.t += 1
        return self._obs(), reward, False, self.t >= 20, {}


def _torch_model():
    import torch
    import torch.nn as nn

    from rlcore.algorithms.dqn.dqn_torch_model import DQNTorchModel

    class MaskedQTorchModel(DQNTorchModel):
        def __init__(self, obs_space, action_space, num_outputs, model_config, name, **kw):
            DQNTorchModel.__init__(self, obs_space, action_space, num_outputs, model_config, name, **kw)
            self.net = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 4))

        def forward(self, input_dict, state, seq_lens):
            obs = input_dict["obs_flat"].float()
            inf_mask = torch.clamp(torch.log(obs[:, 2:]), min=FLOAT_MIN)
            return self.net(obs[:, :2]) + inf_mask, state

    return MaskedQTorchModel


def _tf_model():
    from rlcore.algorithms.dqn.dqn_tf_model import DQNTFModel
    from rlcore.models.tf.tf_modelv2 import keras, tf

    class MaskedQTFModel(DQNTFModel):
        def __init__(self, obs_space, action_space, num_outputs, model_config, name, **kw):
            DQNTFModel.__init__(self, obs_space, action_space, num_outputs, model_config, name, **kw)
            inp = keras.layers.Input((2,))
            self.net = keras.Model(inp, keras.layers.Dense(4)(keras.layers.Dense(16, activation="relu")(inp)))

        def forward(self, input_dict, state, seq_lens):
            obs = input_dict["obs_flat"]
            inf_mask = tf.maximum(tf.math.log(obs[:, 2:]), FLOAT_MIN)
            return self.net(obs[:, :2]) + inf_mask, state

    return MaskedQTFModel


@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_masked_actions_are_never_taken_and_training_stays_finite(framework, tiny_config):
    from rlcore.algorithms.dqn import DQNTrainer
    from rlcore.models.catalog import ModelCatalog

    name = f"masked_q_{framework}"
    ModelCatalog.register_custom_model(name, _torch_model() if framework == "torch" else _tf_model())
    config = tiny_config(framework, env=MaskedActionsEnv, hiddens=[], dueling=False, double_q=True,
                         model={"custom_model": name}, timesteps_per_iteration=64,
                         exploration_config={"type": "EpsilonGreedy", "initial_epsilon": 1.0, "final_epsilon": 0.5,
                                             "epsilon_timesteps": 100})
    trainer = DQNTrainer(config=config)
    try:
        for _ in range(2):
            result = trainer.train()
        rows = trainer.local_replay_buffer.replay_buffers["default_policy"].sample(300)
        policy = trainer.get_policy()
        obs = np.array([[0.5, 0.5, 0, 1, 0, 1]] * 50, np.float32)
        greedy = policy.compute_actions(obs, explore=False)[0]
        explored = policy.compute_actions(obs, explore=True)[0]
    finally:
        trainer.stop()
    masks, actions = rows["obs"][:, 2:], rows["actions"]
    assert np.all(masks[np.arange(len(actions)), actions] == 1.0)
    assert np.all(rows["rewards"] == 1.0)
    assert set(greedy.tolist()) <= {1, 3} and set(explored.tolist()) <= {1, 3}
    stats = result["info"]["learner"]["default_policy"]
    assert math.isfinite(stats["mean_q"]) and math.isfinite(stats["mean_td_error"])

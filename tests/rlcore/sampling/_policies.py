"""Small numpy policies and envs for the sampling tests (no framework needed)."""

import gymnasium as gym
import numpy as np

from rlcore.env import MultiAgentEnv
from rlcore.policy.policy import Policy
from rlcore.sampling.postprocessing import compute_gae_for_sample_batch


class NumpyPolicy(Policy):
    """Random actions, ``vf_preds = 10 + obs[:, 0]``; 'learning' adds 1 to a weight."""

    def __init__(self, observation_space, action_space, config):
        super().__init__(observation_space, action_space, config)
        self.w = np.zeros(1)
        self.learn_calls = 0
        self._rng = np.random.default_rng(config.get("seed") or 0)

    def compute_actions(self, obs_batch, state_batches=None, prev_action_batch=None, prev_reward_batch=None,
                        info_batch=None, episodes=None, explore=None, timestep=None, **kwargs):
        obs = np.asarray(obs_batch, np.float32)
        n = len(obs)
        actions = np.stack([self.action_space.sample() for _ in range(n)]) if n else np.zeros(0, np.int64)
        return actions, [], {"vf_preds": (10.0 + obs.reshape(n, -1)[:, 0]).astype(np.float32),
                             "action_logp": np.zeros(n, np.float32)}

    def value_batch(self, obs, state_batches=None):
        return 10.0 + np.asarray(obs, np.float32).reshape(len(obs), -1)[:, 0]

    def postprocess_trajectory(self, sample_batch, other_agent_batches=None, episode=None):
        return compute_gae_for_sample_batch(self, sample_batch, other_agent_batches, episode)

    def learn_on_batch(self, samples):
        self.learn_calls += 1
        self.w = self.w + 1
        return {"learner_stats": {"rows": samples.count}}

    def get_weights(self):
        return {"w": self.w.copy()}

    def set_weights(self, weights):
        self.w = np.asarray(weights["w"]).copy()


class CountingEnv(gym.Env):
    """obs = [t]; reward 1; terminated at t == terminate_at, else truncated by max_steps."""

    def __init__(self, config=None):
        config = dict(config or {})
        self.terminate_at = config.get("terminate_at", 4)
        self.max_steps = config.get("max_steps", 100)
        self.fail_at = config.get("fail_at")
        self.observation_space = gym.spaces.Box(-1e6, 1e6, (1,), np.float32)
        self.action_space = gym.spaces.Discrete(2)
        self.t = 0

    def reset(self, *, seed=None, options=None):
        self.t = 0
        return np.array([0.0], np.float32), {}

    def step(self, action):
        self.t += 1
        if self.fail_at is not None and self.t == self.fail_at:
            raise RuntimeError("boom")
        terminated = self.t == self.terminate_at
        truncated = not terminated and self.t >= self.max_steps
        return np.array([float(self.t)], np.float32), 1.0, terminated, truncated, {}


class TwoAgentEnv(MultiAgentEnv):
    """Agents "a" and "b" observe [agent_code, t]; the episode lasts 5 steps."""

    def __init__(self, config=None):
        super().__init__()
        self.observation_space = gym.spaces.Box(-100, 100, (2,), np.float32)
        self.action_space = gym.spaces.Discrete(2)
        self.t = 0

    def _obs(self):
        return {"a": np.array([1.0, self.t], np.float32), "b": np.array([2.0, self.t], np.float32)}

    def reset(self, *, seed=None, options=None):
        self.t = 0
        return self._obs(), {}

    def step(self, action_dict):
        assert set(action_dict) == {"a", "b"}, action_dict
        self.t += 1
        done = self.t >= 5
        rewards = {"a": 1.0, "b": 2.0}
        return self._obs(), rewards, {"__all__": done}, {"__all__": False}, {}

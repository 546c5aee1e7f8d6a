"""A tiny numpy spy policy and WorkerSet builders for the ops tests (no ML framework needed)."""

import gymnasium as gym
import numpy as np

from rlcore.policy.policy import Policy
from rlcore.sampling import WorkerSet
from rlcore.sampling.postprocessing import compute_gae_for_sample_batch


class SpyPolicy(Policy):
    """Random actions; records every learn/apply call; its 'weights' are one vector ``w``.

    ``learn_on_batch`` adds 1 to ``w`` and reports the rows it saw; ``compute_gradients``
    returns ``[full(2, rows)]`` and ``apply_gradients`` adds the gradient to ``w``.
    """

    def __init__(self, observation_space, action_space, config):
        super().__init__(observation_space, action_space, config)
        self.w = np.zeros(2, np.float32)
        self.learn_sizes = []
        self.applied = []
        self.timesteps_seen = []
        self.target_updates = 0
        self._rng = np.random.default_rng(config.get("seed") or 0)

    def compute_actions(self, obs_batch, state_batches=None, prev_action_batch=None, prev_reward_batch=None,
                        info_batch=None, episodes=None, explore=None, timestep=None, **kwargs):
        obs = np.asarray(obs_batch, np.float32).reshape(len(obs_batch), -1)
        n = len(obs)
        return self._rng.integers(0, 2, n), [], {"vf_preds": obs[:, 0].copy()}

    def value_batch(self, obs, state_batches=None):
        return np.asarray(obs, np.float32).reshape(len(obs), -1)[:, 0]

    def postprocess_trajectory(self, sample_batch, other_agent_batches=None, episode=None):
        return compute_gae_for_sample_batch(self, sample_batch, other_agent_batches, episode)

    def learn_on_batch(self, samples):
        self.learn_sizes.append(samples.count)
        self.w = self.w + 1
        return {"learner_stats": {"rows": float(samples.count), "w": float(self.w[0])}}

    def compute_gradients(self, postprocessed_batch):
        n = float(postprocessed_batch.count)
        return [np.full(2, n, np.float32)], {"learner_stats": {"rows": n}}

    def apply_gradients(self, gradients):
        self.applied.append(np.asarray(gradients[0]).copy())
        self.w = self.w + np.asarray(gradients[0], np.float32)

    def get_weights(self):
        return {"w": self.w.copy()}

    def set_weights(self, weights):
        self.w = np.asarray(weights["w"], np.float32).copy()

    def on_global_var_update(self, global_vars):
        super().on_global_var_update(global_vars)
        self.timesteps_seen.append(global_vars.get("timestep"))

    def update_target(self):
        self.target_updates += 1


def cartpole(ctx):
    return gym.make("CartPole-v1")


def worker_set(num_workers=0, fragment=10, num_envs=1, **extra):
    config = {"rollout_fragment_length": fragment, "num_envs_per_worker": num_envs, "seed": 1,
              "num_cpus_per_worker": 0, **extra}
    return WorkerSet(env_creator=cartpole, policy_class=SpyPolicy, trainer_config=config, num_workers=num_workers)


def spy(workers):
    """The local worker's SpyPolicy."""
    return workers.local_worker().get_policy()

"""StochasticSampling: sample the action from the model's action distribution (the default).

``random_timesteps`` first steps take uniformly random actions; ``explore=False`` takes the
distribution's deterministic action (argmax, mean) with a log-likelihood of 0.

Examples:
    >>> import gymnasium as gym
    >>> StochasticSampling(gym.spaces.Discrete(2), framework="torch", random_timesteps=5).random_timesteps
    5
"""

from __future__ import annotations

from rlcore.policy.exploration.exploration import Exploration, register_exploration
from rlcore.policy.exploration.random import batch_size_of, random_actions, zeros_logp

__all__ = ["StochasticSampling"]


@register_exploration
class StochasticSampling(Exploration):
    """Samples from the action distribution; see the module docstring.

    Args:
        action_space: the policy's action space.
        random_timesteps: number of initial timesteps with uniformly random actions.
        **kwargs: forwarded to :class:`Exploration`.
    """

    def __init__(self, action_space, *, random_timesteps: int = 0, **kwargs):
        super().__init__(action_space, **kwargs)
        if random_timesteps < 0:
            raise ValueError(f"random_timesteps={random_timesteps!r}: expected >= 0")
        self.random_timesteps = int(random_timesteps)

    def _torch_action(self, action_distribution, timestep, explore):
        ts = self.last_timestep if timestep is None else int(timestep)
        if not explore:
            return action_distribution.deterministic_sample(), zeros_logp(action_distribution, "torch")
        if ts < self.random_timesteps:
            acts = random_actions(self.action_space, batch_size_of(action_distribution, "torch"), "torch")
            return acts, zeros_logp(action_distribution, "torch")
        return action_distribution.sample(), action_distribution.sampled_action_logp()

    def _tf_action(self, action_distribution, timestep, explore):
        if not explore:
            return action_distribution.deterministic_sample(), zeros_logp(action_distribution, "tf2")
        acts = action_distribution.sample()
        logp = action_distribution.sampled_action_logp()
        if self.random_timesteps <= 0:
            return acts, logp
        import tensorflow as tf

        ts = tf.cast(self.last_timestep if timestep is None else timestep, tf.int64)
        rand = random_actions(self.action_space, batch_size_of(action_distribution, "tf2"), "tf2")
        warm = ts < self.random_timesteps
        acts = tf.nest.map_structure(lambda r, a: tf.where(warm, tf.cast(r, a.dtype), a), rand, acts)
        return acts, tf.where(warm, zeros_logp(action_distribution, "tf2"), logp)

"""OrnsteinUhlenbeckNoise: GaussianNoise whose noise is a mean-reverting (OU) process over time.

Each step ``ou_state += ou_theta * (0 - ou_state) + ou_sigma * N(0, 1)`` and the action is
``deterministic_sample() + ou_base_scale * ou_state * scale(t) * (high - low)``, clipped to the
Box bounds. The OU state (one vector of the action's shape) is part of ``get_state``.

Examples:
    >>> import gymnasium as gym
    >>> e = OrnsteinUhlenbeckNoise(gym.spaces.Box(-1.0, 1.0, (2,)), framework="torch")
    >>> e.get_state()["ou_state"]
    [0.0, 0.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rlcore.policy.exploration.exploration import register_exploration
from rlcore.policy.exploration.gaussian_noise import GaussianNoise

__all__ = ["OrnsteinUhlenbeckNoise"]


@register_exploration
class OrnsteinUhlenbeckNoise(GaussianNoise):
    """OU-process noise; see the module docstring.

    Args:
        action_space: a Box space.
        ou_theta: mean-reversion rate.
        ou_sigma: noise of the process per step.
        ou_base_scale: overall factor on the process.
        random_timesteps, initial_scale, final_scale, scale_timesteps, scale_schedule: as in
            :class:`GaussianNoise`.
        **kwargs: forwarded to :class:`Exploration`.
    """

    def __init__(self, action_space, *, ou_theta: float = 0.15, ou_sigma: float = 0.2, ou_base_scale: float = 0.1,
                 random_timesteps: int = 1000, initial_scale: float = 1.0, final_scale: float = 0.02,
                 scale_timesteps: int = 10000, scale_schedule: Any = None, **kwargs):
        super().__init__(action_space, random_timesteps=random_timesteps, stddev=1.0, initial_scale=initial_scale,
                         final_scale=final_scale, scale_timesteps=scale_timesteps, scale_schedule=scale_schedule,
                         **kwargs)
        self.ou_theta = float(ou_theta)
        self.ou_sigma = float(ou_sigma)
        self.ou_base_scale = float(ou_base_scale)
        bounded = np.isfinite(self._low) & np.isfinite(self._high)
        self._range = np.where(bounded, self._high - self._low, 1.0).astype(np.float32)
        zeros = np.zeros(action_space.shape, dtype=np.float32)
        if self.framework == "torch":
            import torch

            self.ou_state = torch.from_numpy(zeros)
        else:
            import tensorflow as tf

            self.ou_state = tf.Variable(zeros, trainable=False, name="ou_state")

    def _noise_torch(self, det, ts):
        import torch

        self.ou_state = self.ou_state + self.ou_theta * -self.ou_state + self.ou_sigma * torch.randn(self.ou_state.shape)
        scale = self._scale_at(ts)
        return (self.ou_base_scale * scale * torch.as_tensor(self._range) * self.ou_state).expand_as(det)

    def _noise_tf(self, det, ts):
        import tensorflow as tf

        new = self.ou_state + self.ou_theta * -self.ou_state + self.ou_sigma * tf.random.normal(tf.shape(self.ou_state))
        assign = self.ou_state.assign(new)
        first_t, first_v = self.scale_schedule.endpoints[0]
        scale = tf.where(ts < first_t, tf.constant(first_v, tf.float32), self.scale_schedule.value(ts))
        with tf.control_dependencies([assign]):
            return tf.zeros_like(det) + self.ou_base_scale * scale * self._range * new

    def get_state(self, sess: Any = None) -> dict:
        """GaussianNoise's state plus the ``ou_state`` vector (as a list)."""
        state = super().get_state(sess)
        state["ou_state"] = np.asarray(self.ou_state).astype(float).ravel().tolist()
        return state

    def set_state(self, state: dict, sess: Any = None) -> None:
        """Restores ``last_timestep`` and ``ou_state``."""
        super().set_state(state, sess)
        if "ou_state" in state:
            arr = np.asarray(state["ou_state"], dtype=np.float32).reshape(self.action_space.shape)
            if self.framework == "torch":
                import torch

                self.ou_state = torch.from_numpy(arr)
            else:
                self.ou_state.assign(arr)

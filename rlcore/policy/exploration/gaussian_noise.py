"""GaussianNoise: deterministic action plus scaled Gaussian noise, for continuous (Box) actions.

``random_timesteps`` first steps are uniformly random; afterwards the action is
``deterministic_sample() + N(0, stddev * scale(t))``, clipped to the Box bounds. ``scale``
decays from ``initial_scale`` to ``final_scale`` over ``scale_timesteps`` (or ``scale_schedule``).

Examples:
    >>> import gymnasium as gym
    >>> e = GaussianNoise(gym.spaces.Box(-1.0, 1.0, (2,)), framework="torch", scale_timesteps=10)
    >>> round(e.scale_schedule.value(10), 2)
    0.02
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rlcore.policy.exploration.exploration import Exploration, register_exploration
from rlcore.policy.exploration.random import batch_size_of, random_actions, zeros_logp
from rlcore.policy.schedules import PiecewiseSchedule, Schedule
from rlcore.policy.schedules import from_config as schedule_from_config

__all__ = ["GaussianNoise"]


@register_exploration
class GaussianNoise(Exploration):
    """Additive Gaussian noise; see the module docstring.

    Args:
        action_space: a Box space.
        random_timesteps: initial timesteps with uniformly random actions.
        stddev: standard deviation of the noise before scaling.
        initial_scale: noise scale at the start (after the random phase).
        final_scale: noise scale after ``scale_timesteps``.
        scale_timesteps: timesteps over which the scale decays linearly.
        scale_schedule: a Schedule (or schedule config) overriding the above.
        **kwargs: forwarded to :class:`Exploration`.
    """

    def __init__(self, action_space, *, random_timesteps: int = 1000, stddev: float = 0.1,
                 initial_scale: float = 1.0, final_scale: float = 0.02, scale_timesteps: int = 10000,
                 scale_schedule: Schedule | Any = None, **kwargs):
        import gymnasium.spaces as S

        if not isinstance(action_space, S.Box):
            raise ValueError(f"action space {action_space!r}: {type(self).__name__} needs a Box action space")
        super().__init__(action_space, **kwargs)
        self.random_timesteps = int(random_timesteps)
        self.stddev = float(stddev)
        if scale_schedule is not None:
            self.scale_schedule = schedule_from_config(scale_schedule, framework=self.framework)
        else:
            self.scale_schedule = PiecewiseSchedule(
                [(random_timesteps, initial_scale), (random_timesteps + scale_timesteps, final_scale)],
                outside_value=final_scale, framework=self.framework)
        self._low = np.asarray(action_space.low, dtype=np.float32)
        self._high = np.asarray(action_space.high, dtype=np.float32)

    def _scale_at(self, ts: float) -> float:
        # Before the schedule's first endpoint the scale is the initial one.
        first_t, first_v = self.scale_schedule.endpoints[0] if isinstance(self.scale_schedule, PiecewiseSchedule) else (0, None)
        if first_v is not None and ts < first_t:
            return first_v
        return self.scale_schedule.value(ts)

    def _noise_torch(self, det, ts):
        import torch

        return torch.randn_like(det) * (self.stddev * self._scale_at(ts))

    def _torch_action(self, action_distribution, timestep, explore):
        import torch

        det = action_distribution.deterministic_sample()
        logp = zeros_logp(action_distribution, "torch")
        if not explore:
            return det, logp
        ts = self.last_timestep if timestep is None else int(timestep)
        if ts < self.random_timesteps:
            return random_actions(self.action_space, batch_size_of(action_distribution, "torch"), "torch"), logp
        act = det + self._noise_torch(det, ts)
        return torch.clamp(act, torch.as_tensor(self._low), torch.as_tensor(self._high)), logp

    def _noise_tf(self, det, ts):
        import tensorflow as tf

        first_t, first_v = self.scale_schedule.endpoints[0] if isinstance(self.scale_schedule, PiecewiseSchedule) else (0, None)
        scale = self.scale_schedule.value(ts)
        if first_v is not None:
            scale = tf.where(ts < first_t, tf.constant(first_v, tf.float32), scale)
        return tf.random.normal(tf.shape(det)) * (self.stddev * scale)

    def _tf_action(self, action_distribution, timestep, explore):
        import tensorflow as tf

        det = action_distribution.deterministic_sample()
        logp = zeros_logp(action_distribution, "tf2")
        if not explore:
            return det, logp
        ts = tf.cast(self.last_timestep if timestep is None else timestep, tf.float32)
        noisy = tf.clip_by_value(det + self._noise_tf(det, ts), self._low, self._high)
        rand = random_actions(self.action_space, batch_size_of(action_distribution, "tf2"), "tf2")
        return tf.where(ts < self.random_timesteps, tf.cast(rand, det.dtype), noisy), logp

    def get_state(self, sess: Any = None) -> dict:
        """``last_timestep`` and the current ``cur_scale``."""
        return {"last_timestep": int(self.last_timestep), "cur_scale": float(self._scale_at(self.last_timestep))}

"""EpsilonGreedy: the greedy (argmax) action, or with probability epsilon a uniformly random one.

The distribution's inputs are read as Q-values over a Discrete action space. Epsilon follows a
schedule over the global timestep (``initial_epsilon`` -> ``final_epsilon`` over
``epsilon_timesteps``, after ``warmup_timesteps``), or ``epsilon_schedule`` when given. Actions
whose Q-value is at or below ``FLOAT_MIN / 2`` (masked out) are never drawn at random.

Examples:
    >>> import gymnasium as gym
    >>> e = EpsilonGreedy(gym.spaces.Discrete(3), framework="torch", initial_epsilon=1.0,
    ...                   final_epsilon=0.1, epsilon_timesteps=100)
    >>> round(e.epsilon_schedule.value(50), 3)
    0.55
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rlcore.policy.exploration.exploration import Exploration, register_exploration
from rlcore.policy.exploration.random import zeros_logp
from rlcore.policy.schedules import PiecewiseSchedule, Schedule
from rlcore.policy.schedules import from_config as schedule_from_config

__all__ = ["EpsilonGreedy", "FLOAT_MIN"]

FLOAT_MIN = float(np.finfo(np.float32).min)


@register_exploration
class EpsilonGreedy(Exploration):
    """Epsilon-greedy over Q-values; see the module docstring.

    Args:
        action_space: a Discrete space.
        initial_epsilon: epsilon at the start (after warm-up).
        final_epsilon: epsilon after ``epsilon_timesteps``.
        warmup_timesteps: timesteps with ``initial_epsilon`` before decaying.
        epsilon_timesteps: timesteps over which epsilon decays linearly.
        epsilon_schedule: a Schedule (or schedule config) overriding the above.
        **kwargs: forwarded to :class:`Exploration`.
    """

    def __init__(self, action_space, *, initial_epsilon: float = 1.0, final_epsilon: float = 0.05,
                 warmup_timesteps: int = 0, epsilon_timesteps: int = int(1e5),
                 epsilon_schedule: Schedule | Any = None, **kwargs):
        import gymnasium.spaces as S

        if not isinstance(action_space, S.Discrete):
            raise ValueError(f"action space {action_space!r}: EpsilonGreedy needs a Discrete action space")
        super().__init__(action_space, **kwargs)
        if epsilon_schedule is not None:
            self.epsilon_schedule = schedule_from_config(epsilon_schedule, framework=self.framework)
        else:
            self.epsilon_schedule = PiecewiseSchedule(
                [(0, initial_epsilon), (warmup_timesteps, initial_epsilon),
                 (warmup_timesteps + epsilon_timesteps, final_epsilon)],
                outside_value=final_epsilon, framework=self.framework)

    #: Uniforms drawn from torch's generator per refill of the pool the torch path reads its
    #: coin flips and random actions from (one ``torch.rand`` per this many draws, not per call).
    UNIFORM_POOL = 4096

    def _uniforms(self, n: int) -> np.ndarray:
        """The next ``n`` iid U[0, 1) float32 draws of torch's (seeded) generator, from the pool."""
        import torch

        pool, pos = self.__dict__.get("_pool"), self.__dict__.get("_pool_pos", 0)
        if pool is None or pos + n > len(pool):
            pool, pos = torch.rand(max(self.UNIFORM_POOL, n)).numpy(), 0
            self.__dict__["_pool"] = pool
        self.__dict__["_pool_pos"] = pos + n
        return pool[pos:pos + n]

    def _torch_action(self, action_distribution, timestep, explore):
        import torch

        q = action_distribution.inputs
        if q.dtype == torch.bfloat16:  # no numpy dtype
            q = q.float()
        logp = zeros_logp(action_distribution, "torch")
        # In numpy (views of CPU tensors): for the few rows of an action call each torch op costs
        # several microseconds, each numpy one well under one. Ties: the first max, as torch.argmax.
        q_np = q.numpy() if q.device.type == "cpu" and not q.requires_grad else q.detach().cpu().numpy()
        actions = q_np.argmax(axis=1)
        if explore:
            ts = self.last_timestep if timestep is None else int(timestep)
            eps = self.epsilon_schedule.value(ts)
            # The coin flips and random actions are torch-drawn uniforms (see _uniforms).
            take_random = self._uniforms(len(q_np)) < eps
            if take_random.any():  # rare once epsilon is small
                rows = np.flatnonzero(take_random)
                q_rows = q_np[rows]
                # Uniform over the allowed actions: the argmax of iid uniforms, masked ones below them.
                u = self._uniforms(q_rows.size).reshape(q_rows.shape).copy()
                u[q_rows <= FLOAT_MIN / 2] = -1.0
                actions[rows] = u.argmax(axis=1)
        actions = torch.from_numpy(actions.astype(np.int64, copy=False))
        return (actions if q.device.type == "cpu" else actions.to(q.device)), logp

    def _tf_action(self, action_distribution, timestep, explore):
        import tensorflow as tf

        q = action_distribution.inputs
        greedy = tf.argmax(q, axis=1)
        logp = zeros_logp(action_distribution, "tf2")
        if not explore:
            return greedy, logp
        ts = tf.cast(self.last_timestep if timestep is None else timestep, tf.float32)
        eps = self.epsilon_schedule.value(ts)
        allowed = tf.where(q > FLOAT_MIN / 2, tf.zeros_like(q), tf.fill(tf.shape(q), -np.inf))
        rand = tf.squeeze(tf.random.categorical(allowed, 1, dtype=tf.int64), axis=1)
        take_random = tf.random.uniform(tf.shape(greedy)) < eps
        return tf.where(take_random, rand, greedy), logp

    def get_state(self, sess: Any = None) -> dict:
        """``last_timestep`` and the current ``cur_epsilon``."""
        return {"last_timestep": int(self.last_timestep),
                "cur_epsilon": float(self.epsilon_schedule.value(self.last_timestep))}

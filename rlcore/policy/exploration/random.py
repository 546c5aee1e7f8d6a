"""Random: uniformly random actions from the action space, ignoring the model.

Also holds :func:`random_actions`, the framework-level uniform sampler that other explorations
use for their ``random_timesteps`` warm-up.

Examples:
    >>> import gymnasium as gym
    >>> e = Random(gym.spaces.Discrete(4), framework="torch")
    >>> e.get_state()
    {'last_timestep': 0}
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rlcore.policy.exploration.exploration import Exploration, register_exploration

__all__ = ["Random", "random_actions"]


def random_actions(space: Any, batch_size: Any, framework: str) -> Any:
    """Uniformly random actions for a batch, as torch or TF tensors (nested for Tuple/Dict spaces).

    Args:
        space: a gymnasium Discrete, MultiDiscrete, Box, Tuple or Dict space.
        batch_size: number of rows (an int, or a scalar TF tensor).
        framework: ``"torch"`` or ``"tf2"``.

    Raises:
        ValueError: for any other space, naming it.
    """
    import gymnasium.spaces as S

    if isinstance(space, S.Tuple):
        return tuple(random_actions(s, batch_size, framework) for s in space.spaces)
    if isinstance(space, S.Dict):
        return {k: random_actions(s, batch_size, framework) for k, s in space.spaces.items()}
    if framework == "torch":
        import torch

        if isinstance(space, S.Discrete):
            return torch.randint(int(space.start), int(space.start + space.n), (batch_size,))
        if isinstance(space, S.MultiDiscrete):
            nvec = torch.as_tensor(np.asarray(space.nvec).reshape(-1))
            return (torch.rand((batch_size, len(nvec))) * nvec).long()
        if isinstance(space, S.Box):
            low = torch.as_tensor(np.where(np.isfinite(space.low), space.low, -1.0), dtype=torch.float32)
            high = torch.as_tensor(np.where(np.isfinite(space.high), space.high, 1.0), dtype=torch.float32)
            out = low + torch.rand((batch_size, *space.shape)) * (high - low)
            return out.to(torch.int64) if np.issubdtype(space.dtype, np.integer) else out
    else:
        import tensorflow as tf

        if isinstance(space, S.Discrete):
            return tf.random.uniform([batch_size], int(space.start), int(space.start + space.n), dtype=tf.int64)
        if isinstance(space, S.MultiDiscrete):
            nvec = tf.constant(np.asarray(space.nvec).reshape(-1), dtype=tf.float32)
            return tf.cast(tf.random.uniform(tf.stack([batch_size, len(space.nvec)])) * nvec, tf.int64)
        if isinstance(space, S.Box):
            low = np.where(np.isfinite(space.low), space.low, -1.0).astype(np.float32)
            high = np.where(np.isfinite(space.high), space.high, 1.0).astype(np.float32)
            shape = tf.concat([[batch_size], tf.constant(space.shape, dtype=tf.int32)], 0)
            out = low + tf.random.uniform(shape) * (high - low)
            return tf.cast(out, tf.int64) if np.issubdtype(space.dtype, np.integer) else out
    raise ValueError(f"action space {space!r}: random actions need Discrete, MultiDiscrete, Box, Tuple or Dict")


def batch_size_of(action_distribution: Any, framework: str) -> Any:
    """Rows in the distribution's inputs (a tensor for TF so it also works while tracing)."""
    inputs = action_distribution.inputs
    if framework == "torch":
        return int(inputs.shape[0])
    import tensorflow as tf

    return tf.shape(inputs)[0]


def zeros_logp(action_distribution: Any, framework: str) -> Any:
    """A ``[B]`` float32 tensor of zeros (log-likelihood of a deterministic or off-policy action)."""
    if framework == "torch":
        import torch

        # from numpy: a fresh [B] zeros tensor for ~1 us, a third of torch.zeros' dispatch
        return torch.from_numpy(np.zeros(batch_size_of(action_distribution, framework), np.float32))
    import tensorflow as tf

    return tf.zeros(tf.expand_dims(batch_size_of(action_distribution, framework), 0), dtype=tf.float32)


@register_exploration
class Random(Exploration):
    """Takes uniformly random actions when exploring, the deterministic action otherwise.

    Examples:
        >>> import gymnasium as gym
        >>> Random(gym.spaces.Box(-1, 1, (2,)), framework="tf").framework
        'tf2'
    """

    def _torch_action(self, action_distribution, timestep, explore):
        if explore:
            acts = random_actions(self.action_space, batch_size_of(action_distribution, "torch"), "torch")
        else:
            acts = action_distribution.deterministic_sample()
        return acts, zeros_logp(action_distribution, "torch")

    def _tf_action(self, action_distribution, timestep, explore):
        if explore:
            acts = random_actions(self.action_space, batch_size_of(action_distribution, "tf2"), "tf2")
        else:
            acts = action_distribution.deterministic_sample()
        return acts, zeros_logp(action_distribution, "tf2")

"""ActionDistribution: a distribution over actions parameterised by a model's outputs.

A policy runs its model, gets ``num_outputs`` numbers per row ("distribution inputs"), and wraps
them in an ``ActionDistribution`` subclass to sample actions, score them (``logp``), and compute
the ``entropy`` and ``kl`` terms of a loss. The framework classes live in
``rlcore.models.torch.torch_action_dist`` and ``rlcore.models.tf.tf_action_dist``; both implement
the same maths so the same inputs give the same numbers. This module holds the framework-free
base class and the helpers that map (possibly nested) action spaces to flat component lists.

Examples:
    >>> import gymnasium as gym
    >>> space = gym.spaces.Tuple([gym.spaces.Discrete(3), gym.spaces.Box(-1, 1, (2,))])
    >>> [type(s).__name__ for s in flatten_space(space)]
    ['Discrete', 'Box']
    >>> [flat_action_size(s) for s in flatten_space(space)]
    [1, 2]
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Sequence

import numpy as np


class ActionDistribution:
    """The interface of every action distribution (RLlib 1.x ``ActionDistribution``).

    Args:
        inputs: The model outputs, shape ``[B, num_outputs]`` (a tensor of the class's framework).
        model: The model that produced ``inputs`` (optional; some distributions read it).
        **kwargs: Distribution options (e.g. ``temperature``, ``input_lens``, ``low``/``high``).

    Subclasses implement ``sample``, ``deterministic_sample``, ``logp``, ``entropy``, ``kl`` and
    the static ``required_model_output_shape``. After ``sample()`` or ``deterministic_sample()``,
    ``sampled_action_logp()`` returns the log-probability of the action just drawn.

    Examples:
        >>> class Coin(ActionDistribution):
        ...     @staticmethod
        ...     def required_model_output_shape(action_space, model_config):
        ...         return 1
        >>> Coin.required_model_output_shape(None, {})
        1
        >>> Coin([0.0]).inputs
        [0.0]
    """

    #: Keyword arguments bound by ``with_kwargs`` (see there).
    _bound_kwargs: Dict[str, Any] = {}

    def __init__(self, inputs: Any, model: Any = None, **kwargs: Any):
        self.inputs = inputs
        self.model = model

    def sample(self) -> Any:
        """Draws one action per row."""
        raise NotImplementedError

    def deterministic_sample(self) -> Any:
        """Returns the most likely action per row (the mode, or the mean for some densities)."""
        raise NotImplementedError

    def sampled_action_logp(self) -> Any:
        """Log-probability of the last action drawn by ``sample``/``deterministic_sample``."""
        raise NotImplementedError

    def logp(self, x: Any) -> Any:
        """Log-probability (or log-density) of actions ``x``, shape ``[B]``."""
        raise NotImplementedError

    def kl(self, other: "ActionDistribution") -> Any:
        """KL divergence KL(self || other), shape ``[B]``."""
        raise NotImplementedError

    def entropy(self) -> Any:
        """Entropy (differential entropy for densities), shape ``[B]``."""
        raise NotImplementedError

    def multi_kl(self, other: "ActionDistribution") -> Any:
        """KL per component; the base returns ``kl`` (RLlib 1.x)."""
        return self.kl(other)

    def multi_entropy(self) -> Any:
        """Entropy per component; the base returns ``entropy`` (RLlib 1.x)."""
        return self.entropy()

    @staticmethod
    def required_model_output_shape(action_space: Any, model_config: Dict[str, Any]) -> Any:
        """The number of model outputs (``num_outputs``) this distribution needs for a space."""
        raise NotImplementedError

    @classmethod
    def with_kwargs(cls, **kwargs: Any) -> type:
        """Returns a subclass whose constructor receives ``kwargs`` by default.

        This is what ``ModelCatalog.get_action_dist`` returns for distributions that need extra
        arguments (RLlib returned a ``functools.partial``; a subclass keeps ``issubclass``, the
        class name and the static methods working).

        Examples:
            >>> class D(ActionDistribution):
            ...     def __init__(self, inputs, model=None, scale=1.0):
            ...         super().__init__(inputs, model)
            ...         self.scale = scale
            >>> D2 = D.with_kwargs(scale=3.0)
            >>> D2([1.0]).scale, issubclass(D2, D), D2.__name__
            (3.0, True, 'D')
        """
        bound = {**cls._bound_kwargs, **kwargs}
        base_init = cls.__init__

        def __init__(self, inputs, model=None, **kw):
            base_init(self, inputs, model, **{**bound, **kw})

        return type(cls.__name__, (cls,), {"__init__": __init__, "_bound_kwargs": bound, "__module__": cls.__module__})


def flatten_space(space: Any) -> List[Any]:
    """Lists the leaf spaces of a (nested) ``Tuple``/``Dict`` space in a fixed order.

    Dict components come in the space's key order (gymnasium sorts plain-dict keys).

    Examples:
        >>> import gymnasium as gym
        >>> s = gym.spaces.Dict({"b": gym.spaces.Discrete(2), "a": gym.spaces.Tuple([gym.spaces.Discrete(4)])})
        >>> [int(x.n) for x in flatten_space(s)]
        [4, 2]
    """
    import gymnasium as gym

    if isinstance(space, gym.spaces.Tuple):
        return [leaf for sub in space.spaces for leaf in flatten_space(sub)]
    if isinstance(space, gym.spaces.Dict):
        return [leaf for sub in space.spaces.values() for leaf in flatten_space(sub)]
    return [space]


def flatten_struct(space: Any, value: Any) -> List[Any]:
    """Lists the leaves of ``value`` (tuples/dicts matching ``space``) in ``flatten_space`` order.

    Examples:
        >>> import gymnasium as gym
        >>> s = gym.spaces.Dict({"x": gym.spaces.Discrete(2), "y": gym.spaces.Discrete(3)})
        >>> flatten_struct(s, {"y": 2, "x": 1})
        [1, 2]
    """
    import gymnasium as gym

    if isinstance(space, gym.spaces.Tuple):
        if not isinstance(value, (tuple, list)) or len(value) != len(space.spaces):
            raise ValueError(f"action {value!r} does not match the Tuple space {space}: expected {len(space.spaces)} items")
        return [leaf for sub, v in zip(space.spaces, value) for leaf in flatten_struct(sub, v)]
    if isinstance(space, gym.spaces.Dict):
        if not isinstance(value, dict) or set(value) != set(space.spaces):
            raise ValueError(f"action {value!r} does not match the Dict space {space}: expected keys {list(space.spaces)}")
        return [leaf for k, sub in space.spaces.items() for leaf in flatten_struct(sub, value[k])]
    return [value]


def unflatten_struct(space: Any, leaves: Sequence[Any]) -> Any:
    """Rebuilds the tuple/dict structure of ``space`` from its leaves (inverse of ``flatten_struct``).

    Examples:
        >>> import gymnasium as gym
        >>> s = gym.spaces.Tuple([gym.spaces.Discrete(2), gym.spaces.Dict({"a": gym.spaces.Discrete(2)})])
        >>> unflatten_struct(s, [1, 0])
        (1, {'a': 0})
    """
    import gymnasium as gym

    it = iter(leaves)

    def build(sp: Any) -> Any:
        if isinstance(sp, gym.spaces.Tuple):
            return tuple(build(sub) for sub in sp.spaces)
        if isinstance(sp, gym.spaces.Dict):
            return {k: build(sub) for k, sub in sp.spaces.items()}
        return next(it)

    return build(space)


def flat_action_size(space: Any) -> int:
    """Width of one leaf action in a flat action row: 1 for Discrete, ``len(nvec)`` for
    MultiDiscrete, the element count for Box.

    Examples:
        >>> import gymnasium as gym
        >>> flat_action_size(gym.spaces.MultiDiscrete([2, 3])), flat_action_size(gym.spaces.Box(0, 1, (2, 3)))
        (2, 6)
    """
    import gymnasium as gym

    if isinstance(space, gym.spaces.Discrete):
        return 1
    if isinstance(space, gym.spaces.MultiDiscrete):
        return int(np.prod(space.nvec.shape))
    if isinstance(space, (gym.spaces.Box, gym.spaces.MultiBinary)):
        return int(np.prod(space.shape))
    raise ValueError(f"action space {space} has no flat width; expected Discrete, MultiDiscrete, MultiBinary or Box")


def one_hot_action_size(space: Any, key: str = "lstm_use_prev_action") -> int:
    """Width of one action as a model input: one-hot for Discrete (``n``) and MultiDiscrete
    (``sum(nvec)``), flattened for Box (what ``encode_prev_actions`` writes).

    Args:
        space: The action space.
        key: The model config key asking for the encoding (named in the error).

    Examples:
        >>> import gymnasium as gym
        >>> one_hot_action_size(gym.spaces.MultiDiscrete([2, 3])), one_hot_action_size(gym.spaces.Box(0, 1, (2, 3)))
        (5, 6)
    """
    import gymnasium as gym

    if isinstance(space, gym.spaces.Discrete):
        return int(space.n)
    if isinstance(space, gym.spaces.MultiDiscrete):
        return int(np.sum(space.nvec))
    if isinstance(space, gym.spaces.Box):
        return int(np.prod(space.shape))
    raise ValueError(f"{key} does not support the action space {space}")


def squash_bounds(low: Any, high: Any) -> tuple:
    """Checks a squashed distribution's bounds: scalars, or per-dimension arrays (a Box's
    ``low``/``high``), finite with ``low < high`` everywhere. Returns them as floats or float64
    arrays.

    Examples:
        >>> squash_bounds(-2, 2)
        (-2.0, 2.0)
        >>> squash_bounds([0.0, -1.0], [1.0, 1.0])[1].tolist()
        [1.0, 1.0]
        >>> squash_bounds(1.0, 1.0)
        Traceback (most recent call last):
        ...
        ValueError: low=1.0, high=1.0: expected finite bounds with low < high in every dimension
    """
    if type(low) is float and type(high) is float and math.isfinite(low) and math.isfinite(high) and low < high:
        return low, high  # SAC's usual scalar bounds, checked without numpy on each construction
    lo, hi = np.asarray(low, np.float64), np.asarray(high, np.float64)
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi)) and np.all(lo < hi)):
        raise ValueError(f"low={low!r}, high={high!r}: expected finite bounds with low < high in every dimension")
    if lo.ndim == 0 and hi.ndim == 0:
        return float(lo), float(hi)
    lo, hi = np.broadcast_arrays(lo, hi)
    return lo.copy(), hi.copy()


__all__ = [
    "squash_bounds",
    "ActionDistribution",
    "flat_action_size",
    "one_hot_action_size",
    "flatten_space",
    "flatten_struct",
    "unflatten_struct",
]

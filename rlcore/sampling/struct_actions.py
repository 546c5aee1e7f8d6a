"""Tuple and Dict action spaces in the vectorized sampler: one flat action row per env step.

A policy for a Tuple/Dict action space returns a batched structure: a tuple or dict (nested as the
space) of ``[N, ...]`` arrays, one per leaf space, as RLlib 1.x policies do. The sampler stores the
leaves side by side as one flat ``[N, D]`` row per env, RLlib 1.x's flattened ``actions`` column,
which the multi-action distributions split again in ``logp``. It hands each env its own structured
action. Leaves are taken in :func:`~rlcore.models.action_dist.flatten_space` order, each
:func:`~rlcore.models.action_dist.flat_action_size` wide. The flat row is float32 if any leaf is a
float space, else int64. A policy may also return the flat rows themselves.

Examples:
    >>> import gymnasium as gym
    >>> space = gym.spaces.Tuple([gym.spaces.Discrete(3), gym.spaces.Box(-1, 1, (2,), np.float32)])
    >>> sa = StructuredActions(space)
    >>> batched = (np.array([2, 0]), np.array([[0.5, -0.5], [0.0, 1.0]], np.float32))
    >>> sa.flat(batched, 2).tolist()
    [[2.0, 0.5, -0.5], [0.0, 0.0, 1.0]]
    >>> first = sa.env_actions(batched, 2)[0]
    >>> int(first[0]), first[1].tolist(), space.contains(first)
    (2, [0.5, -0.5], True)
"""

from __future__ import annotations

from typing import Any, Callable, List, Optional

import numpy as np

from rlcore.models.action_dist import flat_action_size, flatten_space, flatten_struct, unflatten_struct

__all__ = ["StructuredActions", "action_clipper", "is_structured_space"]


def is_structured_space(space: Any) -> bool:
    """Whether ``space`` is a gymnasium Tuple or Dict space.

    Examples:
        >>> import gymnasium as gym
        >>> is_structured_space(gym.spaces.Dict({"a": gym.spaces.Discrete(2)})), is_structured_space(gym.spaces.Discrete(2))
        (True, False)
    """
    import gymnasium as gym

    return isinstance(space, (gym.spaces.Tuple, gym.spaces.Dict))


class StructuredActions:
    """Converts a Tuple/Dict space's batched actions to flat rows and to per-env actions.

    Args:
        space: The (single-env) Tuple or Dict action space. Its leaves must be Discrete,
            MultiDiscrete, MultiBinary or Box.

    Raises:
        ValueError: For a leaf space without a flat width.
    """

    def __init__(self, space: Any):
        self.space = space
        self.leaf_spaces = flatten_space(space)
        self.widths = [flat_action_size(s) for s in self.leaf_spaces]
        self.width = int(sum(self.widths))
        floating = any(np.issubdtype(np.dtype(s.dtype), np.floating) for s in self.leaf_spaces)
        self.dtype = np.dtype(np.float32 if floating else np.int64)

    def leaves(self, actions: Any, n: int) -> List[np.ndarray]:
        """The batched leaf arrays ``[n, *leaf.shape]`` of a batched structure or of flat rows."""
        if isinstance(actions, (tuple, list, dict)):
            leaves = [np.asarray(a) for a in flatten_struct(self.space, actions)]
            for leaf, sp in zip(leaves, self.leaf_spaces):
                if leaf.shape[:1] != (n,) or leaf[0].size != flat_action_size(sp):
                    raise ValueError(f"actions for {self.space}: a leaf of shape {leaf.shape}, expected "
                                     f"{(n, *sp.shape)} for {sp} ({n} envs)")
            return leaves
        flat = np.asarray(actions)
        if flat.shape != (n, self.width):
            raise ValueError(f"actions for {self.space}: got shape {flat.shape}, expected a tuple/dict of per-leaf "
                             f"arrays or flat rows of shape {(n, self.width)}")
        out, start = [], 0
        for width, sp in zip(self.widths, self.leaf_spaces):
            out.append(flat[:, start:start + width].reshape((n, *sp.shape)).astype(sp.dtype, copy=False))
            start += width
        return out

    def matches(self, actions: Any, n: int) -> bool:
        """Whether ``actions`` is a batched structure of this space for ``n`` envs.

        Examples:
            >>> import gymnasium as gym
            >>> sa = StructuredActions(gym.spaces.Tuple([gym.spaces.Discrete(2), gym.spaces.Discrete(2)]))
            >>> sa.matches((np.zeros(3), np.ones(3)), 3), sa.matches(((np.zeros(3), np.ones(3)), {}), 3)
            (True, False)
        """
        try:
            self.leaves(actions, n)
        except (ValueError, TypeError, IndexError):
            return False
        return True

    def flat(self, actions: Any, n: int) -> np.ndarray:
        """The ``[n, D]`` flat rows stored in the ``actions`` column."""
        if isinstance(actions, np.ndarray) and actions.shape == (n, self.width):
            return np.ascontiguousarray(actions, dtype=self.dtype)
        return self._flat(self.leaves(actions, n), n)

    def env_actions(self, actions: Any, n: int) -> List[Any]:
        """One structured action per env (leaves cast to their space's dtype)."""
        return self._per_env(self.leaves(actions, n), n)

    def split(self, actions: Any, n: int) -> tuple:
        """``(flat(actions, n), env_actions(actions, n))``, the leaves taken once (the sampler's call)."""
        leaves = self.leaves(actions, n)
        return self._flat(leaves, n), self._per_env(leaves, n)

    def _flat(self, leaves: List[np.ndarray], n: int) -> np.ndarray:
        return np.concatenate([leaf.reshape(n, -1) for leaf in leaves], axis=1).astype(self.dtype, copy=False)

    def _per_env(self, leaves: List[np.ndarray], n: int) -> List[Any]:
        leaves = [leaf.astype(sp.dtype, copy=False) for leaf, sp in zip(leaves, self.leaf_spaces)]
        return [unflatten_struct(self.space, [leaf[i] for leaf in leaves]) for i in range(n)]

    def clipper(self) -> Any:
        """A function clipping the Box leaves of a list of per-env actions into their bounds
        (``None`` when no leaf is a Box)."""
        return self.box_leaf_map(_clip_to)

    def box_leaf_map(self, fn: Callable[[np.ndarray, Any], np.ndarray]) -> Any:
        """A function applying ``fn(leaf, box_space)`` to the Box leaves of a list of per-env
        actions (``None`` when no leaf is a Box)."""
        import gymnasium as gym

        boxes = [isinstance(s, gym.spaces.Box) for s in self.leaf_spaces]
        if not any(boxes):
            return None

        def apply(env_actions: List[Any]) -> List[Any]:
            out = []
            for action in env_actions:
                leaves = flatten_struct(self.space, action)
                out.append(unflatten_struct(self.space, [
                    fn(leaf, sp) if is_box else leaf for leaf, sp, is_box in zip(leaves, self.leaf_spaces, boxes)]))
            return out

        return apply


def _clip_to(actions: np.ndarray, space: Any) -> np.ndarray:
    return np.clip(actions, space.low, space.high)


def _unsquash_to(actions: np.ndarray, space: Any) -> np.ndarray:
    """``[-1, 1]`` onto a Box's bounds (RLlib 1.x's ``normalize_actions``); unbounded dims stay."""
    low, high = space.low, space.high
    bounded = np.isfinite(low) & np.isfinite(high)
    out = np.where(bounded, low + (np.asarray(actions) + 1.0) * (high - low) / 2.0, actions)
    return np.clip(out, low, high).astype(np.asarray(actions).dtype, copy=False)


def action_clipper(space: Any, normalize: bool = False, clip: bool = True) -> Optional[Callable[[Any], Any]]:
    """What the env gets from the policy's actions: RLlib's ``normalize_actions`` (the policy's
    ``[-1, 1]`` mapped onto a Box's bounds) and ``clip_actions`` (clipped into the bounds), on a
    Box space or the Box leaves of a Tuple/Dict space's per-env actions; the stored actions stay
    as the policy gave them. ``None`` when there is nothing to do.

    Examples:
        >>> import gymnasium as gym
        >>> action_clipper(gym.spaces.Box(-1, 1, (2,)))(np.array([[2.0, -0.5]])).tolist()
        [[1.0, -0.5]]
        >>> action_clipper(gym.spaces.Box(0, 10, (1,)), normalize=True)(np.array([[0.0], [1.5]])).tolist()
        [[5.0], [10.0]]
        >>> action_clipper(gym.spaces.Discrete(2)) is None
        True
    """
    import gymnasium as gym

    fn = _unsquash_to if normalize else (_clip_to if clip else None)
    if fn is None:
        return None
    if is_structured_space(space):
        return StructuredActions(space).box_leaf_map(fn)
    if not isinstance(space, gym.spaces.Box):
        return None
    return lambda actions: fn(actions, space)

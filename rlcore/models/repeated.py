"""Variable-length list observations: the ``Repeated`` space, its preprocessor and model input.

``Repeated(child_space, max_len)`` is a gymnasium space whose values are lists of 0 to ``max_len``
values of ``child_space`` (the objects a sensor sees, the units of a team...; RLlib 1.x
``ray.rllib.utils.spaces.repeated``). The worker's :class:`RepeatedValuesPreprocessor` writes a
list into one float row of ``1 + max_len * child_size`` values: the list length first, then the
preprocessed items, zero padded (RLlib 1.x's layout). A model whose observation space came from
a ``Repeated`` space gets a :class:`RepeatedValues` in ``input_dict["obs"]`` (``values``:
``[B, max_len, ...]`` items in the child space's structure, ``lengths``: ``[B]``) and the flat
row in ``input_dict["obs_flat"]``; :func:`unpack_repeated` builds it.

Examples:
    >>> import gymnasium as gym
    >>> space = Repeated(gym.spaces.Box(-1.0, 1.0, (2,)), max_len=3)
    >>> prep = RepeatedValuesPreprocessor(space)
    >>> prep.shape
    (7,)
    >>> prep.transform([np.array([0.5, 0.25], np.float32)]).tolist()
    [1.0, 0.5, 0.25, 0.0, 0.0, 0.0, 0.0]
    >>> rv = unpack_repeated(prep.transform_batch([[np.ones(2, np.float32)] * 2, []]), space)
    >>> rv.values.shape, rv.lengths.tolist(), [len(row) for row in rv.unbatch_all()]
    ((2, 3, 2), [2.0, 0.0], [2, 0])
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

import gymnasium as gym
import numpy as np

from rlcore.models.preprocessors import Preprocessor, get_preprocessor

__all__ = ["Repeated", "RepeatedValues", "RepeatedValuesPreprocessor", "unpack_repeated"]


class Repeated(gym.spaces.Space):
    """A list of at most ``max_len`` values of ``child_space`` (RLlib 1.x ``Repeated``).

    Args:
        child_space: The space of one item (any gymnasium space, also ``Dict``/``Tuple``).
        max_len: The longest list allowed (a positive int).
        seed: Optional seed for :meth:`sample` (the child space is seeded from it too).

    Raises:
        TypeError: ``child_space`` is not a gymnasium space.
        ValueError: ``max_len`` is not a positive int.

    Examples:
        >>> space = Repeated(gym.spaces.Discrete(4), max_len=2, seed=0)
        >>> 1 <= len(space.sample()) <= 2, space.contains([1, 3]), space.contains([1, 2, 3])
        (True, True, False)
        >>> Repeated(gym.spaces.Discrete(4), max_len=0)
        Traceback (most recent call last):
        ...
        ValueError: Repeated: max_len=0 must be a positive int
    """

    def __init__(self, child_space: gym.spaces.Space, max_len: int, seed: Optional[int] = None):
        if not isinstance(child_space, gym.spaces.Space):
            raise TypeError(f"Repeated: child_space={child_space!r} must be a gymnasium space")
        if isinstance(max_len, bool) or not isinstance(max_len, (int, np.integer)) or max_len < 1:
            raise ValueError(f"Repeated: max_len={max_len!r} must be a positive int")
        self.child_space = child_space
        self.max_len = int(max_len)
        super().__init__(shape=None, dtype=None, seed=seed)

    def seed(self, seed: Optional[int] = None) -> List[Any]:
        """Seeds this space and, from it, the child space; returns ``[own seed, child's seeds]``."""
        own = super().seed(seed)
        return [own, self.child_space.seed(int(self.np_random.integers(2**31 - 1)))]

    @property
    def is_np_flattenable(self) -> bool:
        """False: lists of different lengths have no fixed flat size (use the preprocessor)."""
        return False

    def sample(self, mask: Any = None, probability: Any = None) -> List[Any]:
        """A list of 1 to ``max_len`` samples of the child space (RLlib 1.x samples at least one)."""
        if mask is not None or probability is not None:
            raise ValueError("Repeated.sample: mask and probability are not supported")
        return [self.child_space.sample() for _ in range(int(self.np_random.integers(1, self.max_len + 1)))]

    def contains(self, x: Any) -> bool:
        """Whether ``x`` is a list (tuple or array) of at most ``max_len`` child values."""
        if not isinstance(x, (list, tuple, np.ndarray)) or len(x) > self.max_len:
            return False
        return all(self.child_space.contains(item) for item in x)

    def __repr__(self) -> str:
        return f"Repeated({self.child_space!r}, {self.max_len})"

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Repeated) and other.max_len == self.max_len and other.child_space == self.child_space


class RepeatedValuesPreprocessor(Preprocessor):
    """Writes a list of child values as ``[length, item_0, ..., item_{max_len-1}]`` (zero padded).

    Each item is preprocessed by the child space's preprocessor (one-hot for ``Discrete``,
    flattened for ``Dict``/``Tuple``, as is for ``Box``). The preprocessed space is a float32
    ``Box`` whose first bound is ``[0, max_len]`` and whose item bounds are the child's; its
    ``original_space`` is the ``Repeated`` space.

    Raises:
        ValueError: (from ``transform``/``write``) for a value that is not a list, or a list
            longer than ``max_len``, naming both.

    Examples:
        >>> space = Repeated(gym.spaces.Discrete(2), max_len=2)
        >>> RepeatedValuesPreprocessor(space).transform([1]).tolist()
        [1.0, 0.0, 1.0, 0.0, 0.0]
        >>> RepeatedValuesPreprocessor(space).transform([0, 1, 1])
        Traceback (most recent call last):
        ...
        ValueError: observation [0, 1, 1] has 3 items; Repeated(Discrete(2), 2) allows at most max_len=2
    """

    def _init_shape(self, obs_space: Any, options: Dict[str, Any]) -> tuple:
        if not isinstance(obs_space, Repeated):
            raise ValueError(f"RepeatedValuesPreprocessor needs a Repeated space, got {obs_space}")
        child = obs_space.child_space
        self.child_preprocessor = get_preprocessor(child)(child, options)
        return (1 + obs_space.max_len * self.child_preprocessor.size,)

    def transform(self, observation: Any) -> np.ndarray:
        out = np.zeros(self.shape, np.float32)
        self.write(observation, out, 0)
        return out

    def write(self, observation: Any, array: np.ndarray, offset: int) -> None:
        if not isinstance(observation, (list, tuple, np.ndarray)):
            raise ValueError(f"observation {observation!r} of {self._obs_space} must be a list, "
                             f"got {type(observation).__name__}")
        if len(observation) > self._obs_space.max_len:
            raise ValueError(f"observation {observation!r} has {len(observation)} items; "
                             f"{self._obs_space} allows at most max_len={self._obs_space.max_len}")
        array[offset] = len(observation)
        child, size = self.child_preprocessor, self.child_preprocessor.size
        for i, item in enumerate(observation):
            child.write(item, array, offset + 1 + i * size)

    def check_shape(self, observation: Any) -> None:
        if not self._obs_space.contains(observation):
            raise ValueError(f"observation {observation!r} is outside the observation space {self._obs_space}")

    @property
    def observation_space(self) -> gym.spaces.Box:
        child = self.child_preprocessor.observation_space
        size, n = self.child_preprocessor.size, self._obs_space.max_len
        child_low = np.broadcast_to(np.asarray(getattr(child, "low", -np.inf), np.float32), child.shape).ravel()
        child_high = np.broadcast_to(np.asarray(getattr(child, "high", np.inf), np.float32), child.shape).ravel()
        if child_low.size != size:  # a child that is not a Box of its own flat size: no bounds
            child_low, child_high = np.full(size, -np.inf, np.float32), np.full(size, np.inf, np.float32)
        low = np.concatenate([[0.0], np.tile(child_low, n)]).astype(np.float32)
        high = np.concatenate([[float(n)], np.tile(child_high, n)]).astype(np.float32)
        space = gym.spaces.Box(low, high, dtype=np.float32)
        space.original_space = self._obs_space
        return space


def _to_numpy(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu()
    return np.asarray(x.numpy() if hasattr(x, "numpy") and not isinstance(x, np.ndarray) else x)


def _map_leaves(fn: Callable[[Any], Any], struct: Any) -> Any:
    if isinstance(struct, dict):
        return {k: _map_leaves(fn, v) for k, v in struct.items()}
    if isinstance(struct, tuple):
        return tuple(_map_leaves(fn, v) for v in struct)
    return fn(struct)


def _first_leaf(struct: Any) -> Any:
    while isinstance(struct, (dict, tuple)):
        struct = next(iter(struct.values())) if isinstance(struct, dict) else struct[0]
    return struct


class RepeatedValues:
    """A batch of variable-length lists as a model receives it (RLlib 1.x ``RepeatedValues``).

    Args:
        values: ``[B, max_len, ...]`` items (numpy, torch or TF), or a dict/tuple of such for a
            ``Dict``/``Tuple`` child space; rows past a list's length are padding.
        lengths: ``[B]`` list lengths (float or int, as preprocessed).
        max_len: The space's ``max_len``.

    Examples:
        >>> rv = RepeatedValues(np.arange(8.0).reshape(2, 2, 2), np.array([1.0, 2.0]), 2)
        >>> [[item.tolist() for item in row] for row in rv.unbatch_all()]
        [[[0.0, 1.0]], [[4.0, 5.0], [6.0, 7.0]]]
        >>> rv.unbatch(0)[0].tolist()
        [0.0, 1.0]
    """

    def __init__(self, values: Any, lengths: Any, max_len: int):
        self.values = values
        self.lengths = lengths
        self.max_len = int(max_len)
        self._unbatched: Optional[List[List[Any]]] = None

    def _lengths(self) -> np.ndarray:
        # Lengths come through float rows (and dummy batches): round, then keep within [0, max_len].
        return np.clip(np.rint(_to_numpy(self.lengths)).astype(np.int64).reshape(-1), 0, self.max_len)

    def unbatch(self, i: int) -> List[Any]:
        """The list of row ``i``: its ``lengths[i]`` items, each in the child space's structure."""
        n = int(self._lengths()[i])
        return [_map_leaves(lambda v, j=j: v[i][j], self.values) for j in range(n)]

    def unbatch_all(self) -> List[List[Any]]:
        """All rows as lists of items (computed once and cached)."""
        if self._unbatched is None:
            batch = int(_first_leaf(self.values).shape[0])
            self._unbatched = [self.unbatch(i) for i in range(batch)]
        return self._unbatched

    def __repr__(self) -> str:
        return f"RepeatedValues(value={self.values!r}, lengths={self.lengths!r}, max_len={self.max_len})"


def unpack_repeated(obs: Any, space: Repeated, reshape: Optional[Callable[[Any, tuple], Any]] = None,
                    unpack_child: Optional[Callable[[Any, Any], Any]] = None) -> RepeatedValues:
    """Turns preprocessed rows ``[..., 1 + max_len * child_size]`` of a ``Repeated`` space into
    :class:`RepeatedValues` (``values`` ``[..., max_len, child_size]`` unpacked by
    ``unpack_child``, ``lengths`` ``[...]``).

    Args:
        obs: Preprocessed rows (numpy, torch or TF), leading dims kept.
        space: The ``Repeated`` space.
        reshape: ``reshape(x, shape)`` keeping ``x``'s leading dims and making the last one
            ``shape`` (default: numpy/torch ``x.reshape``).
        unpack_child: ``unpack_child(items, child_space)`` restores a structured child
            (``Dict``/``Tuple``) from ``[..., max_len, child_size]`` items; default: each item
            gets the child preprocessor's shape (a ``Box`` child its own shape).

    Examples:
        >>> space = Repeated(gym.spaces.Box(0.0, 1.0, (1,)), max_len=2)
        >>> rv = unpack_repeated(np.array([[1.0, 0.5, 0.0]]), space)
        >>> rv.values.tolist(), rv.lengths.tolist()
        ([[[0.5], [0.0]]], [1.0])
    """
    reshape = reshape or (lambda x, shape: x.reshape(tuple(x.shape[:-1]) + tuple(shape)))
    child = RepeatedValuesPreprocessor(space).child_preprocessor
    width = obs.shape[-1]
    if width is not None and int(width) != 1 + space.max_len * child.size:
        raise ValueError(f"observations of width {int(width)} do not match {space} "
                         f"(flat size {1 + space.max_len * child.size})")
    if unpack_child is None:
        values = reshape(obs[..., 1:], (space.max_len,) + tuple(child.shape))
    else:
        values = unpack_child(reshape(obs[..., 1:], (space.max_len, child.size)), space.child_space)
    return RepeatedValues(values, obs[..., 0], space.max_len)

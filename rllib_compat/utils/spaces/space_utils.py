"""RLlib 1.x import path ``ray.rllib.utils.spaces.space_utils``: helpers for nested (Tuple/Dict) spaces and values.

``flatten_space`` lists a space's primitive (non Tuple/Dict) sub-spaces (rlcore's own);
``get_base_struct_from_space`` gives the same nesting as Python tuples/dicts of primitive spaces;
``flatten_to_single_ndarray`` concatenates one (possibly nested) value into a 1-D array;
``unbatch`` turns a nest of batches into a list of nests; ``clip_action`` clips the Box leaves
of an action to their bounds; ``unsquash_action`` / ``normalize_action`` map Box leaves between
``[-1, 1]`` and ``[low, high]``. Nests are dicts (walked in sorted key order), lists and tuples.

Note: ``rlcore.policy.dummy_batch.flatten_to_single_ndarray`` works on *batched* nested actions
(``[B, ...]`` leaves -> ``[B, D]``); the 1.x function here flattens a single value to ``[D]``.

Examples:
    >>> import gymnasium as gym
    >>> space = gym.spaces.Dict({"a": gym.spaces.Box(0, 1, (2,)), "b": gym.spaces.Tuple([gym.spaces.Discrete(2)])})
    >>> get_base_struct_from_space(space)["b"]
    (Discrete(2),)
    >>> flatten_to_single_ndarray([np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([5, 6])]).tolist()
    [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    >>> unbatch({"a": np.array([1, 2]), "b": (np.array([3.0, 4.0]),)})
    [{'a': np.int64(1), 'b': (np.float64(3.0),)}, {'a': np.int64(2), 'b': (np.float64(4.0),)}]
"""

from __future__ import annotations

from typing import Any, List

import numpy as np

from rlcore.models.action_dist import flatten_space
from rlcore.policy.policy import clip_action
from rllib_compat.utils._tree import flatten, unflatten_as

__all__ = [
    "clip_action", "flatten_space", "flatten_to_single_ndarray", "get_base_struct_from_space", "normalize_action",
    "unbatch", "unsquash_action",
]


def get_base_struct_from_space(space: Any) -> Any:
    """A Tuple/Dict space as a Python tuple/dict of the same nesting, primitive spaces as leaves.

    Examples:
        >>> import gymnasium as gym
        >>> get_base_struct_from_space(gym.spaces.Discrete(3))
        Discrete(3)
    """
    import gymnasium as gym

    if isinstance(space, gym.spaces.Tuple):
        return tuple(get_base_struct_from_space(s) for s in space.spaces)
    if isinstance(space, gym.spaces.Dict):
        return {k: get_base_struct_from_space(s) for k, s in space.spaces.items()}
    return space


def flatten_to_single_ndarray(input_: Any) -> Any:
    """One value as a 1-D array: the leaves of a list/tuple/dict flattened and concatenated.

    A value that is not a list, tuple or dict is returned as is (RLlib 1.x).

    Examples:
        >>> flatten_to_single_ndarray({"x": np.ones((2, 2)), "y": 3.0}).tolist()
        [1.0, 1.0, 1.0, 1.0, 3.0]
    """
    if isinstance(input_, (list, tuple, dict)):
        return np.concatenate([np.reshape(leaf, [-1]) for leaf in flatten(input_)], axis=0)
    return input_


def unbatch(batches_struct: Any) -> List[Any]:
    """A nest of ``[B, ...]`` batches as a list of ``B`` nests (one per row).

    Raises:
        ValueError: the leaves have different batch sizes.
    """
    leaves = flatten(batches_struct)
    sizes = {len(leaf) for leaf in leaves}
    if len(sizes) > 1:
        raise ValueError(f"unbatch: the leaves have different batch sizes {sorted(sizes)}")
    return [unflatten_as(batches_struct, [leaf[i] for leaf in leaves]) for i in range(sizes.pop() if sizes else 0)]


def _map_box_leaves(fn: Any, action: Any, space: Any) -> Any:
    import gymnasium as gym

    structs = get_base_struct_from_space(space)
    leaves = [fn(a, s) if isinstance(s, gym.spaces.Box) else a for a, s in zip(flatten(action), flatten(structs))]
    return unflatten_as(action, leaves)


def unsquash_action(action: Any, action_space_struct: Any) -> Any:
    """Maps Box leaves from ``[-1, 1]`` to their ``[low, high]`` (then clips); other leaves unchanged.

    Examples:
        >>> import gymnasium as gym
        >>> unsquash_action(np.array([-1.0, 0.0, 3.0]), gym.spaces.Box(0.0, 10.0, (3,))).tolist()
        [0.0, 5.0, 10.0]
    """

    def unsquash(a: Any, s: Any) -> Any:
        out = s.low + (np.asarray(a) + 1.0) * (s.high - s.low) / 2.0
        return np.clip(out, s.low, s.high)

    return _map_box_leaves(unsquash, action, action_space_struct)


def normalize_action(action: Any, action_space_struct: Any) -> Any:
    """Maps Box leaves from ``[low, high]`` to ``[-1, 1]`` (inverse of :func:`unsquash_action`).

    Examples:
        >>> import gymnasium as gym
        >>> normalize_action(np.array([0.0, 5.0]), gym.spaces.Box(0.0, 10.0, (2,))).tolist()
        [-1.0, 0.0]
    """
    return _map_box_leaves(lambda a, s: (np.asarray(a) - s.low) * 2.0 / (s.high - s.low) - 1.0, action,
                           action_space_struct)

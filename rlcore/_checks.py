"""Argument checks shared by the compiled core and its numpy twin, so both fail alike.

Kernels are strict: a wrong dtype is a ``TypeError``; a wrong shape, length or a non-contiguous
array is a ``ValueError``; each message names the argument. Nothing is cast or copied silently.

Examples:
    >>> import numpy as np
    >>> _f32("rewards", np.zeros(3))
    Traceback (most recent call last):
    ...
    TypeError: rewards must have dtype float32, got float64
"""

from __future__ import annotations

import numpy as np

_FLAG_DTYPES = (np.dtype(np.bool_), np.dtype(np.uint8))



def _array(name: str, x, dtypes, ndim=None, length=None) -> np.ndarray:
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(x).__name__}")
    if x.dtype not in dtypes:
        want = " or ".join(str(d) for d in dtypes)
        raise TypeError(f"{name} must have dtype {want}, got {x.dtype}")
    if ndim is not None and x.ndim not in ((ndim,) if isinstance(ndim, int) else ndim):
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {x.shape}")
    if not x.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous (use np.ascontiguousarray)")
    if length is not None and x.shape[0] != length:
        raise ValueError(f"{name} has {x.shape[0]} rows, expected {length} (as rewards)")
    return x


def _f32(name, x, length=None):
    return _array(name, x, (np.dtype(np.float32),), 1, length)


def _flags(name, x, length=None):
    return _array(name, x, _FLAG_DTYPES, 1, length).view(np.bool_)


def _categorical_logp_args(logits, actions) -> None:
    """The inputs of ``categorical_logp``: ``[N, K >= 1]`` float32 logits and ``N`` int64 actions."""
    _array("logits", logits, (np.dtype(np.float32),), 2)
    if logits.shape[1] < 1:
        raise ValueError(f"logits has shape {logits.shape}, expected at least one column (one per action)")
    _array("actions", actions, (np.dtype(np.int64),), 1)
    if actions.shape[0] != logits.shape[0]:
        raise ValueError(f"actions has {actions.shape[0]} rows, expected {logits.shape[0]} (as logits)")


def _ppo_shapes(logits, logits_old, actions, logp_old, advantages, values, vf_preds, value_targets,
                weights) -> None:
    """The inputs of ``ppo_categorical_loss``: ``[N, K]`` float32 logits, ``N`` rows of the rest."""
    f32 = (np.dtype(np.float32),)
    _array("logits", logits, f32, 2)
    n, k = logits.shape
    if k < 1:
        raise ValueError(f"logits has shape {logits.shape}, expected at least one column (one per action)")
    _array("logits_old", logits_old, f32, 2)
    if logits_old.shape != logits.shape:
        raise ValueError(f"logits_old has shape {logits_old.shape}, expected {logits.shape} (as logits)")
    columns = [("actions", actions, (np.dtype(np.int64),)), ("logp_old", logp_old, f32), ("advantages", advantages, f32)]
    if values is not None:
        columns += [("values", values, f32), ("vf_preds", vf_preds, f32), ("value_targets", value_targets, f32)]
    if weights is not None:
        columns.append(("weights", weights, f32))
    for name, arr, dtypes in columns:
        if arr is None:
            raise TypeError(f"{name} must be a numpy array when values are given, got None")
        _array(name, arr, dtypes, 1)
        if arr.shape[0] != n:
            raise ValueError(f"{name} has {arr.shape[0]} rows, expected {n} (as logits)")


def _segments(seg_lens, total: int) -> np.ndarray:
    seg_lens = _array("seg_lens", seg_lens, (np.dtype(np.int64),), 1)
    if (seg_lens < 0).any():
        raise ValueError("seg_lens must be non-negative")
    if int(seg_lens.sum()) != total:
        raise ValueError(f"seg_lens sums to {int(seg_lens.sum())}, expected {total} (the number of rows)")
    return seg_lens


def _rows(name: str, arr, n: int, shape: tuple, dtype: np.dtype) -> np.ndarray:
    """Checks an array of ``n`` rows of ``shape`` and exactly ``dtype`` (collector inputs)."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(arr).__name__}")
    if arr.dtype != dtype:
        raise TypeError(f"{name} must have dtype {dtype}, got {arr.dtype}")
    if arr.shape != (n, *shape):
        raise ValueError(f"{name} has shape {arr.shape}, expected {(n, *shape)}")
    if not arr.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous (use np.ascontiguousarray)")
    return arr


def _env_ids(env_ids, num_envs: int) -> np.ndarray:
    """``None`` (every env) or an int64 array of env indices in ``[0, num_envs)``."""
    if env_ids is None:
        return np.arange(num_envs, dtype=np.int64)
    env_ids = _array("env_ids", env_ids, (np.dtype(np.int64),), 1)
    if len(env_ids) and (env_ids.min() < 0 or env_ids.max() >= num_envs):
        raise IndexError(f"env_ids out of range [0, {num_envs})")
    return env_ids


def _distinct_env_ids(env_ids, num_envs: int) -> np.ndarray:
    """:func:`_env_ids` of a given array whose indices are also all different (rows per env)."""
    env_ids = _env_ids(env_ids, num_envs)
    if len(np.unique(env_ids)) != len(env_ids):
        raise ValueError(f"env_ids must not repeat an env, got {env_ids.tolist()}")
    return env_ids


def _extras_list(extras, names: tuple) -> list:
    """Extras given as a mapping by name or a sequence in ``names`` order, as a list."""
    if isinstance(extras, dict):
        if len(extras) != len(names) or any(k not in extras for k in names):
            raise ValueError(f"extras must have exactly the columns {list(names)}, got {list(extras)}")
        return [extras[k] for k in names]
    if not isinstance(extras, (list, tuple)) or len(extras) != len(names):
        raise ValueError(f"extras must hold {len(names)} arrays, for {list(names)}")
    return list(extras)


def _collector_spec(obs_shape, obs_dtype, action_shape, action_dtype, extras, fixed: tuple) -> dict:
    """Column name -> (row shape, dtype) for obs, actions and extras, validated."""
    specs = {"obs": (obs_shape, obs_dtype), "actions": (action_shape, action_dtype)}
    for name, spec in (extras or {}).items():
        if name in fixed or name in specs:
            raise ValueError(f"extra column {name!r} clashes with a built-in column")
        if not isinstance(spec, (tuple, list)) or len(spec) != 2:
            raise TypeError(f"extras[{name!r}] must be (shape, dtype), got {spec!r}")
        specs[name] = spec
    out = {}
    for name, (shape, dtype) in specs.items():
        dtype = np.dtype(dtype)
        if dtype.hasobject:
            raise TypeError(f"column {name!r}: object dtype is not supported")
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        if any(not isinstance(d, (int, np.integer)) or d < 0 for d in shape):
            raise ValueError(f"column {name!r}: shape must be non-negative ints, got {shape!r}")
        out[name] = (tuple(int(d) for d in shape), dtype)
    return out


def _collector_args(num_envs, fragment_length, batch_mode) -> None:
    if isinstance(num_envs, bool) or not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
        raise ValueError(f"num_envs must be an int >= 1, got {num_envs!r}")
    if isinstance(fragment_length, bool) or not isinstance(fragment_length, (int, np.integer)) or fragment_length < 1:
        raise ValueError(f"fragment_length must be an int >= 1, got {fragment_length!r}")
    if batch_mode not in BATCH_MODES:
        raise ValueError(f"batch_mode must be one of {BATCH_MODES}, got {batch_mode!r}")


BATCH_MODES = ("truncate_episodes", "complete_episodes")
COLLECTOR_COLUMNS = (
    "obs", "new_obs", "actions", "rewards", "terminateds", "truncateds", "dones",
    "eps_id", "t", "env_id", "unroll_id",
)  # fmt: skip


#: How deep the JSON line parsers nest lists and objects into arrays and dicts (deeper stays as parsed).
JSON_MAX_DEPTH = 32


def _json_number(x) -> bool:
    return type(x) is bool or type(x) is float or (type(x) is int and -10**18 < x < 10**18)


def json_numbers(value: list):
    """``np.asarray(value)`` when ``value`` nests lists of one length per level (at most
    ``JSON_MAX_DEPTH`` deep) down to leaves that are all bools, floats or integers of at most 18
    digits (so a bool, int64 or float64 array); otherwise ``value`` itself.

    Examples:
        >>> json_numbers([[1, 2.5], [True, 4]])
        array([[1. , 2.5],
               [1. , 4. ]])
        >>> json_numbers([[1], [2, 3]])
        [[1], [2, 3]]
    """
    level, depth = value, 1  # the items of the lists at depth ``depth - 1``
    while level and all(type(x) is list for x in level):
        if depth == JSON_MAX_DEPTH or len({len(x) for x in level}) > 1:
            return value
        level, depth = [y for x in level for y in x], depth + 1
    return np.asarray(value) if all(_json_number(x) for x in level) else value

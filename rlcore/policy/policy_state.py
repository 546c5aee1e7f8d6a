"""Policy state on disk: a msgpack file holding a policy's ``get_state()`` (numpy arrays included).

``get_state()`` returns nested dicts/lists of numbers, strings and numpy arrays; msgpack cannot
pack ndarrays itself (stack_notes.md §1), so arrays are written as ``{"__ndarray__": [dtype,
shape, bytes]}`` maps and read back as writable arrays. No pickle: a checkpoint is data only.

Examples:
    >>> import numpy as np
    >>> state = {"weights": {"w": np.arange(3, dtype=np.float32)}, "global_timestep": 7}
    >>> back = unpackb(packb(state))
    >>> back["weights"]["w"].tolist(), back["global_timestep"]
    ([0.0, 1.0, 2.0], 7)
"""

from __future__ import annotations

import os
from typing import Any

import msgpack
import numpy as np

__all__ = ["packb", "unpackb", "save_state", "load_state", "STATE_FILE"]

#: File name ``Policy.export_checkpoint`` writes inside its directory.
STATE_FILE = "policy_state.msgpack"
_ND = "__ndarray__"


def _default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            raise TypeError(f"cannot pack an object-dtype array of shape {obj.shape} into a policy state")
        return {_ND: [obj.dtype.str, list(obj.shape), np.ascontiguousarray(obj).tobytes()]}
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"cannot pack {type(obj).__name__} into a policy state: expected numbers, str, lists, dicts or ndarrays")


def _hook(obj: dict) -> Any:
    if len(obj) == 1 and _ND in obj:
        dtype, shape, data = obj[_ND]
        return np.frombuffer(data, dtype=np.dtype(dtype)).reshape(shape).copy()
    return obj


def packb(state: Any) -> bytes:
    """Packs a state (nested dicts/lists/ndarrays) into bytes."""
    return msgpack.packb(state, default=_default, use_bin_type=True)


def unpackb(data: bytes) -> Any:
    """Inverse of :func:`packb`; integer map keys (torch optimizer state) are kept."""
    return msgpack.unpackb(data, object_hook=_hook, raw=False, strict_map_key=False)


def save_state(state: Any, export_dir: str, filename: str = STATE_FILE) -> str:
    """Writes ``state`` to ``export_dir/filename`` (creating the directory); returns the path."""
    os.makedirs(export_dir, exist_ok=True)
    path = os.path.join(export_dir, filename)
    with open(path, "wb") as f:
        f.write(packb(state))
    return path


def load_state(path: str) -> Any:
    """Reads a state written by :func:`save_state` (a file, or a directory holding ``STATE_FILE``).

    Raises:
        ValueError: if the file is not a msgpack policy state.
    """
    if os.path.isdir(path):
        path = os.path.join(path, STATE_FILE)
    with open(path, "rb") as f:
        data = f.read()
    try:
        return unpackb(data)
    except Exception as err:  # msgpack raises several unrelated types on corrupt input
        raise ValueError(f"checkpoint {path!r} is not a msgpack policy state ({type(err).__name__}: {err})") from err

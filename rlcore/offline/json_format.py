"""The offline line format: one sample batch as one JSON object (RLlib 1.x's ``JsonWriter`` lines).

A single-agent line is ``{"type": "SampleBatch", <column>: <value>, ...}``; a multi-agent line is
``{"type": "MultiAgentBatch", "count": <env steps>, "policy_batches": {<pid>: {<column>:
<value>, ...}}}``, as RLlib 1.x writes them. A column's value is either

- a JSON list (``array.tolist()``; objects such as ``infos`` dicts as JSON), as 1.x writes every
  column it does not compress, or
- a string: a compressed column. rlcore writes ``base64(RLZ4 header + LZ4 block)`` over the
  column's raw bytes with its dtype and shape (:mod:`rlcore.data.compression`); RLlib 1.x wrote
  ``base64(lz4.frame(pickle(array)))``. The latter is unpickled only when the reader is told
  ``allow_pickled_columns=True`` (with a warning): unpickling runs code from the file.

Reading turns JSON lists into arrays: integers as int64, booleans as bool, numbers with a
fraction as float32 (the dtype rlcore's and 1.x's samplers write; float32 values survive the
trip exactly), anything ragged or non-numeric as an object column.

Examples:
    >>> import numpy as np
    >>> from rlcore.data.sample_batch import SampleBatch
    >>> b = SampleBatch({"obs": np.arange(6, dtype=np.float32).reshape(3, 2), "actions": np.array([0, 1, 1])})
    >>> line = to_json_line(b, compress_columns=())
    >>> line[:45]
    '{"type": "SampleBatch", "obs": [[0.0, 1.0], ['
    >>> back = from_json_line(line)
    >>> back["obs"].dtype, back["actions"].tolist()
    (dtype('float32'), [0, 1, 1])
    >>> packed = from_json_line(to_json_line(b, compress_columns=("obs",)))
    >>> bool((packed["obs"] == b["obs"]).all()), packed["obs"].dtype
    (True, dtype('float32'))
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import struct
from typing import Any, Collection, Dict

import numpy as np

from rlcore.data.compression import MAGIC, compress_rows, decompress_rows
from rlcore.data.multi_agent_batch import MultiAgentBatch
from rlcore.data.sample_batch import SampleBatch

__all__ = ["to_json_line", "to_json_dict", "from_json_line", "from_json_dict", "encode_column", "decode_column",
           "OfflineDataError", "PickledColumnError"]

logger = logging.getLogger(__name__)

#: base64 of the first bytes of an LZ4 frame (RLlib 1.x's ``pack``: lz4.frame over a pickle).
_LZ4_FRAME_MAGIC = b"\x04\x22\x4d\x18"


class OfflineDataError(ValueError):
    """A line of an offline file that cannot be read; the message names the file and line."""


class PickledColumnError(OfflineDataError):
    """A column RLlib 1.x stored as a pickle, read without ``allow_pickled_columns=True``."""


# ------------------------------------------------------------------------------------ writing
def encode_column(value: Any, compress: bool) -> Any:
    """A column as its JSON value: a compressed string, or a (nested) list.

    Only plain numeric arrays (bool, ints, floats) are compressed; other columns (``infos``) are
    written as JSON lists even when their name is in ``compress_columns``.

    Examples:
        >>> encode_column(np.array([1, 2]), compress=False)
        [1, 2]
        >>> encode_column(np.zeros((2, 3), np.uint8), compress=True)[:6]
        'UkxaNA'
    """
    if isinstance(value, np.ndarray):
        if compress and value.dtype.kind in "biuf" and value.ndim >= 1:
            return base64.b64encode(compress_rows(value[None])[0]).decode("ascii")
        if value.dtype == object:
            return [_jsonable(v) for v in value.tolist()]
        return value.tolist()
    return _jsonable(value)


def _jsonable(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v


def _columns_dict(batch: SampleBatch, compress_columns: Collection[str]) -> Dict[str, Any]:
    return {k: encode_column(v, k in compress_columns) for k, v in batch.items()}


def to_json_dict(batch: SampleBatch | MultiAgentBatch, compress_columns: Collection[str] = ("obs", "new_obs")) -> dict:
    """The JSON object of one batch (see the module docstring).

    Raises:
        TypeError: ``batch`` is neither a ``SampleBatch`` nor a ``MultiAgentBatch``.
    """
    if isinstance(batch, MultiAgentBatch):
        return {"type": "MultiAgentBatch", "count": int(batch.count),
                "policy_batches": {str(pid): _columns_dict(b, compress_columns)
                                   for pid, b in batch.policy_batches.items()}}
    if isinstance(batch, SampleBatch):
        return {"type": "SampleBatch", **_columns_dict(batch, compress_columns)}
    raise TypeError(f"cannot write a {type(batch).__name__} as an offline line; expected a SampleBatch or "
                    "MultiAgentBatch")


def to_json_line(batch: SampleBatch | MultiAgentBatch, compress_columns: Collection[str] = ("obs", "new_obs")) -> str:
    """One line (without the newline) holding ``batch``.

    Raises:
        TypeError: For a value JSON cannot hold, naming its column.
    """
    out = to_json_dict(batch, compress_columns)
    try:
        return json.dumps(out)
    except (TypeError, ValueError) as err:
        cols = out.get("policy_batches", {"": out})
        for pid, columns in cols.items():
            for name, value in columns.items():
                try:
                    json.dumps(value)
                except (TypeError, ValueError) as col_err:
                    where = f"policy {pid!r} column {name!r}" if pid else f"column {name!r}"
                    raise TypeError(f"cannot write {where} as JSON: {col_err}") from None
        raise TypeError(f"cannot write the batch as JSON: {err}") from None


# ------------------------------------------------------------------------------------ reading
def _list_column(value: list) -> np.ndarray:
    try:
        arr = np.asarray(value)
    except ValueError:  # ragged
        arr = None
    if arr is None or arr.dtype.kind not in "biuf":
        out = np.empty(len(value), dtype=object)
        out[:] = [v for v in value] if value else []
        return out
    return arr.astype(np.float32) if arr.dtype == np.float64 else arr


def decode_column(value: Any, allow_pickled_columns: bool = False, where: str = "") -> Any:
    """A column's array from its JSON value (see the module docstring).

    Args:
        value: A JSON list, or a compressed string.
        allow_pickled_columns: Unpickle RLlib 1.x's compressed columns (runs code from the file).
        where: Names the file, line and column in errors.

    Raises:
        PickledColumnError: A 1.x pickled column without ``allow_pickled_columns``.
        OfflineDataError: A string that is no compressed column of either kind.

    Examples:
        >>> decode_column([[1, 2], [3, 4]]).dtype
        dtype('int64')
        >>> decode_column("hello", where="f.json line 3 column 'obs'")
        Traceback (most recent call last):
        ...
        rlcore.offline.json_format.OfflineDataError: f.json line 3 column 'obs': a string that is not a compressed column (expected base64 of an rlcore RLZ4 block or of RLlib 1.x's LZ4 frame)
    """
    if isinstance(value, list):
        return _list_column(value)
    if not isinstance(value, str):
        return value
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if raw[:4] == MAGIC:
        try:
            return decompress_rows([raw])[0]
        except (ValueError, struct.error, _lz4_block_error()) as err:
            raise OfflineDataError(f"{where}: a damaged compressed column ({err})") from None
    if raw[:4] == _LZ4_FRAME_MAGIC:
        if not allow_pickled_columns:
            raise PickledColumnError(
                f"{where}: RLlib 1.x stored this column as a pickle (base64 of lz4.frame(pickle)); unpickling runs code "
                "from the file, so it is refused. If you trust the file, pass allow_pickled_columns=True "
                "(config: input_config={'allow_pickled_columns': True}), or rewrite it uncompressed with RLlib "
                "(output_compress_columns=[])")
        import pickle

        import lz4.frame

        logger.warning("%s: unpickling a column RLlib 1.x pickled (allow_pickled_columns=True)", where)
        return pickle.loads(lz4.frame.decompress(raw))  # noqa: S301 - explicit opt-in above
    raise OfflineDataError(f"{where}: a string that is not a compressed column (expected base64 of an rlcore RLZ4 "
                           "block or of RLlib 1.x's LZ4 frame)")


def _lz4_block_error() -> type:
    import lz4.block

    return lz4.block.LZ4BlockError


def _batch(columns: Any, allow: bool, where: str) -> SampleBatch:
    if not isinstance(columns, dict):
        raise OfflineDataError(f"{where}: expected an object of columns, got {type(columns).__name__}")
    data = {k: decode_column(v, allow, f"{where} column {k!r}") for k, v in columns.items()}
    try:
        return SampleBatch(data)
    except (ValueError, TypeError) as err:
        raise OfflineDataError(f"{where}: {err}") from None


def from_json_dict(data: Any, allow_pickled_columns: bool = False, where: str = "line") -> SampleBatch | MultiAgentBatch:
    """The batch of one parsed line (see :func:`from_json_line`)."""
    if not isinstance(data, dict):
        raise OfflineDataError(f"{where}: expected a JSON object, got {type(data).__name__}")
    kind = data.get("type")
    if kind == "SampleBatch":
        return _batch({k: v for k, v in data.items() if k != "type"}, allow_pickled_columns, where)
    if kind == "MultiAgentBatch":
        pbs, count = data.get("policy_batches"), data.get("count")
        if not isinstance(pbs, dict) or not isinstance(count, int):
            raise OfflineDataError(f"{where}: a MultiAgentBatch needs 'policy_batches' (an object) and 'count' (an int)")
        return MultiAgentBatch({pid: _batch(cols, allow_pickled_columns, f"{where} policy {pid!r}")
                                for pid, cols in pbs.items()}, count)
    raise OfflineDataError(f"{where}: 'type' is {kind!r}; expected 'SampleBatch' or 'MultiAgentBatch'")


def from_json_line(line: str | bytes, allow_pickled_columns: bool = False,
                   where: str = "line") -> SampleBatch | MultiAgentBatch:
    """The batch of one line.

    Args:
        line: The line (text or UTF-8 bytes).
        allow_pickled_columns: Unpickle RLlib 1.x's compressed columns (a warning is logged).
        where: Names the line in errors (``"<file> line <n>"``).

    Raises:
        OfflineDataError: Malformed JSON (a truncated line), a missing or unknown ``type``,
            unequal column lengths, a damaged compressed column.
        PickledColumnError: A 1.x pickled column without ``allow_pickled_columns``.

    Examples:
        >>> from_json_line('{"type": "SampleBatch", "obs": [1, 2', where="out.json line 7")
        Traceback (most recent call last):
        ...
        rlcore.offline.json_format.OfflineDataError: out.json line 7: not valid JSON (truncated or corrupt): Expecting ',' delimiter at char 36
    """
    try:
        data = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        msg = f"{err.msg} at char {err.pos}" if isinstance(err, json.JSONDecodeError) else str(err)
        raise OfflineDataError(f"{where}: not valid JSON (truncated or corrupt): {msg}") from None
    return from_json_dict(data, allow_pickled_columns, where)

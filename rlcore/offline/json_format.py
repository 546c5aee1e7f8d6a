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

Writing (:func:`to_json_bytes`, what ``JsonWriter`` uses) serialises with orjson straight from
the arrays (compact separators; float32 values in their shortest form that reads back to the
same float32); a batch holding something orjson would write differently from :func:`json.dumps`
(NaN and infinities, which orjson turns into ``null``) is written by :func:`json.dumps`
(:func:`to_json_line`), as 1.x wrote it. Both kinds are plain JSON lines that 1.x reads.

Reading goes through the compiled core's ``json_line_arrays``, which reads every rectangular list
of numbers straight into its array and hands the other values' text to orjson, or to the standard
library for what orjson refuses (``NaN``, integers beyond 64 bits; a line neither reads is
reported with the standard library's message). JSON lists become arrays: integers as int64, booleans as bool, numbers with a fraction as float32
(the dtype rlcore's and 1.x's samplers write; float32 values survive the trip exactly), anything
ragged or non-numeric as an object column.

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
import math
import struct
from typing import Any, Collection, Dict

import numpy as np
import orjson

from rlcore._backend import json_line_arrays
from rlcore.data.compression import MAGIC, compress_rows, decompress_row
from rlcore.data.multi_agent_batch import MultiAgentBatch
from rlcore.data.sample_batch import SampleBatch

__all__ = ["to_json_line", "to_json_bytes", "to_json_dict", "from_json_line", "from_json_dict", "encode_column", "decode_column",
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


class _NeedsStdlib(Exception):
    """A value orjson would write differently from :func:`json.dumps` (a non-finite float: orjson
    writes ``null``, ``json.dumps`` and RLlib 1.x write ``NaN``/``Infinity``)."""


#: orjson options: values json.dumps refuses (datetimes, dataclasses) are refused too.
_STRICT = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _orjson_value(value: Any, compress: bool) -> Any:
    """A column as orjson serialises it: numeric arrays as they are (orjson writes their numbers
    itself, float32 in their shortest round-trip form), other values as plain Python objects."""
    if isinstance(value, np.ndarray):
        kind = value.dtype.kind
        if compress and kind in "biuf" and value.ndim >= 1:
            return base64.b64encode(compress_rows(value[None])[0]).decode("ascii")
        if kind in "biuf" and value.ndim >= 1 and value.dtype.isnative:
            if kind == "f" and not np.isfinite(value).all():
                raise _NeedsStdlib
            return np.ascontiguousarray(value)
        if value.dtype == object:
            items = value.tolist()
            try:  # most object columns (infos dicts) orjson writes as they are
                raw = orjson.dumps(items, option=_STRICT)
            except orjson.JSONEncodeError:  # numpy scalars, non-str keys, ...: made plain below
                raw = b"null"
            if b"null" not in raw:  # a null may have been a NaN (orjson writes NaN as null)
                return orjson.Fragment(raw)
            return [_plain_value(v) for v in items]
        return _plain_value(value.tolist())
    return _plain_value(value)


def _plain_value(v: Any) -> Any:
    if isinstance(v, float):
        if not math.isfinite(v):
            raise _NeedsStdlib
        return v
    if isinstance(v, (str, int, bool)) or v is None:
        return v
    if isinstance(v, np.ndarray):
        return _plain_value(v.tolist())
    if isinstance(v, np.generic):
        return _plain_value(v.item())
    if isinstance(v, dict):
        return {str(k): _plain_value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain_value(x) for x in v]
    return v  # orjson refuses what it cannot hold; the json.dumps path then names the column


def _orjson_columns(batch: SampleBatch, compress_columns: Collection[str]) -> Dict[str, Any]:
    return {k: _orjson_value(v, k in compress_columns) for k, v in batch.items()}


def to_json_bytes(batch: SampleBatch | MultiAgentBatch, compress_columns: Collection[str] = ("obs", "new_obs")) -> bytes:
    """One line (UTF-8, without the newline) holding ``batch``: the line :func:`to_json_line`
    returns, written by orjson (compact separators; float32 values in their shortest form that
    reads back to the same float32).

    Values orjson cannot write as :func:`json.dumps` would (non-finite floats, integers beyond 64
    bits) go through :func:`to_json_line`'s standard-library path instead.

    Raises:
        TypeError: ``batch`` is neither a ``SampleBatch`` nor a ``MultiAgentBatch``, or a value
            JSON cannot hold (naming its column).

    Examples:
        >>> b = SampleBatch({"obs": np.array([[0.1, 2.0]], np.float32), "dones": np.array([True])})
        >>> to_json_bytes(b, compress_columns=())
        b'{"type":"SampleBatch","obs":[[0.1,2.0]],"dones":[true]}'
        >>> to_json_bytes(SampleBatch({"rewards": np.array([np.nan], np.float32)}))
        b'{"type": "SampleBatch", "rewards": [NaN]}'
    """
    try:
        if isinstance(batch, MultiAgentBatch):
            out: Dict[str, Any] = {"type": "MultiAgentBatch", "count": int(batch.count),
                                   "policy_batches": {str(pid): _orjson_columns(b, compress_columns)
                                                      for pid, b in batch.policy_batches.items()}}
        elif isinstance(batch, SampleBatch):
            out = {"type": "SampleBatch", **_orjson_columns(batch, compress_columns)}
        else:
            return to_json_line(batch, compress_columns).encode()  # raises the TypeError
        return orjson.dumps(out, option=orjson.OPT_SERIALIZE_NUMPY | _STRICT)
    except (_NeedsStdlib, orjson.JSONEncodeError):
        return to_json_line(batch, compress_columns).encode("utf-8")


def to_json_line(batch: SampleBatch | MultiAgentBatch, compress_columns: Collection[str] = ("obs", "new_obs")) -> str:
    """One line (without the newline) holding ``batch``, written by :func:`json.dumps` (see
    :func:`to_json_bytes` for the faster writer ``JsonWriter`` uses).

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
    if value and type(value[0]) is dict:  # infos: objects, never numbers (no numpy inference)
        arr = None
    else:
        try:
            arr = np.asarray(value)
        except ValueError:  # ragged
            arr = None
    if arr is None or arr.dtype.kind not in "biuf":
        return np.fromiter(value, dtype=object, count=len(value))  # one object per row
    return arr.astype(np.float32) if arr.dtype == np.float64 else arr


def decode_column(value: Any, allow_pickled_columns: bool = False, where: str = "") -> Any:
    """A column's array from its JSON value (see the module docstring).

    Args:
        value: A JSON list, the array json_line_arrays made of one, or a compressed string.
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
    if isinstance(value, np.ndarray):  # a list of numbers json_line_arrays read already
        return value.astype(np.float32) if value.dtype == np.float64 else value
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
            return decompress_row(raw)  # one row holding the whole column
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


def _decode(name: str, value: Any, allow: bool, where: str) -> Any:
    # only strings (compressed columns) need the column's place for their errors, so it is
    # formatted for them alone
    if isinstance(value, str):
        return decode_column(value, allow, f"{where} column {name!r}")
    return decode_column(value)


def _batch(columns: Any, allow: bool, where: str, skip: str = "") -> SampleBatch:
    if not isinstance(columns, dict):
        raise OfflineDataError(f"{where}: expected an object of columns, got {type(columns).__name__}")
    data = {k: _decode(k, v, allow, where) for k, v in columns.items() if k != skip}
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
        return _batch(data, allow_pickled_columns, where, skip="type")
    if kind == "MultiAgentBatch":
        pbs, count = data.get("policy_batches"), data.get("count")
        if not isinstance(pbs, dict) or not isinstance(count, int):
            raise OfflineDataError(f"{where}: a MultiAgentBatch needs 'policy_batches' (an object) and 'count' (an int)")
        return MultiAgentBatch({pid: _batch(cols, allow_pickled_columns, f"{where} policy {pid!r}")
                                for pid, cols in pbs.items()}, count)
    raise OfflineDataError(f"{where}: 'type' is {kind!r}; expected 'SampleBatch' or 'MultiAgentBatch'")


def _loads(line: str | bytes) -> Any:
    """One parsed line: orjson, or the standard library's parser for what orjson refuses.

    orjson refuses ``NaN``/``Infinity`` (``json.dumps`` writes them, and so did RLlib 1.x) and
    integers beyond 64 bits; :func:`json.loads` reads those. A line neither reads raises the
    standard library's error (its message and character position name what is wrong).
    """
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return json.loads(line)


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
    data = json_line_arrays(line if isinstance(line, bytes) else line.encode("utf-8", "surrogatepass"), _loads)
    if data is not None:
        return from_json_dict(data, allow_pickled_columns, where)
    try:  # not one JSON object: the parser says what is wrong
        data = _loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        msg = f"{err.msg} at char {err.pos}" if isinstance(err, json.JSONDecodeError) else str(err)
        raise OfflineDataError(f"{where}: not valid JSON (truncated or corrupt): {msg}") from None
    return from_json_dict(data, allow_pickled_columns, where)

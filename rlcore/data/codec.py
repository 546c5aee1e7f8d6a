"""Wire codec of experience batches: msgpack header plus raw, aligned column buffers.

A batch goes over sockets and into files as bytes, never as pickle. Layout of one message::

    b"RLCB"  version:u8  header_len:u32le   # 9-byte prefix
    header                                  # msgpack map: kind, flags, one spec per column
    zero padding to a multiple of 64
    column buffers                          # each at a 64-byte-aligned offset from here

A numeric column (bool, ints, uints, floats, complex, fixed-width bytes/str, datetime) is sent
as its raw C-order bytes with ``dtype.str`` (which keeps the byte order, e.g. ``">f4"``) and its
shape. Decoding makes each such column with ``np.frombuffer`` over the received buffer itself:
**zero-copy, and read-only when the input is ``bytes``** (a ``bytearray`` input gives writable
views sharing its memory). The column bytes sit outside the msgpack header because msgpack's
unpacker copies every ``bin`` value into a new ``bytes`` object, which would cost one full copy.

Object columns (``infos``) travel inside the header as msgpack values: dicts, lists, str, bytes,
int, float, bool, None, plus tuples, sets, numpy scalars and small arrays through msgpack ext
types, so they round-trip with their Python types. Any other object is a ``TypeError`` naming
the column. Malformed input raises ``ValueError("not an rlcore batch: ...")``.

Examples:
    >>> import numpy as np
    >>> from rlcore.data.sample_batch import SampleBatch
    >>> b = SampleBatch({"obs": np.ones((2, 3), np.float32), "infos": [{"a": 1}, {"a": (2, 3)}]})
    >>> c = from_bytes(to_bytes(b))
    >>> c["obs"].dtype, c["obs"].shape, c["obs"].flags.writeable, c["infos"][1]
    (dtype('float32'), (2, 3), False, {'a': (2, 3)})
    >>> from_bytes(b"hello")
    Traceback (most recent call last):
    ...
    ValueError: not an rlcore batch: 5 bytes, shorter than the 9-byte prefix
"""

from __future__ import annotations

import math
import struct
from typing import Any

import msgpack
import numpy as np

from rlcore.data.multi_agent_batch import MultiAgentBatch
from rlcore.data.sample_batch import SampleBatch

__all__ = ["to_bytes", "from_bytes", "pack_values", "unpack_values", "MAGIC", "VERSION"]

#: First four bytes of every encoded batch.
MAGIC = b"RLCB"
#: Format version written by this module (and the only one it reads).
VERSION = 1
_PREFIX = struct.Struct("<4sBI")
_ALIGN = 64
_RAW_KINDS = set("biufcSUMm")

# msgpack ext type codes for objects inside object columns.
_EXT_NDARRAY, _EXT_SCALAR, _EXT_TUPLE, _EXT_OBJARRAY, _EXT_SET = 1, 2, 3, 4, 5


def _align(n: int) -> int:
    return -(-n // _ALIGN) * _ALIGN


# ------------------------------------------------------------------------ object values
def _default(obj: Any) -> Any:
    """msgpack ``default`` hook (``strict_types=True``): exact types only reach msgpack."""
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            return msgpack.ExtType(_EXT_OBJARRAY, _pack([list(obj.shape), list(obj.ravel())]))
        if obj.dtype.kind not in _RAW_KINDS:
            raise TypeError(f"cannot encode an array of dtype {obj.dtype}")
        raw = np.ascontiguousarray(obj).tobytes()
        return msgpack.ExtType(_EXT_NDARRAY, _pack([obj.dtype.str, list(obj.shape), raw]))
    if isinstance(obj, np.generic):
        if obj.dtype.kind not in _RAW_KINDS:
            raise TypeError(f"cannot encode a numpy scalar of dtype {obj.dtype}")
        return msgpack.ExtType(_EXT_SCALAR, _pack([obj.dtype.str, obj.tobytes()]))
    if isinstance(obj, tuple):
        return msgpack.ExtType(_EXT_TUPLE, _pack(list(obj)))
    if isinstance(obj, (set, frozenset)):
        return msgpack.ExtType(_EXT_SET, _pack(list(obj)))
    for base in (bool, int, float, str, bytes, dict, list):  # subclasses (IntEnum, OrderedDict...)
        if isinstance(obj, base):
            return base(obj)
    raise TypeError(f"cannot encode an object of type {type(obj).__name__}")


def _ext_hook(code: int, data: bytes) -> Any:
    if code == _EXT_NDARRAY:
        dtype, shape, raw = _unpack(data)
        return np.frombuffer(raw, dtype=np.dtype(dtype)).reshape(shape).copy()
    if code == _EXT_SCALAR:
        dtype, raw = _unpack(data)
        return np.frombuffer(raw, dtype=np.dtype(dtype))[0]
    if code == _EXT_TUPLE:
        return tuple(_unpack(data))
    if code == _EXT_SET:
        return set(_unpack(data))
    if code == _EXT_OBJARRAY:
        shape, items = _unpack(data)
        return _object_array(items, shape)
    raise ValueError(f"unknown msgpack ext type {code}")


def _pack(obj: Any) -> bytes:
    return msgpack.packb(obj, default=_default, strict_types=True, use_bin_type=True)


def _unpack(data: Any) -> Any:
    return msgpack.unpackb(data, raw=False, ext_hook=_ext_hook, strict_map_key=False)


def pack_values(obj: Any) -> bytes:
    """msgpack bytes of a value made of dicts, lists, str, bytes, numbers, bool, None, tuples,
    sets, numpy arrays and scalars (the object-column encoding; no pickle).

    Raises:
        TypeError: For any other object (its type is named).

    Examples:
        >>> unpack_values(pack_values({"obs": np.arange(3, dtype=np.float32), "a": (1, 2)}))
        {'obs': array([0., 1., 2.], dtype=float32), 'a': (1, 2)}
    """
    return _pack(obj)


def unpack_values(data: Any) -> Any:
    """The value :func:`pack_values` packed (arrays come back writable).

    Raises:
        ValueError: ``"malformed msgpack value: ..."`` for anything that is not such a value
            (truncated or trailing bytes, a bad ext type, an array whose bytes do not fit).
    """
    try:
        return _unpack(data)
    except (ValueError, TypeError, KeyError, IndexError, RecursionError, msgpack.UnpackException) as err:
        raise ValueError(f"malformed msgpack value: {type(err).__name__}: {err}"[:300]) from None


def _object_array(items: list, shape: list) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        out[i] = item
    return out.reshape(shape)


# ------------------------------------------------------------------------------ encode
def _encode_batch(batch: SampleBatch, buffers: list, offset: list[int]) -> dict:
    cols = []
    for name, value in batch.items():
        if not isinstance(value, np.ndarray):
            raise TypeError(
                f"to_bytes: column {name!r} is a {type(value).__name__}; only numpy arrays can be encoded"
            )
        shape = [int(d) for d in value.shape]
        if value.dtype == object:
            cols.append([name, {"dtype": "|O", "shape": shape, "items": list(value.ravel())}])
            continue
        if value.dtype.kind not in _RAW_KINDS or value.dtype.fields is not None:
            raise TypeError(f"to_bytes: column {name!r} has dtype {value.dtype}, which cannot be encoded")
        flat = np.ascontiguousarray(value).reshape(-1).view(np.uint8)
        start = _align(offset[0])
        if start > offset[0]:
            buffers.append(bytes(start - offset[0]))
        buffers.append(memoryview(flat))
        offset[0] = start + flat.nbytes
        cols.append([name, {"dtype": value.dtype.str, "shape": shape, "offset": start, "nbytes": int(flat.nbytes)}])
    return {
        "columns": cols,
        "time_major": batch.time_major,
        "max_seq_len": batch.max_seq_len,
        "zero_padded": bool(batch.zero_padded),
        "is_training": batch.is_training,
    }


def to_bytes(batch: SampleBatch | MultiAgentBatch) -> bytes:
    """Encodes a SampleBatch or MultiAgentBatch (see the module docstring for the format).

    Raises:
        TypeError: For a non-batch, a non-array column, or an object that cannot be encoded
            (the column is named).

    Examples:
        >>> import numpy as np
        >>> data = to_bytes(SampleBatch({"a": np.arange(4, dtype=">i4")}))
        >>> data[:5], from_bytes(data)["a"].dtype
        (b'RLCB\\x01', dtype('>i4'))
    """
    buffers: list = []
    offset = [0]
    if isinstance(batch, SampleBatch):
        header: dict = {"kind": "SampleBatch", "batch": _encode_batch(batch, buffers, offset)}
    elif isinstance(batch, MultiAgentBatch):
        header = {
            "kind": "MultiAgentBatch",
            "env_steps": int(batch.count),
            "policies": [[pid, _encode_batch(b, buffers, offset)] for pid, b in batch.policy_batches.items()],
        }
    else:
        raise TypeError(f"to_bytes: expected a SampleBatch or MultiAgentBatch, got {type(batch).__name__}")
    try:
        head = _pack(header)
    except (TypeError, OverflowError, ValueError) as err:
        raise TypeError(f"to_bytes: an object column cannot be encoded: {err}") from err
    prefix = _PREFIX.pack(MAGIC, VERSION, len(head))
    pad = _align(len(prefix) + len(head)) - len(prefix) - len(head)
    return b"".join([prefix, head, bytes(pad), *buffers])


# ------------------------------------------------------------------------------ decode
class _Malformed(ValueError):
    pass


def _bad(msg: str) -> _Malformed:
    return _Malformed(f"not an rlcore batch: {msg}")


def _decode_batch(spec: Any, mv: memoryview, data_start: int) -> SampleBatch:
    if not isinstance(spec, dict) or not isinstance(spec.get("columns"), list):
        raise _bad("a batch spec has no 'columns' list")
    cols: dict[str, Any] = {}
    for entry in spec["columns"]:
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str) and isinstance(entry[1], dict)):
            raise _bad(f"malformed column entry {entry!r:.80}")
        name, col = entry
        shape = col.get("shape")
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise _bad(f"column {name!r} has a malformed shape {shape!r}")
        n = math.prod(shape)
        if col.get("dtype") == "|O":
            items = col.get("items")
            if not isinstance(items, list) or len(items) != n:
                raise _bad(f"object column {name!r} has no items list of {n} values")
            cols[name] = _object_array(items, shape)
            continue
        try:
            dtype = np.dtype(col.get("dtype"))
        except (TypeError, ValueError) as err:
            raise _bad(f"column {name!r} has an unknown dtype {col.get('dtype')!r}") from err
        if dtype.kind not in _RAW_KINDS:
            raise _bad(f"column {name!r} has an unsupported dtype {dtype}")
        off, nbytes = col.get("offset"), col.get("nbytes")
        if not isinstance(off, int) or not isinstance(nbytes, int) or off < 0 or nbytes != n * dtype.itemsize:
            raise _bad(f"column {name!r}: offset {off!r} / nbytes {nbytes!r} do not fit dtype {dtype} shape {shape}")
        start = data_start + off
        if start + nbytes > len(mv):
            raise _bad(f"column {name!r} needs bytes [{start}, {start + nbytes}) but the message has {len(mv)}")
        if nbytes == 0:
            arr = np.empty(shape, dtype=dtype)
            arr.flags.writeable = False
        else:
            arr = np.frombuffer(mv, dtype=dtype, count=n, offset=start).reshape(shape)
        cols[name] = arr
    max_seq_len = spec.get("max_seq_len")
    try:
        return SampleBatch(
            cols,
            _time_major=spec.get("time_major"),
            _max_seq_len=max_seq_len if isinstance(max_seq_len, int) else None,
            _zero_padded=bool(spec.get("zero_padded", False)),
            _is_training=spec.get("is_training"),
        )
    except (ValueError, TypeError) as err:
        raise _bad(f"inconsistent columns: {err}") from err


def from_bytes(data: bytes | bytearray | memoryview) -> SampleBatch | MultiAgentBatch:
    """Decodes what :func:`to_bytes` wrote.

    Numeric columns are views over ``data`` (zero-copy): read-only for ``bytes`` input; keep
    ``data`` alive as long as the columns (the arrays hold a reference to it anyway).

    Raises:
        TypeError: If ``data`` is not a bytes-like object.
        ValueError: ``"not an rlcore batch: ..."`` for anything malformed.

    Examples:
        >>> b = from_bytes(to_bytes(SampleBatch({"a": [[1, 2]]}, seq_lens=[1])))
        >>> b["a"].tolist(), b["seq_lens"].dtype, b.max_seq_len
        ([[1, 2]], dtype('int32'), 1)
    """
    if isinstance(data, memoryview):
        if not data.c_contiguous:
            raise ValueError("not an rlcore batch: the memoryview is not contiguous")
        mv = data.cast("B") if data.format != "B" or data.ndim != 1 else data
    elif isinstance(data, (bytes, bytearray)):
        mv = memoryview(data)
    else:
        raise TypeError(f"from_bytes: expected bytes, bytearray or memoryview, got {type(data).__name__}")
    if len(mv) < _PREFIX.size:
        raise ValueError(f"not an rlcore batch: {len(mv)} bytes, shorter than the {_PREFIX.size}-byte prefix")
    magic, version, hlen = _PREFIX.unpack_from(mv, 0)
    if magic != MAGIC:
        raise ValueError(f"not an rlcore batch: starts with {bytes(magic)!r}, expected {MAGIC!r}")
    if version != VERSION:
        raise ValueError(f"not an rlcore batch: format version {version}, this rlcore reads version {VERSION}")
    if _PREFIX.size + hlen > len(mv):
        raise ValueError(f"not an rlcore batch: header of {hlen} bytes runs past the end ({len(mv)} bytes)")
    try:
        header = _unpack(mv[_PREFIX.size : _PREFIX.size + hlen])
    except Exception as err:  # msgpack raises several types for garbage
        raise ValueError(f"not an rlcore batch: undecodable header ({type(err).__name__}: {err})") from err
    data_start = _align(_PREFIX.size + hlen)
    if not isinstance(header, dict):
        raise ValueError("not an rlcore batch: the header is not a map")
    kind = header.get("kind")
    if kind == "SampleBatch":
        return _decode_batch(header.get("batch"), mv, data_start)
    if kind == "MultiAgentBatch":
        policies, env_steps = header.get("policies"), header.get("env_steps")
        if not isinstance(policies, list) or not isinstance(env_steps, int) or env_steps < 0:
            raise ValueError("not an rlcore batch: malformed MultiAgentBatch header")
        out = {}
        for entry in policies:
            if not (isinstance(entry, list) and len(entry) == 2):
                raise ValueError(f"not an rlcore batch: malformed policy entry {entry!r:.80}")
            out[entry[0]] = _decode_batch(entry[1], mv, data_start)
        return MultiAgentBatch(out, env_steps)
    raise ValueError(f"not an rlcore batch: unknown kind {kind!r}")

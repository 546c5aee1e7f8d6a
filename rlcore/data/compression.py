"""Row compression of observation columns: LZ4 frames over raw array bytes, never pickle.

``compress_rows(array)`` turns each row of a numeric array into one ``bytes`` object: a small
header (magic, dtype string, row shape) followed by an LZ4 block of the row's raw bytes.
``decompress_rows(cells)`` stacks them back into one array of the original dtype and shape. A
replay buffer stores such a column as an object column, so an observation costs its compressed
size (RLlib 1.x's ``compress_observations`` stored LZ4 blobs per row, too). ``lz4`` is imported
when first used.

Examples:
    >>> import numpy as np
    >>> frames = np.zeros((3, 42, 42), np.uint8)
    >>> cells = compress_rows(frames)
    >>> cells.dtype, len(cells), all(len(c) < frames[0].nbytes // 10 for c in cells)
    (dtype('O'), 3, True)
    >>> back = decompress_rows(cells)
    >>> back.dtype, back.shape, bool((back == frames).all())
    (dtype('uint8'), (3, 42, 42), True)
"""

from __future__ import annotations

import struct
from typing import Any, Sequence

import numpy as np

__all__ = ["compress_rows", "decompress_rows", "decompress_row", "is_compressed_column", "MAGIC"]

#: The first bytes of every compressed row.
MAGIC = b"RLZ4"
_HEAD = struct.Struct("<4sBB")  # magic, len(dtype.str), ndim; then dtype.str, then ndim int64 dims


def _lz4_block() -> Any:
    import lz4.block

    return lz4.block


def compress_rows(array: Any) -> np.ndarray:
    """Each row of a numeric array as one compressed ``bytes`` object (an object array of them).

    Args:
        array: An array with at least one dimension, of a numeric or bool dtype.

    Returns:
        A 1-D object array, one ``bytes`` per row.

    Raises:
        TypeError: For an object, string or structured dtype (only raw numeric bytes are stored).
        ValueError: For a 0-d array.
    """
    arr = np.asarray(array)
    if arr.ndim == 0:
        raise ValueError(f"compress_rows: expected an array with a row dimension, got a 0-d array of {arr.dtype}")
    if arr.dtype.kind not in "biufc" or arr.dtype.fields is not None:
        raise TypeError(f"compress_rows: dtype {arr.dtype} is not a plain numeric dtype (expected bool/int/float)")
    dtype = arr.dtype.str.encode("ascii")
    row_shape = arr.shape[1:]
    header = _HEAD.pack(MAGIC, len(dtype), len(row_shape)) + dtype + struct.pack(f"<{len(row_shape)}q", *row_shape)
    block = _lz4_block()
    out = np.empty(len(arr), object)
    rows = np.ascontiguousarray(arr)
    for i in range(len(rows)):
        out[i] = header + block.compress(rows[i].tobytes(), store_size=True)
    return out


def _parse_header(cell: bytes) -> tuple:
    if not isinstance(cell, (bytes, bytearray, memoryview)) or bytes(cell[:4]) != MAGIC:
        raise ValueError(f"decompress_rows: a cell is not a compressed row (expected bytes starting with {MAGIC!r}, "
                         f"got {type(cell).__name__} {bytes(cell[:8]) if isinstance(cell, bytes) else ''!r})")
    _, dlen, ndim = _HEAD.unpack_from(cell, 0)
    pos = _HEAD.size
    dtype = np.dtype(bytes(cell[pos:pos + dlen]).decode("ascii"))
    pos += dlen
    shape = struct.unpack_from(f"<{ndim}q", cell, pos)
    return dtype, shape, pos + 8 * ndim


def decompress_rows(cells: Sequence[bytes]) -> np.ndarray:
    """Stacks rows made by :func:`compress_rows` back into one array.

    Raises:
        ValueError: For a cell that is not a compressed row, or rows of different dtypes/shapes.
    """
    cells = list(cells)
    if not cells:
        raise ValueError("decompress_rows: no rows to decompress (the dtype and shape come from the rows)")
    dtype, shape, _ = _parse_header(cells[0])
    out = np.empty((len(cells),) + tuple(shape), dtype)
    flat = out.reshape(len(cells), -1).view(np.uint8) if out.size else out
    block = _lz4_block()
    for i, cell in enumerate(cells):
        d, s, start = _parse_header(cell)
        if d != dtype or s != shape:
            raise ValueError(f"decompress_rows: row {i} is {d}{list(s)}, row 0 is {dtype}{list(shape)}; "
                             "expected rows of one dtype and shape")
        raw = block.decompress(bytes(cell[start:]))
        if out.size:
            flat[i] = np.frombuffer(raw, np.uint8)
    return out


def decompress_row(cell: bytes) -> np.ndarray:
    """One row made by :func:`compress_rows`, decompressed straight into a new writable array.

    Raises:
        ValueError: For a cell that is not a compressed row, or a payload whose size does not
            match its dtype and shape.

    Examples:
        >>> import numpy as np
        >>> decompress_row(compress_rows(np.arange(6.0).reshape(1, 2, 3))[0]).tolist()
        [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    """
    dtype, shape, start = _parse_header(cell)
    data = _lz4_block().decompress(memoryview(cell)[start:], return_bytearray=True)
    return np.frombuffer(data, dtype).reshape(shape)


def is_compressed_column(column: Any) -> bool:
    """Whether ``column`` is an object array whose first cell is a compressed row.

    Examples:
        >>> import numpy as np
        >>> is_compressed_column(compress_rows(np.ones((2, 3)))), is_compressed_column(np.ones((2, 3)))
        (True, False)
    """
    arr = np.asarray(column) if not isinstance(column, np.ndarray) else column
    return (arr.dtype == object and arr.ndim == 1 and len(arr) > 0 and isinstance(arr[0], bytes)
            and arr[0][:4] == MAGIC)

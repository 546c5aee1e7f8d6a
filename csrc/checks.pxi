# Argument checks. Batch kernels reuse rlcore._checks (identical errors to the numpy twin); the
# collector's per-step path uses the buffer protocol directly (see collector.pxi).

from rlcore._checks import _array, _f32, _flags, _segments

_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_I64 = np.dtype(np.int64)


cdef inline const uint8_t[::1] _u8(object flags):
    """A bool/uint8 array (already checked) as bytes."""
    return flags.view(np.uint8)


cdef Py_ssize_t _check_count(str name, object value, Py_ssize_t low) except -1:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    return value

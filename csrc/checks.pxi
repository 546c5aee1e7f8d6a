# Argument intake. The fast path takes a buffer straight from a numpy array of the right dtype
# and shape; anything else goes through rlcore._checks (shared with the numpy twin), which raises
# the same error the twin raises, naming the argument.

from rlcore._checks import _array, _categorical_logp_args, _f32, _flags, _ppo_shapes, _segments

_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_I64 = np.dtype(np.int64)
_FLAGS = (np.dtype(np.bool_), np.dtype(np.uint8))
_F32s = (_F32,)
_F64s = (_F64,)
_I64s = (_I64,)

DEF _MAX_BUFFERS = 16


cdef class _Buffers:
    """Holds the buffers a kernel call reads or writes; releases them when dropped."""

    cdef Py_buffer views[_MAX_BUFFERS]
    cdef int n

    def __dealloc__(self):
        cdef int i
        for i in range(self.n):
            PyBuffer_Release(&self.views[i])

    cdef void* take(self, object x, str name, bint writable=False) except NULL:
        """The data of a C-contiguous buffer (a non-NULL pointer even when empty)."""
        cdef int flags = PyBUF_C_CONTIGUOUS | (PyBUF_WRITABLE if writable else 0)
        if self.n == _MAX_BUFFERS:
            raise RuntimeError("too many buffers in one kernel call")
        try:
            PyObject_GetBuffer(x, &self.views[self.n], flags)
        except (ValueError, BufferError, TypeError):
            if writable:
                raise ValueError(f"{name} must be a writable C-contiguous array")
            raise ValueError(f"{name} must be C-contiguous (use np.ascontiguousarray)")
        self.n += 1
        cdef void* buf = self.views[self.n - 1].buf
        return buf if buf != NULL else <void*>&self.views[self.n - 1]

    cdef const void* vec(self, object x, str name, tuple dtypes, Py_ssize_t length=-1) except NULL:
        """A 1-D array of one of ``dtypes`` (and ``length`` rows if >= 0)."""
        if not (isinstance(x, np.ndarray) and x.ndim == 1 and x.dtype in dtypes
                and (length < 0 or x.shape[0] == length)):
            _array(name, x, dtypes, 1, None if length < 0 else length)
            raise ValueError(f"{name} is not a valid 1-D array")  # _array raised already
        return self.take(x, name)


cdef const int64_t* _seg_lens(_Buffers bufs, object seg_lens, Py_ssize_t total) except NULL:
    """int64 segment lengths, each >= 0, summing to ``total`` (checked in one C loop)."""
    cdef const int64_t* segs = <const int64_t*>bufs.vec(seg_lens, "seg_lens", _I64s)
    cdef Py_ssize_t s, nseg = seg_lens.shape[0]
    cdef int64_t acc = 0
    for s in range(nseg):
        if segs[s] < 0:
            raise ValueError("seg_lens must be non-negative")
        acc += segs[s]
    if acc != total:
        raise ValueError(f"seg_lens sums to {acc}, expected {total} (the number of rows)")
    return segs


cdef Py_ssize_t _check_count(str name, object value, Py_ssize_t low) except -1:
    cdef Py_ssize_t v
    if type(value) is int:  # the usual Python int, read and compared in C (no isinstance checks)
        try:
            v = value
        except OverflowError:  # too large for the fast path: the checks below decide
            v = low - 1
        if v >= low:
            return v
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    return value

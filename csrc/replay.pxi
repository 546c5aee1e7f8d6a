# Fused prioritized-replay steps: one call per buffer operation instead of one per column and tree.
#
# A prioritized buffer's add, sample and priority update each touched the column storage and two
# segment trees through several kernel calls, each with its own argument intake; these do each
# operation in one call. Inputs that do not fit the fast path exactly (a dtype to cast, an invalid
# priority or slot) are answered with -1 and nothing is written, so the caller's general path
# handles them and raises its own errors.

from cpython.buffer cimport PyBUF_FORMAT
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.string cimport strcmp


cdef int _check_pair(SumSegmentTree sum_tree, MinSegmentTree min_tree) except -1:
    if sum_tree is None or min_tree is None:
        raise TypeError("sum_tree and min_tree must both be given")
    if sum_tree._capacity != min_tree._capacity:
        raise ValueError(
            f"sum_tree has capacity {sum_tree._capacity} but min_tree has {min_tree._capacity}; they must be equal")
    return 0


cdef int _set_leaves(SumSegmentTree sum_tree, MinSegmentTree min_tree, const int64_t* idxs,
                     const double* vals, Py_ssize_t k) except -1:
    cdef int status
    with nogil:
        status = rl_bt_update_pair(&sum_tree._lay, &min_tree._lay, idxs, vals, k)
    if status:
        raise MemoryError()
    return 0


# A flag of _Views.take: the buffer's format is not needed (numpy builds it on every request).
DEF _NO_FORMAT = 0x40000000


cdef class _Views:
    """The buffers of up to ``size`` arrays taken in one call; released when dropped."""

    cdef Py_buffer* views
    cdef Py_ssize_t n, size

    def __cinit__(self, Py_ssize_t size):
        self.views = <Py_buffer*>PyMem_Malloc((size if size > 0 else 1) * sizeof(Py_buffer))
        if self.views == NULL:
            raise MemoryError()
        self.n = 0
        self.size = size

    def __dealloc__(self):
        cdef Py_ssize_t i
        for i in range(self.n):
            PyBuffer_Release(&self.views[i])
        PyMem_Free(self.views)

    cdef Py_buffer* take(self, object x, int flags) except? NULL:
        """The C-contiguous buffer of ``x`` (with its format unless ``flags`` has _NO_FORMAT), or NULL if
        ``x`` exports none such."""
        if self.n == self.size:
            raise RuntimeError("_Views is full")
        try:
            PyObject_GetBuffer(x, &self.views[self.n], (flags & ~_NO_FORMAT) | PyBUF_C_CONTIGUOUS
                               | (0 if flags & _NO_FORMAT else PyBUF_FORMAT))
        except (ValueError, BufferError, TypeError):
            return NULL
        self.n += 1
        return &self.views[self.n - 1]


cdef inline bint _is_format(const char* fmt, char a, char b) noexcept:
    """Whether a buffer format is the native-order single item ``a`` or ``b`` ("q", "<q", "=q"...)."""
    if fmt[0] == b'<' or fmt[0] == b'=' or fmt[0] == b'@':
        fmt += 1
    return (fmt[0] == a or fmt[0] == b) and fmt[1] == 0


cdef int _refuse_dest(Py_ssize_t c, object dest) except -1:
    """Raises the error that says why ``dests[c]`` is not a writable C-contiguous numeric array."""
    if not isinstance(dest, np.ndarray) or dest.dtype.hasobject or dest.ndim < 1:
        raise TypeError(f"dests[{c}] must be a numeric numpy array with at least one dimension")
    raise ValueError(f"dests[{c}] must be a writable C-contiguous array")


cdef double _add_args(object start, Py_ssize_t cap, SumSegmentTree sum_tree, MinSegmentTree min_tree,
                      object value) except -1.0:
    """Checks replay_add's ``start`` and, when trees are given, the trees and ``value``; the leaf value."""
    if isinstance(start, bool) or not isinstance(start, (int, np.integer)) or not 0 <= start < cap:
        raise ValueError(f"start must be an int in [0, {cap}), got {start!r}")
    cdef double leaf = value
    if sum_tree is not None or min_tree is not None:
        _check_pair(sum_tree, min_tree)
        if sum_tree._capacity != cap:
            raise ValueError(f"the trees have capacity {sum_tree._capacity}, expected {cap} (the rows of dests)")
        if not (leaf >= 0.0 and leaf < INFINITY):
            raise ValueError(f"value must be finite and >= 0, got {value!r}")
    return leaf


cdef void _set_ring_leaves(rl_btree_t* sm, rl_btree_t* mn, Py_ssize_t pos, Py_ssize_t keep,
                           Py_ssize_t cap, double leaf) noexcept nogil:
    """Sets the leaves of the ``keep`` ring slots from ``pos`` (wrapping at ``cap``) to ``leaf``."""
    if pos + keep <= cap:
        rl_bt_set_range(sm, mn, pos, pos + keep, leaf)
    else:
        rl_bt_set_range(sm, mn, pos, cap, leaf)
        rl_bt_set_range(sm, mn, 0, pos + keep - cap, leaf)


def replay_add(dests, srcs, start, SumSegmentTree sum_tree=None, MinSegmentTree min_tree=None, value=0.0):
    """Ring-inserts every column and sets the priority leaves of the rows kept (see ``rlcore/_core.pyi``)."""
    cdef ReplayRecords records
    if isinstance(dests, ReplayRecords):
        records = dests
        if len(srcs) != records._nf:
            raise ValueError(f"srcs has {len(srcs)} columns, expected {records._nf} (as dests)")
        return records._add(srcs if type(srcs) is list else list(srcs), start, sum_tree, min_tree,
                            _add_args(start, records.capacity, sum_tree, min_tree, value))
    cdef Py_ssize_t ncol = len(dests), c, d, n = -1, cap = 0, row, keep, j, pos, chunk, first
    if len(srcs) != ncol:
        raise ValueError(f"srcs has {len(srcs)} columns, expected {ncol} (as dests)")
    if ncol == 0:
        raise ValueError("dests must hold at least one column")
    # One buffer request per array checks dtype, shape and layout in C: views[c] is dests[c] and
    # views[ncol + c] srcs[c].
    cdef _Views views = _Views(2 * ncol)
    cdef Py_buffer* dv
    cdef Py_buffer* sv
    for c in range(ncol):
        dest = dests[c]
        dv = views.take(dest, PyBUF_WRITABLE) if isinstance(dest, np.ndarray) else NULL
        if dv == NULL or dv.ndim < 1 or dv.format[0] == b'O':
            _refuse_dest(c, dest)
        if c == 0:
            cap = dv.shape[0]
            if cap == 0:
                raise ValueError("dests must have at least one row")
        elif dv.shape[0] != cap:
            raise ValueError(f"dests[{c}] has {dv.shape[0]} rows, expected {cap} (as dests[0])")
    cdef double leaf = _add_args(start, cap, sum_tree, min_tree, value)
    cdef bint trees = sum_tree is not None
    for c in range(ncol):  # a column that does not fit as is: -1, nothing written
        src = srcs[c]
        sv = views.take(src, 0) if isinstance(src, np.ndarray) else NULL
        if sv == NULL:
            return -1
        dv = &views.views[c]
        if sv.ndim != dv.ndim or sv.itemsize != dv.itemsize:
            return -1
        for d in range(1, dv.ndim):
            if sv.shape[d] != dv.shape[d]:
                return -1
        if strcmp(sv.format, dv.format) != 0 and src.dtype != dests[c].dtype:
            return -1
        if c == 0:
            n = sv.shape[0]
        elif sv.shape[0] != n:
            return -1
    if n == 0:
        return 0
    cdef unsigned char* t
    cdef const unsigned char* s
    keep = n if n < cap else cap
    first = n - keep  # only the last `cap` rows survive
    pos = (start + first) % cap
    with nogil:
        for c in range(ncol):
            dv = &views.views[c]
            row = dv.len // cap
            if row == 0:
                continue
            t = <unsigned char*>dv.buf
            s = <const unsigned char*>views.views[ncol + c].buf
            j = first
            d = pos
            while j < n:
                chunk = min(cap - d, n - j)
                memcpy(t + d * row, s + j * row, chunk * row)
                j += chunk
                d = (d + chunk) % cap
        if trees:
            _set_ring_leaves(&sum_tree._lay, &min_tree._lay, pos, keep, cap, leaf)
    return n


cdef int _refuse_column(Py_ssize_t c, object col, Py_ssize_t cap) except -1:
    """Raises the error that says why ``columns[c]`` cannot be gathered from."""
    if not isinstance(col, np.ndarray) or col.dtype.hasobject or col.ndim < 1:
        raise TypeError(f"columns[{c}] must be a numeric numpy array with at least one dimension")
    if col.shape[0] != cap:
        raise ValueError(f"columns[{c}] has {col.shape[0]} rows, expected {cap} (the trees' capacity)")
    raise ValueError(f"columns[{c}] must be C-contiguous (use np.ascontiguousarray)")


def replay_sample(SumSegmentTree sum_tree, MinSegmentTree min_tree, uniforms, beta, columns=None, rng=None):
    """Proportional sampling with importance weights, and optionally the sampled rows of ``columns``,
    in one call; with ``rng`` the uniforms are drawn from it (see ``rlcore/_core.pyi``)."""
    _check_pair(sum_tree, min_tree)
    cdef double b = beta
    if not (b >= 0.0 and b < INFINITY):
        raise ValueError(f"beta must be finite and >= 0, got {beta!r}")
    cdef _Buffers bufs = _Buffers()
    cdef const double* up = NULL
    cdef Py_ssize_t q, c, k, cap = sum_tree._capacity, ncol = 0
    if rng is None:
        up = <const double*>bufs.vec(uniforms, "uniforms", _F64s)
        k = uniforms.shape[0]
    else:
        if not isinstance(rng, _Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        k = _check_count("uniforms", uniforms, 1)
    # columns: views[c] the column (not for records), views[ncol + c] its new output of k rows
    cdef _Views views = None
    cdef ReplayRecords records = None
    cdef Py_buffer* cv
    outs = None
    if isinstance(columns, ReplayRecords):
        records = columns
        if records.capacity != cap:
            raise ValueError(f"columns has capacity {records.capacity}, expected {cap} (the trees' capacity)")
        ncol = records._nf
        views = _Views(ncol)  # views[c]: the output of field c
        outs = records._outputs(k, views)
    elif columns is not None:
        ncol = len(columns)
        views = _Views(2 * ncol)
        outs = []
        for c in range(ncol):
            col = columns[c]
            cv = views.take(col, 0) if isinstance(col, np.ndarray) else NULL
            if cv == NULL or cv.ndim < 1 or cv.format[0] == b'O' or cv.shape[0] != cap:
                _refuse_column(c, col, cap)
        for c in range(ncol):
            col = columns[c]
            out = np.empty((k,) + col.shape[1:], col.dtype)
            views.take(out, PyBUF_WRITABLE | _NO_FORMAT)
            outs.append(out)
    if up != NULL:
        for q in range(k):
            if not (up[q] >= 0.0 and up[q] < 1.0):
                raise ValueError("uniforms must be in [0, 1)")
    cdef double total = rl_bt_root(&sum_tree._lay)
    if not total > 0.0:
        raise ValueError("cannot sample: the sum tree has no mass (every leaf is 0)")
    cdef double stack_prefix[256]
    cdef double* pp = &stack_prefix[0]
    if k > 256:
        pp = <double*>malloc(<size_t>k * sizeof(double))
    if pp == NULL:
        raise MemoryError()
    cdef rl_bitgen_t* bg
    cdef int status
    cdef Py_ssize_t row
    cdef int64_t* op
    cdef float* wp
    try:
        if up != NULL:
            for q in range(k):
                pp[q] = up[q] * total
        else:  # rng.random(k)'s stream: numpy fills it with next_double under the generator's lock
            global _last_rng, _last_lock, _last_bg
            if rng is not _last_rng:  # a Generator's bit generator never changes: kept for the next call
                bitgen = rng.bit_generator
                _last_bg = <rl_bitgen_t*>PyCapsule_GetPointer(bitgen.capsule, "BitGenerator")
                _last_lock = bitgen.lock
                _last_rng = rng
            bg = _last_bg
            with _last_lock:
                for q in range(k):
                    pp[q] = bg.next_double(bg.state) * total
        slots = np.empty(k, np.int64)
        weights = np.empty(k, np.float32)
        op = <int64_t*>bufs.take(slots, "slots", True)
        wp = <float*>bufs.take(weights, "weights", True)
        with nogil:
            status = rl_bt_find_prefixsum(&sum_tree._lay, pp, k, op)
            if not status:
                # the rows' lines are put in flight before the weights are computed, then copied
                if records is not None:
                    rl_prefetch_rows(records._base, records.stride, op, k)
                else:
                    for c in range(ncol):
                        cv = &views.views[c]
                        rl_prefetch_rows(<const unsigned char*>cv.buf, cv.len // cap, op, k)
                rl_bt_is_weights(&sum_tree._lay, &min_tree._lay, op, k, b, wp)
                if records is not None:
                    records._gather(op, k, views)
                else:
                    for c in range(ncol):
                        cv = &views.views[c]
                        row = cv.len // cap
                        if row:
                            rl_copy_rows(<const unsigned char*>cv.buf, <unsigned char*>views.views[ncol + c].buf,
                                         row, op, k)
    finally:
        if pp != &stack_prefix[0]:
            free(pp)
    if status:
        raise MemoryError()
    if outs is None:
        return slots, weights
    return slots, weights, outs


def replay_update(SumSegmentTree sum_tree, MinSegmentTree min_tree, idxs, priorities, alpha,
                  Py_ssize_t first, Py_ssize_t num, eps=None):
    """Sets ``priorities ** alpha`` (with ``eps``: ``(|priorities| + eps) ** alpha``, priorities then
    being TD errors) at live slots ``idxs`` in both trees (see ``rlcore/_core.pyi``)."""
    _check_pair(sum_tree, min_tree)
    cdef double a = alpha
    if not (a >= 0.0 and a < INFINITY):
        raise ValueError(f"alpha must be finite and >= 0, got {alpha!r}")
    cdef bint td = eps is not None
    cdef double e = eps if td else 0.0
    if td and not (e > 0.0 and e < INFINITY):
        raise ValueError(f"eps must be finite and > 0, got {eps!r}")
    cdef Py_ssize_t cap = sum_tree._capacity
    if not (0 <= first < cap and 0 <= num <= cap):
        raise ValueError(f"first must be in [0, {cap}) and num in [0, {cap}], got {first} and {num}")
    # idxs (int64) and priorities (float64, or float32 with eps): 1-D C-contiguous numpy arrays of
    # one length, read from their buffers (the format names the dtype); anything else declines
    if not (isinstance(idxs, np.ndarray) and isinstance(priorities, np.ndarray)):
        return -1.0
    cdef _Views views = _Views(2)
    cdef Py_buffer* iv = views.take(idxs, 0)
    cdef Py_buffer* pv = views.take(priorities, 0) if iv != NULL else NULL
    if pv == NULL or iv.ndim != 1 or pv.ndim != 1 or iv.shape[0] != pv.shape[0] or iv.itemsize != 8:
        return -1.0
    if not _is_format(iv.format, b'q', b'l'):
        return -1.0
    cdef bint f32 = pv.itemsize == 4 and td and _is_format(pv.format, b'f', b'f')
    if not (f32 or (pv.itemsize == 8 and _is_format(pv.format, b'd', b'd'))):
        return -1.0
    cdef const int64_t* ip = <const int64_t*>iv.buf
    cdef const double* pd = <const double*>pv.buf
    cdef const float* pf = <const float*>pv.buf
    cdef Py_ssize_t q, k = iv.shape[0]
    cdef double top = 0.0, p
    cdef int64_t i
    if k <= 0:
        return top
    cdef double* lv = <double*>malloc(<size_t>k * sizeof(double))
    if lv == NULL:
        raise MemoryError()
    try:
        for q in range(k):  # lv holds the priorities until every one is checked
            p = <double>pf[q] if f32 else pd[q]
            if td:
                p = fabs(p) + e
            i = ip[q]
            if not (p > 0.0 and p < INFINITY) or i < 0 or i >= cap or (i - first + cap) % cap >= num:
                return -1.0
            if p > top:
                top = p
            lv[q] = p
        for q in range(k):
            lv[q] = pow(lv[q], a)
        _set_leaves(sum_tree, min_tree, ip, lv, k)
    finally:
        free(lv)
    return top


# --- record storage: every fixed-shape numeric column of a row in one contiguous record ---------

from cpython.pycapsule cimport PyCapsule_GetPointer

cdef extern from *:
    """
    /* numpy's bitgen_t (numpy/random/bitgen.h, numpy's public C API of its bit generators). */
    typedef struct {
        void *state;
        uint64_t (*next_uint64)(void *st);
        uint32_t (*next_uint32)(void *st);
        double (*next_double)(void *st);
        uint64_t (*next_raw)(void *st);
    } rl_bitgen_t;
    """
    ctypedef struct rl_bitgen_t:
        void* state
        double (*next_double)(void* st) noexcept nogil

_Generator = np.random.Generator
# replay_sample's last rng, its bit generator's lock and bitgen_t (the rng is held, so they stay valid)
cdef object _last_rng = None
cdef object _last_lock = None
cdef rl_bitgen_t* _last_bg = NULL


cdef class ReplayRecords:
    """A ring of ``capacity`` rows whose numeric columns share one record per row (see
    ``rlcore/_core.pyi``)."""

    cdef readonly Py_ssize_t capacity
    cdef readonly Py_ssize_t stride
    cdef readonly list columns
    cdef readonly tuple offsets
    cdef object _block
    cdef Py_buffer _view
    cdef bint _viewed
    cdef unsigned char* _base
    cdef Py_ssize_t _nf
    cdef Py_ssize_t* _off  # per field: offset in the record, bytes per row, first dim in _dims, ndim
    cdef Py_ssize_t* _nbytes
    cdef Py_ssize_t* _dim0
    cdef Py_ssize_t* _ndim
    cdef Py_ssize_t* _dims
    cdef list _dtypes
    cdef list _shapes
    cdef Py_ssize_t _out_k
    cdef list _out_shapes

    def __cinit__(self):
        self._viewed = False
        self._out_k = -1
        self._off = self._nbytes = self._dim0 = self._ndim = self._dims = NULL

    def __init__(self, capacity, dtypes, row_shapes):
        cdef Py_ssize_t cap = _check_count("capacity", capacity, 1)
        dtypes = list(dtypes)
        row_shapes = [tuple(s) for s in row_shapes]
        cdef Py_ssize_t nf = len(dtypes), f, d, pos = 0, align = 1, ndims = 0
        if nf == 0 or len(row_shapes) != nf:
            raise ValueError(f"dtypes and row_shapes must have the same length >= 1, got {nf} and {len(row_shapes)}")
        dts = []
        for f in range(nf):
            dt = np.dtype(dtypes[f])
            if dt.kind not in "biufc" or dt.subdtype is not None:
                raise TypeError(f"dtypes[{f}] must be a plain numeric dtype, got {dt}")
            for x in row_shapes[f]:
                if isinstance(x, bool) or not isinstance(x, (int, np.integer)) or x < 0:
                    raise ValueError(f"row_shapes[{f}] must be a tuple of ints >= 0, got {row_shapes[f]!r}")
            dts.append(dt)
            ndims += len(row_shapes[f])
        self._nf = nf
        self._off = <Py_ssize_t*>PyMem_Malloc(4 * nf * sizeof(Py_ssize_t))
        self._dims = <Py_ssize_t*>PyMem_Malloc((ndims if ndims else 1) * sizeof(Py_ssize_t))
        if self._off == NULL or self._dims == NULL:
            raise MemoryError()
        self._nbytes = self._off + nf
        self._dim0 = self._off + 2 * nf
        self._ndim = self._off + 3 * nf
        # Fields by decreasing alignment (stable), each at a multiple of its alignment; the record
        # is padded to a multiple of the largest alignment.
        order = sorted(range(nf), key=lambda i: -dts[i].alignment)
        ndims = 0
        for f in range(nf):
            self._dim0[f] = ndims
            self._ndim[f] = len(row_shapes[f])
            self._nbytes[f] = dts[f].itemsize
            for x in row_shapes[f]:
                self._dims[ndims] = x
                ndims += 1
                self._nbytes[f] *= x
        for f in order:
            a = dts[f].alignment
            align = max(align, a)
            pos = (pos + a - 1) // a * a
            self._off[f] = pos
            pos += self._nbytes[f]
        self.stride = max(align, (pos + align - 1) // align * align)
        self.capacity = cap
        block = np.zeros(cap * self.stride + 64, np.uint8)
        cdef Py_ssize_t shift = (-block.ctypes.data) % 64  # records start on a cache line
        PyObject_GetBuffer(block, &self._view, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS)  # pins the block
        self._viewed = True
        self._block = block
        self._base = <unsigned char*>self._view.buf + shift
        cols = []
        for f in range(nf):
            dt, shape = dts[f], row_shapes[f]
            inner = []
            s = dt.itemsize
            for x in reversed(shape):
                inner.insert(0, s)
                s *= x
            cols.append(np.ndarray((cap,) + shape, dt, buffer=block, offset=shift + self._off[f],
                                   strides=(self.stride,) + tuple(inner)))
        self.columns = cols
        self.offsets = tuple(self._off[f] for f in range(nf))
        self._dtypes = dts
        self._shapes = row_shapes

    def __dealloc__(self):
        if self._viewed:
            PyBuffer_Release(&self._view)
        PyMem_Free(self._off)
        PyMem_Free(self._dims)

    @property
    def nbytes(self):
        """Bytes of the records (``capacity * stride``)."""
        return self.capacity * self.stride

    cdef Py_ssize_t _add(self, list srcs, Py_ssize_t start, SumSegmentTree sum_tree, MinSegmentTree min_tree,
                         double leaf) except -2:
        """replay_add into the records: -1 (nothing written) when a source does not fit as is."""
        cdef Py_ssize_t nf = self._nf, f, d, n = -1, cap = self.capacity, keep, first, pos, j, q, nb, st = self.stride
        cdef _Views views = _Views(nf)
        cdef Py_buffer* sv
        for f in range(nf):
            src = srcs[f]
            if not isinstance(src, np.ndarray):
                return -1
            dt = (<object>src).dtype
            if dt is not self._dtypes[f] and dt != self._dtypes[f]:
                return -1
            sv = views.take(src, _NO_FORMAT)  # the dtype is compared above
            if sv == NULL or sv.ndim != self._ndim[f] + 1:
                return -1
            for d in range(self._ndim[f]):
                if sv.shape[d + 1] != self._dims[self._dim0[f] + d]:
                    return -1
            if f == 0:
                n = sv.shape[0]
            elif sv.shape[0] != n:
                return -1
        if n == 0:
            return 0
        keep = n if n < cap else cap
        first = n - keep
        pos = (start + first) % cap
        cdef unsigned char* t
        cdef const unsigned char* s
        with nogil:
            for f in range(nf):
                nb = self._nbytes[f]
                if nb == 0:
                    continue
                s = <const unsigned char*>views.views[f].buf + first * nb
                t = self._base + self._off[f]
                j = pos
                for q in range(keep):  # the usual field sizes as fixed-size copies (no memcpy call)
                    if nb == 4:
                        memcpy(t + j * st, s + q * 4, 4)
                    elif nb == 8:
                        memcpy(t + j * st, s + q * 8, 8)
                    elif nb == 16:
                        memcpy(t + j * st, s + q * 16, 16)
                    elif nb == 1:
                        t[j * st] = s[q]
                    else:
                        memcpy(t + j * st, s + q * nb, nb)
                    j += 1
                    if j == cap:
                        j = 0
            if sum_tree is not None:
                _set_ring_leaves(&sum_tree._lay, &min_tree._lay, pos, keep, cap, leaf)
        return n

    cdef list _outputs(self, Py_ssize_t k, _Views views):
        """New arrays of ``k`` rows for every field, their buffers taken into ``views``."""
        cdef Py_ssize_t f
        if k != self._out_k:  # the output shapes of the last k asked for are kept
            self._out_shapes = [(k,) + <tuple>shape for shape in self._shapes]
            self._out_k = k
        outs = []
        for f in range(self._nf):
            out = np.empty(self._out_shapes[f], self._dtypes[f])
            views.take(out, PyBUF_WRITABLE | _NO_FORMAT)
            outs.append(out)
        return outs

    cdef void _gather(self, const int64_t* idx, Py_ssize_t k, _Views views) noexcept nogil:
        cdef Py_ssize_t f, q, nb, st = self.stride
        cdef const unsigned char* s
        cdef unsigned char* t
        for f in range(self._nf):
            nb = self._nbytes[f]
            s = self._base + self._off[f]
            t = <unsigned char*>views.views[f].buf
            if nb == 4:
                for q in range(k):
                    memcpy(t + 4 * q, s + idx[q] * st, 4)
            elif nb == 8:
                for q in range(k):
                    memcpy(t + 8 * q, s + idx[q] * st, 8)
            elif nb == 16:
                for q in range(k):
                    memcpy(t + 16 * q, s + idx[q] * st, 16)
            elif nb == 1:
                for q in range(k):
                    t[q] = s[idx[q] * st]
            else:
                for q in range(k):
                    memcpy(t + nb * q, s + idx[q] * st, nb)

# Fused prioritized-replay steps: one call per buffer operation instead of one per column and tree.
#
# A prioritized buffer's add, sample and priority update each touched the column storage and two
# segment trees through several kernel calls, each with its own argument intake; these do each
# operation in one call. Inputs that do not fit the fast path exactly (a dtype to cast, an invalid
# priority or slot) are answered with -1 and nothing is written, so the caller's general path
# handles them and raises its own errors.

from cpython.buffer cimport PyBUF_FORMAT
from cpython.dict cimport PyDict_GetItem, PyDict_SetItem, PyDict_Size
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.ref cimport PyObject
from libc.string cimport strcmp


cdef int _check_pair(SumSegmentTree sum_tree, MinSegmentTree min_tree) except -1:
    if sum_tree is None or min_tree is None:
        raise TypeError("sum_tree and min_tree must both be given")
    if sum_tree._capacity != min_tree._capacity:
        raise ValueError(
            f"sum_tree has capacity {sum_tree._capacity} but min_tree has {min_tree._capacity}; they must be equal")
    return 0


# A flag of _Views.take: the buffer's format is not needed (numpy builds it on every request).
DEF _NO_FORMAT = 0x40000000
# Dimensions of an output array made with numpy's C API (ReplayRecords._outputs); more: np.empty.
DEF _OUT_MAXDIM = 32


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


cdef inline Py_ssize_t _ring_start(object start, Py_ssize_t cap) except -1:
    """``start`` checked as a ring position in ``[0, cap)`` (a Python int read and compared in C)."""
    cdef Py_ssize_t v
    if type(start) is int:
        try:
            v = start
        except OverflowError:
            v = -1
        if 0 <= v < cap:
            return v
    if isinstance(start, bool) or not isinstance(start, (int, np.integer)) or not 0 <= start < cap:
        raise ValueError(f"start must be an int in [0, {cap}), got {start!r}")
    return start


cdef double _add_args(object start, Py_ssize_t cap, SumSegmentTree sum_tree, MinSegmentTree min_tree,
                      object value) except -1.0:
    """Checks replay_add's ``start`` and, when trees are given, the trees and ``value``; the leaf value."""
    _ring_start(start, cap)
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


cdef Py_ssize_t _add_records(ReplayRecords records, object srcs, bint by_name, object start,
                             SumSegmentTree sum_tree, MinSegmentTree min_tree, object value) except -2:
    """replay_add into ``records`` from ``start``, of the dict ``srcs`` read by name (``by_name``) or of the
    list ``srcs`` of field sources, the arguments checked first: the rows written, or -1 (nothing
    written) when a source, or a dict's set of keys, does not fit as is."""
    if not by_name and len(srcs) != records._nf:
        raise ValueError(f"srcs has {len(srcs)} columns, expected {records._nf} (the records' fields)")
    cdef double leaf = _add_args(start, records.capacity, sum_tree, min_tree, value)
    if by_name and PyDict_Size(srcs) != records._nf:  # other keys than the names: does not fit as is
        return -1
    return records._add(srcs, by_name, start, sum_tree, min_tree, leaf)


def replay_add(dests, srcs, start, SumSegmentTree sum_tree=None, MinSegmentTree min_tree=None, value=0.0):
    """Ring-inserts every column and sets the priority leaves of the rows kept (see ``rlcore/_core.pyi``)."""
    cdef ReplayRecords records
    if isinstance(dests, ReplayRecords):
        records = dests
        if isinstance(srcs, dict) and records.names is not None:  # the fields by name
            return _add_records(records, srcs, True, start, sum_tree, min_tree, value)
        return _add_records(records, srcs if type(srcs) is list else list(srcs), False, start, sum_tree, min_tree,
                            value)
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


cdef inline void _scatter_field(unsigned char* t, const unsigned char* s, Py_ssize_t n, Py_ssize_t nb,
                                Py_ssize_t st) noexcept nogil:
    """``n`` rows of ``nb`` bytes from ``s`` (packed) to ``t`` (one every ``st`` bytes): the usual field
    sizes as fixed-size copies (no memcpy call), the size chosen once per run, not per row."""
    cdef Py_ssize_t q
    if nb == 4:
        for q in range(n):
            memcpy(t + q * st, s + q * 4, 4)
    elif nb == 8:
        for q in range(n):
            memcpy(t + q * st, s + q * 8, 8)
    elif nb == 16:
        for q in range(n):
            memcpy(t + q * st, s + q * 16, 16)
    elif nb == 1:
        for q in range(n):
            t[q * st] = s[q]
    else:
        for q in range(n):
            memcpy(t + q * st, s + q * nb, nb)


cdef int _sample_rows(SumSegmentTree sum_tree, MinSegmentTree min_tree, const double* pp, Py_ssize_t k, double b,
                      int64_t* op, float* wp, ReplayRecords records, unsigned char** ptrs, _Views views,
                      Py_ssize_t ncol) noexcept nogil:
    """replay_sample's kernel: slots of the prefix sums ``pp``, weights, and the rows of the records
    (into ``ptrs``) or of the columns in ``views``. Returns -1 when out of memory."""
    cdef Py_ssize_t c, row, cap = sum_tree._capacity
    cdef Py_buffer* cv
    if rl_bt_find_prefixsum(&sum_tree._lay, pp, k, op):
        return -1
    # the rows' lines are put in flight before the weights are computed, then copied
    if records is not None:
        rl_prefetch_rows(records._base, records.stride, op, k)
    else:
        for c in range(ncol):
            cv = &views.views[c]
            rl_prefetch_rows(<const unsigned char*>cv.buf, cv.len // cap, op, k)
    rl_bt_is_weights(&sum_tree._lay, &min_tree._lay, op, k, b, wp)
    if records is not None:
        records._gather(op, k, ptrs)
    else:
        for c in range(ncol):
            cv = &views.views[c]
            row = cv.len // cap
            if row:
                rl_copy_rows(<const unsigned char*>cv.buf, <unsigned char*>views.views[ncol + c].buf, row, op, k)
    return 0


cdef extern from *:
    """
    /* A new instance of `type` (a subclass of dict) made by its tp_new with no arguments (as
     * type.__new__(type), without the method lookup and tp_new_wrapper's checks; no __init__), its
     * __dict__ set to a copy of `attrs` unless that is None. */
    static PyObject *rl_new_dict_instance(PyObject *type, PyObject *attrs) {
        PyTypeObject *tp = (PyTypeObject *)type;
        PyObject *args = PyTuple_New(0);
        if (!args) return NULL;
        PyObject *obj = tp->tp_new(tp, args, NULL);
        Py_DECREF(args);
        if (!obj || attrs == Py_None) return obj;
        PyObject *d = PyDict_Copy(attrs);
        if (!d || PyObject_GenericSetDict(obj, d, NULL) < 0) {
            Py_XDECREF(d);
            Py_DECREF(obj);
            return NULL;
        }
        Py_DECREF(d);
        return obj;
    }
    """
    object rl_new_dict_instance(object type, object attrs)


cdef extern from *:
    """
    /* A new C-contiguous array (uninitialised) of `nd` dimensions `dims` and the native dtype `descr`:
     * numpy's PyArray_NewFromDescr given the dtype object (it takes a reference), without
     * PyArray_EMPTY's look-up of the dtype by its type number and split of it into dtype class and
     * descriptor on every call. */
    static PyObject *rl_new_array(PyObject *descr, int nd, npy_intp *dims) {
        Py_INCREF(descr);
        return PyArray_NewFromDescr(&PyArray_Type, (PyArray_Descr *)descr, nd, dims, NULL, NULL, 0, NULL);
    }
    """
    object rl_new_array(object descr, int nd, cnp.npy_intp* dims)


def replay_sample(SumSegmentTree sum_tree, MinSegmentTree min_tree, uniforms, beta, columns=None, rng=None,
                  out=None, attrs=None):
    """Proportional sampling with importance weights, and optionally the sampled rows of ``columns``,
    in one call; with ``rng`` the uniforms are drawn from it; with ``out`` the results are stored in
    that dict, or in a new instance of that dict type whose ``__dict__`` is a copy of ``attrs`` (see
    ``rlcore/_core.pyi``)."""
    return _replay_sample(sum_tree, min_tree, uniforms, beta, columns, rng, out, attrs)


cdef object _replay_sample(SumSegmentTree sum_tree, MinSegmentTree min_tree, object uniforms, object beta,
                           object columns, object rng, object out, object attrs):
    """replay_sample (also PrioritizedReplayCore.sample's call, without the argument parsing of a def)."""
    _check_pair(sum_tree, min_tree)
    cdef double b = beta
    if not (b >= 0.0 and b < INFINITY):
        raise ValueError(f"beta must be finite and >= 0, got {beta!r}")
    cdef _Buffers bufs
    cdef const double* up = NULL
    cdef Py_ssize_t q, c, k, cap = sum_tree._capacity, ncol = 0
    if rng is None:
        bufs = _Buffers()
        up = <const double*>bufs.vec(uniforms, "uniforms", _F64s)
        k = uniforms.shape[0]
    else:
        if not isinstance(rng, _Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        k = _check_count("uniforms", uniforms, 1)
    # columns: views[c] the column and views[ncol + c] its new output of k rows (records: ptrs[c] the
    # output of field c)
    cdef _Views views = None
    cdef ReplayRecords records = None
    cdef Py_buffer* cv
    cdef unsigned char* stack_ptrs[16]
    cdef unsigned char** ptrs = stack_ptrs
    outs = None
    cdef bint make = isinstance(out, type)
    if out is not None:
        if not (isinstance(out, dict) or (make and issubclass(out, dict))):
            raise TypeError(f"out must be a dict or a subclass of dict, got {out!r}")
        if not isinstance(columns, ReplayRecords) or (<ReplayRecords>columns).names is None:
            raise ValueError("out needs columns to be a ReplayRecords with names")
    if attrs is not None:
        if not make:
            raise ValueError("attrs needs out to be a subclass of dict")
        if not isinstance(attrs, dict):
            raise TypeError(f"attrs must be a dict, got {type(attrs).__name__}")
    if isinstance(columns, ReplayRecords):
        records = columns
        if records.capacity != cap:
            raise ValueError(f"columns has capacity {records.capacity}, expected {cap} (the trees' capacity)")
        ncol = records._nf
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
            o = np.empty((k,) + col.shape[1:], col.dtype)
            views.take(o, PyBUF_WRITABLE | _NO_FORMAT)
            outs.append(o)
    if up != NULL:
        for q in range(k):
            if not (up[q] >= 0.0 and up[q] < 1.0):
                raise ValueError("uniforms must be in [0, 1)")
    cdef double total = rl_bt_root(&sum_tree._lay)
    if not total > 0.0:
        raise ValueError("cannot sample: the sum tree has no mass (every leaf is 0)")
    cdef double stack_prefix[256]
    cdef double* pp = &stack_prefix[0]
    cdef rl_bitgen_t* bg
    cdef int status = 0
    cdef Py_ssize_t row
    cdef int64_t* op
    cdef float* wp
    cdef cnp.npy_intp kd = k
    if k > 256:
        pp = <double*>malloc(<size_t>k * sizeof(double))
    if records is not None and ncol > 16:
        ptrs = <unsigned char**>malloc(<size_t>ncol * sizeof(unsigned char*))
    if pp == NULL or ptrs == NULL:
        if pp != &stack_prefix[0]:
            free(pp)
        raise MemoryError()
    try:
        if make:  # before anything is drawn: a type whose instances take no __dict__ raises here
            out = rl_new_dict_instance(out, attrs)
        if records is not None:
            outs = records._outputs(k, ptrs)
        if up != NULL:
            for q in range(k):
                pp[q] = up[q] * total
        else:  # rng.random(k)'s stream: numpy fills it with next_double under the generator's lock
            global _last_rng, _last_acquire, _last_release, _last_bg
            if rng is not _last_rng:  # a Generator's bit generator never changes: kept for the next call
                bitgen = rng.bit_generator
                _last_bg = <rl_bitgen_t*>PyCapsule_GetPointer(bitgen.capsule, "BitGenerator")
                _last_acquire = bitgen.lock.acquire
                _last_release = bitgen.lock.release
                _last_rng = rng
            bg = _last_bg
            _last_acquire()  # the lock's own methods, without a with statement's lookups (nothing between can raise)
            for q in range(k):
                pp[q] = bg.next_double(bg.state) * total
            _last_release()
        slots = rl_new_array(_I64, 1, &kd)
        weights = rl_new_array(_F32, 1, &kd)
        op = <int64_t*>cnp.PyArray_DATA(<cnp.ndarray>slots)
        wp = <float*>cnp.PyArray_DATA(<cnp.ndarray>weights)
        if k >= 1024:
            with nogil:
                status = _sample_rows(sum_tree, min_tree, pp, k, b, op, wp, records, ptrs, views, ncol)
        else:  # a small batch keeps the GIL (its release costs more than the work)
            status = _sample_rows(sum_tree, min_tree, pp, k, b, op, wp, records, ptrs, views, ncol)
    finally:
        if pp != &stack_prefix[0]:
            free(pp)
        if ptrs != stack_ptrs:
            free(ptrs)
    if status:
        raise MemoryError()
    if out is not None:  # the dict's own entries, set as dict sets them (not through a subclass's __setitem__)
        for c in range(ncol):
            PyDict_SetItem(out, records.names[c], outs[c])
        PyDict_SetItem(out, "weights", weights)
        PyDict_SetItem(out, "batch_indexes", slots)
        return out
    if outs is None:
        return slots, weights
    return slots, weights, outs


cdef class ReplayPriorityStats:
    """The largest priority a prioritized buffer has seen and its number of priority updates, the one
    place they are kept; ``replay_update`` raises and counts them in the same call (see
    ``rlcore/_core.pyi``)."""

    cdef readonly double max_priority
    cdef readonly Py_ssize_t num_updates

    def __init__(self, max_priority=1.0, num_updates=0):
        self.reset(max_priority, num_updates)

    def reset(self, max_priority, num_updates):
        """Sets both (checked)."""
        cdef double m = max_priority
        if not (m > 0.0 and m < INFINITY):
            raise ValueError(f"max_priority must be finite and > 0, got {max_priority!r}")
        self.num_updates = _check_count("num_updates", num_updates, 0)
        self.max_priority = m

    def record(self, priority, n):
        """Raises ``max_priority`` to ``priority`` when larger and counts ``n`` (>= 0) updates."""
        cdef double p = priority
        cdef Py_ssize_t k = _check_count("n", n, 0)
        if not (p >= 0.0 and p < INFINITY):
            raise ValueError(f"priority must be finite and >= 0, got {priority!r}")
        self._record(p, k)

    cdef inline void _record(self, double p, Py_ssize_t k) noexcept:
        if p > self.max_priority:
            self.max_priority = p
        self.num_updates += k


def replay_update(SumSegmentTree sum_tree, MinSegmentTree min_tree, idxs, priorities, alpha,
                  Py_ssize_t first, Py_ssize_t num, eps=None, ReplayPriorityStats stats=None):
    """Sets ``priorities ** alpha`` (with ``eps``: ``(|priorities| + eps) ** alpha``, priorities then
    being TD errors) at live slots ``idxs`` in both trees; with ``stats`` records the update there
    (see ``rlcore/_core.pyi``)."""
    return _replay_update(sum_tree, min_tree, idxs, priorities, alpha, first, num, eps, stats)


cdef double _replay_update(SumSegmentTree sum_tree, MinSegmentTree min_tree, object idxs, object priorities,
                           object alpha, Py_ssize_t first, Py_ssize_t num, object eps,
                           ReplayPriorityStats stats) except? -2.0:
    """replay_update (also PrioritizedReplayCore.update_td_errors's call, without a def's argument parsing)."""
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
    # idxs (int64) and priorities (float64, or float32 with eps): 1-D C-contiguous native-order
    # numpy arrays of one length, read through numpy's C API; anything else declines
    if not (cnp.PyArray_Check(idxs) and cnp.PyArray_Check(priorities)):
        return -1.0
    cdef cnp.ndarray ia = <cnp.ndarray>idxs, pa = <cnp.ndarray>priorities
    if not (cnp.PyArray_NDIM(ia) == 1 and cnp.PyArray_NDIM(pa) == 1 and cnp.PyArray_DIMS(ia)[0] == cnp.PyArray_DIMS(pa)[0]
            and cnp.PyArray_IS_C_CONTIGUOUS(ia) and cnp.PyArray_IS_C_CONTIGUOUS(pa)
            and cnp.PyArray_ISNOTSWAPPED(ia) and cnp.PyArray_ISNOTSWAPPED(pa)):
        return -1.0
    cdef int it = cnp.PyArray_TYPE(ia), pt = cnp.PyArray_TYPE(pa)
    if not ((it == cnp.NPY_LONG or it == cnp.NPY_LONGLONG) and cnp.PyArray_ITEMSIZE(ia) == 8):
        return -1.0
    cdef bint f32 = pt == cnp.NPY_FLOAT and td
    if not (f32 or pt == cnp.NPY_DOUBLE):
        return -1.0
    cdef const int64_t* ip = <const int64_t*>cnp.PyArray_DATA(ia)
    cdef const double* pd = <const double*>cnp.PyArray_DATA(pa)
    cdef const float* pf = <const float*>cnp.PyArray_DATA(pa)
    cdef Py_ssize_t q, k = cnp.PyArray_DIMS(ia)[0]
    cdef double top = 0.0, p
    cdef int64_t i
    cdef int status
    if k <= 0:
        return top
    cdef double stack_lv[256]
    cdef double* lv = stack_lv
    if k > 256:
        lv = <double*>malloc(<size_t>k * sizeof(double))
        if lv == NULL:
            raise MemoryError()
    try:
        for q in range(k):  # lv holds the priorities until every one is checked
            p = <double>pf[q] if f32 else pd[q]
            if td:
                p = fabs(p) + e
            i = ip[q]
            if not (p > 0.0 and p < INFINITY) or i < 0 or i >= cap or (i - first if i >= first else i - first + cap) >= num:
                return -1.0
            if p > top:
                top = p
            lv[q] = p
        rl_pow_n(lv, k, a)
        if k >= 1024:
            with nogil:
                status = rl_bt_update_pair(&sum_tree._lay, &min_tree._lay, ip, lv, k)
        else:  # a small batch keeps the GIL (its release costs more than the work)
            status = rl_bt_update_pair(&sum_tree._lay, &min_tree._lay, ip, lv, k)
        if status:
            raise MemoryError()
    finally:
        if lv != stack_lv:
            free(lv)
    if stats is not None:
        stats._record(top, k)
    return top


def replay_slots(start, n, capacity):
    """The ring slots (int64) of the rows kept when ``n`` rows are written from ``start`` into
    ``capacity`` rows: the last ``min(n, capacity)`` of them (see ``rlcore/_core.pyi``)."""
    cdef Py_ssize_t cap = _check_count("capacity", capacity, 1)
    cdef Py_ssize_t cnt = _check_count("n", n, 0)
    return _ring_slots(_ring_start(start, cap), cnt, cap)


cdef object _ring_slots(Py_ssize_t s0, Py_ssize_t cnt, Py_ssize_t cap):
    """replay_slots of checked arguments: a new int64 array."""
    cdef Py_ssize_t keep = cnt if cnt < cap else cap, q, j
    cdef cnp.npy_intp kd = keep
    out = rl_new_array(_I64, 1, &kd)
    cdef int64_t* o = <int64_t*>cnp.PyArray_DATA(<cnp.ndarray>out)
    j = (s0 + cnt - keep) % cap
    for q in range(keep):
        o[q] = j
        j += 1
        if j == cap:
            j = 0
    return out


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

cdef extern from *:
    """
    /* Puts the lines of bytes [p, p + n) in flight for writing (one prefetch per 64-byte line). */
    static inline void rl_prefetch_write(const void *p, ptrdiff_t n) {
        const char *a = (const char *)((uintptr_t)p & ~(uintptr_t)63), *e = (const char *)p + n;
        for (; a < e; a += 64) __builtin_prefetch(a, 1);
    }
    """
    void rl_prefetch_write(const void* p, Py_ssize_t n) noexcept nogil

_Generator = np.random.Generator
# replay_sample's last rng, its bit generator's lock's acquire and release, and its bitgen_t (the rng is
# held, so they stay valid)
cdef object _last_rng = None
cdef object _last_acquire = None
cdef object _last_release = None
cdef rl_bitgen_t* _last_bg = NULL


cdef class ReplayRecords:
    """A ring of ``capacity`` rows whose numeric columns share one record per row (see
    ``rlcore/_core.pyi``)."""

    cdef readonly Py_ssize_t capacity
    cdef readonly Py_ssize_t stride
    cdef readonly list columns
    cdef readonly tuple offsets
    cdef readonly tuple names
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
    cdef list _out_descrs  # per field: numpy's own dtype of its type number for a native-order dtype, else None
    cdef list _dtypes
    cdef list _shapes
    cdef Py_ssize_t _out_k
    cdef list _out_shapes

    def __cinit__(self):
        self._viewed = False
        self._out_k = -1
        self._off = self._nbytes = self._dim0 = self._ndim = self._dims = NULL

    def __init__(self, capacity, dtypes, row_shapes, names=None):
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
        if names is not None:
            names = tuple(names)
            if len(names) != nf or not all(type(x) is str for x in names) or len(set(names)) != nf:
                raise ValueError(f"names must be {nf} distinct str (one per field), got {names!r}")
        self.names = names
        self._nf = nf
        self._out_descrs = []
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
            self._out_descrs.append(cnp.PyArray_DescrFromType(dts[f].num) if dts[f].isnative
                                    and self._ndim[f] < _OUT_MAXDIM else None)
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

    cdef Py_ssize_t _add(self, object srcs, bint by_name, Py_ssize_t start, SumSegmentTree sum_tree,
                         MinSegmentTree min_tree, double leaf) except -2:
        """replay_add into the records: -1 (nothing written) when a source does not fit as is. The
        sources are ``srcs[f]`` (a list), or with ``by_name`` the dict ``srcs``'s own entries under
        ``names[f]``. Each source is read through numpy's C API (no buffer request); ``refs`` holds them
        while the GIL is released."""
        cdef Py_ssize_t nf = self._nf, f, d, n = -1, cap = self.capacity, keep, first, pos, j, q, nb, st = self.stride
        cdef const unsigned char* stack_src[16]
        cdef const unsigned char** sp = stack_src
        cdef PyObject* item
        cdef cnp.ndarray a
        cdef cnp.npy_intp* dims
        refs = []
        if nf > 16:
            sp = <const unsigned char**>PyMem_Malloc(nf * sizeof(unsigned char*))
            if sp == NULL:
                raise MemoryError()
        try:
            for f in range(nf):
                if by_name:
                    item = PyDict_GetItem(srcs, self.names[f])
                    if item == NULL:
                        return -1
                    src = <object>item
                else:
                    src = (<list>srcs)[f]
                if not cnp.PyArray_Check(src):
                    return -1
                a = <cnp.ndarray>src
                dt = <object>cnp.PyArray_DESCR(a)
                if dt is not self._dtypes[f] and dt != self._dtypes[f]:
                    return -1
                if cnp.PyArray_NDIM(a) != self._ndim[f] + 1 or not cnp.PyArray_IS_C_CONTIGUOUS(a):
                    return -1
                dims = cnp.PyArray_DIMS(a)
                for d in range(self._ndim[f]):
                    if dims[d + 1] != self._dims[self._dim0[f] + d]:
                        return -1
                if f == 0:
                    n = dims[0]
                elif dims[0] != n:
                    return -1
                sp[f] = <const unsigned char*>cnp.PyArray_DATA(a)
                refs.append(src)
            if n == 0:
                return 0
            keep = n if n < cap else cap
            first = n - keep
            pos = (start + first) % cap
            if keep >= 4096:
                with nogil:
                    self._scatter(sp, first, keep, pos)
                    if sum_tree is not None:
                        _set_ring_leaves(&sum_tree._lay, &min_tree._lay, pos, keep, cap, leaf)
            else:  # a small batch keeps the GIL (its release costs more than the copy)
                self._scatter(sp, first, keep, pos)
                if sum_tree is not None:
                    _set_ring_leaves(&sum_tree._lay, &min_tree._lay, pos, keep, cap, leaf)
                self._prefetch_next((pos + keep) % cap, keep, sum_tree, min_tree)
            return n
        finally:
            if sp != stack_src:
                PyMem_Free(sp)

    cdef void _prefetch_next(self, Py_ssize_t pos, Py_ssize_t n, SumSegmentTree sum_tree,
                             MinSegmentTree min_tree) noexcept:
        """Puts in flight for writing the records (and the trees' leaves) of the ``n`` ring rows from
        ``pos``, wrapping: the rows the next add of as many rows writes, so their misses overlap with
        whatever runs until then instead of stalling that add."""
        cdef Py_ssize_t head = min(n, self.capacity - pos), st = self.stride
        rl_prefetch_write(self._base + pos * st, head * st)
        rl_prefetch_write(self._base, (n - head) * st)
        if sum_tree is not None:
            rl_prefetch_write(sum_tree._lay.t + pos, head * 8)
            rl_prefetch_write(sum_tree._lay.t, (n - head) * 8)
            rl_prefetch_write(min_tree._lay.t + pos, head * 8)
            rl_prefetch_write(min_tree._lay.t, (n - head) * 8)

    cdef void _scatter(self, const unsigned char** sp, Py_ssize_t first, Py_ssize_t keep,
                       Py_ssize_t pos) noexcept nogil:
        """Rows ``first .. first + keep`` of every field's source ``sp[f]`` to the records from ``pos``, wrapping:
        at most two runs of consecutive records per field."""
        cdef Py_ssize_t f, nb, st = self.stride, head = min(keep, self.capacity - pos)
        cdef const unsigned char* s
        for f in range(self._nf):
            nb = self._nbytes[f]
            if nb == 0:
                continue
            s = sp[f] + first * nb
            _scatter_field(self._base + self._off[f] + pos * st, s, head, nb, st)
            _scatter_field(self._base + self._off[f], s + head * nb, keep - head, nb, st)

    cdef list _outputs(self, Py_ssize_t k, unsigned char** ptrs):
        """New C-contiguous arrays of ``k`` rows for every field (numpy's C API for native dtypes of
        fewer than _OUT_MAXDIM dimensions, ``np.empty`` otherwise); their data pointers go to ``ptrs``."""
        cdef Py_ssize_t f, d
        cdef cnp.npy_intp dims[_OUT_MAXDIM]
        outs = []
        for f in range(self._nf):
            descr = self._out_descrs[f]
            if descr is not None:
                dims[0] = k
                for d in range(self._ndim[f]):
                    dims[d + 1] = self._dims[self._dim0[f] + d]
                out = rl_new_array(descr, <int>self._ndim[f] + 1, dims)
            else:
                if k != self._out_k:  # the output shapes of the last k asked for are kept
                    self._out_shapes = [(k,) + <tuple>shape for shape in self._shapes]
                    self._out_k = k
                out = np.empty(self._out_shapes[f], self._dtypes[f])
            ptrs[f] = <unsigned char*>cnp.PyArray_DATA(<cnp.ndarray>out)
            outs.append(out)
        return outs

    cdef void _gather(self, const int64_t* idx, Py_ssize_t k, unsigned char** ptrs) noexcept nogil:
        cdef Py_ssize_t f, q, nb, st = self.stride
        cdef const unsigned char* s
        cdef unsigned char* t
        for f in range(self._nf):
            nb = self._nbytes[f]
            s = self._base + self._off[f]
            t = ptrs[f]
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


cdef class ReplayRing:
    """The write position and row count of a ring of ``capacity`` rows, the one place they are kept,
    and the :class:`ReplayRecords` of its numeric columns, which :meth:`add` writes and advances the
    ring past in one call (see ``rlcore/_core.pyi``)."""

    cdef readonly Py_ssize_t capacity
    cdef readonly Py_ssize_t pos
    cdef readonly Py_ssize_t size
    cdef readonly ReplayRecords records
    cdef readonly tuple dict_types

    def __init__(self, capacity, dict_types=(dict,)):
        self.capacity = _check_count("capacity", capacity, 1)
        dict_types = tuple(dict_types)
        for t in dict_types:
            if not (isinstance(t, type) and issubclass(t, dict)):
                raise TypeError(f"dict_types must hold dict and subclasses of dict, got {t!r}")
        self.dict_types = dict_types
        self.pos = 0
        self.size = 0
        self.records = None

    def reset(self, pos, size, records=None):
        """Sets the position, the row count and the records (checked; see ``rlcore/_core.pyi``)."""
        cdef Py_ssize_t p = _check_count("pos", pos, 0)
        if p >= self.capacity:
            raise ValueError(f"pos must be an int in [0, {self.capacity}), got {pos!r}")
        cdef Py_ssize_t s = _check_count("size", size, 0)
        if s > self.capacity:
            raise ValueError(f"size must be an int in [0, {self.capacity}], got {size!r}")
        if records is not None and not (isinstance(records, ReplayRecords)
                                        and (<ReplayRecords>records).capacity == self.capacity):
            raise TypeError(f"records must be None or a ReplayRecords of capacity {self.capacity}, got {records!r}")
        self.pos, self.size, self.records = p, s, records

    def advance(self, n):
        """Moves past ``n`` rows written from ``pos`` (an int >= 0); returns where they started."""
        cdef Py_ssize_t k = _check_count("n", n, 0), start = self.pos
        self._advance(k)
        return start

    cdef inline void _advance(self, Py_ssize_t n) noexcept:
        self.pos = (self.pos + n) % self.capacity
        self.size = min(self.capacity, self.size + n)

    def add(self, srcs, SumSegmentTree sum_tree=None, MinSegmentTree min_tree=None, value=0.0):
        """``replay_add(records, srcs, pos, ...)``, then the ring advanced past the rows: ``(n, slots)``
        with ``slots`` the rows kept (as ``replay_slots``), or None with nothing written (see
        ``rlcore/_core.pyi``)."""
        return self._add(srcs, sum_tree, min_tree, value)

    cdef object _add(self, object srcs, SumSegmentTree sum_tree, MinSegmentTree min_tree, object value):
        """add (also PrioritizedReplayCore's call, without a def's argument parsing)."""
        cdef ReplayRecords records = self.records
        cdef Py_ssize_t n, start = self.pos
        if records is None:
            return None
        if type(srcs) is list:
            n = _add_records(records, srcs, False, start, sum_tree, min_tree, value)
        elif records.names is not None and (type(srcs) is dict or type(srcs) in self.dict_types):
            n = _add_records(records, srcs, True, start, sum_tree, min_tree, value)
        else:
            return None
        if n < 0:
            return None
        slots = _ring_slots(start, n, self.capacity)
        self._advance(n)
        return n, slots


cdef class PrioritizedReplayCore:
    """The state a prioritized replay buffer's operations read, and those operations each in one call
    when the input fits as is: the base of ``rlcore.data.replay_buffers.PrioritizedReplayBuffer``,
    which keeps its attributes here (see ``rlcore/_core.pyi``). Input that does not fit goes to the
    subclass's ``_add_general``, ``_sample_general`` or ``_update_general``, which cast or raise."""

    cdef public object _storage
    cdef public ReplayRing _ring
    cdef public SumSegmentTree _sum
    cdef public MinSegmentTree _min
    cdef public ReplayPriorityStats _stats
    cdef public object _rng
    cdef public object alpha
    cdef public object beta
    cdef public object eps
    cdef public bint _items
    cdef public Py_ssize_t _added_count
    cdef public Py_ssize_t _sampled_count
    cdef public object _batch_type
    cdef public object _batch_attrs

    cdef int _check_ready(self) except -1:
        if self._ring is None or self._stats is None:
            raise TypeError(f"{type(self).__name__}: _ring and _stats must be set before the buffer is used")
        return 0

    cdef object _write_exact(self, object batch):
        """The storage's ``write_exact`` of ``batch`` at ``max_priority ** alpha``: ``(n, slots)`` or None."""
        leaf = pow(self._stats.max_priority, <double>self.alpha)
        cdef ReplayRecords records = self._ring.records
        if records is not None and records.names is not None:  # every column numeric: write_exact is ring.add
            return self._ring._add(batch, self._sum, self._min, leaf)
        return self._storage.write_exact(batch, self._sum, self._min, leaf)

    def add(self, batch, *, unit_lens=None, priorities=None):
        """Adds a batch; its units get ``priorities`` (one per unit) or the max priority so far.

        Returns:
            The slots of the units added (int64), as ``ReplayBuffer.add``.
        """
        self._check_ready()
        if priorities is None and unit_lens is None and not self._items:  # the usual add: one native call
            added = self._write_exact(batch)
            if added is not None:
                self._added_count += <Py_ssize_t>(<tuple>added)[0]
                return (<tuple>added)[1]
        return self._add_general(batch, unit_lens, priorities)

    def _add_exact(self, batch):
        """Timesteps only: adds ``batch`` at the max priority in one call if it fits the stored columns
        exactly (``ColumnStorage.write_exact``); its rows, or -1 with nothing added."""
        self._check_ready()
        added = self._write_exact(batch)
        if added is None:
            return -1
        self._added_count += <Py_ssize_t>(<tuple>added)[0]
        return (<tuple>added)[0]

    def sample(self, n, beta=None):
        """Draws ``n`` units in proportion to ``priority ** alpha``, with ``weights`` and
        ``batch_indexes`` columns.

        Args:
            n: Number of units (an int >= 1).
            beta: Importance-weight exponent (>= 0); defaults to the buffer's ``beta``.
        """
        self._check_ready()
        b = self.beta if beta is None else beta
        if (type(n) is int and n >= 1 and not self._items and self._ring.size > 0
                and type(b) is float and 0.0 <= <double>b < INFINITY):
            records = self._storage.sample_records
            if records is not None:
                # every column is a numeric field of the records: the uniforms, the slots, the weights
                # and the rows, weights and batch_indexes set in a new batch, in one call
                out = _replay_sample(self._sum, self._min, n, b, records, self._rng, self._batch_type,
                                     self._batch_attrs)
                self._sampled_count += <Py_ssize_t>n
                return out
        return self._sample_general(n, beta)

    def update_td_errors(self, idxes, td_errors):
        """Sets priorities to ``|td_errors| + eps`` (what RLlib's replay actor did)."""
        self._check_ready()
        if (not self._items and cnp.PyArray_CheckExact(idxes) and cnp.PyArray_CheckExact(td_errors)
                and _replay_update(self._sum, self._min, idxes, td_errors, self.alpha, 0, self._ring.size, self.eps,
                                   self._stats) >= 0.0):
            return  # 1-D float64 or float32 TD errors at live rows: |td| + eps in the same call
        self._update_general(idxes, td_errors)

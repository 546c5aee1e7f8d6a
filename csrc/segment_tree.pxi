# Sum and min trees over float64 leaves (8-ary, csrc/btree.h), with batched update / get / prefix-sum search.

cdef extern from "btree.h" nogil:
    ctypedef struct rl_btree_t:
        double* t
        int top
        Py_ssize_t capacity
    Py_ssize_t rl_bt_layout(rl_btree_t* tr, Py_ssize_t capacity)
    double rl_bt_root(const rl_btree_t* tr)
    int rl_bt_update(rl_btree_t* tr, const int64_t* idxs, const double* vals, Py_ssize_t k, int is_min)
    int rl_bt_update_pair(rl_btree_t* sum, rl_btree_t* mn, const int64_t* idxs, const double* vals,
                          Py_ssize_t k)
    void rl_bt_set_range(rl_btree_t* sum, rl_btree_t* mn, Py_ssize_t lo, Py_ssize_t hi, double leaf)
    double rl_bt_reduce(const rl_btree_t* tr, Py_ssize_t start, Py_ssize_t end, int is_min)
    int rl_bt_find_prefixsum(const rl_btree_t* tr, const double* prefixsums, Py_ssize_t k, int64_t* out)
    int rl_bt_sample(const rl_btree_t* tr, const double* uniforms, Py_ssize_t k, int64_t* out, double* probs)
    void rl_bt_is_weights(const rl_btree_t* sum, const rl_btree_t* mn, const int64_t* idxs, Py_ssize_t k,
                          double beta, float* weights)
    void rl_pow_n(double* x, Py_ssize_t k, double a)


cdef class _SegmentTree:
    """8-ary tree over ``capacity`` leaves in one float64 array (layout in ``csrc/btree.h``)."""

    cdef readonly Py_ssize_t _capacity
    cdef int _is_min
    cdef object _tree
    cdef double[::1] _t
    cdef rl_btree_t _lay

    def __init__(self, capacity):
        self._capacity = _check_count("capacity", capacity, 1)
        cdef Py_ssize_t n = rl_bt_layout(&self._lay, self._capacity)
        block = np.full(n + 8, math.inf if self._is_min else 0.0, np.float64)
        cdef Py_ssize_t shift = ((-block.ctypes.data) % 64) // 8  # every level starts on a cache line
        self._tree = block
        self._t = block[shift:shift + n]
        self._lay.t = &self._t[0]

    @property
    def capacity(self):
        return self._capacity

    def __len__(self):
        return self._capacity

    cdef Py_ssize_t _index(self, idx) except -1:
        if isinstance(idx, bool) or not isinstance(idx, (int, np.integer)):
            raise TypeError(f"idx must be an int, got {type(idx).__name__}")
        if not 0 <= idx < self._capacity:
            raise IndexError(f"idx {idx} out of range [0, {self._capacity})")
        return idx

    def __getitem__(self, idx):
        return self._t[self._index(idx)]

    def __setitem__(self, idx, value):
        self.update(np.array([self._index(idx)], np.int64), np.array([value], np.float64))

    cdef const int64_t* _idxs(self, _Buffers bufs, object idxs) except NULL:
        """int64 leaf indices, each checked against the capacity in one C loop."""
        cdef const int64_t* ip = <const int64_t*>bufs.vec(idxs, "idxs", _I64s)
        cdef Py_ssize_t q
        for q in range(idxs.shape[0]):
            if ip[q] < 0 or ip[q] >= self._capacity:
                raise IndexError(f"idxs out of range [0, {self._capacity})")
        return ip

    def update(self, idxs, values):
        """Sets leaves ``idxs`` (int64) to ``values`` (float64); the last write of an index wins."""
        cdef _Buffers bufs = _Buffers()
        cdef const int64_t* ip = self._idxs(bufs, idxs)
        cdef Py_ssize_t k = idxs.shape[0]
        cdef const double* vp = <const double*>bufs.vec(values, "values", _F64s)
        if values.shape[0] != k:
            raise ValueError(f"values has {values.shape[0]} entries, expected {k} (as idxs)")
        self._check_values(values)
        cdef int status
        with nogil:
            status = rl_bt_update(&self._lay, ip, vp, k, self._is_min)
        if status:
            raise MemoryError()

    def _check_values(self, values):
        if np.isnan(values).any():
            raise ValueError("values must not be NaN")

    def get(self, idxs):
        """Reads leaves ``idxs`` (int64) into a new float64 array."""
        cdef _Buffers bufs = _Buffers()
        cdef const int64_t* ip = self._idxs(bufs, idxs)
        cdef Py_ssize_t q, k = idxs.shape[0]
        out = np.empty(k, np.float64)
        cdef double* op = <double*>bufs.take(out, "out", True)
        for q in range(k):
            op[q] = self._t[ip[q]]
        return out

    def reduce(self, Py_ssize_t start=0, end=None):
        """Sum or min over leaves ``[start, end)``; ``end=None`` means ``capacity``."""
        cdef Py_ssize_t e = self._capacity if end is None else end
        if not (0 <= start <= e <= self._capacity):
            raise ValueError(f"range [{start}, {e}) is not within [0, {self._capacity}]")
        return rl_bt_reduce(&self._lay, start, e, self._is_min)


cdef class SumSegmentTree(_SegmentTree):
    """Sum tree; all leaves 0 at start (see ``rlcore/_core.pyi``).

    Examples:
        >>> import numpy as np
        >>> from rlcore._backend import SumSegmentTree
        >>> tree = SumSegmentTree(4)
        >>> tree.update(np.arange(4), np.array([1.0, 0.0, 2.0, 1.0]))
        >>> tree.sum(), tree.find_prefixsum_idx(np.array([0.5, 1.5, 3.5])).tolist()
        (4.0, [0, 2, 3])
    """

    def __cinit__(self, *args, **kwargs):
        self._is_min = 0

    def _check_values(self, values):
        if not np.isfinite(values).all() or (values < 0).any():
            raise ValueError("values of a SumSegmentTree must be finite and >= 0")

    def sum(self, start=0, end=None):
        return self.reduce(start, end)

    def find_prefixsum_idx(self, prefixsums):
        """For each prefix sum ``p``: the highest ``i`` with ``sum(leaves[:i]) <= p``."""
        cdef _Buffers bufs = _Buffers()
        cdef const double* pp = <const double*>bufs.vec(prefixsums, "prefixsums", _F64s)
        cdef Py_ssize_t q, k = prefixsums.shape[0]
        for q in range(k):
            if not (pp[q] >= 0.0 and pp[q] < INFINITY):
                raise ValueError("prefixsums must be finite and >= 0")
        out = np.empty(k, np.int64)
        cdef int64_t* op = <int64_t*>bufs.take(out, "out", True)
        cdef int status
        with nogil:
            status = rl_bt_find_prefixsum(&self._lay, pp, k, op)
        if status:
            raise MemoryError()
        return out


    def sample(self, uniforms):
        """Proportional sampling: ``(indices, probabilities)`` for uniforms in ``[0, 1)``.

        Index ``q`` is ``find_prefixsum_idx(uniforms[q] * sum())`` and its probability that leaf's
        mass over the total: what prioritized replay needs for importance weights, in one call.
        """
        cdef _Buffers bufs = _Buffers()
        cdef const double* up = <const double*>bufs.vec(uniforms, "uniforms", _F64s)
        cdef Py_ssize_t q, k = uniforms.shape[0]
        for q in range(k):
            if not (up[q] >= 0.0 and up[q] < 1.0):
                raise ValueError("uniforms must be in [0, 1)")
        out = np.empty(k, np.int64)
        probs = np.empty(k, np.float64)
        cdef int64_t* op = <int64_t*>bufs.take(out, "out", True)
        cdef double* pp = <double*>bufs.take(probs, "probs", True)
        cdef int status
        with nogil:
            status = rl_bt_sample(&self._lay, up, k, op, pp)
        if status:
            raise MemoryError()
        return out, probs


cdef class MinSegmentTree(_SegmentTree):
    """Min tree; all leaves ``+inf`` at start (see ``rlcore/_core.pyi``)."""

    def __cinit__(self, *args, **kwargs):
        self._is_min = 1

    def min(self, start=0, end=None):
        return self.reduce(start, end)

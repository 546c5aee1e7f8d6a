# TrajectoryCollector: preallocated columnar trajectory buffers for N envs stepping together.
#
# Storage is env-major, one numpy array per column of shape [num_envs, cap, *row]; a "slot" is
# one position along `cap`. Each env writes its rows at consecutive slots. The obs column holds
# each row's observation at the row's slot and its successor at the next slot, so an observation
# is copied in once per step, not twice (obs and new_obs). When an episode ends at slot p, slot
# p+1 holds its final observation (a gap: t == -1, not a row) and the next episode starts at p+2.
#
# Per env: rows in slots [0, ready_slots) are cut (ready to pop); rows from `unflushed` on are
# pending; `pos` is the slot of the observation the next action is taken from. pop() copies
# every ready run of rows out with one memcpy per column and moves the pending slots to the
# front. The numpy twin (rlcore/_reference.py) keeps Python lists instead; the tests hold both
# to the same output.

from rlcore._checks import (
    COLLECTOR_COLUMNS,
    _collector_args,
    _collector_spec,
    _distinct_env_ids,
    _env_ids,
    _extras_list,
    _rows,
)

DEF _MAX_COLS = 64

_ROW_FLAGS = (np.dtype(np.bool_), np.dtype(np.uint8))
_REWARDS = (_F32, _F64)


cdef const char _EMPTY_INPUT = 0


cdef inline bint _fits(object x, tuple dtypes, tuple shape):
    """Whether ``x`` is a C-contiguous numpy array of ``shape`` whose dtype equals one of
    ``dtypes`` (as ``x.dtype in dtypes`` compares them), without the buffer protocol."""
    if not cnp.PyArray_Check(x):
        return False
    cdef cnp.ndarray a = <cnp.ndarray>x
    cdef int nd = cnp.PyArray_NDIM(a), j
    if nd != len(shape) or not cnp.PyArray_IS_C_CONTIGUOUS(a):
        return False
    cdef cnp.npy_intp* dims = cnp.PyArray_DIMS(a)
    for j in range(nd):
        if dims[j] != <cnp.npy_intp>(<object>shape[j]):
            return False
    cdef cnp.dtype own = <cnp.dtype><object><void*>cnp.PyArray_DESCR(a)
    for dt in dtypes:
        if cnp.PyArray_EquivTypes(own, <cnp.dtype>dt):
            return True
    return False


cdef inline char* _data(object arr):
    """Start of a C-contiguous numpy array's data (NULL when empty)."""
    if arr.size == 0:
        return NULL
    cdef unsigned char[::1] mv = arr.reshape(-1).view(np.uint8)
    return <char*>&mv[0]


cdef class TrajectoryCollector:
    """Preallocated columnar trajectory buffers for ``num_envs`` environments stepping together.

    One :meth:`append` per vector step stores every env's row without per-env Python work; rows
    are cut into fragments of ``fragment_length`` rows per env (``"truncate_episodes"``) or at
    episode ends (``"complete_episodes"``); :meth:`pop` returns every ready row as columns plus
    the lengths of its segments (one env, one episode, one fragment each).

    Examples:
        >>> import numpy as np
        >>> from rlcore._backend import TrajectoryCollector
        >>> c = TrajectoryCollector(2, obs_shape=(1,), fragment_length=2,
        ...                         extras={"vf_preds": ((), np.float32)})
        >>> c.reset(np.zeros((2, 1), np.float32))
        >>> for step in range(2):
        ...     ready = c.append(actions=np.array([0, 1]), rewards=np.ones(2),
        ...                      terminateds=np.array([step == 0, False]),
        ...                      truncateds=np.zeros(2, bool),
        ...                      new_obs=np.full((2, 1), step + 1, np.float32),
        ...                      extras=[np.zeros(2, np.float32)],
        ...                      next_obs=np.full((2, 1), -1, np.float32))
        >>> batch, seg_lens = c.pop()
        >>> batch["eps_id"].tolist(), batch["t"].tolist(), seg_lens.tolist()
        ([0, 2, 1, 1], [0, 0, 0, 1], [1, 1, 2])
        >>> batch["obs"][:, 0].tolist(), batch["new_obs"][:, 0].tolist()
        ([0.0, -1.0, 0.0, 1.0], [1.0, 2.0, 1.0, 2.0])
    """

    cdef readonly Py_ssize_t num_envs
    cdef readonly Py_ssize_t fragment_length
    cdef readonly str batch_mode
    cdef readonly tuple extra_names
    cdef bint _complete
    cdef Py_ssize_t _cap
    cdef int64_t _next_eps, _next_unroll, _total_ready
    # generic columns: 0 obs, 1 actions, 2.. extras; [num_envs, cap, *row]
    cdef int _ncols
    cdef list _names, _shapes, _dtypes, _store
    cdef tuple _accepts  # per column: the one dtype its input may have, as _read takes it
    cdef tuple _full_shapes
    cdef Py_ssize_t _rowbytes[_MAX_COLS]
    cdef char* _ptr[_MAX_COLS]
    # fixed columns: [num_envs, cap]
    cdef object _fixed
    cdef float* _rew
    cdef uint8_t* _term
    cdef uint8_t* _trunc
    cdef uint8_t* _end
    cdef int64_t* _eps
    cdef int64_t* _t
    cdef int64_t* _unroll
    # per-env state
    cdef object _state
    cdef int64_t* _pos
    cdef int64_t* _cur_eps
    cdef int64_t* _ep_t
    cdef int64_t* _pending
    cdef int64_t* _unflushed
    cdef int64_t* _ready_slots
    cdef int64_t* _ready_rows
    cdef int64_t* _keep_from
    cdef int64_t* _awaiting

    def __init__(self, num_envs, obs_shape, obs_dtype=np.float32, action_shape=(), action_dtype=np.int64,
                 extras=None, fragment_length=200, batch_mode="truncate_episodes", eps_id_start=0,
                 unroll_id_start=0):
        _collector_args(num_envs, fragment_length, batch_mode)
        specs = _collector_spec(obs_shape, obs_dtype, action_shape, action_dtype, extras, COLLECTOR_COLUMNS)
        if len(specs) > _MAX_COLS:
            raise ValueError(f"at most {_MAX_COLS - 2} extra columns are supported, got {len(specs) - 2}")
        self.num_envs, self.fragment_length, self.batch_mode = num_envs, fragment_length, batch_mode
        self._complete = batch_mode == "complete_episodes"
        self._names = list(specs)
        self.extra_names = tuple(self._names[2:])
        self._ncols = len(self._names)
        self._shapes = [specs[k][0] for k in self._names]
        self._dtypes = [specs[k][1] for k in self._names]
        self._accepts = tuple((d,) for d in self._dtypes)
        self._full_shapes = tuple((self.num_envs, *s) for s in self._shapes)
        for c in range(self._ncols):
            self._rowbytes[c] = self._dtypes[c].itemsize * int(np.prod(self._shapes[c], dtype=np.int64))
        self._next_eps, self._next_unroll, self._total_ready = eps_id_start, unroll_id_start, 0
        self._state = np.zeros((9, self.num_envs), np.int64)
        cdef int64_t[:, ::1] st = self._state
        self._pos, self._cur_eps, self._ep_t = &st[0, 0], &st[1, 0], &st[2, 0]
        self._pending, self._unflushed, self._ready_slots = &st[3, 0], &st[4, 0], &st[5, 0]
        self._ready_rows, self._keep_from, self._awaiting = &st[6, 0], &st[7, 0], &st[8, 0]
        self._state[8] = 1  # every env awaits its first reset()
        self._store = [None] * self._ncols
        self._cap = 0
        self._grow(self.fragment_length + 4)

    def _grow(self, Py_ssize_t cap):
        """(Re)allocates every column with ``cap`` slots per env, keeping what is stored."""
        self._realloc(self.num_envs, cap)

    def _realloc(self, Py_ssize_t n, Py_ssize_t cap):
        """(Re)allocates every column for ``n`` envs of ``cap`` slots, keeping what is stored."""
        cdef Py_ssize_t old = self._cap, old_n = self.num_envs if self._cap else 0, c
        for c in range(self._ncols):
            arr = np.zeros((n, cap, *self._shapes[c]), self._dtypes[c])
            if old:
                arr[:old_n, :old] = self._store[c]
            self._store[c] = arr
            self._ptr[c] = _data(arr)
        fixed = {k: np.zeros((n, cap), dt) for k, dt in (
            ("rewards", np.float32), ("terminateds", np.uint8), ("truncateds", np.uint8),
            ("seg_end", np.uint8), ("eps_id", np.int64), ("t", np.int64), ("unroll_id", np.int64))}
        if old:
            for k, arr in fixed.items():
                arr[:old_n, :old] = self._fixed[k]
        self._fixed = fixed
        self._rew = <float*>_data(fixed["rewards"])
        self._term = <uint8_t*>_data(fixed["terminateds"])
        self._trunc = <uint8_t*>_data(fixed["truncateds"])
        self._end = <uint8_t*>_data(fixed["seg_end"])
        self._eps = <int64_t*>_data(fixed["eps_id"])
        self._t = <int64_t*>_data(fixed["t"])
        self._unroll = <int64_t*>_data(fixed["unroll_id"])
        self._cap = cap
        if n != self.num_envs:
            self._set_env_count(n)

    def _set_env_count(self, Py_ssize_t n):
        """Per-env state for ``n`` envs; envs beyond the current ones await their first reset()."""
        cdef Py_ssize_t old_n = self.num_envs
        state = np.zeros((9, n), np.int64)
        state[:, :old_n] = self._state
        state[8, old_n:] = 1
        self._state = state
        cdef int64_t[:, ::1] st = self._state
        self._pos, self._cur_eps, self._ep_t = &st[0, 0], &st[1, 0], &st[2, 0]
        self._pending, self._unflushed, self._ready_slots = &st[3, 0], &st[4, 0], &st[5, 0]
        self._ready_rows, self._keep_from, self._awaiting = &st[6, 0], &st[7, 0], &st[8, 0]
        self.num_envs = n
        self._full_shapes = tuple((n, *s) for s in self._shapes)

    def add_envs(self, count):
        """Adds ``count`` envs (slots) at the end; each awaits :meth:`reset`. Returns ``num_envs``."""
        if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
            raise ValueError(f"count must be an int >= 1, got {count!r}")
        self._realloc(self.num_envs + int(count), self._cap)
        return self.num_envs

    @property
    def ready_rows(self):
        """Rows cut into fragments and waiting for :meth:`pop`."""
        return self._total_ready

    @property
    def pending_rows(self):
        """Rows appended but not yet cut."""
        return int(self._state[3].sum())

    @property
    def awaiting_reset(self):
        """Per env: whether it needs :meth:`reset` (or ``next_obs``) before its next append."""
        return self._state[8].astype(np.bool_)

    def reset(self, obs, env_ids=None, eps_ids=None):
        """Starts new episodes on ``env_ids`` (all envs by default) from first observations ``obs``;
        their episode ids are ``eps_ids`` if given, else the next ones of the collector's counter."""
        env_ids = _env_ids(env_ids, self.num_envs)
        _rows("obs", obs, len(env_ids), self._shapes[0], self._dtypes[0])
        if eps_ids is not None:
            _rows("eps_ids", eps_ids, len(env_ids), (), np.dtype(np.int64))
        cdef const int64_t[::1] ids = env_ids
        cdef Py_ssize_t k, i, rb = self._rowbytes[0]
        for k in range(ids.shape[0]):
            i = ids[k]
            if not self._awaiting[i] and self._ep_t[i] > 0:
                raise ValueError(f"env {i} has an episode in progress; end it (truncateds=True) before reset")
        cdef char* src = _data(obs)
        for k in range(ids.shape[0]):
            i = ids[k]
            if rb:
                memcpy(self._ptr[0] + (i * self._cap + self._pos[i]) * rb, src + k * rb, rb)
            if eps_ids is None:
                self._start(i)
            else:
                self._start_as(i, eps_ids[k])

    cdef inline void _start(self, Py_ssize_t i) noexcept nogil:
        self._start_as(i, self._next_eps)
        self._next_eps += 1

    cdef inline void _start_as(self, Py_ssize_t i, int64_t eps) noexcept nogil:
        self._cur_eps[i] = eps
        self._ep_t[i] = 0
        self._awaiting[i] = 0

    cdef void _flush(self, Py_ssize_t i, Py_ssize_t last_row) noexcept nogil:
        """Cuts env ``i``'s pending rows, the last at slot ``last_row``, into a fragment."""
        cdef Py_ssize_t base = i * self._cap, s
        self._end[base + last_row] = 1
        for s in range(self._unflushed[i], last_row + 1):
            self._unroll[base + s] = self._next_unroll
        self._next_unroll += 1
        self._ready_slots[i] = last_row + 1
        self._ready_rows[i] += self._pending[i]
        self._total_ready += self._pending[i]
        self._pending[i] = 0
        self._keep_from[i] = self._pos[i]
        self._unflushed[i] = self._pos[i]

    cdef const char* _read(self, object arr, object name, tuple dtypes, tuple shape) except NULL:
        """The data of a per-step input that fits as is (a C-contiguous, native-order numpy array of
        one of ``dtypes`` and of ``shape``), read through the C API; on any mismatch the shared
        checks raise. ``name``: the input's name, or the index of its column (named only for an
        error)."""
        if _fits(arr, dtypes, shape):
            data = cnp.PyArray_DATA(<cnp.ndarray>arr)
            return <const char*>data if data != NULL else &_EMPTY_INPUT
        if not isinstance(name, str):
            name = ("new_obs", "actions")[name] if name < 2 else f"extras[{self._names[name]!r}]"
        if len(dtypes) == 1:
            _rows(name, arr, shape[0], shape[1:], dtypes[0])
        else:
            _array(name, arr, dtypes, 1, shape[0])
        raise ValueError(f"{name} cannot be read as a C-contiguous buffer")

    def append(self, actions, rewards, terminateds, truncateds, new_obs, extras=(), next_obs=None, env_ids=None,
               skip=None):
        """Appends one row per env (or per env of ``env_ids``; none for envs where ``skip``);
        returns :attr:`ready_rows` (see ``rlcore/_core.pyi``)."""
        cdef int c, ncols = self._ncols
        cdef Py_ssize_t n = self.num_envs, i, k, p, cap, need, rb, rbo = self._rowbytes[0]
        cdef bint subset = env_ids is not None
        cdef const int64_t[::1] id_view
        cdef const int64_t* ids = NULL
        cdef const uint8_t[::1] skip_view
        cdef const uint8_t* skips = NULL
        full_shapes = self._full_shapes
        if skip is not None:
            if subset:
                raise ValueError("give env_ids or skip, not both")
            skip_view = _flags("skip", skip, self.num_envs).view(np.uint8)
            if self.num_envs:
                skips = &skip_view[0]
        if subset:
            env_ids = _distinct_env_ids(env_ids, self.num_envs)
            n = env_ids.shape[0]
            full_shapes = tuple((n, *s) for s in self._shapes)
            if n:
                id_view = env_ids
                ids = &id_view[0]
        cdef const char* src[_MAX_COLS]
        cdef const char* rew_src
        cdef const uint8_t* term_src
        cdef const uint8_t* trunc_src
        cdef const char* next_src = NULL
        cdef bint rew64, done, has_next = next_obs is not None
        if type(extras) is dict and len(<dict>extras) == ncols - 2:  # by name, the usual case
            try:
                extras = [(<dict>extras)[name] for name in self.extra_names]
            except KeyError:
                extras = _extras_list(extras, self.extra_names)
        else:
            extras = _extras_list(extras, self.extra_names)
        inputs = [new_obs, actions, *extras]
        for c in range(ncols):
            src[c] = self._read(inputs[c], c, self._accepts[c], full_shapes[c])
        rew_src = self._read(rewards, "rewards", _REWARDS, (n,))
        rew64 = cnp.PyArray_ITEMSIZE(<cnp.ndarray>rewards) == 8
        term_src = <const uint8_t*>self._read(terminateds, "terminateds", _ROW_FLAGS, (n,))
        trunc_src = <const uint8_t*>self._read(truncateds, "truncateds", _ROW_FLAGS, (n,))
        if has_next:
            next_src = self._read(next_obs, "next_obs", self._accepts[0], full_shapes[0])
        need = 0
        for k in range(n):
            i = ids[k] if subset else k
            if skips != NULL and skips[k]:
                continue
            if self._awaiting[i]:
                waiting = np.flatnonzero(self._state[8]).tolist()
                if subset:
                    waiting = sorted(set(waiting) & set(env_ids.tolist()))
                elif skip is not None:
                    waiting = [e for e in waiting if not skip[e]]
                raise ValueError(f"envs {waiting} await reset() before append()")
            if self._pos[i] + 3 > need:
                need = self._pos[i] + 3
        if need > self._cap:
            self._grow(max(need, 2 * self._cap))
        cap = self._cap
        with nogil:
            for k in range(n):
                i = ids[k] if subset else k
                if skips != NULL and skips[k]:
                    continue
                p = self._pos[i]
                for c in range(1, ncols):
                    rb = self._rowbytes[c]
                    memcpy(self._ptr[c] + (i * cap + p) * rb, src[c] + k * rb, rb)
                memcpy(self._ptr[0] + (i * cap + p + 1) * rbo, src[0] + k * rbo, rbo)
                if rew64:
                    self._rew[i * cap + p] = <float>(<const double*>rew_src)[k]
                else:
                    self._rew[i * cap + p] = (<const float*>rew_src)[k]
                self._term[i * cap + p] = term_src[k] != 0
                self._trunc[i * cap + p] = trunc_src[k] != 0
                self._end[i * cap + p] = 0
                self._eps[i * cap + p] = self._cur_eps[i]
                self._t[i * cap + p] = self._ep_t[i]
                self._ep_t[i] += 1
                self._pending[i] += 1
                done = term_src[k] != 0 or trunc_src[k] != 0
                if done:
                    self._end[i * cap + p] = 1
                    self._t[i * cap + p + 1] = -1  # the final observation's slot is a gap
                    self._awaiting[i] = 1
                    self._pos[i] = p + 2
                else:
                    self._pos[i] = p + 1
                if (done and self._complete) or (
                    not self._complete and self._pending[i] == self.fragment_length
                ):
                    self._flush(i, p)
                if done and has_next:
                    memcpy(self._ptr[0] + (i * cap + p + 2) * rbo, next_src + k * rbo, rbo)
                    self._start(i)
        return self._total_ready

    def cut(self, env_ids=None):
        """Cuts every in-progress fragment of ``env_ids`` now; returns :attr:`ready_rows`."""
        cdef const int64_t[::1] ids = _env_ids(env_ids, self.num_envs)
        cdef Py_ssize_t k, i, last
        for k in range(ids.shape[0]):
            i = ids[k]
            if self._pending[i] == 0:
                continue
            last = self._pos[i] - 1
            if self._t[i * self._cap + last] < 0:  # a gap: the last row ended its episode
                last -= 1
            self._flush(i, last)
        return self._total_ready

    def pop(self):
        """Returns ``(columns, seg_lens)`` of every ready row, env by env in time order."""
        cdef Py_ssize_t n = self.num_envs, cap = self._cap, R = self._total_ready
        cdef Py_ssize_t i, p, a, m, c, rb, r = 0, nseg = 0, k = 0, base, keep
        out = {"obs": np.empty((R, *self._shapes[0]), self._dtypes[0]),
               "new_obs": np.empty((R, *self._shapes[0]), self._dtypes[0])}
        for c in range(1, self._ncols):
            out[self._names[c]] = np.empty((R, *self._shapes[c]), self._dtypes[c])
        out["rewards"] = np.empty(R, np.float32)
        for name in ("terminateds", "truncateds", "dones"):
            out[name] = np.empty(R, np.bool_)
        for name in ("eps_id", "t", "env_id", "unroll_id"):
            out[name] = np.empty(R, np.int64)
        for i in range(n):
            base = i * cap
            for p in range(self._ready_slots[i]):
                if self._t[base + p] >= 0 and self._end[base + p]:
                    nseg += 1
        seg_lens = np.empty(nseg, np.int64)
        nseg = 0
        cdef char* dst[_MAX_COLS]
        for c in range(self._ncols):
            dst[c] = _data(out[self._names[c]])
        cdef char* new_obs = _data(out["new_obs"])
        cdef float* rew = <float*>_data(out["rewards"])
        cdef uint8_t* term = <uint8_t*>_data(out["terminateds"])
        cdef uint8_t* trunc = <uint8_t*>_data(out["truncateds"])
        cdef uint8_t* dones = <uint8_t*>_data(out["dones"])
        cdef int64_t* eps = <int64_t*>_data(out["eps_id"])
        cdef int64_t* tt = <int64_t*>_data(out["t"])
        cdef int64_t* env = <int64_t*>_data(out["env_id"])
        cdef int64_t* unroll = <int64_t*>_data(out["unroll_id"])
        cdef int64_t* segs = <int64_t*>_data(seg_lens)
        with nogil:
            for i in range(n):
                base = i * cap
                p = 0
                while p < self._ready_slots[i]:
                    if self._t[base + p] < 0:  # gap slot: a final observation
                        p += 1
                        continue
                    a = p
                    while not self._end[base + p]:
                        p += 1
                    m = p - a + 1  # rows a..p are one segment
                    for c in range(self._ncols):
                        rb = self._rowbytes[c]
                        memcpy(dst[c] + r * rb, self._ptr[c] + (base + a) * rb, m * rb)
                    rb = self._rowbytes[0]
                    memcpy(new_obs + r * rb, self._ptr[0] + (base + a + 1) * rb, m * rb)
                    memcpy(rew + r, self._rew + base + a, m * sizeof(float))
                    memcpy(term + r, self._term + base + a, m)
                    memcpy(trunc + r, self._trunc + base + a, m)
                    memcpy(eps + r, self._eps + base + a, m * sizeof(int64_t))
                    memcpy(tt + r, self._t + base + a, m * sizeof(int64_t))
                    memcpy(unroll + r, self._unroll + base + a, m * sizeof(int64_t))
                    for k in range(r, r + m):
                        dones[k] = term[k] | trunc[k]
                        env[k] = i
                    segs[nseg] = m
                    nseg += 1
                    r += m
                    p += 1
                self._compact(i)
        self._total_ready = 0
        return out, seg_lens

    cdef void _compact(self, Py_ssize_t i) noexcept nogil:
        """Drops env ``i``'s popped slots: moves slots [keep_from, pos] to the front."""
        cdef Py_ssize_t keep = self._keep_from[i], base = i * self._cap, c, rb
        cdef Py_ssize_t m = self._pos[i] - keep + 1
        self._ready_slots[i] = 0
        self._ready_rows[i] = 0
        if keep == 0:
            return
        for c in range(self._ncols):
            rb = self._rowbytes[c]
            memmove(self._ptr[c] + base * rb, self._ptr[c] + (base + keep) * rb, m * rb)
        memmove(self._rew + base, self._rew + base + keep, m * sizeof(float))
        memmove(self._term + base, self._term + base + keep, m)
        memmove(self._trunc + base, self._trunc + base + keep, m)
        memmove(self._end + base, self._end + base + keep, m)
        memmove(self._eps + base, self._eps + base + keep, m * sizeof(int64_t))
        memmove(self._t + base, self._t + base + keep, m * sizeof(int64_t))
        memmove(self._unroll + base, self._unroll + base + keep, m * sizeof(int64_t))
        self._pos[i] -= keep
        self._unflushed[i] -= keep
        self._keep_from[i] = 0

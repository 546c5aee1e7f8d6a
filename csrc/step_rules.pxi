from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.ref cimport Py_INCREF, Py_XDECREF

# Episode limits of one vector step (rlcore.sampling.step_rules.EpisodeLimits: horizon,
# soft_horizon, no_done_at_end), fused with the sampler's per-env episode return and length: one
# C loop over the envs in place of the dozen numpy calls a step took. Inputs are read straight
# from their numpy arrays (no buffer protocol); anything unusual goes through the shared checks.


cdef inline bint _plain_vec(object x, int typenum, Py_ssize_t n, bint writable):
    """Whether ``x`` is a C-contiguous, native-order 1-D numpy array of ``typenum`` and ``n``
    entries (``n`` < 0: any), writable if asked."""
    if not cnp.PyArray_Check(x):
        return False
    cdef cnp.ndarray a = <cnp.ndarray>x
    return (cnp.PyArray_NDIM(a) == 1 and cnp.PyArray_TYPE(a) == typenum and cnp.PyArray_IS_C_CONTIGUOUS(a)
            and cnp.PyArray_ISNOTSWAPPED(a) and (n < 0 or cnp.PyArray_DIMS(a)[0] == n)
            and (not writable or cnp.PyArray_ISWRITEABLE(a)))


cdef object _flag_vec(object x, str name, Py_ssize_t n):
    """``x`` as a 1-D bool array of ``n`` entries (``n`` < 0: any); anything else is converted
    as ``np.asarray(x, bool)``."""
    if _plain_vec(x, cnp.NPY_BOOL, n, False):
        return x
    x = np.ascontiguousarray(x, np.bool_)
    if x.ndim != 1:
        raise ValueError(f"flags must be 1-D, one per env, got shape {x.shape}")
    if n >= 0 and x.shape[0] != n:
        raise ValueError(f"{name} has {x.shape[0]} entries, expected {n} (one per env)")
    return x


cdef char _EMPTY_VEC = 0


cdef void* _kernel_vec(object x, str name, int typenum, tuple dtypes, Py_ssize_t n, bint writable) except NULL:
    """The data of a 1-D array of ``typenum`` and ``n`` entries; the shared checks raise otherwise."""
    if not _plain_vec(x, typenum, n, writable):
        _array(name, x, dtypes, 1, n)
        raise ValueError(f"{name} must be a writable C-contiguous array")
    cdef void* data = cnp.PyArray_DATA(<cnp.ndarray>x)
    return data if data != NULL else <void*>&_EMPTY_VEC


def episode_step(terminateds, truncateds, ep_len, Py_ssize_t horizon=0, bint soft_horizon=False,
                 bint no_done_at_end=False, rewards=None, ep_reward=None, waiting=None):
    """The stored flags and episode ends of one vector step (see ``rlcore/_core.pyi``)."""
    terminateds = _flag_vec(terminateds, "terminateds", -1)
    cdef Py_ssize_t n = cnp.PyArray_DIMS(<cnp.ndarray>terminateds)[0], i
    truncateds = _flag_vec(truncateds, "truncateds", n)
    cdef bint accumulate = rewards is not None
    if accumulate != (ep_reward is not None):
        raise ValueError("give rewards and ep_reward together (or neither)")
    if horizon < 0:
        raise ValueError(f"horizon must be >= 0 (0: none), got {horizon}")
    cdef int64_t* lens = <int64_t*>_kernel_vec(ep_len, "ep_len", cnp.NPY_INT64, _I64s, n, accumulate)
    cdef const double* rew64 = NULL
    cdef const float* rew32 = NULL
    cdef double* ret = NULL
    if accumulate:
        if _plain_vec(rewards, cnp.NPY_FLOAT32, n, False):
            rew32 = <const float*>cnp.PyArray_DATA(<cnp.ndarray>rewards)
        else:
            if not (isinstance(rewards, np.ndarray) and rewards.dtype in _REWARDS):
                rewards = np.asarray(rewards, np.float64)
            rew64 = <const double*>_kernel_vec(rewards, "rewards", cnp.NPY_FLOAT64, _F64s, n, False)
        ret = <double*>_kernel_vec(ep_reward, "ep_reward", cnp.NPY_FLOAT64, _F64s, n, True)
    cdef const uint8_t* wait = NULL
    if waiting is not None:
        waiting = _flag_vec(waiting, "waiting", n)
        wait = <const uint8_t*>cnp.PyArray_DATA(<cnp.ndarray>waiting)
    cdef const uint8_t* term_in = <const uint8_t*>cnp.PyArray_DATA(<cnp.ndarray>terminateds)
    cdef const uint8_t* trunc_in = <const uint8_t*>cnp.PyArray_DATA(<cnp.ndarray>truncateds)
    cdef cnp.npy_intp dim = n
    term = cnp.PyArray_EMPTY(1, &dim, cnp.NPY_BOOL, 0)
    trunc = cnp.PyArray_EMPTY(1, &dim, cnp.NPY_BOOL, 0)
    done = cnp.PyArray_EMPTY(1, &dim, cnp.NPY_BOOL, 0)
    cdef uint8_t* t_out = <uint8_t*>cnp.PyArray_DATA(<cnp.ndarray>term)
    cdef uint8_t* u_out = <uint8_t*>cnp.PyArray_DATA(<cnp.ndarray>trunc)
    cdef uint8_t* d_out = <uint8_t*>cnp.PyArray_DATA(<cnp.ndarray>done)
    cdef uint8_t* hit = NULL
    hits = None
    if horizon > 0:
        hits = cnp.PyArray_ZEROS(1, &dim, cnp.NPY_BOOL, 0)
        hit = <uint8_t*>cnp.PyArray_DATA(<cnp.ndarray>hits)
    cdef Py_ssize_t n_done = 0, n_hit = 0
    cdef bint t, u, live
    with nogil:
        for i in range(n):
            live = wait == NULL or wait[i] == 0
            if accumulate and live:
                ret[i] += rew64[i] if rew64 != NULL else rew32[i]
                lens[i] += 1
            t = term_in[i] != 0
            u = trunc_in[i] != 0
            if hit != NULL and not (t or u) and lens[i] >= horizon:
                u = True
                hit[i] = 1
                n_hit += 1
            if no_done_at_end:
                u = t or u
                t = False
            t_out[i] = t
            u_out[i] = u
            d_out[i] = (t or u) and live
            n_done += d_out[i]
    reset = soft = None
    if hits is not None:
        if soft_horizon:
            soft = hits if n_hit else None
        else:
            reset = hits
    return term, trunc, done, reset, soft, n_done


def gather_step_rows(steps, env_ids, offsets):
    """Each popped row's entry of its vector step's per-env list (see ``rlcore/_core.pyi``)."""
    if type(steps) is not list:
        steps = list(steps)
    cdef const int64_t* ids = <const int64_t*>_kernel_vec(env_ids, "env_ids", cnp.NPY_INT64, _I64s, -1, False)
    cdef const int64_t* first = <const int64_t*>_kernel_vec(offsets, "offsets", cnp.NPY_INT64, _I64s, -1, False)
    cdef Py_ssize_t rows = cnp.PyArray_DIMS(<cnp.ndarray>env_ids)[0]
    cdef Py_ssize_t n = cnp.PyArray_DIMS(<cnp.ndarray>offsets)[0], nsteps = len(<list>steps), j, e, s
    cdef cnp.npy_intp dim = n
    counts = cnp.PyArray_ZEROS(1, &dim, cnp.NPY_INT64, 0)
    cdef int64_t* cnt = <int64_t*>cnp.PyArray_DATA(<cnp.ndarray>counts)
    out = np.empty(rows, dtype=object)
    cdef PyObject** dst = <PyObject**>cnp.PyArray_DATA(<cnp.ndarray>out)
    cdef PyObject* item
    for j in range(rows):
        e = ids[j]
        if e < 0 or e >= n:
            raise IndexError(f"env_ids[{j}] = {e}: expected an env index in [0, {n})")
        s = first[e] + cnt[e]
        if s < 0 or s >= nsteps:
            raise IndexError(f"row {j} (env {e}) is step {s} of the {nsteps} steps given")
        row = <object>PyList_GET_ITEM(<list>steps, s)
        if type(row) is list and e < PyList_GET_SIZE(<list>row):
            item = PyList_GET_ITEM(<list>row, e)
            Py_INCREF(<object>item)
        else:  # any other sequence
            try:
                value = row[e]
            except (IndexError, KeyError, TypeError) as err:
                raise IndexError(f"row {j}: step {s}'s entries have none for env {e} ({err})") from err
            item = <PyObject*>value
            Py_INCREF(value)
        Py_XDECREF(dst[j])
        dst[j] = item
        cnt[e] += 1
    return out, counts

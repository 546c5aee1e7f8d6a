# Return kernels: discounted cumsum, segmented GAE, V-trace, n-step adjustment.


def discount_cumsum(x, double gamma):
    """``y[t] = x[t] + gamma * y[t+1]`` over a 1-D float32 array (see ``rlcore/_core.pyi``)."""
    cdef _Buffers bufs = _Buffers()
    cdef const float* xp = <const float*>bufs.vec(x, "x", _F32s)
    cdef Py_ssize_t n = x.shape[0]
    out = np.empty(n, np.float32)
    cdef float* op = <float*>bufs.take(out, "out", True)
    cdef int status
    with nogil:
        status = rl_discount_cumsum(xp, op, n, gamma)
    if status:
        raise MemoryError()
    return out


def compute_gae(rewards, values, terminateds, seg_lens, bootstrap_values, double gamma, double lambda_):
    """GAE over consecutive segments of one batch (see ``rlcore/_core.pyi``)."""
    cdef _Buffers bufs = _Buffers()
    cdef const float* r = <const float*>bufs.vec(rewards, "rewards", _F32s)
    cdef Py_ssize_t n = rewards.shape[0]
    cdef const float* v = <const float*>bufs.vec(values, "values", _F32s, n)
    cdef const uint8_t* term = <const uint8_t*>bufs.vec(terminateds, "terminateds", _FLAGS, n)
    cdef const int64_t* segs = _seg_lens(bufs, seg_lens, n)
    cdef Py_ssize_t nseg = seg_lens.shape[0]
    cdef const float* boot = <const float*>bufs.vec(bootstrap_values, "bootstrap_values", _F32s)
    if bootstrap_values.shape[0] != nseg:
        raise ValueError(
            f"bootstrap_values has {bootstrap_values.shape[0]} entries, expected {nseg} (one per segment)"
        )
    adv = np.empty(n, np.float32)
    targets = np.empty(n, np.float32)
    cdef float* a = <float*>bufs.take(adv, "adv", True)
    cdef float* tg = <float*>bufs.take(targets, "targets", True)
    cdef int status
    with nogil:
        status = rl_gae(r, v, term, segs, boot, nseg, n, gamma, lambda_, a, tg)
    if status:
        raise MemoryError()
    return adv, targets


def vtrace(log_rhos, discounts, rewards, values, bootstrap_value,
           clip_rho_threshold=1.0, clip_pg_rho_threshold=1.0):
    """V-trace targets, time-major ``[T]`` or ``[T, B]`` (see ``rlcore/_core.pyi``)."""
    _array("log_rhos", log_rhos, (_F32,), (1, 2))
    shape = log_rhos.shape
    for name, arr in (("discounts", discounts), ("rewards", rewards), ("values", values)):
        _array(name, arr, (_F32,), (1, 2))
        if arr.shape != shape:
            raise ValueError(f"{name} has shape {arr.shape}, expected {shape} (as log_rhos)")
    _array("bootstrap_value", bootstrap_value, (_F32,))
    if bootstrap_value.size != (shape[1] if len(shape) == 2 else 1):
        raise ValueError(f"bootstrap_value has shape {bootstrap_value.shape}, expected {shape[1:] or (1,)}")
    cdef double rho_clip = math.inf if clip_rho_threshold is None else float(clip_rho_threshold)
    cdef double pg_clip = math.inf if clip_pg_rho_threshold is None else float(clip_pg_rho_threshold)
    vs = np.empty(shape, np.float32)
    pg = np.empty(shape, np.float32)
    cdef Py_ssize_t T = shape[0], B = shape[1] if len(shape) == 2 else 1
    cdef const float[::1] lr = log_rhos.reshape(-1), d = discounts.reshape(-1)
    cdef const float[::1] r = rewards.reshape(-1), v = values.reshape(-1)
    cdef const float[::1] boot = bootstrap_value.reshape(-1)
    cdef float[::1] vsv = vs.reshape(-1), pgv = pg.reshape(-1)
    if T and B:
        with nogil:
            rl_vtrace(&lr[0], &d[0], &r[0], &v[0], &boot[0], T, B, rho_clip, pg_clip, &vsv[0], &pgv[0])
    return vs, pg


def adjust_nstep(n_step, double gamma, rewards, terminateds, seg_lens):
    """n-step returns within segments (see ``rlcore/_core.pyi``)."""
    cdef int64_t n_ = _check_count("n_step", n_step, 1)
    cdef _Buffers bufs = _Buffers()
    cdef const float* r = <const float*>bufs.vec(rewards, "rewards", _F32s)
    cdef Py_ssize_t n = rewards.shape[0]
    cdef const uint8_t* term = <const uint8_t*>bufs.vec(terminateds, "terminateds", _FLAGS, n)
    cdef const int64_t* segs = _seg_lens(bufs, seg_lens, n)
    cdef Py_ssize_t nseg = seg_lens.shape[0]
    out_r = np.empty(n, np.float32)
    nxt = np.empty(n, np.int64)
    out_term = np.empty(n, np.bool_)
    horizon = np.empty(n, np.int64)
    cdef float* orv = <float*>bufs.take(out_r, "out", True)
    cdef int64_t* nv = <int64_t*>bufs.take(nxt, "out", True)
    cdef uint8_t* otv = <uint8_t*>bufs.take(out_term, "out", True)
    cdef int64_t* hv = <int64_t*>bufs.take(horizon, "out", True)
    with nogil:
        rl_adjust_nstep(n_, gamma, r, term, segs, nseg, orv, nv, otv, hv)
    return out_r, nxt, out_term, horizon

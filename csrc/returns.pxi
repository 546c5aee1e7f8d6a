# Return kernels: discounted cumsum, segmented GAE, V-trace, n-step adjustment.


def discount_cumsum(x, double gamma):
    """``y[t] = x[t] + gamma * y[t+1]`` over a 1-D float32 array (see ``rlcore/_core.pyi``)."""
    _f32("x", x)
    out = np.empty_like(x)
    cdef const float[::1] xv = x
    cdef float[::1] ov = out
    cdef Py_ssize_t n = xv.shape[0]
    if n:
        with nogil:
            rl_discount_cumsum(&xv[0], &ov[0], n, gamma)
    return out


def compute_gae(rewards, values, terminateds, seg_lens, bootstrap_values, double gamma, double lambda_):
    """GAE over consecutive segments of one batch (see ``rlcore/_core.pyi``)."""
    _f32("rewards", rewards)
    cdef Py_ssize_t n = rewards.shape[0]
    _f32("values", values, n)
    terminateds = _flags("terminateds", terminateds, n)
    _segments(seg_lens, n)
    _f32("bootstrap_values", bootstrap_values)
    if bootstrap_values.shape[0] != seg_lens.shape[0]:
        raise ValueError(
            f"bootstrap_values has {bootstrap_values.shape[0]} entries, "
            f"expected {seg_lens.shape[0]} (one per segment)"
        )
    adv = np.empty(n, np.float32)
    targets = np.empty(n, np.float32)
    cdef const float[::1] r = rewards, v = values, boot = bootstrap_values
    cdef const uint8_t[::1] term = _u8(terminateds)
    cdef const int64_t[::1] segs = seg_lens
    cdef float[::1] a = adv, tg = targets
    cdef Py_ssize_t nseg = segs.shape[0]
    if n:
        with nogil:
            rl_gae(&r[0], &v[0], &term[0], &segs[0], &boot[0], nseg, n, gamma, lambda_, &a[0], &tg[0])
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
    _f32("rewards", rewards)
    cdef Py_ssize_t n = rewards.shape[0]
    terminateds = _flags("terminateds", terminateds, n)
    _segments(seg_lens, n)
    out_r = np.empty(n, np.float32)
    nxt = np.empty(n, np.int64)
    out_term = np.empty(n, np.bool_)
    horizon = np.empty(n, np.int64)
    cdef const float[::1] r = rewards
    cdef const uint8_t[::1] term = _u8(terminateds)
    cdef const int64_t[::1] segs = seg_lens
    cdef float[::1] orv = out_r
    cdef int64_t[::1] nv = nxt, hv = horizon
    cdef uint8_t[::1] otv = out_term.view(np.uint8)
    cdef Py_ssize_t nseg = segs.shape[0]
    if n:
        with nogil:
            rl_adjust_nstep(n_, gamma, &r[0], &term[0], &segs[0], nseg, &orv[0], &nv[0], &otv[0], &hv[0])
    return out_r, nxt, out_term, horizon

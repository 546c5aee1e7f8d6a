# Loss kernels: a loss, its statistics and its gradient in one pass (csrc/loss_kernels.h).


def categorical_logp(logits, actions):
    """Log-probabilities of ``actions`` under the softmax of each row of ``logits`` (see ``rlcore/_core.pyi``)."""
    if not (type(logits) is np.ndarray and type(actions) is np.ndarray and logits.ndim == 2
            and logits.dtype == _F32 and actions.dtype == _I64 and actions.ndim == 1
            and actions.shape[0] == logits.shape[0] and logits.shape[1] >= 1):
        _categorical_logp_args(logits, actions)
    cdef Py_ssize_t n = logits.shape[0], k = logits.shape[1]
    cdef _Buffers bufs = _Buffers()
    cdef const float* z = <const float*>bufs.take(logits, "logits")
    cdef const int64_t* a = <const int64_t*>bufs.take(actions, "actions")
    out = np.empty(n, np.float32)
    cdef float* o = <float*>bufs.take(out, "out", True)
    cdef Py_ssize_t bad
    with nogil:
        bad = rl_categorical_logp(z, a, n, k, o)
    if bad:
        raise ValueError(f"actions[{bad - 1}] = {actions[bad - 1]} is outside [0, {k}) (the number of logits)")
    return out


def ppo_categorical_loss(logits, logits_old, actions, logp_old, advantages, values, vf_preds,
                         value_targets, weights, double clip_param, double kl_coeff, double entropy_coeff,
                         double vf_loss_coeff, double vf_clip_param):
    """PPO's categorical loss, statistics and gradients (see ``rlcore/_core.pyi``)."""
    _ppo_shapes(logits, logits_old, actions, logp_old, advantages, values, vf_preds, value_targets, weights)
    cdef Py_ssize_t n = logits.shape[0], k = logits.shape[1]
    cdef _Buffers bufs = _Buffers()
    cdef const float* z = <const float*>bufs.take(logits, "logits")
    cdef const float* zo = <const float*>bufs.take(logits_old, "logits_old")
    cdef const int64_t* a = <const int64_t*>bufs.take(actions, "actions")
    cdef const float* lp = <const float*>bufs.take(logp_old, "logp_old")
    cdef const float* adv = <const float*>bufs.take(advantages, "advantages")
    cdef const float* v = NULL
    cdef const float* vo = NULL
    cdef const float* t = NULL
    cdef const float* w = NULL
    cdef float* gv = NULL
    grad_values = None
    if values is not None:
        v = <const float*>bufs.take(values, "values")
        vo = <const float*>bufs.take(vf_preds, "vf_preds")
        t = <const float*>bufs.take(value_targets, "value_targets")
        grad_values = np.empty(n, np.float32)
        gv = <float*>bufs.take(grad_values, "grad_values", True)
    if weights is not None:
        w = <const float*>bufs.take(weights, "weights")
    grad_logits = np.empty((n, k), np.float32)
    cdef float* gz = <float*>bufs.take(grad_logits, "grad_logits", True)
    stats = np.empty(6, np.float64)
    cdef double* out = <double*>bufs.take(stats, "stats", True)
    cdef Py_ssize_t bad
    with nogil:
        bad = rl_ppo_categorical(z, zo, a, lp, adv, v, vo, t, w, n, k, clip_param, kl_coeff, entropy_coeff,
                                 vf_loss_coeff, vf_clip_param, gz, gv, out)
    if bad < 0:
        raise MemoryError()
    if bad:
        raise ValueError(f"actions[{bad - 1}] = {actions[bad - 1]} is outside [0, {k}) (the number of logits)")
    return stats, grad_logits, grad_values

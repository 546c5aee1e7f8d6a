# Extern-only declarations of csrc/rl_kernels.h (no Python API; declared once, cimported by name).
from libc.stdint cimport int64_t, uint8_t

cdef extern from "rl_kernels.h" nogil:
    int rl_discount_cumsum(const float *x, float *out, Py_ssize_t n, double gamma)
    int rl_gae(const float *rewards, const float *values, const uint8_t *terminateds,
                const int64_t *seg_lens, const float *bootstrap, Py_ssize_t nseg,
                Py_ssize_t n, double gamma, double lambda_, float *adv, float *targets)
    void rl_vtrace(const float *log_rhos, const float *discounts, const float *rewards,
                   const float *values, const float *bootstrap, Py_ssize_t T, Py_ssize_t B,
                   double rho_clip, double pg_clip, float *vs, float *pg)
    void rl_adjust_nstep(int64_t n_step, double gamma, const float *rewards,
                         const uint8_t *terminateds, const int64_t *seg_lens, Py_ssize_t nseg,
                         float *out_r, int64_t *next_idx, uint8_t *out_term, int64_t *horizon)
    void rl_prefetch_rows(const unsigned char *src, Py_ssize_t row, const int64_t *idx, Py_ssize_t k)
    void rl_copy_rows(const unsigned char *src, unsigned char *dst, Py_ssize_t row, const int64_t *idx,
                      Py_ssize_t k)

cdef extern from "loss_kernels.h" nogil:
    Py_ssize_t rl_categorical_logp(const float *logits, const int64_t *actions, Py_ssize_t n, Py_ssize_t k,
                                   float *out)
    Py_ssize_t rl_ppo_categorical(const float *logits, const float *logits_old, const int64_t *actions,
                                  const float *logp_old, const float *adv, const float *values,
                                  const float *vf_preds, const float *targets, const float *weights,
                                  Py_ssize_t n, Py_ssize_t k, double clip, double kl_coeff, double ent_coeff,
                                  double vf_coeff, double vf_clip, float *grad_logits, float *grad_values,
                                  double *out)

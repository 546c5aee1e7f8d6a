/* Pointer-level loss kernels of rlcore's compiled core: a loss and its gradient in one pass.
 *
 * Plain C, no Python API; arguments are validated by csrc/losses.pxi. The numpy twin in
 * rlcore/_reference.py computes the same double-precision formulas (vectorized), so results agree
 * to double rounding before the final cast to float32.
 */
#ifndef RLCORE_LOSS_KERNELS_H
#define RLCORE_LOSS_KERNELS_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Softmax of z[0..k) into p; returns log(sum(exp(z))) (shifted by the maximum). */
static inline double rl_softmax(const float *z, ptrdiff_t k, double *p) {
    double m = -INFINITY, s = 0.0;
    for (ptrdiff_t j = 0; j < k; ++j) m = fmax(m, (double)z[j]);
    for (ptrdiff_t j = 0; j < k; ++j) s += (p[j] = exp((double)z[j] - m));
    for (ptrdiff_t j = 0; j < k; ++j) p[j] /= s;
    return m + log(s);
}

/* The log-probability of actions[i] under the softmax of logits row i, for n rows of k logits:
 * (z[a] - max(z)) - log(sum(exp(z - max(z)))) in double precision, cast to float (the maximum
 * first, as torch's log_softmax, so huge logits keep their differences). Returns 0, or 1 + the
 * first row whose action is outside [0, k) (nothing written from that row on). */
static inline ptrdiff_t rl_categorical_logp(const float *logits, const int64_t *actions, ptrdiff_t n, ptrdiff_t k,
                                            float *out) {
    for (ptrdiff_t i = 0; i < n; ++i) {
        const float *z = logits + i * k;
        int64_t a = actions[i];
        if (a < 0 || a >= k) return i + 1;
        double m = -INFINITY, s = 0.0;
        for (ptrdiff_t j = 0; j < k; ++j) m = fmax(m, (double)z[j]);
        for (ptrdiff_t j = 0; j < k; ++j) s += exp((double)z[j] - m);
        out[i] = (float)(((double)z[a] - m) - log(s));
    }
    return 0;
}

/* d min(a, b) by torch's rule: the derivative of the smaller operand, the half sum on a tie. */
static inline double rl_min_grad(double a, double b, double da, double db) {
    return a < b ? da : a > b ? db : 0.5 * (da + db);
}

/* PPO's loss for a categorical policy over n rows of k logits (RLlib 1.x, per row):
 *   kl_coeff * KL(old || new) - min(A r, A clip(r, 1 - clip, 1 + clip)) - ent_coeff * H
 *   + vf_coeff * max((V - T)^2, (V_old + clip(V - V_old, +-vf_clip) - T)^2)      (with a critic)
 * averaged with the row weights w (NULL: 1/n). Writes d(total)/d(logits) and d(total)/d(values)
 * and out[0..5] = total, policy loss (-mean surrogate), vf loss, KL, entropy and the explained
 * variance 1 - Var[T - V] / Var[T] (at least -1; 0, 0 without a critic: values == NULL).
 * Returns 0, -1 when out of memory, or 1 + the first row whose action is outside [0, k). */
static inline ptrdiff_t rl_ppo_categorical(const float *logits, const float *logits_old, const int64_t *actions,
                                           const float *logp_old, const float *adv, const float *values,
                                           const float *vf_preds, const float *targets, const float *weights,
                                           ptrdiff_t n, ptrdiff_t k, double clip, double kl_coeff,
                                           double ent_coeff, double vf_coeff, double vf_clip,
                                           float *grad_logits, float *grad_values, double *out) {
    double *p = (double *)malloc((size_t)(k > 0 ? 2 * k : 1) * sizeof(double)), *p_old = p + k;
    if (!p) return -1;
    const double low = 1.0 - clip, high = 1.0 + clip;
    double total = 0.0, policy_loss = 0.0, vf_loss = 0.0, kl_mean = 0.0, ent_mean = 0.0;
    double mean_t = 0.0, mean_res = 0.0;
    for (ptrdiff_t i = 0; i < n; ++i) {
        const float *z = logits + i * k, *zo = logits_old + i * k;
        const int64_t a = actions[i];
        if (a < 0 || a >= k) {
            free(p);
            return i + 1;
        }
        const double w = weights ? (double)weights[i] : 1.0 / (double)n;
        const double lse = rl_softmax(z, k, p), lse_old = rl_softmax(zo, k, p_old);
        double kl = 0.0, ent = 0.0;
        for (ptrdiff_t j = 0; j < k; ++j) {
            const double lp = (double)z[j] - lse;
            if (p_old[j] > 0.0) kl += p_old[j] * ((double)zo[j] - lse_old - lp);
            if (p[j] > 0.0) ent -= p[j] * lp;
        }
        const double A = (double)adv[i];
        const double ratio = exp((double)z[a] - lse - (double)logp_old[i]);
        const double clipped = fmin(fmax(ratio, low), high);
        const double s_raw = A * ratio, s_clipped = A * clipped;
        const double surrogate = fmin(s_raw, s_clipped);
        const double c = rl_min_grad(s_raw, s_clipped, A, (ratio >= low && ratio <= high) ? A : 0.0);
        double per_row = kl_coeff * kl - surrogate - ent_coeff * ent;
        for (ptrdiff_t j = 0; j < k; ++j) {
            const double g = kl_coeff * (p[j] - p_old[j]) - c * ratio * ((j == a ? 1.0 : 0.0) - p[j])
                             + ent_coeff * (p[j] > 0.0 ? p[j] * ((double)z[j] - lse + ent) : 0.0);
            grad_logits[i * k + j] = (float)(w * g);
        }
        if (values) {
            const double v = (double)values[i], v_old = (double)vf_preds[i], t = (double)targets[i];
            const double err = v - t, delta = v - v_old;
            const double err_clipped = v_old + fmin(fmax(delta, -vf_clip), vf_clip) - t;
            const double l1 = err * err, l2 = err_clipped * err_clipped;
            const double in_range = (delta >= -vf_clip && delta <= vf_clip) ? 1.0 : 0.0;
            /* max(l1, l2) = -min(-l1, -l2): the larger square's derivative, the half sum on a tie */
            grad_values[i] = (float)(w * vf_coeff * rl_min_grad(l2, l1, 2.0 * err, 2.0 * err_clipped * in_range));
            per_row += vf_coeff * fmax(l1, l2);
            vf_loss += w * fmax(l1, l2);
            mean_t += t;
            mean_res += t - v;
        }
        total += w * per_row;
        policy_loss -= w * surrogate;
        kl_mean += w * kl;
        ent_mean += w * ent;
    }
    double explained = 0.0;
    if (values && n > 0) {
        mean_t /= (double)n;
        mean_res /= (double)n;
        double var_t = 0.0, var_res = 0.0;
        for (ptrdiff_t i = 0; i < n; ++i) {
            const double t = (double)targets[i], res = t - (double)values[i];
            var_t += (t - mean_t) * (t - mean_t);
            var_res += (res - mean_res) * (res - mean_res);
        }
        explained = 1.0 - (var_res / (double)n) / (var_t / (double)n);
        if (explained < -1.0) explained = -1.0;
    }
    free(p);
    out[0] = total;
    out[1] = policy_loss;
    out[2] = vf_loss;
    out[3] = kl_mean;
    out[4] = ent_mean;
    out[5] = explained;
    return 0;
}

#endif

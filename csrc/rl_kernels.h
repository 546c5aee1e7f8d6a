/* Pointer-level kernels of rlcore's compiled core: returns and replay row gathers (the trees are in btree.h).
 *
 * Plain C, no Python API. Every function here has a numpy twin in rlcore/_reference.py that
 * performs the same double-precision operations in the same order, so results are bit-identical.
 * Arguments are validated by the Cython layer (the .pxi files) before these are called.
 */
#ifndef RLCORE_KERNELS_H
#define RLCORE_KERNELS_H

#include <math.h>
#include <stdint.h>
#include <stddef.h>

#include <stdlib.h>
#include <string.h>

/* Backward discounted scan: out[t] = d[t] + (reset[t] ? 0 : c * out[t+1]), out[n] = 0.
 *
 * The recurrence is latency-bound (one multiply and one add per row on the critical path), so
 * rows are taken four at a time: the in-group partial sums p0..p3 do not depend on the carry and
 * overlap with the previous group, and the carry advances four rows per multiply-add. A group
 * with a reset inside falls back to single steps. `reset` may be NULL (no resets). Results equal
 * the sequential recurrence up to double rounding (the numpy twin is sequential).
 */
static inline void rl_scan(const double *d, const uint8_t *reset, ptrdiff_t n, double c, float *out) {
    const double c2 = c * c, c3 = c2 * c, c4 = c3 * c;
    double carry = 0.0; /* out[t+1] in double */
    ptrdiff_t t = n - 1;
    while (t >= 3) {
        if (reset && (reset[t - 1] | reset[t - 2] | reset[t - 3])) {
            carry = d[t] + (reset[t] ? 0.0 : c * carry);
            out[t--] = (float)carry;
            continue;
        }
        double a = (reset && reset[t]) ? 0.0 : carry;
        double p0 = d[t], p1 = d[t - 1] + c * p0, p2 = d[t - 2] + c * p1, p3 = d[t - 3] + c * p2;
        out[t] = (float)(p0 + c * a);
        out[t - 1] = (float)(p1 + c2 * a);
        out[t - 2] = (float)(p2 + c3 * a);
        carry = p3 + c4 * a;
        out[t - 3] = (float)carry;
        t -= 4;
    }
    for (; t >= 0; --t) {
        carry = d[t] + ((reset && reset[t]) ? 0.0 : c * carry);
        out[t] = (float)carry;
    }
}

/* y[t] = x[t] + gamma * y[t+1], backwards. Returns -1 when out of memory. */
static inline int rl_discount_cumsum(const float *x, float *out, ptrdiff_t n, double gamma) {
    double *d = (double *)malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    if (!d) return -1;
    for (ptrdiff_t t = 0; t < n; ++t) d[t] = (double)x[t];
    rl_scan(d, NULL, n, gamma, out);
    free(d);
    return 0;
}

/* GAE over consecutive segments; a terminated row ends the recursion (next value 0).
 * First pass: TD errors and where the recursion restarts (no dependency chain); second pass:
 * the discounted scan. Returns -1 when out of memory. */
static inline int rl_gae(const float *rewards, const float *values, const uint8_t *terminateds,
                         const int64_t *seg_lens, const float *bootstrap, ptrdiff_t nseg,
                         ptrdiff_t n, double gamma, double lambda_, float *adv, float *targets) {
    double *delta = (double *)malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    uint8_t *reset = (uint8_t *)malloc((size_t)(n > 0 ? n : 1));
    if (!delta || !reset) {
        free(delta);
        free(reset);
        return -1;
    }
    ptrdiff_t start = 0;
    for (ptrdiff_t s = 0; s < nseg; ++s) {
        ptrdiff_t end = start + (ptrdiff_t)seg_lens[s];
        for (ptrdiff_t t = start; t < end; ++t) {
            int last = t == end - 1;
            double next_value = terminateds[t] ? 0.0 : last ? (double)bootstrap[s] : (double)values[t + 1];
            delta[t] = (double)rewards[t] + gamma * next_value - (double)values[t];
            reset[t] = (uint8_t)(last || terminateds[t]);
        }
        start = end;
    }
    rl_scan(delta, reset, n, gamma * lambda_, adv);
    for (ptrdiff_t t = 0; t < n; ++t) targets[t] = adv[t] + values[t];
    free(delta);
    free(reset);
    return 0;
}

/* V-trace for one column b of time-major [T, B] arrays (row stride B). */
static inline void rl_vtrace(const float *log_rhos, const float *discounts, const float *rewards,
                             const float *values, const float *bootstrap, ptrdiff_t T, ptrdiff_t B,
                             double rho_clip, double pg_clip, float *vs, float *pg) {
    for (ptrdiff_t b = 0; b < B; ++b) {
        double acc = 0.0, vs_next = (double)bootstrap[b];
        for (ptrdiff_t t = T - 1; t >= 0; --t) {
            ptrdiff_t k = t * B + b;
            double rho = exp((double)log_rhos[k]);
            double v_next = (t == T - 1) ? (double)bootstrap[b] : (double)values[k + B];
            double val = (double)values[k], disc = (double)discounts[k], rew = (double)rewards[k];
            double delta = fmin(rho_clip, rho) * (rew + disc * v_next - val);
            acc = delta + disc * fmin(1.0, rho) * acc;
            double vs_t = val + acc;
            vs[k] = (float)vs_t;
            pg[k] = (float)(fmin(pg_clip, rho) * (rew + disc * vs_next - val));
            vs_next = vs_t;
        }
    }
}

/* n-step returns inside segments; stops at a terminated row or the segment end. */
static inline void rl_adjust_nstep(int64_t n_step, double gamma, const float *rewards,
                                   const uint8_t *terminateds, const int64_t *seg_lens,
                                   ptrdiff_t nseg, float *out_r, int64_t *next_idx,
                                   uint8_t *out_term, int64_t *horizon) {
    ptrdiff_t start = 0;
    for (ptrdiff_t s = 0; s < nseg; ++s) {
        ptrdiff_t end = start + (ptrdiff_t)seg_lens[s];
        for (ptrdiff_t i = start; i < end; ++i) {
            double acc = 0.0;
            ptrdiff_t j = 0;
            for (;;) {
                acc += pow(gamma, (double)j) * (double)rewards[i + j];
                if (terminateds[i + j] || j + 1 == n_step || i + j + 1 == end) break;
                ++j;
            }
            out_r[i] = (float)acc;
            next_idx[i] = i + j;
            out_term[i] = terminateds[i + j] ? 1 : 0;
            horizon[i] = j + 1;
        }
        start = end;
    }
}

/* Gathering rows of the columns of a replay buffer: row idx[q] of a C-contiguous column of `row`
 * bytes per row is copied to row q of a new array. rl_prefetch_rows puts the lines of all rows in
 * flight first (call it for every column, then do other work, then rl_copy_rows per column), so
 * the cache misses of all rows of all columns overlap instead of being paid one row after
 * another. The usual row sizes get a fixed-size copy. */
static inline void rl_prefetch_rows(const unsigned char *src, ptrdiff_t row, const int64_t *idx, ptrdiff_t k) {
    for (ptrdiff_t q = 0; q < k; ++q) {
        const unsigned char *r = src + (ptrdiff_t)idx[q] * row;
        __builtin_prefetch(r);
        if (row > 1) __builtin_prefetch(r + row - 1);
    }
}

static inline void rl_copy_rows(const unsigned char *src, unsigned char *dst, ptrdiff_t row,
                                const int64_t *idx, ptrdiff_t k) {
    switch (row) {
    case 1:
        for (ptrdiff_t q = 0; q < k; ++q) dst[q] = src[idx[q]];
        break;
    case 4:
        for (ptrdiff_t q = 0; q < k; ++q) memcpy(dst + 4 * q, src + 4 * (ptrdiff_t)idx[q], 4);
        break;
    case 8:
        for (ptrdiff_t q = 0; q < k; ++q) memcpy(dst + 8 * q, src + 8 * (ptrdiff_t)idx[q], 8);
        break;
    case 16:
        for (ptrdiff_t q = 0; q < k; ++q) memcpy(dst + 16 * q, src + 16 * (ptrdiff_t)idx[q], 16);
        break;
    default:
        for (ptrdiff_t q = 0; q < k; ++q) memcpy(dst + row * q, src + row * (ptrdiff_t)idx[q], (size_t)row);
    }
}

#endif /* RLCORE_KERNELS_H */

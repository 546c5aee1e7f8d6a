/* Pointer-level kernels of rlcore's compiled core: returns and segment trees.
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

/* y[t] = x[t] + gamma * y[t+1], backwards. */
static inline void rl_discount_cumsum(const float *x, float *out, ptrdiff_t n, double gamma) {
    double acc = 0.0;
    for (ptrdiff_t t = n - 1; t >= 0; --t) {
        acc = (double)x[t] + gamma * acc;
        out[t] = (float)acc;
    }
}

/* GAE over consecutive segments; a terminated row ends the recursion (next value 0). */
static inline void rl_gae(const float *rewards, const float *values, const uint8_t *terminateds,
                          const int64_t *seg_lens, const float *bootstrap, ptrdiff_t nseg,
                          ptrdiff_t n, double gamma, double lambda_, float *adv, float *targets) {
    ptrdiff_t end = n;
    for (ptrdiff_t s = nseg - 1; s >= 0; --s) {
        ptrdiff_t start = end - (ptrdiff_t)seg_lens[s];
        double next_value = (double)bootstrap[s], acc = 0.0;
        for (ptrdiff_t t = end - 1; t >= start; --t) {
            if (terminateds[t]) {
                next_value = 0.0;
                acc = 0.0;
            }
            double delta = (double)rewards[t] + gamma * next_value - (double)values[t];
            acc = delta + gamma * lambda_ * acc;
            adv[t] = (float)acc;
            targets[t] = adv[t] + values[t];
            next_value = (double)values[t];
        }
        end = start;
    }
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

/* --- segment trees: node k has children 2k and 2k+1; leaves start at `size` (a power of 2) --- */

static inline double rl_op_sum(double a, double b) { return a + b; }
static inline double rl_op_min(double a, double b) { return a < b ? a : b; }

static inline void rl_tree_update(double *tree, ptrdiff_t size, const int64_t *idxs,
                                  const double *vals, ptrdiff_t k, int is_min) {
    for (ptrdiff_t q = 0; q < k; ++q) {
        ptrdiff_t node = size + (ptrdiff_t)idxs[q];
        tree[node] = vals[q];
        node >>= 1;
        while (node >= 1) {
            tree[node] = is_min ? rl_op_min(tree[2 * node], tree[2 * node + 1])
                                : rl_op_sum(tree[2 * node], tree[2 * node + 1]);
            node >>= 1;
        }
    }
}

static inline double rl_tree_reduce(const double *tree, ptrdiff_t size, ptrdiff_t start,
                                    ptrdiff_t end, int is_min) {
    double result = is_min ? INFINITY : 0.0;
    ptrdiff_t lo = start + size, hi = end + size;
    while (lo < hi) {
        if (lo & 1) {
            result = is_min ? rl_op_min(result, tree[lo]) : rl_op_sum(result, tree[lo]);
            ++lo;
        }
        if (hi & 1) {
            --hi;
            result = is_min ? rl_op_min(result, tree[hi]) : rl_op_sum(result, tree[hi]);
        }
        lo >>= 1;
        hi >>= 1;
    }
    return result;
}

/* Descends the sum tree for each prefix sum; never enters an empty right subtree. */
static inline void rl_tree_find_prefixsum(const double *tree, ptrdiff_t size, ptrdiff_t capacity,
                                          const double *prefixsums, ptrdiff_t k, int64_t *out) {
    for (ptrdiff_t q = 0; q < k; ++q) {
        double p = prefixsums[q];
        ptrdiff_t node = 1;
        while (node < size) {
            double left = tree[2 * node];
            if (p < left || tree[2 * node + 1] <= 0.0) {
                node = 2 * node;
            } else {
                p -= left;
                node = 2 * node + 1;
            }
        }
        ptrdiff_t idx = node - size;
        out[q] = idx < capacity - 1 ? idx : capacity - 1;
    }
}

#endif /* RLCORE_KERNELS_H */

/* 8-ary sum and min trees of prioritized replay (rlcore._core.SumSegmentTree / MinSegmentTree).
 *
 * Level 0 holds the leaves, level l + 1 one node per 8 nodes of level l (node j of level l + 1 is
 * the sum or min of nodes 8j .. 8j + 7 of level l), up to a root level of one node. Each level is
 * padded to a multiple of 8 nodes with the neutral element (0 or +inf) and starts on a 64-byte
 * line, so the 8 children of a node are one cache line: 1M leaves take 7 levels above them
 * (a binary tree takes 20, and its lowest 7 or 8 miss the cache on every descent and update).
 * A node is the pairwise sum ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) (or the min) of its
 * 8 children.
 *
 * The batched kernels move all their queries one level at a time, prefetching that level's lines
 * for every query first (on the levels of RL_BT_NEAR_NODES nodes or more), so the cache misses of
 * the k paths overlap.
 */
#ifndef RLCORE_BTREE_H
#define RLCORE_BTREE_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define RL_BT_FAN 8
#define RL_BT_MAXLEV 24 /* 8 ** 23 leaves: more than any int64 capacity */

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
/* Kernels with an AVX2 variant, compiled for AVX2 in that function only (the build stays -O3 for
 * any x86-64) and called after rl_bt_have_avx2() says the CPU has it. */
#define RL_BT_AVX2 1
static inline int rl_bt_have_avx2(void) {
    static int have = -1;
    if (have < 0) have = __builtin_cpu_supports("avx2") ? 1 : 0;
    return have;
}
#endif

typedef struct {
    double *t;                    /* 64-byte aligned; leaves at t[0 .. capacity) */
    ptrdiff_t off[RL_BT_MAXLEV]; /* first node of level l */
    int top;                      /* the root's level (>= 1); the root is t[off[top]] */
    ptrdiff_t capacity;
} rl_btree_t;

/* The layout of a tree of `capacity` leaves: fills off/top/capacity and returns the number of
 * doubles it takes (t is left for the caller to set). */
static inline ptrdiff_t rl_bt_layout(rl_btree_t *tr, ptrdiff_t capacity) {
    ptrdiff_t n = capacity, pos = 0;
    int l = 0;
    for (;;) {
        tr->off[l] = pos;
        pos += (n + RL_BT_FAN - 1) / RL_BT_FAN * RL_BT_FAN;
        if (l >= 1 && n == 1) break;
        n = (n + RL_BT_FAN - 1) / RL_BT_FAN;
        ++l;
    }
    tr->top = l;
    tr->capacity = capacity;
    return pos;
}

static inline double rl_bt_root(const rl_btree_t *tr) { return tr->t[tr->off[tr->top]]; }

/* The running sums of 8 children, pairwise (3 dependent adds, not 7): s[7] is the node's sum. */
static inline void rl_bt_scan8(const double *c, double *s) {
    const double a01 = c[0] + c[1], a23 = c[2] + c[3], a45 = c[4] + c[5], a67 = c[6] + c[7];
    const double a03 = a01 + a23, a45_6 = a45 + c[6];
    s[0] = c[0];
    s[1] = a01;
    s[2] = a01 + c[2];
    s[3] = a03;
    s[4] = a03 + c[4];
    s[5] = a03 + a45;
    s[6] = a03 + a45_6;
    s[7] = a03 + (a45 + a67);
}

static inline double rl_bt_sum8(const double *c) {
    return ((c[0] + c[1]) + (c[2] + c[3])) + ((c[4] + c[5]) + (c[6] + c[7]));
}

static inline double rl_bt_min2(double a, double b) { return b < a ? b : a; }

static inline double rl_bt_min8(const double *c) {
    return rl_bt_min2(rl_bt_min2(rl_bt_min2(c[0], c[1]), rl_bt_min2(c[2], c[3])),
                      rl_bt_min2(rl_bt_min2(c[4], c[5]), rl_bt_min2(c[6], c[7])));
}

/* Recomputes node j of a level from its children: parent[j] from child[8j .. 8j + 8) (parent and
 * child: the starts of that level and of the level below). */
static inline void rl_bt_fix_node(const double *child, double *parent, ptrdiff_t j, int is_min) {
    const double *c = child + RL_BT_FAN * j;
    parent[j] = is_min ? rl_bt_min8(c) : rl_bt_sum8(c);
}

/* Recomputes node j of level l (>= 1) from its children. */
static inline void rl_bt_fix(double *t, const ptrdiff_t *off, int l, ptrdiff_t j, int is_min) {
    rl_bt_fix_node(t + off[l - 1], t + off[l], j, is_min);
}

#ifdef RL_BT_AVX2
/* Node j of a sum tree's level (sp, from its children sc) and of a min tree's (mp from mc) with AVX2:
 * the sum in rl_bt_sum8's order, bit for bit (hadd gives c0+c1, c4+c5, c2+c3, c6+c7; then
 * (c0+c1)+(c2+c3) and (c4+c5)+(c6+c7); then their sum), the min of the same 8 values (a min is exact:
 * any order gives the same value; leaves are never NaN). */
__attribute__((target("avx2"))) static inline void rl_bt_fix_pair_avx2(const double *sc, double *sp, const double *mc,
                                                                     double *mp, ptrdiff_t j) {
    const double *c = sc + RL_BT_FAN * j, *d = mc + RL_BT_FAN * j;
    const __m256d h = _mm256_hadd_pd(_mm256_loadu_pd(c), _mm256_loadu_pd(c + 4));
    const __m128d s = _mm_add_pd(_mm256_castpd256_pd128(h), _mm256_extractf128_pd(h, 1));
    sp[j] = _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
    const __m256d m4 = _mm256_min_pd(_mm256_loadu_pd(d), _mm256_loadu_pd(d + 4));
    const __m128d m2 = _mm_min_pd(_mm256_castpd256_pd128(m4), _mm256_extractf128_pd(m4, 1));
    mp[j] = _mm_cvtsd_f64(_mm_min_sd(m2, _mm_unpackhi_pd(m2, m2)));
}
#endif

#define RL_BT_MAXTREES 2 /* trees updated together by rl_bt_update_n */
/* A level of fewer nodes (32 KB) stays in the first-level cache between calls: the batched kernels
 * prefetch only the lines of larger levels (1M leaves: the leaves and the two levels above; the
 * other four, 16 KB in all, were prefetched for nothing, 4 x 32 prefetch steps a 32-query call). */
#define RL_BT_NEAR_NODES 4096

/* Sets leaf idxs[q] of every tree in trs[0 .. ntrees) (same capacity) to vals[q], the last write of
 * a repeated index winning, then recomputes the ancestors of every written leaf level by level.
 * is_min[i] says whether trs[i] is a min tree. The leaves' lines are prefetched for writing before
 * any is written (their misses overlap instead of filling the store buffer one by one). A level of
 * at most 64 nodes (the top three of 1M leaves) recomputes each node on the paths once, from a
 * bit mask, not once per path through it (every path meets at the root). Always inlined, so each
 * caller's constant trees and kinds unroll the per-tree loops. ntrees <= RL_BT_MAXTREES. With
 * avx2_pair (a constant 1 only in an AVX2 function, trs a sum tree then a min tree) each node of the
 * pair is recomputed by rl_bt_fix_pair_avx2 (the same values). Returns -1 when out of memory. */
static inline __attribute__((always_inline)) int rl_bt_update_n(rl_btree_t *const *trs, const int *is_min, int ntrees,
                                                                const int64_t *idxs, const double *vals, ptrdiff_t k,
                                                                int avx2_pair) {
    if (k <= 0) return 0;
    ptrdiff_t stack_nodes[256];
    ptrdiff_t *node = k <= 256 ? stack_nodes : (ptrdiff_t *)malloc((size_t)k * sizeof(ptrdiff_t));
    if (!node) return -1;
    double *leaf[RL_BT_MAXTREES];
    for (int i = 0; i < ntrees; ++i) leaf[i] = trs[i]->t;
    for (ptrdiff_t q = 0; q < k; ++q)
        for (int i = 0; i < ntrees; ++i) __builtin_prefetch(&leaf[i][idxs[q]], 1);
    const int top = trs[0]->top;
    /* the nodes of level 1, put in flight for writing as each leaf is written when that level is far */
    double *up[RL_BT_MAXTREES];
    int far_up = top >= 1 && (top == 1 ? 1 : trs[0]->off[2] - trs[0]->off[1]) >= RL_BT_NEAR_NODES;
    for (int i = 0; i < ntrees; ++i) up[i] = trs[i]->t + trs[i]->off[1];
    for (ptrdiff_t q = 0; q < k; ++q) {
        node[q] = (ptrdiff_t)idxs[q];
        for (int i = 0; i < ntrees; ++i) {
            leaf[i][node[q]] = vals[q];
            if (far_up) __builtin_prefetch(&up[i][(size_t)node[q] / RL_BT_FAN], 1);
        }
    }
    for (int l = 1; l <= top; ++l) {
        /* nodes at level l: the root level has one; below it, the next level's offset says */
        const ptrdiff_t span = l == top ? 1 : trs[0]->off[l + 1] - trs[0]->off[l];
        /* each tree's children (level l - 1) and nodes (level l): read once per level, not per node
         * (the stores into t would make the compiler reload them) */
        const double *child[RL_BT_MAXTREES];
        double *parent[RL_BT_MAXTREES];
        for (int i = 0; i < ntrees; ++i) {
            child[i] = trs[i]->t + trs[i]->off[l - 1];
            parent[i] = trs[i]->t + trs[i]->off[l];
        }
        if (span <= 64) {
            uint64_t mask = 0;
            for (ptrdiff_t q = 0; q < k; ++q) {
                node[q] = (ptrdiff_t)((size_t)node[q] / RL_BT_FAN); /* >= 0: a shift */
                mask |= (uint64_t)1 << node[q];
            }
            while (mask) {
                const ptrdiff_t j = __builtin_ctzll(mask);
                mask &= mask - 1;
#ifdef RL_BT_AVX2
                if (avx2_pair) {
                    rl_bt_fix_pair_avx2(child[0], parent[0], child[1], parent[1], j);
                    continue;
                }
#endif
                for (int i = 0; i < ntrees; ++i) rl_bt_fix_node(child[i], parent[i], j, is_min[i]);
            }
            continue;
        }
        /* the level above, put in flight node by node when it is far */
        const int far_next = l < top && (l + 1 == top ? 1 : trs[0]->off[l + 2] - trs[0]->off[l + 1]) >= RL_BT_NEAR_NODES;
        for (int i = 0; i < ntrees; ++i) up[i] = trs[i]->t + trs[i]->off[l < top ? l + 1 : l];
        for (ptrdiff_t q = 0; q < k; ++q) node[q] = (ptrdiff_t)((size_t)node[q] / RL_BT_FAN);
        for (ptrdiff_t q = 0; q < k; ++q) {
#ifdef RL_BT_AVX2
            if (avx2_pair)
                rl_bt_fix_pair_avx2(child[0], parent[0], child[1], parent[1], node[q]);
            else
#endif
                for (int i = 0; i < ntrees; ++i) rl_bt_fix_node(child[i], parent[i], node[q], is_min[i]);
            if (far_next)
                for (int i = 0; i < ntrees; ++i) __builtin_prefetch(&up[i][(size_t)node[q] / RL_BT_FAN], 1);
        }
    }
    if (node != stack_nodes) free(node);
    return 0;
}

static inline int rl_bt_update(rl_btree_t *tr, const int64_t *idxs, const double *vals, ptrdiff_t k,
                               int is_min) {
    return rl_bt_update_n(&tr, &is_min, 1, idxs, vals, k, 0);
}

#ifdef RL_BT_AVX2
/* rl_bt_update_pair with each node of the pair recomputed by rl_bt_fix_pair_avx2 (the same values). */
__attribute__((target("avx2"))) static int rl_bt_update_pair_avx2(rl_btree_t *sum, rl_btree_t *mn, const int64_t *idxs,
                                                                  const double *vals, ptrdiff_t k) {
    rl_btree_t *trs[2] = {sum, mn};
    const int is_min[2] = {0, 1};
    return rl_bt_update_n(trs, is_min, 2, idxs, vals, k, 1);
}
#endif

/* A sum tree and a min tree of the same capacity, both set at idxs to vals (with AVX2 when the CPU
 * has it). */
static inline int rl_bt_update_pair(rl_btree_t *sum, rl_btree_t *mn, const int64_t *idxs,
                                    const double *vals, ptrdiff_t k) {
#ifdef RL_BT_AVX2
    if (rl_bt_have_avx2()) return rl_bt_update_pair_avx2(sum, mn, idxs, vals, k);
#endif
    rl_btree_t *trs[2] = {sum, mn};
    const int is_min[2] = {0, 1};
    return rl_bt_update_n(trs, is_min, 2, idxs, vals, k, 0);
}

/* Sets leaves [lo, hi) of a sum tree and a min tree to `leaf`, then recomputes the contiguous
 * range of nodes above them one level at a time (k consecutive leaves touch about k / 7 + depth
 * nodes). */
static inline void rl_bt_set_range(rl_btree_t *sum, rl_btree_t *mn, ptrdiff_t lo, ptrdiff_t hi,
                                   double leaf) {
    if (lo >= hi) return;
    for (ptrdiff_t j = lo; j < hi; ++j) {
        sum->t[j] = leaf;
        mn->t[j] = leaf;
    }
    ptrdiff_t a = lo, b = hi - 1;
    for (int l = 1; l <= sum->top; ++l) {
        a /= RL_BT_FAN;
        b /= RL_BT_FAN;
        for (ptrdiff_t j = a; j <= b; ++j) {
            rl_bt_fix(sum->t, sum->off, l, j, 0);
            rl_bt_fix(mn->t, mn->off, l, j, 1);
        }
    }
}

/* Sum (or min) over leaves [start, end): the whole tree is its root; otherwise the nodes at each
 * level up to the next multiple of 8 from either end, then the level above. */
static inline double rl_bt_reduce(const rl_btree_t *tr, ptrdiff_t start, ptrdiff_t end, int is_min) {
    if (start == 0 && end == tr->capacity) return rl_bt_root(tr);
    double r = is_min ? INFINITY : 0.0;
    ptrdiff_t lo = start, hi = end;
    for (int l = 0; lo < hi; ++l) {
        const double *v = tr->t + tr->off[l];
        while (lo < hi && (lo % RL_BT_FAN)) {
            r = is_min ? (v[lo] < r ? v[lo] : r) : r + v[lo];
            ++lo;
        }
        while (lo < hi && (hi % RL_BT_FAN)) {
            --hi;
            r = is_min ? (v[hi] < r ? v[hi] : r) : r + v[hi];
        }
        lo /= RL_BT_FAN;
        hi /= RL_BT_FAN;
    }
    return r;
}

/* One query's step of the prefix-sum descent below a node whose children are c[0 .. 8): the child
 * taken, with *p reduced by the running sum before it (see rl_bt_find_prefixsum). */
static inline ptrdiff_t rl_bt_step(const double *c, double *p) {
    double s[RL_BT_FAN + 1];
    s[0] = 0.0; /* s[j + 1]: the running sum through child j */
    rl_bt_scan8(c, s + 1);
    ptrdiff_t child = 0;
    for (int j = 1; j <= RL_BT_FAN; ++j) child += s[j] <= *p;
    if (child == RL_BT_FAN) { /* p reached the node's mass: its last child with mass */
        child = 0;
        for (int j = 1; j < RL_BT_FAN; ++j)
            if (c[j] > 0.0) child = j;
    }
    *p -= s[child];
    return child;
}

#ifdef RL_BT_AVX2
/* Declares s[0 .. 8), the running sums of rl_bt_scan8 lane by lane, of vectors x[0 .. 8) of type VT
 * added by ADD (the same adds in the same order as rl_bt_scan8, so each lane's sums are bit for bit
 * its own). */
#define RL_BT_SCAN8_LANES(VT, ADD, x, s)                                                                   \
    const VT a01 = ADD(x[0], x[1]), a23 = ADD(x[2], x[3]), a45 = ADD(x[4], x[5]), a67 = ADD(x[6], x[7]); \
    const VT a03 = ADD(a01, a23), a45_6 = ADD(a45, x[6]);                                                 \
    const VT s[RL_BT_FAN] = {x[0],           a01,           ADD(a01, x[2]),  a03,                          \
                             ADD(a03, x[4]), ADD(a03, a45), ADD(a03, a45_6), ADD(a03, ADD(a45, a67))}

/* The step of queries q .. q + 4 (a multiple of 4 up to k), four at a time, one per AVX2 lane: each
 * lane does rl_bt_step's adds and compares in the same order (no multiply, nothing to contract), so
 * the children and running sums are bit for bit rl_bt_step's. The children of the four nodes are
 * transposed so that x[j] holds child j of each; a lane's child is its count of running sums <= p
 * and its running sum before that child the last such (the running sums are nondecreasing); a lane
 * that reached its node's mass is finished by rl_bt_step. Compiled for AVX2 only in this function
 * (the build stays -O3 for any x86-64); the caller checks the CPU first. With `next` (the level
 * below, or NULL) each query's line there is prefetched once its child is known. Returns the
 * queries done. */
__attribute__((target("avx2"))) static ptrdiff_t rl_bt_steps_avx2(const double *v, int64_t *out, double *work,
                                                                   ptrdiff_t k, const double *next) {
    ptrdiff_t q = 0;
    for (; q + 4 <= k; q += 4) {
        const double *c[4];
        for (int u = 0; u < 4; ++u) c[u] = v + RL_BT_FAN * (ptrdiff_t)out[q + u];
        __m256d x[RL_BT_FAN];
        for (int h = 0; h < 2; ++h) {
            const __m256d r0 = _mm256_loadu_pd(c[0] + 4 * h), r1 = _mm256_loadu_pd(c[1] + 4 * h);
            const __m256d r2 = _mm256_loadu_pd(c[2] + 4 * h), r3 = _mm256_loadu_pd(c[3] + 4 * h);
            const __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1);
            const __m256d t2 = _mm256_unpacklo_pd(r2, r3), t3 = _mm256_unpackhi_pd(r2, r3);
            x[4 * h + 0] = _mm256_permute2f128_pd(t0, t2, 0x20);
            x[4 * h + 1] = _mm256_permute2f128_pd(t1, t3, 0x20);
            x[4 * h + 2] = _mm256_permute2f128_pd(t0, t2, 0x31);
            x[4 * h + 3] = _mm256_permute2f128_pd(t1, t3, 0x31);
        }
        RL_BT_SCAN8_LANES(__m256d, _mm256_add_pd, x, s);
        const __m256d p = _mm256_loadu_pd(work + q);
        __m256i child = _mm256_setzero_si256();
        __m256d before = _mm256_setzero_pd(); /* the last running sum <= p (0 if none) */
        for (int j = 0; j < RL_BT_FAN; ++j) {
            const __m256d le = _mm256_cmp_pd(s[j], p, _CMP_LE_OQ);
            child = _mm256_sub_epi64(child, _mm256_castpd_si256(le)); /* le is -1 (all ones) or 0 */
            before = _mm256_blendv_pd(before, s[j], le);
        }
        int full = _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpeq_epi64(child, _mm256_set1_epi64x(RL_BT_FAN))));
        if (full) { /* rare: those lanes take rl_bt_step from their p */
            double pv[4];
            _mm256_storeu_pd(pv, p);
            _mm256_storeu_pd(work + q, _mm256_sub_pd(p, before));
            int64_t cv[4];
            _mm256_storeu_si256((__m256i *)cv, child);
            for (int u = 0; u < 4; ++u) {
                if (full >> u & 1) {
                    cv[u] = rl_bt_step(c[u], &pv[u]);
                    work[q + u] = pv[u];
                }
                out[q + u] = RL_BT_FAN * out[q + u] + cv[u];
            }
        } else {
            _mm256_storeu_pd(work + q, _mm256_sub_pd(p, before));
            const __m256i o = _mm256_loadu_si256((const __m256i *)(out + q));
            _mm256_storeu_si256((__m256i *)(out + q), _mm256_add_epi64(_mm256_slli_epi64(o, 3), child));
        }
        if (next)
            for (int u = 0; u < 4; ++u) __builtin_prefetch(next + RL_BT_FAN * (ptrdiff_t)out[q + u]);
    }
    return q;
}

static inline int rl_bt_have_avx512(void) {
    static int have = -1;
    if (have < 0) have = __builtin_cpu_supports("avx512f") ? 1 : 0;
    return have;
}

/* rl_bt_steps_avx2 eight queries at a time, one per AVX-512 lane (the same adds and compares lane
 * by lane, so the same children and running sums bit for bit): the eight nodes' children lines are
 * transposed in three shuffle stages (x[j] holds child j of each), a lane's child is its count of
 * running sums <= p (mask adds) and its running sum before that child the last such (mask moves).
 * About half the instructions per query of the AVX2 steps. */
__attribute__((target("avx512f"))) static ptrdiff_t rl_bt_steps_avx512(const double *v, int64_t *out, double *work,
                                                                       ptrdiff_t k, const double *next) {
    const __m512i one = _mm512_set1_epi64(1), fan = _mm512_set1_epi64(RL_BT_FAN);
    ptrdiff_t q = 0;
    for (; q + 8 <= k; q += 8) {
        const double *c[8];
        __m512d r[8], t[8], u[8], x[RL_BT_FAN];
        for (int w = 0; w < 8; ++w) {
            c[w] = v + RL_BT_FAN * (ptrdiff_t)out[q + w];
            r[w] = _mm512_loadu_pd(c[w]);
        }
        for (int w = 0; w < 8; w += 2) { /* [r_w[0] r_w+1[0] | r_w[2] r_w+1[2] | ...] and the odd children */
            t[w] = _mm512_unpacklo_pd(r[w], r[w + 1]);
            t[w + 1] = _mm512_unpackhi_pd(r[w], r[w + 1]);
        }
        for (int h = 0; h < 8; h += 4) { /* blocks 0, 2 (children 0/4, or 1/5) and 1, 3 (2/6, or 3/7) */
            u[h] = _mm512_shuffle_f64x2(t[h], t[h + 2], 0x88);
            u[h + 1] = _mm512_shuffle_f64x2(t[h], t[h + 2], 0xDD);
            u[h + 2] = _mm512_shuffle_f64x2(t[h + 1], t[h + 3], 0x88);
            u[h + 3] = _mm512_shuffle_f64x2(t[h + 1], t[h + 3], 0xDD);
        }
        x[0] = _mm512_shuffle_f64x2(u[0], u[4], 0x88);
        x[4] = _mm512_shuffle_f64x2(u[0], u[4], 0xDD);
        x[2] = _mm512_shuffle_f64x2(u[1], u[5], 0x88);
        x[6] = _mm512_shuffle_f64x2(u[1], u[5], 0xDD);
        x[1] = _mm512_shuffle_f64x2(u[2], u[6], 0x88);
        x[5] = _mm512_shuffle_f64x2(u[2], u[6], 0xDD);
        x[3] = _mm512_shuffle_f64x2(u[3], u[7], 0x88);
        x[7] = _mm512_shuffle_f64x2(u[3], u[7], 0xDD);
        RL_BT_SCAN8_LANES(__m512d, _mm512_add_pd, x, s);
        /* each lane's count of running sums <= p, and the last such (0 if none): the running sum before its child */
        const __m512d p = _mm512_loadu_pd(work + q);
        __m512i child = _mm512_setzero_si512();
        __m512d before = _mm512_setzero_pd();
        for (int j = 0; j < RL_BT_FAN; ++j) {
            const __mmask8 le = _mm512_cmp_pd_mask(s[j], p, _CMP_LE_OQ);
            before = _mm512_mask_mov_pd(before, le, s[j]);
            child = _mm512_mask_add_epi64(child, le, child, one);
        }
        _mm512_storeu_pd(work + q, _mm512_sub_pd(p, before));
        const __m512i o = _mm512_loadu_si512((const void *)(out + q));
        _mm512_storeu_si512((void *)(out + q), _mm512_add_epi64(_mm512_slli_epi64(o, 3), child));
        const __mmask8 full = _mm512_cmpeq_epi64_mask(child, fan);
        if (full) { /* rare: those lanes take rl_bt_step from their p, below their node */
            double pv[8];
            _mm512_storeu_pd(pv, p);
            for (int w = 0; w < 8; ++w)
                if (full >> w & 1) {
                    out[q + w] += rl_bt_step(c[w], &pv[w]) - RL_BT_FAN;
                    work[q + w] = pv[w];
                }
        }
        if (next)
            for (int w = 0; w < 8; ++w) __builtin_prefetch(next + RL_BT_FAN * (ptrdiff_t)out[q + w]);
    }
    return q;
}

#endif

/* Prefix-sum search: for each p[q] (finite, >= 0) the highest leaf i with sum(leaves[:i]) <= p,
 * never a leaf without mass while the total is positive (index 0 when every leaf is empty).
 * At each node the running sums s_j of its children (pairwise, rl_bt_scan8: s_7 is the node) are
 * compared with p: the child taken is the first with s_j > p (it has mass: the running sums are
 * nondecreasing and equal across a child without mass), found as the count of s_j <= p (no branch
 * on which child: a coin flip a branch predictor cannot learn), and p loses the running sum before
 * it; when p reaches the node's mass (at the total, or by rounding; a rare, predictable branch) it
 * is the last child with mass. On a CPU with AVX-512F the queries take each level eight at a time
 * (rl_bt_steps_avx512), else with AVX2 four at a time (rl_bt_steps_avx2: the same results, about
 * 1.5x faster on 1M leaves than one at a time), the rest one at a time.
 * All queries take a level before any takes the next, each prefetching its next line as it goes. */
static inline int rl_bt_find_prefixsum(const rl_btree_t *tr, const double *prefixsums, ptrdiff_t k,
                                       int64_t *out) {
    if (k <= 0) return 0;
    double stack_work[256];
    double *work = k <= 256 ? stack_work : (double *)malloc((size_t)k * sizeof(double));
    if (!work) return -1;
    for (ptrdiff_t q = 0; q < k; ++q) {
        out[q] = 0;
        work[q] = prefixsums[q];
    }
#ifdef RL_BT_AVX2
    const int wide = k >= 4 && rl_bt_have_avx2(), wider = k >= 8 && rl_bt_have_avx512();
#endif
    for (int l = tr->top; l >= 1; --l) {
        const double *v = tr->t + tr->off[l - 1];
        /* the line of the next level's children, put in flight as soon as a query's child here is
         * known (on the levels of RL_BT_NEAR_NODES nodes or more), so its miss overlaps the steps of
         * the queries after it (the root's children, at most 8 nodes, never need it) */
        const double *next = l >= 2 && tr->off[l - 1] - tr->off[l - 2] >= RL_BT_NEAR_NODES ? tr->t + tr->off[l - 2] : NULL;
        ptrdiff_t q = 0;
#ifdef RL_BT_AVX2
        if (wider) q = rl_bt_steps_avx512(v, out, work, k, next);
        if (wide) q += rl_bt_steps_avx2(v, out + q, work + q, k - q, next);
#endif
        for (; q < k; ++q) {
            out[q] = RL_BT_FAN * out[q] + rl_bt_step(v + RL_BT_FAN * (ptrdiff_t)out[q], &work[q]);
            if (next) __builtin_prefetch(next + RL_BT_FAN * (ptrdiff_t)out[q]);
        }
    }
    for (ptrdiff_t q = 0; q < k; ++q)
        if (out[q] >= tr->capacity) out[q] = tr->capacity - 1;
    if (work != stack_work) free(work);
    return 0;
}

/* Proportional sampling: for each uniform u in [0, 1), the prefix-sum index of u * total and
 * that leaf's probability (mass / total). Returns -1 when out of memory. */
static inline int rl_bt_sample(const rl_btree_t *tr, const double *uniforms, ptrdiff_t k, int64_t *out,
                               double *probs) {
    const double total = rl_bt_root(tr);
    for (ptrdiff_t q = 0; q < k; ++q) probs[q] = uniforms[q] * total; /* the prefix sums, first */
    if (rl_bt_find_prefixsum(tr, probs, k, out)) return -1;
    for (ptrdiff_t q = 0; q < k; ++q) probs[q] = total > 0.0 ? tr->t[out[q]] / total : 0.0;
    return 0;
}

/* Vectorized pow / powf: glibc's libmvec (Linux x86-64; the build defines RL_HAVE_MVEC when it links
 * it) has AVX2 variants taking 4 doubles / 8 floats per call, about 2.8x / 2.3x faster per value than
 * the scalar calls here, and AVX-512 variants taking 8 / 16 (on a CPU with AVX-512F: 32 values in
 * 4 calls instead of 8, 1.6x / 1.3x faster than the AVX2 ones). Their results are within 1 ulp of
 * the scalar ones (pow: 19% of 2.2 * 10^7 random inputs 1 ulp off in both widths, none more; powf:
 * 4.5%): the leaves and weights are within that of the pure-numpy twins. A last partial vector is
 * padded with 1.0, so every value of a batch takes the same function. Without libmvec or AVX2 the
 * scalar calls run. */
#if defined(RL_BT_AVX2) && defined(RL_HAVE_MVEC)
__attribute__((target("avx2"))) __m256d _ZGVdN4vv_pow(__m256d x, __m256d y);
__attribute__((target("avx2"))) __m256 _ZGVdN8vv_powf(__m256 x, __m256 y);
__attribute__((target("avx512f"))) __m512d _ZGVeN8vv_pow(__m512d x, __m512d y);
__attribute__((target("avx512f"))) __m512 _ZGVeN16vv_powf(__m512 x, __m512 y);

__attribute__((target("avx512f"))) static void rl_pow_avx512(double *x, ptrdiff_t k, double a) {
    const __m512d va = _mm512_set1_pd(a), one = _mm512_set1_pd(1.0);
    for (ptrdiff_t q = 0; q < k; q += 8) {
        const __mmask8 m = k - q >= 8 ? (__mmask8)0xff : (__mmask8)((1u << (k - q)) - 1);
        _mm512_mask_storeu_pd(x + q, m, _ZGVeN8vv_pow(_mm512_mask_loadu_pd(one, m, x + q), va));
    }
}

/* powf(x[u], y) of 16 floats, in place. */
__attribute__((target("avx512f"))) static void rl_powf16_avx512(float *x, float y) {
    _mm512_storeu_ps(x, _ZGVeN16vv_powf(_mm512_loadu_ps(x), _mm512_set1_ps(y)));
}

__attribute__((target("avx2"))) static void rl_pow_avx2(double *x, ptrdiff_t k, double a) {
    const __m256d va = _mm256_set1_pd(a);
    ptrdiff_t q = 0;
    for (; q + 4 <= k; q += 4) _mm256_storeu_pd(x + q, _ZGVdN4vv_pow(_mm256_loadu_pd(x + q), va));
    if (q < k) {
        double t[4] = {1.0, 1.0, 1.0, 1.0};
        for (ptrdiff_t u = 0; q + u < k; ++u) t[u] = x[q + u];
        _mm256_storeu_pd(t, _ZGVdN4vv_pow(_mm256_loadu_pd(t), va));
        for (ptrdiff_t u = 0; q + u < k; ++u) x[q + u] = t[u];
    }
}

/* powf(x[u], y) of 8 floats, in place. */
__attribute__((target("avx2"))) static void rl_powf8_avx2(float *x, float y) {
    _mm256_storeu_ps(x, _ZGVdN8vv_powf(_mm256_loadu_ps(x), _mm256_set1_ps(y)));
}
#define RL_BT_MVEC 1
#endif

/* x[q] = pow(x[q], a) for q in [0, k). */
static inline void rl_pow_n(double *x, ptrdiff_t k, double a) {
#ifdef RL_BT_MVEC
    if (rl_bt_have_avx512()) {
        rl_pow_avx512(x, k, a);
        return;
    }
    if (rl_bt_have_avx2()) {
        rl_pow_avx2(x, k, a);
        return;
    }
#endif
    for (ptrdiff_t q = 0; q < k; ++q) x[q] = pow(x[q], a);
}

/* Importance weights of prioritized replay for leaves `idxs` of a sum tree and its min tree:
 * w = (P(i) / P_min) ** -beta with P(i) = leaf / total and P_min = min leaf / total, i.e.
 * (N P(i)) ** -beta over the largest possible weight (N P_min) ** -beta; all in (0, 1]. The ratio
 * is formed in double and raised in float (powf: the weight is a float32; about half pow's cost;
 * within a few float32 ulps of the double result), 16 at a time with libmvec (see rl_pow_n). */
static inline void rl_bt_is_weights(const rl_btree_t *sum, const rl_btree_t *mn, const int64_t *idxs,
                                    ptrdiff_t k, double beta, float *weights) {
    const double total = rl_bt_root(sum);
    const double p_min = rl_bt_root(mn) / total;
    const float nb = (float)-beta;
#ifdef RL_BT_MVEC
    if (rl_bt_have_avx2()) {
        const int wide = rl_bt_have_avx512();
        for (ptrdiff_t q = 0; q < k; q += 16) {
            const ptrdiff_t m = k - q < 16 ? k - q : 16;
            float t[16];
            for (ptrdiff_t u = 0; u < m; ++u) t[u] = (float)((sum->t[idxs[q + u]] / total) / p_min);
            for (ptrdiff_t u = m; u < 16; ++u) t[u] = 1.0f;
            if (wide) {
                rl_powf16_avx512(t, nb);
            } else {
                rl_powf8_avx2(t, nb);
                if (m > 8) rl_powf8_avx2(t + 8, nb);
            }
            for (ptrdiff_t u = 0; u < m; ++u) weights[q + u] = t[u];
        }
        return;
    }
#endif
    for (ptrdiff_t q = 0; q < k; ++q) weights[q] = powf((float)((sum->t[idxs[q]] / total) / p_min), nb);
}

#endif /* RLCORE_BTREE_H */

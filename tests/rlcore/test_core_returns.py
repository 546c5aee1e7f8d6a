"""Return kernels: native vs numpy twin on seeded random inputs, and against closed forms."""

import numpy as np
import pytest
import scipy.signal

from rlcore import _reference


def _segments(rng, n_segs, max_len=30, allow_empty=True):
    """Random segments ending terminated, truncated or cut mid-episode (and some empty ones)."""
    lens = rng.integers(0 if allow_empty else 1, max_len, n_segs).astype(np.int64)
    n = int(lens.sum())
    terminateds = np.zeros(n, np.bool_)
    ends = np.cumsum(lens)[lens > 0] - 1
    terminateds[ends] = rng.random(len(ends)) < 0.5  # else truncated or cut: bootstrap
    return lens, terminateds


def _native(impl):
    return impl is not _reference


@pytest.mark.parametrize("seed", range(6))
def test_discount_cumsum_parity_and_lfilter(impl, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(rng.integers(0, 500)).astype(np.float32)
    got = impl.discount_cumsum(x, 0.97)
    # the native scan is 4-way unrolled: equal to the sequential twin up to double rounding
    np.testing.assert_allclose(got, _reference.discount_cumsum(x, 0.97), rtol=1e-6, atol=1e-6)
    want = scipy.signal.lfilter([1], [1, -0.97], x[::-1].astype(np.float64))[::-1]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert got.dtype == np.float32


@pytest.mark.parametrize("seed", range(8))
def test_gae_parity(impl, seed):
    rng = np.random.default_rng(seed)
    lens, term = _segments(rng, rng.integers(0, 12))
    n = len(term)
    r, v = rng.standard_normal(n).astype(np.float32), rng.standard_normal(n).astype(np.float32)
    boot = rng.standard_normal(len(lens)).astype(np.float32)
    args = (r, v, term, lens, boot, 0.99, 0.95)
    for got, want in zip(impl.compute_gae(*args), _reference.compute_gae(*args)):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
        assert got.dtype == np.float32 and got.shape == (n,)


def test_gae_matches_rllib_formula_per_segment(impl):
    """Each segment equals RLlib's compute_advantages: lfilter over deltas with last_r."""
    rng = np.random.default_rng(7)
    lens = np.array([5, 9, 1, 7], np.int64)
    n = int(lens.sum())
    term = np.zeros(n, np.bool_)
    term[4] = True  # segment 0 terminated: bootstrap 0; the others truncated / cut
    r, v = rng.standard_normal(n).astype(np.float32), rng.standard_normal(n).astype(np.float32)
    boot = np.array([123.0, 0.5, -1.0, 2.0], np.float32)  # 123 must be ignored (terminated)
    adv, targets = impl.compute_gae(r, v, term, lens, boot, 0.9, 0.8)
    start = 0
    for s, length in enumerate(lens):
        seg = slice(start, start + length)
        last_r = 0.0 if term[start + length - 1] else float(boot[s])
        vpred = np.concatenate([v[seg], [last_r]]).astype(np.float64)
        delta = r[seg] + 0.9 * vpred[1:] - vpred[:-1]
        want = scipy.signal.lfilter([1], [1, -0.72], delta[::-1])[::-1]
        np.testing.assert_allclose(adv[seg], want, rtol=1e-5, atol=1e-5)
        start += length
    np.testing.assert_allclose(targets, adv + v, rtol=1e-6)


def test_gae_lambda1_zero_values_gives_bootstrapped_returns(impl):
    r = np.ones(4, np.float32)
    adv, _ = impl.compute_gae(r, np.zeros(4, np.float32), np.zeros(4, bool), np.array([4]), np.array([10.0], np.float32), 0.5, 1.0)
    np.testing.assert_allclose(adv, [1 + 0.5 + 0.25 + 0.125 + 0.0625 * 10, 1 + 0.5 + 0.25 + 1.25, 1 + 0.5 + 2.5, 1 + 5])


def test_gae_empty(impl):
    e = np.zeros(0, np.float32)
    adv, tg = impl.compute_gae(e, e, np.zeros(0, bool), np.zeros(0, np.int64), e, 0.99, 0.95)
    assert adv.shape == tg.shape == (0,)
    assert impl.discount_cumsum(e, 0.9).shape == (0,)


def _vtrace_oracle(log_rhos, discounts, rewards, values, bootstrap, clip_rho, clip_pg):
    """IMPALA paper (Espeholt et al. 2018) eq. 1, vectorized over the batch, float64."""
    rhos = np.exp(log_rhos.astype(np.float64))
    c_rho = rhos if clip_rho is None else np.minimum(clip_rho, rhos)
    cs = np.minimum(1.0, rhos)
    v_next = np.concatenate([values[1:], bootstrap[None]], 0)
    deltas = c_rho * (rewards + discounts * v_next - values)
    acc, out = np.zeros_like(bootstrap, np.float64), []
    for t in reversed(range(len(values))):
        acc = deltas[t] + discounts[t] * cs[t] * acc
        out.append(acc)
    vs = np.array(out[::-1]).reshape(values.shape) + values
    vs_next = np.concatenate([vs[1:], bootstrap[None]], 0)
    c_pg = rhos if clip_pg is None else np.minimum(clip_pg, rhos)
    return vs, c_pg * (rewards + discounts * vs_next - values)


@pytest.mark.parametrize("shape,clips", [((20, 3), (1.0, 1.0)), ((7,), (None, None)), ((15, 1), (2.0, 0.5)), ((0, 4), (1.0, 1.0))])
def test_vtrace_parity_and_paper(impl, shape, clips):
    rng = np.random.default_rng(len(shape) + shape[0])
    log_rhos = (rng.standard_normal(shape) * 0.7).astype(np.float32)
    discounts = (0.99 * (rng.random(shape) > 0.1)).astype(np.float32)  # some episode ends
    rewards, values = rng.standard_normal(shape).astype(np.float32), rng.standard_normal(shape).astype(np.float32)
    bootstrap = rng.standard_normal(shape[1:] or (1,)).astype(np.float32)
    args = (log_rhos, discounts, rewards, values, bootstrap, *clips)
    vs, pg = impl.vtrace(*args)
    for got, want in zip((vs, pg), _reference.vtrace(*args)):  # the twin sums eq. 1 directly: rounding differs
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    b = bootstrap if len(shape) == 2 else bootstrap[0]
    want_vs, want_pg = _vtrace_oracle(log_rhos, discounts, rewards, values, np.asarray(b, np.float64), *clips)
    np.testing.assert_allclose(vs, want_vs, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(pg, want_pg, rtol=1e-5, atol=1e-5)


def test_vtrace_on_policy_is_nstep_return(impl):
    """With rho = 1 and no clipping, v_s is the discounted return bootstrapped at the end."""
    T = 5
    zeros, ones = np.zeros(T, np.float32), np.ones(T, np.float32)
    vs, _ = impl.vtrace(zeros, ones * 0.5, ones, zeros, np.array([8.0], np.float32))
    np.testing.assert_allclose(vs[0], 1 + 0.5 + 0.25 + 0.125 + 0.0625 + 0.03125 * 8)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("n_step", [1, 3, 5])
def test_adjust_nstep_parity(impl, seed, n_step):
    rng = np.random.default_rng(seed)
    lens, term = _segments(rng, rng.integers(0, 8), max_len=12)
    rewards = rng.standard_normal(len(term)).astype(np.float32)
    got = impl.adjust_nstep(n_step, 0.9, rewards, term, lens)
    for g, w in zip(got, _reference.adjust_nstep(n_step, 0.9, rewards, term, lens)):
        np.testing.assert_array_equal(g, w)


def test_adjust_nstep_by_hand(impl):
    """Two segments: [r0 r1 r2 r3(terminated)] and [r4 r5 (truncated)], n=3, gamma=0.5."""
    r = np.array([1, 2, 4, 8, 16, 32], np.float32)
    term = np.array([0, 0, 0, 1, 0, 0], bool)
    rew, nxt, t_n, h = impl.adjust_nstep(3, 0.5, r, term, np.array([4, 2], np.int64))
    np.testing.assert_allclose(rew, [1 + 1 + 1, 2 + 2 + 2, 4 + 4, 8, 16 + 16, 32])
    assert nxt.tolist() == [2, 3, 3, 3, 5, 5]
    assert t_n.tolist() == [False, True, True, True, False, False]
    assert h.tolist() == [3, 3, 2, 1, 2, 1]


# --- boundary cases: each result is checked against the twin AND against a value written here -----


def _same(impl, fn):
    """``fn(module)`` (a tuple of arrays) on the implementation under test and on the twin."""
    got, twin = fn(impl), fn(_reference)
    for g, t in zip(got, twin, strict=True):
        assert g.dtype == t.dtype and g.shape == t.shape
        np.testing.assert_allclose(g, t, rtol=1e-6, atol=1e-6)
    return got


@pytest.mark.parametrize("gamma", [0.0, 1.0, 0.5])
@pytest.mark.parametrize("n", range(10))  # 0 rows, and every remainder of a 4-row group
def test_discount_cumsum_boundaries(impl, n, gamma):
    x = np.array([(-2.0) ** (t % 4) for t in range(n)], np.float32)  # 1, -2, 4, -8, ...: sums stay exact
    (got,) = _same(impl, lambda m: (m.discount_cumsum(x, gamma),))
    want = [sum(gamma**k * float(x[t + k]) for k in range(n - t)) for t in range(n)]  # the closed form
    np.testing.assert_array_equal(got, np.array(want, np.float32))
    if gamma == 0.0:
        np.testing.assert_array_equal(got, x)
    if gamma == 1.0:
        np.testing.assert_array_equal(got, np.cumsum(x[::-1])[::-1])


def _gae_closed_form(r, v, term, lens, boot, gamma, lam):
    """adv[t] = sum_k (gamma lam)^k delta[t + k] up to the row that ends the recursion, float64."""
    adv, start = [], 0
    for s, length in enumerate(lens.tolist()):
        end = start + length
        for t in range(start, end):
            total = 0.0
            for u in range(t, end):
                v_next = 0.0 if term[u] else float(boot[s]) if u == end - 1 else float(v[u + 1])
                total += (gamma * lam) ** (u - t) * (float(r[u]) + gamma * v_next - float(v[u]))
                if term[u]:
                    break
            adv.append(total)
        start = end
    return np.array(adv)


def _gae_layouts():
    """Segment layouts with episode ends on every row offset: at a segment's first or last row,
    inside it, at the batch's first or last row, plus empty segments."""
    for n in range(1, 10):
        for pos in range(n):
            term = np.zeros(n, bool)
            term[pos] = True
            yield np.array([n], np.int64), term  # a terminated row inside one segment
            cut = np.array([pos + 1, n - pos - 1], np.int64)
            yield cut, term  # ... ending the first of two segments (the second may be empty)
            yield cut, np.zeros(n, bool)  # the same cut, truncated: both segments bootstrap
    yield np.array([0, 1, 0, 2, 0], np.int64), np.array([True, False, True])


@pytest.mark.parametrize("lam", [0.0, 1.0, 0.5])
@pytest.mark.parametrize("gamma", [0.0, 1.0, 0.5])
def test_gae_boundaries(impl, gamma, lam):
    for lens, term in _gae_layouts():
        n = len(term)
        r = np.array([(t % 3) - 1.0 + 0.5 * t for t in range(n)], np.float32)
        v = np.array([0.25 * ((5 * t) % 7) for t in range(n)], np.float32)
        boot = np.array([10.0 + s for s in range(len(lens))], np.float32)
        adv, targets = _same(impl, lambda m: m.compute_gae(r, v, term, lens, boot, gamma, lam))
        want = _gae_closed_form(r, v, term, lens, boot, gamma, lam)
        np.testing.assert_allclose(adv, want, rtol=1e-6, atol=1e-6, err_msg=f"{lens} {term}")
        np.testing.assert_allclose(targets, want + v, rtol=1e-6, atol=1e-6)
        if gamma == 0.0:  # no look-ahead at all: the advantage is r - V
            np.testing.assert_array_equal(adv, r - v)


def test_gae_boundaries_by_hand(impl):
    """Episode ends at the batch's first and last rows; gamma = lambda = 0.5; the bootstraps are ignored."""
    r, v = np.array([1, 2, 4, 8], np.float32), np.array([0.5, 0.25, 0.5, 1], np.float32)
    term, lens, boot = np.array([1, 0, 0, 1], bool), np.array([1, 3], np.int64), np.array([100, 100], np.float32)
    adv, targets = _same(impl, lambda m: m.compute_gae(r, v, term, lens, boot, 0.5, 0.5))
    # row 3: 8 - 1; row 2: (4 + 0.5 * 1 - 0.5) + 0.25 * 7; row 1: (2 + 0.5 * 0.5 - 0.25) + 0.25 * 5.75
    np.testing.assert_array_equal(adv, [0.5, 3.4375, 5.75, 7.0])
    np.testing.assert_array_equal(targets, [1.0, 3.6875, 6.25, 8.0])
    # lambda 1, values 0: the discounted return, bootstrapped only where a segment is not terminated
    zeros, first_terminated = np.zeros(4, np.float32), np.array([1, 0, 0, 0], bool)
    adv, _ = _same(impl, lambda m: m.compute_gae(r, zeros, first_terminated, lens, boot, 1.0, 1.0))
    np.testing.assert_array_equal(adv, [1.0, 114.0, 112.0, 108.0])


VTRACE_BY_HAND = [
    # on-policy (rho = 1, on both clip thresholds), V = 0: vs is the return; the episode ends at row 2
    ([1, 1, 0, 1], (1.0, 1.0), [7, 6, 4, 24], [7, 6, 4, 24]),
    ([1, 1, 0, 1], (None, None), [7, 6, 4, 24], [7, 6, 4, 24]),
    # clipped at 0.5: every TD error and pg advantage halved, traces still 1
    ([1, 1, 0, 1], (0.5, 0.5), [3.5, 3, 2, 12], [2, 2, 2, 12]),
    # clipped at 0: no correction, vs = V, no pg advantage
    ([1, 1, 0, 1], (0.0, 0.0), [0, 0, 0, 0], [0, 0, 0, 0]),
    # the episode ends at the first row / at the last row (the bootstrap is then discounted to 0)
    ([0, 1, 1, 1], (1.0, 1.0), [1, 30, 28, 24], [1, 30, 28, 24]),
    ([1, 1, 1, 0], (1.0, 1.0), [15, 14, 12, 8], [15, 14, 12, 8]),
]


@pytest.mark.parametrize("discounts,clips,want_vs,want_pg", VTRACE_BY_HAND,
                         ids=[str(i) for i in range(len(VTRACE_BY_HAND))])
def test_vtrace_boundaries_by_hand(impl, discounts, clips, want_vs, want_pg):
    r, zeros = np.array([1, 2, 4, 8], np.float32), np.zeros(4, np.float32)
    d = np.array(discounts, np.float32)
    vs, pg = _same(impl, lambda m: m.vtrace(zeros, d, r, zeros, np.array([16.0], np.float32), *clips))
    np.testing.assert_array_equal(vs, want_vs)
    np.testing.assert_array_equal(pg, want_pg)
    # the same as one column of [T, 3], beside columns that are all zero
    r3, d3, zeros3 = np.stack([r, zeros, zeros], 1), np.stack([d, zeros, zeros], 1), np.zeros((4, 3), np.float32)
    boot3 = np.array([16.0, 0.0, 0.0], np.float32)
    vs2, pg2 = _same(impl, lambda m: m.vtrace(zeros3, d3, r3, zeros3, boot3, *clips))
    np.testing.assert_array_equal(vs2, np.stack([vs, zeros, zeros], 1))
    np.testing.assert_array_equal(pg2, np.stack([pg, zeros, zeros], 1))


@pytest.mark.parametrize("shape", [(1,), (1, 3), (2,), (5, 2), (3, 0)])
@pytest.mark.parametrize("clips", [(1.0, 1.0), (None, None), (0.0, 0.0), (2.0, 0.5)])
def test_vtrace_boundaries_against_paper(impl, shape, clips):
    rng = np.random.default_rng(shape[0])
    log_rhos = rng.choice([0.0, -0.7, 0.9], shape).astype(np.float32)
    discounts = rng.choice([0.0, 1.0, 0.9], shape).astype(np.float32)  # episode ends, gamma 1
    rewards, values = rng.standard_normal(shape).astype(np.float32), rng.standard_normal(shape).astype(np.float32)
    bootstrap = rng.standard_normal(shape[1:] or (1,)).astype(np.float32)
    vs, pg = _same(impl, lambda m: m.vtrace(log_rhos, discounts, rewards, values, bootstrap, *clips))
    b = np.asarray(bootstrap if len(shape) == 2 else bootstrap[0], np.float64)
    want_vs, want_pg = _vtrace_oracle(log_rhos, discounts, rewards, values, b, *clips)
    np.testing.assert_allclose(vs, want_vs, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(pg, want_pg, rtol=1e-5, atol=1e-5)


NSTEP_R = np.array([1, 2, 4, 8, 16, 32, 64], np.float32)
NSTEP_TERM = np.array([1, 0, 0, 0, 1, 0, 0], bool)  # terminated at a segment's first row and at its last
NSTEP_LENS = np.array([1, 0, 4, 2], np.int64)  # [r0] [] [r1 .. r4] [r5 r6 (truncated)]
NSTEP_BY_HAND = [
    # n_step, gamma, rewards_n, next_index, terminateds_n, horizon
    (3, 0.5, [1, 6, 12, 16, 16, 64, 64], [0, 3, 4, 4, 4, 6, 6], [1, 0, 1, 1, 1, 0, 0], [1, 3, 3, 2, 1, 2, 1]),
    (1, 0.5, [1, 2, 4, 8, 16, 32, 64], [0, 1, 2, 3, 4, 5, 6], [1, 0, 0, 0, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1]),
    (3, 0.0, [1, 2, 4, 8, 16, 32, 64], [0, 3, 4, 4, 4, 6, 6], [1, 0, 1, 1, 1, 0, 0], [1, 3, 3, 2, 1, 2, 1]),
    (3, 1.0, [1, 14, 28, 24, 16, 96, 64], [0, 3, 4, 4, 4, 6, 6], [1, 0, 1, 1, 1, 0, 0], [1, 3, 3, 2, 1, 2, 1]),
    (10, 0.5, [1, 8, 12, 16, 16, 64, 64], [0, 4, 4, 4, 4, 6, 6], [1, 1, 1, 1, 1, 0, 0], [1, 4, 3, 2, 1, 2, 1]),
]


@pytest.mark.parametrize("n_step,gamma,rew,nxt,term,horizon", NSTEP_BY_HAND,
                         ids=[str(i) for i in range(len(NSTEP_BY_HAND))])
def test_adjust_nstep_boundaries(impl, n_step, gamma, rew, nxt, term, horizon):
    got = _same(impl, lambda m: m.adjust_nstep(n_step, gamma, NSTEP_R, NSTEP_TERM, NSTEP_LENS))
    assert [g.tolist() for g in got] == [rew, nxt, [bool(t) for t in term], horizon]


@pytest.mark.parametrize("lens", [[], [0], [0, 0]])
def test_adjust_nstep_empty(impl, lens):
    no_rows = np.zeros(0, np.float32)
    got = _same(impl, lambda m: m.adjust_nstep(2, 0.9, no_rows, np.zeros(0, bool), np.array(lens, np.int64)))
    assert [g.shape for g in got] == [(0,)] * 4
    assert [g.dtype for g in got] == [np.float32, np.int64, np.bool_, np.int64]


F32 = np.zeros(4, np.float32)
BOOL = np.zeros(4, bool)
ONE_SEG = np.array([4], np.int64)
STRIDED = np.zeros(8, np.float32)[::2]

BAD_CALLS = [
    ("discount_cumsum", (np.zeros(4), 0.9), TypeError, "x"),
    ("discount_cumsum", ([1.0, 2.0], 0.9), TypeError, "x"),
    ("discount_cumsum", (np.zeros((2, 2), np.float32), 0.9), ValueError, "x"),
    ("discount_cumsum", (STRIDED, 0.9), ValueError, "x"),
    ("compute_gae", (F32, np.zeros(3, np.float32), BOOL, ONE_SEG, np.zeros(1, np.float32), 0.9, 0.9), ValueError, "values"),
    ("compute_gae", (F32, F32, np.zeros(4, np.int64), ONE_SEG, np.zeros(1, np.float32), 0.9, 0.9), TypeError, "terminateds"),
    ("compute_gae", (F32, F32, BOOL, np.array([3], np.int64), np.zeros(1, np.float32), 0.9, 0.9), ValueError, "seg_lens"),
    ("compute_gae", (F32, F32, BOOL, np.array([4], np.int32), np.zeros(1, np.float32), 0.9, 0.9), TypeError, "seg_lens"),
    ("compute_gae", (F32, F32, BOOL, np.array([5, -1], np.int64), np.zeros(2, np.float32), 0.9, 0.9), ValueError, "seg_lens"),
    ("compute_gae", (F32, F32, BOOL, ONE_SEG, np.zeros(2, np.float32), 0.9, 0.9), ValueError, "bootstrap_values"),
    ("compute_gae", (F32, STRIDED, BOOL, ONE_SEG, np.zeros(1, np.float32), 0.9, 0.9), ValueError, "values"),
    ("vtrace", (F32, F32, F32, np.zeros(5, np.float32), np.zeros(1, np.float32)), ValueError, "values"),
    ("vtrace", (F32, F32, F32.astype(np.float64), F32, np.zeros(1, np.float32)), TypeError, "rewards"),
    ("vtrace", (np.zeros((4, 2), np.float32),) * 4 + (np.zeros(3, np.float32),), ValueError, "bootstrap_value"),
    ("vtrace", (np.zeros((2, 2, 2), np.float32),) * 4 + (np.zeros(2, np.float32),), ValueError, "log_rhos"),
    ("adjust_nstep", (0, 0.9, F32, BOOL, ONE_SEG), ValueError, "n_step"),
    ("adjust_nstep", (2.5, 0.9, F32, BOOL, ONE_SEG), ValueError, "n_step"),
    ("adjust_nstep", (2, 0.9, F32, np.zeros(3, bool), ONE_SEG), ValueError, "terminateds"),
]


@pytest.mark.parametrize("name,args,exc,argname", BAD_CALLS, ids=[f"{c[0]}-{i}" for i, c in enumerate(BAD_CALLS)])
def test_bad_input_raises_naming_the_argument(impl, name, args, exc, argname):
    with pytest.raises(exc, match=argname):
        getattr(impl, name)(*args)

"""V-trace: the kernel (native and twin) against a float64 reference of the paper's recursion, and
the policies' glue (segments, bootstraps) against the kernel on RLlib 1.x's time-major layout."""

import numpy as np
import pytest

from rlcore.algorithms.impala.vtrace import segment_layout, time_major, vtrace_targets

RHO_CLIPS = [(1.0, 1.0), (None, None), (0.5, 2.0), (3.0, 0.7)]


def reference_vtrace(log_rhos, discounts, rewards, values, bootstrap_value, rho_clip, pg_clip):
    """Espeholt et al. 2018, Remark 1, in float64, time-major ``[T, B]``:
    ``vs_t - V(x_t) = delta_t + gamma_t c_t (vs_{t+1} - V(x_{t+1}))`` with
    ``delta_t = rho_t (r_t + gamma_t V(x_{t+1}) - V(x_t))``, ``rho_t = min(rho_bar, pi/mu)``,
    ``c_t = min(1, pi/mu)``; ``A_t = min(rho_pg, pi/mu) (r_t + gamma_t vs_{t+1} - V(x_t))``."""
    log_rhos, discounts, rewards, values = (np.asarray(x, np.float64) for x in (log_rhos, discounts, rewards, values))
    boot = np.asarray(bootstrap_value, np.float64)
    ratio = np.exp(log_rhos)
    rho = ratio if rho_clip is None else np.minimum(rho_clip, ratio)
    c = np.minimum(1.0, ratio)
    rho_pg = ratio if pg_clip is None else np.minimum(pg_clip, ratio)
    T = len(rewards)
    vs = np.zeros_like(values)
    next_vs, next_v = boot, boot
    for t in reversed(range(T)):
        delta = rho[t] * (rewards[t] + discounts[t] * next_v - values[t])
        vs[t] = values[t] + delta + discounts[t] * c[t] * (next_vs - next_v)
        next_vs, next_v = vs[t], values[t]
    vs_next = np.concatenate([vs[1:], boot[None]])
    adv = rho_pg * (rewards + discounts * vs_next - values)
    return vs, adv


def random_inputs(rng, T, B, gamma=0.9, end_prob=0.2):
    f = np.float32
    shape = (T, B) if B else (T,)
    log_rhos = rng.normal(0.0, 0.7, shape).astype(f)
    discounts = np.where(rng.uniform(size=shape) < end_prob, 0.0, gamma).astype(f)  # episode ends
    rewards = rng.normal(0.0, 1.0, shape).astype(f)
    values = rng.normal(0.0, 1.0, shape).astype(f)
    bootstrap = rng.normal(0.0, 1.0, (B,) if B else (1,)).astype(f)
    return log_rhos, discounts, rewards, values, bootstrap


@pytest.mark.parametrize("rho_clip, pg_clip", RHO_CLIPS)
@pytest.mark.parametrize("T, B", [(1, 1), (7, 3), (50, 10)])
def test_kernel_matches_paper_recursion(impl, T, B, rho_clip, pg_clip):
    log_rhos, discounts, rewards, values, bootstrap = random_inputs(np.random.default_rng(T * 31 + B), T, B)
    vs, adv = impl.vtrace(log_rhos, discounts, rewards, values, bootstrap, rho_clip, pg_clip)
    ref_vs, ref_adv = reference_vtrace(log_rhos, discounts, rewards, values, bootstrap, rho_clip, pg_clip)
    assert vs.dtype == np.float32 and vs.shape == (T, B)
    np.testing.assert_allclose(vs, ref_vs, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(adv, ref_adv, rtol=1e-5, atol=1e-5)


def test_kernel_one_dimensional_is_one_column(impl):
    log_rhos, discounts, rewards, values, bootstrap = random_inputs(np.random.default_rng(3), 20, 0)
    vs, adv = impl.vtrace(log_rhos, discounts, rewards, values, bootstrap)
    vs2, adv2 = impl.vtrace(*(np.ascontiguousarray(x[:, None]) for x in (log_rhos, discounts, rewards, values)),
                            bootstrap)
    assert vs.shape == (20,)
    np.testing.assert_allclose(vs, vs2[:, 0], rtol=1e-6)
    np.testing.assert_allclose(adv, adv2[:, 0], rtol=1e-6)


def test_kernel_on_policy_without_clipping_effect_is_n_step_bootstrapped_return(impl):
    # On-policy (rho = 1), one episode with no ends: vs_t is the discounted return bootstrapped by V.
    T, gamma = 5, 0.5
    rewards = np.arange(1, T + 1, dtype=np.float32)
    zeros = np.zeros(T, np.float32)
    vs, adv = impl.vtrace(zeros, np.full(T, gamma, np.float32), rewards, zeros, np.array([8.0], np.float32))
    expected = [sum(gamma ** k * rewards[t + k] for k in range(T - t)) + gamma ** (T - t) * 8.0 for t in range(T)]
    np.testing.assert_allclose(vs, expected, rtol=1e-6)
    np.testing.assert_allclose(adv, expected, rtol=1e-6)


def test_native_equals_twin():
    from rlcore import _backend, _reference

    args = random_inputs(np.random.default_rng(9), 64, 8)
    if not _backend.NATIVE:
        pytest.fail("the compiled core is not built")
    from rlcore import _core

    for clips in RHO_CLIPS:
        for native, twin in zip(_core.vtrace(*args, *clips), _reference.vtrace(*args, *clips)):
            np.testing.assert_allclose(native, twin, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("bad, message", [
    (dict(values=np.zeros((4, 2), np.float32)), "values has shape"),
    (dict(bootstrap_value=np.zeros(2, np.float32)), "bootstrap_value has shape"),
    (dict(rewards=np.zeros((4, 3), np.float64)), "rewards"),
])
def test_kernel_rejects_bad_inputs(impl, bad, message):
    args = dict(zip(("log_rhos", "discounts", "rewards", "values", "bootstrap_value"),
                    random_inputs(np.random.default_rng(0), 4, 3)))
    args.update(bad)
    with pytest.raises((ValueError, TypeError), match=message):
        impl.vtrace(**args)


def aligned_batch(rng, T=6, B=4, gamma=0.9):
    """Rows of ``B`` fragments of ``T`` rows (env-major, as a rollout worker returns them),
    with terminations inside the fragments; the rows' ``eps_id`` change after each termination."""
    n = T * B
    terminated = rng.uniform(size=n) < 0.15
    unroll = np.repeat(np.arange(B), T)
    eps = np.cumsum(np.concatenate([[0], terminated[:-1]])) + 100 * unroll
    return dict(
        behaviour_logp=rng.normal(-0.7, 0.3, n).astype(np.float32),
        target_logp=rng.normal(-0.7, 0.3, n).astype(np.float32),
        rewards=rng.normal(0, 1, n).astype(np.float32), values=rng.normal(0, 1, n).astype(np.float32),
        next_values=rng.normal(0, 1, n).astype(np.float32), terminated=terminated, unroll=unroll, eps=eps,
        T=T, B=B, gamma=gamma)


@pytest.mark.parametrize("with_ids", [True, False])
def test_glue_equals_kernel_on_time_major_layout(with_ids):
    """RLlib 1.x: time-major [T, B], discounts gamma * (1 - done), bootstrap V(last new_obs)."""
    d = aligned_batch(np.random.default_rng(1))
    T, gamma = d["T"], d["gamma"]
    ids = [d["unroll"], d["eps"]] if with_ids else []
    ends, boot_rows = segment_layout(T * d["B"], T, d["terminated"], d["terminated"], ids)
    vs, adv = vtrace_targets(d["behaviour_logp"], d["target_logp"], d["rewards"], d["values"], ends, boot_rows,
                             d["next_values"][boot_rows], gamma=gamma)

    def tm(x):
        return np.ascontiguousarray(time_major(x, T))

    discounts = tm(np.where(d["terminated"], 0.0, gamma).astype(np.float32))
    bootstrap = np.where(d["terminated"][T - 1::T], 0.0, d["next_values"][T - 1::T]).astype(np.float32)
    ref_vs, ref_adv = reference_vtrace(tm(d["target_logp"] - d["behaviour_logp"]), discounts, tm(d["rewards"]),
                                       tm(d["values"]), bootstrap, 1.0, 1.0)
    np.testing.assert_allclose(tm(vs), ref_vs, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(tm(adv), ref_adv, rtol=1e-5, atol=1e-5)


def test_glue_bootstraps_truncated_rows_and_fragment_ends():
    # One fragment of 5 rows: truncated at row 1 (time limit: bootstraps), terminated at row 3, cut at row 4.
    gamma = 0.5
    dones = np.array([0, 1, 0, 1, 0], bool)
    terminals = np.array([0, 0, 0, 1, 0], bool)
    ends, boot_rows = segment_layout(5, 5, dones, terminals, [np.array([7, 7, 8, 8, 9])])
    assert ends.tolist() == [False, True, False, True, True]
    assert boot_rows.tolist() == [1, 4]
    zeros = np.zeros(5, np.float32)
    vs, adv = vtrace_targets(zeros, zeros, np.ones(5, np.float32), zeros, ends, boot_rows,
                             np.array([4.0, 10.0], np.float32), gamma=gamma)
    # Row 1: 1 + 0.5 * V(new_obs)=4; row 0: 1 + 0.5 * vs_1. Row 3 terminated: 1. Row 4: 1 + 0.5 * 10.
    assert vs.tolist() == [2.5, 3.0, 1.5, 1.0, 6.0]
    assert adv.tolist() == vs.tolist()  # on-policy, V = 0


def test_glue_errors_name_what_is_wrong():
    with pytest.raises(ValueError, match="rollout_fragment_length=4"):
        segment_layout(6, 4, np.zeros(6, bool), np.zeros(6, bool))
    with pytest.raises(ValueError, match="dones has 3 rows, expected 4"):
        segment_layout(4, 4, np.zeros(3, bool), np.zeros(4, bool))
    z = np.zeros(2, np.float32)
    with pytest.raises(ValueError, match="boot_values has 0 entries, expected 1"):
        vtrace_targets(z, z, z, z, np.array([False, True]), np.array([1]), z[:0], gamma=0.9)

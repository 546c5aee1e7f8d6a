"""compute_advantages (RLlib semantics) and its batched, segment-aware form."""

import numpy as np
import pytest
import scipy.signal

from rlcore.sampling.postprocessing import compute_advantages, compute_advantages_segments, discount_cumsum


def _rllib(rewards, vf, last_r, gamma, lambda_, use_gae, use_critic):
    """RLlib 1.x evaluation/postprocessing.py compute_advantages, with lfilter, in float64."""
    def cumsum(x, g):
        return scipy.signal.lfilter([1], [1, float(-g)], x[::-1], axis=0)[::-1]
    if use_gae:
        vpred = np.concatenate([vf, [last_r]])
        adv = cumsum(rewards + gamma * vpred[1:] - vpred[:-1], gamma * lambda_)
        return adv, adv + vf
    returns = cumsum(np.concatenate([rewards, [last_r]]), gamma)[:-1]
    return (returns - vf, returns) if use_critic else (returns, np.zeros_like(returns))


@pytest.mark.parametrize("use_gae,use_critic", [(True, True), (False, True), (False, False)])
@pytest.mark.parametrize("seed", range(4))
def test_compute_advantages_matches_rllib(seed, use_gae, use_critic):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    rewards, vf = rng.standard_normal(n), rng.standard_normal(n).astype(np.float32)
    last_r = float(rng.standard_normal())
    out = compute_advantages({"rewards": rewards, "vf_preds": vf}, last_r, 0.99, 0.95, use_gae, use_critic)
    want_adv, want_tg = _rllib(rewards, vf.astype(np.float64), last_r, 0.99, 0.95, use_gae, use_critic)
    assert out["advantages"].dtype == out["value_targets"].dtype == np.float32
    np.testing.assert_allclose(out["advantages"], want_adv, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(out["value_targets"], want_tg, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("use_gae,use_critic", [(True, True), (False, True), (False, False)])
def test_segments_equal_one_call_per_fragment(use_gae, use_critic):
    """Terminated fragments bootstrap 0; truncated or cut ones bootstrap V(final obs)."""
    rng = np.random.default_rng(3)
    seg_lens = np.array([4, 7, 1, 5], np.int64)
    n = int(seg_lens.sum())
    terminateds = np.zeros(n, bool)
    terminateds[3] = True  # fragment 0 terminated; 1 truncated; 2 and 3 cut
    batch = {"rewards": rng.standard_normal(n).astype(np.float32), "vf_preds": rng.standard_normal(n).astype(np.float32),
             "terminateds": terminateds}
    last_values = rng.standard_normal(4).astype(np.float32)
    compute_advantages_segments(batch, seg_lens, last_values, 0.9, 0.8, use_gae, use_critic)
    start = 0
    for s, length in enumerate(seg_lens):
        part = {k: v[start:start + length] for k, v in batch.items() if k in ("rewards", "vf_preds")}
        last_r = 0.0 if terminateds[start + length - 1] else last_values[s]
        compute_advantages(part, last_r, 0.9, 0.8, use_gae, use_critic)
        np.testing.assert_allclose(batch["advantages"][start:start + length], part["advantages"], rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(batch["value_targets"][start:start + length], part["value_targets"], rtol=1e-6, atol=1e-6)
        start += length


def test_truncated_bootstraps_from_final_value_terminated_from_zero():
    """A hand computation: gamma 0.5, lambda 1, zero values, rewards 1."""
    batch = {"rewards": np.ones(4, np.float32), "vf_preds": np.zeros(4, np.float32),
             "terminateds": np.array([False, True, False, False]), "truncateds": np.array([False, False, False, True])}
    compute_advantages_segments(batch, np.array([2, 2]), np.array([100.0, 8.0]), gamma=0.5, lambda_=1.0)
    assert batch["advantages"].tolist() == [1.5, 1.0, 1 + 0.5 * (1 + 0.5 * 8), 1 + 0.5 * 8]


def test_discount_cumsum_accepts_any_float():
    np.testing.assert_allclose(discount_cumsum([1, 1], 0.5), [1.5, 1.0])


@pytest.mark.parametrize("batch,kwargs,exc,match", [
    ({"rewards": np.ones(2)}, {}, KeyError, "vf_preds"),
    ({"vf_preds": np.ones(2, np.float32)}, {}, KeyError, "rewards"),
    ({"rewards": np.ones(2)}, {"use_gae": True, "use_critic": False}, ValueError, "use_critic"),
    ({"rewards": np.ones(2), "vf_preds": np.ones(3, np.float32)}, {}, ValueError, "vf_preds"),
])
def test_bad_batches(batch, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        compute_advantages(batch, 0.0, **kwargs)


def test_given_last_values_replace_the_value_call_and_terminated_fragments_bootstrap_zero():
    from rlcore.sampling.postprocessing import compute_gae_for_fragments

    class Policy:
        config = {"gamma": 0.5, "lambda": 1.0}
        calls = 0

        def value_batch(self, obs, *args, **kwargs):
            Policy.calls += 1
            return np.asarray(obs, np.float32)[:, 0] * 10

    def batch():
        return {"rewards": np.ones(4, np.float32), "vf_preds": np.zeros(4, np.float32),
                "obs": np.zeros((4, 1), np.float32), "new_obs": np.arange(1.0, 5.0, dtype=np.float32)[:, None],
                "terminateds": np.array([False, True, False, False]), "truncateds": np.zeros(4, bool)}

    seg = np.array([2, 2])
    called = compute_gae_for_fragments(Policy(), batch(), seg)  # V(new_obs) of fragment 2's last row: 40
    assert Policy.calls == 1
    given = compute_gae_for_fragments(Policy(), batch(), seg, last_values=np.array([99.0, 40.0], np.float32))
    assert Policy.calls == 1  # no value call; fragment 1 ended terminated: its 99 is not read
    np.testing.assert_array_equal(given["advantages"], called["advantages"])
    assert given["advantages"].tolist() == [1.5, 1.0, 11.5, 21.0]
    with pytest.raises(ValueError, match="last_values has 3 entries, expected 2"):
        compute_gae_for_fragments(Policy(), batch(), seg, last_values=np.zeros(3, np.float32))

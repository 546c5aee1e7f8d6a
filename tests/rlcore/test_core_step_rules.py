"""episode_step (the sampler's per-step limits and episode bookkeeping): native vs numpy twin, and
RLlib 1.x's horizon / soft_horizon / no_done_at_end rules on hand-made steps."""

import numpy as np
import pytest

from rlcore import _reference


def _step_inputs(rng, n, accumulate, waiting):
    term = rng.random(n) < 0.2
    trunc = rng.random(n) < 0.1
    lens = rng.integers(0, 6, n).astype(np.int64)
    rewards = rng.standard_normal(n).astype(rng.choice([np.float32, np.float64])) if accumulate else None
    ret = rng.standard_normal(n) if accumulate else None
    wait = (rng.random(n) < 0.3) if waiting else None
    return term, trunc, lens, rewards, ret, wait


@pytest.mark.parametrize("seed", range(40))
def test_episode_step_parity(impl, seed):
    rng = np.random.default_rng(seed)
    n = int(rng.choice([1, 2, 8, 64]))
    horizon = int(rng.choice([0, 1, 3, 5]))
    soft, no_done_at_end = bool(rng.random() < 0.5), bool(rng.random() < 0.5)
    term, trunc, lens, rewards, ret, wait = _step_inputs(rng, n, rng.random() < 0.7, rng.random() < 0.4)
    flags = rng.choice(["bool", "uint8", "list"])
    as_given = {"bool": lambda f: f, "uint8": lambda f: f.astype(np.uint8), "list": lambda f: f.tolist()}[flags]
    args = dict(horizon=horizon, soft_horizon=soft, no_done_at_end=no_done_at_end)
    lens_a, lens_b = lens.copy(), lens.copy()
    ret_a = None if ret is None else ret.copy()
    ret_b = None if ret is None else ret.copy()
    got = impl.episode_step(as_given(term), as_given(trunc), lens_a, rewards=rewards, ep_reward=ret_a,
                            waiting=wait, **args)
    want = _reference.episode_step(term, trunc, lens_b, rewards=rewards, ep_reward=ret_b, waiting=wait, **args)
    for g, w in zip(got[:5], want[:5]):
        assert (g is None) == (w is None)
        if g is not None:
            assert g.dtype == np.bool_ and g.shape == (n,)
            np.testing.assert_array_equal(g, w)
    assert got[5] == want[5] == int(got[2].sum())
    np.testing.assert_array_equal(lens_a, lens_b)
    if ret is not None:
        np.testing.assert_array_equal(ret_a, ret_b)  # one float64 add per env: the same bits
        live = np.ones(n, bool) if wait is None else ~wait
        np.testing.assert_array_equal(lens_a, lens + live)
        np.testing.assert_allclose(ret_a, ret + np.where(live, rewards.astype(np.float64), 0.0))
    else:
        np.testing.assert_array_equal(lens_a, lens)  # read only


def test_episode_step_rules(impl):
    """Env 0 terminates, env 1 truncates, env 2 reaches the horizon of 3, env 3 is below it, env 4
    waits for its reset (the env's flags of its reset row end nothing)."""
    term = np.array([1, 0, 0, 0, 1], bool)
    trunc = np.array([0, 1, 0, 0, 0], bool)
    wait = np.array([0, 0, 0, 0, 1], bool)
    lens, ret = np.array([5, 1, 2, 0, 0]), np.zeros(5)
    t, u, d, reset, soft, n = impl.episode_step(term, trunc, lens, 3, rewards=np.arange(5.0), ep_reward=ret,
                                                waiting=wait)
    assert (t.tolist(), u.tolist(), d.tolist(), reset.tolist(), soft, n) == (
        [1, 0, 0, 0, 1], [0, 1, 1, 0, 0], [1, 1, 1, 0, 0], [0, 0, 1, 0, 0], None, 3)
    assert lens.tolist() == [6, 2, 3, 1, 0] and ret.tolist() == [0.0, 1.0, 2.0, 3.0, 0.0]
    lens = np.array([5, 1, 3, 0, 0])
    t, u, d, reset, soft, n = impl.episode_step(term, trunc, lens, 3, soft_horizon=True, no_done_at_end=True)
    assert (t.tolist(), u.tolist(), d.tolist(), reset, soft.tolist(), n) == (
        [0] * 5, [1, 1, 1, 0, 1], [1, 1, 1, 0, 1], None, [0, 0, 1, 0, 0], 4)
    _, _, _, reset, soft, n = impl.episode_step(np.zeros(2, bool), np.zeros(2, bool), np.array([1, 2]), 3,
                                                soft_horizon=True)
    assert (reset, soft, n) == (None, None, 0)  # no cut: no soft mask
    _, _, d, reset, soft, n = impl.episode_step(np.zeros(0, bool), np.zeros(0, bool), np.zeros(0, np.int64))
    assert d.shape == (0,) and (reset, soft, n) == (None, None, 0)


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(truncateds=np.zeros(3, bool)), ValueError, "truncateds has 3 entries, expected 2"),
    (dict(ep_len=np.zeros(2, np.int32)), TypeError, "ep_len must have dtype int64"),
    (dict(ep_len=np.zeros(3, np.int64)), ValueError, "ep_len has 3 rows"),
    (dict(rewards=np.zeros(2)), ValueError, "rewards and ep_reward together"),
    (dict(rewards=np.zeros(3), ep_reward=np.zeros(2)), ValueError, "rewards has 3 rows"),
    (dict(rewards=np.zeros(2), ep_reward=np.zeros(2, np.float32)), TypeError, "ep_reward must have dtype float64"),
    (dict(waiting=np.zeros(3, bool)), ValueError, "waiting has 3 entries"),
    (dict(terminateds=np.zeros((2, 1), bool)), ValueError, "1-D"),
    (dict(horizon=-1), ValueError, "horizon must be >= 0"),
])
def test_episode_step_bad_input(impl, kwargs, exc, match):
    args = dict(terminateds=np.zeros(2, bool), truncateds=np.zeros(2, bool), ep_len=np.zeros(2, np.int64))
    args.update(kwargs)
    lens = args["ep_len"].copy()
    with pytest.raises(exc, match=match):
        impl.episode_step(**args)
    np.testing.assert_array_equal(args["ep_len"], lens)  # nothing was added before the error

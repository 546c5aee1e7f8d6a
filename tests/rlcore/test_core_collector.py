"""TrajectoryCollector: native vs twin, against a plain Python collection of CartPole, misuse."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

from rlcore import _backend, _reference

MODES = ["truncate_episodes", "complete_episodes"]
EXTRAS = {"vf_preds": ((), np.float32), "action_dist_inputs": ((2,), np.float32), "n": ((), np.int32)}


def _assert_batches_equal(a, b):
    (ca, sa), (cb, sb) = a, b
    assert set(ca) == set(cb)
    for k in ca:
        assert ca[k].dtype == cb[k].dtype and ca[k].shape == cb[k].shape, k
        np.testing.assert_array_equal(ca[k], cb[k], err_msg=k)
    np.testing.assert_array_equal(sa, sb)


def _drive(mod, mode, seed, num_envs, frag, steps, use_next_obs):
    """Random steps with terminations, truncations, random pops and cuts; returns every pop."""
    rng = np.random.default_rng(seed)
    c = mod.TrajectoryCollector(num_envs, (3,), np.float32, (), np.int64, EXTRAS, frag, mode, 100, 7)
    c.reset(rng.standard_normal((num_envs, 3)).astype(np.float32))
    pops = []
    for _ in range(steps):
        n = num_envs
        term, trunc = rng.random(n) < 0.08, rng.random(n) < 0.04
        extras = [rng.standard_normal(n).astype(np.float32), rng.standard_normal((n, 2)).astype(np.float32), rng.integers(0, 9, n).astype(np.int32)]
        new_obs = rng.standard_normal((n, 3)).astype(np.float32)
        if use_next_obs:
            c.append(rng.integers(0, 2, n), rng.standard_normal(n), term, trunc, new_obs, extras, next_obs=rng.standard_normal((n, 3)).astype(np.float32))
        else:
            c.append(rng.integers(0, 2, n), rng.standard_normal(n).astype(np.float32), term.astype(np.uint8), trunc, new_obs, dict(zip(EXTRAS, extras)))
            waiting = np.flatnonzero(c.awaiting_reset).astype(np.int64)
            if len(waiting):
                c.reset(rng.standard_normal((len(waiting), 3)).astype(np.float32), waiting)
        if rng.random() < 0.15:
            pops.append(c.pop())
        if rng.random() < 0.05:
            c.cut(np.array([0], np.int64))
    c.cut()
    pops.append(c.pop())
    assert c.ready_rows == 0 and c.pending_rows == 0
    return pops


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("seed,num_envs,frag,use_next_obs", [(0, 1, 5, True), (1, 4, 3, True), (2, 8, 10, False), (3, 3, 1, False), (4, 16, 50, True)])
def test_native_matches_twin(impl, mode, seed, num_envs, frag, use_next_obs):
    got = _drive(impl, mode, seed, num_envs, frag, 120, use_next_obs)
    want = _drive(_reference, mode, seed, num_envs, frag, 120, use_next_obs)
    assert len(got) == len(want)
    for a, b in zip(got, want):
        _assert_batches_equal(a, b)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("num_envs,frag", [(1, 8), (4, 5), (8, 16)])
def test_collector_equals_plain_python_collection_on_cartpole(impl, mode, num_envs, frag):
    """Criterion: the collector's output equals a straightforward Python collection of the same steps."""
    seed, steps = num_envs, max(40, 6 * frag + 3)
    rng = np.random.default_rng(seed)
    env = gym.make_vec("CartPole-v1", num_envs=num_envs, vectorization_mode="sync",
                       vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP}, max_episode_steps=12)
    obs, _ = env.reset(seed=seed)
    c = impl.TrajectoryCollector(num_envs, (4,), np.float32, (), np.int64, {"vf_preds": ((), np.float32)}, frag, mode)
    c.reset(obs)
    plain = [[] for _ in range(num_envs)]  # per env: one dict per step, in order
    episode, t = list(range(num_envs)), [0] * num_envs
    next_episode = num_envs
    saw = set()
    for _ in range(steps):
        actions = (rng.random(num_envs) < 0.3).astype(np.int64)  # leans left: falls or is truncated at 12
        vf = rng.standard_normal(num_envs).astype(np.float32)
        next_obs, rewards, term, trunc, info = env.step(actions)
        new_obs = next_obs.copy()
        if "final_obs" in info:
            for i in np.flatnonzero(info["_final_obs"]):
                new_obs[i] = info["final_obs"][i]
        c.append(actions, rewards, term, trunc, new_obs, [vf], next_obs=next_obs)
        for i in range(num_envs):
            plain[i].append(dict(obs=obs[i].copy(), new_obs=new_obs[i].copy(), actions=actions[i], rewards=rewards[i],
                                 terminateds=term[i], truncateds=trunc[i], vf_preds=vf[i], t=t[i], episode=episode[i]))
            t[i] += 1
            if term[i] or trunc[i]:
                saw.add("terminated" if term[i] else "truncated")
                episode[i], t[i] = next_episode, 0
                next_episode += 1
        obs = next_obs
    assert saw == {"terminated", "truncated"}  # mixed episode ends happened
    c.cut()
    batch, seg_lens = c.pop()
    # What a plain collection expects: env by env, every step in order; segments split at
    # episode ends and, in truncate mode, every `frag` rows of an env.
    want = [row for env_rows in plain for row in env_rows]
    assert len(batch["obs"]) == len(want) == num_envs * steps
    for key in ("obs", "new_obs", "actions", "terminateds", "truncateds", "vf_preds", "t"):
        np.testing.assert_array_equal(batch[key], np.array([r[key] for r in want]), err_msg=key)
    np.testing.assert_array_equal(batch["rewards"], np.array([r["rewards"] for r in want], np.float32))
    np.testing.assert_array_equal(batch["dones"], batch["terminateds"] | batch["truncateds"])
    np.testing.assert_array_equal(batch["env_id"], np.repeat(np.arange(num_envs), steps))
    # eps_id names the same episodes as the plain collection (a bijection), unique per episode
    pairs = set(zip(batch["eps_id"].tolist(), [r["episode"] for r in want]))
    assert len(pairs) == len({p[0] for p in pairs}) == len({p[1] for p in pairs})
    want_lens = []
    for env_rows in plain:
        run = 0
        for k, row in enumerate(env_rows):
            run += 1
            cut_here = mode == "truncate_episodes" and (k + 1) % frag == 0
            if row["terminateds"] or row["truncateds"] or cut_here or k == len(env_rows) - 1:
                want_lens.append(run)
                run = 0
    assert seg_lens.tolist() == want_lens
    # a segment is one env, one episode, one unroll
    bounds = np.concatenate([[0], np.cumsum(seg_lens)])
    for a, b in zip(bounds[:-1], bounds[1:]):
        for key in ("eps_id", "env_id", "unroll_id"):
            assert len(set(batch[key][a:b].tolist())) == 1, key
        assert (np.diff(batch["t"][a:b]) == 1).all()
        assert not batch["dones"][a:b - 1].any()


@pytest.mark.parametrize("mode", MODES)
def test_fragments_are_exact(impl, mode):
    """truncate: fragment_length rows per env ready at once; complete: only whole episodes."""
    c = impl.TrajectoryCollector(3, (1,), fragment_length=4, batch_mode=mode)
    c.reset(np.zeros((3, 1), np.float32))
    ones, no = np.ones((3, 1), np.float32), np.zeros(3, bool)
    for step in range(4):
        ready = c.append(np.zeros(3, np.int64), np.ones(3), no, no, ones, next_obs=ones)
        assert ready == (12 if mode == "truncate_episodes" and step == 3 else 0)
    ready = c.append(np.zeros(3, np.int64), np.ones(3), np.array([True, False, False]), no, ones, next_obs=ones)
    assert ready == (12 if mode == "truncate_episodes" else 5)
    batch, seg_lens = c.pop()
    assert seg_lens.tolist() == ([4, 4, 4] if mode == "truncate_episodes" else [5])
    assert c.pending_rows == (3 if mode == "truncate_episodes" else 10)


def test_long_episodes_grow_the_buffers(impl):
    c = impl.TrajectoryCollector(2, (5,), fragment_length=2, batch_mode="complete_episodes")
    c.reset(np.zeros((2, 5), np.float32))
    no = np.zeros(2, bool)
    for k in range(100):
        end = np.array([k == 99, k == 49])
        c.append(np.full(2, k), np.full(2, k, np.float32), end, no, np.full((2, 5), k + 1, np.float32), next_obs=np.zeros((2, 5), np.float32))
    batch, seg_lens = c.pop()
    assert seg_lens.tolist() == [100, 50]
    assert batch["actions"].tolist() == list(range(100)) + list(range(50))
    assert batch["new_obs"][:, 0].tolist() == list(range(1, 101)) + list(range(1, 51))
    assert batch["obs"][:, 0].tolist() == [0] + list(range(1, 100)) + [0] + list(range(1, 50))


def test_truncated_episode_keeps_final_observation(impl):
    c = impl.TrajectoryCollector(1, (2,), fragment_length=10)
    c.reset(np.array([[0, 0]], np.float32))
    c.append(np.zeros(1, np.int64), np.ones(1), np.zeros(1, bool), np.ones(1, bool), np.array([[7, 7]], np.float32),
             next_obs=np.array([[-1, -1]], np.float32))
    c.append(np.zeros(1, np.int64), np.ones(1), np.zeros(1, bool), np.zeros(1, bool), np.array([[8, 8]], np.float32))
    c.cut()
    batch, seg_lens = c.pop()
    assert batch["new_obs"].tolist() == [[7, 7], [8, 8]]  # the final obs, not the reset obs
    assert batch["obs"].tolist() == [[0, 0], [-1, -1]]
    assert batch["truncateds"].tolist() == [True, False] and seg_lens.tolist() == [1, 1]


def test_empty_pop_has_typed_columns(impl):
    c = impl.TrajectoryCollector(2, (3, 2), np.uint8, (2,), np.float32, {"x": ((4,), np.float64)})
    batch, seg_lens = c.pop()
    assert batch["obs"].shape == (0, 3, 2) and batch["obs"].dtype == np.uint8
    assert batch["actions"].shape == (0, 2) and batch["x"].shape == (0, 4) and seg_lens.shape == (0,)


def _fresh(impl):
    c = impl.TrajectoryCollector(2, (3,), extras={"vf": ((), np.float32)}, fragment_length=5)
    c.reset(np.zeros((2, 3), np.float32))
    return c


GOOD = dict(actions=np.zeros(2, np.int64), rewards=np.zeros(2), terminateds=np.zeros(2, bool),
            truncateds=np.zeros(2, bool), new_obs=np.zeros((2, 3), np.float32), extras=[np.zeros(2, np.float32)])
BAD_APPEND = [
    ({"actions": np.zeros(2, np.int32)}, TypeError, "actions"),
    ({"actions": [0, 1]}, TypeError, "actions"),
    ({"new_obs": np.zeros((2, 4), np.float32)}, ValueError, "new_obs"),
    ({"new_obs": np.zeros((3, 2), np.float32).T}, ValueError, "new_obs"),
    ({"new_obs": np.zeros((2, 6), np.float32)[:, ::2]}, ValueError, "new_obs"),
    ({"rewards": np.zeros(2, np.int64)}, TypeError, "rewards"),
    ({"rewards": np.zeros(3)}, ValueError, "rewards"),
    ({"terminateds": np.zeros(2, np.float32)}, TypeError, "terminateds"),
    ({"truncateds": np.zeros((2, 1), bool)}, ValueError, "truncateds"),
    ({"extras": []}, ValueError, "extras"),
    ({"extras": {"other": np.zeros(2, np.float32)}}, ValueError, "extras"),
    ({"extras": [np.zeros(2, np.float64)]}, TypeError, "vf"),
    ({"extras": {"vf": np.zeros(2, np.float64)}}, TypeError, r"extras\['vf'\]"),
    ({"extras": {"vf": np.zeros(3, np.float32)}}, ValueError, r"extras\['vf'\]"),
    ({"extras": {"vf": np.zeros(2, np.float32), "more": np.zeros(2, np.float32)}}, ValueError, "exactly the columns"),
    ({"next_obs": np.zeros((2, 3), np.float64)}, TypeError, "next_obs"),
]


@pytest.mark.parametrize("change,exc,match", BAD_APPEND, ids=[str(i) for i in range(len(BAD_APPEND))])
def test_bad_append_raises_and_loses_nothing(impl, change, exc, match):
    c = _fresh(impl)
    c.append(**GOOD)
    with pytest.raises(exc, match=match):
        c.append(**{**GOOD, **change})
    assert c.pending_rows == 2  # the failed call stored nothing
    c.append(**GOOD)
    c.cut()
    assert c.pop()[1].tolist() == [2, 2]


def test_append_before_reset_and_reset_mid_episode_are_errors(impl):
    c = impl.TrajectoryCollector(2, (3,), extras={"vf": ((), np.float32)})
    with pytest.raises(ValueError, match="await reset"):
        c.append(**GOOD)
    c.reset(np.zeros((2, 3), np.float32))
    c.append(**GOOD)
    with pytest.raises(ValueError, match="in progress"):
        c.reset(np.zeros((1, 3), np.float32), np.array([1], np.int64))
    with pytest.raises(IndexError, match="env_ids"):
        c.cut(np.array([2], np.int64))


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(num_envs=0, obs_shape=(1,)), ValueError, "num_envs"),
    (dict(num_envs=1, obs_shape=(1,), fragment_length=0), ValueError, "fragment_length"),
    (dict(num_envs=1, obs_shape=(1,), batch_mode="episodes"), ValueError, "batch_mode"),
    (dict(num_envs=1, obs_shape=(1,), extras={"rewards": ((), np.float32)}), ValueError, "rewards"),
    (dict(num_envs=1, obs_shape=(1,), extras={"x": np.float32}), TypeError, "x"),
    (dict(num_envs=1, obs_shape=(1,), extras={"x": ((), object)}), TypeError, "x"),
    (dict(num_envs=1, obs_shape=(-1,)), ValueError, "obs"),
])
def test_bad_construction(impl, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        impl.TrajectoryCollector(**kwargs)


# -- rows for some envs only, chosen episode ids, added envs (the multi-agent sampler's use) -----


def _drive_subsets(mod, mode, seed, steps=150):
    """Each step appends for a random subset of the live envs, resets waiting envs with chosen
    episode ids, and now and then adds envs; returns every pop."""
    rng = np.random.default_rng(seed)
    c = mod.TrajectoryCollector(2, (2,), np.float32, (), np.int64, {"vf_preds": ((), np.float32)}, 4, mode)
    c.reset(rng.standard_normal((2, 2)).astype(np.float32), eps_ids=np.array([500, 501], np.int64))
    next_eps, pops = 1000, []
    for step in range(steps):
        if step % 40 == 39:
            assert c.add_envs(int(rng.integers(1, 3))) == c.num_envs
        waiting = np.flatnonzero(c.awaiting_reset).astype(np.int64)
        if len(waiting):
            ids = np.arange(next_eps, next_eps + len(waiting), dtype=np.int64)
            next_eps += len(waiting)
            c.reset(rng.standard_normal((len(waiting), 2)).astype(np.float32), waiting, eps_ids=ids)
        live = np.arange(c.num_envs, dtype=np.int64)
        rows = live[rng.random(len(live)) < 0.6]
        rng.shuffle(rows)  # any order of env ids
        k = len(rows)
        c.append(rng.integers(0, 3, k), rng.standard_normal(k).astype(np.float32), rng.random(k) < 0.1,
                 rng.random(k) < 0.05, rng.standard_normal((k, 2)).astype(np.float32),
                 [rng.standard_normal(k).astype(np.float32)], env_ids=rows)
        if rng.random() < 0.2:
            pops.append(c.pop())
    c.cut()
    pops.append(c.pop())
    return pops


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_env_id_subsets_native_matches_twin(impl, mode, seed):
    got, want = _drive_subsets(impl, mode, seed), _drive_subsets(_reference, mode, seed)
    assert len(got) == len(want)
    for a, b in zip(got, want):
        _assert_batches_equal(a, b)


def test_env_id_subsets_equal_a_plain_per_env_collection(impl):
    """Rows given for some envs land in those envs' own trajectories, in order; others wait."""
    c = impl.TrajectoryCollector(3, (1,), np.float32, (), np.int64, None, 100, "complete_episodes")
    c.reset(np.array([[0.0], [10.0], [20.0]], np.float32), eps_ids=np.array([7, 8, 9], np.int64))
    f = lambda *v: np.array(v, np.float32).reshape(-1, 1)  # noqa: E731
    ids = lambda *v: np.array(v, np.int64)  # noqa: E731
    # env 2 then env 0 (order of env_ids is free); env 1 idles
    c.append(np.array([5, 6]), np.array([1.0, 2.0]), np.array([False, False]), np.array([False, False]), f(21, 1), env_ids=ids(2, 0))
    c.append(np.array([7]), np.array([3.0]), np.array([True]), np.array([False]), f(2), env_ids=ids(0))
    c.append(np.array([8]), np.array([4.0]), np.array([False]), np.array([True]), f(11), env_ids=ids(1))
    c.append(np.array([9]), np.array([5.0]), np.array([True]), np.array([False]), f(22), env_ids=ids(2))
    batch, seg_lens = c.pop()
    assert seg_lens.tolist() == [2, 1, 2]
    assert batch["env_id"].tolist() == [0, 0, 1, 2, 2]
    assert batch["eps_id"].tolist() == [7, 7, 8, 9, 9]
    assert batch["t"].tolist() == [0, 1, 0, 0, 1]
    assert batch["obs"][:, 0].tolist() == [0, 1, 10, 20, 21]
    assert batch["new_obs"][:, 0].tolist() == [1, 2, 11, 21, 22]
    assert batch["actions"].tolist() == [6, 7, 8, 5, 9]
    assert batch["rewards"].tolist() == [2.0, 3.0, 4.0, 1.0, 5.0]
    assert c.awaiting_reset.tolist() == [True, True, True]


def test_env_id_subset_errors_name_the_problem(impl):
    c = impl.TrajectoryCollector(3, (1,), np.float32, (), np.int64, None, 5)
    c.reset(np.zeros((3, 1), np.float32))
    one = dict(actions=np.array([0]), rewards=np.zeros(1), terminateds=np.array([True]),
               truncateds=np.array([False]), new_obs=np.zeros((1, 1), np.float32))
    with pytest.raises(ValueError, match="must not repeat an env"):
        c.append(np.array([0, 0]), np.zeros(2), np.zeros(2, bool), np.zeros(2, bool), np.zeros((2, 1), np.float32),
                 env_ids=np.array([1, 1], np.int64))
    with pytest.raises(IndexError, match="out of range"):
        c.append(**one, env_ids=np.array([3], np.int64))
    with pytest.raises(ValueError, match=r"has shape \(1, ?1?\), expected \(2"):  # rows must match env_ids
        c.append(**one, env_ids=np.array([0, 1], np.int64))
    c.append(**one, env_ids=np.array([2], np.int64))  # env 2 ends and waits
    with pytest.raises(ValueError, match=r"envs \[2\] await reset"):
        c.append(**one, env_ids=np.array([2], np.int64))
    c.append(**dict(one, terminateds=np.array([False])), env_ids=np.array([0], np.int64))  # others go on
    with pytest.raises(ValueError, match="eps_ids has shape"):
        c.reset(np.zeros((1, 1), np.float32), np.array([2], np.int64), eps_ids=np.array([1, 2], np.int64))
    with pytest.raises(TypeError, match="eps_ids must have dtype int64"):
        c.reset(np.zeros((1, 1), np.float32), np.array([2], np.int64), eps_ids=np.array([1], np.int32))


def test_empty_env_id_subset_appends_nothing(impl):
    c = impl.TrajectoryCollector(2, (1,), np.float32, (), np.int64, None, 5)
    c.reset(np.zeros((2, 1), np.float32))
    ready = c.append(np.zeros(0, np.int64), np.zeros(0), np.zeros(0, bool), np.zeros(0, bool),
                     np.zeros((0, 1), np.float32), env_ids=np.zeros(0, np.int64))
    assert ready == 0 and c.pending_rows == 0


def test_added_envs_wait_for_reset_and_keep_the_old_rows(impl):
    c = impl.TrajectoryCollector(1, (1,), np.float32, (), np.int64, None, 3)
    c.reset(np.array([[1.0]], np.float32))
    c.append(np.array([4]), np.ones(1), np.zeros(1, bool), np.zeros(1, bool), np.array([[2.0]], np.float32))
    assert c.add_envs(2) == 3 == c.num_envs
    assert c.awaiting_reset.tolist() == [False, True, True]
    with pytest.raises(ValueError, match=r"envs \[1, 2\] await reset"):
        c.append(np.zeros(3, np.int64), np.ones(3), np.zeros(3, bool), np.zeros(3, bool), np.zeros((3, 1), np.float32))
    c.reset(np.array([[10.0], [20.0]], np.float32), np.array([1, 2], np.int64))
    for step in range(2):
        c.append(np.array([5, 6, 7]), np.ones(3), np.zeros(3, bool), np.zeros(3, bool),
                 np.array([[3.0], [11.0], [21.0]], np.float32) + step)
    batch, seg_lens = c.pop()
    assert seg_lens.tolist() == [3]  # env 0's fragment of 3; envs 1 and 2 have 2 rows pending
    assert batch["obs"][:, 0].tolist() == [1.0, 2.0, 3.0] and batch["actions"].tolist() == [4, 5, 5]
    with pytest.raises(ValueError, match="count must be an int >= 1"):
        c.add_envs(0)


def _drive_skips(mod, mode, seed, steps=120):
    """Full-width appends that skip random envs (and every env awaiting its reset)."""
    rng = np.random.default_rng(seed)
    c = mod.TrajectoryCollector(4, (2,), np.float32, (), np.int64, {"vf_preds": ((), np.float32)}, 5, mode)
    c.reset(rng.standard_normal((4, 2)).astype(np.float32))
    pops = []
    for _ in range(steps):
        skip = (rng.random(4) < 0.3) | c.awaiting_reset
        c.append(rng.integers(0, 3, 4), rng.standard_normal(4).astype(np.float32), rng.random(4) < 0.1,
                 np.zeros(4, bool), rng.standard_normal((4, 2)).astype(np.float32),
                 [rng.standard_normal(4).astype(np.float32)], skip=skip)
        waiting = np.flatnonzero(c.awaiting_reset & (rng.random(4) < 0.5)).astype(np.int64)
        if len(waiting):
            c.reset(rng.standard_normal((len(waiting), 2)).astype(np.float32), waiting)
        if rng.random() < 0.2:
            pops.append(c.pop())
    c.cut()
    pops.append(c.pop())
    return pops


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("seed", [0, 1])
def test_skip_native_matches_twin(impl, mode, seed):
    got, want = _drive_skips(impl, mode, seed), _drive_skips(_reference, mode, seed)
    assert len(got) == len(want)
    for a, b in zip(got, want):
        _assert_batches_equal(a, b)


def test_skip_rows_are_not_appended_and_errors(impl):
    c = impl.TrajectoryCollector(2, (1,), np.float32, (), np.int64, None, 10, "complete_episodes")
    c.reset(np.array([[0.0], [10.0]], np.float32))
    c.append(np.array([1, 2]), np.ones(2), np.array([True, False]), np.zeros(2, bool),
             np.array([[1.0], [11.0]], np.float32), skip=np.array([False, True]))
    assert c.awaiting_reset.tolist() == [True, False] and c.pending_rows == 0  # env 0's episode ended, env 1 idle
    c.append(np.array([3, 4]), np.ones(2), np.array([False, True]), np.zeros(2, bool),
             np.array([[9.0], [12.0]], np.float32), skip=np.array([True, False]))  # env 0 waits, skipped
    batch, seg_lens = c.pop()
    assert batch["env_id"].tolist() == [0, 1] and batch["obs"][:, 0].tolist() == [0.0, 10.0]
    assert batch["actions"].tolist() == [1, 4] and batch["new_obs"][:, 0].tolist() == [1.0, 12.0]
    with pytest.raises(ValueError, match=r"envs \[0\] await reset"):
        c.append(np.zeros(2, np.int64), np.ones(2), np.zeros(2, bool), np.zeros(2, bool), np.zeros((2, 1), np.float32),
                 skip=np.array([False, True]))
    with pytest.raises(ValueError, match="env_ids or skip, not both"):
        c.append(np.zeros(1, np.int64), np.ones(1), np.zeros(1, bool), np.zeros(1, bool), np.zeros((1, 1), np.float32),
                 env_ids=np.array([1], np.int64), skip=np.array([False, False]))
    with pytest.raises(ValueError, match="skip has 3 rows, expected 2"):
        c.append(np.zeros(2, np.int64), np.ones(2), np.zeros(2, bool), np.zeros(2, bool), np.zeros((2, 1), np.float32),
                 skip=np.zeros(3, bool))


@pytest.mark.skipif(not _backend.NATIVE, reason="the compiled core is not built; the numpy twin keeps Python "
                                                 "lists, not fixed-capacity buffers")
@pytest.mark.parametrize("num_envs,frag", [(1, 50), (3, 7), (4, 1)])
def test_truncate_mode_buffers_double_at_most_once_however_long_the_run(num_envs, frag):
    """truncate_episodes: a fragment of F rows spans at most 2F slots (each row may end an episode
    and leave a gap for its final observation), and pop() moves the pending slots to the front, so
    the buffers (F + 4 slots per env) double at most once, early, however many episodes and
    fragments follow; rows ending episodes at random (never, sometimes, always) as the sampler
    pops every F rows per env (the soak's IMPALA worker: one doubling in its first 0.1 s)."""
    from rlcore import _core

    caps = []

    class Recording(_core.TrajectoryCollector):
        def _grow(self, cap):
            caps.append(cap)
            super()._grow(cap)

    rng = np.random.default_rng(frag)
    c = Recording(num_envs, (4,), fragment_length=frag)
    c.reset(np.zeros((num_envs, 4), np.float32))
    obs, no = np.ones((num_envs, 4), np.float32), np.zeros(num_envs, bool)
    rows = 0
    for p_end in (0.0, 0.3, 1.0, 0.05):
        for _ in range(40 * frag):
            c.append(np.zeros(num_envs, np.int64), np.ones(num_envs), rng.random(num_envs) < p_end, no, obs, next_obs=obs)
            if c.ready_rows >= frag * num_envs:
                rows += len(c.pop()[0]["t"])
    assert rows == 160 * frag * num_envs
    assert caps[0] == frag + 4 and len(caps) <= 2 and max(caps) == caps[0] * (len(caps))

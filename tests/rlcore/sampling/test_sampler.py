"""VectorSampler on its own: counts, columns, episode ends, horizons, rewards, state, metrics, errors."""

import gymnasium as gym
import numpy as np
import pytest

from rlcore.env import EnvError
from rlcore.sampling.sampler import VectorSampler, bootstrap_values, segment_lengths

MODES = ["truncate_episodes", "complete_episodes"]


class CounterEnv(gym.Env):
    """obs = [t]; reward ``rewards[(t - 1) % len]``; terminated at ``terminate_at``, truncated at ``max_steps``."""

    def __init__(self, config=None):
        config = dict(config or {})
        self.terminate_at = config.get("terminate_at", 100)
        self.max_steps = config.get("max_steps", 1000)
        self.rewards = list(config.get("rewards", [1.0]))
        self.observation_space = gym.spaces.Box(-1e6, 1e6, (1,), np.float32)
        self.action_space = gym.spaces.Discrete(3)
        self.t = 0

    def reset(self, *, seed=None, options=None):
        self.t = 0
        return np.array([0.0], np.float32), {}

    def step(self, action):
        assert self.action_space.contains(action), action
        self.t += 1
        terminated = self.t == self.terminate_at
        truncated = not terminated and self.t >= self.max_steps
        return np.array([float(self.t)], np.float32), self.rewards[(self.t - 1) % len(self.rewards)], terminated, truncated, {}


def counter(**config):
    return lambda ctx: CounterEnv(config)


def zeros_policy(obs):
    return np.zeros(len(obs), np.int64)


def random_policy(seed=0):
    rng = np.random.default_rng(seed)
    return lambda obs: rng.integers(0, 2, len(obs))


def cartpole(max_steps):
    return lambda ctx: gym.make("CartPole-v1", max_episode_steps=max_steps)


def per_env(batch):
    """Row indices of each env, in time order (the batch is env by env)."""
    return [np.flatnonzero(batch["env_id"] == e) for e in np.unique(batch["env_id"])]


# -- counts and columns (compiled collector and its numpy twin) -------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("num_envs", [1, 3, 8])
def test_sample_counts_per_batch_mode(impl, mode, num_envs):
    sampler = VectorSampler(cartpole(15), random_policy(), num_envs=num_envs, rollout_fragment_length=10,
                            batch_mode=mode, seed=1, collector_class=impl.TrajectoryCollector)
    for _ in range(3):
        batch = sampler.sample()
        if mode == "truncate_episodes":
            assert batch.count == 10 * num_envs
        else:
            assert batch.count >= 10 * num_envs
            seg = segment_lengths(batch)
            ends = np.cumsum(seg) - 1
            starts = ends - seg + 1
            assert batch["dones"][ends].all() and (batch["t"][starts] == 0).all()  # whole episodes only
            assert batch["dones"].sum() == len(seg)
        assert all(len(v) == batch.count for v in batch.values())


@pytest.mark.parametrize("env", ["CartPole-v1", cartpole(500)], ids=["gym_vector", "sub_env_loop"])
@pytest.mark.parametrize("mode", MODES)
def test_ids_t_and_obs_chain_are_consistent(impl, env, mode):
    sampler = VectorSampler(env, random_policy(), num_envs=4, rollout_fragment_length=25, batch_mode=mode,
                            seed=0, env_config={"max_episode_steps": 12} if isinstance(env, str) else None,
                            eps_id_start=100, collector_class=impl.TrajectoryCollector)
    batch = sampler.sample()
    assert set(batch["env_id"].tolist()) <= set(range(4)) and (batch["eps_id"] >= 100).all()
    assert "unroll_id" in batch and (batch["agent_index"] == 0).all()
    assert np.array_equal(batch["dones"], batch["terminateds"] | batch["truncateds"])
    assert batch["dones"].any()
    seen = set()
    for rows in per_env(batch):
        eps, t, done = batch["eps_id"][rows], batch["t"][rows], batch["dones"][rows]
        assert ((eps[1:] != eps[:-1]) == done[:-1]).all()  # a new id exactly after an episode end
        np.testing.assert_array_equal(t[1:], np.where(done[:-1], 0, t[:-1] + 1))
        keep = ~done[:-1]
        np.testing.assert_array_equal(batch["new_obs"][rows[:-1]][keep], batch["obs"][rows[1:]][keep])
        assert not (set(eps.tolist()) & seen)  # no episode id is shared between envs
        seen |= set(eps.tolist())


def test_truncate_mode_continues_episodes_across_samples(impl):
    sampler = VectorSampler(counter(terminate_at=7), zeros_policy, num_envs=2, rollout_fragment_length=5,
                            collector_class=impl.TrajectoryCollector)
    a, b = sampler.sample(), sampler.sample()
    assert a["t"].tolist() == [0, 1, 2, 3, 4] * 2
    assert b["t"].tolist() == [5, 6, 0, 1, 2] * 2
    assert a["eps_id"].tolist() == [0] * 5 + [1] * 5 and b["eps_id"].tolist() == [0, 0, 2, 2, 2, 1, 1, 3, 3, 3]
    assert b["obs"][:, 0].tolist() == [5, 6, 0, 1, 2] * 2


def test_policy_extras_are_stored_row_by_row(impl):
    def policy(obs):
        x = obs[:, 0]
        return (x.astype(np.int64) % 3), {"vf_preds": (2 * x).astype(np.float32), "n": (x + 7).astype(np.int32),
                                          "logits": np.stack([x, -x], axis=1).astype(np.float64)}

    sampler = VectorSampler(counter(terminate_at=4), policy, num_envs=3, rollout_fragment_length=6,
                            collector_class=impl.TrajectoryCollector)
    batch = sampler.sample()
    x = batch["obs"][:, 0]
    assert batch["vf_preds"].dtype == np.float32 and batch["n"].dtype == np.int32
    assert batch["logits"].dtype == np.float64 and batch["logits"].shape == (18, 2)
    np.testing.assert_array_equal(batch["vf_preds"], 2 * x)
    np.testing.assert_array_equal(batch["n"], x + 7)
    np.testing.assert_array_equal(batch["logits"], np.stack([x, -x], axis=1))
    np.testing.assert_array_equal(batch["actions"], x.astype(np.int64) % 3)



def test_episodes_for_matches_segment_ids_and_envs():
    sampler = VectorSampler(counter(terminate_at=3), zeros_policy, num_envs=2, rollout_fragment_length=4,
                            eps_id_start=100)
    for _ in range(2):
        batch, seg = sampler.sample_with_segments()
        starts = np.cumsum(seg) - seg
        episodes = sampler.episodes_for(batch, seg)
        assert [e.episode_id for e in episodes] == batch["eps_id"][starts].tolist()
        assert [e.env_index for e in episodes] == batch["env_id"][starts].tolist()


@pytest.mark.parametrize("env", ["CartPole-v1", cartpole(500)], ids=["gym_vector", "sub_env_loop"])
def test_same_seed_same_batch(env):
    a, b = (VectorSampler(env, zeros_policy, num_envs=3, rollout_fragment_length=4, seed=5).sample() for _ in range(2))
    np.testing.assert_array_equal(a["obs"], b["obs"])
    assert len({tuple(row) for row in a["obs"][a["t"] == 0]}) == 3  # the envs start differently


def test_sub_env_i_is_seeded_with_seed_plus_i():
    vec = VectorSampler(cartpole(500), zeros_policy, num_envs=2, rollout_fragment_length=3, seed=5).sample()
    one = VectorSampler(cartpole(500), zeros_policy, rollout_fragment_length=3, seed=6).sample()
    np.testing.assert_array_equal(vec["obs"][vec["env_id"] == 1], one["obs"])


def test_obs_transform_applies_to_final_obs_and_unclipped_actions_are_stored():
    sampler = VectorSampler(counter(max_steps=3), lambda obs: np.full(len(obs), 5), rollout_fragment_length=4,
                            obs_transform=lambda o: np.asarray(o, np.float32) * 2,
                            action_transform=lambda a: np.minimum(a, 2))  # CounterEnv rejects actions > 2
    batch = sampler.sample()
    assert batch["obs"][:, 0].tolist() == [0, 2, 4, 0] and batch["new_obs"][:, 0].tolist() == [2, 4, 6, 2]
    assert batch["actions"].tolist() == [5] * 4

# -- episode ends -------------------------------------------------------------------------------------


def _one_env_batch(rows, mode="truncate_episodes", **kwargs):
    env = kwargs.pop("env")
    return VectorSampler(env, zeros_policy, rollout_fragment_length=rows, batch_mode=mode, **kwargs).sample()


def test_terminated_and_truncated_last_rows_keep_the_final_obs():
    term = _one_env_batch(4, env=counter(terminate_at=4))
    assert term["terminateds"].tolist() == [False, False, False, True] and not term["truncateds"].any()
    assert term["new_obs"][:, 0].tolist() == [1, 2, 3, 4]
    trunc = _one_env_batch(6, env=counter(max_steps=3))
    assert trunc["truncateds"].tolist() == [False, False, True] * 2 and not trunc["terminateds"].any()
    assert trunc["new_obs"][:, 0].tolist() == [1, 2, 3] * 2  # 3 is the final obs, not the reset obs 0
    assert trunc["obs"][:, 0].tolist() == [0, 1, 2] * 2


@pytest.mark.parametrize("env", ["CartPole-v1", cartpole(5)], ids=["gym_vector", "sub_env_loop"])
def test_cartpole_truncation_new_obs_follows_the_dynamics(env):
    """CartPole's Euler step: x' = x + 0.02 * x_dot, also on the last row of a truncated episode."""
    sampler = VectorSampler(env, random_policy(3), num_envs=2, rollout_fragment_length=12, seed=0,
                            env_config={"max_episode_steps": 5} if isinstance(env, str) else None)
    batch = sampler.sample()
    assert batch["truncateds"].sum() == 4 and not batch["terminateds"].any()
    assert (batch["t"][batch["truncateds"]] == 4).all()
    obs, new = batch["obs"], batch["new_obs"]
    np.testing.assert_allclose(new[:, 0], obs[:, 0] + 0.02 * obs[:, 1], atol=1e-6)
    np.testing.assert_allclose(new[:, 2], obs[:, 2] + 0.02 * obs[:, 3], atol=1e-6)


@pytest.mark.parametrize("horizon", [None, 4])
def test_a_full_final_obs_is_taken_whole_with_the_same_rows(horizon):
    """An env whose final_obs holds every env's row (the sub-env loop's) gives the batch that the
    same env gives when it says its other rows are unspecified (they are then garbage here)."""

    def sample(full):
        sampler = VectorSampler(cartpole(6), random_policy(1), num_envs=3, rollout_fragment_length=9, seed=0,
                                horizon=horizon)
        step = sampler.env.step

        def stepped(actions):
            out = step(actions)
            if out.final_obs is None or full:
                return out
            garbage = np.where((out.terminateds | out.truncateds)[:, None], out.final_obs, np.float32(1e9))
            return out._replace(final_obs=garbage, final_obs_full=False)

        sampler.env.step = stepped
        return [sampler.sample() for _ in range(3)]

    full, partial = sample(True), sample(False)
    assert sum(int((b["terminateds"] | b["truncateds"]).sum()) for b in full) >= 4
    for a, b in zip(full, partial):
        assert sorted(a) == sorted(b)
        for key in a:
            if key != "infos":
                np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_horizon_truncates_and_resets_the_env():
    batch = _one_env_batch(6, env=counter(), horizon=3)
    assert batch["obs"][:, 0].tolist() == [0, 1, 2, 0, 1, 2]
    assert batch["new_obs"][:, 0].tolist() == [1, 2, 3, 1, 2, 3]
    assert batch["truncateds"].tolist() == [False, False, True] * 2 and not batch["terminateds"].any()
    ended_first = _one_env_batch(3, env=counter(terminate_at=3), horizon=3)  # the env's own end wins
    assert ended_first["terminateds"].tolist() == [False, False, True] and not ended_first["truncateds"].any()



def test_a_ready_base_env_gets_the_samplers_horizon():
    """The sampler applies the horizon on any BaseEnv with a partial reset; one without gets an
    error naming the horizon and the way out."""
    from rlcore.env import make_base_env

    batch = _one_env_batch(6, env=make_base_env(counter()), horizon=3)
    assert batch["t"].tolist() == [0, 1, 2, 0, 1, 2] and batch["obs"][:, 0].tolist() == [0, 1, 2, 0, 1, 2]
    assert batch["truncateds"].tolist() == [False, False, True] * 2
    no_partial_reset = make_base_env("CartPole-v1", num_envs=2, vectorize_mode="vector_entry_point")
    with pytest.raises(ValueError, match=r"horizon=3 needs the sampler to reset single sub-envs.*soft_horizon=True"):
        VectorSampler(no_partial_reset, zeros_policy, rollout_fragment_length=6, horizon=3)
    assert VectorSampler(no_partial_reset, zeros_policy, rollout_fragment_length=6, horizon=3,
                         soft_horizon=True).sample().count == 12


def test_soft_horizon_ends_episodes_without_resetting_the_env():
    sampler = VectorSampler(counter(terminate_at=5), zeros_policy, rollout_fragment_length=9, horizon=3,
                            soft_horizon=True)
    batch = sampler.sample()
    assert batch["obs"][:, 0].tolist() == [0, 1, 2, 3, 4, 0, 1, 2, 3]  # the env went on past step 3
    assert batch["new_obs"][:, 0].tolist() == [1, 2, 3, 4, 5, 1, 2, 3, 4]
    assert batch["t"].tolist() == [0, 1, 2, 0, 1, 0, 1, 2, 0]
    assert batch["eps_id"].tolist() == [0, 0, 0, 1, 1, 2, 2, 2, 3]
    assert np.flatnonzero(batch["truncateds"]).tolist() == [2, 7]
    assert np.flatnonzero(batch["terminateds"]).tolist() == [4]  # the env's own termination
    assert [(m.episode_length, m.episode_reward) for m in sampler.get_metrics()] == [(3, 3.0), (2, 2.0), (3, 3.0)]


def test_no_done_at_end_turns_terminations_into_truncations():
    batch = _one_env_batch(8, env=counter(terminate_at=4), no_done_at_end=True)
    assert not batch["terminateds"].any()
    assert batch["truncateds"].tolist() == [False, False, False, True] * 2
    assert batch["new_obs"][:, 0].tolist() == [1, 2, 3, 4] * 2 and batch["obs"][:, 0].tolist() == [0, 1, 2, 3] * 2


# -- rewards, previous actions/rewards, recurrent state ---------------------------------------------


@pytest.mark.parametrize("clip,stored", [(None, [-2.5, 0.5, 4.0]), (True, [-1.0, 1.0, 1.0]),
                                         (1.0, [-1.0, 0.5, 1.0]), (3.0, [-2.5, 0.5, 3.0])])
def test_clip_rewards_applies_to_stored_rewards_not_to_metrics(clip, stored):
    sampler = VectorSampler(counter(terminate_at=3, rewards=[-2.5, 0.5, 4.0]), zeros_policy, num_envs=2,
                            rollout_fragment_length=3, batch_mode="complete_episodes", clip_rewards=clip)
    batch = sampler.sample()
    assert batch["rewards"].dtype == np.float32
    np.testing.assert_allclose(batch["rewards"], stored * 2)
    metrics = sampler.get_metrics()
    assert [(m.episode_length, m.episode_reward) for m in metrics] == [(3, 2.0), (3, 2.0)]  # unclipped


def test_prev_actions_and_rewards_shift_within_episodes():
    seen = []

    def act(obs, state_batches, prev_actions, prev_rewards):
        seen.append((prev_actions.copy(), prev_rewards.copy()))
        return (obs[:, 0].astype(np.int64) + 1) % 3, [], {}

    sampler = VectorSampler(counter(terminate_at=3, rewards=[1.0, 2.0, 3.0]), act=act, num_envs=2,
                            rollout_fragment_length=7, use_prev_actions_rewards=True)
    batch = sampler.sample()
    assert batch["actions"].tolist() == [1, 2, 0, 1, 2, 0, 1] * 2
    assert batch["prev_actions"].tolist() == [0, 1, 2, 0, 1, 2, 0] * 2
    assert batch["prev_rewards"].tolist() == [0, 1, 2, 0, 1, 2, 0] * 2
    assert seen[1][0].tolist() == [1, 1] and seen[3][1].tolist() == [0, 0]  # what act was fed


def test_recurrent_state_flows_and_resets_at_episode_starts():
    shapes = []

    def act(obs, state_batches, prev_actions, prev_rewards):
        assert prev_actions is None and prev_rewards is None
        shapes.append(state_batches[0].shape)
        return np.zeros(len(obs), np.int64), [state_batches[0] + 1], {}

    sampler = VectorSampler(counter(terminate_at=3), act=act, num_envs=2, rollout_fragment_length=4,
                            initial_state=[np.zeros(3)])
    for expected_t in ([0, 1, 2, 0], [1, 2, 0, 1]):
        batch = sampler.sample()
        assert batch["t"].tolist() == expected_t * 2
        np.testing.assert_array_equal(batch["state_in_0"], np.repeat(batch["t"][:, None], 3, 1))
        np.testing.assert_array_equal(batch["state_out_0"], batch["state_in_0"] + 1)
    assert set(shapes) == {(2, 3)}


def test_soft_horizon_keeps_rnn_state_and_prev_action_reward_across_the_cut():
    """RLlib 1.x's soft_reset: a soft-horizon cut starts a new episode, not a new env episode."""

    def act(obs, state_batches, prev_actions, prev_rewards):
        return np.ones(len(obs), np.int64), [state_batches[0] + 1], {}

    sampler = VectorSampler(counter(terminate_at=5, rewards=[1.0, 2.0, 3.0, 4.0, 5.0]), act=act,
                            rollout_fragment_length=7, horizon=3, soft_horizon=True,
                            initial_state=[np.zeros(2, np.float32)], use_prev_actions_rewards=True)
    batch = sampler.sample()
    assert batch["t"].tolist() == [0, 1, 2, 0, 1, 0, 1]
    # the state counts env steps: it carries over the soft cut at row 3, resets after the termination
    assert batch["state_in_0"][:, 0].tolist() == [0, 1, 2, 3, 4, 0, 1]
    assert batch["prev_rewards"].tolist() == [0, 1, 2, 3, 4, 0, 1]
    assert batch["prev_actions"].tolist() == [0, 1, 1, 1, 1, 0, 1]


def test_state_out_takes_the_dtype_of_the_initial_state():
    def act(obs, state_batches, prev_actions, prev_rewards):  # float32 out for a float64 state
        return np.zeros(len(obs), np.int64), [(state_batches[0] + 1).astype(np.float32)], {}

    batch = VectorSampler(counter(), act=act, rollout_fragment_length=3, initial_state=[np.zeros(2)]).sample()
    assert batch["state_out_0"].dtype == np.float64 and batch["state_out_0"][:, 0].tolist() == [1, 2, 3]


# -- segments and bootstrapping -----------------------------------------------------------------------


def test_segment_lengths_match_the_collector_and_split_at_ids_and_dones(impl):
    sampler = VectorSampler(cartpole(9), random_policy(), num_envs=3, rollout_fragment_length=20, seed=2,
                            collector_class=impl.TrajectoryCollector)
    batch, seg = sampler.sample_with_segments()
    got = segment_lengths(batch)
    np.testing.assert_array_equal(got, seg)
    assert got.sum() == batch.count
    bounds = np.concatenate([[0], np.cumsum(got)])
    for a, b in zip(bounds[:-1], bounds[1:]):
        assert len(set(batch["eps_id"][a:b].tolist())) == 1 and len(set(batch["env_id"][a:b].tolist())) == 1
        assert not batch["dones"][a:b - 1].any()


def test_segment_lengths_by_hand():
    cols = {"eps_id": np.array([0, 0, 0, 1, 1, 1, 1]), "env_id": np.array([0, 0, 1, 1, 1, 1, 1]),
            "unroll_id": np.array([0, 0, 1, 1, 1, 2, 2]), "truncateds": np.array([0, 0, 0, 1, 0, 0, 0], bool),
            "terminateds": np.zeros(7, bool)}
    assert segment_lengths(cols).tolist() == [2, 1, 1, 1, 2]
    assert segment_lengths({"eps_id": np.zeros(0, np.int64)}).tolist() == []


def test_bootstrap_values_zero_when_terminated_value_of_final_obs_otherwise():
    calls = []

    def value_fn(obs):
        calls.append(obs.copy())
        return 10.0 * obs[:, 0]

    sampler = VectorSampler(counter(terminate_at=4), zeros_policy, rollout_fragment_length=6)
    batch, seg = sampler.sample_with_segments()  # t = 0..3 (terminated), then 0, 1 (cut by the fragment)
    assert seg.tolist() == [4, 2]
    assert bootstrap_values(batch, seg, value_fn).tolist() == [0.0, 20.0]
    assert len(calls) == 1 and calls[0].tolist() == [[2.0]]  # once, on the open segments only
    trunc = VectorSampler(counter(max_steps=3), zeros_policy, rollout_fragment_length=3)
    batch, seg = trunc.sample_with_segments()
    assert bootstrap_values(batch, seg, value_fn).tolist() == [30.0]  # the final obs 3, not the reset obs 0
    assert bootstrap_values(batch, np.zeros(0, np.int64), value_fn).tolist() == []


# -- metrics and timings ------------------------------------------------------------------------------


def test_metrics_one_per_finished_episode_and_drained():
    sampler = VectorSampler(cartpole(30), random_policy(5), num_envs=3, rollout_fragment_length=20,
                            batch_mode="complete_episodes", seed=4)
    assert sampler.get_metrics() == []
    batch, seg = sampler.sample_with_segments()
    metrics = sampler.get_metrics()
    assert sorted(m.episode_length for m in metrics) == sorted(seg.tolist())
    assert all(m.episode_reward == m.episode_length for m in metrics)  # CartPole: reward 1 per step
    assert all(set(m.perf_stats) == {"mean_env_wait_ms", "mean_inference_ms", "mean_processing_ms"} for m in metrics)
    assert sampler.get_metrics() == []


def test_perf_stats_keys_and_values():
    sampler = VectorSampler(counter(), zeros_policy, num_envs=2, rollout_fragment_length=5)
    keys = {"mean_env_wait_ms", "mean_inference_ms", "mean_processing_ms"}
    assert sampler.perf_stats() == dict.fromkeys(keys, 0.0)
    sampler.sample()
    stats = sampler.perf_stats()
    assert set(stats) == keys and all(v >= 0.0 for v in stats.values())


# -- bad input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs,match", [
    ({"batch_mode": "whole_episodes"}, "batch_mode"),
    ({"rollout_fragment_length": 0}, "rollout_fragment_length"),
    ({"rollout_fragment_length": -3}, "rollout_fragment_length"),
    ({"rollout_fragment_length": 2.5}, "rollout_fragment_length"),
    ({"horizon": 0}, "horizon"),
    ({"act": lambda o, s, a, r: (o, [], {})}, "exactly one"),
])
def test_bad_constructor_arguments_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        VectorSampler(counter(), zeros_policy, **kwargs)


def test_other_bad_setups_raise_clear_errors():
    with pytest.raises(ValueError, match="exactly one"):
        VectorSampler(counter())
    with pytest.raises(ValueError, match="num_envs=2"):
        VectorSampler(CounterEnv(), zeros_policy, num_envs=2)
    with pytest.raises(TypeError, match="sample_collector"):
        VectorSampler(counter(), zeros_policy, collector_class="fast")


@pytest.mark.parametrize("env", ["CartPole-v1", cartpole(500)], ids=["gym_vector", "sub_env_loop"])
def test_policy_with_wrong_number_of_actions_or_extras_raises(env):
    short = VectorSampler(env, lambda obs: np.zeros(len(obs) - 1, np.int64), num_envs=3, rollout_fragment_length=4)
    with pytest.raises(ValueError, match="got 2 actions for num_envs=3"):
        short.sample()
    bad_extras = VectorSampler(env, lambda obs: (np.zeros(len(obs), np.int64), {"vf_preds": np.zeros(2)}),
                               num_envs=3, rollout_fragment_length=4)
    with pytest.raises(ValueError, match="vf_preds"):
        bad_extras.sample()


class FailingEnv(CounterEnv):
    def step(self, action):
        raise RuntimeError("boom")


def test_env_errors_surface_as_env_error_naming_the_env():
    with pytest.raises(EnvError, match="FailingEnv.*raised in step.*boom"):
        VectorSampler(FailingEnv, zeros_policy, rollout_fragment_length=2).sample()


# -- next episodes started by the collector's append, with ids the episode book gave ---------------


class _ResetCallingCollector(__import__("rlcore._backend", fromlist=["TrajectoryCollector"]).TrajectoryCollector):
    """The compiled collector with its own ``reset``: the sampler calls reset for every new episode."""

    def reset(self, obs, env_ids=None, eps_ids=None):
        return super().reset(obs, env_ids=env_ids, eps_ids=eps_ids)


class _StartCounter:
    """Callbacks with ``on_episode_start`` (the book then prepares each new episode)."""

    def __init__(self):
        from rlcore.sampling.callbacks import DefaultCallbacks

        class Starts(DefaultCallbacks):
            def on_episode_start(self, *, episode, **kwargs):
                episode.user_data["started"] = True

        self.callbacks = Starts()


@pytest.mark.parametrize("setup", [{}, {"horizon": 6}, {"horizon": 6, "soft_horizon": True},
                                   {"batch_mode": "complete_episodes"}, {"no_done_at_end": True}, {"starts": True}],
                         ids=["plain", "horizon", "soft_horizon", "complete", "no_done_at_end", "start_callback"])
def test_episodes_started_in_append_match_reset_calls(setup):
    setup = dict(setup)
    starts = setup.pop("starts", False)

    def run(collector_class):
        sampler = VectorSampler(cartpole(9), random_policy(3), num_envs=5, rollout_fragment_length=7, seed=2,
                                eps_id_start=40, collector_class=collector_class,
                                callbacks=_StartCounter().callbacks if starts else None, **setup)
        out = []
        for _ in range(4):
            batch, seg_lens = sampler.sample_with_segments()
            episodes = sampler.episodes_for(batch, seg_lens)
            first_rows = np.cumsum(seg_lens) - seg_lens
            assert [ep.episode_id for ep in episodes] == batch["eps_id"][first_rows].tolist()
            assert [ep.env_index for ep in episodes] == batch["env_id"][first_rows].tolist()
            if starts:
                assert all(ep.user_data == {"started": True} for ep in episodes)
            out.append(batch)
        metrics = [(m.episode_length, m.episode_reward, m.agent_rewards) for m in sampler.get_metrics()]
        return out, metrics, (sampler._lean_ends, sampler._plain)

    fused, fused_metrics, fused_lean = run(None)
    assert VectorSampler(cartpole(9), zeros_policy, num_envs=2)._reset_in_append  # the compiled collector's path
    called, called_metrics, called_lean = run(_ResetCallingCollector)
    # Without callbacks the fused sampler ends and begins episodes in one loop, and steps through
    # _plain_step unless it resets envs itself (a hard horizon); the other one by env, through _step.
    plain = not starts and (setup.get("horizon") is None or setup.get("soft_horizon", False))
    assert fused_lean == (not starts, plain) and called_lean == (False, False)
    assert fused_metrics == called_metrics and len(fused_metrics) > 5
    assert all(m[2] == {("agent0", "default_policy"): m[1]} for m in fused_metrics)
    for a, b in zip(fused, called):
        assert list(a.keys()) == list(b.keys())
        for key in a.keys():
            if key == "infos":
                assert a[key].tolist() == b[key].tolist()
            else:
                assert a[key].dtype == b[key].dtype
                np.testing.assert_array_equal(a[key], b[key], err_msg=key)


@pytest.mark.parametrize("env", ["CartPole-v1", cartpole(9)], ids=["gym_vector", "sub_env_loop"])
@pytest.mark.parametrize("options", [{}, {"clip_rewards": 0.5, "obs_transform": lambda obs: np.asarray(obs) * 2.0}],
                         ids=["plain", "clip_and_transform"])
def test_plain_step_matches_the_general_step(env, options):
    """_plain_step and _step give the same rows, segments, episode metrics and step count."""
    def run(plain):
        sampler = VectorSampler(env, random_policy(4), num_envs=3, rollout_fragment_length=6, seed=3, **options)
        assert sampler._plain
        sampler._plain = plain
        out = [sampler.sample_with_segments() for _ in range(5)]
        metrics = [(m.episode_length, m.episode_reward, m.agent_rewards) for m in sampler.get_metrics()]
        return out, metrics, sampler._perf["steps"]

    (fast, fast_metrics, fast_steps), (general, metrics, steps) = run(True), run(False)
    assert fast_metrics == metrics and len(metrics) > 2 and fast_steps == steps
    for (a, seg_a), (b, seg_b) in zip(fast, general):
        np.testing.assert_array_equal(seg_a, seg_b)
        assert list(a.keys()) == list(b.keys())
        for key in a.keys():
            if key == "infos":
                assert a[key].tolist() == b[key].tolist()
            else:
                np.testing.assert_array_equal(a[key], b[key], err_msg=key)

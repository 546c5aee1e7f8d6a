"""GymVectorBaseEnv: gymnasium vector envs through their public API only.

NEXT_STEP envs (CartPole's native vector env, Sync/Async in their default mode) pass through
untouched, with the auto-reset step flagged; SAME_STEP envs give their final observations;
DISABLED envs are reset right away with a reset mask; partial resets use ``reset_mask``.
"""

import gymnasium
import numpy as np
import pytest
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, SyncVectorEnv

from rlcore.env import GymVectorBaseEnv, make_base_env
from rlcore.env.gym_vector_base_env import split_vector_infos

N = 4


def _single():
    return gymnasium.make("CartPole-v1", max_episode_steps=5)


def test_cartpole_vector_passes_through_with_the_reset_step_flagged():
    """The adapter changes nothing the vector env returns (no private state is touched): the same
    seed and actions on a bare CartPoleVectorEnv give the same arrays; the step after an episode
    end is flagged in reset_mask and its rows are the env's own reset draws."""
    base = make_base_env("CartPole-v1", {"max_episode_steps": 6}, N, seed=3, vectorize_mode="vector_entry_point")
    bare = gymnasium.make_vec("CartPole-v1", N, vectorization_mode="vector_entry_point", max_episode_steps=6)
    assert isinstance(base, GymVectorBaseEnv) and base.autoreset_mode == "next_step" and not base.can_reset_envs
    rng, _ = seeding.np_random(3)  # the vector env's own generator, replayed
    obs, _ = base.reset()
    np.testing.assert_array_equal(obs, bare.reset(seed=3)[0])
    np.testing.assert_array_equal(obs, rng.uniform(-0.05, 0.05, (4, N)).T.astype(np.float32))
    ended_before = np.zeros(N, bool)
    flagged = 0
    for actions in np.random.default_rng(1).integers(0, 2, size=(40, N)):
        step = base.step(actions)
        b_obs, b_rew, b_term, b_trunc, _ = bare.step(actions)
        np.testing.assert_array_equal(step.obs, b_obs)
        np.testing.assert_array_equal(step.rewards, b_rew)
        np.testing.assert_array_equal(step.terminateds, b_term)
        np.testing.assert_array_equal(step.truncateds, b_trunc)
        assert step.final_obs is None
        if ended_before.any():
            flagged += 1
            assert step.reset_mask.tolist() == ended_before.tolist()
            expected = rng.uniform(-0.05, 0.05, (4, int(ended_before.sum()))).T.astype(np.float32)
            np.testing.assert_array_equal(step.obs[ended_before], expected)
        else:
            assert step.reset_mask is None
        ended_before = step.terminateds | step.truncateds
    assert flagged > 3
    with pytest.raises(ValueError, match="cannot reset single sub-envs"):
        base.reset_envs(np.ones(N, bool))


def test_same_step_sync_vector_env_matches_the_loop():
    """A gymnasium SyncVectorEnv in SAME_STEP mode gives the same steps as rlcore's loop."""
    vec_base = make_base_env(lambda ctx: SyncVectorEnv([_single] * N, autoreset_mode=AutoresetMode.SAME_STEP),
                             num_envs=1, seed=7)
    loop_base = make_base_env(lambda ctx: _single(), num_envs=N, seed=7)
    assert isinstance(vec_base, GymVectorBaseEnv) and vec_base.num_envs == N
    assert vec_base.autoreset_mode == "same_step" == loop_base.autoreset_mode
    np.testing.assert_array_equal(vec_base.reset()[0], loop_base.reset()[0])
    _assert_same_steps(vec_base, loop_base)


def test_disabled_autoreset_is_reset_right_away_with_a_mask():
    vec_base = make_base_env(lambda ctx: SyncVectorEnv([_single] * N, autoreset_mode=AutoresetMode.DISABLED),
                             num_envs=1, seed=7)
    loop_base = make_base_env(lambda ctx: _single(), num_envs=N, seed=7)
    assert vec_base.autoreset_mode == "same_step"
    np.testing.assert_array_equal(vec_base.reset()[0], loop_base.reset()[0])
    _assert_same_steps(vec_base, loop_base, a_full=True)


def _assert_same_steps(a_env, b_env, a_full=False):
    ends = 0
    for actions in np.random.default_rng(2).integers(0, 2, size=(25, N)):
        a, b = a_env.step(actions), b_env.step(actions)
        np.testing.assert_array_equal(a.obs, b.obs)
        np.testing.assert_array_equal(a.terminateds, b.terminateds)
        np.testing.assert_array_equal(a.truncateds, b.truncateds)
        np.testing.assert_array_equal(a.rewards, b.rewards)
        assert (a.final_obs is None) == (b.final_obs is None)
        if a.final_obs is not None:
            ends += 1
            ended = a.terminateds | a.truncateds
            np.testing.assert_array_equal(a.final_obs[ended], b.final_obs[ended])
            # the loop's final_obs (and the DISABLED mode's) holds the other envs' obs rows too
            assert a.final_obs_full == a_full and b.final_obs_full
            for step in (a, b) if a_full else (b,):
                np.testing.assert_array_equal(step.final_obs[~ended], step.obs[~ended])
    assert ends > 2


def test_next_step_sync_vector_env_flags_its_reset_steps():
    base = make_base_env(lambda ctx: SyncVectorEnv([_single] * N), num_envs=1, seed=7)
    assert base.autoreset_mode == "next_step" and base.can_reset_envs
    base.reset()
    for _ in range(5):
        step = base.step(np.zeros(N, np.int64))
    assert step.truncateds.all() and step.reset_mask is None  # max_episode_steps=5
    step = base.step(np.zeros(N, np.int64))
    assert step.reset_mask.all() and not (step.terminateds | step.truncateds).any()
    assert np.all(np.abs(step.obs) <= 0.05)


def test_partial_reset_uses_the_reset_mask():
    """reset_envs is gymnasium's reset(options={"reset_mask": ...}): the same calls made directly on
    a twin SyncVectorEnv give the same observations; the other sub-envs go on untouched."""
    base = make_base_env(lambda ctx: SyncVectorEnv([_single] * N), num_envs=1, seed=7)
    twin = SyncVectorEnv([_single] * N)
    base.reset()
    twin.reset(seed=7)
    for _ in range(3):
        base.step(np.ones(N, np.int64))
        twin.step(np.ones(N, np.int64))
    mask = np.array([False, True, False, True])
    obs, infos = base.reset_envs(mask)
    twin_obs, _ = twin.reset(options={"reset_mask": mask.copy()})
    assert obs.shape == (2, 4) and len(infos) == 2
    np.testing.assert_array_equal(obs, twin_obs[mask])
    np.testing.assert_array_equal(base.step(np.ones(N, np.int64)).obs, twin.step(np.ones(N, np.int64))[0])
    with pytest.raises(ValueError, match=r"expected a bool array of shape \(4,\)"):
        base.reset_envs(np.array([1, 0, 0, 0]))


def test_disabled_autoreset_without_a_reset_mask_is_rejected():
    class NoReset(gymnasium.vector.VectorEnv):
        metadata = {"autoreset_mode": AutoresetMode.DISABLED}

        def __init__(self):
            self.num_envs = 2
            self.single_observation_space = gymnasium.spaces.Discrete(2)
            self.single_action_space = gymnasium.spaces.Discrete(2)

    with pytest.raises(ValueError, match="autoreset_mode=DISABLED and takes no reset"):
        GymVectorBaseEnv(NoReset())


def test_split_vector_infos_nested_and_masked():
    infos = {
        "a": np.array([1, 2, 3]),
        "_a": np.array([True, False, True]),
        "sub": {"b": np.array([0.5, 0.0, 0.0]), "_b": np.array([True, False, False])},
        "_sub": np.array([True, False, False]),
    }
    assert split_vector_infos(infos, 3) == [{"a": 1, "sub": {"b": 0.5}}, {}, {"a": 3}]
    empty = [{}, {}, {}]
    out = split_vector_infos({}, 3, empty)
    assert out == empty and out is not empty and all(x is y for x, y in zip(out, empty))


def test_sync_vector_env_without_copy_gives_stable_results():
    vec = SyncVectorEnv([lambda: gymnasium.make("CartPole-v1")] * 2, copy=False)
    base = GymVectorBaseEnv(vec, seed=0)
    first, _ = base.reset()
    kept_first = first.copy()
    s1 = base.step(np.array([0, 1]))
    np.testing.assert_array_equal(first, kept_first)
    kept = s1.obs.copy()
    base.step(np.array([1, 0]))
    np.testing.assert_array_equal(s1.obs, kept)  # not overwritten by the next step


def test_list_actions_are_accepted():
    base = make_base_env("CartPole-v1", num_envs=3, seed=0, vectorize_mode="vector_entry_point")
    base.reset()
    assert base.step([0, 1, 1]).rewards.tolist() == [1.0, 1.0, 1.0]

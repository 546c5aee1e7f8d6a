"""GymVectorBaseEnv: gymnasium's native CartPole vector env (NEXT_STEP) turned into same-step
auto-reset, checked against single-env physics and the exact random draws of its own resets;
gymnasium Sync vector envs given directly in NEXT_STEP and SAME_STEP modes; info splitting."""

import gymnasium
import numpy as np
import pytest
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, SyncVectorEnv

from rlcore.env import GymVectorBaseEnv, make_base_env
from rlcore.env.gym_vector_base_env import split_vector_infos

N = 4


@pytest.mark.parametrize("horizon", [None, 4])
def test_cartpole_vector_same_step(horizon):
    base = make_base_env("CartPole-v1", {"max_episode_steps": 6}, N, seed=3, horizon=horizon)
    assert isinstance(base, GymVectorBaseEnv)
    vec = base.get_vector_env()
    assert vec.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP  # what we adapt
    oracle = gymnasium.make("CartPole-v1").unwrapped  # single-env physics
    # The vector env's own RNG, replayed: initial states, then one draw per auto-reset batch.
    rng, _ = seeding.np_random(3)
    obs, _ = base.reset()
    np.testing.assert_array_equal(obs, rng.uniform(-0.05, 0.05, (4, N)).T.astype(np.float32))
    actions_seq = np.random.default_rng(1).integers(0, 2, size=(40, N))
    t = np.zeros(N, int)
    resets = 0
    for actions in actions_seq:
        state_before = vec.state.copy()
        step = base.step(actions)
        t += 1
        ended = []
        for i in range(N):
            oracle.state = state_before[:, i].copy()
            oracle.steps_beyond_terminated = None
            o, r, te, _, _ = oracle.step(int(actions[i]))
            tr = bool(t[i] >= 6) if horizon is None else bool(t[i] >= horizon and not te)
            assert (step.terminateds[i], step.truncateds[i], step.rewards[i]) == (te, tr, r)
            if te or tr:
                np.testing.assert_allclose(step.final_obs[i], o, atol=1e-6)
                ended.append(i)
                t[i] = 0
            else:
                np.testing.assert_allclose(step.obs[i], o, atol=1e-6)
        if ended:
            resets += 1
            mask = np.zeros(N, bool)
            mask[ended] = True
            expected = rng.uniform(-0.05, 0.05, (4, len(ended))).T.astype(np.float32)
            np.testing.assert_array_equal(step.obs[mask], expected)
        else:
            assert step.final_obs is None
    assert resets > 3


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
def test_sync_vector_env_given_directly_matches_loop(mode):
    """A gymnasium SyncVectorEnv returned by a creator gives the same steps as rlcore's loop."""

    def make_single():
        return gymnasium.make("CartPole-v1", max_episode_steps=5)

    vec_base = make_base_env(
        lambda ctx: SyncVectorEnv([make_single] * N, autoreset_mode=mode), num_envs=1, seed=7
    )
    loop_base = make_base_env(lambda ctx: make_single(), num_envs=N, seed=7)
    assert isinstance(vec_base, GymVectorBaseEnv) and vec_base.num_envs == N
    np.testing.assert_array_equal(vec_base.reset()[0], loop_base.reset()[0])
    ends = 0
    for actions in np.random.default_rng(2).integers(0, 2, size=(25, N)):
        a, b = vec_base.step(actions), loop_base.step(actions)
        np.testing.assert_array_equal(a.obs, b.obs)
        np.testing.assert_array_equal(a.terminateds, b.terminateds)
        np.testing.assert_array_equal(a.truncateds, b.truncateds)
        np.testing.assert_array_equal(a.rewards, b.rewards)
        assert (a.final_obs is None) == (b.final_obs is None)
        if a.final_obs is not None:
            ends += 1
            ended = a.terminateds | a.truncateds
            np.testing.assert_array_equal(a.final_obs[ended], b.final_obs[ended])
    assert ends > 2


def test_same_step_vector_env_without_partial_reset_rejects_horizon():
    class NoReset(gymnasium.vector.VectorEnv):
        metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP}

        def __init__(self):
            self.num_envs = 2
            self.single_observation_space = gymnasium.spaces.Discrete(2)
            self.single_action_space = gymnasium.spaces.Discrete(2)

    with pytest.raises(ValueError, match="needs a partial reset"):
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
    base = make_base_env("CartPole-v1", num_envs=3, seed=0)
    base.reset()
    assert base.step([0, 1, 1]).rewards.tolist() == [1.0, 1.0, 1.0]

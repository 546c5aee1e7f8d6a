"""SubEnvLoop: same-step auto-reset against single gymnasium envs stepped by hand, horizon,
old-gym-API envs, structured spaces, EnvError naming the env and index."""

import gymnasium
import numpy as np
import pytest

from rlcore.env import EnvContext, EnvError, SubEnvLoop, make_base_env

N = 4
MAX_STEPS = 6


def _hand_reference(seed, actions_seq, max_steps=MAX_STEPS):
    """Single gymnasium envs stepped by hand: what every step of a BaseEnv must return."""
    envs = [gymnasium.make("CartPole-v1", max_episode_steps=max_steps) for _ in range(N)]
    obs = [env.reset(seed=seed + i)[0] for i, env in enumerate(envs)]
    steps = []
    for actions in actions_seq:
        row = []
        for i, env in enumerate(envs):
            o, r, te, tr, _ = env.step(int(actions[i]))
            final = None
            if te or tr:
                final, (o, _) = o, env.reset()
            row.append((o, r, te, tr, final))
        steps.append(row)
    return obs, steps


def test_same_step_autoreset_matches_single_envs():
    rng = np.random.default_rng(0)
    actions_seq = rng.integers(0, 2, size=(40, N))
    base = make_base_env(lambda ctx: gymnasium.make("CartPole-v1", max_episode_steps=MAX_STEPS), num_envs=N, seed=10)
    assert isinstance(base, SubEnvLoop)
    ref_obs, ref_steps = _hand_reference(10, actions_seq)
    obs, infos = base.reset()
    np.testing.assert_array_equal(obs, np.stack(ref_obs))
    ended_any = 0
    for actions, ref in zip(actions_seq, ref_steps):
        step = base.step(actions)
        assert step.obs.dtype == np.float32 and step.obs.shape == (N, 4)
        np.testing.assert_array_equal(step.obs, np.stack([r[0] for r in ref]))
        np.testing.assert_array_equal(step.rewards, [r[1] for r in ref])
        np.testing.assert_array_equal(step.terminateds, [r[2] for r in ref])
        np.testing.assert_array_equal(step.truncateds, [r[3] for r in ref])
        ended = [i for i, r in enumerate(ref) if r[4] is not None]
        if not ended:
            assert step.final_obs is None
        else:
            ended_any += 1
            for i in ended:
                np.testing.assert_array_equal(step.final_obs[i], ref[i][4])
            # every other row is the env's obs: the whole array is each env's observation after the step
            others = [i for i in range(N) if i not in ended]
            assert step.final_obs_full
            np.testing.assert_array_equal(step.final_obs[others], step.obs[others])
    assert ended_any > 3  # the table really exercised auto-resets


def test_partial_reset_resets_only_the_masked_sub_envs():
    base = make_base_env(lambda ctx: gymnasium.make("Pendulum-v1"), num_envs=3, seed=0)
    twins = [gymnasium.make("Pendulum-v1") for _ in range(3)]
    base.reset()
    for i, env in enumerate(twins):
        env.reset(seed=i)
    action = np.zeros((3, 1), np.float32)
    for _ in range(2):
        base.step(action)
        for env in twins:
            env.step(action[0])
    obs, infos = base.reset_envs(np.array([True, False, True]))
    assert base.can_reset_envs and obs.shape == (2, 3) and len(infos) == 2
    np.testing.assert_array_equal(obs, np.stack([twins[0].reset()[0], twins[2].reset()[0]]))
    np.testing.assert_array_equal(base.step(action).obs, np.stack([env.step(action[0])[0] for env in twins]))


class OldCounter:
    """An RLlib 1.x-style env: reset() -> obs, step -> (obs, reward, done, info)."""

    observation_space = gymnasium.spaces.Box(0, 100, (1,), np.float32)
    action_space = gymnasium.spaces.Discrete(2)

    def __init__(self, config):
        self.limit = config.get("limit", 3)
        self.truncate = config.get("truncate", False)
        self.seeded = None

    def seed(self, seed):
        self.seeded = seed

    def reset(self):
        self.n = 0
        return np.array([0.0], np.float32)

    def step(self, action):
        self.n += 1
        done = self.n >= self.limit
        info = {"TimeLimit.truncated": True} if done and self.truncate else {}
        return np.array([self.n], np.float32), float(action), done, info


@pytest.mark.parametrize("truncate, term, trunc", [(False, True, False), (True, False, True)])
def test_old_gym_api_env(truncate, term, trunc):
    base = make_base_env(OldCounter, {"limit": 2, "truncate": truncate}, num_envs=2, seed=5)
    obs, infos = base.reset()
    assert [env.seeded for env in base.get_sub_environments()] == [5, 6]
    assert obs.tolist() == [[0.0], [0.0]] and infos == [{}, {}]
    step = base.step(np.array([1, 0]))
    assert step.obs.tolist() == [[1.0], [1.0]] and step.rewards.tolist() == [1.0, 0.0]
    step = base.step(np.array([1, 1]))
    assert step.terminateds.tolist() == [term, term] and step.truncateds.tolist() == [trunc, trunc]
    assert step.final_obs.tolist() == [[2.0], [2.0]] and step.obs.tolist() == [[0.0], [0.0]]


class DictObsEnv(gymnasium.Env):
    observation_space = gymnasium.spaces.Dict(
        {"pos": gymnasium.spaces.Box(-1, 1, (2,)), "id": gymnasium.spaces.Discrete(4)}
    )
    action_space = gymnasium.spaces.Tuple([gymnasium.spaces.Discrete(2), gymnasium.spaces.Discrete(3)])

    def __init__(self, config):
        self.index = config.vector_index

    def reset(self, *, seed=None, options=None):
        self.t = 0
        return {"pos": np.zeros(2, np.float32), "id": self.index}, {"start": True}

    def step(self, action):
        self.t += 1
        obs = {"pos": np.full(2, action[1] / 3, np.float32), "id": self.index}
        return obs, 0.5, self.t >= 2, False, {"t": self.t}


def test_structured_spaces_give_lists_and_sub_env_contexts():
    base = make_base_env(DictObsEnv, EnvContext({}, worker_index=1), num_envs=3)
    obs, infos = base.reset()
    assert isinstance(obs, list) and [o["id"] for o in obs] == [0, 1, 2]
    assert infos == [{"start": True}] * 3
    step = base.step([(0, 1), (1, 2), (0, 0)])
    assert isinstance(step.obs, list) and step.infos == [{"t": 1}] * 3 and step.final_obs is None
    step = base.step([(0, 1), (1, 2), (0, 0)])
    assert step.terminateds.tolist() == [True] * 3
    assert [o["pos"][0] for o in step.final_obs] == pytest.approx([1 / 3, 2 / 3, 0])
    assert [o["pos"][0] for o in step.obs] == [0, 0, 0]
    assert step.infos == [{"t": 2}] * 3  # the info of the last step, not of the reset


class Exploding(gymnasium.Env):
    observation_space = gymnasium.spaces.Discrete(2)
    action_space = gymnasium.spaces.Discrete(2)

    def __init__(self, config):
        self.bad = config.vector_index == config.get("bad_index", -1)
        self.bad_phase = config.get("phase", "step")

    def reset(self, *, seed=None, options=None):
        if self.bad and self.bad_phase == "reset":
            raise KeyError("reset went wrong")
        return 0, {}

    def step(self, action):
        if self.bad and self.bad_phase == "step":
            raise ZeroDivisionError("step went wrong")
        return 1, 0.0, False, False, {}


@pytest.mark.parametrize(
    "phase, cause", [("step", ZeroDivisionError), ("reset", KeyError)]
)
def test_env_error_names_env_and_index(phase, cause):
    from rlcore.env import register_env

    register_env("exploding_env", Exploding)
    base = make_base_env("exploding_env", EnvContext({"bad_index": 2, "phase": phase}, worker_index=3), 4)
    with pytest.raises(EnvError) as info:
        base.reset()
        base.step(np.zeros(4, np.int64))
    err = info.value
    assert isinstance(err, RuntimeError) and isinstance(err.__cause__, cause)
    assert (err.env_name, err.vector_index, err.worker_index, err.phase) == ("exploding_env", 2, 3, phase)
    assert "exploding_env" in str(err) and "vector_index=2" in str(err) and "worker_index=3" in str(err)


def test_wrong_number_of_actions():
    base = make_base_env(lambda ctx: gymnasium.make("CartPole-v1"), num_envs=2)
    base.reset()
    with pytest.raises(ValueError, match="got 3 actions for num_envs=2"):
        base.step(np.zeros(3, np.int64))


class WrongShape(gymnasium.Env):
    observation_space = gymnasium.spaces.Box(-1, 1, (2,), np.float32)
    action_space = gymnasium.spaces.Discrete(2)

    def __init__(self, config):
        self.shape = (3,) if config.vector_index == 1 else (2,)

    def reset(self, *, seed=None, options=None):
        return np.zeros(2, np.float32), {}

    def step(self, action):
        return np.zeros(self.shape, np.float32), 0.0, False, False, {}


def test_misshapen_observation_names_the_env():
    base = make_base_env(WrongShape, num_envs=3)
    base.reset()
    with pytest.raises(EnvError, match=r"vector_index=1\) raised in step: ValueError: observation of shape \(3,\)"):
        base.step(np.zeros(3, np.int64))

"""Rollout workers sampling envs in RLlib 1.x's BaseEnv protocol (AsyncEnv): users' own BaseEnvs
(ids of any kind, sub-envs that report late, asynchronous resets, off-policy actions, horizons),
and remote sub-envs polled as they finish (``remote_worker_envs`` + ``remote_env_batch_wait_ms``)."""

import time

import gymnasium as gym
import numpy as np
import pytest

from rlcore.data import MultiAgentBatch, SampleBatch
from rlcore.env import ASYNC_RESET_RETURN, AsyncEnv, convert_to_base_env, make_multi_agent
from rlcore.policy.random_policy import RandomPolicy
from rlcore.sampling.callbacks import DefaultCallbacks
from rlcore.sampling.rollout_worker import RolloutWorker

EP_LEN = 5


class Cars(AsyncEnv):
    """Sub-envs ``"a"`` and ``"b"`` with one agent ``"car"`` each; ``"b"`` answers every other poll.

    Episodes last EP_LEN steps; the obs is the step count; ``try_reset`` is asynchronous. Options:
    ``six``: poll returns gymnasium's 6-tuple; ``log_actions``: the agent of ``"a"`` takes action 1
    itself at every step and reports it as off-policy; ``reset``: ``"sync"`` (try_reset returns the
    new obs), ``"async"`` or ``"none"`` (unsupported).
    """

    def __init__(self, six=False, log_actions=False, reset="async", agents=("car",)):
        self.observation_space = gym.spaces.Box(-100, 100, (1,), np.float32)
        self.action_space = gym.spaces.Discrete(2)
        self.six, self.log_actions, self.reset_mode, self.agents = six, log_actions, reset, agents
        self.t = {"a": 0, "b": 0}
        self.first, self.polls = True, 0
        self.pending, self.sent = {}, []

    def _obs(self, e):
        return {ag: np.array([self.t[e]], np.float32) for ag in self.agents}

    def poll(self):
        self.polls += 1
        out = {k: {} for k in ("obs", "rew", "term", "trunc", "info", "off")}
        ready = ["a", "b"] if self.first else [e for e in list(self.pending) if e == "a" or self.polls % 2 == 0]
        for e in ready:
            first = self.first or self.t[e] == -1
            if not self.first:
                self.pending.pop(e)
            if first:
                self.t[e] = 0
            else:
                self.t[e] += 1
            out["obs"][e] = self._obs(e)
            out["rew"][e] = {ag: None if first else 1.0 for ag in self.agents}
            end = self.t[e] >= EP_LEN
            out["term"][e] = {"__all__": end, **{ag: end for ag in self.agents}}
            out["trunc"][e] = {"__all__": False}
            out["info"][e] = {ag: {"t": self.t[e]} for ag in self.agents}
            if self.log_actions and e == "a":
                out["off"][e] = {ag: 1 for ag in self.agents}
        self.first = False
        if self.six:
            return out["obs"], out["rew"], out["term"], out["trunc"], out["info"], out["off"]
        return out["obs"], out["rew"], out["term"], out["info"], out["off"]

    def send_actions(self, action_dict):
        self.sent.append(action_dict)
        for e, actions in action_dict.items():
            self.pending[e] = actions

    def try_reset(self, env_id=None):
        if self.reset_mode == "none":
            return None
        if self.reset_mode == "sync":
            self.t[env_id] = 0
            return self._obs(env_id)
        self.t[env_id] = -1
        self.pending[env_id] = {}
        return ASYNC_RESET_RETURN


class Record(DefaultCallbacks):
    def __init__(self):
        super().__init__()
        self.ended = []

    def on_episode_end(self, *, worker, base_env, policies, episode, env_index=None, **kwargs):
        self.ended.append((env_index, episode.length, episode.total_reward, type(base_env).__name__))


def _worker(env_fn, **kwargs):
    kwargs.setdefault("rollout_fragment_length", 30)
    return RolloutWorker(env_creator=lambda ctx: env_fn(), policy_spec=RandomPolicy, seed=0, **kwargs)


def _episodes(batch):
    """{eps_id: (obs list, reward sum, last done)} of a SampleBatch."""
    out = {}
    for e in np.unique(batch["eps_id"]):
        rows = batch["eps_id"] == e
        out[int(e)] = (batch["obs"][rows, 0].tolist(), float(batch["rewards"][rows].sum()), bool(batch["dones"][rows][-1]))
    return out


@pytest.mark.parametrize("six", [False, True], ids=["1.x 5-tuple", "gymnasium 6-tuple"])
def test_user_base_env_episodes_with_late_sub_env_and_async_resets(six):
    callbacks = Record()
    w = RolloutWorker(env_creator=lambda ctx: Cars(six=six), policy_spec=RandomPolicy, rollout_fragment_length=30,
                      callbacks=callbacks, batch_mode="complete_episodes")
    batch = w.sample()
    assert isinstance(batch, SampleBatch)  # one agent per env step, one policy: 1.x's wrap_as_needed
    episodes = _episodes(batch)
    assert len(episodes) >= 6
    for obs, reward, done in episodes.values():  # whole episodes: obs 0..4, then done
        assert obs == [0.0, 1.0, 2.0, 3.0, 4.0] and reward == EP_LEN and done
    # the callbacks see the user's env and its own sub-env ids; "b" is slower, so it finished fewer
    ids = [e[0] for e in callbacks.ended]
    assert set(ids) == {"a", "b"} and ids.count("a") > ids.count("b")
    assert {(e[1], e[2], e[3]) for e in callbacks.ended} == {(EP_LEN, float(EP_LEN), "Cars")}
    assert w.async_env is w.env and isinstance(w.env, Cars)
    # every send went to the sub-envs of the previous poll only (1.x: a slow sub-env gets no new action)
    assert any(list(sent) == ["a"] for sent in w.env.sent)


def test_truncate_mode_counts_reported_env_steps_and_infos_arrive():
    w = _worker(Cars)
    batch = w.sample()
    assert batch.count == 30 and set(batch["env_id"].tolist()) == {0, 1}
    assert [i["t"] for i in batch["infos"][:3]] == [1, 2, 3]


def test_off_policy_actions_are_recorded_in_the_rows():
    w = _worker(lambda: Cars(log_actions=True), rollout_fragment_length=60)
    batch = w.sample()
    a_rows = batch["env_id"] == 0  # sub-env "a" (ids sort: "a" -> 0)
    assert (batch["actions"][a_rows] == 1).all()
    assert 0 in batch["actions"][~a_rows]  # "b"'s agent acts on-policy (random)


def test_sync_try_reset_starts_the_next_episode_at_once():
    w = _worker(lambda: Cars(reset="sync"))
    episodes = _episodes(w.sample())
    done = [v for v in episodes.values() if v[2]]
    assert done and all(obs == [0.0, 1.0, 2.0, 3.0, 4.0] for obs, _, _ in done)


def test_horizon_needs_try_reset():
    w = _worker(lambda: Cars(reset="none"), episode_horizon=3)
    with pytest.raises(ValueError, match=r"horizon=3: env Cars cut an episode of sub-env a but cannot reset it"):
        w.sample()
    w = _worker(lambda: Cars(reset="sync"), episode_horizon=3)
    batch = w.sample()
    assert all(len(obs) <= 3 for obs, _, _ in _episodes(batch).values())
    assert not batch["terminateds"].any() and batch["truncateds"].sum() >= 8  # cut by the horizon: truncated


def test_multi_agent_user_base_env_with_two_policies():
    spec = {"p0": (RandomPolicy, None, None, {}), "p1": (RandomPolicy, None, None, {})}
    w = RolloutWorker(env_creator=lambda ctx: Cars(agents=("x", "y")), policy_spec=spec,
                      policy_mapping_fn=lambda agent_id: "p0" if agent_id == "x" else "p1", rollout_fragment_length=20)
    batch = w.sample()
    assert isinstance(batch, MultiAgentBatch) and set(batch.policy_batches) == {"p0", "p1"}
    assert batch.policy_batches["p0"].count == batch.policy_batches["p1"].count == batch.env_steps() >= 20


def test_new_sub_env_ids_reuse_freed_indices():
    """An external application's episodes each come with a new id (never reset): indices are reused."""

    class Fresh(AsyncEnv):
        observation_space = gym.spaces.Box(-1, 1, (1,), np.float32)
        action_space = gym.spaces.Discrete(2)

        def __init__(self):
            self.n, self.live = 0, {}

        def poll(self):
            obs, rew, done = {}, {}, {}
            while len(self.live) < 2:  # two concurrent episodes, each with a fresh id
                self.n += 1
                self.live[f"ep{self.n}"] = 0
                obs[f"ep{self.n}"], rew[f"ep{self.n}"], done[f"ep{self.n}"] = {"u": np.zeros(1, np.float32)}, \
                    {"u": None}, {"__all__": False}
            for eid in [e for e in self.live if e not in obs and self.live[e] >= 0]:
                self.live[eid] += 1
                end = self.live[eid] >= 3
                obs[eid], rew[eid], done[eid] = {"u": np.zeros(1, np.float32)}, {"u": 1.0}, {"__all__": end}
                if end:
                    del self.live[eid]
            return obs, rew, done, {}, {}

        def send_actions(self, action_dict):
            pass

    w = _worker(Fresh, rollout_fragment_length=60)
    batch = w.sample()
    assert batch.count >= 60 and w.env.n >= 20
    assert w.sampler.num_envs <= 3  # indices freed at each episode's end and reused
    assert set(np.unique(batch["eps_id"], return_counts=True)[1].tolist()) <= {1, 2, 3}


def test_async_env_view_of_a_sync_worker():
    w = RolloutWorker(env_creator=lambda ctx: gym.make("CartPole-v1"), policy_spec=RandomPolicy, num_envs=2)
    view = w.async_env
    assert isinstance(view, AsyncEnv) and len(view.get_sub_environments()) == 2
    assert sorted(view.poll()[0]) == [0, 1]
    w.stop()


def test_ppo_trains_on_a_user_base_env():
    from rlcore.algorithms.ppo import PPOTrainer

    for framework in ("torch", "tf2"):
        trainer = PPOTrainer(config={
            "env": lambda cfg: convert_to_base_env(gym.make("CartPole-v1"), make_env=lambda i: gym.make("CartPole-v1"),
                                                   num_envs=2),
            "framework": framework, "num_workers": 0, "train_batch_size": 200, "rollout_fragment_length": 100,
            "sgd_minibatch_size": 100, "num_sgd_iter": 2, "seed": 0})
        result = trainer.train()
        trainer.stop()
        assert result["timesteps_total"] >= 200 and result["episodes_this_iter"] > 0
        assert np.isfinite(result["info"]["learner"]["default_policy"]["total_loss"])


# -- remote sub-envs polled as they finish -----------------------------------------------------------------


class _SlowSecond(gym.Wrapper):
    def __init__(self, env, delay):
        super().__init__(env)
        self.delay = delay

    def step(self, action):
        if self.delay:
            time.sleep(self.delay)
        return self.env.step(action)


class LateIds(AsyncEnv):
    """Int ids 5 and 2 (not the sampler's indices): 5 reports first, alone, then both every poll;
    each observation is its env's id; episodes of EP_LEN steps, synchronous resets."""

    def __init__(self):
        self.observation_space = gym.spaces.Box(-100, 100, (1,), np.float32)
        self.action_space = gym.spaces.Discrete(2)
        self.t, self.polls = {5: 0, 2: 0}, 0

    def poll(self):
        self.polls += 1
        ids = [5] if self.polls == 1 else [5, 2]
        obs = {e: {"car": np.array([e], np.float32)} for e in ids}
        rew = {e: {"car": None if self.polls <= 2 and (e == 2 or self.polls == 1) else 1.0} for e in ids}
        for e in ids:
            if rew[e]["car"] is not None:
                self.t[e] += 1
        done = {e: {"__all__": self.t[e] >= EP_LEN, "car": self.t[e] >= EP_LEN} for e in ids}
        return obs, rew, done, {e: {} for e in ids}, {}

    def send_actions(self, action_dict):
        pass

    def try_reset(self, env_id=None):
        self.t[env_id] = 0
        return {"car": np.array([env_id], np.float32)}


def test_the_env_id_column_holds_the_envs_int_ids_whichever_reports_first():
    """A polled env's int ids are the batch's env_id (RLlib 1.x), not the index the sampler gave
    each id as it first reported (id 5 alone first, then 2): every row's env_id is its env's."""
    batch = _worker(LateIds).sample()
    assert set(batch["env_id"].tolist()) == {5, 2}
    assert np.array_equal(batch["env_id"], batch["obs"][:, 0].astype(np.int64))


def _slow_second(ctx):
    return _SlowSecond(gym.make("CartPole-v1"), 0.1 if ctx.vector_index == 1 else 0.0)


@pytest.mark.ray
def test_remote_envs_with_a_batch_wait_do_not_wait_for_a_slow_sub_env(ray_mod):
    w = RolloutWorker(env_creator=_slow_second, policy_spec=RandomPolicy, rollout_fragment_length=50, num_envs=2,
                      remote_worker_envs=True, remote_env_batch_wait_ms=1)
    try:
        batch = w.sample()
        # 50 steps of 2 envs; a poll that brings both envs' steps at once may overshoot by one
        assert isinstance(batch, SampleBatch) and 100 <= batch.count <= 101
        fast, slow = np.bincount(batch["env_id"], minlength=2).tolist()
        assert fast > 2 * slow  # the fast sub-env kept stepping while the slow one worked
        assert type(w.env).__name__ == "RemoteAsyncEnv"
    finally:
        w.stop()


@pytest.mark.ray
def test_remote_multi_agent_envs(ray_mod):
    cls = make_multi_agent("CartPole-v1")
    w = RolloutWorker(env_creator=lambda ctx: cls({"num_agents": 2}), policy_spec=RandomPolicy,
                      rollout_fragment_length=20, num_envs=2, remote_worker_envs=True)
    try:
        batch = w.sample()
        assert isinstance(batch, MultiAgentBatch) and batch.env_steps() >= 40
        assert batch.agent_steps() == batch.policy_batches["default_policy"].count > batch.env_steps()
    finally:
        w.stop()

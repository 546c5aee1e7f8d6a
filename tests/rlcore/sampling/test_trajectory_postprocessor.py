"""User postprocessing runs on every sampled episode fragment (issue #11, item 1).

A ``postprocess_fn`` given through ``with_updates``, a subclass or an instance that overrides
``postprocess_trajectory``, a centralized critic reading ``other_agent_batches``, an exploration
with its own postprocessing and an ``on_postprocess_trajectory`` callback each get one call per
fragment (one agent, one episode, one cut), with the other agents of that episode and cut and the
episode, as RLlib 1.x passed them. The stock PPO/PG policies keep the batched path, which gives
the same advantages as the per-fragment one. Torch and TF2, single- and multi-agent, in-process
rollout workers (no Ray).
"""

import functools
from typing import Any, NamedTuple

import gymnasium as gym
import numpy as np
import pytest

from rlcore.algorithms.pg import PGTFPolicy, PGTorchPolicy
from rlcore.algorithms.pg.utils import post_process_advantages
from rlcore.algorithms.ppo.ppo_tf_policy import PPOTFPolicy
from rlcore.algorithms.ppo.ppo_torch_policy import PPOTorchPolicy
from rlcore.data import MultiAgentBatch
from rlcore.env import MultiAgentEnv, make_multi_agent
from rlcore.policy.exploration.stochastic_sampling import StochasticSampling
from rlcore.sampling import DefaultCallbacks, RolloutWorker
from rlcore.sampling.postprocessing import compute_gae_for_sample_batch
from rlcore.sampling.trajectory_postprocessor import BATCHED, PER_FRAGMENT, SKIP, postprocess_plan

FRAMEWORKS = ["torch", "tf2"]
POLICIES = {("ppo", "torch"): PPOTorchPolicy, ("ppo", "tf2"): PPOTFPolicy,
            ("pg", "torch"): PGTorchPolicy, ("pg", "tf2"): PGTFPolicy}
#: The per-fragment postprocessing each algorithm's stock policy batches.
STOCK_FN = {"ppo": compute_gae_for_sample_batch, "pg": post_process_advantages}
FRAGMENT_LENGTH = 25
MultiCartPole = make_multi_agent("CartPole-v1")


class TeamEnv(MultiAgentEnv):
    """Agents 0, 1 and 2 act at every step; obs ``[agent, t, 0, 0]``, reward 1; 7 steps long."""

    observation_space = gym.spaces.Box(-100.0, 100.0, (4,), np.float32)
    action_space = gym.spaces.Discrete(3)
    agents = (0, 1, 2)

    def __init__(self, config=None):
        self.t = 0

    def _obs(self):
        return {a: np.array([a, self.t, 0, 0], np.float32) for a in self.agents}

    def reset(self, *, seed=None, options=None):
        self.t = 0
        return self._obs(), {}

    def step(self, action_dict):
        assert set(action_dict) == set(self.agents), action_dict
        self.t += 1
        return self._obs(), {a: 1.0 for a in self.agents}, {"__all__": self.t >= 7}, {"__all__": False}, {}


# -- what the user code saw ------------------------------------------------------------------------

class Call(NamedTuple):
    """One call of user postprocessing: the fragment as it came in, the other agents, the episode."""

    batch: Any
    others: Any
    episode: Any


def calls_of(policy) -> list:
    return policy.__dict__.setdefault("user_calls", [])


def record(policy, batch, others, episode) -> None:
    calls_of(policy).append(Call(batch.copy(), others, episode))


def shape(batch):
    """The user's edits: halved rewards and a column holding the length of the row's fragment."""
    batch["rewards"] = batch["rewards"] * 0.5
    batch["fragment_rows"] = np.full(batch.count, batch.count, np.int64)
    return batch


def user_postprocess_fn(inner):
    """A ``postprocess_fn`` that records its call, shapes rewards, then runs ``inner``."""

    def postprocess_fn(policy, sample_batch, other_agent_batches=None, episode=None):
        record(policy, sample_batch, other_agent_batches, episode)
        return inner(policy, shape(sample_batch), other_agent_batches, episode)

    return postprocess_fn


def central_critic_fn(policy, sample_batch, other_agent_batches=None, episode=None):
    """As 1.x's centralized_critic example: the other agents' actions as ``opponent_action``.

    At policy construction the template calls it on a dummy batch without other agents (None):
    the column is then zeros, as the 1.x example did.
    """
    record(policy, sample_batch, other_agent_batches, episode)
    if other_agent_batches is None:
        opponents = np.zeros((sample_batch.count, len(TeamEnv.agents) - 1), np.int64)
    else:
        opponents = np.stack([other_agent_batches[a][1]["actions"] for a in sorted(other_agent_batches)], axis=1)
    sample_batch["opponent_action"] = opponents
    return compute_gae_for_sample_batch(policy, sample_batch, other_agent_batches, episode)


def subclass_of(base, call_super: bool):
    class Overriding(base):
        def postprocess_trajectory(self, sample_batch, other_agent_batches=None, episode=None):
            record(self, sample_batch, other_agent_batches, episode)
            sample_batch = shape(sample_batch)
            if call_super:
                return super().postprocess_trajectory(sample_batch, other_agent_batches, episode)
            return compute_gae_for_sample_batch(self, sample_batch, other_agent_batches, episode)

    return Overriding


def override_instance(policy) -> None:
    original = policy.postprocess_trajectory

    def postprocess_trajectory(sample_batch, other_agent_batches=None, episode=None):
        record(policy, sample_batch, other_agent_batches, episode)
        return original(shape(sample_batch), other_agent_batches, episode)

    policy.postprocess_trajectory = postprocess_trajectory


class FragmentExploration(StochasticSampling):
    """Stochastic sampling whose postprocessing records its calls and adds ``explored_rows``."""

    def postprocess_trajectory(self, policy, sample_batch, tf_sess=None):
        record(policy, sample_batch, None, None)
        sample_batch["explored_rows"] = np.full(sample_batch.count, sample_batch.count, np.int64)
        return sample_batch


class PostprocessRecorder(DefaultCallbacks):
    def __init__(self):
        super().__init__()
        self.calls = []

    def on_postprocess_trajectory(self, *, worker, episode, agent_id, policy_id, policies, postprocessed_batch,
                                  original_batches, **kwargs):
        self.calls.append(dict(worker=worker, episode=episode, agent_id=agent_id, policy_id=policy_id,
                               policies=policies, postprocessed_batch=postprocessed_batch,
                               original_batches=original_batches))


# -- workers ---------------------------------------------------------------------------------------

def config(framework, **extra):
    return {"framework": framework, "eager_tracing": framework == "tf2", "model": {"fcnet_hiddens": [8]}, **extra}


def even_odd(agent_id):
    return f"p{agent_id % 2}"


def zero_vs_rest(agent_id):
    return "p0" if agent_id == 0 else "p1"


ENVS = {  # name: (creator, policy mapping function); None: single-agent CartPole
    None: (lambda ctx: gym.make("CartPole-v1"), None),
    "cartpole4": (lambda ctx: MultiCartPole({"num_agents": 4}), even_odd),
    "team": (lambda ctx: TeamEnv(), zero_vs_rest),
}


def make_worker(framework, policy_cls, env=None, *, seed=1, callbacks=None, policy_config=None, **kwargs):
    """A worker on two envs; multi-agent envs get policies p0 and p1 of ``policy_cls``.

    The calls the construction made (on the dummy batch) are checked and cleared.
    """
    creator, mapping = ENVS[env]
    cfg = policy_config or config(framework)
    spec = policy_cls
    if env is not None:
        probe = creator(None)
        spec = {pid: (policy_cls, probe.observation_space, probe.action_space, cfg) for pid in ("p0", "p1")}
    worker = RolloutWorker(env_creator=creator, policy_spec=spec, policy_mapping_fn=mapping, policy_config=cfg,
                           rollout_fragment_length=FRAGMENT_LENGTH, num_envs=2, seed=seed, callbacks=callbacks,
                           **kwargs)
    for policy in worker.policy_map.values():
        assert all(c.others is None and c.episode is None for c in calls_of(policy))  # the dummy batch only
        calls_of(policy).clear()
    return worker


def policy_batches(batch) -> dict:
    if isinstance(batch, MultiAgentBatch):
        return dict(batch.policy_batches)
    return {"default_policy": batch}


def runs(batch, keys=("eps_id", "agent_index")):
    """``[(start, stop)]`` of the rows where ``keys`` stay the same: one fragment each (a sample
    holds one fragment per agent and episode)."""
    cols = np.stack([np.asarray(batch[k]) for k in keys], axis=1)
    bounds = [0, *(np.flatnonzero((cols[1:] != cols[:-1]).any(axis=1)) + 1).tolist(), batch.count]
    return list(zip(bounds[:-1], bounds[1:]))


def fragments(batch) -> dict:
    """``{(eps_id, agent_index): (policy_id, fragment)}`` of a sample."""
    out = {}
    for pid, b in policy_batches(batch).items():
        for start, stop in runs(b):
            key = (int(b["eps_id"][start]), int(b["agent_index"][start]))
            assert key not in out, f"two fragments of agent {key[1]} in episode {key[0]}"
            out[key] = (pid, b.slice(start, stop))
    return out


def check_user_calls(worker, batch, edits=("rewards", "fragment_rows"), context=True) -> None:
    """Each policy's user postprocessing ran once per fragment of the sample, in order, on
    exactly its rows (with ``context``: with its episode and the other agents of the same episode
    and cut); its ``edits`` are in the returned batch."""
    frags = fragments(batch)
    single = not isinstance(batch, MultiAgentBatch)
    for pid, b in policy_batches(batch).items():
        calls = calls_of(worker.policy_map[pid])
        spans = runs(b)
        assert [c.batch.count for c in calls] == [stop - start for start, stop in spans]
        assert sum(c.batch.count for c in calls) == b.count
        for call, (start, stop) in zip(calls, spans):
            for col in ("obs", "actions", "t", "eps_id"):
                np.testing.assert_array_equal(call.batch[col], b[col][start:stop])
            if not context:
                continue
            eps_id, agent = int(b["eps_id"][start]), int(b["agent_index"][start])
            assert call.episode is not None and call.episode.episode_id == eps_id
            if single:
                assert call.others == {}
                continue
            seen = set()
            for other_id, (other_policy, other) in call.others.items():
                key = (eps_id, int(other["agent_index"][0]))
                assert (other["eps_id"] == eps_id).all() and (other["agent_index"] == key[1]).all()
                other_pid, rows = frags[key]  # a fragment of this sample
                assert other_pid == worker.policy_mapping_fn(other_id)
                assert other_policy is worker.policy_map[other_pid]
                for col in ("obs", "actions", "t"):
                    np.testing.assert_array_equal(other[col], rows[col])
                assert "advantages" not in other  # before its own postprocessing
                seen.add(key)
            # exactly the other agents of the same episode in this sample
            assert len(seen) == len(call.others)
            assert seen == {k for k in frags if k[0] == eps_id and k != (eps_id, agent)}
        if "rewards" in edits:
            assert (b["rewards"] == 0.5).all()  # every env pays 1 per step: all shaped
        if "fragment_rows" in edits:
            lengths = [stop - start for start, stop in spans]
            np.testing.assert_array_equal(b["fragment_rows"], np.repeat(lengths, lengths))
        assert "advantages" in b


def sample_and_check(worker, samples=2, **kwargs) -> list:
    """Samples ``samples`` times (episodes run across samples), checking each sample's calls."""
    out = []
    for _ in range(samples):
        for policy in worker.policy_map.values():
            calls_of(policy).clear()
        out.append(worker.sample())
        check_user_calls(worker, out[-1], **kwargs)
    return out


# -- 1. with_updates(postprocess_fn=f) -------------------------------------------------------------

@pytest.mark.parametrize("framework, algo, env", [
    ("torch", "ppo", None), ("tf2", "ppo", None), ("torch", "pg", None),
    ("torch", "ppo", "cartpole4"), ("tf2", "ppo", "cartpole4"),
])
def test_with_updates_postprocess_fn_runs_on_every_fragment(framework, algo, env):
    cls = POLICIES[(algo, framework)].with_updates(postprocess_fn=user_postprocess_fn(STOCK_FN[algo]))
    worker = make_worker(framework, cls, env)
    try:
        assert {postprocess_plan(p) for p in worker.policy_map.values()} == {PER_FRAGMENT}
        sample_and_check(worker)
    finally:
        worker.stop()


# -- 2. a subclass overriding postprocess_trajectory -----------------------------------------------

@pytest.mark.parametrize("framework, call_super, env", [
    ("torch", True, None), ("torch", False, None), ("tf2", True, None), ("tf2", False, None),
    ("torch", True, "cartpole4"),
])
def test_subclass_override_runs_on_every_fragment(framework, call_super, env):
    worker = make_worker(framework, subclass_of(POLICIES[("ppo", framework)], call_super), env)
    try:
        assert {postprocess_plan(p) for p in worker.policy_map.values()} == {PER_FRAGMENT}
        sample_and_check(worker, edits=("rewards",))
    finally:
        worker.stop()


# -- 3. an instance-level override ----------------------------------------------------------------

@pytest.mark.parametrize("framework, env", [("torch", None), ("tf2", None), ("torch", "cartpole4")])
def test_instance_override_runs_on_every_fragment(framework, env):
    worker = make_worker(framework, POLICIES[("ppo", framework)], env)
    try:
        for policy in worker.policy_map.values():
            assert postprocess_plan(policy) == BATCHED
            override_instance(policy)
            assert postprocess_plan(policy) == PER_FRAGMENT
        sample_and_check(worker, edits=("rewards",))
    finally:
        worker.stop()



def test_subclass_wrapping_the_parent_method_runs_on_every_fragment():
    def traced(method):
        @functools.wraps(method)
        def wrapper(self, sample_batch, other_agent_batches=None, episode=None):
            record(self, sample_batch, other_agent_batches, episode)
            return method(self, shape(sample_batch), other_agent_batches, episode)

        return wrapper

    class Traced(PPOTorchPolicy):
        postprocess_trajectory = traced(PPOTorchPolicy.postprocess_trajectory)

    worker = make_worker("torch", Traced)
    try:
        sample_and_check(worker, edits=("rewards",))
    finally:
        worker.stop()

# -- 4. a centralized critic ----------------------------------------------------------------------

@pytest.mark.parametrize("batch_mode", ["truncate_episodes", "complete_episodes"])
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_centralized_critic_sees_the_other_agents_of_its_episode_and_cut(framework, batch_mode):
    """Three agents that act at every step, two policies: each fragment gets the two others of
    the same episode and cut, as (policy, batch) of equal length; ``opponent_action`` holds
    their actions row by row."""
    cls = POLICIES[("ppo", framework)].with_updates(postprocess_fn=central_critic_fn)
    worker = make_worker(framework, cls, "team", batch_mode=batch_mode)
    try:
        for batch in sample_and_check(worker, edits=()):
            by_agent = {}  # {(eps_id, agent id read from the obs): fragment}
            for pid, frag in fragments(batch).values():
                agent = int(frag["obs"][0, 0])
                assert (frag["obs"][:, 0] == agent).all() and pid == zero_vs_rest(agent)
                by_agent[(int(frag["eps_id"][0]), agent)] = frag
            for (eps_id, agent), frag in by_agent.items():
                others = [a for a in TeamEnv.agents if a != agent]
                expected = np.stack([by_agent[(eps_id, a)]["actions"] for a in others], axis=1)
                np.testing.assert_array_equal(frag["opponent_action"], expected)
            for policy in worker.policy_map.values():
                for call in calls_of(policy):
                    agent = int(call.batch["obs"][0, 0])
                    assert sorted(call.others) == [a for a in TeamEnv.agents if a != agent]
                    for other_id, (_, other) in call.others.items():
                        assert other.count == call.batch.count and (other["obs"][:, 0] == other_id).all()
                        np.testing.assert_array_equal(other["t"], call.batch["t"])
    finally:
        worker.stop()


# -- 5. the fast path where it is provably the same ------------------------------------------------

@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_postprocess_plan(framework):
    ppo, pg = POLICIES[("ppo", framework)], POLICIES[("pg", framework)]
    obs_space, act_space = gym.spaces.Box(-1.0, 1.0, (4,), np.float32), gym.spaces.Discrete(2)
    stock = ppo(obs_space, act_space, config(framework))
    assert postprocess_plan(stock) == BATCHED
    assert postprocess_plan(pg(obs_space, act_space, config(framework))) == BATCHED
    assert postprocess_plan(stock, hook_on=True) == PER_FRAGMENT  # the callback needs each fragment
    explored = ppo(obs_space, act_space, config(framework, exploration_config={"type": FragmentExploration}))
    assert postprocess_plan(explored) == PER_FRAGMENT
    for cls in (ppo.with_updates(postprocess_fn=user_postprocess_fn(compute_gae_for_sample_batch)),
                ppo.with_updates(postprocess_fn=central_critic_fn),
                pg.with_updates(postprocess_fn=user_postprocess_fn(post_process_advantages)),
                subclass_of(ppo, True), subclass_of(ppo, False)):
        assert postprocess_plan(cls.__new__(cls)) == PER_FRAGMENT, cls
    # Exactly the function the class batches: provably the same; no function: nothing to run.
    same = ppo.with_updates(postprocess_fn=compute_gae_for_sample_batch)
    assert postprocess_plan(same.__new__(same)) == BATCHED
    none = ppo.with_updates(postprocess_fn=None)
    assert postprocess_plan(none.__new__(none)) == SKIP
    crossed = ppo.with_updates(postprocess_fn=post_process_advantages)  # PG's function on a PPO class
    assert postprocess_plan(crossed.__new__(crossed)) == PER_FRAGMENT
    override_instance(stock)
    assert postprocess_plan(stock) == PER_FRAGMENT
    other = ppo(obs_space, act_space, config(framework))
    other.exploration.postprocess_trajectory = lambda policy, batch, tf_sess=None: batch  # on the instance
    assert postprocess_plan(other) == PER_FRAGMENT


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_exploration_postprocessing_runs_per_fragment(framework):
    worker = make_worker(framework, POLICIES[("ppo", framework)],
                         policy_config=config(framework, exploration_config={"type": FragmentExploration}))
    try:
        assert postprocess_plan(worker.get_policy()) == PER_FRAGMENT
        for batch in sample_and_check(worker, edits=(), context=False):
            lengths = [stop - start for start, stop in runs(batch)]
            np.testing.assert_array_equal(batch["explored_rows"], np.repeat(lengths, lengths))
    finally:
        worker.stop()


def _seed(framework):
    """The action draws come from the framework's global generator: the same stream for both."""
    if framework == "torch":
        __import__("torch").manual_seed(0)
    else:
        __import__("tensorflow").random.set_seed(0)


@pytest.mark.parametrize("framework, algo", [("torch", "ppo"), ("tf2", "ppo"), ("torch", "pg"), ("tf2", "pg")])
def test_batched_and_per_fragment_paths_agree(framework, algo):
    """The same sample postprocessed batched (stock policy) and per fragment (the stock function
    wrapped as a user ``postprocess_fn``): the same advantages and value targets."""
    stock = POLICIES[(algo, framework)]
    inner = STOCK_FN[algo]

    def wrapped(policy, sample_batch, other_agent_batches=None, episode=None):
        record(policy, sample_batch, other_agent_batches, episode)
        return inner(policy, sample_batch, other_agent_batches, episode)

    batched = make_worker(framework, stock, seed=7)
    per_fragment = make_worker(framework, stock.with_updates(postprocess_fn=wrapped), seed=7)
    try:
        per_fragment.set_weights(batched.get_weights())
        assert postprocess_plan(batched.get_policy()) == BATCHED
        assert postprocess_plan(per_fragment.get_policy()) == PER_FRAGMENT
        _seed(framework)
        fast = [batched.sample() for _ in range(2)]
        _seed(framework)
        slow = sample_and_check(per_fragment, edits=())
        for a, b in zip(fast, slow):
            np.testing.assert_array_equal(a["obs"], b["obs"])
            np.testing.assert_array_equal(a["actions"], b["actions"])  # the same sampled rows
            assert a["dones"].any() and (runs(a)[0][1] < a.count)  # episode ends and several fragments
            columns = {"advantages", "value_targets"} & set(a)
            assert "advantages" in columns and columns == {"advantages", "value_targets"} & set(b)
            for col in sorted(columns):
                np.testing.assert_allclose(a[col], b[col], rtol=1e-6, atol=1e-6, err_msg=col)
    finally:
        batched.stop()
        per_fragment.stop()


# -- 6. on_postprocess_trajectory -----------------------------------------------------------------

@pytest.mark.parametrize("env", [None, "team"])
def test_on_postprocess_trajectory_gets_1x_arguments(env):
    recorder = PostprocessRecorder()
    worker = make_worker("torch", PPOTorchPolicy, env, callbacks=lambda: recorder)
    try:
        assert worker.callbacks is recorder
        for _ in range(2):
            recorder.calls.clear()
            batch = worker.sample()
            frags = fragments(batch)
            assert len(recorder.calls) == len(frags)
            by_key = {}
            for call in recorder.calls:
                post = call["postprocessed_batch"]
                key = (int(post["eps_id"][0]), int(post["agent_index"][0]))
                assert key not in by_key
                by_key[key] = call
                pid, rows = frags[key]
                originals = call["original_batches"]
                assert call["worker"] is worker and call["policies"] is worker.policy_map
                assert call["policy_id"] == pid and call["episode"].episode_id == key[0]
                if env is None:
                    assert call["agent_id"] == "agent0" and pid == "default_policy"
                    assert set(originals) == {"agent0"}
                else:
                    agent = int(post["obs"][0, 0])  # TeamEnv: the agent id is in the obs
                    assert call["agent_id"] == agent and pid == zero_vs_rest(agent)
                    assert set(originals) == set(TeamEnv.agents)  # every agent of the episode and cut
                assert {(key[0], int(o["agent_index"][0])) for _, o in originals.values()} == {
                    k for k in frags if k[0] == key[0]}
                for agent_id, (policy, original) in originals.items():
                    other_pid, other_rows = frags[(key[0], int(original["agent_index"][0]))]
                    assert policy is worker.policy_map[other_pid]
                    if env is not None:
                        assert other_pid == zero_vs_rest(agent_id) and (original["obs"][:, 0] == agent_id).all()
                    for col in ("obs", "actions", "rewards", "t"):
                        np.testing.assert_array_equal(original[col], other_rows[col])
                    assert "advantages" not in original  # as sampled, before postprocessing
                np.testing.assert_array_equal(originals[call["agent_id"]][1]["obs"], post["obs"])
                for col in ("obs", "actions", "advantages", "value_targets"):
                    np.testing.assert_array_equal(post[col], rows[col])
            assert set(by_key) == set(frags)
    finally:
        worker.stop()


@pytest.mark.ray
def test_remote_workers_keep_the_batched_path_and_build_no_optimizer(ray_session):
    """A template-made policy class reaches a Ray worker pickled by value (new function objects):
    its postprocessing is still recognised as rlcore's own (batched GAE), and a sampling-only
    worker never builds the torch optimizer (whose first construction imports torch._dynamo)."""
    from rlcore.algorithms.ppo import PPOTrainer

    trainer = PPOTrainer(config={"env": "CartPole-v1", "framework": "torch", "num_workers": 1,
                                 "model": {"fcnet_hiddens": [8]}})
    try:
        def probe(worker):
            import sys

            from rlcore.sampling.trajectory_postprocessor import postprocess_plan

            policy = worker.get_policy()
            return (postprocess_plan(policy), policy.__dict__.get("_built_optimizers") is None,
                    "torch._dynamo" in sys.modules)

        local, remote = trainer.workers.foreach_worker(probe)
        assert local[:2] == ("batched", True)
        assert remote == ("batched", True, False)
    finally:
        trainer.stop()

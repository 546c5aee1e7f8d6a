"""The result shapes of the foreach_* fan-outs, as RLlib 1.x's WorkerSet and RolloutWorker give them.

``foreach_worker`` / ``foreach_worker_with_index``: one result per worker, the local worker's
first (index 0), then remote 1..n. ``foreach_policy`` / ``foreach_trainable_policy``: one flat
list, the local worker's results first, each worker's in its policy-map order; the trainable
variant only over ``policies_to_train`` (in policy-map order, whatever order that list has).
``foreach_env``: one list of sub-env results per worker.
"""

import importlib.util
import sys
from pathlib import Path

import gymnasium as gym
import pytest

from rlcore.data import MultiAgentBatch
from rlcore.sampling import WorkerSet

_here = Path(__file__).parent
_spec = importlib.util.spec_from_file_location("rlcore_sampling_foreach_policies", _here / "_policies.py")
support = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = support
_spec.loader.exec_module(support)

MA_OBS = gym.spaces.Box(-100, 100, (2,))
MA_ACT = gym.spaces.Discrete(2)
POLICY_IDS = ["p1", "p2", "p3"]


def _cartpole(ctx):
    return gym.make("CartPole-v1")


def _two_agents(ctx):
    return support.TwoAgentEnv()


def _map_agent(agent_id, *args, **kwargs):
    return "p1" if agent_id == "a" else "p2"


def _multi_agent_config(**extra):
    """p1 and p2 act, p3 is never mapped; only p3 and p1 train (listed out of policy-map order)."""
    return {"rollout_fragment_length": 5, "worker_timeout_s": 60, "multiagent": {
        "policies": {pid: (None, MA_OBS, MA_ACT, {}) for pid in POLICY_IDS},
        "policy_mapping_fn": _map_agent, "policies_to_train": ["p3", "p1"]}, **extra}


def _worker_index_and_pid(policy, pid):
    return policy.config["worker_index"], pid


def test_single_worker_results_are_one_per_worker_and_policy():
    ws = WorkerSet(env_creator=_cartpole, policy_class=support.NumpyPolicy,
                   trainer_config={"rollout_fragment_length": 5, "num_envs_per_worker": 3}, num_workers=0)
    try:
        assert ws.foreach_worker(lambda w: w.worker_index) == [0]
        assert ws.foreach_worker_with_index(lambda w, i: (w.worker_index, i)) == [(0, 0)]
        assert ws.foreach_policy(lambda policy, pid: pid) == ["default_policy"]
        assert ws.foreach_trainable_policy(lambda policy, pid: pid) == ["default_policy"]
        assert ws.trainable_policies() == ["default_policy"]
        ws.local_worker().sample()
        assert ws.foreach_env(lambda env: env.spec.id) == [["CartPole-v1"] * 3]
        assert ws.foreach_env_with_context(lambda env, ctx: ctx.vector_index) == [[0, 1, 2]]
    finally:
        ws.stop()


def test_multi_agent_trainable_policies_follow_the_policy_map_and_skip_the_others():
    ws = WorkerSet(env_creator=_two_agents, policy_class=support.NumpyPolicy, trainer_config=_multi_agent_config(),
                   num_workers=0)
    try:
        worker = ws.local_worker()
        assert worker.foreach_policy(lambda policy, pid: pid) == POLICY_IDS
        assert worker.foreach_trainable_policy(lambda policy, pid, suffix: pid + suffix, suffix="!") == ["p1!", "p3!"]
        assert ws.foreach_policy(_worker_index_and_pid) == [(0, pid) for pid in POLICY_IDS]
        assert ws.foreach_trainable_policy(_worker_index_and_pid) == [(0, "p1"), (0, "p3")]
        assert ws.trainable_policies() == ["p1", "p3"]
        batch = worker.sample()
        assert isinstance(batch, MultiAgentBatch) and set(batch.policy_batches) == {"p1", "p2"}
        info = worker.learn_on_batch(batch)
        assert set(info) == {"p1"}  # p2 sampled but is not trained; p3 has no rows
        assert ws.foreach_policy(lambda policy, pid: policy.learn_calls) == [1, 0, 0]
    finally:
        ws.stop()


def test_trainer_workers_fan_out_as_a_worker_set():
    from rlcore.dataflow import from_items
    from rlcore.trainer import build_trainer, with_common_config

    def plan(workers, config):
        return from_items([{}], num_shards=1, repeat=True, backend="inprocess").gather_sync()

    cls = build_trainer("ForeachTrainer", default_config=with_common_config({}), default_policy=support.NumpyPolicy,
                        execution_plan=plan)
    trainer = cls(config=_multi_agent_config(num_workers=0), env=_two_agents)
    try:
        assert trainer.workers.foreach_worker(lambda w: w.worker_index) == [0]
        assert trainer.workers.foreach_trainable_policy(lambda policy, pid: pid) == ["p1", "p3"]
    finally:
        trainer.stop()


@pytest.mark.ray
def test_two_remote_workers_results_come_local_first_then_by_index(ray_session):
    this_module = sys.modules[__name__]
    for module in (support, this_module):  # remote workers cannot import the test modules
        ray_session.cloudpickle.register_pickle_by_value(module)
    ws = WorkerSet(env_creator=_two_agents, policy_class=support.NumpyPolicy, trainer_config=_multi_agent_config(),
                   num_workers=2)
    try:
        assert ws.foreach_worker(lambda w: w.worker_index) == [0, 1, 2]
        assert ws.foreach_worker_with_index(lambda w, i: (w.worker_index, i)) == [(0, 0), (1, 1), (2, 2)]
        assert ws.foreach_policy(_worker_index_and_pid) == [(w, pid) for w in range(3) for pid in POLICY_IDS]
        assert ws.foreach_trainable_policy(_worker_index_and_pid) == [(w, pid) for w in range(3) for pid in ("p1", "p3")]
        assert ws.trainable_policies() == ["p1", "p3"]
        # The local worker has no env beside remote workers (RLlib 1.x's create_env_on_driver=False).
        assert ws.foreach_env(lambda env: type(env).__name__) == [[], ["TwoAgentEnv"], ["TwoAgentEnv"]]
    finally:
        ws.stop()
        for module in (support, this_module):
            ray_session.cloudpickle.unregister_pickle_by_value(module)


@pytest.mark.ray
def test_every_remote_worker_knows_the_worker_count(ray_session):
    """Each remote worker's env context says how many remote workers there are (RLlib 1.x's
    ``num_workers``), the first one too (it was told 1 while the others were still being made)."""
    from rlcore.policy.random_policy import RandomPolicy

    ws = WorkerSet(env_creator=lambda ctx: gym.make("CartPole-v1"), policy_class=RandomPolicy,
                   trainer_config={"rollout_fragment_length": 5, "num_cpus_per_worker": 0}, num_workers=2)
    try:
        counts = ws.foreach_worker(lambda w: (w.worker_index, w.env_context.num_workers))
    finally:
        ws.stop()
    assert counts == [(0, 2), (1, 2), (2, 2)]

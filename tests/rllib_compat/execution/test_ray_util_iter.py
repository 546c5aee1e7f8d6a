"""RLlib 1.x plans that build iterators with ray.util.iter and hand them to rllib_compat's operators.

Every program here imports only what a 1.x user imported: ``ray.util.iter`` (unchanged) and the
1.x execution paths with ``ray.rllib`` renamed to ``rllib_compat``.
"""

import queue

import gymnasium as gym
import pytest

import rllib_compat  # noqa: F401  (as a 1.x program's first ``import ray.rllib``)
from rllib_compat.evaluation.worker_set import WorkerSet
from rllib_compat.execution.common import STEPS_SAMPLED_COUNTER, STEPS_TRAINED_COUNTER
from rllib_compat.execution.concurrency_ops import Concurrently, Dequeue, Enqueue
from rllib_compat.execution.metric_ops import StandardMetricsReporting
from rllib_compat.execution.rollout_ops import ConcatBatches
from rllib_compat.execution.train_ops import TrainOneStep
from rllib_compat.examples.policy.random_policy import RandomPolicy
from rllib_compat.policy.sample_batch import SampleBatch


def iter_list(values):
    """RLlib 1.x's test helper: a ray.util.iter LocalIterator over a list."""
    from ray.util.iter import LocalIterator
    from ray.util.iter_metrics import SharedMetrics

    return LocalIterator(lambda _: values, SharedMetrics())


def make_workers(n):
    return WorkerSet(env_creator=lambda ctx: gym.make("CartPole-v1"), policy_class=RandomPolicy,
                     trainer_config={"rollout_fragment_length": 25}, num_workers=n)


def test_concurrently_takes_ray_util_iter_iterators():
    assert Concurrently([iter_list([1, 2, 3]), iter_list([4, 5, 6])], mode="round_robin").take(6) == [1, 4, 2, 5, 3, 6]
    weighted = Concurrently([iter_list([1, 1, 1]), iter_list([2, 2, 2]), iter_list([3, 3, 3])],
                            mode="round_robin", round_robin_weights=[1, 1, "*"])
    assert weighted.take(9) == [1, 2, 3, 3, 3, 1, 2, 1, 2]
    assert Concurrently([iter_list([1, 2, 3]), iter_list([4, 5, 6])], output_indexes=[1]).take(6) == [4, 5, 6]


def test_concurrently_names_a_bad_op():
    with pytest.raises(TypeError, match=r"Concurrently ops\[1\]=\[4\]: expected a LocalIterator"):
        Concurrently([iter_list([1]), [4]])


def test_enqueue_dequeue_around_a_ray_util_iter_source():
    q = queue.Queue(100)
    assert Concurrently([iter_list([1, 2, 3]), iter_list([])]).for_each(Enqueue(q)).take(3) == [1, 2, 3]
    assert [q.get_nowait() for _ in range(3)] == [1, 2, 3]
    q.put("a")
    assert Dequeue(q).take(1) == ["a"]


def test_train_one_step_inside_a_ray_util_iter_pipeline_counts_in_its_metrics():
    """1.x's test_train_one_step shape: an rlcore operator in a Ray for_each, driven by Ray alone."""
    workers = make_workers(0)
    try:
        batch = workers.local_worker().sample()
        a = iter_list([batch, batch])
        b = a.for_each(TrainOneStep(workers))
        out, stats = next(b)
        counters = a.shared_metrics.get().counters
        assert isinstance(out, SampleBatch) and stats == {"default_policy": {"learner_stats": {}}}
        assert counters[STEPS_TRAINED_COUNTER] == batch.count == 25
        assert "learn" in a.shared_metrics.get().timers
    finally:
        workers.stop()


def test_standard_metrics_reporting_takes_a_ray_util_iter_training_stream():
    workers = make_workers(0)
    try:
        batches = [workers.local_worker().sample() for _ in range(4)]
        train_op = iter_list(batches).combine(ConcatBatches(min_batch_size=50)).for_each(TrainOneStep(workers))
        result = next(StandardMetricsReporting(train_op, workers, {"timesteps_per_iteration": 0}))
        assert result["info"][STEPS_TRAINED_COUNTER] == 50
        assert result["info"]["learner"] == {"default_policy": {}}
    finally:
        workers.stop()


@pytest.mark.ray
def test_plan_over_rollout_worker_actors_built_with_ray_util_iter(ray_mod):
    """from_actors over rlcore's RolloutWorker actors and from_range over Ray's own, merged by
    Concurrently and reported by StandardMetricsReporting, with 1.x's get_metrics() in a stage."""
    from ray.util.iter import LocalIterator, from_actors, from_range

    def report_steps(batch):
        LocalIterator.get_metrics().counters[STEPS_SAMPLED_COUNTER] += batch.count
        return batch

    def tick(_):
        LocalIterator.get_metrics().counters["ticks"] += 1
        return None

    workers = make_workers(1)
    try:
        rollouts = from_actors(workers.remote_workers()).gather_async().for_each(report_steps)
        train_op = rollouts.combine(ConcatBatches(min_batch_size=50)).for_each(TrainOneStep(workers))
        side = from_range(4, num_shards=1, repeat=True).gather_sync().for_each(tick)
        plan = StandardMetricsReporting(Concurrently([train_op, side], mode="round_robin", output_indexes=[0]),
                                        workers, {"timesteps_per_iteration": 100})
        result = next(plan)
        counters = plan.shared_metrics.get().counters
        assert result["timesteps_total"] >= 100 and result["info"][STEPS_TRAINED_COUNTER] >= 100
        assert counters["ticks"] >= 1 and counters[STEPS_SAMPLED_COUNTER] == result["timesteps_total"]
        assert result["info"]["learner"] == {"default_policy": {}}
    finally:
        workers.stop()

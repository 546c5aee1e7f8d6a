"""Execution operators: the building blocks of execution plans (RLlib Flow's ``rllib.execution``).

An execution plan ``execution_plan(workers, config) -> LocalIterator[result dict]`` chains these
over the dataflow DSL (:mod:`rlcore.dataflow`). A2C in full::

    rollouts = parallel_rollouts(workers, mode="bulk_sync")
    train_op = (rollouts
                .combine(ConcatBatches(min_batch_size=config["train_batch_size"]))
                .for_each(TrainOneStep(workers)))
    return standard_metrics_reporting(train_op, workers, config)

One family per module: :mod:`~rlcore.ops.rollout` (experience in), :mod:`~rlcore.ops.train`
(learning, gradients, weight sync), :mod:`~rlcore.ops.sgd` (minibatch SGD),
:mod:`~rlcore.ops.concurrency` (merging sub-plans, queues), :mod:`~rlcore.ops.replay` and
:mod:`~rlcore.ops.mix_in_replay` (replay), :mod:`~rlcore.ops.metrics` (iterations and result
dicts), :mod:`~rlcore.ops.common` (counter, timer and info names); for the asynchronous plans
(IMPALA, APPO) :mod:`~rlcore.ops.learner_thread`, :mod:`~rlcore.ops.multi_gpu_learner_thread`,
:mod:`~rlcore.ops.minibatch_buffer` and :mod:`~rlcore.ops.tree_agg`. Stream creators are
snake_case functions; per-item operators are CamelCase classes. Importing this package imports
neither Ray nor an ML framework.

Examples:
    >>> import rlcore.ops as ops
    >>> ops.STEPS_SAMPLED_COUNTER, ops.LEARNER_INFO
    ('num_steps_sampled', 'learner')
"""

from rlcore.ops.common import (
    AGENT_STEPS_SAMPLED_COUNTER,
    AGENT_STEPS_TRAINED_COUNTER,
    APPLY_GRADS_TIMER,
    COMPUTE_GRADS_TIMER,
    GRAD_WAIT_TIMER,
    LAST_TARGET_UPDATE_TS,
    LEARN_ON_BATCH_TIMER,
    LEARNER_INFO,
    LOAD_BATCH_TIMER,
    NUM_TARGET_UPDATES,
    NUM_WEIGHT_BROADCASTS,
    SAMPLE_TIMER,
    STEPS_SAMPLED_COUNTER,
    STEPS_TRAINED_COUNTER,
    STEPS_TRAINED_THIS_ITER_COUNTER,
    WORKER_UPDATE_TIMER,
)
from rlcore.ops.concurrency import Enqueue, concurrently, dequeue
from rlcore.ops.learner_thread import LearnerThread, LearnerThreadError
from rlcore.ops.metrics import CollectMetrics, OncePerTimeInterval, OncePerTimestepsElapsed, standard_metrics_reporting
from rlcore.ops.minibatch_buffer import MinibatchBuffer
from rlcore.ops.mix_in_replay import MixInReplay, SimpleReplayBuffer
from rlcore.ops.multi_gpu_learner_thread import MultiGPULearnerThread
from rlcore.ops.replay import ReplayActor, StoreToReplayBuffer, WaitUntilTimestepsElapsed, replay
from rlcore.ops.rollout import ConcatBatches, SelectExperiences, StandardizeFields, async_gradients, parallel_rollouts
from rlcore.ops.sgd import averaged, do_minibatch_sgd, minibatches, standardized
from rlcore.ops.train import AverageGradients, ApplyGradients, ComputeGradients, TrainOneStep, UpdateTargetNetwork
from rlcore.ops.tree_agg import AggregatorWorker, gather_experiences_tree_aggregation

__all__ = [
    # rollout
    "parallel_rollouts",
    "async_gradients",
    "ConcatBatches",
    "SelectExperiences",
    "StandardizeFields",
    # train
    "TrainOneStep",
    "ComputeGradients",
    "ApplyGradients",
    "AverageGradients",
    "UpdateTargetNetwork",
    "do_minibatch_sgd",
    "minibatches",
    "averaged",
    "standardized",
    # concurrency
    "concurrently",
    "Enqueue",
    "dequeue",
    # learner threads
    "LearnerThread",
    "LearnerThreadError",
    "MultiGPULearnerThread",
    "MinibatchBuffer",
    "AggregatorWorker",
    "gather_experiences_tree_aggregation",
    # replay
    "StoreToReplayBuffer",
    "replay",
    "ReplayActor",
    "WaitUntilTimestepsElapsed",
    "SimpleReplayBuffer",
    "MixInReplay",
    # reporting
    "standard_metrics_reporting",
    "CollectMetrics",
    "OncePerTimeInterval",
    "OncePerTimestepsElapsed",
    # names
    "STEPS_SAMPLED_COUNTER",
    "AGENT_STEPS_SAMPLED_COUNTER",
    "STEPS_TRAINED_COUNTER",
    "STEPS_TRAINED_THIS_ITER_COUNTER",
    "AGENT_STEPS_TRAINED_COUNTER",
    "LAST_TARGET_UPDATE_TS",
    "NUM_TARGET_UPDATES",
    "NUM_WEIGHT_BROADCASTS",
    "APPLY_GRADS_TIMER",
    "COMPUTE_GRADS_TIMER",
    "WORKER_UPDATE_TIMER",
    "GRAD_WAIT_TIMER",
    "SAMPLE_TIMER",
    "LEARN_ON_BATCH_TIMER",
    "LOAD_BATCH_TIMER",
    "LEARNER_INFO",
]

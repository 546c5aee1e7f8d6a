"""RLlib 1.x execution import paths resolve to the very rlcore.ops objects."""

import importlib

import pytest

from rlcore import ops
from rlcore.ops import common

PATHS = [
    ("rollout_ops", "ParallelRollouts", ops.parallel_rollouts),
    ("rollout_ops", "AsyncGradients", ops.async_gradients),
    ("rollout_ops", "ConcatBatches", ops.ConcatBatches),
    ("rollout_ops", "SelectExperiences", ops.SelectExperiences),
    ("rollout_ops", "StandardizeFields", ops.StandardizeFields),
    ("train_ops", "TrainOneStep", ops.TrainOneStep),
    ("train_ops", "ComputeGradients", ops.ComputeGradients),
    ("train_ops", "ApplyGradients", ops.ApplyGradients),
    ("train_ops", "AverageGradients", ops.AverageGradients),
    ("train_ops", "UpdateTargetNetwork", ops.UpdateTargetNetwork),
    ("concurrency_ops", "Concurrently", ops.concurrently),
    ("concurrency_ops", "Enqueue", ops.Enqueue),
    ("concurrency_ops", "Dequeue", ops.dequeue),
    ("replay_ops", "StoreToReplayBuffer", ops.StoreToReplayBuffer),
    ("replay_ops", "Replay", ops.replay),
    ("replay_ops", "WaitUntilTimestepsElapsed", ops.WaitUntilTimestepsElapsed),
    ("replay_ops", "SimpleReplayBuffer", ops.SimpleReplayBuffer),
    ("replay_ops", "MixInReplay", ops.MixInReplay),
    ("metric_ops", "StandardMetricsReporting", ops.standard_metrics_reporting),
    ("metric_ops", "CollectMetrics", ops.CollectMetrics),
    ("metric_ops", "OncePerTimeInterval", ops.OncePerTimeInterval),
    ("metric_ops", "OncePerTimestepsElapsed", ops.OncePerTimestepsElapsed),
    ("common", "_get_shared_metrics", common._get_shared_metrics),
    ("common", "_get_global_vars", common._get_global_vars),
    ("common", "_check_sample_batch_type", common._check_sample_batch_type),
]

NAMES = {
    "STEPS_SAMPLED_COUNTER": "num_steps_sampled",
    "AGENT_STEPS_SAMPLED_COUNTER": "num_agent_steps_sampled",
    "STEPS_TRAINED_COUNTER": "num_steps_trained",
    "STEPS_TRAINED_THIS_ITER_COUNTER": "num_steps_trained_this_iter",
    "AGENT_STEPS_TRAINED_COUNTER": "num_agent_steps_trained",
    "LAST_TARGET_UPDATE_TS": "last_target_update_ts",
    "NUM_TARGET_UPDATES": "num_target_updates",
    "APPLY_GRADS_TIMER": "apply_grad",
    "COMPUTE_GRADS_TIMER": "compute_grads",
    "WORKER_UPDATE_TIMER": "update",
    "GRAD_WAIT_TIMER": "grad_wait",
    "SAMPLE_TIMER": "sample",
    "LEARN_ON_BATCH_TIMER": "learn",
    "LOAD_BATCH_TIMER": "load",
    "LEARNER_INFO": "learner",
}


@pytest.mark.parametrize("module,name,obj", PATHS, ids=[f"{m}.{n}" for m, n, _ in PATHS])
def test_old_path_is_the_same_object(module, name, obj):
    """The rlcore object itself, or (Concurrently, StandardMetricsReporting) a wrapper of it that
    also takes ray.util.iter iterators (tests/rllib_compat/execution/test_ray_util_iter.py)."""
    compat = getattr(importlib.import_module(f"rllib_compat.execution.{module}"), name)
    assert getattr(compat, "__wrapped__", compat) is obj


@pytest.mark.parametrize("name,value", sorted(NAMES.items()))
def test_common_names_have_rllib_values(name, value):
    compat = importlib.import_module("rllib_compat.execution.common")
    assert getattr(compat, name) == value == getattr(common, name)


def test_rllib_style_plan_runs_with_old_names():
    """An RLlib 1.x-style plan, written against the old module names only, runs in process."""
    import gymnasium as gym
    import numpy as np

    from rlcore.policy.policy import Policy
    from rlcore.sampling import WorkerSet
    from rllib_compat.execution.metric_ops import StandardMetricsReporting
    from rllib_compat.execution.rollout_ops import ConcatBatches, ParallelRollouts
    from rllib_compat.execution.train_ops import TrainOneStep

    class Counting(Policy):
        def compute_actions(self, obs_batch, state_batches=None, **kw):
            return np.zeros(len(obs_batch), np.int64), [], {}

        def learn_on_batch(self, samples):
            return {"learner_stats": {"rows": samples.count}}

        def get_weights(self):
            return {}

        def set_weights(self, weights):
            pass

    workers = WorkerSet(env_creator=lambda ctx: gym.make("CartPole-v1"), policy_class=Counting,
                        trainer_config={"rollout_fragment_length": 25}, num_workers=0)
    rollouts = ParallelRollouts(workers, mode="bulk_sync")
    train_op = rollouts.combine(ConcatBatches(min_batch_size=50)).for_each(TrainOneStep(workers))
    result = next(StandardMetricsReporting(train_op, workers, {"timesteps_per_iteration": 100}))
    assert result["timesteps_total"] == 100 and result["info"]["num_steps_trained"] == 100
    assert result["info"]["learner"] == {"default_policy": {"rows": 50}}
    workers.stop()

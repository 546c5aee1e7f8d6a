"""A trainer of one's own: ``build_trainer`` with custom policies and a custom execution plan.

Written the way an RLlib 1.x user wrote a new algorithm (1.2-1.4): REINFORCE with discounted
returns, one loss function built into a TensorFlow policy (``build_tf_policy``) and a torch
policy (``build_torch_policy``), a trainer from ``build_trainer`` whose default config extends
``with_common_config``, and an execution plan built from ``rllib.execution`` operators with a
step of its own that reports plan metrics (a counter, a timer and an info value) through the
shared metrics context. Tune runs the trainer class. Only the imports differ from 1.x
(``ray.rllib`` is ``rllib_compat``).

Run it as 1.x examples ran::

    python tests/rllib_compat/programs/build_trainer_plan.py --framework torch
"""

import argparse
import os
import tempfile

import numpy as np

import ray
from ray import tune
from rllib_compat.agents.trainer import with_common_config
from rllib_compat.agents.trainer_template import build_trainer
from rllib_compat.evaluation.postprocessing import discount_cumsum
from rllib_compat.execution.common import _get_shared_metrics
from rllib_compat.execution.metric_ops import StandardMetricsReporting
from rllib_compat.execution.rollout_ops import ConcatBatches, ParallelRollouts, StandardizeFields
from rllib_compat.execution.train_ops import TrainOneStep
from rllib_compat.policy.sample_batch import SampleBatch
from rllib_compat.policy.tf_policy_template import build_tf_policy
from rllib_compat.policy.torch_policy_template import build_torch_policy
from rllib_compat.utils.framework import try_import_tf, try_import_torch

tf1, tf, tfv = try_import_tf()
torch, nn = try_import_torch()

RETURNS = "returns"

DEFAULT_CONFIG = with_common_config({
    # Standardize the returns of each train batch before the update.
    "standardize_returns": True,
    "batch_mode": "complete_episodes",
    "train_batch_size": 400,
    "rollout_fragment_length": 200,
    "lr": 0.01,
})


def add_returns(policy, sample_batch, other_agent_batches=None, episode=None):
    """The discounted return from every step to the end of the episode."""
    sample_batch[RETURNS] = discount_cumsum(sample_batch[SampleBatch.REWARDS], policy.config["gamma"])
    return sample_batch


def reinforce_loss(policy, model, dist_class, train_batch):
    """-E[log pi(a|s) * return], written once for both frameworks."""
    mean = torch.mean if policy.framework == "torch" else tf.reduce_mean
    logits, _ = model.from_batch(train_batch)
    action_dist = dist_class(logits, model)
    logp = action_dist.logp(train_batch[SampleBatch.ACTIONS])
    policy.mean_return = mean(train_batch[RETURNS])
    return -mean(logp * train_batch[RETURNS])


def reinforce_stats(policy, train_batch):
    return {"mean_return": policy.mean_return}


ReinforceTFPolicy = build_tf_policy(
    name="ReinforceTFPolicy",
    get_default_config=lambda: DEFAULT_CONFIG,
    loss_fn=reinforce_loss,
    stats_fn=reinforce_stats,
    postprocess_fn=add_returns)

ReinforceTorchPolicy = build_torch_policy(
    name="ReinforceTorchPolicy",
    get_default_config=lambda: DEFAULT_CONFIG,
    loss_fn=reinforce_loss,
    stats_fn=reinforce_stats,
    postprocess_fn=add_returns)


class CountEpisodes:
    """A plan step: counts the episodes that end in each sampled batch and times itself."""

    def __call__(self, batch):
        metrics = _get_shared_metrics()
        with metrics.timers["count_episodes"]:
            ended = int(np.sum(batch[SampleBatch.DONES]))
        metrics.counters["episodes_seen_by_plan"] += ended
        metrics.info["last_sampled_batch_size"] = batch.count
        return batch


def execution_plan(workers, config):
    rollouts = ParallelRollouts(workers, mode="bulk_sync")
    train_op = (rollouts
                .for_each(CountEpisodes())
                .combine(ConcatBatches(min_batch_size=config["train_batch_size"])))
    if config["standardize_returns"]:
        train_op = train_op.for_each(StandardizeFields([RETURNS]))
    train_op = train_op.for_each(TrainOneStep(workers))
    return StandardMetricsReporting(train_op, workers, config)


def validate_config(config):
    if config["batch_mode"] != "complete_episodes":
        raise ValueError("ReinforceTrainer needs batch_mode='complete_episodes' (returns run to the episode end)")


def get_policy_class(config):
    if config["framework"] == "torch":
        return ReinforceTorchPolicy
    return None  # the default: ReinforceTFPolicy


ReinforceTrainer = build_trainer(
    name="ReinforceTrainer",
    default_config=DEFAULT_CONFIG,
    default_policy=ReinforceTFPolicy,
    get_policy_class=get_policy_class,
    validate_config=validate_config,
    execution_plan=execution_plan)


def main(framework, tmp_dir, stop_iters=2):
    """Trains ReinforceTrainer on CartPole under Tune with one rollout worker; returns Tune's analysis."""
    config = {
        "env": "CartPole-v0",
        "framework": framework,
        "num_workers": 1,
        "seed": 3,
        "model": {"fcnet_hiddens": [32]},
    }
    return tune.run(ReinforceTrainer, config=config, stop={"training_iteration": stop_iters},
                    storage_path=tmp_dir, verbose=0)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--framework", choices=["tf", "tf2", "tfe", "torch"], default="tf")
    parser.add_argument("--stop-iters", type=int, default=20)
    parser.add_argument("--local-dir", default=os.path.join(tempfile.gettempdir(), "reinforce_trainer"))
    args = parser.parse_args()

    ray.init()
    results = main(args.framework, args.local_dir, args.stop_iters)
    print("episode_reward_mean:", results.trials[0].last_result["episode_reward_mean"])
    ray.shutdown()

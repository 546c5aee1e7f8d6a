"""PPO: defaults, config checks, the execution plan and the trainer (RLlib 1.x ``agents/ppo/ppo.py``).

The plan, top to bottom::

    parallel_rollouts(bulk_sync) -> SelectExperiences(trainable policies)
    -> ConcatBatches(train_batch_size) -> StandardizeFields(["advantages"])
    -> TrainOneStep(num_sgd_iter, sgd_minibatch_size)      # shuffled minibatch SGD epochs
    -> UpdateKL                                             # adapt each policy's KL coefficient
    -> standard_metrics_reporting -> warn_about_bad_reward_scales

``simple_optimizer`` is accepted and ignored: every framework trains through ``TrainOneStep``
(rlcore has no multi-GPU tower optimizer). A top-level ``vf_share_layers`` (deprecated in RLlib
1.2) is moved into ``model``.

Examples:
    >>> DEFAULT_CONFIG["lr"], DEFAULT_CONFIG["num_sgd_iter"], DEFAULT_CONFIG["sgd_minibatch_size"]
    (5e-05, 30, 128)
    >>> validate_config(dict(DEFAULT_CONFIG, sgd_minibatch_size=8000))
    Traceback (most recent call last):
    ...
    ValueError: sgd_minibatch_size=8000: expected a value <= train_batch_size (4000)
"""

from __future__ import annotations

import logging
from typing import Any, Dict

from rlcore.algorithms.ppo.defaults import DEFAULT_CONFIG
from rlcore.algorithms.ppo.ppo_tf_policy import PPOTFPolicy
from rlcore.algorithms.ppo.ppo_torch_policy import PPOTorchPolicy
from rlcore.data.sample_batch import DEFAULT_POLICY_ID
from rlcore.trainer import build_trainer

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_CONFIG", "PPOTrainer", "UpdateKL", "execution_plan", "get_policy_class", "validate_config",
           "warn_about_bad_reward_scales"]


def validate_config(config: Dict[str, Any]) -> None:
    """Checks PPO's keys (RLlib 1.x rules) and moves a top-level ``vf_share_layers`` into ``model``."""
    if config["entropy_coeff"] < 0:
        raise ValueError(f"entropy_coeff={config['entropy_coeff']!r}: expected a value >= 0.0")
    if isinstance(config["entropy_coeff"], int):
        config["entropy_coeff"] = float(config["entropy_coeff"])
    if config["sgd_minibatch_size"] > config["train_batch_size"]:
        raise ValueError(f"sgd_minibatch_size={config['sgd_minibatch_size']!r}: expected a value <= "
                         f"train_batch_size ({config['train_batch_size']})")
    if config["num_sgd_iter"] < 1:
        raise ValueError(f"num_sgd_iter={config['num_sgd_iter']!r}: expected an int >= 1")
    if config["batch_mode"] == "truncate_episodes" and not config["use_gae"]:
        raise ValueError("batch_mode='truncate_episodes' needs use_gae=True: episode truncation is not supported "
                         "without a value function to estimate the return after the cut; set "
                         "batch_mode='complete_episodes'")
    if config["use_gae"] and not config["use_critic"]:
        raise ValueError("use_gae=True needs use_critic=True (GAE needs a value function)")
    if config.get("vf_share_layers") is not None:
        logger.warning("config['vf_share_layers'] is deprecated: use config['model']['vf_share_layers']")
        config["model"] = dict(config["model"], vf_share_layers=bool(config["vf_share_layers"]))
        config["vf_share_layers"] = None


def get_policy_class(config: Dict[str, Any]) -> Any:
    """``PPOTorchPolicy`` for ``framework="torch"``, else ``PPOTFPolicy``."""
    return PPOTorchPolicy if config.get("framework") == "torch" else PPOTFPolicy


class UpdateKL:
    """Adapts each trained policy's KL coefficient to the KL it measured (``.for_each()`` after training).

    Takes ``TrainOneStep``'s ``(batch, info)``, or RLlib's ``info`` alone (``{policy_id:
    {"learner_stats": {"kl": ...}}}``, as after ``.for_each(lambda t: t[1])``), and returns its
    input unchanged.

    Args:
        workers: The ``WorkerSet``; the local worker's policies are updated (the coefficient is
            only used by the learner).
    """

    def __init__(self, workers: Any):
        self.workers = workers

    def __call__(self, item: Any) -> Any:
        fetches = item[1] if isinstance(item, tuple) and len(item) == 2 else item
        if not isinstance(fetches, dict):
            raise ValueError(f"UpdateKL: expected (batch, info) or an info dict, got {type(item).__name__}")

        def update(policy: Any, pid: str) -> None:
            if pid not in fetches:
                logger.warning("UpdateKL: no learner info for policy %r, its KL coefficient is not updated", pid)
                return
            stats = fetches[pid].get("learner_stats", fetches[pid])
            if "kl" not in stats:
                raise ValueError(f"UpdateKL: the learner stats of policy {pid!r} have no 'kl' (keys: {sorted(stats)})")
            policy.update_kl(stats["kl"])

        self.workers.local_worker().foreach_trainable_policy(update)
        return item


class _BadRewardScaleWarning:
    """Warns once if the value loss or the reward scale looks badly configured (RLlib's checks)."""

    def __init__(self, config: Dict[str, Any]):
        self.config = config
        self.warned = set()

    def __call__(self, result: Dict[str, Any]) -> Dict[str, Any]:
        return warn_about_bad_reward_scales(self.config, result, self.warned)


def warn_about_bad_reward_scales(config: Dict[str, Any], result: Dict[str, Any], _warned: Any = None) -> Dict[str, Any]:
    """Logs a warning when the scaled value loss or ``|reward| / vf_clip_param`` is very large.

    Returns ``result`` unchanged. Multi-agent results are not checked (as in RLlib).

    Examples:
        >>> warn_about_bad_reward_scales({"vf_clip_param": 10.0}, {"episode_reward_mean": 5.0})["episode_reward_mean"]
        5.0
    """
    warned = set() if _warned is None else _warned
    if result.get("policy_reward_mean"):
        return result
    learner = ((result.get("info") or {}).get("learner") or {}).get(DEFAULT_POLICY_ID) or {}
    learner = learner.get("learner_stats", learner)
    if "vf_loss" in learner and (config.get("model") or {}).get("vf_share_layers"):
        scaled_vf_loss = config.get("vf_loss_coeff", 1.0) * learner["vf_loss"]
        if scaled_vf_loss > 100 and "vf_loss" not in warned:
            warned.add("vf_loss")
            logger.warning("The magnitude of your value function loss is extremely large (%s) compared to the policy "
                           "loss (%s). This can prevent the policy from learning. Consider scaling down the VF loss by "
                           "reducing vf_loss_coeff, or disabling vf_share_layers.", scaled_vf_loss,
                           learner.get("policy_loss"))
    reward = result.get("episode_reward_mean")
    if reward is not None and reward == reward and "reward_scale" not in warned:
        clip = config.get("vf_clip_param", 10.0)
        rew_scale = float("inf") if clip <= 0 else round(abs(reward) / clip, 0)
        if rew_scale > 200:
            warned.add("reward_scale")
            logger.warning("The mean reward returned from the environment is %s but the vf_clip_param is set to %s. "
                           "Consider increasing it for policy: %s to improve value function convergence.",
                           reward, clip, DEFAULT_POLICY_ID)
    return result


def execution_plan(workers: Any, config: Dict[str, Any]) -> Any:
    """PPO's plan (see the module docstring)."""
    from rlcore.ops.metrics import standard_metrics_reporting
    from rlcore.ops.rollout import ConcatBatches, SelectExperiences, StandardizeFields, parallel_rollouts
    from rlcore.ops.train import TrainOneStep

    trainable = workers.trainable_policies()
    rollouts = parallel_rollouts(workers, mode="bulk_sync")
    train_op = (rollouts
                .for_each(SelectExperiences(trainable))
                .combine(ConcatBatches(min_batch_size=config["train_batch_size"],
                                       count_steps_by=config["multiagent"]["count_steps_by"]))
                .for_each(StandardizeFields(["advantages"]))
                .for_each(TrainOneStep(workers, num_sgd_iter=config["num_sgd_iter"],
                                       sgd_minibatch_size=config["sgd_minibatch_size"]))
                .for_each(UpdateKL(workers)))
    return (standard_metrics_reporting(train_op, workers, config)
            .for_each(_BadRewardScaleWarning(config)))


PPOTrainer = build_trainer(
    name="PPO",
    default_config=DEFAULT_CONFIG,
    default_policy=PPOTFPolicy,
    get_policy_class=get_policy_class,
    validate_config=validate_config,
    execution_plan=execution_plan,
)

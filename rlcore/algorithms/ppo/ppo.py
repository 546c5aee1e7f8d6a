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

from rlcore.algorithms.ppo.ppo_tf_policy import PPOTFPolicy
from rlcore.algorithms.ppo.ppo_torch_policy import PPOTorchPolicy
from rlcore.data.sample_batch import DEFAULT_POLICY_ID
from rlcore.trainer import build_trainer
from rlcore.trainer_config import with_common_config

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_CONFIG", "PPOTrainer", "UpdateKL", "execution_plan", "get_policy_class", "validate_config",
           "warn_about_bad_reward_scales"]

# fmt: off
#: PPO's defaults over ``COMMON_CONFIG`` (RLlib 1.x values).
DEFAULT_CONFIG: Dict[str, Any] = with_common_config({
    # Should use a critic as a baseline (otherwise don't use value baseline; required for using GAE).
    "use_critic": True,
    # If true, use the Generalized Advantage Estimator (GAE) with a value function. As in RLlib 1.x,
    # it also switches the value-function loss (and its clipping) on: with use_gae=False the critic
    # (use_critic) only gives the baseline and is not trained.
    "use_gae": True,
    # The GAE (lambda) parameter.
    "lambda": 1.0,
    # Initial coefficient for KL divergence.
    "kl_coeff": 0.2,
    # Size of batches collected from each worker.
    "rollout_fragment_length": 200,
    # Number of timesteps collected for each SGD round. This defines the size of each SGD epoch.
    "train_batch_size": 4000,
    # Total SGD batch size across all devices for SGD. This defines the minibatch size within each epoch.
    "sgd_minibatch_size": 128,
    # Whether to shuffle sequences in the batch when training (recommended).
    "shuffle_sequences": True,
    # Number of SGD iterations in each outer loop (i.e., number of epochs to execute per train batch).
    "num_sgd_iter": 30,
    # Stepsize of SGD.
    "lr": 5e-5,
    # Learning rate schedule.
    "lr_schedule": None,
    # Coefficient of the value function loss. IMPORTANT: you must tune this if you set
    # vf_share_layers=True inside your model's config.
    "vf_loss_coeff": 1.0,
    "model": {
        # Share layers for value function. If you set this to True, it's important to tune
        # vf_loss_coeff.
        "vf_share_layers": False,
    },
    # Coefficient of the entropy regularizer.
    "entropy_coeff": 0.0,
    # Decay schedule for the entropy regularizer.
    "entropy_coeff_schedule": None,
    # PPO clip parameter.
    "clip_param": 0.3,
    # Clip param for the value function. Note that this is sensitive to the scale of the rewards.
    # If your expected V is large, increase this.
    "vf_clip_param": 10.0,
    # If specified, clip the global norm of gradients by this amount.
    "grad_clip": None,
    # Target value for KL divergence.
    "kl_target": 0.01,
    # Whether to rollout "complete_episodes" or "truncate_episodes".
    "batch_mode": "truncate_episodes",
    # Which observation filter to apply to the observation.
    "observation_filter": "NoFilter",
    # Accepted for compatibility; rlcore always trains through TrainOneStep.
    "simple_optimizer": False,
    "_fake_gpus": False,
    # Deprecated in RLlib 1.2: use model.vf_share_layers. A bool here is moved into the model config.
    "vf_share_layers": None,
})
# fmt: on


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

"""APPO: defaults, config checks, the execution plan and the trainer (RLlib 1.x ``agents/ppo/appo.py``).

APPO is IMPALA's data flow with PPO's clipped surrogate loss, an optional KL loss and a target
network. As in RLlib 1.0-1.5, ``vtrace`` is False by default (GAE advantages); RLlib 1.6+ turned it on.
The plan is IMPALA's (:func:`rlcore.algorithms.impala.impala.execution_plan`) with
:class:`UpdateTargetAndKL` after each learner step::

    ... dequeue(learner.outqueue) -> record_steps_trained -> learner stats
    -> UpdateTargetAndKL   # update_target() every num_sgd_iter * minibatch_buffer_size learner steps,
                           # then update_kl(kl) when use_kl_loss
    -> standard_metrics_reporting -> learner.add_learner_metrics

The target network is also synced once after the trainer is built.

Examples:
    >>> DEFAULT_CONFIG["vtrace"], DEFAULT_CONFIG["clip_param"], DEFAULT_CONFIG["replay_buffer_num_slots"]
    (False, 0.4, 100)
    >>> validate_config(dict(DEFAULT_CONFIG, kl_target=0.0))
    Traceback (most recent call last):
    ...
    ValueError: kl_target=0.0: expected a number > 0.0
"""

from __future__ import annotations

from typing import Any, Dict

from rlcore.algorithms.appo.defaults import DEFAULT_CONFIG
from rlcore.algorithms.impala import impala
from rlcore.algorithms.impala.impala import _check_number
from rlcore.algorithms.ppo.ppo import UpdateKL
from rlcore.ops.common import LAST_TARGET_UPDATE_TS, NUM_TARGET_UPDATES, STEPS_SAMPLED_COUNTER, _get_shared_metrics
from rlcore.trainer import build_trainer

__all__ = ["DEFAULT_CONFIG", "APPOTrainer", "UpdateTargetAndKL", "execution_plan", "get_policy_class",
           "initialize_target", "validate_config"]


def validate_config(config: Dict[str, Any]) -> None:
    """Checks APPO's keys: IMPALA's rules plus the PPO loss options.

    Raises:
        ValueError: Naming the key, its value and what was expected.
    """
    impala.validate_config(config)
    _check_number(config, "clip_param", minimum=0.0, strict=True)
    _check_number(config, "kl_coeff", minimum=0.0)
    _check_number(config, "kl_target", minimum=0.0, strict=True)
    if not isinstance(config["use_kl_loss"], bool):
        raise ValueError(f"use_kl_loss={config['use_kl_loss']!r}: expected a bool")
    if not config["vtrace"]:
        if config["use_gae"] and not config["use_critic"]:
            raise ValueError("use_gae=True needs use_critic=True (GAE needs a value function)")
        if config["batch_mode"] == "truncate_episodes" and not config["use_gae"]:
            raise ValueError("batch_mode='truncate_episodes' with vtrace=False needs use_gae=True: without a value "
                             "function the return after the cut cannot be estimated; set "
                             "batch_mode='complete_episodes'")


def get_policy_class(config: Dict[str, Any]) -> Any:
    """``AsyncPPOTorchPolicy`` for ``framework="torch"``, else ``AsyncPPOTFPolicy`` (imported on use)."""
    if config.get("framework") == "torch":
        from rlcore.algorithms.appo.appo_torch_policy import AsyncPPOTorchPolicy

        return AsyncPPOTorchPolicy
    from rlcore.algorithms.appo.appo_tf_policy import AsyncPPOTFPolicy

    return AsyncPPOTFPolicy


class UpdateTargetAndKL:
    """After each learner step: the target networks every ``num_sgd_iter * minibatch_buffer_size`` steps,
    then (``use_kl_loss``) each policy's KL coefficient from the ``kl`` of its learner stats.

    Use as IMPALA's ``after_train_step``: ``UpdateTargetAndKL(workers, config)`` is applied to the
    learner stats ``{policy_id: learner_stats}`` of each step. Counts ``num_target_updates`` and
    records ``last_target_update_ts`` (``num_steps_sampled`` at the update). RLlib 1.x compared
    that interval with sampled *timesteps* (so with any sampling it updated after nearly every
    step); here it counts learner steps, so with ``num_sgd_iter > 1`` the target stays fixed over
    the passes on a batch.

    Args:
        workers: The ``WorkerSet`` (the local worker's trainable policies are updated).
        config: Reads ``num_sgd_iter``, ``minibatch_buffer_size`` and ``use_kl_loss``.
    """

    def __init__(self, workers: Any, config: Dict[str, Any]):
        self.workers = workers
        self.use_kl_loss = bool(config["use_kl_loss"])
        self.update_kl = UpdateKL(workers)
        self.target_update_freq = config["num_sgd_iter"] * config["minibatch_buffer_size"]
        self.steps_since_update = 0

    def __call__(self, fetches: Dict[str, Any]) -> Dict[str, Any]:
        self.steps_since_update += 1
        if self.steps_since_update >= self.target_update_freq:
            self.steps_since_update = 0
            metrics = _get_shared_metrics()
            metrics.counters[NUM_TARGET_UPDATES] += 1
            metrics.counters[LAST_TARGET_UPDATE_TS] = metrics.counters[STEPS_SAMPLED_COUNTER]
            self.workers.local_worker().foreach_trainable_policy(lambda p, _: p.update_target())
            if self.use_kl_loss:
                self.update_kl(fetches)
        return fetches


def execution_plan(workers: Any, config: Dict[str, Any]) -> Any:
    """IMPALA's plan with :class:`UpdateTargetAndKL` after each learner step."""
    return impala.execution_plan(workers, dict(config, after_train_step=UpdateTargetAndKL))


def initialize_target(trainer: Any) -> None:
    """Syncs each trainable policy's target network with its policy network (after the trainer is built)."""
    trainer.workers.local_worker().foreach_trainable_policy(lambda p, _: p.update_target())


APPOTrainer = build_trainer(
    name="APPO",
    default_config=DEFAULT_CONFIG,
    default_policy=None,
    get_policy_class=get_policy_class,
    validate_config=validate_config,
    execution_plan=execution_plan,
    after_init=initialize_target,
    mixins=[impala._AggregationResources],
)

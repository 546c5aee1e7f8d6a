"""SimpleQTFPolicy: Q-learning with a target network in TF2 (RLlib 1.x ``simple_q_tf_policy.py``).

The loss of :mod:`~rlcore.algorithms.dqn.simple_q_torch_policy` in TensorFlow 2 (eager, or traced
with ``eager_tracing``): :func:`~rlcore.algorithms.dqn.dqn_tf_policy.build_q_losses` with SimpleQ's
settings.

Examples:
    >>> SimpleQTFPolicy.__name__, SimpleQTFPolicy.__mro__[1].__name__
    ('SimpleQTFPolicy', 'TDErrorFetches')
"""

from __future__ import annotations

from typing import Any, Dict

from rlcore.algorithms.dqn.common import TDErrorFetches
from rlcore.algorithms.dqn.defaults import SIMPLE_Q_DEFAULT_CONFIG
from rlcore.algorithms.dqn.dqn_tf_policy import (TFComputeTDErrorMixin, adam_optimizer, build_q_losses,
                                                 build_q_model_and_distribution, build_q_stats,
                                                 get_distribution_inputs_and_class, init_target_and_schedules,
                                                 setup_early_mixins)
from rlcore.algorithms.tf_mixins import TFTargetNetworkMixin
from rlcore.policy.schedule_mixins import LearningRateSchedule
from rlcore.policy.tf_policy_template import build_tf_policy

__all__ = ["SimpleQTFPolicy"]


SimpleQTFPolicy = build_tf_policy(
    "SimpleQTFPolicy",
    get_default_config=lambda: SIMPLE_Q_DEFAULT_CONFIG,
    make_model_and_action_dist=build_q_model_and_distribution,
    action_distribution_fn=get_distribution_inputs_and_class,
    loss_fn=build_q_losses,
    stats_fn=build_q_stats,
    optimizer_fn=adam_optimizer,
    before_init=setup_early_mixins,
    after_init=init_target_and_schedules,
    mixins=[TDErrorFetches, TFComputeTDErrorMixin, TFTargetNetworkMixin, LearningRateSchedule],
)

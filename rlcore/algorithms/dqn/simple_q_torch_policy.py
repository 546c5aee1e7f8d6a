"""SimpleQTorchPolicy: Q-learning with a target network in torch (RLlib 1.x ``simple_q_torch_policy.py``).

The model is the catalog's network with one output per action (no Q head, no dueling); the loss
is ``mean(huber(Q(s, a) - stop_grad(r + gamma * (1 - done) * max_a' Q'(s', a'))))`` with the
target network ``Q'``: :func:`~rlcore.algorithms.dqn.dqn_torch_policy.build_q_losses` with
SimpleQ's settings (``double_q``, ``dueling``, ``n_step``, ``num_atoms`` absent from its config).
Learner stats as DQN's; ``td_error`` is a fetch next to them.

Examples:
    >>> SimpleQTorchPolicy.__name__, SimpleQTorchPolicy.__mro__[1].__name__
    ('SimpleQTorchPolicy', 'TDErrorFetches')
"""

from __future__ import annotations

from typing import Any, Dict

from rlcore.algorithms.dqn.common import TDErrorFetches
from rlcore.algorithms.dqn.defaults import SIMPLE_Q_DEFAULT_CONFIG
from rlcore.algorithms.dqn.dqn_torch_policy import (ComputeTDErrorMixin, adam_optimizer, build_q_losses,
                                                    build_q_model_and_distribution, build_q_stats,
                                                    get_distribution_inputs_and_class, init_target_and_schedules,
                                                    setup_early_mixins)
from rlcore.algorithms.torch_mixins import TorchTargetNetworkMixin
from rlcore.policy.schedule_mixins import LearningRateSchedule
from rlcore.policy.torch_policy_template import build_torch_policy

__all__ = ["SimpleQTorchPolicy"]


SimpleQTorchPolicy = build_torch_policy(
    "SimpleQTorchPolicy",
    get_default_config=lambda: SIMPLE_Q_DEFAULT_CONFIG,
    make_model_and_action_dist=build_q_model_and_distribution,
    action_distribution_fn=get_distribution_inputs_and_class,
    loss_fn=build_q_losses,
    stats_fn=build_q_stats,
    optimizer_fn=adam_optimizer,
    before_init=setup_early_mixins,
    after_init=init_target_and_schedules,
    mixins=[TDErrorFetches, ComputeTDErrorMixin, TorchTargetNetworkMixin, LearningRateSchedule],
)

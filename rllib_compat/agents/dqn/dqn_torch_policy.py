"""``ray.rllib.agents.dqn.dqn_torch_policy``: the same objects as :mod:`rlcore.algorithms.dqn.dqn_torch_policy`.

Examples:
    >>> from rllib_compat.agents.dqn.dqn_torch_policy import DQNTorchPolicy
    >>> import rlcore.algorithms.dqn.dqn_torch_policy
    >>> DQNTorchPolicy is rlcore.algorithms.dqn.dqn_torch_policy.DQNTorchPolicy
    True
"""

from rlcore.algorithms.dqn.common import postprocess_nstep_and_prio
from rlcore.algorithms.dqn.dqn_torch_policy import (ComputeTDErrorMixin, DQNTorchPolicy, adam_optimizer,
                                                    build_q_losses, build_q_model_and_distribution, build_q_stats,
                                                    compute_q_values, get_distribution_inputs_and_class)

__all__ = ["DQNTorchPolicy", "ComputeTDErrorMixin", "adam_optimizer", "build_q_losses",
           "build_q_model_and_distribution", "build_q_stats", "compute_q_values",
           "get_distribution_inputs_and_class", "postprocess_nstep_and_prio"]

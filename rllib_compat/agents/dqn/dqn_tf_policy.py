"""``ray.rllib.agents.dqn.dqn_tf_policy``: the same objects as :mod:`rlcore.algorithms.dqn.dqn_tf_policy`.

``build_q_model_and_distribution`` stands for 1.x's ``build_q_model`` (it also returns the
distribution class); ``ComputeTDErrorMixin`` is rlcore's ``TFComputeTDErrorMixin``.

Examples:
    >>> from rllib_compat.agents.dqn.dqn_tf_policy import DQNTFPolicy
    >>> import rlcore.algorithms.dqn.dqn_tf_policy
    >>> DQNTFPolicy is rlcore.algorithms.dqn.dqn_tf_policy.DQNTFPolicy
    True
"""

from rlcore.algorithms.dqn.common import PRIO_WEIGHTS, postprocess_nstep_and_prio
from rlcore.algorithms.dqn.dqn_tf_policy import TFComputeTDErrorMixin as ComputeTDErrorMixin
from rlcore.algorithms.dqn.dqn_tf_policy import (DQNTFPolicy, adam_optimizer, build_q_losses,
                                                 build_q_model_and_distribution, build_q_stats, compute_q_values,
                                                 get_distribution_inputs_and_class)

__all__ = ["DQNTFPolicy", "ComputeTDErrorMixin", "PRIO_WEIGHTS", "adam_optimizer", "build_q_losses",
           "build_q_model_and_distribution", "build_q_stats", "compute_q_values",
           "get_distribution_inputs_and_class", "postprocess_nstep_and_prio"]

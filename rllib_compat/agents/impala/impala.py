"""``ray.rllib.agents.impala.impala``: the same objects as :mod:`rlcore.algorithms.impala.impala`.

Examples:
    >>> from rllib_compat.agents.impala.impala import ImpalaTrainer, BroadcastUpdateLearnerWeights
    >>> import rlcore.algorithms.impala.impala as impala
    >>> ImpalaTrainer is impala.ImpalaTrainer, BroadcastUpdateLearnerWeights is impala.BroadcastUpdateLearnerWeights
    (True, True)
"""

from rlcore.algorithms.impala.impala import (DEFAULT_CONFIG, BroadcastUpdateLearnerWeights, ImpalaTrainer,
                                             execution_plan, gather_experiences_directly, get_policy_class,
                                             make_learner_thread, record_steps_trained, validate_config)

__all__ = ["DEFAULT_CONFIG", "ImpalaTrainer", "BroadcastUpdateLearnerWeights", "execution_plan",
           "gather_experiences_directly", "get_policy_class", "make_learner_thread", "record_steps_trained",
           "validate_config"]

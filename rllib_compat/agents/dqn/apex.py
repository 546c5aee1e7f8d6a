"""``ray.rllib.agents.dqn.apex``: the same objects as :mod:`rlcore.algorithms.apex.apex`.

Examples:
    >>> from rllib_compat.agents.dqn.apex import ApexTrainer, APEX_DEFAULT_CONFIG
    >>> import rlcore.algorithms.apex.apex
    >>> ApexTrainer is rlcore.algorithms.apex.apex.ApexTrainer, APEX_DEFAULT_CONFIG["optimizer"]["num_replay_buffer_shards"]
    (True, 4)
"""

from rlcore.algorithms.apex.apex import APEX_DEFAULT_CONFIG, ApexTrainer, UpdateWorkerWeights, execution_plan

__all__ = ["APEX_DEFAULT_CONFIG", "ApexTrainer", "UpdateWorkerWeights", "execution_plan"]

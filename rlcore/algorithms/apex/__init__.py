"""Ape-X DQN: distributed prioritized replay over Ray actors (RLlib 1.x ``agents/dqn/apex.py``).

Examples:
    >>> from rlcore.algorithms.apex import ApexTrainer, APEX_DEFAULT_CONFIG
    >>> ApexTrainer.__name__, APEX_DEFAULT_CONFIG["optimizer"]["max_weight_sync_delay"]
    ('APEX', 400)
"""

from rlcore.algorithms.apex.apex import (APEX_DEFAULT_CONFIG, LEARNER_QUEUE_MAX_SIZE, NUM_WEIGHT_SYNCS,
                                         ApexLearnerThread, ApexMetrics, ApexReplayActor, ApexTrainer,
                                         UpdateReplayPriorities, UpdateWorkerWeights, create_replay_actors,
                                         execution_plan, merge_apex_config, validate_config)

__all__ = ["APEX_DEFAULT_CONFIG", "ApexTrainer", "ApexLearnerThread", "ApexMetrics", "ApexReplayActor",
           "UpdateReplayPriorities", "UpdateWorkerWeights", "create_replay_actors", "execution_plan",
           "merge_apex_config", "validate_config", "LEARNER_QUEUE_MAX_SIZE", "NUM_WEIGHT_SYNCS"]

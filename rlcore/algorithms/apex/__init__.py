"""Ape-X DQN: distributed prioritized replay over Ray actors (RLlib 1.x ``agents/dqn/apex.py``).

Names are imported on first use (:func:`rlcore.algorithms.lazy_exports`): a replay shard's actor
process, which imports :mod:`rlcore.algorithms.apex.replay_actor`, does not load the trainer.

Examples:
    >>> from rlcore.algorithms.apex import ApexTrainer, APEX_DEFAULT_CONFIG
    >>> ApexTrainer.__name__, APEX_DEFAULT_CONFIG["optimizer"]["max_weight_sync_delay"]
    ('APEX', 400)
"""

from rlcore.algorithms import lazy_exports

_EXPORTS = {
    **dict.fromkeys(["APEX_DEFAULT_CONFIG", "ApexTrainer", "ApexLearnerThread", "ApexMetrics", "UpdateReplayPriorities",
                     "UpdateWorkerWeights", "create_replay_actors", "execution_plan", "merge_apex_config",
                     "validate_config", "LEARNER_QUEUE_MAX_SIZE", "NUM_WEIGHT_SYNCS"], "apex"),
    "ApexReplayActor": "replay_actor",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

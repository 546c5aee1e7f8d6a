"""RLlib 1.x import path ``ray.rllib.utils.exploration.per_worker_epsilon_greedy``: the same objects as :mod:`rlcore.policy.exploration.per_worker`.

Examples:
    >>> from rllib_compat.utils.exploration.per_worker_epsilon_greedy import PerWorkerEpsilonGreedy
    >>> import rlcore.policy.exploration.per_worker
    >>> PerWorkerEpsilonGreedy is rlcore.policy.exploration.per_worker.PerWorkerEpsilonGreedy
    True
"""

from rlcore.policy.exploration.per_worker import PerWorkerEpsilonGreedy

__all__ = ["PerWorkerEpsilonGreedy"]

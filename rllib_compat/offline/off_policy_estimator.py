"""``ray.rllib.offline.off_policy_estimator``: the same objects as :mod:`rlcore.offline.estimators`.

Examples:
    >>> import rlcore.offline.estimators
    >>> from rllib_compat.offline.off_policy_estimator import OffPolicyEstimator
    >>> OffPolicyEstimator is rlcore.offline.estimators.OffPolicyEstimator
    True
"""

from rlcore.offline.estimators import OffPolicyEstimate, OffPolicyEstimator

__all__ = ["OffPolicyEstimate", "OffPolicyEstimator"]

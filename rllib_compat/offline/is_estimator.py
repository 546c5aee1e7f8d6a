"""``ray.rllib.offline.is_estimator``: the same objects as :mod:`rlcore.offline.estimators`.

Examples:
    >>> import rlcore.offline.estimators
    >>> from rllib_compat.offline.is_estimator import ImportanceSamplingEstimator
    >>> ImportanceSamplingEstimator is rlcore.offline.estimators.ImportanceSamplingEstimator
    True
"""

from rlcore.offline.estimators import ImportanceSamplingEstimator

__all__ = ["ImportanceSamplingEstimator"]

"""``ray.rllib.offline.wis_estimator``: the same objects as :mod:`rlcore.offline.estimators`.

Examples:
    >>> import rlcore.offline.estimators
    >>> from rllib_compat.offline.wis_estimator import WeightedImportanceSamplingEstimator
    >>> WeightedImportanceSamplingEstimator is rlcore.offline.estimators.WeightedImportanceSamplingEstimator
    True
"""

from rlcore.offline.estimators import WeightedImportanceSamplingEstimator

__all__ = ["WeightedImportanceSamplingEstimator"]

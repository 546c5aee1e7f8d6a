"""RLlib 1.x import path ``ray.rllib.models.tf.tf_action_dist``: the same objects as :mod:`rlcore.models.tf.tf_action_dist`.

``ActionDistribution`` (the framework-free base class, :mod:`rlcore.models.action_dist`) is
importable from here too, as in RLlib 1.x.
"""

from rlcore.models.action_dist import ActionDistribution
from rlcore.models.tf.tf_action_dist import (
    Beta,
    Categorical,
    Deterministic,
    DiagGaussian,
    Dirichlet,
    MultiActionDistribution,
    MultiCategorical,
    SquashedGaussian,
    TFActionDistribution,
)

__all__ = [
    "ActionDistribution",
    "Beta",
    "Categorical",
    "Deterministic",
    "DiagGaussian",
    "Dirichlet",
    "MultiActionDistribution",
    "MultiCategorical",
    "SquashedGaussian",
    "TFActionDistribution",
]

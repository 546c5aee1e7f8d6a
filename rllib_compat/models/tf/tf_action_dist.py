"""RLlib 1.x import path ``ray.rllib.models.tf.tf_action_dist``: the same objects as :mod:`rlcore.models.tf.tf_action_dist`."""

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

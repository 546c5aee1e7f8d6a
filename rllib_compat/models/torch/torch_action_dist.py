"""RLlib 1.x import path ``ray.rllib.models.torch.torch_action_dist``: the same objects as :mod:`rlcore.models.torch.torch_action_dist`."""

from rlcore.models.torch.torch_action_dist import (
    TorchBeta,
    TorchCategorical,
    TorchDeterministic,
    TorchDiagGaussian,
    TorchDirichlet,
    TorchDistributionWrapper,
    TorchMultiActionDistribution,
    TorchMultiCategorical,
    TorchSquashedGaussian,
)

__all__ = [
    "TorchBeta",
    "TorchCategorical",
    "TorchDeterministic",
    "TorchDiagGaussian",
    "TorchDirichlet",
    "TorchDistributionWrapper",
    "TorchMultiActionDistribution",
    "TorchMultiCategorical",
    "TorchSquashedGaussian",
]

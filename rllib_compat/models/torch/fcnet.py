"""RLlib 1.x import path ``ray.rllib.models.torch.fcnet``: the same objects as :mod:`rlcore.models.torch.fcnet`."""

from rlcore.models.torch.fcnet import FullyConnectedNetwork

__all__ = ["FullyConnectedNetwork"]

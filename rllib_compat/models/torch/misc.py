"""RLlib 1.x import path ``ray.rllib.models.torch.misc``: the same objects as :mod:`rlcore.models.torch.torch_modelv2`."""

from rlcore.models.torch.torch_modelv2 import normc_initializer, SlimFC

__all__ = ["SlimFC", "normc_initializer"]

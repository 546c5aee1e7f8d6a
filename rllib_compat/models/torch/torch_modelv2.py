"""RLlib 1.x import path ``ray.rllib.models.torch.torch_modelv2``: the same objects as :mod:`rlcore.models.torch.torch_modelv2`."""

from rlcore.models.torch.torch_modelv2 import TorchModelV2

__all__ = ["TorchModelV2"]

"""VisionNetwork (torch): the default conv net for ``[H, W, C]`` image observations.

A stack of conv layers given by ``conv_filters`` (``[out_channels, kernel, stride]`` each; by
default RLlib's filters for 84x84, 42x42 and 10x10 inputs) with ``conv_activation``, "same"
padding except for the last layer ("valid"), then the flattened features go through
``post_fcnet_hiddens`` and a linear logits head. The value head shares the conv stack
(``vf_share_layers``) or uses its own copy. Observations are channels-last, as gymnasium gives them.

Examples:
    >>> import gymnasium as gym
    >>> m = VisionNetwork(gym.spaces.Box(0, 1, (42, 42, 3)), gym.spaces.Discrete(4), 4, {}, "cnn")
    >>> out, _ = m({"obs": np.zeros((2, 42, 42, 3), np.float32)})
    >>> tuple(out.shape), tuple(m.value_function().shape)
    ((2, 4), (2,))
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional

import numpy as np
import torch
import torch.nn as nn

from rlcore.models.conv_filters import check_filters, get_filter_config
from rlcore.models.torch.torch_modelv2 import SlimFC, TorchModelV2, get_activation_fn, normc_initializer

class SameConv2d(nn.Module):
    """Conv2d with TensorFlow's "same"/"valid" padding (extra padding at the bottom/right).

    Examples:
        >>> tuple(SameConv2d(3, 8, (8, 8), (4, 4), "same")(torch.zeros(1, 3, 84, 84)).shape)
        (1, 8, 21, 21)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel: tuple, stride: tuple, padding: str, activation: Any = None):
        super().__init__()
        self.kernel, self.stride, self.padding = kernel, stride, padding
        self.conv = nn.Conv2d(in_channels, out_channels, kernel, stride)
        nn.init.xavier_uniform_(self.conv.weight)
        nn.init.zeros_(self.conv.bias)
        act = get_activation_fn(activation)
        self.act = act() if act is not None else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.padding == "same":
            pads = []
            for size, k, s in ((x.shape[3], self.kernel[1], self.stride[1]), (x.shape[2], self.kernel[0], self.stride[0])):
                total = max((math.ceil(size / s) - 1) * s + k - size, 0)
                pads += [total // 2, total - total // 2]
            x = nn.functional.pad(x, pads)
        x = self.conv(x)
        return self.act(x) if self.act is not None else x


def _conv_stack(in_channels: int, filters: List[tuple], activation: str) -> nn.Sequential:
    layers = []
    for i, (out, kernel, stride) in enumerate(filters):
        padding = "valid" if i == len(filters) - 1 else "same"
        layers.append(SameConv2d(in_channels, out, kernel, stride, padding, activation))
        in_channels = out
    return nn.Sequential(*layers, nn.Flatten())


class VisionNetwork(TorchModelV2, nn.Module):
    """The default conv network (see the module docstring for the options).

    Args:
        obs_space: A ``Box`` of shape ``[H, W, C]``.
        action_space, num_outputs, model_config, name: as ``ModelV2``.
    """

    def __init__(self, obs_space: Any, action_space: Any, num_outputs: Optional[int], model_config: Dict[str, Any], name: str):
        TorchModelV2.__init__(self, obs_space, action_space, num_outputs, model_config, name)
        nn.Module.__init__(self)
        shape = tuple(int(d) for d in obs_space.shape)
        if len(shape) != 3:
            raise ValueError(f"VisionNetwork needs [H, W, C] observations, got space {obs_space}")
        filters = check_filters(model_config.get("conv_filters") or get_filter_config(shape))
        activation = model_config.get("conv_activation", "relu")
        post_hiddens = list(model_config.get("post_fcnet_hiddens", []))
        post_activation = model_config.get("post_fcnet_activation", "relu")
        self.vf_share_layers = model_config.get("vf_share_layers", True)

        self._convs = _conv_stack(shape[2], filters, activation)
        with torch.no_grad():
            feat = int(self._convs(torch.zeros(1, shape[2], shape[0], shape[1])).shape[1])
        layers, prev = [], feat
        for size in post_hiddens:
            layers.append(SlimFC(prev, size, initializer=normc_initializer(1.0), activation_fn=post_activation))
            prev = size
        if num_outputs:
            layers.append(SlimFC(prev, num_outputs, initializer=normc_initializer(0.01), activation_fn=None))
        else:
            self.num_outputs = prev
        self._head = nn.Sequential(*layers)
        self._value_convs = None if self.vf_share_layers else _conv_stack(shape[2], filters, activation)
        self._value_branch = SlimFC(feat, 1, initializer=normc_initializer(0.01), activation_fn=None)
        self._features = None
        self._images = None

    def forward(self, input_dict, state, seq_lens):
        self._images = input_dict["obs"].float().permute(0, 3, 1, 2)
        self._features = self._convs(self._images)
        return self._head(self._features), state

    def value_function(self):
        if self._features is None:
            raise ValueError("value_function() called before the model's first forward pass")
        features = self._features if self._value_convs is None else self._value_convs(self._images)
        return self._value_branch(features).squeeze(1)


__all__ = ["SameConv2d", "VisionNetwork", "get_filter_config"]

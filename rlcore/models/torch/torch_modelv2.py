"""TorchModelV2: the ModelV2 base for PyTorch models (which also subclass ``torch.nn.Module``).

A torch model subclasses both ``TorchModelV2`` and ``nn.Module`` and calls both constructors
(RLlib 1.x). This base converts numpy inputs to tensors on the model's device, flattens
``obs`` into ``obs_flat``, and lists parameters as ``variables()``. It also holds the small
layer helpers the default networks share (``SlimFC``, ``normc_initializer``, activations).

Examples:
    >>> import gymnasium as gym, torch
    >>> class Linear(TorchModelV2, torch.nn.Module):
    ...     def __init__(self, obs_space, action_space, num_outputs, model_config, name):
    ...         TorchModelV2.__init__(self, obs_space, action_space, num_outputs, model_config, name)
    ...         torch.nn.Module.__init__(self)
    ...         self.fc = torch.nn.Linear(3, num_outputs)
    ...     def forward(self, input_dict, state, seq_lens):
    ...         return self.fc(input_dict["obs_flat"]), state
    >>> m = Linear(gym.spaces.Box(-1, 1, (3,)), gym.spaces.Discrete(2), 2, {}, "lin")
    >>> out, _ = m({"obs": np.zeros((5, 3), np.float32)})
    >>> tuple(out.shape), len(m.variables())
    ((5, 2), 2)
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional

import numpy as np
import torch
import torch.nn as nn
from torch.nn.modules import module as _torch_module

from rlcore.framework import get_activation_fn as framework_activation
from rlcore.models.modelv2 import ModelV2
from rlcore.models.repeated import _map_leaves
from rlcore.models.state_structure import map_state_leaves

def get_activation_fn(name: Optional[str]) -> Optional[Callable[[], nn.Module]]:
    """The ``nn.Module`` class for an activation name (``None`` for linear).

    Examples:
        >>> get_activation_fn("relu").__name__, get_activation_fn("linear")
        ('ReLU', None)
    """
    return framework_activation(name, framework="torch")


def normc_initializer(std: float = 1.0) -> Callable[[torch.Tensor], None]:
    """Initialiser drawing N(0, 1) and scaling each output row to norm ``std`` (RLlib's normc).

    Examples:
        >>> w = torch.empty(4, 3); normc_initializer(2.0)(w)
        >>> bool(torch.allclose(w.norm(dim=1), torch.full((4,), 2.0)))
        True
    """

    def initializer(tensor: torch.Tensor) -> None:
        with torch.no_grad():
            tensor.normal_(0, 1)
            tensor.mul_(std / torch.sqrt(tensor.pow(2).sum(1, keepdim=True)))

    return initializer


class SlimFC(nn.Module):
    """A linear layer with an initialiser and an optional activation.

    Examples:
        >>> layer = SlimFC(3, 2, initializer=normc_initializer(1.0), activation_fn="tanh")
        >>> tuple(layer(torch.zeros(1, 3)).shape)
        (1, 2)
    """

    def __init__(self, in_size: int, out_size: int, initializer: Any = None, activation_fn: Any = None, bias_init: float = 0.0):
        super().__init__()
        linear = nn.Linear(in_size, out_size)
        (initializer or nn.init.xavier_uniform_)(linear.weight)
        nn.init.constant_(linear.bias, bias_init)
        act = get_activation_fn(activation_fn) if isinstance(activation_fn, str) or activation_fn is None else activation_fn
        self._model = nn.Sequential(linear, act()) if act is not None else nn.Sequential(linear)
        # The forward pass calls these directly (plain attributes, not submodules: the parameters
        # stay where RLlib keeps them, under ``_model.0``). Skipping two nn.Module dispatches per
        # layer makes a 64-64 MLP forward ~1.5x faster at the batch sizes of sampling and SGD.
        self.__dict__["_linear"] = linear
        self.__dict__["_act_fn"] = _FUNCTIONAL_ACTIVATIONS.get(act) if act is not None else _identity

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        linear, act_fn = self._linear, self._act_fn
        if act_fn is None or linear._forward_hooks or linear._forward_pre_hooks or _global_hooks():
            return self._model(x)  # a custom activation, or hooks (e.g. torch.nn.utils.prune) to honour
        return act_fn(nn.functional.linear(x, linear.weight, linear.bias))


def _identity(x: torch.Tensor) -> torch.Tensor:
    return x


def _global_hooks() -> bool:
    return bool(_torch_module._global_forward_hooks or _torch_module._global_forward_pre_hooks)


#: Stateless activation modules and the function each one applies.
_FUNCTIONAL_ACTIVATIONS = {nn.Tanh: torch.tanh, nn.ReLU: torch.relu, nn.Sigmoid: torch.sigmoid,
                           nn.SiLU: nn.functional.silu, nn.ELU: nn.functional.elu}


class TorchModelV2(ModelV2):
    """ModelV2 for PyTorch; concrete models also subclass ``torch.nn.Module``.

    Args:
        obs_space, action_space, num_outputs, model_config, name: as ``ModelV2``.
    """

    #: A batch of torch tensors as ``obs`` takes ``ModelV2.__call__``'s short path (see there).
    _plain_obs_type = torch.Tensor

    def __init__(self, obs_space: Any, action_space: Any, num_outputs: Optional[int], model_config: Dict[str, Any], name: str):
        if not isinstance(self, nn.Module):
            raise TypeError(f"{type(self).__name__} subclasses TorchModelV2 and must also subclass torch.nn.Module")
        ModelV2.__init__(self, obs_space, action_space, num_outputs, model_config, name, framework="torch")

    def _device(self) -> torch.device:
        # The first parameter is cached (a Parameter object survives ``.to(device)``, which moves
        # its data in place); walking ``parameters()`` on every call costs several microseconds.
        first = self.__dict__.get("_first_param")
        if first is None:
            first = next(iter(self.parameters()), False)
            self.__dict__["_first_param"] = first
        return first.device if first is not False else torch.device("cpu")

    def _to_tensor(self, value: Any, float_only: bool = False) -> Any:
        if value is None or isinstance(value, torch.Tensor):
            return value
        if isinstance(value, (np.ndarray, list, tuple, int, float, np.generic)):
            arr = np.asarray(value)
            if arr.dtype == object:
                return value
            if float_only or np.issubdtype(arr.dtype, np.floating) or arr.dtype == np.bool_:
                arr = arr.astype(np.float32, copy=False)
            return torch.as_tensor(arr, device=self._device())
        return value

    def _state_tensor(self, value: Any) -> Any:
        """A float32 tensor of one RNN state leaf."""
        return self._to_tensor(value, float_only=True)

    def _convert_inputs(self, input_dict, state, seq_lens):
        for key in ("obs", "obs_flat"):
            if key in input_dict:
                value = input_dict[key]
                if self._is_obs_structure(value):  # leaves keep their dtype (ints get one-hot encoded)
                    input_dict[key] = _map_leaves(self._to_tensor, value)
                else:
                    input_dict[key] = self._to_tensor(value, float_only=True)
        for key in ("prev_actions", "prev_rewards"):
            if key in input_dict:
                input_dict[key] = self._to_tensor(input_dict[key])
        state = [s if isinstance(s, torch.Tensor) else map_state_leaves(self._state_tensor, s) for s in state]
        if seq_lens is not None and not isinstance(seq_lens, torch.Tensor):
            seq_lens = torch.as_tensor(np.asarray(seq_lens, np.int64), device=self._device())
        return input_dict, state, seq_lens

    def _flatten(self, obs: Any) -> Any:
        return obs if obs.dim() == 2 else obs.reshape(obs.shape[0], -1)  # [B, width] as is (RLlib 1.x): no reshape op

    def variables(self, as_dict: bool = False) -> Any:
        """All parameters, then buffers, as a list or a ``{name: tensor}`` dict (``state_dict`` names)."""
        named = list(self.named_parameters()) + list(self.named_buffers())
        return dict(named) if as_dict else [v for _, v in named]

    def trainable_variables(self, as_dict: bool = False) -> Any:
        """Parameters with ``requires_grad``, as a list or a ``{name: param}`` dict."""
        named = [(n, p) for n, p in self.named_parameters() if p.requires_grad]
        return dict(named) if as_dict else [p for _, p in named]


__all__ = ["SlimFC", "TorchModelV2", "get_activation_fn", "normc_initializer"]

"""DQNTorchModel: the Q head of DQN over any torch base model (RLlib 1.x ``dqn_torch_model.py``).

Used as a ``model_interface``: :meth:`~rlcore.models.catalog.ModelCatalog.get_model_v2` puts it
ahead of the base network (the default fully connected net, or a custom model), whose output
(``num_outputs`` features) feeds:

- the advantage branch: ``q_hiddens`` dense layers (ReLU, or noisy layers with ``use_noisy``,
  optionally followed by ``LayerNorm`` for parameter noise) and a final layer of
  ``num_actions * num_atoms`` units. With no ``q_hiddens`` the base output itself is the
  action scores (RLlib's parametric-actions pattern: a custom model returns masked logits);
- with ``dueling``, a value branch of the same shape ending in ``num_atoms`` units.

:meth:`get_q_value_distributions` returns ``(action_scores, logits, probs)`` (plus the support
``z`` first-after-scores for ``num_atoms > 1``), :meth:`get_state_value` the value branch.

Examples:
    >>> import gymnasium as gym, torch
    >>> from rlcore.models.catalog import ModelCatalog
    >>> m = ModelCatalog.get_model_v2(gym.spaces.Box(-1, 1, (4,)), gym.spaces.Discrete(2), 8,
    ...     {"fcnet_hiddens": [8], "no_final_linear": True}, "torch", model_interface=DQNTorchModel,
    ...     name="q", q_hiddens=[16], num_atoms=3, dueling=True)
    >>> out, _ = m({"obs": torch.zeros(5, 4)})
    >>> scores, z, support_logits, logits, probs = m.get_q_value_distributions(out)
    >>> tuple(scores.shape), tuple(z.shape), tuple(logits.shape), tuple(m.get_state_value(out).shape)
    ((5, 2), (3,), (5, 2, 3), (5, 3))
"""

from __future__ import annotations

import math
from typing import Any, Dict, Optional, Sequence

import torch
import torch.nn as nn

from rlcore.models.torch.torch_modelv2 import TorchModelV2

__all__ = ["DQNTorchModel", "NoisyLayer"]


class NoisyLayer(nn.Module):
    """A dense layer with factorised Gaussian noise on its weights and bias (Fortunato et al. 2018).

    Every forward pass draws new noise: ``w = mu_w + sigma_w * f(e_in) f(e_out)^T`` with
    ``f(x) = sign(x) sqrt(|x|)``; ``mu`` is uniform in ``±1/sqrt(in)``, ``sigma`` starts at
    ``sigma0 / sqrt(in)`` (RLlib 1.x ``NoisyLayer``).

    Examples:
        >>> layer = NoisyLayer(3, 2, sigma0=0.5, activation="relu")
        >>> tuple(layer(torch.ones(4, 3)).shape)
        (4, 2)
    """

    def __init__(self, in_size: int, out_size: int, sigma0: float, activation: Optional[str] = "relu"):
        super().__init__()
        self.in_size, self.out_size = int(in_size), int(out_size)
        bound = 1.0 / math.sqrt(self.in_size)
        self.w_mu = nn.Parameter(torch.empty(self.in_size, self.out_size).uniform_(-bound, bound))
        self.b_mu = nn.Parameter(torch.empty(self.out_size).uniform_(-bound, bound))
        self.w_sigma = nn.Parameter(torch.full((self.in_size, self.out_size), sigma0 / math.sqrt(self.in_size)))
        self.b_sigma = nn.Parameter(torch.full((self.out_size,), sigma0 / math.sqrt(self.in_size)))
        if activation not in (None, "linear", "relu"):
            raise ValueError(f"NoisyLayer activation={activation!r}: expected None, 'linear' or 'relu'")
        self.relu = activation == "relu"

    @staticmethod
    def _f(x: torch.Tensor) -> torch.Tensor:
        return torch.sign(x) * torch.sqrt(torch.abs(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        eps_in = self._f(torch.randn(self.in_size))
        eps_out = self._f(torch.randn(self.out_size))
        w = self.w_mu + self.w_sigma * torch.outer(eps_in, eps_out)
        b = self.b_mu + self.b_sigma * eps_out
        out = x @ w + b
        return torch.relu(out) if self.relu else out


def _hooked(module: nn.Module) -> bool:
    return bool(module._forward_hooks or module._forward_pre_hooks or module._backward_hooks
                or module._backward_pre_hooks)


def _run_branch(seq: nn.Sequential, x: torch.Tensor) -> torch.Tensor:
    """``seq(x)``, calling each layer's ``forward`` directly when no module hook could observe the
    difference (``nn.Module.__call__`` costs a few microseconds per module, and a branch runs on
    every action and three times per SGD step).

    Examples:
        >>> seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
        >>> x = torch.ones(1, 2)
        >>> torch.equal(_run_branch(seq, x), seq(x))
        True
    """
    from torch.nn.modules import module as torch_module

    if _hooked(seq) or torch_module._global_forward_hooks or torch_module._global_forward_pre_hooks \
            or torch_module._global_backward_hooks or torch_module._global_backward_pre_hooks:
        return seq(x)
    for layer in seq._modules.values():
        x = layer(x) if _hooked(layer) else layer.forward(x)
    return x


def _branch(ins: int, hiddens: Sequence[int], out: int, *, noisy: bool, sigma0: float, layer_norm: bool,
            activation: str, prefix: str) -> nn.Sequential:
    """``hiddens`` (noisy or dense + activation, LayerNorm if asked) then a linear output layer."""
    from rlcore.models.torch.torch_modelv2 import SlimFC

    seq = nn.Sequential()
    for i, n in enumerate(hiddens):
        if noisy:
            seq.add_module(f"{prefix}_noisy_{i}", NoisyLayer(ins, n, sigma0, activation="relu"))
        else:
            seq.add_module(f"{prefix}_hidden_{i}", SlimFC(ins, n, activation_fn=activation))
        if layer_norm:
            seq.add_module(f"LayerNorm_{prefix}_{i}", nn.LayerNorm(n))
        ins = n
    if noisy:
        seq.add_module(f"{prefix}_out", NoisyLayer(ins, out, sigma0, activation=None))
    else:
        seq.add_module(f"{prefix}_out", SlimFC(ins, out, activation_fn=None))
    return seq


class DQNTorchModel(TorchModelV2, nn.Module):
    """The DQN Q head (see the module docstring).

    Args:
        obs_space, action_space, num_outputs, model_config, name: as ``ModelV2``
            (``num_outputs``: the width of the base model's output).
        q_hiddens: Hidden layer sizes of the advantage (and value) branch; empty: the base output
            is the action scores.
        dueling: Add the value branch (dueling architecture).
        dueling_activation: Activation of the branches' hidden layers.
        num_atoms: Atoms of the return distribution (> 1: distributional C51).
        use_noisy: Noisy layers in the branches.
        v_min, v_max: The support's range for ``num_atoms > 1``.
        sigma0: Initial noise scale of noisy layers.
        add_layer_norm: LayerNorm after each hidden layer of the branches (parameter noise).
    """

    def __init__(self, obs_space: Any, action_space: Any, num_outputs: int, model_config: Dict[str, Any], name: str,
                 *, q_hiddens: Sequence[int] = (256,), dueling: bool = False, dueling_activation: str = "relu",
                 num_atoms: int = 1, use_noisy: bool = False, v_min: float = -10.0, v_max: float = 10.0,
                 sigma0: float = 0.5, add_layer_norm: bool = False):
        super().__init__(obs_space, action_space, num_outputs, model_config, name)
        if "_modules" not in self.__dict__:  # a custom model that initialises only TorchModelV2
            nn.Module.__init__(self)
        self.action_dim = int(action_space.n)
        self.q_hiddens = list(q_hiddens)
        self.dueling = bool(dueling)
        self.num_atoms = int(num_atoms)
        self.v_min, self.v_max = float(v_min), float(v_max)
        self.sigma0 = float(sigma0)
        ins = int(self.num_outputs)
        if self.q_hiddens:
            self.advantage_module = _branch(ins, self.q_hiddens, self.action_dim * self.num_atoms, noisy=use_noisy,
                                            sigma0=sigma0, layer_norm=add_layer_norm, activation=dueling_activation,
                                            prefix="A")
        else:
            if ins != self.action_dim * self.num_atoms:
                raise ValueError(f"hiddens=[]: the base model's output ({ins} units) is used as the action scores; "
                                 f"expected num_actions * num_atoms = {self.action_dim * self.num_atoms} units")
            self.advantage_module = nn.Sequential()  # identity: the base output is the action scores
        if self.dueling:
            self.value_module = _branch(ins, self.q_hiddens, self.num_atoms, noisy=use_noisy, sigma0=sigma0,
                                        layer_norm=add_layer_norm, activation=dueling_activation, prefix="V")
        z = torch.linspace(self.v_min, self.v_max, self.num_atoms) if self.num_atoms > 1 else torch.zeros(1)
        self.register_buffer("z_support", z, persistent=False)

    def get_q_value_distributions(self, model_out: torch.Tensor):
        """``(action_scores, logits, probs)``; for ``num_atoms > 1`` ``(action_scores, z,
        support_logits_per_action, logits, probs)`` as RLlib 1.x (``logits`` and ``probs`` of
        shape ``[B, num_actions, num_atoms]``)."""
        action_scores = _run_branch(self.advantage_module, model_out)
        if self.num_atoms > 1:
            logits = action_scores.reshape(-1, self.action_dim, self.num_atoms)
            probs = torch.softmax(logits, dim=-1)
            scores = torch.sum(self.z_support * probs, dim=-1)
            return scores, self.z_support, logits, logits, probs
        logits = action_scores.new_ones(action_scores.shape + (1,))  # RLlib 1.x: ones, [B, A, 1]
        return action_scores, logits, logits

    def get_state_value(self, model_out: torch.Tensor) -> torch.Tensor:
        """The value branch's output, ``[B, num_atoms]`` (dueling only)."""
        if not self.dueling:
            raise ValueError("get_state_value: this Q model was built with dueling=False (no value branch)")
        return _run_branch(self.value_module, model_out)

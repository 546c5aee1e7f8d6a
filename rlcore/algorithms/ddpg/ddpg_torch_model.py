"""DDPGTorchModel: DDPG/TD3's deterministic actor and Q network(s) in torch (RLlib 1.x ``ddpg_torch_model.py``).

The model's ``forward`` passes the flattened observation through; the heads read it:

- ``policy_model``: ``actor_hiddens`` dense layers (``actor_hidden_activation``) to ``dim(A)``
  outputs ``x``, squashed into the actor's bounds ``[low, high]`` as
  ``low + (high - low) * sigmoid(2 x)`` (RLlib 1.x's squash; ``(tanh(x) + 1) / 2`` written
  with a sigmoid);
- ``q_model`` (and ``twin_q_model`` with ``twin_q``): ``critic_hiddens`` dense layers
  (``critic_hidden_activation``) over ``obs ‖ action`` to one Q-value.

Examples:
    >>> import gymnasium as gym, numpy as np
    >>> m = DDPGTorchModel(gym.spaces.Box(-1, 1, (3,)), gym.spaces.Box(-2, 2, (2,)), None, {}, "ddpg",
    ...                    actor_hiddens=[8], critic_hiddens=[8], twin_q=True,
    ...                    low=np.full(2, -2.0, np.float32), high=np.full(2, 2.0, np.float32))
    >>> out, _ = m({"obs": torch.zeros(4, 3)})
    >>> a = m.get_policy_output(out)
    >>> tuple(a.shape), bool((a.abs() <= 2).all()), tuple(m.get_twin_q_values(out, a).shape)
    ((4, 2), True, (4, 1))
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn

from rlcore.algorithms.sac.sac_torch_model import mlp
from rlcore.models.torch.torch_modelv2 import TorchModelV2

__all__ = ["DDPGTorchModel"]


class DDPGTorchModel(TorchModelV2, nn.Module):
    """See the module docstring.

    Args:
        obs_space, action_space, num_outputs, model_config, name: as ``ModelV2``.
        actor_hiddens, actor_hidden_activation: The actor's dense layers.
        critic_hiddens, critic_hidden_activation: The Q network's dense layers.
        twin_q: Build a second Q network (TD3).
        low, high: The actor's per-dimension action bounds.
    """

    def __init__(self, obs_space: Any, action_space: Any, num_outputs: Optional[int], model_config: Dict[str, Any],
                 name: str, *, actor_hiddens: Sequence[int] = (400, 300), actor_hidden_activation: str = "relu",
                 critic_hiddens: Sequence[int] = (400, 300), critic_hidden_activation: str = "relu",
                 twin_q: bool = False, low: Any = -1.0, high: Any = 1.0):
        nn.Module.__init__(self)
        obs_dim = int(np.prod(obs_space.shape))
        super().__init__(obs_space, action_space, obs_dim, model_config, name)
        self.action_dim = int(np.prod(action_space.shape))
        self.policy_model = mlp(obs_dim, actor_hiddens, self.action_dim, actor_hidden_activation)
        self.q_model = mlp(obs_dim + self.action_dim, critic_hiddens, 1, critic_hidden_activation)
        self.twin_q_model = mlp(obs_dim + self.action_dim, critic_hiddens, 1, critic_hidden_activation) if twin_q else None
        low = np.broadcast_to(np.asarray(low, np.float32), (self.action_dim,))
        high = np.broadcast_to(np.asarray(high, np.float32), (self.action_dim,))
        self.register_buffer("action_low", torch.tensor(low))
        self.register_buffer("action_range", torch.tensor(high - low))

    def forward(self, input_dict: Dict[str, Any], state: List[Any], seq_lens: Any):
        return input_dict["obs_flat"], state

    def get_policy_output(self, model_out: torch.Tensor) -> torch.Tensor:
        """The actor's actions, inside the bounds."""
        return self.action_low + self.action_range * torch.sigmoid(2.0 * self.policy_model(model_out))

    def _q(self, net: nn.Module, model_out: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        return net(torch.cat([model_out, actions.to(model_out.dtype).reshape(len(model_out), -1)], dim=-1))

    def get_q_values(self, model_out: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """``[B, 1]`` Q-values of ``actions``."""
        return self._q(self.q_model, model_out, actions)

    def get_twin_q_values(self, model_out: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """``[B, 1]`` Q-values of ``actions`` from the twin Q network."""
        if self.twin_q_model is None:
            raise ValueError(f"{self.name}: get_twin_q_values needs twin_q=True")
        return self._q(self.twin_q_model, model_out, actions)

    def policy_variables(self, as_dict: bool = False) -> Any:
        """The actor's parameters (a list, or ``{name: param}``)."""
        named = dict(self.policy_model.named_parameters())
        return named if as_dict else list(named.values())

    def q_variables(self, as_dict: bool = False) -> Any:
        """The Q network's parameters, then the twin's (a list, or ``{name: param}``)."""
        named = {f"q.{k}": v for k, v in self.q_model.named_parameters()}
        if self.twin_q_model is not None:
            named.update({f"twin_q.{k}": v for k, v in self.twin_q_model.named_parameters()})
        return named if as_dict else list(named.values())

"""SACTorchModel: SAC's policy network, Q network(s) and entropy coefficient in torch (RLlib 1.x ``sac_torch_model.py``).

The model's ``forward`` passes the flattened observation through (RLlib 1.x without
``use_state_preprocessor``); the heads read it:

- ``action_model``: ``policy_model["fcnet_hiddens"]`` dense layers (``fcnet_activation``), then
  ``2 * dim(A)`` outputs (mean and log-std of the squashed Gaussian) for a Box, or ``n`` logits
  for a Discrete action space;
- ``q_net`` (and ``twin_q_net`` with ``twin_q``): ``Q_model`` layers over ``obs ‖ action``
  ending in one Q-value (Box), or over ``obs`` ending in ``n`` Q-values (Discrete);
- ``log_alpha``: the log of the entropy coefficient (``initial_alpha``), trained by the alpha
  loss; ``target_entropy`` is a buffer.

Examples:
    >>> import gymnasium as gym
    >>> m = SACTorchModel(gym.spaces.Box(-1, 1, (3,)), gym.spaces.Box(-2, 2, (2,)), None, {}, "sac",
    ...                   policy_model_config={"fcnet_hiddens": [8]}, q_model_config={"fcnet_hiddens": [8]},
    ...                   twin_q=True, initial_alpha=1.0, target_entropy=-2.0)
    >>> out, _ = m({"obs": torch.zeros(4, 3)})
    >>> tuple(m.get_policy_output(out).shape), tuple(m.get_q_values(out, torch.zeros(4, 2)).shape)
    ((4, 4), (4, 1))
    >>> len(m.policy_variables()), len(m.q_variables()), float(m.log_alpha.detach())
    (4, 8, 0.0)
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Sequence, Tuple

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn

from rlcore.models.torch.torch_modelv2 import SlimFC, TorchModelV2

__all__ = ["SACTorchModel", "mlp", "InPlaceFC"]

#: The in-place twin of each of ``SlimFC``'s functional activations whose gradient reads only the
#: output (ReLU, tanh, sigmoid: overwriting the input loses nothing autograd needs).
_IN_PLACE = {torch.relu: torch.relu_, torch.tanh: torch.tanh_, torch.sigmoid: torch.sigmoid_}


class InPlaceFC(SlimFC):
    """``SlimFC`` whose ReLU / tanh / sigmoid overwrites the linear layer's output instead of
    writing a new tensor.

    The linear output is a fresh tensor that nothing else holds (``addmm``'s backward keeps its
    inputs, not its output), so the values and gradients are the same to the bit; the pass skips
    one allocation and one write of a ``[B, hidden]`` tensor per layer. SAC's update at batch 256
    with [256, 256] networks makes 16 such activations; on this loaded 2-core machine (load 9-12)
    ``learn_on_batch`` plus the target update measured 8-9% faster (medians of 45 alternating
    rounds of 4 updates, two runs). Parameters keep ``SlimFC``'s names
    (``_model.0.weight``...), and a layer with hooks still runs ``SlimFC``'s module path.

    Examples:
        >>> layer = InPlaceFC(2, 3, activation_fn="relu")
        >>> out = layer(torch.tensor([[1.0, -1.0]]))
        >>> out._version, bool((out >= 0).all())  # written once, in place
        (1, True)
    """

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        in_place = _IN_PLACE.get(self.__dict__.get("_act_fn"))
        if in_place is not None:
            self.__dict__["_act_fn"] = in_place


def mlp(ins: int, hiddens: Sequence[int], out: int, activation: Optional[str]) -> nn.Sequential:
    """Dense layers ``ins -> hiddens (activation) -> out (linear)`` (xavier-uniform weights, zero
    biases; :class:`InPlaceFC` layers).

    Examples:
        >>> tuple(mlp(3, [4, 5], 2, "relu")(torch.zeros(1, 3)).shape)
        (1, 2)
    """
    layers: List[nn.Module] = []
    for size in hiddens:
        layers.append(InPlaceFC(ins, int(size), activation_fn=activation))
        ins = int(size)
    layers.append(InPlaceFC(ins, int(out), activation_fn=None))
    return nn.Sequential(*layers)


class SACTorchModel(TorchModelV2, nn.Module):
    """See the module docstring.

    Args:
        obs_space, action_space, num_outputs, model_config, name: as ``ModelV2`` (``num_outputs``
            is ignored: the forward output is the flattened observation).
        policy_model_config: ``{"fcnet_hiddens": [...], "fcnet_activation": ...}`` of the policy.
        q_model_config: the same for the Q network(s).
        twin_q: Build a second Q network.
        initial_alpha: The entropy coefficient at the start (> 0).
        target_entropy: The entropy the alpha loss aims at (a number).
    """

    def __init__(self, obs_space: Any, action_space: Any, num_outputs: Optional[int], model_config: Dict[str, Any],
                 name: str, *, policy_model_config: Dict[str, Any], q_model_config: Dict[str, Any],
                 twin_q: bool = True, initial_alpha: float = 1.0, target_entropy: float = 0.0):
        nn.Module.__init__(self)
        obs_dim = int(np.prod(obs_space.shape))
        super().__init__(obs_space, action_space, obs_dim, model_config, name)
        self.discrete = isinstance(action_space, gym.spaces.Discrete)
        self.action_dim = int(action_space.n) if self.discrete else int(np.prod(action_space.shape))
        action_outs = self.action_dim if self.discrete else 2 * self.action_dim
        q_ins, q_outs = (obs_dim, self.action_dim) if self.discrete else (obs_dim + self.action_dim, 1)
        self.action_model = mlp(obs_dim, policy_model_config.get("fcnet_hiddens", [256, 256]), action_outs,
                                policy_model_config.get("fcnet_activation", "relu"))
        q_hiddens, q_act = q_model_config.get("fcnet_hiddens", [256, 256]), q_model_config.get("fcnet_activation", "relu")
        self.q_net = mlp(q_ins, q_hiddens, q_outs, q_act)
        self.twin_q_net = mlp(q_ins, q_hiddens, q_outs, q_act) if twin_q else None
        self.log_alpha = nn.Parameter(torch.tensor(math.log(initial_alpha), dtype=torch.float32))
        self.register_buffer("target_entropy", torch.tensor(float(target_entropy), dtype=torch.float32))

    def forward(self, input_dict: Dict[str, Any], state: List[Any], seq_lens: Any):
        return input_dict["obs_flat"], state

    def get_policy_output(self, model_out: torch.Tensor) -> torch.Tensor:
        """The action distribution's inputs (Box: mean ‖ log-std; Discrete: logits)."""
        return self.action_model(model_out)

    def _q_inputs(self, model_out: torch.Tensor, actions: Optional[torch.Tensor]) -> torch.Tensor:
        """The Q networks' input: ``model_out`` (Discrete, or no actions), else ``model_out || actions``."""
        if self.discrete or actions is None:
            return model_out
        return torch.cat([model_out, actions.to(model_out.dtype).reshape(len(model_out), -1)], dim=-1)

    def _q(self, net: nn.Module, model_out: torch.Tensor, actions: Optional[torch.Tensor]) -> torch.Tensor:
        return net(self._q_inputs(model_out, actions))

    def get_q_values(self, model_out: torch.Tensor, actions: Optional[torch.Tensor] = None) -> torch.Tensor:
        """``[B, 1]`` Q-values of ``actions`` (Box), or ``[B, n]`` of every action (Discrete)."""
        return self._q(self.q_net, model_out, actions)

    def get_twin_q_values(self, model_out: torch.Tensor, actions: Optional[torch.Tensor] = None) -> torch.Tensor:
        """As :meth:`get_q_values`, from the twin Q network."""
        if self.twin_q_net is None:
            raise ValueError(f"{self.name}: get_twin_q_values needs twin_q=True")
        return self._q(self.twin_q_net, model_out, actions)

    def get_q_and_twin_q_values(self, model_out: torch.Tensor,
                                actions: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """``(get_q_values(...), get_twin_q_values(...))`` (``None`` for the twin without
        ``twin_q``), the ``obs || action`` input built once for both networks.

        Examples:
            >>> m = SACTorchModel(gym.spaces.Box(-1, 1, (3,)), gym.spaces.Box(-1, 1, (1,)), None, {}, "sac",
            ...                   policy_model_config={"fcnet_hiddens": [4]}, q_model_config={"fcnet_hiddens": [4]})
            >>> obs, act = torch.ones(2, 3), torch.zeros(2, 1)
            >>> q, twin = m.get_q_and_twin_q_values(obs, act)
            >>> bool(torch.equal(q, m.get_q_values(obs, act))), bool(torch.equal(twin, m.get_twin_q_values(obs, act)))
            (True, True)
        """
        inputs = self._q_inputs(model_out, actions)
        return self.q_net(inputs), (self.twin_q_net(inputs) if self.twin_q_net is not None else None)

    def policy_variables(self) -> List[nn.Parameter]:
        """The policy network's parameters."""
        return list(self.action_model.parameters())

    def q_variables(self) -> List[nn.Parameter]:
        """The Q network's parameters, then the twin's."""
        twin = list(self.twin_q_net.parameters()) if self.twin_q_net is not None else []
        return list(self.q_net.parameters()) + twin

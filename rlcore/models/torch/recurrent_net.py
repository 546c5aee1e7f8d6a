"""RecurrentNetwork and LSTMWrapper (torch): models that carry state over time.

``RecurrentNetwork`` turns the padded ``[B*T, ...]`` rows a policy passes in (``T`` =
``max_seq_len`` padding, one row of ``seq_lens`` per sequence) into ``[B, T, ...]`` and calls
``forward_rnn(inputs, state, seq_lens)``, then flattens the outputs back to ``[B*T, ...]``.
``LSTMWrapper`` is what ``use_lstm=True`` puts around any model: the wrapped model (built with
``num_outputs=None``) produces features, optionally concatenated with the one-hot previous action
(``lstm_use_prev_action``) and previous reward (``lstm_use_prev_reward``), which feed an LSTM of
``lstm_cell_size`` units and then the logits and value heads. The state is ``[h, c]``; the state
returned is the one after each sequence's last valid step (padding does not change it).

Examples:
    >>> add_time_dimension(torch.arange(6.0).reshape(6, 1), torch.tensor([3, 2])).shape
    torch.Size([2, 3, 1])
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np
import torch
import torch.nn as nn

from rlcore.data.view_requirement import ViewRequirement
from rlcore.models.action_dist import one_hot_action_size
from rlcore.models.torch.torch_modelv2 import SlimFC, TorchModelV2, normc_initializer


def add_time_dimension(padded_inputs: torch.Tensor, seq_lens: torch.Tensor, time_major: bool = False) -> torch.Tensor:
    """Reshapes padded ``[B*T, ...]`` rows to ``[B, T, ...]`` (``[T, B, ...]`` if ``time_major``).

    Raises:
        ValueError: when the row count is not a multiple of ``len(seq_lens)``.
    """
    n_seq = int(seq_lens.shape[0])
    rows = int(padded_inputs.shape[0])
    if n_seq == 0 or rows % n_seq != 0:
        raise ValueError(f"{rows} padded rows cannot be split into len(seq_lens)={n_seq} equal sequences")
    out = padded_inputs.reshape((n_seq, rows // n_seq) + tuple(padded_inputs.shape[1:]))
    return out.transpose(0, 1) if time_major else out


class RecurrentNetwork(TorchModelV2):
    """Base for recurrent models: implement ``forward_rnn(inputs [B, T, F], state, seq_lens)``
    returning ``(outputs [B, T, num_outputs], new_state)``.

    ``seq_lens=None`` means one step per row (``T = 1``), as when computing actions.
    """

    def forward(self, input_dict, state, seq_lens):
        flat_inputs = input_dict["obs_flat"].float()
        if seq_lens is None:
            seq_lens = torch.ones(flat_inputs.shape[0], dtype=torch.int64, device=flat_inputs.device)
        inputs = add_time_dimension(flat_inputs, seq_lens, self.time_major)
        output, new_state = self.forward_rnn(inputs, state, seq_lens)
        if self.time_major:
            output = output.transpose(0, 1)
        return output.reshape(-1, self.num_outputs), new_state

    def forward_rnn(self, inputs: torch.Tensor, state: List[torch.Tensor], seq_lens: torch.Tensor):
        """Runs the recurrent part on ``[B, T, F]`` inputs; subclasses implement it."""
        raise NotImplementedError


def encode_prev_actions(prev_actions: torch.Tensor, action_space: Any) -> torch.Tensor:
    """One-hot (Discrete / MultiDiscrete) or flattened (Box) previous actions, ``[B, size]``.

    Examples:
        >>> import gymnasium as gym
        >>> encode_prev_actions(torch.tensor([2, 0]), gym.spaces.Discrete(3)).tolist()
        [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    import gymnasium as gym

    if isinstance(action_space, gym.spaces.Discrete):
        return nn.functional.one_hot(prev_actions.long().reshape(-1), int(action_space.n)).float()
    if isinstance(action_space, gym.spaces.MultiDiscrete):
        a = prev_actions.long().reshape(-1, len(action_space.nvec))
        return torch.cat([nn.functional.one_hot(a[:, i], int(n)).float() for i, n in enumerate(action_space.nvec)], 1)
    return prev_actions.float().reshape(prev_actions.shape[0], -1)


class LSTMWrapper(RecurrentNetwork, nn.Module):
    """The ``use_lstm`` wrapper: ``ModelCatalog`` builds ``class X(LSTMWrapper, WrappedModel)``.

    The wrapper is an ``nn.Module`` itself (RLlib 1.x), so the wrapped model may be a
    ``TorchModelV2`` that is not one: its layers register with the wrapper.

    Args:
        obs_space, action_space, num_outputs, model_config, name: as ``ModelV2``; reads
            ``lstm_cell_size``, ``max_seq_len``, ``lstm_use_prev_action``, ``lstm_use_prev_reward``.
        **kwargs: Passed to the wrapped model's constructor.
    """

    def __init__(self, obs_space: Any, action_space: Any, num_outputs: Optional[int], model_config: Dict[str, Any], name: str, **kwargs: Any):
        nn.Module.__init__(self)  # before the wrapped model's constructor, which may not call it
        super().__init__(obs_space, action_space, None, model_config, name, **kwargs)
        import gymnasium as gym

        self.cell_size = int(model_config.get("lstm_cell_size", 256))
        self.max_seq_len = int(model_config.get("max_seq_len", 20))
        self.use_prev_action = bool(model_config.get("lstm_use_prev_action", False))
        self.use_prev_reward = bool(model_config.get("lstm_use_prev_reward", False))
        in_size = int(self.num_outputs)
        if self.use_prev_action:
            in_size += one_hot_action_size(action_space)
        if self.use_prev_reward:
            in_size += 1
        self.lstm = nn.LSTM(in_size, self.cell_size, batch_first=not self.time_major)
        self.num_outputs = num_outputs if num_outputs else self.cell_size
        self._logits_branch = SlimFC(self.cell_size, self.num_outputs, initializer=normc_initializer(0.01)) if num_outputs else None
        self._lstm_value_branch = SlimFC(self.cell_size, 1, initializer=normc_initializer(0.01))
        self._lstm_features = None

        state_space = gym.spaces.Box(-1.0, 1.0, (self.cell_size,), np.float32)
        if self.use_prev_action:
            self.view_requirements["prev_actions"] = ViewRequirement("actions", space=action_space, shift=-1)
        if self.use_prev_reward:
            self.view_requirements["prev_rewards"] = ViewRequirement("rewards", shift=-1)
        for i in range(2):
            self.view_requirements[f"state_in_{i}"] = ViewRequirement(
                f"state_out_{i}", space=state_space, shift=-1, batch_repeat_value=self.max_seq_len
            )
            self.view_requirements[f"state_out_{i}"] = ViewRequirement(space=state_space, used_for_compute_actions=False)

    def forward(self, input_dict, state, seq_lens):
        wrapped_out, _ = self._wrapped_forward(input_dict, [], None)
        parts = [wrapped_out.float()]
        if self.use_prev_action:
            if "prev_actions" not in input_dict:
                raise ValueError("lstm_use_prev_action=True but input_dict has no 'prev_actions'")
            parts.append(encode_prev_actions(input_dict["prev_actions"], self.action_space))
        if self.use_prev_reward:
            if "prev_rewards" not in input_dict:
                raise ValueError("lstm_use_prev_reward=True but input_dict has no 'prev_rewards'")
            parts.append(input_dict["prev_rewards"].float().reshape(-1, 1))
        rnn_input = dict(input_dict)
        rnn_input["obs_flat"] = torch.cat(parts, dim=1)
        return RecurrentNetwork.forward(self, rnn_input, state, seq_lens)

    def forward_rnn(self, inputs, state, seq_lens):
        if len(state) != 2:
            raise ValueError(f"LSTMWrapper needs 2 state tensors [h, c], got {len(state)}")
        lengths = torch.clamp(seq_lens.detach().to("cpu", torch.int64), min=1)
        total = inputs.shape[0] if self.time_major else inputs.shape[1]
        packed = nn.utils.rnn.pack_padded_sequence(inputs, lengths, batch_first=not self.time_major, enforce_sorted=False)
        out, (h, c) = self.lstm(packed, (state[0].float().unsqueeze(0), state[1].float().unsqueeze(0)))
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=not self.time_major, total_length=total)
        self._lstm_features = out
        logits = self._logits_branch(out) if self._logits_branch is not None else out
        return logits, [h.squeeze(0), c.squeeze(0)]

    def value_function(self):
        if self._lstm_features is None:
            raise ValueError("value_function() called before the model's first forward pass")
        features = self._lstm_features.transpose(0, 1) if self.time_major else self._lstm_features
        return self._lstm_value_branch(features).reshape(-1)

    def get_initial_state(self):
        return [np.zeros(self.cell_size, np.float32), np.zeros(self.cell_size, np.float32)]


__all__ = ["LSTMWrapper", "RecurrentNetwork", "add_time_dimension", "encode_prev_actions"]

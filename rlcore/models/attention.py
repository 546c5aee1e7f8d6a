"""Attention nets (GTrXL): the framework-free part, the options and the memory layout.

``use_attention=True`` wraps a model in an ``AttentionWrapper`` (``rlcore.models.torch.attention_net``
or ``rlcore.models.tf.attention_net``): the wrapped model's features go through a gated
Transformer-XL (GTrXL, Parisotto et al. 2019, "Stabilizing Transformers for Reinforcement
Learning") of ``attention_num_transformer_units`` units, then the logits and value heads, as in
RLlib 1.x. :class:`AttentionOptions` reads and checks the ``attention_*`` keys of the model config.

**Memory as RNN state.** Each transformer unit attends over its own inputs of the past steps
(its *memory*) plus the current segment. RLlib 1.x kept one ``[attention_dim]`` row per step in
``state_out_i`` and rebuilt the memory with a view requirement (``shift="-50:-1"``). Here the
memory itself is the state: ``state_in_i`` / ``state_out_i`` are ``[memory, attention_dim]`` per
row (``memory = max(attention_memory_inference, attention_memory_training)``), the last inputs of
unit ``i``, oldest first, zeros before the episode start. It moves through the policy's
recurrent path like an LSTM state (one initial state per training sequence), and gives the same
outputs as 1.x's views: inference attends over the last ``attention_memory_inference`` rows,
training (``is_training``) over the last ``attention_memory_training`` rows before each sequence.
The cost is memory: each collected row carries ``memory * attention_dim`` floats per unit.

Examples:
    >>> opts = AttentionOptions.from_config({"attention_dim": 16, "attention_memory_inference": 4,
    ...                                      "attention_memory_training": 6, "max_seq_len": 5})
    >>> opts.memory, opts.memory_for(is_training=False), opts.memory_for(is_training=True)
    (6, 4, 6)
    >>> [s.shape for s in opts.initial_state()]
    [(6, 16)]
    >>> AttentionOptions.from_config({"attention_dim": 15})
    Traceback (most recent call last):
    ...
    ValueError: model_config['attention_dim']=15: expected an even int >= 2 (the sinusoid position encoding has sin and cos halves)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Mapping

import numpy as np

from rlcore.data.view_requirement import ViewRequirement

__all__ = ["AttentionOptions", "CONFIG_KEYS", "PrevInputs"]

#: ``model_config`` key -> ``GTrXLNet`` keyword argument (RLlib 1.x's names on both sides).
CONFIG_KEYS = {
    "attention_num_transformer_units": "num_transformer_units",
    "attention_dim": "attention_dim",
    "attention_num_heads": "num_heads",
    "attention_head_dim": "head_dim",
    "attention_memory_inference": "memory_inference",
    "attention_memory_training": "memory_training",
    "attention_position_wise_mlp_dim": "position_wise_mlp_dim",
    "attention_init_gru_gate_bias": "init_gru_gate_bias",
}

_DEFAULTS = {"num_transformer_units": 1, "attention_dim": 64, "num_heads": 2, "head_dim": 32,
             "memory_inference": 50, "memory_training": 50, "position_wise_mlp_dim": 32,
             "init_gru_gate_bias": 2.0}


def _positive_int(value: Any, key: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"model_config[{key!r}]={value!r}: expected an int >= {minimum}")
    return int(value)


@dataclass(frozen=True)
class AttentionOptions:
    """The GTrXL sizes (checked); see the module docstring for the memory layout.

    Attributes:
        num_transformer_units: Transformer units stacked (``L`` in the GTrXL paper).
        attention_dim: Width of every unit's input and output.
        num_heads: Attention heads per unit.
        head_dim: Width of one head.
        memory_inference: Past steps each unit attends to when computing actions.
        memory_training: Past steps before a training sequence each unit attends to.
        position_wise_mlp_dim: Hidden width of the position-wise MLP of a unit.
        init_gru_gate_bias: Initial bias of the GRU gates (larger: closer to the identity).
        max_seq_len: The training sequence length (``model_config["max_seq_len"]``).
    """

    num_transformer_units: int = 1
    attention_dim: int = 64
    num_heads: int = 2
    head_dim: int = 32
    memory_inference: int = 50
    memory_training: int = 50
    position_wise_mlp_dim: int = 32
    init_gru_gate_bias: float = 2.0
    max_seq_len: int = 20

    def __post_init__(self) -> None:
        keys = {v: k for k, v in CONFIG_KEYS.items()}
        for name in ("num_transformer_units", "num_heads", "head_dim", "memory_inference", "memory_training",
                     "position_wise_mlp_dim"):
            object.__setattr__(self, name, _positive_int(getattr(self, name), keys[name]))
        object.__setattr__(self, "max_seq_len", _positive_int(self.max_seq_len, "max_seq_len"))
        dim = self.attention_dim
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 2 or dim % 2:
            raise ValueError(f"model_config['attention_dim']={dim!r}: expected an even int >= 2 (the sinusoid "
                             "position encoding has sin and cos halves)")
        object.__setattr__(self, "attention_dim", int(dim))
        bias = self.init_gru_gate_bias
        if isinstance(bias, bool) or not isinstance(bias, (int, float, np.number)):
            raise ValueError(f"model_config['attention_init_gru_gate_bias']={bias!r}: expected a number")
        object.__setattr__(self, "init_gru_gate_bias", float(bias))

    @classmethod
    def from_config(cls, model_config: Mapping[str, Any], **overrides: Any) -> "AttentionOptions":
        """The options of a model config's ``attention_*`` keys (defaults for missing ones),
        with ``overrides`` given by ``GTrXLNet``'s keyword names."""
        kwargs: Dict[str, Any] = dict(_DEFAULTS)
        for key, name in CONFIG_KEYS.items():
            if key in model_config:
                kwargs[name] = model_config[key]
        kwargs["max_seq_len"] = model_config.get("max_seq_len", 20)
        kwargs.update(overrides)
        return cls(**kwargs)

    @property
    def memory(self) -> int:
        """Rows of memory kept per unit in the state (enough for inference and training)."""
        return max(self.memory_inference, self.memory_training)

    def memory_for(self, is_training: bool) -> int:
        """How many of the newest memory rows the units attend to."""
        return self.memory_training if is_training else self.memory_inference

    def check_state(self, state: List[Any]) -> None:
        """Raises a ``ValueError`` unless ``state`` holds one memory per unit."""
        if len(state) != self.num_transformer_units:
            raise ValueError(f"GTrXLNet needs {self.num_transformer_units} memory state tensors "
                             f"[B, {self.memory}, {self.attention_dim}] (one per unit), got {len(state)}")

    def initial_state(self) -> List[np.ndarray]:
        """One zero memory ``[memory, attention_dim]`` per unit."""
        return [np.zeros((self.memory, self.attention_dim), np.float32) for _ in range(self.num_transformer_units)]

    def view_requirements(self) -> Dict[str, ViewRequirement]:
        """``state_in_i`` (the previous step's ``state_out_i``, one per training sequence) and
        ``state_out_i`` for each unit's memory."""
        import gymnasium as gym

        space = gym.spaces.Box(-np.inf, np.inf, (self.memory, self.attention_dim), np.float32)
        out = {}
        for i in range(self.num_transformer_units):
            out[f"state_in_{i}"] = ViewRequirement(f"state_out_{i}", space=space, shift=-1,
                                                   batch_repeat_value=self.max_seq_len)
            out[f"state_out_{i}"] = ViewRequirement(space=space, used_for_compute_actions=False)
        return out


@dataclass(frozen=True)
class PrevInputs:
    """The ``attention_use_n_prev_actions`` / ``attention_use_n_prev_rewards`` of a model config:
    what the ``AttentionWrapper`` adds to the wrapped model's features before the GTrXL (the last
    ``n_actions`` actions one-hot or flattened, the last ``n_rewards`` rewards).

    Examples:
        >>> import gymnasium as gym
        >>> prev = PrevInputs.from_config({"attention_use_n_prev_actions": 3, "attention_use_n_prev_rewards": 1},
        ...                               gym.spaces.Discrete(2))
        >>> prev.input_space(8).shape, prev.view_requirements(gym.spaces.Discrete(2))["prev_actions"].shift
        ((15,), '-3:-1')
    """

    n_actions: int = 0
    n_rewards: int = 0
    action_size: int = 0

    @classmethod
    def from_config(cls, model_config: Mapping[str, Any], action_space: Any) -> "PrevInputs":
        from rlcore.models.action_dist import one_hot_action_size

        key_a, key_r = "attention_use_n_prev_actions", "attention_use_n_prev_rewards"
        n_actions = _positive_int(model_config.get(key_a) or 0, key_a, minimum=0)
        n_rewards = _positive_int(model_config.get(key_r) or 0, key_r, minimum=0)
        return cls(n_actions, n_rewards, one_hot_action_size(action_space, key_a) if n_actions else 0)

    def input_space(self, feature_size: int) -> Any:
        """The GTrXL's input: the features, then the previous actions, then the previous rewards."""
        import gymnasium as gym

        width = int(feature_size) + self.n_actions * self.action_size + self.n_rewards
        return gym.spaces.Box(-np.inf, np.inf, (width,), np.float32)

    def view_requirements(self, action_space: Any) -> Dict[str, ViewRequirement]:
        """``prev_actions`` / ``prev_rewards`` views: ``shift=-1`` for one step, ``"-n:-1"`` for ``n``."""
        out = {}
        for key, col, n in (("prev_actions", "actions", self.n_actions), ("prev_rewards", "rewards", self.n_rewards)):
            if n:
                out[key] = ViewRequirement(col, space=action_space if col == "actions" else None,
                                           shift=-1 if n == 1 else f"-{n}:-1")
        return out

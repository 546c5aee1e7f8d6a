"""RecurrentNetwork and LSTMWrapper (TF2 / Keras 3): models that carry state over time.

Same contract as ``rlcore.models.torch.recurrent_net``: padded ``[B*T, ...]`` rows plus
``seq_lens`` are reshaped to ``[B, T, ...]`` for ``forward_rnn``; ``LSTMWrapper`` (``use_lstm``)
feeds the wrapped model's features (plus one-hot previous action / previous reward when
configured) through a Keras LSTM masked by ``seq_lens``, so the returned ``[h, c]`` is the state
after each sequence's last valid step. Layers are built in ``__init__`` so ``variables()`` is
complete before the first call; everything runs eagerly or inside ``tf.function``.

Examples:
    >>> tuple(add_time_dimension(tf.reshape(tf.range(6.0), [6, 1]), tf.constant([3, 2])).shape)
    (2, 3, 1)
"""

from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

from rlcore.data.view_requirement import ViewRequirement
from rlcore.models.action_dist import one_hot_action_size
from rlcore.models.tf.tf_modelv2 import TFModelV2, keras, normc_initializer, tf


def add_time_dimension(padded_inputs: Any, seq_lens: Any, time_major: bool = False) -> Any:
    """Reshapes padded ``[B*T, ...]`` rows to ``[B, T, ...]`` (``[T, B, ...]`` if ``time_major``)."""
    n_seq = tf.shape(seq_lens)[0]
    rows = tf.shape(padded_inputs)[0]
    tf.debugging.assert_equal(rows % n_seq, 0, message="padded rows are not a multiple of len(seq_lens)")
    new_shape = tf.concat([[n_seq, rows // n_seq], tf.shape(padded_inputs)[1:]], axis=0)
    out = tf.reshape(padded_inputs, new_shape)
    if time_major:
        perm = [1, 0] + list(range(2, len(padded_inputs.shape)))
        out = tf.transpose(out, perm)
    return out


class RecurrentNetwork(TFModelV2):
    """Base for recurrent models: implement ``forward_rnn(inputs [B, T, F], state, seq_lens)``
    returning ``(outputs [B, T, num_outputs], new_state)``. ``seq_lens=None`` means ``T = 1``.
    """

    def forward(self, input_dict, state, seq_lens):
        flat_inputs = tf.cast(input_dict["obs_flat"], tf.float32)
        if seq_lens is None:
            seq_lens = tf.ones(tf.shape(flat_inputs)[:1], dtype=tf.int32)
        inputs = add_time_dimension(flat_inputs, seq_lens, self.time_major)
        output, new_state = self.forward_rnn(inputs, state, seq_lens)
        if self.time_major:
            output = tf.transpose(output, [1, 0, 2])
        return tf.reshape(output, [-1, self.num_outputs]), new_state

    def forward_rnn(self, inputs: Any, state: list, seq_lens: Any):
        """Runs the recurrent part on ``[B, T, F]`` inputs; subclasses implement it."""
        raise NotImplementedError


def encode_prev_actions(prev_actions: Any, action_space: Any) -> Any:
    """One-hot (Discrete / MultiDiscrete) or flattened (Box) previous actions, ``[B, size]``.

    Examples:
        >>> import gymnasium as gym
        >>> encode_prev_actions(tf.constant([2, 0]), gym.spaces.Discrete(3)).numpy().tolist()
        [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    import gymnasium as gym

    if isinstance(action_space, gym.spaces.Discrete):
        return tf.one_hot(tf.reshape(tf.cast(prev_actions, tf.int32), [-1]), int(action_space.n), dtype=tf.float32)
    if isinstance(action_space, gym.spaces.MultiDiscrete):
        a = tf.reshape(tf.cast(prev_actions, tf.int32), [-1, len(action_space.nvec)])
        return tf.concat([tf.one_hot(a[:, i], int(n), dtype=tf.float32) for i, n in enumerate(action_space.nvec)], axis=1)
    return tf.reshape(tf.cast(prev_actions, tf.float32), [tf.shape(prev_actions)[0], -1])


class LSTMWrapper(RecurrentNetwork):
    """The ``use_lstm`` wrapper: ``ModelCatalog`` builds ``class X(LSTMWrapper, WrappedModel)``.

    Args:
        obs_space, action_space, num_outputs, model_config, name: as ``ModelV2``; reads
            ``lstm_cell_size``, ``max_seq_len``, ``lstm_use_prev_action``, ``lstm_use_prev_reward``.
        **kwargs: Passed to the wrapped model's constructor.
    """

    def __init__(self, obs_space: Any, action_space: Any, num_outputs: Optional[int], model_config: Dict[str, Any], name: str, **kwargs: Any):
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
        self.lstm = keras.layers.LSTM(self.cell_size, return_sequences=True, return_state=True, name="lstm")
        self.lstm.build((None, None, in_size))
        self.num_outputs = num_outputs if num_outputs else self.cell_size
        self._logits_branch = None
        if num_outputs:
            self._logits_branch = keras.layers.Dense(num_outputs, activation=None, kernel_initializer=normc_initializer(0.01), name="logits")
            self._logits_branch.build((None, self.cell_size))
        self._lstm_value_branch = keras.layers.Dense(1, activation=None, kernel_initializer=normc_initializer(0.01), name="values")
        self._lstm_value_branch.build((None, self.cell_size))
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
        parts = [tf.cast(wrapped_out, tf.float32)]
        if self.use_prev_action:
            if "prev_actions" not in input_dict:
                raise ValueError("lstm_use_prev_action=True but input_dict has no 'prev_actions'")
            parts.append(encode_prev_actions(input_dict["prev_actions"], self.action_space))
        if self.use_prev_reward:
            if "prev_rewards" not in input_dict:
                raise ValueError("lstm_use_prev_reward=True but input_dict has no 'prev_rewards'")
            parts.append(tf.reshape(tf.cast(input_dict["prev_rewards"], tf.float32), [-1, 1]))
        rnn_input = dict(input_dict)
        rnn_input["obs_flat"] = tf.concat(parts, axis=1)
        return RecurrentNetwork.forward(self, rnn_input, state, seq_lens)

    def forward_rnn(self, inputs, state, seq_lens):
        if len(state) != 2:
            raise ValueError(f"LSTMWrapper needs 2 state tensors [h, c], got {len(state)}")
        batch_major = tf.transpose(inputs, [1, 0, 2]) if self.time_major else inputs
        mask = tf.sequence_mask(tf.maximum(seq_lens, 1), maxlen=tf.shape(batch_major)[1])
        out, h, c = self.lstm(batch_major, mask=mask, initial_state=[tf.cast(state[0], tf.float32), tf.cast(state[1], tf.float32)])
        out = out * tf.cast(tf.expand_dims(mask, -1), out.dtype)  # zero outputs at padded steps (as torch)
        self._lstm_features = out
        logits = self._logits_branch(out) if self._logits_branch is not None else out
        if self.time_major:
            logits = tf.transpose(logits, [1, 0, 2])
        return logits, [h, c]

    def value_function(self):
        if self._lstm_features is None:
            raise ValueError("value_function() called before the model's first forward pass")
        return tf.reshape(self._lstm_value_branch(self._lstm_features), [-1])

    def get_initial_state(self):
        return [np.zeros(self.cell_size, np.float32), np.zeros(self.cell_size, np.float32)]


__all__ = ["LSTMWrapper", "RecurrentNetwork", "add_time_dimension", "encode_prev_actions"]

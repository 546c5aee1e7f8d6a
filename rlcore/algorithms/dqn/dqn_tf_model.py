"""DQNTFModel: the Q head of DQN over any TF2 base model (RLlib 1.x ``DistributionalQTFModel``).

The same head as :mod:`~rlcore.algorithms.dqn.dqn_torch_model` in Keras 3 layers, used as a
``model_interface`` ahead of the base network: an advantage branch (``q_hiddens`` dense or noisy
layers, optional LayerNorm, then ``num_actions * num_atoms`` units; the base output itself with
no ``q_hiddens``) and, with ``dueling``, a value branch ending in ``num_atoms`` units. The
branches are Keras functional models built in the constructor, so their variables exist before
any ``tf.function`` runs.

Examples:
    >>> import gymnasium as gym, numpy as np
    >>> from rlcore.models.catalog import ModelCatalog
    >>> m = ModelCatalog.get_model_v2(gym.spaces.Box(-1, 1, (4,)), gym.spaces.Discrete(2), 8,
    ...     {"fcnet_hiddens": [8], "no_final_linear": True}, "tf2", model_interface=DQNTFModel,
    ...     name="q", q_hiddens=[16], num_atoms=3, dueling=True)
    >>> out, _ = m({"obs": np.zeros((5, 4), np.float32)})
    >>> scores, z, support_logits, logits, probs = m.get_q_value_distributions(out)
    >>> tuple(scores.shape), tuple(z.shape), tuple(logits.shape), tuple(m.get_state_value(out).shape)
    ((5, 2), (3,), (5, 2, 3), (5, 3))
"""

from __future__ import annotations

import math
from typing import Any, Dict, Optional, Sequence

import numpy as np

from rlcore.models.tf.tf_modelv2 import TFModelV2, keras, tf

__all__ = ["DQNTFModel", "NoisyDense"]


class NoisyDense(keras.layers.Layer):
    """A dense layer with factorised Gaussian noise, drawn anew on every call (RLlib 1.x's
    ``noisy_layer``): ``w = mu_w + sigma_w * f(e_in) f(e_out)^T``, ``f(x) = sign(x) sqrt(|x|)``.

    Examples:
        >>> layer = NoisyDense(2, sigma0=0.5, activation="relu")
        >>> tuple(layer(np.ones((4, 3), np.float32)).shape)
        (4, 2)
    """

    def __init__(self, units: int, sigma0: float, activation: Optional[str] = "relu", **kwargs: Any):
        super().__init__(**kwargs)
        if activation not in (None, "linear", "relu"):
            raise ValueError(f"NoisyDense activation={activation!r}: expected None, 'linear' or 'relu'")
        self.units, self.sigma0, self.relu = int(units), float(sigma0), activation == "relu"

    def build(self, input_shape: Any) -> None:
        in_size = int(input_shape[-1])
        bound = 1.0 / math.sqrt(in_size)
        uniform = keras.initializers.RandomUniform(-bound, bound)
        sigma = keras.initializers.Constant(self.sigma0 / math.sqrt(in_size))
        self.w_mu = self.add_weight(shape=(in_size, self.units), initializer=uniform, name="w_mu")
        self.b_mu = self.add_weight(shape=(self.units,), initializer=uniform, name="b_mu")
        self.w_sigma = self.add_weight(shape=(in_size, self.units), initializer=sigma, name="w_sigma")
        self.b_sigma = self.add_weight(shape=(self.units,), initializer=sigma, name="b_sigma")
        self.in_size = in_size

    @staticmethod
    def _f(x: Any) -> Any:
        return tf.sign(x) * tf.sqrt(tf.abs(x))

    def call(self, x: Any) -> Any:
        eps_in = self._f(tf.random.normal([self.in_size]))
        eps_out = self._f(tf.random.normal([self.units]))
        w = self.w_mu + self.w_sigma * (eps_in[:, None] * eps_out[None, :])
        out = tf.matmul(x, w) + self.b_mu + self.b_sigma * eps_out
        return tf.nn.relu(out) if self.relu else out

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape[:-1]) + (self.units,)


def _branch(ins: int, hiddens: Sequence[int], out: int, *, noisy: bool, sigma0: float, layer_norm: bool,
            activation: str, prefix: str, name: str) -> Any:
    inputs = keras.layers.Input(shape=(ins,), name=f"{name}_{prefix}_in")
    last = inputs
    for i, n in enumerate(hiddens):
        if noisy:
            last = NoisyDense(n, sigma0, activation="relu", name=f"{name}_{prefix}_noisy_{i}")(last)
        else:
            last = keras.layers.Dense(n, activation=activation, name=f"{name}_{prefix}_hidden_{i}")(last)
        if layer_norm:
            last = keras.layers.LayerNormalization(name=f"{name}_LayerNorm_{prefix}_{i}")(last)
    if noisy:
        last = NoisyDense(out, sigma0, activation=None, name=f"{name}_{prefix}_out")(last)
    else:
        last = keras.layers.Dense(out, activation=None, name=f"{name}_{prefix}_out")(last)
    return keras.Model(inputs, last, name=f"{name}_{prefix}_branch")


class DQNTFModel(TFModelV2):
    """The DQN Q head for TF2; the arguments are :class:`~rlcore.algorithms.dqn.dqn_torch_model.DQNTorchModel`'s."""

    def __init__(self, obs_space: Any, action_space: Any, num_outputs: int, model_config: Dict[str, Any], name: str,
                 *, q_hiddens: Sequence[int] = (256,), dueling: bool = False, dueling_activation: str = "relu",
                 num_atoms: int = 1, use_noisy: bool = False, v_min: float = -10.0, v_max: float = 10.0,
                 sigma0: float = 0.5, add_layer_norm: bool = False):
        super().__init__(obs_space, action_space, num_outputs, model_config, name)
        self.action_dim = int(action_space.n)
        self.q_hiddens = list(q_hiddens)
        self.dueling = bool(dueling)
        self.num_atoms = int(num_atoms)
        self.v_min, self.v_max = float(v_min), float(v_max)
        ins = int(self.num_outputs)
        if self.q_hiddens:
            self.advantage_module = _branch(ins, self.q_hiddens, self.action_dim * self.num_atoms, noisy=use_noisy,
                                            sigma0=sigma0, layer_norm=add_layer_norm, activation=dueling_activation,
                                            prefix="A", name=name)
        else:
            if ins != self.action_dim * self.num_atoms:
                raise ValueError(f"hiddens=[]: the base model's output ({ins} units) is used as the action scores; "
                                 f"expected num_actions * num_atoms = {self.action_dim * self.num_atoms} units")
            self.advantage_module = None
        self.value_module = None
        if self.dueling:
            self.value_module = _branch(ins, self.q_hiddens, self.num_atoms, noisy=use_noisy, sigma0=sigma0,
                                        layer_norm=add_layer_norm, activation=dueling_activation, prefix="V",
                                        name=name)
        self.z_support = np.linspace(self.v_min, self.v_max, self.num_atoms).astype(np.float32) \
            if self.num_atoms > 1 else np.zeros(1, np.float32)

    def get_q_value_distributions(self, model_out: Any):
        """``(action_scores, logits, probs)``, or ``(action_scores, z, support_logits_per_action,
        logits, probs)`` for ``num_atoms > 1`` (RLlib 1.x)."""
        action_scores = model_out if self.advantage_module is None else self.advantage_module(model_out)
        if self.num_atoms > 1:
            z = tf.constant(self.z_support)
            logits = tf.reshape(action_scores, [-1, self.action_dim, self.num_atoms])
            probs = tf.nn.softmax(logits)
            return tf.reduce_sum(z * probs, axis=-1), z, logits, logits, probs
        logits = tf.expand_dims(tf.ones_like(action_scores), -1)
        return action_scores, logits, logits

    def get_state_value(self, model_out: Any) -> Any:
        """The value branch's output, ``[B, num_atoms]`` (dueling only)."""
        if self.value_module is None:
            raise ValueError("get_state_value: this Q model was built with dueling=False (no value branch)")
        return self.value_module(model_out)

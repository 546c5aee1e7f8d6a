"""SACTFModel: SAC's policy network, Q network(s) and entropy coefficient in TF2 (RLlib 1.x ``sac_tf_model.py``).

The same networks as :class:`~rlcore.algorithms.sac.sac_torch_model.SACTorchModel`, as Keras
models (glorot-uniform kernels, zero biases), with the variables in the same order: the policy
network's, the Q network's, the twin's, then ``log_alpha``.

Examples:
    >>> import gymnasium as gym
    >>> m = SACTFModel(gym.spaces.Box(-1, 1, (3,)), gym.spaces.Discrete(2), None, {}, "sac",
    ...                policy_model_config={"fcnet_hiddens": [8]}, q_model_config={"fcnet_hiddens": [8]},
    ...                twin_q=False, initial_alpha=0.5, target_entropy=0.5)
    >>> out, _ = m({"obs": np.zeros((4, 3), np.float32)})
    >>> tuple(m.get_policy_output(out).shape), tuple(m.get_q_values(out).shape)
    ((4, 2), (4, 2))
    >>> len(m.policy_variables()), len(m.q_variables()), round(float(tf.exp(m.log_alpha)), 3)
    (4, 4, 0.5)
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Sequence

import gymnasium as gym
import numpy as np

from rlcore.models.tf.tf_modelv2 import TFModelV2, keras, tf

__all__ = ["SACTFModel", "keras_mlp"]


def keras_mlp(ins: int, hiddens: Sequence[int], out: int, activation: Optional[str], name: str) -> Any:
    """A Keras model ``ins -> hiddens (activation) -> out (linear)``, built.

    Examples:
        >>> tuple(keras_mlp(3, [4], 2, "relu", "m")(np.zeros((1, 3), np.float32)).shape)
        (1, 2)
    """
    from rlcore.models.tf.tf_modelv2 import get_activation_fn

    act = get_activation_fn(activation)
    inputs = keras.layers.Input(shape=(int(ins),), name=f"{name}_in")
    last = inputs
    for i, size in enumerate(hiddens):
        last = keras.layers.Dense(int(size), activation=act, name=f"{name}_hidden_{i}")(last)
    last = keras.layers.Dense(int(out), activation=None, name=f"{name}_out")(last)
    return keras.Model(inputs, last, name=name)


class SACTFModel(TFModelV2):
    """See the module docstring; arguments as ``SACTorchModel``."""

    def __init__(self, obs_space: Any, action_space: Any, num_outputs: Optional[int], model_config: Dict[str, Any],
                 name: str, *, policy_model_config: Dict[str, Any], q_model_config: Dict[str, Any],
                 twin_q: bool = True, initial_alpha: float = 1.0, target_entropy: float = 0.0):
        obs_dim = int(np.prod(obs_space.shape))
        super().__init__(obs_space, action_space, obs_dim, model_config, name)
        self.discrete = isinstance(action_space, gym.spaces.Discrete)
        self.action_dim = int(action_space.n) if self.discrete else int(np.prod(action_space.shape))
        action_outs = self.action_dim if self.discrete else 2 * self.action_dim
        q_ins, q_outs = (obs_dim, self.action_dim) if self.discrete else (obs_dim + self.action_dim, 1)
        self.action_model = keras_mlp(obs_dim, policy_model_config.get("fcnet_hiddens", [256, 256]), action_outs,
                                      policy_model_config.get("fcnet_activation", "relu"), f"{name}_policy")
        q_hiddens, q_act = q_model_config.get("fcnet_hiddens", [256, 256]), q_model_config.get("fcnet_activation", "relu")
        self.q_net = keras_mlp(q_ins, q_hiddens, q_outs, q_act, f"{name}_q")
        self.twin_q_net = keras_mlp(q_ins, q_hiddens, q_outs, q_act, f"{name}_twin_q") if twin_q else None
        self.log_alpha = tf.Variable(math.log(initial_alpha), dtype=tf.float32, name=f"{name}_log_alpha")
        self.target_entropy = tf.constant(float(target_entropy), dtype=tf.float32)

    def forward(self, input_dict: Dict[str, Any], state: List[Any], seq_lens: Any):
        return input_dict["obs_flat"], state

    def get_policy_output(self, model_out: Any) -> Any:
        """The action distribution's inputs (Box: mean ‖ log-std; Discrete: logits)."""
        return self.action_model(model_out)

    def _q(self, net: Any, model_out: Any, actions: Any) -> Any:
        if self.discrete or actions is None:
            return net(model_out)
        actions = tf.reshape(tf.cast(actions, model_out.dtype), [-1, self.action_dim])
        return net(tf.concat([model_out, actions], axis=-1))

    def get_q_values(self, model_out: Any, actions: Any = None) -> Any:
        """``[B, 1]`` Q-values of ``actions`` (Box), or ``[B, n]`` of every action (Discrete)."""
        return self._q(self.q_net, model_out, actions)

    def get_twin_q_values(self, model_out: Any, actions: Any = None) -> Any:
        """As :meth:`get_q_values`, from the twin Q network."""
        if self.twin_q_net is None:
            raise ValueError(f"{self.name}: get_twin_q_values needs twin_q=True")
        return self._q(self.twin_q_net, model_out, actions)

    def policy_variables(self) -> List[Any]:
        """The policy network's variables."""
        return list(self.action_model.trainable_variables)

    def q_variables(self) -> List[Any]:
        """The Q network's variables, then the twin's."""
        twin = list(self.twin_q_net.trainable_variables) if self.twin_q_net is not None else []
        return list(self.q_net.trainable_variables) + twin

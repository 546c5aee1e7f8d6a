"""DDPGTFModel: DDPG/TD3's deterministic actor and Q network(s) in TF2 (RLlib 1.x ``ddpg_tf_model.py``).

The same networks as :class:`~rlcore.algorithms.ddpg.ddpg_torch_model.DDPGTorchModel`, as Keras
models with the variables in the same order (actor, Q network, twin).

Examples:
    >>> import gymnasium as gym
    >>> m = DDPGTFModel(gym.spaces.Box(-1, 1, (3,)), gym.spaces.Box(0, 1, (2,)), None, {}, "ddpg",
    ...                 actor_hiddens=[8], critic_hiddens=[8], low=np.zeros(2, np.float32), high=np.ones(2, np.float32))
    >>> out, _ = m({"obs": np.zeros((4, 3), np.float32)})
    >>> a = m.get_policy_output(out)
    >>> tuple(a.shape), bool(tf.reduce_all((a >= 0) & (a <= 1))), len(m.q_variables(as_dict=True))
    ((4, 2), True, 4)
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from rlcore.algorithms.sac.sac_tf_model import keras_mlp
from rlcore.models.tf.tf_modelv2 import TFModelV2, tf

__all__ = ["DDPGTFModel"]


class DDPGTFModel(TFModelV2):
    """See the module docstring; arguments as ``DDPGTorchModel``."""

    def __init__(self, obs_space: Any, action_space: Any, num_outputs: Optional[int], model_config: Dict[str, Any],
                 name: str, *, actor_hiddens: Sequence[int] = (400, 300), actor_hidden_activation: str = "relu",
                 critic_hiddens: Sequence[int] = (400, 300), critic_hidden_activation: str = "relu",
                 twin_q: bool = False, low: Any = -1.0, high: Any = 1.0):
        obs_dim = int(np.prod(obs_space.shape))
        super().__init__(obs_space, action_space, obs_dim, model_config, name)
        self.action_dim = int(np.prod(action_space.shape))
        self.policy_model = keras_mlp(obs_dim, actor_hiddens, self.action_dim, actor_hidden_activation, f"{name}_actor")
        q_ins = obs_dim + self.action_dim
        self.q_model = keras_mlp(q_ins, critic_hiddens, 1, critic_hidden_activation, f"{name}_q")
        self.twin_q_model = keras_mlp(q_ins, critic_hiddens, 1, critic_hidden_activation, f"{name}_twin_q") \
            if twin_q else None
        low = np.broadcast_to(np.asarray(low, np.float32), (self.action_dim,))
        high = np.broadcast_to(np.asarray(high, np.float32), (self.action_dim,))
        self.action_low = tf.constant(low)
        self.action_range = tf.constant(high - low)

    def forward(self, input_dict: Dict[str, Any], state: List[Any], seq_lens: Any):
        return input_dict["obs_flat"], state

    def get_policy_output(self, model_out: Any) -> Any:
        """The actor's actions, inside the bounds."""
        return self.action_low + self.action_range * tf.sigmoid(2.0 * self.policy_model(model_out))

    def _q(self, net: Any, model_out: Any, actions: Any) -> Any:
        actions = tf.reshape(tf.cast(actions, model_out.dtype), [-1, self.action_dim])
        return net(tf.concat([model_out, actions], axis=-1))

    def get_q_values(self, model_out: Any, actions: Any) -> Any:
        """``[B, 1]`` Q-values of ``actions``."""
        return self._q(self.q_model, model_out, actions)

    def get_twin_q_values(self, model_out: Any, actions: Any) -> Any:
        """``[B, 1]`` Q-values of ``actions`` from the twin Q network."""
        if self.twin_q_model is None:
            raise ValueError(f"{self.name}: get_twin_q_values needs twin_q=True")
        return self._q(self.twin_q_model, model_out, actions)

    def policy_variables(self, as_dict: bool = False) -> Any:
        """The actor's variables (a list, or ``{path: var}``)."""
        found = list(self.policy_model.trainable_variables)
        return self._as_dict(found) if as_dict else found

    def q_variables(self, as_dict: bool = False) -> Any:
        """The Q network's variables, then the twin's (a list, or ``{path: var}``)."""
        found = list(self.q_model.trainable_variables)
        if self.twin_q_model is not None:
            found += list(self.twin_q_model.trainable_variables)
        return self._as_dict(found) if as_dict else found

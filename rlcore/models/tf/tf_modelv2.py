"""TFModelV2: the ModelV2 base for TensorFlow 2 / Keras 3 models (eager or under tf.function).

A TF model builds its Keras layers/models in ``__init__`` (usually one functional
``self.base_model`` with logits and value outputs, as in RLlib 1.x) and calls them in
``forward``. This base converts numpy inputs to tensors, flattens ``obs`` into ``obs_flat``, and
finds the model's variables itself: every Keras layer/model, ``tf.Variable`` or Keras variable
held in an attribute (or a list/dict attribute), plus any ``register_variables`` ones.
``forward`` must use only TF ops so the model also runs inside ``tf.function``.

Examples:
    >>> import gymnasium as gym
    >>> class Linear(TFModelV2):
    ...     def __init__(self, obs_space, action_space, num_outputs, model_config, name):
    ...         super().__init__(obs_space, action_space, num_outputs, model_config, name)
    ...         inp = tf.keras.layers.Input((3,))
    ...         self.base_model = tf.keras.Model(inp, tf.keras.layers.Dense(num_outputs, name="out")(inp))
    ...     def forward(self, input_dict, state, seq_lens):
    ...         return self.base_model(input_dict["obs_flat"]), state
    >>> m = Linear(gym.spaces.Box(-1, 1, (3,)), gym.spaces.Discrete(2), 2, {}, "lin")
    >>> out, _ = m({"obs": np.zeros((5, 3), np.float32)})
    >>> tuple(out.shape), len(m.variables()), sorted(m.variables(as_dict=True))
    ((5, 2), 2, ['out/bias', 'out/kernel'])
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np

from rlcore.framework import get_activation_fn as framework_activation
from rlcore.framework import try_import_tf
from rlcore.models.modelv2 import ModelV2

tf1, tf, tfv = try_import_tf()
keras = tf.keras


def get_activation_fn(name: Optional[str]) -> Any:
    """The Keras activation for an activation name (``None`` for linear).

    Examples:
        >>> get_activation_fn("relu") is tf.nn.relu, get_activation_fn("linear")
        (True, None)
    """
    return framework_activation(name, framework="tf2")


class NormcInitializer(keras.initializers.Initializer):
    """Draws N(0, 1) and scales each output column to norm ``std`` (RLlib's normc_initializer).

    Examples:
        >>> w = NormcInitializer(2.0)((3, 4))
        >>> np.allclose(np.linalg.norm(w.numpy(), axis=0), 2.0)
        True
    """

    def __init__(self, std: float = 1.0):
        self.std = float(std)

    def __call__(self, shape, dtype=None):
        out = tf.random.normal(shape, dtype=dtype or tf.float32)
        return out * self.std / tf.sqrt(tf.reduce_sum(tf.square(out), axis=0, keepdims=True))

    def get_config(self):
        return {"std": self.std}


def normc_initializer(std: float = 1.0) -> NormcInitializer:
    """Returns a ``NormcInitializer(std)`` (RLlib's name)."""
    return NormcInitializer(std)


def _leaf_tensor(x: Any) -> Any:
    """A tensor of ``x`` (float64 numpy becomes float32)."""
    if tf.is_tensor(x):
        return x
    arr = np.asarray(x)
    return tf.convert_to_tensor(arr.astype(np.float32) if arr.dtype == np.float64 else arr)


def _is_variable(v: Any) -> bool:
    return isinstance(v, (tf.Variable, keras.Variable))


class TFModelV2(ModelV2):
    """ModelV2 for TensorFlow 2 (Keras 3 layers), eager or traced.

    Args:
        obs_space, action_space, num_outputs, model_config, name: as ``ModelV2``.
    """

    def __init__(self, obs_space: Any, action_space: Any, num_outputs: Optional[int], model_config: Dict[str, Any], name: str):
        ModelV2.__init__(self, obs_space, action_space, num_outputs, model_config, name, framework="tf2")
        self.var_list: List[Any] = []

    def register_variables(self, variables: List[Any]) -> None:
        """Adds variables to ``variables()`` (needed only for variables held outside attributes)."""
        self.var_list.extend(variables)

    def _convert_inputs(self, input_dict, state, seq_lens):
        for key in ("obs", "obs_flat"):
            value = input_dict.get(key)
            if value is None or tf.is_tensor(value):
                continue
            if self._is_obs_structure(value):  # leaves keep their dtype (ints get one-hot encoded)
                input_dict[key] = tf.nest.map_structure(_leaf_tensor, value)
            else:
                input_dict[key] = tf.convert_to_tensor(np.asarray(value, np.float32))
        for key in ("prev_actions", "prev_rewards"):
            if key in input_dict and not tf.is_tensor(input_dict[key]):
                arr = np.asarray(input_dict[key])
                input_dict[key] = tf.convert_to_tensor(arr.astype(np.float32) if arr.dtype == np.float64 else arr)
        state = [s if tf.is_tensor(s) else tf.convert_to_tensor(np.asarray(s, np.float32)) for s in state]
        if seq_lens is not None and not tf.is_tensor(seq_lens):
            seq_lens = tf.convert_to_tensor(np.asarray(seq_lens, np.int32))
        return input_dict, state, seq_lens

    def _flatten(self, obs: Any) -> Any:
        if obs.shape[1:].is_fully_defined():  # keeps the static width (Keras layers need it when traced)
            return tf.reshape(obs, [-1, int(np.prod(obs.shape[1:]))])
        return tf.reshape(obs, [tf.shape(obs)[0], -1])

    #: Attributes that never hold variables (skipped when collecting them).
    _NOT_VARIABLES = ("obs_space", "action_space", "model_config", "view_requirements", "_last_output")

    def _collect(self, trainable_only: bool) -> List[Any]:
        """The variables held by this model's attributes, in attribute order, each once.

        Looks into Keras layers and models, ``tf.Module``s, ``tf.Variable``s / Keras variables,
        other ModelV2s (a model delegating to a ``FullyConnectedNetwork``, RLlib 1.x's canonical
        custom model), and lists, tuples and dicts of these, at any depth.
        """
        found: List[Any] = []
        seen = set()
        visited = {id(self)}

        def add(v: Any) -> None:
            if id(v) not in seen:
                seen.add(id(v))
                found.append(v)

        def visit(value: Any) -> None:
            if id(value) in visited:
                return
            if isinstance(value, (keras.layers.Layer, tf.Module)):
                for v in value.trainable_variables if trainable_only else value.variables:
                    add(v)
            elif _is_variable(value):
                if not trainable_only or value.trainable:
                    add(value)
            elif isinstance(value, ModelV2):
                visited.add(id(value))
                visit_attributes(value)
            elif isinstance(value, (list, tuple, dict)):
                visited.add(id(value))
                for item in value.values() if isinstance(value, dict) else value:
                    visit(item)

        def visit_attributes(model: Any) -> None:
            for key, value in vars(model).items():
                if key not in TFModelV2._NOT_VARIABLES:
                    visit(value)

        visit_attributes(self)
        return found

    @staticmethod
    def _as_dict(variables: List[Any]) -> Dict[str, Any]:
        out: Dict[str, Any] = {}
        for v in variables:
            name = getattr(v, "path", None) or v.name
            key, i = name, 1
            while key in out:
                key, i = f"{name}_{i}", i + 1
            out[key] = v
        return out

    def variables(self, as_dict: bool = False) -> Any:
        """All variables, in a stable order (a list, or a ``{path: var}`` dict)."""
        found = self._collect(trainable_only=False)
        return self._as_dict(found) if as_dict else found

    def trainable_variables(self, as_dict: bool = False) -> Any:
        """The trainable variables (a list, or a ``{path: var}`` dict)."""
        found = self._collect(trainable_only=True)
        return self._as_dict(found) if as_dict else found


__all__ = ["NormcInitializer", "TFModelV2", "get_activation_fn", "normc_initializer"]

"""TFModelV2: the ModelV2 base for TensorFlow 2 / Keras 3 models (eager or under tf.function).

A TF model builds its Keras layers/models in ``__init__`` (usually one functional
``self.base_model`` with logits and value outputs, as in RLlib 1.x) and calls them in
``forward``. This base converts numpy inputs to tensors, flattens ``obs`` into ``obs_flat``, and
finds the model's variables itself: every Keras layer/model, ``tf.Module``, ``tf.Variable`` or
Keras variable held in an attribute, in a list/dict attribute or inside another ModelV2 it holds
(at any depth), plus any ``register_variables`` ones. ``import_from_h5`` loads a Keras 3 weights
file into the Keras model that holds all of them.
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
from rlcore.models.state_structure import map_state_leaves

tf1, tf, tfv = try_import_tf()
keras = tf.keras
#: The shape ``[-1]`` as a tensor: eagerly, a Python list shape takes tf.reshape's slower fallback path.
FLAT_SHAPE = tf.constant([-1], dtype=tf.int32)


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


def _state_tensor(x: Any) -> Any:
    """A float32 tensor of one RNN state leaf (tensors as they are)."""
    return x if tf.is_tensor(x) else tf.convert_to_tensor(np.asarray(x, np.float32))


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
        state = [s if tf.is_tensor(s) else map_state_leaves(_state_tensor, s) for s in state]  # nested entries too
        if seq_lens is not None and not tf.is_tensor(seq_lens):
            seq_lens = tf.convert_to_tensor(np.asarray(seq_lens, np.int32))
        return input_dict, state, seq_lens

    def _flatten(self, obs: Any) -> Any:
        if obs.shape.rank == 2 and obs.shape[1] is not None:
            return obs  # already [B, width]: no reshape op
        if obs.shape[1:].is_fully_defined():  # keeps the static width (Keras layers need it when traced)
            return tf.reshape(obs, [-1, int(np.prod(obs.shape[1:]))])
        return tf.reshape(obs, [tf.shape(obs)[0], -1])

    #: Attributes that never hold variables (skipped when collecting them).
    _NOT_VARIABLES = ("obs_space", "action_space", "model_config", "view_requirements", "_last_output",
                      "_eager_steps", "_eager_plan")

    def _held(self) -> List[Any]:
        """The Keras layers and models, ``tf.Module``s and variables this model's attributes hold,
        in attribute order, each once: also inside other ModelV2s (a model delegating to a
        ``FullyConnectedNetwork``, RLlib 1.x's canonical custom model) and lists, tuples and dicts
        of these, at any depth."""
        found: List[Any] = []
        visited = {id(self)}

        def visit(value: Any) -> None:
            if id(value) in visited:
                return
            if isinstance(value, (keras.layers.Layer, tf.Module)) or _is_variable(value):
                visited.add(id(value))
                found.append(value)
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

    def _collect(self, trainable_only: bool) -> List[Any]:
        """The variables of :meth:`_held`, each once."""
        found: List[Any] = []
        seen = set()
        for obj in self._held():
            if _is_variable(obj):
                variables = [obj] if (obj.trainable or not trainable_only) else []
            else:
                variables = obj.trainable_variables if trainable_only else obj.variables
            for v in variables:
                if id(v) not in seen:
                    seen.add(id(v))
                    found.append(v)
        return found

    def import_from_h5(self, h5_file: str) -> None:
        """Loads Keras weights into the model (RLlib 1.x ``import_from_h5``; see
        ``Policy.import_model_from_h5`` / ``Trainer.import_model``).

        The file is what Keras 3 writes with ``model.save_weights("x.weights.h5")``,
        ``model.save("x.keras")`` or ``model.save("x.h5")`` (legacy HDF5) for a Keras model of the
        same layers; it is loaded into the one Keras model that holds all of this model's
        variables (``base_model`` of the default networks). Override this method for a model whose
        variables are spread over several Keras objects (e.g. ``use_lstm`` / ``use_attention``).

        Raises:
            FileNotFoundError: ``h5_file`` does not exist.
            ValueError: not a ``.h5`` / ``.keras`` file, or its weights do not fit the Keras model
                (with Keras' reason).
            NotImplementedError: no single Keras model holds all the variables.
        """
        import os

        path = os.fspath(h5_file)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"import_from_h5: {path!r} does not exist or is not a file")
        if not path.endswith((".h5", ".keras")):
            raise ValueError(f"import_from_h5: {path!r} is not a Keras weights file; expected a .weights.h5 or .h5 "
                             "file (Keras save_weights / save) or a .keras file (Keras save)")
        target = self._keras_model_holding_all_variables()
        try:
            target.load_weights(path)
        except (ValueError, OSError, KeyError, TypeError) as err:
            raise ValueError(f"import_from_h5: the weights in {path!r} do not fit the Keras model {target.name!r} "
                             f"of {type(self).__name__}: {err}") from err

    def _keras_model_holding_all_variables(self) -> Any:
        models = [obj for obj in self._held() if isinstance(obj, keras.Model)]
        wanted = {id(v) for v in self.variables()}
        holding = [m for m in models if wanted <= {id(v) for v in m.variables}]
        if len(holding) != 1:
            names = [m.name for m in models]
            raise NotImplementedError(
                f"{type(self).__name__}.import_from_h5: no single Keras model holds all {len(wanted)} variables of the "
                f"model (Keras models found: {names}); override import_from_h5 to load the file into its parts "
                "(e.g. self.base_model.load_weights(h5_file))")
        return holding[0]

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


__all__ = ["FLAT_SHAPE", "NormcInitializer", "TFModelV2", "get_activation_fn", "normc_initializer"]

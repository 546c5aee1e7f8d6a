"""ModelV2: the framework-neutral interface of a policy's neural network.

A model maps an input dict (``obs``, ``obs_flat``, optional ``prev_actions``/``prev_rewards``),
a list of RNN state tensors and ``seq_lens`` to ``num_outputs`` action-distribution inputs per
row plus the new state, and keeps the value estimate of its last forward pass for
``value_function()`` (RLlib 1.x ``ray.rllib.models.modelv2``). ``TorchModelV2`` and
``TFModelV2`` add the framework parts: converting numpy inputs to tensors, and listing variables.

The call protocol::

    outputs, state_out = model({"obs": obs}, state_in, seq_lens)   # -> forward()
    values = model.value_function()                                # [B], same forward pass
    outputs, state_out = model.from_batch(train_batch)             # the loss-side helper

Examples:
    >>> import gymnasium as gym
    >>> class Zeros(ModelV2):
    ...     def forward(self, input_dict, state, seq_lens):
    ...         return np.zeros((len(input_dict["obs"]), self.num_outputs)), state
    >>> m = Zeros(gym.spaces.Box(-1, 1, (3,)), gym.spaces.Discrete(2), 2, {}, "zeros", "numpy")
    >>> out, state = m({"obs": np.ones((4, 3))})
    >>> out.shape, state, m.get_initial_state()
    ((4, 2), [], [])
"""

from __future__ import annotations

import contextlib
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from rlcore.data.view_requirement import ViewRequirement
from rlcore.models.preprocessors import Preprocessor, get_preprocessor


def flat_obs_shape(obs_space: Any, options: Optional[Dict[str, Any]] = None) -> Tuple[int, ...]:
    """The shape a model sees for one observation of ``obs_space``.

    A ``Box`` is seen as is (the worker preprocesses image frames before the model, and a model
    built on the preprocessed space gets that space); other spaces are seen one-hot/flattened.

    Examples:
        >>> import gymnasium as gym
        >>> flat_obs_shape(gym.spaces.Discrete(5)), flat_obs_shape(gym.spaces.Box(0, 1, (2, 3)))
        ((5,), (2, 3))
    """
    import gymnasium as gym

    if isinstance(obs_space, gym.spaces.Box):
        return tuple(int(d) for d in obs_space.shape)
    return get_preprocessor(obs_space)(obs_space, options).shape


class ModelV2:
    """Base class of every model (RLlib 1.x ``ModelV2``).

    Args:
        obs_space: The observation space (preprocessed ``Box``, or a raw space: then numpy
            observations given to ``__call__`` are preprocessed on the fly).
        action_space: The action space.
        num_outputs: Number of outputs per row (the action distribution's input width).
        model_config: The model config (``MODEL_DEFAULTS`` keys).
        name: A name for the model (used for variable scopes).
        framework: ``"torch"`` or ``"tf2"``.

    Attributes:
        view_requirements: ``{"obs": ViewRequirement(shift=0)}`` plus whatever the model adds
            (RNN state, previous actions/rewards).
        time_major: Whether RNN inputs are ``[T, B, ...]`` (``_time_major`` in the config).
    """

    def __init__(
        self,
        obs_space: Any,
        action_space: Any,
        num_outputs: Optional[int],
        model_config: Dict[str, Any],
        name: str,
        framework: str,
    ):
        self.obs_space = obs_space
        self.action_space = action_space
        self.num_outputs = num_outputs
        self.model_config = model_config
        self.name = name or "default_model"
        self.framework = framework
        self.time_major = bool((model_config or {}).get("_time_major", False))
        self._last_output = None
        self.view_requirements: Dict[str, ViewRequirement] = {"obs": ViewRequirement(shift=0, space=obs_space)}
        self._obs_preprocessor: Optional[Preprocessor] = None
        import gymnasium as gym

        if obs_space is not None and not isinstance(obs_space, gym.spaces.Box):
            self._obs_preprocessor = get_preprocessor(obs_space)(obs_space, model_config)
        from rlcore.models.repeated import Repeated

        # A Repeated observation space reaches forward() as RepeatedValues (RLlib 1.x).
        self._repeated_obs = isinstance(getattr(obs_space, "original_space", obs_space), Repeated)

    # ----------------------------------------------------------------- to implement
    def forward(self, input_dict: Dict[str, Any], state: List[Any], seq_lens: Any) -> Tuple[Any, List[Any]]:
        """Computes ``(outputs [B, num_outputs], new_state)``; subclasses implement it.

        Args:
            input_dict: ``obs`` (preprocessed), ``obs_flat`` (``[B, -1]``), ``is_training``,
                and optional ``prev_actions``/``prev_rewards``.
            state: List of RNN state tensors ``[B, ...]`` (empty for feed-forward models).
            seq_lens: ``[B]`` sequence lengths for RNN inputs, or ``None``.
        """
        raise NotImplementedError

    def value_function(self) -> Any:
        """Value estimates ``[B]`` of the most recent ``forward`` call."""
        raise NotImplementedError

    # ----------------------------------------------------------------- defaults
    def custom_loss(self, policy_loss: Any, loss_inputs: Dict[str, Any]) -> Any:
        """Returns the loss to optimise; override to add a model-specific term. Default: unchanged."""
        return policy_loss

    def metrics(self) -> Dict[str, Any]:
        """Extra learner statistics of the model (default none)."""
        return {}

    def get_initial_state(self) -> List[np.ndarray]:
        """The initial RNN state: a list of arrays without batch dimension (``[]`` if none)."""
        return []

    def is_time_major(self) -> bool:
        """Whether RNN inputs are time-major."""
        return self.time_major

    def last_output(self) -> Any:
        """The outputs of the most recent call."""
        return self._last_output

    def context(self) -> contextlib.AbstractContextManager:
        """A context manager entered around forward passes (no-op by default)."""
        return contextlib.nullcontext()

    def variables(self, as_dict: bool = False) -> Any:
        """All variables of the model (a list, or a ``{name: var}`` dict)."""
        raise NotImplementedError

    def trainable_variables(self, as_dict: bool = False) -> Any:
        """The trainable variables of the model (a list, or a ``{name: var}`` dict)."""
        raise NotImplementedError

    # ----------------------------------------------------------------- framework hooks
    def _convert_inputs(self, input_dict: Dict[str, Any], state: List[Any], seq_lens: Any):
        """Turns numpy inputs into framework tensors (overridden by the framework bases)."""
        return input_dict, state, seq_lens

    def _flatten(self, obs: Any) -> Any:
        """Reshapes ``[B, ...]`` to ``[B, -1]`` (overridden by the framework bases)."""
        obs = np.asarray(obs)
        return obs.reshape(obs.shape[0], -1)

    def _preprocess_raw_obs(self, obs: Any) -> Any:
        """One-hot / flattens raw numpy observations of a non-Box obs space."""
        if self._obs_preprocessor is None or not isinstance(obs, (np.ndarray, list, tuple)):
            return obs
        arr = obs if isinstance(obs, np.ndarray) else None
        if arr is not None and arr.dtype != object and arr.shape[1:] == self._obs_preprocessor.shape:
            return arr
        return self._obs_preprocessor.transform_batch(obs)

    # ----------------------------------------------------------------- call protocol
    def __call__(self, input_dict: Dict[str, Any], state: Optional[List[Any]] = None, seq_lens: Any = None):
        """Runs ``forward`` after adding ``obs_flat`` and converting numpy inputs; checks outputs.

        Returns:
            ``(outputs, state_out)``.
        """
        inputs = dict(input_dict)
        if "obs" not in inputs:
            raise ValueError(f"input_dict has no 'obs' key (keys: {sorted(inputs)})")
        inputs["obs"] = self._preprocess_raw_obs(inputs["obs"])
        inputs.setdefault("is_training", False)
        inputs, state, seq_lens = self._convert_inputs(inputs, list(state or []), seq_lens)
        if "obs_flat" not in inputs or inputs["obs_flat"] is None:
            inputs["obs_flat"] = self._flatten(inputs["obs"])
        if self._repeated_obs:
            inputs["obs"] = restore_original_dimensions(inputs["obs"], self.obs_space, self.framework)
        with self.context():
            outputs, state_out = self.forward(inputs, state, seq_lens)
        if not isinstance(state_out, (list, tuple)):
            raise TypeError(f"{type(self).__name__}.forward must return (outputs, state list), got state {type(state_out)}")
        shape = tuple(outputs.shape)
        if len(shape) != 2 or (self.num_outputs and shape[1] is not None and int(shape[1]) != int(self.num_outputs)):
            raise ValueError(
                f"{type(self).__name__}.forward returned outputs of shape {shape}; expected [B, num_outputs={self.num_outputs}]"
            )
        self.__dict__["_last_output"] = outputs  # not via nn.Module.__setattr__ (slow, on the hot path)
        return outputs, list(state_out)

    def from_batch(self, train_batch: Dict[str, Any], is_training: bool = True):
        """Runs the model on a (sample) batch: ``obs``, ``prev_*``, ``state_in_*``, ``seq_lens``.

        Returns:
            ``(outputs, state_out)``, as ``__call__``.
        """
        input_dict = {"obs": train_batch["obs"], "is_training": is_training}
        for key in ("prev_actions", "prev_rewards"):
            if key in train_batch:
                input_dict[key] = train_batch[key]
        states = []
        i = 0
        while f"state_in_{i}" in train_batch:
            states.append(train_batch[f"state_in_{i}"])
            i += 1
        seq_lens = train_batch["seq_lens"] if "seq_lens" in train_batch else None
        return self.__call__(input_dict, states, seq_lens)


def restore_original_dimensions(obs: Any, obs_space: Any, tensorlib: Any = "numpy") -> Any:
    """Unflattens preprocessed ``[B, size]`` observations back into the Tuple/Dict structure of
    ``obs_space.original_space`` (or ``obs_space``): what custom models with Dict observations
    call first (RLlib 1.x). Box components get their shape back; Discrete / MultiDiscrete
    components stay one-hot, as in RLlib; a ``Repeated`` space (at the top or inside) becomes
    :class:`~rlcore.models.repeated.RepeatedValues`. Other spaces return ``obs`` unchanged.

    Args:
        obs: A ``[B, size]`` numpy array, torch tensor or TF tensor.
        obs_space: The preprocessed space (with ``.original_space``) or the raw space.
        tensorlib: ``"numpy"``, ``"torch"`` or ``"tf"`` (or the module), for the reshape.

    Examples:
        >>> import gymnasium as gym
        >>> space = gym.spaces.Dict({"id": gym.spaces.Discrete(2), "pos": gym.spaces.Box(0, 1, (2, 2))})
        >>> out = restore_original_dimensions(np.arange(12.0).reshape(2, 6), space)
        >>> out["id"].shape, out["pos"].shape, out["pos"][0].tolist()
        ((2, 2), (2, 2, 2), [[2.0, 3.0], [4.0, 5.0]])
    """
    import gymnasium as gym

    from rlcore.models.repeated import Repeated, unpack_repeated

    space = getattr(obs_space, "original_space", obs_space)
    if not isinstance(space, (gym.spaces.Tuple, gym.spaces.Dict, Repeated)):
        return obs
    name = tensorlib if isinstance(tensorlib, str) else getattr(tensorlib, "__name__", "")
    if name in ("tf", "tensorflow", "tf2"):
        from rlcore.framework import try_import_tf

        tf = try_import_tf()[1]
        reshape = lambda x, shape: tf.reshape(x, tf.concat([tf.shape(x)[:-1], list(shape)], 0))  # noqa: E731
    elif name in ("numpy", "np", "torch"):
        reshape = lambda x, shape: x.reshape(tuple(x.shape[:-1]) + tuple(shape))  # noqa: E731
    else:
        raise ValueError(f"tensorlib={tensorlib!r} is not supported; expected 'numpy', 'torch' or 'tf'")
    total = get_preprocessor(space)(space).size
    width = obs.shape[-1]
    if width is not None and int(width) != total:
        raise ValueError(f"observations of width {int(width)} do not match the space {space} (flat size {total})")

    def unpack(rows: Any, sub: Any) -> Any:
        """``rows`` ``[..., flat size of sub]`` in the structure of ``sub`` (leading dims kept)."""
        if isinstance(sub, Repeated):
            return unpack_repeated(rows, sub, reshape, unpack)
        if not isinstance(sub, (gym.spaces.Tuple, gym.spaces.Dict)):
            return reshape(rows, get_preprocessor(sub)(sub).shape)
        children = sub.spaces.items() if isinstance(sub, gym.spaces.Dict) else enumerate(sub.spaces)
        out, offset = {}, 0
        for key, child in children:
            size = get_preprocessor(child)(child).size
            out[key] = unpack(rows[..., offset : offset + size], child)
            offset += size
        return out if isinstance(sub, gym.spaces.Dict) else tuple(out.values())

    return unpack(obs, space)


__all__ = ["ModelV2", "flat_obs_shape", "restore_original_dimensions"]

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
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from rlcore.data.view_requirement import ViewRequirement
from rlcore.models.preprocessors import Preprocessor, get_preprocessor


#: The default :meth:`ModelV2.context` (a ``nullcontext`` keeps no state: one serves every call).
_NO_CONTEXT = contextlib.nullcontext()


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

        # Dict / Tuple observations reach forward() in their structure, Repeated ones as
        # RepeatedValues (RLlib 1.x): ``obs`` is restored from the flat rows, ``obs_flat`` is them.
        self._original_obs_space = getattr(obs_space, "original_space", obs_space)
        self._structured_obs = isinstance(self._original_obs_space, (gym.spaces.Dict, gym.spaces.Tuple, Repeated))

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
        return _NO_CONTEXT

    def variables(self, as_dict: bool = False) -> Any:
        """All variables of the model (a list, or a ``{name: var}`` dict)."""
        raise NotImplementedError

    def trainable_variables(self, as_dict: bool = False) -> Any:
        """The trainable variables of the model (a list, or a ``{name: var}`` dict)."""
        raise NotImplementedError

    def import_from_h5(self, h5_file: str) -> None:
        """Loads weights from a Keras ``.h5`` / ``.keras`` file (RLlib 1.x; TF models implement it).

        Raises:
            NotImplementedError: this model cannot load Keras files (override to support it).
        """
        raise NotImplementedError(
            f"{type(self).__name__}.import_from_h5({h5_file!r}): this {self.framework} model cannot load Keras .h5/.keras "
            "weight files; load weights with Policy.set_weights / Policy.import_checkpoint, or override import_from_h5")

    # ----------------------------------------------------------------- framework hooks
    def _convert_inputs(self, input_dict: Dict[str, Any], state: List[Any], seq_lens: Any):
        """Turns numpy inputs into framework tensors (overridden by the framework bases)."""
        return input_dict, state, seq_lens

    def _flatten(self, obs: Any) -> Any:
        """Reshapes ``[B, ...]`` to ``[B, -1]`` (overridden by the framework bases)."""
        obs = np.asarray(obs)
        return obs.reshape(obs.shape[0], -1)

    def _is_obs_structure(self, obs: Any) -> bool:
        """Whether ``obs`` is a batch given in the structure of a Dict/Tuple observation space
        (a dict, or a tuple for a Tuple space, of ``[B, ...]`` arrays or tensors), not flat rows."""
        import gymnasium as gym

        return isinstance(obs, dict) or (isinstance(obs, tuple) and isinstance(self._original_obs_space, gym.spaces.Tuple))

    def _preprocess_raw_obs(self, obs: Any) -> Any:
        """One-hot / flattens raw numpy observations of a non-Box obs space (a list of rows)."""
        if self._obs_preprocessor is None or not isinstance(obs, (np.ndarray, list, tuple)):
            return obs
        arr = obs if isinstance(obs, np.ndarray) else None
        if arr is not None and arr.dtype != object and arr.shape[1:] == self._obs_preprocessor.shape:
            return arr
        return self._obs_preprocessor.transform_batch(obs)

    # ----------------------------------------------------------------- call protocol
    #: The framework's tensor type (set by the framework bases): a batch of these as ``obs``, alone
    #: or with ``is_training``, no state and no ``seq_lens``, of a flat observation space, goes to
    #: ``forward`` with ``obs_flat`` added and nothing else to do (see :meth:`__call__`).
    _plain_obs_type: Optional[type] = None

    def __call__(self, input_dict: Dict[str, Any], state: Optional[List[Any]] = None, seq_lens: Any = None):
        """Runs ``forward`` after adding ``obs_flat`` and converting numpy inputs; checks outputs.

        The common case of acting, a tensor batch of flat observations alone (or with
        ``is_training``) and no state, takes a short path when the class keeps its framework
        base's input hooks (:func:`_plain_inputs`): there the full input handling would only copy
        the dict, add ``is_training=False`` and ``obs_flat``, so the short path does just that:
        the same inputs for ``forward``, the same checks of its outputs.

        Returns:
            ``(outputs, state_out)``.
        """
        return self._run_forward(*self._forward_inputs(input_dict, state, seq_lens))

    def _forward_inputs(self, input_dict: Dict[str, Any], state: Optional[List[Any]], seq_lens: Any):
        """The ``(input_dict, state, seq_lens)`` :meth:`__call__` hands ``forward``: the short
        path's for a plain batch, else :meth:`_call_inputs`'."""
        n = len(input_dict) if type(input_dict) is dict and not state and seq_lens is None else 0
        obs = input_dict.get("obs") if n else None
        if (type(obs) is self._plain_obs_type and (n == 1 or (n == 2 and "is_training" in input_dict))
                and self._short_path_ok()):
            inputs = dict(input_dict)
            if n == 1:
                inputs["is_training"] = False
            inputs["obs_flat"] = self._flatten(obs)
            return inputs, [], seq_lens
        return self._call_inputs(input_dict, state, seq_lens)

    def _short_path_ok(self) -> bool:
        """Whether a plain batch (see :attr:`_plain_obs_type`) takes :meth:`__call__`'s short path:
        a flat observation space and the framework base's input hooks."""
        return not self._structured_obs and _plain_inputs(type(self))

    def plain_batch_call(self) -> Optional[Callable[[Any], Tuple[Any, List[Any]]]]:
        """``obs -> self({"obs": obs, "is_training": False}, [], None)`` for a batch of the
        framework's tensor type (:attr:`_plain_obs_type`), with the choice of :meth:`__call__`'s
        short path made once here instead of on every call; None where ``__call__`` would not take
        it (a structured observation space, the class's own input hooks or ``__call__``). For a
        caller that acts on every step (the sampling actor).

        Examples:
            >>> import gymnasium as gym, torch
            >>> from rlcore.models.torch.fcnet import FullyConnectedNetwork
            >>> m = FullyConnectedNetwork(gym.spaces.Box(-1, 1, (3,)), gym.spaces.Discrete(2), 2,
            ...                           {"fcnet_hiddens": [4]}, "fc")
            >>> out, state = m.plain_batch_call()(torch.ones(5, 3))
            >>> tuple(out.shape), state, m.last_output() is out
            ((5, 2), [], True)
        """
        if type(self).__call__ is not ModelV2.__call__ or not self._short_path_ok():
            return None
        flatten, run = self._flatten, self._run_forward

        def call(obs: Any) -> Tuple[Any, List[Any]]:
            return run({"obs": obs, "is_training": False, "obs_flat": flatten(obs)}, [], None)

        return call

    def _run_forward(self, inputs: Dict[str, Any], state: List[Any], seq_lens: Any) -> Tuple[Any, List[Any]]:
        """``forward`` in the model's context, its outputs checked and kept as the last output."""
        context = self.context()
        if context is _NO_CONTEXT:  # the default: no __enter__/__exit__ frames per call
            outputs, state_out = self.forward(inputs, state, seq_lens)
        else:
            with context:
                outputs, state_out = self.forward(inputs, state, seq_lens)
        if not isinstance(state_out, (list, tuple)):
            raise TypeError(f"{type(self).__name__}.forward must return (outputs, state list), got state {type(state_out)}")
        shape = outputs.shape
        if len(shape) != 2 or (self.num_outputs and shape[1] is not None and int(shape[1]) != int(self.num_outputs)):
            raise ValueError(f"{type(self).__name__}.forward returned outputs of shape {tuple(shape)}; "
                             f"expected [B, num_outputs={self.num_outputs}]")
        self.__dict__["_last_output"] = outputs  # not via nn.Module.__setattr__ (slow, on the hot path)
        return outputs, list(state_out)

    def _call_inputs(self, input_dict: Dict[str, Any], state: Optional[List[Any]], seq_lens: Any):
        """The ``(input_dict, state, seq_lens)`` that ``__call__`` hands ``forward``: a copy of the
        input dict with ``obs_flat`` added and numpy inputs converted."""
        inputs = dict(input_dict)
        if "obs" not in inputs:
            raise ValueError(f"input_dict has no 'obs' key (keys: {sorted(inputs)})")
        given_structure = self._is_obs_structure(inputs["obs"])
        if not given_structure:
            inputs["obs"] = self._preprocess_raw_obs(inputs["obs"])
        inputs.setdefault("is_training", False)
        inputs, state, seq_lens = self._convert_inputs(inputs, list(state or []), seq_lens)
        if given_structure:  # batched Dict/Tuple values (arrays or tensors): encoded as the preprocessor does
            inputs["obs"] = flatten_structured_obs(inputs["obs"], self._original_obs_space, self.framework)
        if "obs_flat" not in inputs or inputs["obs_flat"] is None:
            inputs["obs_flat"] = self._flatten(inputs["obs"])
        if self._structured_obs:
            inputs["obs"] = restore_original_dimensions(inputs["obs"], self.obs_space, self.framework)
        return inputs, state, seq_lens

    def _view_columns(self) -> tuple:
        """The model's own trajectory views (``view_requirements`` other than obs, state, prev_*)."""
        skip = ("obs", "prev_actions", "prev_rewards")
        return tuple(k for k in (getattr(self, "view_requirements", None) or {})
                     if k not in skip and not k.startswith(("state_in_", "state_out_")))

    def from_batch(self, train_batch: Dict[str, Any], is_training: bool = True):
        """Runs the model on a (sample) batch: ``obs``, ``prev_*``, the model's own trajectory views,
        ``state_in_*``, ``seq_lens``.

        Returns:
            ``(outputs, state_out)``, as ``__call__``.
        """
        input_dict = {"obs": train_batch["obs"], "is_training": is_training}
        for key in ("prev_actions", "prev_rewards", *self._view_columns()):
            if key in train_batch:
                input_dict[key] = train_batch[key]
        states = []
        i = 0
        while f"state_in_{i}" in train_batch:
            states.append(train_batch[f"state_in_{i}"])
            i += 1
        seq_lens = train_batch["seq_lens"] if "seq_lens" in train_batch else None
        return self.__call__(input_dict, states, seq_lens)


#: The input hooks of the call protocol: a class that keeps its framework base's (the class that
#: sets ``_plain_obs_type``) takes :meth:`ModelV2.__call__`'s short path.
_INPUT_HOOKS = ("_call_inputs", "_convert_inputs", "_flatten", "_preprocess_raw_obs", "_is_obs_structure")

#: Per model class: whether it keeps its framework base's input hooks.
_PLAIN_INPUTS: Dict[type, bool] = {}


def _plain_inputs(cls: type) -> bool:
    """Whether ``cls`` keeps the input hooks (``_INPUT_HOOKS``) of its framework base, so a plain
    tensor batch needs no input handling in ``__call__`` (decided once per class).

    Examples:
        >>> import gymnasium as gym
        >>> from rlcore.models.torch.fcnet import FullyConnectedNetwork
        >>> class Cast(FullyConnectedNetwork):
        ...     def _convert_inputs(self, input_dict, state, seq_lens):
        ...         return super()._convert_inputs(input_dict, state, seq_lens)
        >>> _plain_inputs(FullyConnectedNetwork), _plain_inputs(Cast), _plain_inputs(ModelV2)
        (True, False, False)
    """
    ok = _PLAIN_INPUTS.get(cls)
    if ok is None:
        base = next((c for c in cls.__mro__ if c.__dict__.get("_plain_obs_type") is not None), None)
        ok = _PLAIN_INPUTS[cls] = base is not None and all(getattr(cls, h) is getattr(base, h) for h in _INPUT_HOOKS)
    return ok


def restore_original_dimensions(obs: Any, obs_space: Any, tensorlib: Any = "numpy") -> Any:
    """Unflattens preprocessed ``[B, size]`` observations back into the Tuple/Dict structure of
    ``obs_space.original_space`` (or ``obs_space``): what ``ModelV2.__call__`` hands ``forward``
    as ``input_dict["obs"]`` (RLlib 1.x). Box components get their shape back; Discrete /
    MultiDiscrete components stay one-hot, as in RLlib; a ``Repeated`` space (at the top or
    inside) becomes :class:`~rlcore.models.repeated.RepeatedValues`. Other spaces return ``obs``
    unchanged.

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
    ops = _TensorOps(tensorlib)
    total = _flat_size(space)
    width = obs.shape[-1]
    if width is not None and int(width) != total:
        raise ValueError(f"observations of width {int(width)} do not match the space {space} (flat size {total})")

    def unpack(rows: Any, sub: Any) -> Any:
        """``rows`` ``[..., flat size of sub]`` in the structure of ``sub`` (leading dims kept)."""
        if isinstance(sub, Repeated):
            return unpack_repeated(rows, sub, ops.reshape, unpack)
        if not isinstance(sub, (gym.spaces.Tuple, gym.spaces.Dict)):
            return ops.reshape(rows, get_preprocessor(sub)(sub).shape)
        children = sub.spaces.items() if isinstance(sub, gym.spaces.Dict) else enumerate(sub.spaces)
        out, offset = {}, 0
        for key, child in children:
            size = _flat_size(child)
            out[key] = unpack(rows[..., offset : offset + size], child)
            offset += size
        return out if isinstance(sub, gym.spaces.Dict) else tuple(out.values())

    return unpack(obs, space)


def flatten_structured_obs(obs: Any, obs_space: Any, tensorlib: Any = "numpy") -> Any:
    """Encodes a batch of raw Dict/Tuple observations (a dict or tuple of ``[B, ...]`` arrays or
    tensors in the structure of ``obs_space.original_space`` or ``obs_space``) into the
    ``[B, size]`` float rows the worker's preprocessor writes: Discrete / MultiDiscrete one-hot,
    Box and MultiBinary flattened, children side by side in the space's order. Runs in the
    framework (also inside ``tf.function``), the inverse of :func:`restore_original_dimensions`.

    Args:
        obs: The batched structure (numpy arrays, torch tensors or TF tensors).
        obs_space: The (preprocessed or raw) Dict/Tuple observation space.
        tensorlib: ``"numpy"``, ``"torch"`` or ``"tf"``.

    Raises:
        ValueError: a component that does not match the space (missing key, wrong length, a
            space that has no tensor encoding such as ``Repeated``), naming both.

    Examples:
        >>> import gymnasium as gym
        >>> space = gym.spaces.Dict({"id": gym.spaces.Discrete(3), "pos": gym.spaces.Box(0, 1, (2,))})
        >>> flatten_structured_obs({"id": np.array([2, 0]), "pos": np.ones((2, 2))}, space).tolist()
        [[0.0, 0.0, 1.0, 1.0, 1.0], [1.0, 0.0, 0.0, 1.0, 1.0]]
        >>> flatten_structured_obs({"pos": np.ones((2, 2))}, space)
        Traceback (most recent call last):
        ...
        ValueError: observation has no key 'id' of Dict('id': Discrete(3), 'pos': Box(0.0, 1.0, (2,), float32)) (keys: ['pos'])
    """
    import gymnasium as gym

    space = getattr(obs_space, "original_space", obs_space)
    ops = _TensorOps(tensorlib)

    def encode(x: Any, sub: Any) -> Any:
        if isinstance(sub, gym.spaces.Dict):
            if not isinstance(x, dict):
                raise ValueError(f"observation {type(x).__name__} does not match the Dict space {sub}: expected a dict")
            for key in sub.spaces:
                if key not in x:
                    raise ValueError(f"observation has no key {key!r} of {sub} (keys: {sorted(x)})")
            return ops.concat([encode(x[key], child) for key, child in sub.spaces.items()])
        if isinstance(sub, gym.spaces.Tuple):
            if not isinstance(x, (tuple, list)) or len(x) != len(sub.spaces):
                raise ValueError(f"observation {type(x).__name__} does not match the Tuple space {sub}: "
                                 f"expected a tuple of {len(sub.spaces)} batched components")
            return ops.concat([encode(v, child) for v, child in zip(x, sub.spaces)])
        if isinstance(sub, gym.spaces.Discrete):
            return ops.one_hot(ops.rows(x, 1) - int(sub.start), int(sub.n))
        if isinstance(sub, gym.spaces.MultiDiscrete) and sub.nvec.ndim == 1:
            cols = ops.rows(x, len(sub.nvec))
            return ops.concat([ops.one_hot(cols[:, i : i + 1] - int(start), int(n))
                               for i, (n, start) in enumerate(zip(sub.nvec, np.reshape(sub.start, -1)))])
        if isinstance(sub, (gym.spaces.Box, gym.spaces.MultiBinary)) and _flat_size(sub) == int(np.prod(sub.shape)):
            return ops.float_rows(x, _flat_size(sub))
        raise ValueError(f"observations of {sub} cannot be given as batched arrays or tensors; "
                         "give the preprocessed (flat) rows instead")

    return encode(obs, space)


class _TensorOps:
    """The few array operations the (un)flattening helpers need, for numpy, torch or TF."""

    def __init__(self, tensorlib: Any):
        name = tensorlib if isinstance(tensorlib, str) else getattr(tensorlib, "__name__", "")
        if name in ("tf", "tensorflow", "tf2"):
            from rlcore.framework import try_import_tf

            self.lib, self.tf = "tf", try_import_tf()[1]
        elif name in ("numpy", "np", "torch"):
            self.lib, self.tf = ("torch" if name == "torch" else "numpy"), None
        else:
            raise ValueError(f"tensorlib={tensorlib!r} is not supported; expected 'numpy', 'torch' or 'tf'")

    def reshape(self, x: Any, shape: Tuple[int, ...]) -> Any:
        """``x`` with its last dim reshaped to ``shape`` (leading dims kept)."""
        if self.tf is not None:
            return self.tf.reshape(x, self.tf.concat([self.tf.shape(x)[:-1], list(shape)], 0))
        return x.reshape(tuple(x.shape[:-1]) + tuple(shape))

    def rows(self, x: Any, width: int) -> Any:
        """``x`` as ``[B, width]`` integer rows (for one-hot encoding)."""
        if self.tf is not None:
            return self.tf.reshape(self.tf.cast(x, self.tf.int64), [-1, width])
        if self.lib == "torch":
            return x.long().reshape(-1, width)
        return np.asarray(x).astype(np.int64).reshape(-1, width)

    def one_hot(self, idx: Any, n: int) -> Any:
        """``[B, 1]`` indices -> ``[B, n]`` float32 one-hot rows."""
        if self.tf is not None:
            return self.tf.one_hot(idx[:, 0], n, dtype=self.tf.float32)
        if self.lib == "torch":
            import torch

            return torch.nn.functional.one_hot(idx[:, 0], n).float()
        return np.eye(n, dtype=np.float32)[idx[:, 0]]

    def float_rows(self, x: Any, size: int) -> Any:
        """``x`` ``[B, ...]`` as ``[B, size]`` float32."""
        if self.tf is not None:
            return self.tf.reshape(self.tf.cast(x, self.tf.float32), [-1, size])
        if self.lib == "torch":
            return x.float().reshape(-1, size)
        return np.asarray(x, np.float32).reshape(-1, size)

    def concat(self, parts: List[Any]) -> Any:
        if self.tf is not None:
            return self.tf.concat(parts, axis=-1)
        if self.lib == "torch":
            import torch

            return torch.cat(parts, dim=-1)
        return np.concatenate(parts, axis=-1)


#: Flat sizes of spaces, by id (the space is kept, so the id stays its own); bounded as RLlib's.
_SIZES: Dict[int, Tuple[Any, int]] = {}


def _flat_size(space: Any) -> int:
    """The preprocessed size of ``space`` (cached: models call this on every forward pass)."""
    hit = _SIZES.get(id(space))
    if hit is not None and hit[0] is space:
        return hit[1]
    size = get_preprocessor(space)(space).size
    if len(_SIZES) < 1000:
        _SIZES[id(space)] = (space, size)
    return size


__all__ = ["ModelV2", "flat_obs_shape", "flatten_structured_obs", "restore_original_dimensions"]

"""ModelCatalog: picks (or looks up by name) the model, action distribution and preprocessor.

``ModelCatalog.get_action_dist(action_space, model_config)`` says which distribution class a
policy uses for an action space and how many model outputs it needs;
``ModelCatalog.get_model_v2(...)`` builds the default network for the observation space (fully
connected, or conv for images, optionally wrapped in an LSTM) or the user's registered model;
``get_preprocessor_for_space`` picks the observation preprocessor. Users register their own
classes by name (``register_custom_model``, ``register_custom_action_dist``) and name them in
the model config (``"custom_model"``, ``"custom_action_dist"``). When Ray is already imported,
registrations are mirrored into Ray Tune's registry (as in RLlib 1.x) and names unknown in this
process are looked up there, so Ray workers of the same job find the driver's classes. ``MODEL_DEFAULTS`` is RLlib
1.x's model config (rllib_api.md §9.1).

Examples:
    >>> import gymnasium as gym
    >>> MODEL_DEFAULTS["fcnet_hiddens"], MODEL_DEFAULTS["use_lstm"]
    ([256, 256], False)
    >>> ModelCatalog.get_preprocessor_for_space(gym.spaces.Discrete(4)).shape
    (4,)
"""

from __future__ import annotations

import copy
import importlib
import inspect
import logging
import sys
from typing import Any, Dict, Optional, Tuple

import numpy as np

from rlcore.framework import normalize_framework
from rlcore.models.action_dist import ActionDistribution, flatten_space
from rlcore.models.preprocessors import Preprocessor, get_preprocessor

# fmt: off
MODEL_DEFAULTS: Dict[str, Any] = {
    # Fully connected net.
    "fcnet_hiddens": [256, 256],
    "fcnet_activation": "tanh",
    # Conv net: a list of [out_channels, kernel, stride]; None = chosen for 84x84 / 42x42 / 10x10.
    "conv_filters": None,
    "conv_activation": "relu",
    # Extra fully connected layers after the conv stack / LSTM (1.3+).
    "post_fcnet_hiddens": [],
    "post_fcnet_activation": "relu",
    # Heads.
    "free_log_std": False,
    "no_final_linear": False,
    "vf_share_layers": True,
    # LSTM wrapper.
    "use_lstm": False,
    "max_seq_len": 20,
    "lstm_cell_size": 256,
    "lstm_use_prev_action": False,
    "lstm_use_prev_reward": False,
    "_time_major": False,
    # Attention wrapper (GTrXL; the memories are RNN state, see rlcore.models.attention).
    "use_attention": False,
    "attention_num_transformer_units": 1,
    "attention_dim": 64,
    "attention_num_heads": 1,
    "attention_head_dim": 32,
    "attention_memory_inference": 50,
    "attention_memory_training": 50,
    "attention_position_wise_mlp_dim": 32,
    "attention_init_gru_gate_bias": 2.0,
    "attention_use_n_prev_actions": 0,
    "attention_use_n_prev_rewards": 0,
    # Image preprocessing.
    "framestack": True,
    "dim": 84,
    "grayscale": False,
    "zero_mean": True,
    # Custom classes (registered names, or classes).
    "custom_model": None,
    "custom_model_config": {},
    "custom_action_dist": None,
    "custom_preprocessor": None,
}
# fmt: on


class UnsupportedSpaceException(ValueError):
    """An observation or action space the catalog cannot build a default for."""


#: Default distribution class names: (torch class, tf class) per kind.
_DIST_NAMES = {
    "categorical": ("TorchCategorical", "Categorical"),
    "multi_categorical": ("TorchMultiCategorical", "MultiCategorical"),
    "diag_gaussian": ("TorchDiagGaussian", "DiagGaussian"),
    "squashed_gaussian": ("TorchSquashedGaussian", "SquashedGaussian"),
    "deterministic": ("TorchDeterministic", "Deterministic"),
    "dirichlet": ("TorchDirichlet", "Dirichlet"),
    "beta": ("TorchBeta", "Beta"),
    "multi_action": ("TorchMultiActionDistribution", "MultiActionDistribution"),
}
#: ``dist_type`` strings accepted for float Box action spaces.
_BOX_DIST_TYPES = ("diag_gaussian", "deterministic", "squashed_gaussian", "beta", "dirichlet")

_FRAMEWORK_MODULES = {
    "torch": "rlcore.models.torch",
    "tf2": "rlcore.models.tf",
}


logger = logging.getLogger(__name__)

#: Ray Tune registry categories (``ray.tune.registry``) mirroring the catalog's registries.
_RAY_CATEGORIES = {
    "custom_model": "rllib_model",
    "custom_action_dist": "rllib_action_dist",
    "custom_preprocessor": "rllib_preprocessor",
}


def _ray_registry(require_initialized: bool) -> Any:
    """Ray Tune's global registry, only if Ray is already imported in this process (never imports Ray itself)."""
    ray = sys.modules.get("ray")
    if ray is None or (require_initialized and not ray.is_initialized()):
        return None
    try:
        from ray.tune import registry
    except ImportError:
        return None
    return registry._global_registry


def _mirror_to_ray(key: str, name: str, cls: type) -> None:
    """Also registers ``cls`` in Ray Tune's registry (as RLlib 1.x did), so Ray workers started by
    this driver find it by name. Done only when Ray is already imported."""
    registry = _ray_registry(require_initialized=False)
    if registry is None:
        return
    try:
        registry.register(_RAY_CATEGORIES[key], name, cls)
    except Exception as err:  # an unpicklable class stays usable in this process
        logger.warning("%s %r is registered in this process only; Ray's registry refused it: %s", key, name, err)


def _dist_class(kind: str, framework: str) -> type:
    torch_name, tf_name = _DIST_NAMES[kind]
    if framework == "torch":
        module = importlib.import_module("rlcore.models.torch.torch_action_dist")
        return getattr(module, torch_name)
    module = importlib.import_module("rlcore.models.tf.tf_action_dist")
    return getattr(module, tf_name)


def _model_class(module: str, name: str, framework: str) -> type:
    return getattr(importlib.import_module(f"{_FRAMEWORK_MODULES[framework]}.{module}"), name)


def _python_ints(num_outputs: Any) -> Any:
    """``num_outputs`` with numpy integers (gymnasium's ``Discrete.n``) as Python ints.

    Keras 3 refuses ``Dense(units=np.int64(2))``; RLlib 1.x handed models Python ints.

    Examples:
        >>> _python_ints(np.int64(3)), _python_ints((np.int64(2), 4)), _python_ints(None)
        (3, (2, 4), None)
    """
    if isinstance(num_outputs, np.integer):
        return int(num_outputs)
    if isinstance(num_outputs, (tuple, list)):
        return type(num_outputs)(_python_ints(n) for n in num_outputs)
    return num_outputs


def _accepts_keywords(cls: type, keywords: Dict[str, Any]) -> bool:
    """Whether ``cls(...)`` takes every name in ``keywords`` as a keyword argument.

    Examples:
        >>> class Named:
        ...     def __init__(self, obs_space, action_space, num_outputs, model_config, name, hidden=8): pass
        >>> class Open:
        ...     def __init__(self, *args, **kwargs): pass
        >>> _accepts_keywords(Named, {"hidden": 4}), _accepts_keywords(Named, {"depth": 2})
        (True, False)
        >>> _accepts_keywords(Open, {"depth": 2}), _accepts_keywords(Named, {})
        (True, True)
    """
    try:
        params = inspect.signature(cls).parameters
    except (TypeError, ValueError):  # no signature to read: pass the keywords, as before
        return True
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return True
    named = {n for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    return set(keywords) <= named


def _wrap(model_cls: type, interface: type) -> type:
    """A subclass of ``interface`` and ``model_cls`` (in that MRO order), as RLlib did."""
    wrapper = type(f"{model_cls.__name__}_as_{interface.__name__}", (interface, model_cls), {})
    wrapper.__module__ = model_cls.__module__
    return wrapper


class ModelCatalog:
    """Registry and factory of models, action distributions and preprocessors (all static).

    Examples:
        >>> import gymnasium as gym
        >>> ModelCatalog.get_action_dist(gym.spaces.Box(-1, 1, (2, 2)), None)
        Traceback (most recent call last):
        ...
        rlcore.models.catalog.UnsupportedSpaceException: action space Box(-1.0, 1.0, (2, 2), float32) has 2 dimensions; DiagGaussian needs a 1-D Box (reshape it, use a Tuple space, or a custom_action_dist)
    """

    _custom_models: Dict[str, type] = {}
    _custom_action_dists: Dict[str, type] = {}
    _custom_preprocessors: Dict[str, type] = {}

    # ----------------------------------------------------------------- registration
    @staticmethod
    def register_custom_model(model_name: str, model_class: type) -> None:
        """Registers a ModelV2 subclass under ``model_name`` (for ``custom_model``)."""
        if not isinstance(model_name, str) or not model_name:
            raise TypeError(f"model_name={model_name!r} must be a non-empty str")
        if not isinstance(model_class, type):
            raise TypeError(f"model_class={model_class!r} must be a class (a ModelV2 subclass)")
        ModelCatalog._custom_models[model_name] = model_class
        _mirror_to_ray("custom_model", model_name, model_class)

    @staticmethod
    def register_custom_action_dist(action_dist_name: str, action_dist_class: type) -> None:
        """Registers an ActionDistribution subclass under a name (for ``custom_action_dist``)."""
        if not isinstance(action_dist_name, str) or not action_dist_name:
            raise TypeError(f"action_dist_name={action_dist_name!r} must be a non-empty str")
        if not isinstance(action_dist_class, type):
            raise TypeError(f"action_dist_class={action_dist_class!r} must be a class (an ActionDistribution subclass)")
        ModelCatalog._custom_action_dists[action_dist_name] = action_dist_class
        _mirror_to_ray("custom_action_dist", action_dist_name, action_dist_class)

    @staticmethod
    def register_custom_preprocessor(preprocessor_name: str, preprocessor_class: type) -> None:
        """Registers a Preprocessor subclass under a name (for ``custom_preprocessor``; deprecated in RLlib)."""
        if not isinstance(preprocessor_name, str) or not preprocessor_name:
            raise TypeError(f"preprocessor_name={preprocessor_name!r} must be a non-empty str")
        if not (isinstance(preprocessor_class, type) and issubclass(preprocessor_class, Preprocessor)):
            raise TypeError(f"preprocessor_class={preprocessor_class!r} must be a Preprocessor subclass")
        ModelCatalog._custom_preprocessors[preprocessor_name] = preprocessor_class
        _mirror_to_ray("custom_preprocessor", preprocessor_name, preprocessor_class)

    @staticmethod
    def _lookup(value: Any, registry: Dict[str, type], key: str) -> type:
        if isinstance(value, type):
            return value
        if isinstance(value, str):
            if value in registry:
                return registry[value]
            ray_registry = _ray_registry(require_initialized=True)
            if ray_registry is not None and ray_registry.contains(_RAY_CATEGORIES[key], value):
                return ray_registry.get(_RAY_CATEGORIES[key], value)
            raise ValueError(f"{key}={value!r} is not registered; registered names: {sorted(registry)}")
        raise TypeError(f"{key}={value!r} must be a registered name or a class")

    # ----------------------------------------------------------------- action distributions
    @staticmethod
    def get_action_dist(
        action_space: Any,
        config: Optional[Dict[str, Any]],
        dist_type: Any = None,
        framework: str = "torch",
        **kwargs: Any,
    ) -> Tuple[type, Any]:
        """Returns ``(dist_class, num_outputs)`` for an action space.

        Args:
            action_space: Discrete -> Categorical; MultiDiscrete / MultiBinary / int Box ->
                MultiCategorical; 1-D float Box -> DiagGaussian (or the ``dist_type``); Tuple /
                Dict -> MultiActionDistribution over the components.
            config: The model config; ``custom_action_dist`` (a registered name or a class)
                overrides everything.
            dist_type: ``None``, an ActionDistribution subclass, or for float Boxes one of
                ``"diag_gaussian"``, ``"deterministic"``, ``"squashed_gaussian"``, ``"beta"``,
                ``"dirichlet"``.
            framework: ``"torch"``, or ``"tf"``/``"tfe"``/``"tf2"``.
            **kwargs: Passed to the distribution constructor (bound with ``with_kwargs``).

        Raises:
            UnsupportedSpaceException: for a space with no default distribution, naming it.
            ValueError: for an unregistered ``custom_action_dist`` name, listing the registered ones.

        Examples:
            >>> import gymnasium as gym
            >>> cls, n = ModelCatalog.get_action_dist(gym.spaces.Discrete(3), None)  # doctest: +SKIP
            >>> cls.__name__, n  # doctest: +SKIP
            ('TorchCategorical', 3)
        """
        import gymnasium as gym

        config = MODEL_DEFAULTS if config is None else config
        fw = normalize_framework(framework)
        custom = config.get("custom_action_dist")
        if custom:
            cls = ModelCatalog._lookup(custom, ModelCatalog._custom_action_dists, "custom_action_dist")
            if kwargs:
                cls = cls.with_kwargs(**kwargs) if issubclass(cls, ActionDistribution) else cls
            return cls, _python_ints(cls.required_model_output_shape(action_space, config))
        if isinstance(dist_type, type):
            cls = dist_type.with_kwargs(**kwargs) if kwargs and issubclass(dist_type, ActionDistribution) else dist_type
            return cls, _python_ints(dist_type.required_model_output_shape(action_space, config))
        if dist_type is not None and dist_type not in _BOX_DIST_TYPES:
            raise ValueError(f"dist_type={dist_type!r} is not known; expected None, a class, or one of {list(_BOX_DIST_TYPES)}")

        if isinstance(action_space, gym.spaces.Box):
            if np.issubdtype(action_space.dtype, np.integer):
                low, high = int(np.min(action_space.low)), int(np.max(action_space.high))
                size = int(np.prod(action_space.shape))
                cls = _dist_class("multi_categorical", fw).with_kwargs(input_lens=[high - low + 1] * size, low=low, **kwargs)
                return cls, size * (high - low + 1)
            if dist_type is None and len(action_space.shape) > 1:
                raise UnsupportedSpaceException(
                    f"action space {action_space} has {len(action_space.shape)} dimensions; DiagGaussian needs a 1-D "
                    "Box (reshape it, use a Tuple space, or a custom_action_dist)"
                )
            kind = dist_type or "diag_gaussian"
            base = _dist_class(kind, fw)
            if kind in ("squashed_gaussian", "beta"):
                kwargs = {"low": float(np.min(action_space.low)), "high": float(np.max(action_space.high)), **kwargs}
            cls = base.with_kwargs(**kwargs) if kwargs else base
            return cls, base.required_model_output_shape(action_space, config)
        if dist_type is not None:
            raise ValueError(f"dist_type={dist_type!r} applies to float Box action spaces only, not to {action_space}")
        if isinstance(action_space, gym.spaces.Discrete):
            base = _dist_class("categorical", fw)
            if int(action_space.start) != 0:
                kwargs = {"low": int(action_space.start), **kwargs}
            return (base.with_kwargs(**kwargs) if kwargs else base), int(action_space.n)
        if isinstance(action_space, gym.spaces.MultiDiscrete):
            if action_space.nvec.ndim != 1:
                raise UnsupportedSpaceException(f"action space {action_space}: only 1-D MultiDiscrete spaces are supported")
            nvec = [int(n) for n in action_space.nvec]
            if np.any(action_space.start != 0):
                kwargs = {"low": [int(v) for v in action_space.start], **kwargs}
            return _dist_class("multi_categorical", fw).with_kwargs(input_lens=nvec, **kwargs), sum(nvec)
        if isinstance(action_space, gym.spaces.MultiBinary):
            size = int(np.prod(action_space.shape))
            return _dist_class("multi_categorical", fw).with_kwargs(input_lens=[2] * size, **kwargs), 2 * size
        if isinstance(action_space, (gym.spaces.Tuple, gym.spaces.Dict)):
            children, lens = [], []
            for sub in flatten_space(action_space):
                child_cls, n = ModelCatalog.get_action_dist(sub, config, framework=fw)
                children.append(child_cls)
                lens.append(int(np.prod(n)))
            cls = _dist_class("multi_action", fw).with_kwargs(
                child_distributions=children, input_lens=lens, action_space=action_space, **kwargs
            )
            return cls, sum(lens)
        raise UnsupportedSpaceException(
            f"action space {action_space} is not supported; expected Discrete, MultiDiscrete, MultiBinary, Box, Tuple "
            "or Dict (or a custom_action_dist)"
        )

    @staticmethod
    def get_action_shape(action_space: Any, framework: str = "torch") -> Tuple[np.dtype, Tuple[Optional[int], ...]]:
        """``(dtype, shape)`` of a flat batch of actions (``None`` = batch dimension).

        Examples:
            >>> import gymnasium as gym
            >>> ModelCatalog.get_action_shape(gym.spaces.Discrete(2))
            (dtype('int64'), (None,))
            >>> ModelCatalog.get_action_shape(gym.spaces.Tuple([gym.spaces.Discrete(2), gym.spaces.Box(0, 1, (3,))]))
            (dtype('float32'), (None, 4))
        """
        import gymnasium as gym

        from rlcore.models.action_dist import flat_action_size

        if isinstance(action_space, gym.spaces.Discrete):
            return np.dtype(np.int64), (None,)
        if isinstance(action_space, (gym.spaces.MultiDiscrete, gym.spaces.MultiBinary)):
            return np.dtype(np.int64), (None,) + tuple(int(d) for d in action_space.shape)
        if isinstance(action_space, gym.spaces.Box):
            return np.dtype(action_space.dtype), (None,) + tuple(int(d) for d in action_space.shape)
        if isinstance(action_space, (gym.spaces.Tuple, gym.spaces.Dict)):
            leaves = flatten_space(action_space)
            all_int = all(isinstance(s, (gym.spaces.Discrete, gym.spaces.MultiDiscrete)) for s in leaves)
            dtype = np.dtype(np.int64) if all_int else np.dtype(np.float32)
            return dtype, (None, sum(flat_action_size(s) for s in leaves))
        raise UnsupportedSpaceException(f"action space {action_space} is not supported")

    # ----------------------------------------------------------------- models
    @staticmethod
    def get_model_v2(
        obs_space: Any,
        action_space: Any,
        num_outputs: Optional[int],
        model_config: Optional[Dict[str, Any]],
        framework: str = "torch",
        name: str = "default_model",
        model_interface: Optional[type] = None,
        default_model: Optional[type] = None,
        **model_kwargs: Any,
    ):
        """Builds a model: the ``custom_model`` if set, else ``default_model``, else the default
        network for the observation space (VisionNetwork for 3-D Box observations, else
        FullyConnectedNetwork), wrapped in an LSTM when ``use_lstm`` or in a GTrXL attention net
        when ``use_attention``.

        A custom model receives ``model_kwargs`` merged with ``custom_model_config`` as keyword
        arguments; if its constructor does not take all of those keys, it gets ``model_kwargs``
        only and reads ``model_config["custom_model_config"]`` itself (RLlib 1.x's fallback, with
        a warning). ``model_interface`` is mixed in ahead of the model class (unless the model already subclasses it). Every model gets
        ``num_outputs`` as a Python ``int`` (a numpy integer such as gymnasium's ``Discrete.n``
        is converted: Keras 3 layers refuse it).

        Raises:
            ValueError: for an unregistered ``custom_model`` name (listing the registered ones), or
                both ``use_lstm`` and ``use_attention`` set.
            TypeError: when the model class is not a model of the requested framework.

        Examples:
            >>> import gymnasium as gym
            >>> ModelCatalog.get_model_v2(gym.spaces.Box(0, 1, (2,)), gym.spaces.Discrete(2), 2,
            ...                           {"custom_model": "nope"})  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            ValueError: custom_model='nope' is not registered; registered names: [...]
        """
        config = copy.deepcopy(MODEL_DEFAULTS)
        config.update(model_config or {})
        fw = normalize_framework(framework)
        if config.get("use_lstm") and config.get("use_attention"):
            raise ValueError("model_config sets both use_lstm=True and use_attention=True; only one of them may be set")
        if config.get("custom_model"):
            model_cls = ModelCatalog._lookup(config["custom_model"], ModelCatalog._custom_models, "custom_model")
            custom_config = dict(config.get("custom_options") or {})
            custom_config.update(config.get("custom_model_config") or {})
            kwargs = {**model_kwargs, **custom_config}
            if not _accepts_keywords(model_cls, custom_config):
                # RLlib 1.x's fallback: a model that reads model_config["custom_model_config"] itself.
                logger.warning("custom model %s does not take the custom_model_config keys %s as keyword "
                               "arguments; it gets them only in model_config['custom_model_config']",
                               model_cls.__name__, sorted(custom_config))
                kwargs = dict(model_kwargs)
        else:
            model_cls = default_model or ModelCatalog._default_model_class(obs_space, fw)
            kwargs = dict(model_kwargs)
        base = _model_class("torch_modelv2", "TorchModelV2", fw) if fw == "torch" else _model_class("tf_modelv2", "TFModelV2", fw)
        if not (isinstance(model_cls, type) and issubclass(model_cls, base)):
            raise TypeError(
                f"model class {model_cls!r} for framework={framework!r} must subclass {base.__name__} "
                f"({base.__module__})"
            )
        if config.get("use_lstm") or config.get("use_attention"):
            wrapped_forward = model_cls.forward
            wrapper = ("recurrent_net", "LSTMWrapper") if config.get("use_lstm") else ("attention_net", "AttentionWrapper")
            model_cls = _wrap(model_cls, _model_class(*wrapper, fw))
            model_cls._wrapped_forward = wrapped_forward
        if model_interface is not None and not issubclass(model_cls, model_interface):
            model_cls = _wrap(model_cls, model_interface)  # a model subclassing the interface is used as is (1.x)
        return model_cls(obs_space, action_space, _python_ints(num_outputs), config, name, **kwargs)

    @staticmethod
    def _default_model_class(obs_space: Any, framework: str) -> type:
        import gymnasium as gym

        if isinstance(obs_space, gym.spaces.Box) and len(obs_space.shape) == 3:
            return _model_class("visionnet", "VisionNetwork", framework)
        if isinstance(obs_space, gym.spaces.Box) or _has_flat_preprocessor(obs_space):
            return _model_class("fcnet", "FullyConnectedNetwork", framework)
        raise UnsupportedSpaceException(f"observation space {obs_space} is not supported by the default models")

    # ----------------------------------------------------------------- preprocessors
    @staticmethod
    def get_preprocessor_for_space(observation_space: Any, options: Optional[Dict[str, Any]] = None) -> Preprocessor:
        """Returns a preprocessor instance for ``observation_space`` (``custom_preprocessor`` wins).

        Examples:
            >>> import gymnasium as gym
            >>> p = ModelCatalog.get_preprocessor_for_space(gym.spaces.MultiDiscrete([2, 2]))
            >>> type(p).__name__, p.observation_space.original_space
            ('OneHotPreprocessor', MultiDiscrete([2 2]))
        """
        opts = copy.deepcopy(MODEL_DEFAULTS)
        opts.update(options or {})
        if opts.get("custom_preprocessor"):
            cls = ModelCatalog._lookup(opts["custom_preprocessor"], ModelCatalog._custom_preprocessors, "custom_preprocessor")
        else:
            cls = get_preprocessor(observation_space)
        return cls(observation_space, opts)

    @staticmethod
    def get_preprocessor(env: Any, options: Optional[Dict[str, Any]] = None) -> Preprocessor:
        """Returns a preprocessor for ``env.observation_space``."""
        return ModelCatalog.get_preprocessor_for_space(env.observation_space, options)


def _has_flat_preprocessor(space: Any) -> bool:
    try:
        get_preprocessor(space)
    except ValueError:
        return False
    return True


__all__ = ["MODEL_DEFAULTS", "ModelCatalog", "UnsupportedSpaceException"]

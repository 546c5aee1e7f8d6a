"""Trainer configuration: ``COMMON_CONFIG``, RLlib's merge rules, and validation.

A trainer's config is the user's dict merged over the algorithm's defaults, which are themselves
merged over :data:`COMMON_CONFIG` (``with_common_config``). The merge is RLlib 1.x's
``deep_update``: an unknown top-level key is an error (unless the trainer allows unknown keys),
the sub-dicts named in ``allow_unknown_subkeys`` (``model``, ``env_config``, ``multiagent``, ...)
accept new sub-keys, and a dict in ``override_all_subkeys_if_type_changes``
(``exploration_config``) is replaced as a whole when its ``"type"`` changes.

After merging, :func:`validate_config_types` checks every value against its default's type
(:data:`TYPE_UNIONS` lists the keys that accept more, e.g. ``env``: an id, a class, a creator
or None) and :func:`normalize_config` maps the framework names (``"tf"``, ``"tfe"`` ->
``"tf2"``), turns an ``input_evaluation`` tuple into a list and checks ``batch_mode``,
``log_level``, the thread keys and the ranges of ``horizon``, ``evaluation_interval`` and
``clip_rewards``. Every error is one line naming the key, the value and what was expected, with
the closest valid key for a typo.

Threads: ``framework_threads_for_driver`` and ``framework_threads_per_worker`` (rlcore's keys,
default ``"auto"``) choose torch's and TensorFlow's thread counts in the driver and in each remote
worker from ``num_cpus_for_driver`` / ``num_cpus_per_worker`` and RLlib's
``local_tf_session_args`` / ``tf_session_args``; ``None`` leaves the frameworks alone
(:mod:`rlcore.threads`).

Examples:
    >>> cfg = merge_config(COMMON_CONFIG, {"lr": 0.01, "model": {"fcnet_hiddens": [32]}})
    >>> cfg["lr"], cfg["model"]["fcnet_hiddens"], cfg["model"]["fcnet_activation"]
    (0.01, [32], 'tanh')
    >>> merge_config(COMMON_CONFIG, {"lrr": 0.01})
    Traceback (most recent call last):
    ...
    ValueError: unknown config key 'lrr'; did you mean 'lr'?
"""

from __future__ import annotations

import copy
import difflib
import logging
import numbers
import os
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Tuple

from rlcore.framework import normalize_framework
from rlcore.models.catalog import MODEL_DEFAULTS
from rlcore.sampling.callbacks import DefaultCallbacks
from rlcore.threads import check_thread_config

#: Keys whose dict values accept sub-keys that the default does not have (RLlib 1.x list).
ALLOW_UNKNOWN_SUBKEYS = [
    "tf_session_args", "local_tf_session_args", "env_config", "model", "optimizer", "multiagent",
    "custom_resources_per_worker", "evaluation_config", "exploration_config",
    "extra_python_environs_for_driver", "extra_python_environs_for_worker", "logger_config", "input_config",
]

#: Keys whose dict value replaces the default whole when its ``"type"`` differs.
OVERRIDE_ALL_SUBKEYS_IF_TYPE_CHANGES = ["exploration_config"]

# fmt: off
#: The RLlib 1.x common trainer config (rllib_api.md §5.3), plus rlcore's few extensions at the end.
COMMON_CONFIG: Dict[str, Any] = {
    # === Rollout workers ===
    "num_workers": 2,
    "num_envs_per_worker": 1,
    "create_env_on_driver": False,
    "rollout_fragment_length": 200,
    "batch_mode": "truncate_episodes",
    # === Training ===
    "num_gpus": 0,
    "train_batch_size": 200,
    "model": copy.deepcopy(MODEL_DEFAULTS),
    "optimizer": {},
    # === Environment ===
    "gamma": 0.99,
    "horizon": None,
    "soft_horizon": False,
    "no_done_at_end": False,
    "env_config": {},
    "env": None,
    # The spaces of the policies when there is no env to ask (env None, e.g. a policy server's input).
    "observation_space": None,
    "action_space": None,
    "normalize_actions": False,
    "clip_rewards": None,
    "clip_actions": True,
    "preprocessor_pref": "deepmind",
    "lr": 0.0001,
    # === Debugging ===
    "monitor": False,
    "record_env": False,
    "render_env": False,
    "log_level": "WARN",
    "callbacks": DefaultCallbacks,
    "ignore_worker_failures": False,
    "log_sys_usage": True,
    "fake_sampler": False,
    # === Deep learning framework ===
    "framework": "tf",
    "eager_tracing": False,
    # === Exploration ===
    "explore": True,
    "exploration_config": {"type": "StochasticSampling"},
    # === Evaluation ===
    "evaluation_interval": None,
    "evaluation_num_episodes": 10,
    "in_evaluation": False,
    "evaluation_config": {},
    "evaluation_num_workers": 0,
    "custom_eval_function": None,
    # === Advanced rollout settings ===
    "sample_async": False,
    "_use_trajectory_view_api": True,
    "sample_collector": None,
    "observation_filter": "NoFilter",
    "synchronize_filters": True,
    "tf_session_args": {
        "intra_op_parallelism_threads": 2,
        "inter_op_parallelism_threads": 2,
        "gpu_options": {"allow_growth": True},
        "log_device_placement": False,
        "device_count": {"CPU": 1},
        "allow_soft_placement": True,
    },
    "local_tf_session_args": {"intra_op_parallelism_threads": 8, "inter_op_parallelism_threads": 8},
    "compress_observations": False,
    "collect_metrics_timeout": 180,
    "metrics_smoothing_episodes": 100,
    "remote_worker_envs": False,
    "remote_env_batch_wait_ms": 0,
    # How a gymnasium env id is vectorized on each worker (RLlib 2.x's key): "sync" (num_envs
    # copies stepped in one loop, sub-env i seeded seed + i), "async" (gymnasium's AsyncVectorEnv,
    # one process per sub-env) or "vector_entry_point" (gymnasium's own vectorized class where the
    # env has one, e.g. CartPole: fastest at many envs; one random generator for all sub-envs).
    "gym_env_vectorize_mode": "sync",
    # Whether an episode truncated by a time limit or the horizon bootstraps from the value of its
    # last observation (rlcore, and RLlib 2.x); False: RLlib 1.x's rule, every done bootstraps 0.
    "bootstrap_truncated": True,
    "min_iter_time_s": 0,
    "timesteps_per_iteration": 0,
    "seed": None,
    "extra_python_environs_for_driver": {},
    "extra_python_environs_for_worker": {},
    # === Resources ===
    "num_cpus_per_worker": 1,
    "num_gpus_per_worker": 0,
    "custom_resources_per_worker": {},
    "num_cpus_for_driver": 1,
    "memory": 0,
    "object_store_memory": 0,
    "memory_per_worker": 0,
    "object_store_memory_per_worker": 0,
    # === Offline datasets ===
    "input": "sampler",
    "input_evaluation": ["is", "wis"],
    "postprocess_inputs": False,
    "shuffle_buffer_size": 0,
    "output": None,
    "output_compress_columns": ["obs", "new_obs"],
    "output_max_file_size": 64 * 1024 * 1024,
    # Options of the input readers (rlcore.offline.io_config): JsonReader's allow_pickled_columns and
    # ignore_corrupt; for input="dataset", Ray Data's format ("json" / "parquet"), paths, parallelism.
    "input_config": {},
    # === Multi-agent ===
    "multiagent": {
        "policies": {},
        "policy_mapping_fn": None,
        "policies_to_train": None,
        "observation_fn": None,
        "replay_mode": "independent",
        "count_steps_by": "env_steps",
    },
    "logger_config": None,
    "replay_sequence_length": 1,
    "simple_optimizer": None,
    "_fake_gpus": False,
    # === rlcore extensions ===
    # Ray cluster to join when the trainer needs Ray and Ray is not initialized yet (None: start one).
    "ray_address": None,
    # Replace a dead rollout worker (same index, current weights) instead of failing.
    "recreate_failed_workers": False,
    # Seconds any Ray call of the WorkerSet may wait.
    "worker_timeout_s": 300.0,
    # Placement of the remote rollout workers (RLlib 1.x's key): "PACK", "SPREAD", "STRICT_PACK" or
    # "STRICT_SPREAD". Under Tune, the strategy of the trial's placement group (None = "PACK", as
    # 1.x); outside Tune, set it to place the workers in a placement group of their own (one
    # bundle per worker); None = Ray's scheduler places them.
    "placement_strategy": None,
    # torch / TensorFlow threads of the driver (trainer + local worker) and of each remote rollout
    # worker (rlcore.threads): "auto" = the process's CPUs (num_cpus_for_driver /
    # num_cpus_per_worker, at least 1) capped by (local_)tf_session_args; an int n = n intra- and
    # inter-op threads; None = leave the frameworks' own settings (torch: one thread per core).
    "framework_threads_for_driver": "auto",
    "framework_threads_per_worker": "auto",
}
# fmt: on

_NUMBER = (int, float)


class _SpaceType(type):
    """``isinstance(x, _Space)`` is ``isinstance(x, gymnasium.spaces.Space)``, importing gymnasium only then."""

    def __instancecheck__(cls, value: Any) -> bool:
        import gymnasium

        return isinstance(value, gymnasium.spaces.Space)


class _Space(metaclass=_SpaceType):
    """Stands for ``gymnasium.spaces.Space`` in :data:`TYPE_UNIONS` (rlcore's import stays light)."""


#: Keys that accept more than their default's type. Every None-default key of COMMON_CONFIG has its
#: union here (from RLlib 1.x's COMMON_CONFIG comments); other ``None`` defaults accept anything.
TYPE_UNIONS: Dict[str, tuple] = {
    "num_gpus": _NUMBER, "num_cpus_per_worker": _NUMBER, "num_gpus_per_worker": _NUMBER,
    "num_cpus_for_driver": _NUMBER, "min_iter_time_s": _NUMBER, "collect_metrics_timeout": _NUMBER,
    "remote_env_batch_wait_ms": _NUMBER, "memory": _NUMBER, "object_store_memory": _NUMBER,
    "memory_per_worker": _NUMBER, "object_store_memory_per_worker": _NUMBER, "worker_timeout_s": _NUMBER,
    "buffer_size": _NUMBER, "learning_starts": _NUMBER,
    "callbacks": (type, dict, Callable), "input": (str, dict, list, Callable),
    "observation_filter": (str, Callable),  # a name, or a Filter class / fn(shape) -> Filter (get_filter)
    "input_evaluation": (list, tuple), "monitor": (bool, str), "record_env": (bool, str),
    "shuffle_buffer_size": _NUMBER, "output_max_file_size": _NUMBER,
    "framework_threads_for_driver": (str, int, type(None)), "framework_threads_per_worker": (str, int, type(None)),
    "placement_strategy": (str, type(None)),
    # The None-default keys (RLlib 1.x's comments): a wrong type is refused here, before any worker exists.
    "env": (str, Callable, type(None)),  # an env id / registered name, an env class or creator fn(env_config)
    "observation_space": (_Space, type(None)), "action_space": (_Space, type(None)),
    "clip_rewards": (bool, int, float, type(None)),  # None/False: off, True: sign, x > 0: [-x, x]
    "horizon": (numbers.Integral, type(None)), "evaluation_interval": (numbers.Integral, type(None)),
    "seed": (numbers.Integral, type(None)),
    "custom_eval_function": (Callable, type(None)),  # fn(trainer, eval_workers) -> metrics dict
    "logger_config": (dict, type(None)),
    "output": (str, os.PathLike, Callable, type(None)),  # "logdir", a directory, fn(ioctx) -> OutputWriter
    "ray_address": (str, type(None)),
    "sample_collector": (type, type(None)),  # a trajectory collector class
    "simple_optimizer": (bool, type(None)),
}

_LOG_LEVELS = ("DEBUG", "INFO", "WARN", "WARNING", "ERROR", "CRITICAL")


def _close(key: str, candidates: Iterable[str], prefix: str = "") -> str:
    match = difflib.get_close_matches(key, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean {prefix + match[0]!r}?" if match else ""


def deep_update(original: Dict[str, Any], new_dict: Mapping[str, Any], new_keys_allowed: bool = False,
                allow_new_subkey_list: Optional[Iterable[str]] = None,
                override_all_if_type_changes: Optional[Iterable[str]] = None, _path: str = "") -> Dict[str, Any]:
    """Updates ``original`` in place with ``new_dict``, recursing into dicts (RLlib's ``deep_update``).

    Args:
        original: The dict to update (usually a deep copy of the defaults).
        new_dict: The values to merge in.
        new_keys_allowed: Whether keys missing from ``original`` may be added at this level.
        allow_new_subkey_list: Keys whose dict values may gain new sub-keys.
        override_all_if_type_changes: Keys whose dict value is replaced whole when ``"type"`` changes.

    Returns:
        ``original``.

    Raises:
        ValueError: For a key ``original`` does not have (when not allowed), naming the closest one.

    Examples:
        >>> deep_update({"a": {"x": 1, "y": 2}}, {"a": {"y": 3}})
        {'a': {'x': 1, 'y': 3}}
        >>> deep_update({"e": {"type": "A", "eps": 1}}, {"e": {"type": "B"}}, False, [], ["e"])
        {'e': {'type': 'B'}}
        >>> deep_update({"model": {"fcnet_hiddens": 1}}, {"model": {"fcnet_hidden": 1}})
        Traceback (most recent call last):
        ...
        ValueError: unknown config key 'model.fcnet_hidden'; did you mean 'model.fcnet_hiddens'?
    """
    allow_new_subkey_list = list(allow_new_subkey_list or [])
    override_all_if_type_changes = list(override_all_if_type_changes or [])
    if not isinstance(new_dict, Mapping):
        where = _path.rstrip(".") or "config"
        raise TypeError(f"{where}={new_dict!r}: expected a dict, got {type(new_dict).__name__}")
    for k, value in new_dict.items():
        if k not in original and not new_keys_allowed:
            hint = _close(str(k), [str(c) for c in original], _path)
            raise ValueError(f"unknown config key {_path + str(k)!r}{hint}")
        old = original.get(k)
        if isinstance(old, dict) and isinstance(value, dict):
            if (k in override_all_if_type_changes and "type" in value and "type" in old
                    and value["type"] != old["type"]):
                original[k] = copy.deepcopy(value)
            elif k in allow_new_subkey_list:
                deep_update(old, value, True, _path=f"{_path}{k}.")
            else:
                deep_update(old, value, new_keys_allowed, _path=f"{_path}{k}.")
        else:
            original[k] = value
    return original


def _legacy_callbacks(config: Dict[str, Any]) -> Dict[str, Any]:
    """A ``callbacks`` dict (RLlib < 0.8.7) becomes a ``DefaultCallbacks`` factory."""
    callbacks = config.get("callbacks")
    if type(callbacks) is dict:
        legacy = callbacks

        def make_callbacks() -> DefaultCallbacks:
            return DefaultCallbacks(legacy_callbacks_dict=legacy)

        config = dict(config)
        config["callbacks"] = make_callbacks
    return config


def merge_config(base: Mapping[str, Any], update: Optional[Mapping[str, Any]], allow_unknown_configs: bool = False,
                 allow_unknown_subkeys: Optional[Iterable[str]] = None,
                 override_all_subkeys_if_type_changes: Optional[Iterable[str]] = None) -> Dict[str, Any]:
    """A deep copy of ``base`` updated with ``update`` under RLlib's merge rules.

    Args:
        base: Defaults (not modified).
        update: User values (``None`` means none).
        allow_unknown_configs: Accept top-level keys ``base`` does not have.
        allow_unknown_subkeys: Sub-dicts that accept new keys (default :data:`ALLOW_UNKNOWN_SUBKEYS`).
        override_all_subkeys_if_type_changes: Default :data:`OVERRIDE_ALL_SUBKEYS_IF_TYPE_CHANGES`.

    Examples:
        >>> merge_config({"a": 1}, {"b": 2}, allow_unknown_configs=True)
        {'a': 1, 'b': 2}
    """
    if update is not None and not isinstance(update, Mapping):
        raise TypeError(f"config={update!r}: expected a dict, got {type(update).__name__}")
    out = copy.deepcopy(dict(base))
    update = _legacy_callbacks(dict(update or {}))
    return deep_update(
        out, update, allow_unknown_configs,
        ALLOW_UNKNOWN_SUBKEYS if allow_unknown_subkeys is None else allow_unknown_subkeys,
        OVERRIDE_ALL_SUBKEYS_IF_TYPE_CHANGES if override_all_subkeys_if_type_changes is None
        else override_all_subkeys_if_type_changes)


def with_common_config(extra_config: Mapping[str, Any]) -> Dict[str, Any]:
    """``COMMON_CONFIG`` updated with an algorithm's defaults (new keys allowed).

    Examples:
        >>> cfg = with_common_config({"lr": 5e-5, "kl_coeff": 0.2})
        >>> cfg["lr"], cfg["kl_coeff"], cfg["num_workers"]
        (5e-05, 0.2, 2)
    """
    return merge_config(COMMON_CONFIG, extra_config, allow_unknown_configs=True)


_TYPE_NAMES = {Callable: "callable", type(None): "None", type: "a class", _Space: "a gymnasium Space",
               numbers.Integral: "int", os.PathLike: "a path"}


def _type_name(types: tuple) -> str:
    names = []
    for t in types:
        names.append(_TYPE_NAMES.get(t) or getattr(t, "__name__", str(t)))
    return " or ".join(names)


def _expected_types(key: str, default: Any) -> Optional[tuple]:
    if key in TYPE_UNIONS:
        return TYPE_UNIONS[key]
    if default is None:
        return None
    if isinstance(default, bool):
        return (bool,)
    if isinstance(default, int):
        return (int,)
    if isinstance(default, float):
        return _NUMBER
    if isinstance(default, str):
        return (str,)
    if isinstance(default, (list, tuple)):
        return (list, tuple)
    if isinstance(default, dict):
        return (dict,)
    if isinstance(default, type) or callable(default):
        return (type, Callable)
    return None


def _matches(value: Any, types: tuple) -> bool:
    for t in types:
        if t is Callable:
            if callable(value):
                return True
        elif t in (int, float, numbers.Integral) and isinstance(value, bool):
            continue
        elif isinstance(value, t):
            return True
    return False


def validate_config_types(config: Mapping[str, Any], defaults: Mapping[str, Any], _path: str = "") -> None:
    """Checks every value of ``config`` against the type of its default (recursing into dicts).

    ``None`` defaults accept any value, as does ``None`` for a dict/list default of a sub-dict;
    :data:`TYPE_UNIONS` lists keys that accept more than one type; a float default accepts ints.

    Raises:
        TypeError: naming the key, the value and the expected type.

    Examples:
        >>> validate_config_types({"lr": 1, "num_workers": 2}, COMMON_CONFIG)
        >>> validate_config_types({"num_workers": "2"}, COMMON_CONFIG)
        Traceback (most recent call last):
        ...
        TypeError: config key 'num_workers' = '2' has type str; expected int
        >>> validate_config_types({"seed": "42"}, COMMON_CONFIG)
        Traceback (most recent call last):
        ...
        TypeError: config key 'seed' = '42' has type str; expected int or None
    """
    for key, value in config.items():
        if key not in defaults:
            continue
        default = defaults[key]
        types = _expected_types(key, default)
        if types is None or _matches(value, types):
            if isinstance(default, dict) and isinstance(value, dict) and key != "exploration_config":
                validate_config_types(value, default, f"{_path}{key}.")
            continue
        if value is None and _path:
            continue
        if key == "env" and not _path:  # what an env spec may be is the registry's: its own words
            from rlcore.env.registry import env_spec_name

            try:
                env_spec_name(value)
            except TypeError as err:
                raise TypeError(f"config key 'env': {err}") from None
        raise TypeError(f"config key {_path + key!r} = {value!r:.80} has type {type(value).__name__}; "
                        f"expected {_type_name(types)}")


#: RLlib 1.x settings rlcore accepts with their default value but does not implement yet: any
#: other value is an error naming the key (never silently ignored). key -> (default, what is missing).
NOT_YET_IMPLEMENTED: Dict[str, Tuple[Any, str]] = {
    "monitor": (False, "recording episodes with gym's Monitor (no renderer on this stack; use render_env)"),
    "record_env": (False, "recording episode videos (no renderer on this stack; use render_env)"),
    "fake_sampler": (False, "RLlib's fake sampler for benchmarking the learner"),
    "compress_observations": (False, "LZ4 compression of observations (only the replay algorithms, DQN and "
                                     "SimpleQ, implement it: their replay buffers store observations compressed)"),
}

_PREPROCESSOR_PREFS = ("deepmind", "rllib", None)


def check_not_yet_implemented(config: Mapping[str, Any], implemented: Tuple[str, ...] = ()) -> None:
    """Raises for a 1.x setting rlcore does not implement yet, set to something else than its default.

    ``implemented`` names keys of :data:`NOT_YET_IMPLEMENTED` that the calling trainer does
    implement (a trainer class's ``implemented_1x_keys``, e.g. DQN's ``compress_observations``).
    The offline keys (``input``, ``output``, ...) are checked by
    :func:`rlcore.offline.io_config.check_io_config`.

    Examples:
        >>> check_not_yet_implemented({"input": "sampler", "output": None})
        >>> check_not_yet_implemented({"fake_sampler": True})
        Traceback (most recent call last):
        ...
        ValueError: config key 'fake_sampler' = True: RLlib's fake sampler for benchmarking the learner, not implemented yet; leave it at False
    """
    for key, (default, what) in NOT_YET_IMPLEMENTED.items():
        if key in implemented:
            continue
        value = config.get(key, default)
        if value != default and not (default is False and value is None):
            raise ValueError(f"config key {key!r} = {value!r}: {what}, not implemented yet; leave it at {default!r}")
    from rlcore.offline.io_config import check_io_config

    check_io_config(config)
    pref = config.get("preprocessor_pref", "deepmind")
    if pref not in _PREPROCESSOR_PREFS:
        raise ValueError(f"config key 'preprocessor_pref' = {pref!r}; expected one of {list(_PREPROCESSOR_PREFS)} "
                         "(it picks the Atari image wrapping, which this stack does not install)")


def normalize_config(config: Dict[str, Any], implemented: Tuple[str, ...] = ()) -> Dict[str, Any]:
    """Normalizes a merged config in place: framework name, ``input_evaluation``, enum checks.

    ``implemented``: keys of :data:`NOT_YET_IMPLEMENTED` the trainer implements (not refused).

    ``"tf"`` meant a static graph in RLlib 1.x; here it is TensorFlow 2 traced with ``tf.function``
    (``eager_tracing=True``), which runs at graph speed. ``"tfe"``/``"tf2"`` run eagerly unless
    ``eager_tracing`` is set.

    Examples:
        >>> normalize_config({"framework": "tf"})
        {'framework': 'tf2', 'eager_tracing': True}
        >>> normalize_config({"framework": "tfe", "input_evaluation": ("is",)})
        {'framework': 'tf2', 'input_evaluation': ['is']}
    """
    if "framework" in config:
        if config["framework"] == "tf":  # RLlib's static-graph mode: the TF2 equivalent is tracing
            config["eager_tracing"] = True
        config["framework"] = normalize_framework(config["framework"])
    if isinstance(config.get("input_evaluation"), tuple):
        config["input_evaluation"] = list(config["input_evaluation"])
    mode = config.get("batch_mode")
    if mode is not None and mode not in ("truncate_episodes", "complete_episodes"):
        raise ValueError(f"config key 'batch_mode' = {mode!r}; expected 'truncate_episodes' or 'complete_episodes'")
    level = config.get("log_level")
    if level is not None and str(level).upper() not in _LOG_LEVELS:
        raise ValueError(f"config key 'log_level' = {level!r}; expected one of {list(_LOG_LEVELS)}")
    check_thread_config(config)
    check_not_yet_implemented(config, implemented)
    _check_none_default_values(config)
    for key in ("num_workers", "evaluation_num_workers", "num_envs_per_worker", "rollout_fragment_length"):
        v = config.get(key)
        if isinstance(v, int) and v < (1 if key in ("num_envs_per_worker", "rollout_fragment_length") else 0):
            raise ValueError(f"config key {key!r} = {v!r}; expected a "
                             f"{'positive' if key in ('num_envs_per_worker', 'rollout_fragment_length') else 'non-negative'} int")
    return config


def _check_none_default_values(config: Mapping[str, Any]) -> None:
    """The value ranges of the None-default keys whose types :func:`validate_config_types` checked."""
    horizon = config.get("horizon")
    if isinstance(horizon, numbers.Integral) and not isinstance(horizon, bool) and horizon < 1:
        raise ValueError(f"config key 'horizon' = {horizon!r}; expected None (the env's own time limit) or an int > 0")
    interval = config.get("evaluation_interval")
    if isinstance(interval, numbers.Integral) and not isinstance(interval, bool) and interval < 0:
        raise ValueError(f"config key 'evaluation_interval' = {interval!r}; expected None or 0 (no evaluation) or "
                         "an int >= 1 (evaluate every that many iterations)")
    clip = config.get("clip_rewards")
    if isinstance(clip, (int, float)) and not isinstance(clip, bool) and not clip > 0:
        raise ValueError(f"config key 'clip_rewards' = {clip!r}; expected None, False, True (clip to the sign) or a "
                         "number > 0 (clip to [-x, x])")


def log_level_number(level: str) -> int:
    """The ``logging`` level of a config ``log_level`` (``"WARN"`` -> ``logging.WARNING``).

    Examples:
        >>> log_level_number("INFO") == logging.INFO
        True
    """
    name = str(level).upper()
    return logging.WARNING if name == "WARN" else getattr(logging, name)

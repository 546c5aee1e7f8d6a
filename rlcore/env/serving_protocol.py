"""The policy server's wire: commands, msgpack messages, spaces, metrics and configs as data.

Every request is an HTTP ``POST`` whose body is one msgpack map ``{"command": <name>, ...}``
(:class:`Commands`, RLlib 1.x's names); every answer is ``200`` with a msgpack map, or a 4xx/5xx
with a one-line ``text/plain`` reason. Values are packed by :func:`rlcore.data.codec.pack_values`
(numpy arrays and scalars, tuples and sets as msgpack ext types) and sample batches by
:func:`rlcore.data.codec.to_bytes`, carried as ``bin``. Nothing is ever unpickled: RLlib 1.x
pickled both ways (``cloudpickle``), so a request could run code on the server.

What 1.x pickled and msgpack cannot carry is sent as data: gymnasium spaces
(:func:`space_to_wire`), ``RolloutMetrics`` (:func:`metrics_to_wire`), the trainer config with
its functions and classes left out (:func:`data_only`), and policy classes by import path
(:func:`class_path`), which a client imports only from ``rlcore`` unless told otherwise.

Examples:
    >>> import gymnasium as gym
    >>> space = gym.spaces.Dict({"a": gym.spaces.Discrete(3), "b": gym.spaces.Box(-1.0, 1.0, (2,))})
    >>> space_from_wire(decode_message(encode_message({"s": space_to_wire(space)}))["s"]) == space
    True
    >>> data_only({"lr": 0.1, "callbacks": object, "model": {"fcnet_hiddens": [8]}})
    ({'lr': 0.1, 'model': {'fcnet_hiddens': [8]}}, ['callbacks'])
"""

from __future__ import annotations

import enum
import importlib
from typing import Any, Dict, Iterable, List, Mapping, Tuple

import numpy as np

from rlcore.data.codec import pack_values, unpack_values

__all__ = [
    "Commands", "WireError", "encode_message", "decode_message", "space_to_wire", "space_from_wire",
    "metrics_to_wire", "metrics_from_wire", "data_only", "class_path", "import_class", "CONTENT_TYPE",
    "filter_buffers_to_wire", "filter_stats_to_wire", "running_stat_from_wire",
]

#: The Content-Type of requests and successful answers.
CONTENT_TYPE = "application/msgpack"


class Commands(str, enum.Enum):
    """The requests a :class:`~rlcore.env.policy_server_input.PolicyServerInput` answers (RLlib 1.x)."""

    ACTION_SPACE = "ACTION_SPACE"
    OBSERVATION_SPACE = "OBSERVATION_SPACE"
    # local inference: the client runs the policy itself
    GET_WORKER_ARGS = "GET_WORKER_ARGS"
    GET_WEIGHTS = "GET_WEIGHTS"
    REPORT_SAMPLES = "REPORT_SAMPLES"
    # remote inference: the server's policy answers each call
    START_EPISODE = "START_EPISODE"
    GET_ACTION = "GET_ACTION"
    LOG_ACTION = "LOG_ACTION"
    LOG_RETURNS = "LOG_RETURNS"
    END_EPISODE = "END_EPISODE"


class WireError(ValueError):
    """A message that is not what the protocol says (answered with 400 by the server)."""


def encode_message(message: Mapping[str, Any]) -> bytes:
    """A request or answer map as msgpack bytes (enum members become their names).

    Raises:
        TypeError: A value that cannot be sent (its type is named).
    """
    return pack_values({k: (v.value if isinstance(v, Commands) else v) for k, v in message.items()})


def decode_message(body: bytes) -> Dict[str, Any]:
    """The map a message carries.

    Raises:
        WireError: Not msgpack, truncated, or not a map with string keys.

    Examples:
        >>> decode_message(b"\\x93\\x01")
        Traceback (most recent call last):
        ...
        rlcore.env.serving_protocol.WireError: malformed body: malformed msgpack value: ValueError: 3 exceeds max_array_len(2)
    """
    try:
        message = unpack_values(body)
    except ValueError as err:
        raise WireError(f"malformed body: {err}") from None
    if not isinstance(message, dict) or not all(isinstance(k, str) for k in message):
        raise WireError(f"malformed body: expected a msgpack map with string keys, got {type(message).__name__}")
    return message


# ----------------------------------------------------------------------------------- spaces
def space_to_wire(space: Any) -> Dict[str, Any]:
    """A gymnasium space as a msgpack-able map (Box, Discrete, MultiDiscrete, MultiBinary, Tuple, Dict).

    Raises:
        TypeError: For another space type (named).
    """
    from gymnasium import spaces

    if isinstance(space, spaces.Box):
        return {"type": "Box", "low": space.low, "high": space.high, "dtype": space.dtype.str}
    if isinstance(space, spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n), "start": int(space.start)}
    if isinstance(space, spaces.MultiDiscrete):
        return {"type": "MultiDiscrete", "nvec": space.nvec, "dtype": space.dtype.str}
    if isinstance(space, spaces.MultiBinary):
        return {"type": "MultiBinary", "n": np.asarray(space.n)}
    if isinstance(space, spaces.Tuple):
        return {"type": "Tuple", "spaces": [space_to_wire(s) for s in space.spaces]}
    if isinstance(space, spaces.Dict):
        return {"type": "Dict", "spaces": [[k, space_to_wire(s)] for k, s in space.spaces.items()]}
    raise TypeError(f"cannot send a {type(space).__name__} space: expected Box, Discrete, MultiDiscrete, "
                    "MultiBinary, Tuple or Dict")


def space_from_wire(data: Any) -> Any:
    """The space :func:`space_to_wire` described.

    Raises:
        WireError: For a malformed description.
    """
    from gymnasium import spaces

    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise WireError(f"malformed space: {data!r:.80}")
    kind = data["type"]
    try:
        if kind == "Box":
            return spaces.Box(np.asarray(data["low"]), np.asarray(data["high"]), dtype=np.dtype(data["dtype"]))
        if kind == "Discrete":
            return spaces.Discrete(int(data["n"]), start=int(data["start"]))
        if kind == "MultiDiscrete":
            return spaces.MultiDiscrete(np.asarray(data["nvec"]), dtype=np.dtype(data["dtype"]))
        if kind == "MultiBinary":
            n = np.asarray(data["n"])
            return spaces.MultiBinary(int(n) if n.ndim == 0 else n.tolist())
        if kind == "Tuple":
            return spaces.Tuple([space_from_wire(s) for s in data["spaces"]])
        if kind == "Dict":
            return spaces.Dict({k: space_from_wire(s) for k, s in data["spaces"]})
    except (KeyError, TypeError, ValueError) as err:
        raise WireError(f"malformed {kind} space: {type(err).__name__}: {err}") from None
    raise WireError(f"unknown space type {kind!r}")


# ---------------------------------------------------------------------------------- metrics
def metrics_to_wire(metrics: Iterable[Any]) -> List[list]:
    """``RolloutMetrics`` as lists of data (``media`` is left out: it holds arbitrary objects)."""
    out = []
    for m in metrics:
        agent_rewards = [[_plain(k[0]), _plain(k[1]), float(v)] for k, v in (m.agent_rewards or {}).items()]
        out.append([int(m.episode_length), float(m.episode_reward), agent_rewards,
                    _numbers(m.custom_metrics), _numbers(m.perf_stats), dict(m.hist_data or {})])
    return out


def metrics_from_wire(data: Any) -> list:
    """The ``RolloutMetrics`` :func:`metrics_to_wire` described.

    Raises:
        WireError: For a malformed list.
    """
    from rlcore.sampling.metrics import RolloutMetrics

    if not isinstance(data, list):
        raise WireError(f"malformed metrics: expected a list, got {type(data).__name__}")
    out = []
    for item in data:
        try:
            length, reward, agent_rewards, custom, perf, hist = item
            out.append(RolloutMetrics(int(length), float(reward), {(a, p): float(r) for a, p, r in agent_rewards},
                                      dict(custom), dict(perf), dict(hist)))
        except (TypeError, ValueError) as err:
            raise WireError(f"malformed metrics entry {item!r:.80}: {err}") from None
    return out


# ---------------------------------------------------------------------------------- filters
# Observation filters with running statistics (``observation_filter: "MeanStdFilter"``) travel as
# FilterManager moves them between workers: a client sends what it pushed since its last report
# (the filter's buffer) with REPORT_SAMPLES; the server adds it to its worker's filter and answers
# with the merged running statistics, which the client then filters with.


def filter_buffers_to_wire(filters: Mapping[str, Any]) -> Dict[str, Dict[str, Any]]:
    """The buffers (pushed since the last flush) of the running-statistics filters, by policy id."""
    from rlcore.sampling.filters import MeanStdFilter

    return {str(pid): f.buffer.get_state() for pid, f in filters.items() if isinstance(f, MeanStdFilter)}


def filter_stats_to_wire(filters: Mapping[str, Any]) -> Dict[str, Dict[str, Any]]:
    """The running statistics of the running-statistics filters, by policy id."""
    from rlcore.sampling.filters import MeanStdFilter

    return {str(pid): f.rs.get_state() for pid, f in filters.items() if isinstance(f, MeanStdFilter)}


def running_stat_from_wire(data: Any, shape: Tuple[int, ...], name: str) -> Any:
    """A :class:`~rlcore.sampling.filters.RunningStat` of ``shape`` from its state, checked.

    Raises:
        WireError: Not a ``{"n", "mean", "sum_sq"}`` map of that shape with ``n >= 0`` and finite
            values (``name`` says whose).

    Examples:
        >>> rs = running_stat_from_wire({"n": 2, "mean": np.ones(3), "sum_sq": np.zeros(3)}, (3,), "f")
        >>> rs.n, rs.mean.tolist()
        (2, [1.0, 1.0, 1.0])
        >>> running_stat_from_wire({"n": -1, "mean": np.ones(3), "sum_sq": np.zeros(3)}, (3,), "f")
        Traceback (most recent call last):
        ...
        rlcore.env.serving_protocol.WireError: malformed f: n=-1 mean shape (3,) (expected an int n >= 0, finite arrays of shape (3,) and sum_sq >= 0)
    """
    from rlcore.sampling.filters import RunningStat

    if not isinstance(data, dict) or set(data) != {"n", "mean", "sum_sq"}:
        raise WireError(f"malformed {name}: expected a map with keys n, mean, sum_sq, got {data!r:.80}")
    n = data["n"]
    try:
        mean = np.asarray(data["mean"], dtype=np.float64)
        sum_sq = np.asarray(data["sum_sq"], dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise WireError(f"malformed {name}: {err}") from None
    ok = (isinstance(n, int) and not isinstance(n, bool) and n >= 0 and mean.shape == tuple(shape)
          and sum_sq.shape == tuple(shape) and bool(np.all(np.isfinite(mean))) and bool(np.all(np.isfinite(sum_sq)))
          and bool(np.all(sum_sq >= 0)))
    if not ok:
        raise WireError(f"malformed {name}: n={n!r:.20} mean shape {mean.shape} (expected an int n >= 0, finite "
                        f"arrays of shape {tuple(shape)} and sum_sq >= 0)")
    rs = RunningStat(tuple(shape))
    rs.set_state({"n": n, "mean": mean, "sum_sq": sum_sq})
    return rs


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _numbers(d: Any) -> Dict[str, float]:
    return {str(k): float(v) for k, v in (d or {}).items() if isinstance(v, (int, float, np.number))}


# ------------------------------------------------------------------------- config as data
_SPACE = "__space__"


def data_only(config: Mapping[str, Any], _path: str = "") -> Tuple[Dict[str, Any], List[str]]:
    """``config`` without what cannot travel as data (functions, classes, objects), and the
    dotted keys left out. Gymnasium spaces travel as ``{"__space__": space_to_wire(space)}``.
    """
    out: Dict[str, Any] = {}
    dropped: List[str] = []
    for key, value in config.items():
        name = f"{_path}{key}"
        kept, ok = _data_value(value, name, dropped)
        if ok:
            out[key] = kept
        else:
            dropped.append(name)
    return out, dropped


def _data_value(value: Any, name: str, dropped: List[str]) -> Tuple[Any, bool]:
    if value is None or isinstance(value, (bool, int, float, str, bytes, np.number, np.bool_)):
        return value, True
    if isinstance(value, np.ndarray) and value.dtype != object:
        return value, True
    if isinstance(value, Mapping):
        if not all(isinstance(k, (str, int)) for k in value):
            return None, False
        sub, sub_dropped = data_only(value, f"{name}.")
        dropped.extend(sub_dropped)
        return sub, True
    if isinstance(value, (list, tuple)):
        items = [_data_value(v, name, []) for v in value]
        return ([v for v, _ in items], True) if all(ok for _, ok in items) else (None, False)
    try:
        return {_SPACE: space_to_wire(value)}, True
    except TypeError:
        return None, False


def config_from_wire(config: Any) -> Any:
    """:func:`data_only`'s output with its spaces rebuilt."""
    if isinstance(config, dict):
        if set(config) == {_SPACE}:
            return space_from_wire(config[_SPACE])
        return {k: config_from_wire(v) for k, v in config.items()}
    if isinstance(config, list):
        return [config_from_wire(v) for v in config]
    return config


# ---------------------------------------------------------------------------- classes by path
def class_path(cls: type) -> str:
    """An import path ``"module:Name"`` under which ``cls`` itself can be found.

    Classes made by the policy templates live in a module other than their ``__module__`` says,
    so the loaded modules are searched for one that exports the very class.

    Raises:
        ValueError: No loaded module exports ``cls`` under its name.

    Examples:
        >>> from rlcore.policy.random_policy import RandomPolicy
        >>> class_path(RandomPolicy)
        'rlcore.policy.random_policy:RandomPolicy'
    """
    import sys

    name = cls.__name__
    candidates = [cls.__module__] + sorted(m for m in list(sys.modules) if m.startswith("rlcore."))
    candidates += sorted(m for m in list(sys.modules) if not m.startswith("rlcore."))
    for module_name in candidates:
        module = sys.modules.get(module_name)
        if module is not None and getattr(module, name, None) is cls:
            return f"{module_name}:{name}"
    # A template-made class that reached this process pickled by value (a rollout worker actor's
    # policy class) is a copy: the rlcore module exporting the original (same module and
    # qualified name) names it too.
    for module_name in sorted(m for m in list(sys.modules) if m.startswith("rlcore.")):
        module = sys.modules.get(module_name)
        try:
            found = getattr(module, name, None)
        except ImportError:  # a lazy package export that cannot load here
            continue
        if (isinstance(found, type) and found.__module__ == cls.__module__
                and found.__qualname__ == cls.__qualname__):
            return f"{module_name}:{name}"
    raise ValueError(f"policy class {cls!r} is exported by no loaded module under the name {name!r}; a local-inference "
                     "client cannot build it: pass PolicyClient(policy_class=...)")


def import_class(path: str, trusted_prefixes: Tuple[str, ...] = ("rlcore.",)) -> type:
    """The class at ``"module:Name"``, imported only from modules under ``trusted_prefixes``.

    Raises:
        ValueError: A malformed path, an untrusted module, or no such class.

    Examples:
        >>> import_class("os:system")
        Traceback (most recent call last):
        ...
        ValueError: policy class 'os:system': the server named a module outside ('rlcore.',); pass PolicyClient(policy_class=...) to use it
    """
    module_name, _, name = str(path).partition(":")
    if not module_name or not name:
        raise ValueError(f"policy class {path!r}: expected 'module:Name'")
    if not module_name.startswith(tuple(trusted_prefixes)):
        raise ValueError(f"policy class {path!r}: the server named a module outside {tuple(trusted_prefixes)}; "
                         "pass PolicyClient(policy_class=...) to use it")
    cls = getattr(importlib.import_module(module_name), name, None)
    if not isinstance(cls, type):
        raise ValueError(f"policy class {path!r}: {module_name} has no class {name!r}")
    return cls

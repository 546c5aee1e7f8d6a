"""Fault injection: envs that fail on purpose, and killing a rollout worker, to test recovery.

A run survives worker failures when the config says ``recreate_failed_workers`` (the worker is
replaced) or ``ignore_worker_failures`` (training goes on without it). To check that on a real
run, make a chosen worker fail at a chosen step through ``env_config["fault"]``:

- ``at_step`` (int >= 1): the step of each env instance (counted across its episodes, from 1)
  at which the fault fires; a recreated worker builds new envs, so it fails again at its own
  ``at_step``: a fault every ``at_step`` steps per worker;
- ``kind``: ``"exception"`` (``step`` raises :class:`InjectedFault`), ``"exit"`` (the process
  ends at once with ``os._exit(exit_code)``, as a crash or an OOM kill would: on worker 0, the
  local worker, that is the driver), ``"slow"`` (every step from ``at_step`` on sleeps
  ``delay_s``: a worker that became slow);
- ``worker_indices`` (list of ints, default every remote worker: index >= 1) and
  ``vector_indices`` (list of ints, default every sub-env): where the fault fires;
- ``delay_s`` (number > 0, ``"slow"`` only), ``exit_code`` (int, ``"exit"`` only, default 1).

Two ways to add it to an env: ``config["env"] = FaultInjectionEnv`` with the wrapped env in
``env_config["env"]`` (a gymnasium id, registered name or env class), or a creator wrapped with
:func:`with_faults` (``register_env("faulty", with_faults(my_creator))``). Envs of workers
the fault does not name run unchanged. :func:`kill_worker` ``ray.kill``\\ s a remote worker by
index, for failures from outside the env.

Examples:
    >>> from rlcore.env import EnvContext
    >>> ctx = EnvContext({"env": "CartPole-v1", "fault": {"at_step": 3, "worker_indices": [1]}}, worker_index=1)
    >>> env = FaultInjectionEnv(ctx)
    >>> _ = env.reset(seed=0)
    >>> _ = env.step(0), env.step(0)
    >>> env.step(0)
    Traceback (most recent call last):
    ...
    rlcore.env.fault_injection.InjectedFault: injected fault at step 3 of worker 1, sub-env 0 (env_config['fault']: kind='exception', at_step=3)
    >>> FaultSpec.from_config({"at_step": 0})
    Traceback (most recent call last):
    ...
    ValueError: env_config['fault']['at_step'] = 0: expected an int >= 1 (the env step at which the fault fires)
"""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Any, Callable, Mapping, Optional, Tuple

import gymnasium as gym

from rlcore.env.env_context import EnvContext

__all__ = ["FAULT_KINDS", "FaultInjectionEnv", "FaultSpec", "InjectedFault", "kill_worker", "with_faults"]

#: What a fault does when it fires.
FAULT_KINDS = ("exception", "exit", "slow")

_KEYS = ("at_step", "kind", "worker_indices", "vector_indices", "delay_s", "exit_code")


class InjectedFault(RuntimeError):
    """The exception a ``kind="exception"`` fault raises from ``step``."""


def _key(name: str) -> str:
    return f"env_config['fault'][{name!r}]"


def _int(name: str, value: Any, minimum: int, meaning: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{_key(name)} = {value!r}: expected an int >= {minimum} ({meaning})")
    return value


def _indices(name: str, value: Any) -> Optional[Tuple[int, ...]]:
    if value is None:
        return None
    if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
        raise ValueError(f"{_key(name)} = {value!r}: expected a list of ints >= 0 (or None for all)")
    return tuple(_int(name, v, 0, "an index") for v in value)


@dataclasses.dataclass(frozen=True)
class FaultSpec:
    """A validated ``env_config["fault"]`` (see the module docstring for each field).

    Examples:
        >>> spec = FaultSpec.from_config({"at_step": 5, "kind": "slow", "delay_s": 0.1})
        >>> spec.kind, spec.worker_indices, spec.fires_in(EnvContext(worker_index=0)), spec.fires_in(EnvContext(worker_index=2))
        ('slow', None, False, True)
    """

    at_step: int
    kind: str = "exception"
    worker_indices: Optional[Tuple[int, ...]] = None
    vector_indices: Optional[Tuple[int, ...]] = None
    delay_s: float = 0.0
    exit_code: int = 1

    @classmethod
    def from_config(cls, value: Any) -> "FaultSpec":
        """Checks and converts ``env_config["fault"]``.

        Raises:
            ValueError: For a missing or unknown key or a wrong value, naming the key, the value and
                what was expected.
        """
        if not isinstance(value, Mapping):
            raise ValueError(f"env_config['fault'] = {value!r}: expected a dict with at least 'at_step'")
        unknown = sorted(set(value) - set(_KEYS))
        if unknown:
            raise ValueError(f"env_config['fault'] has unknown key(s) {unknown}: expected some of {list(_KEYS)}")
        if "at_step" not in value:
            raise ValueError(f"env_config['fault'] = {dict(value)!r}: missing 'at_step' (the env step at which the "
                             "fault fires)")
        kind = value.get("kind", "exception")
        if kind not in FAULT_KINDS:
            raise ValueError(f"{_key('kind')} = {kind!r}: expected one of {list(FAULT_KINDS)}")
        delay = value.get("delay_s", 0.0)
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) or delay < 0:
            raise ValueError(f"{_key('delay_s')} = {delay!r}: expected a number of seconds >= 0")
        if kind == "slow" and not delay:
            raise ValueError(f"{_key('delay_s')} = {delay!r}: kind 'slow' needs a delay > 0 (seconds per step)")
        return cls(at_step=_int("at_step", value["at_step"], 1, "the env step at which the fault fires"),
                   kind=kind, worker_indices=_indices("worker_indices", value.get("worker_indices")),
                   vector_indices=_indices("vector_indices", value.get("vector_indices")),
                   delay_s=float(delay), exit_code=_int("exit_code", value.get("exit_code", 1), 0, "a process exit code"))

    def fires_in(self, ctx: EnvContext) -> bool:
        """Whether the env of ``ctx`` (worker and vector index) is one this fault names."""
        workers_ok = (ctx.worker_index >= 1 if self.worker_indices is None
                      else ctx.worker_index in self.worker_indices)
        return workers_ok and (self.vector_indices is None or ctx.vector_index in self.vector_indices)


class FaultInjectionEnv(gym.Wrapper):
    """A gymnasium env that fails as ``env_config["fault"]`` says (see the module docstring).

    Args:
        env_config: The ``EnvContext``; ``"env"`` names the env to wrap (gymnasium id, registered
            name or class) unless ``env`` is given, ``"fault"`` is the fault (absent or None: no
            fault). The wrapped env's creator gets the context without these two keys.
        env: An env to wrap instead of building ``env_config["env"]``.

    Raises:
        ValueError: For a bad ``fault``, or no env to wrap.
        TypeError: When the env to wrap is not a ``gymnasium.Env``.

    Attributes:
        fault: The :class:`FaultSpec`, or None when this env's worker is not named.
        steps: Steps taken by this env instance, over all its episodes.
    """

    def __init__(self, env_config: Mapping[str, Any], env: Optional[gym.Env] = None):
        ctx = env_config if isinstance(env_config, EnvContext) else EnvContext(env_config)
        raw = ctx.get("fault")
        spec = FaultSpec.from_config(raw) if raw is not None else None
        if env is None:
            if "env" not in ctx:
                raise ValueError(f"FaultInjectionEnv: env_config = {dict(ctx)!r} has no 'env' (the env to wrap: "
                                 "a gymnasium id, registered name or env class)")
            from rlcore.env.registry import make_env_creator

            env = make_env_creator(ctx["env"])(_without(ctx, ("env", "fault")))
        if not isinstance(env, gym.Env):
            raise TypeError(f"FaultInjectionEnv wraps a gymnasium.Env; got {type(env).__name__}")
        super().__init__(env)
        self.fault = spec if spec is not None and spec.fires_in(ctx) else None
        self.worker_index, self.vector_index = ctx.worker_index, ctx.vector_index
        self.steps = 0

    def step(self, action: Any) -> Any:
        self.steps += 1
        fault = self.fault
        if fault is not None and self.steps >= fault.at_step:
            if fault.kind == "slow":
                time.sleep(fault.delay_s)
            elif self.steps == fault.at_step:
                self._fire(fault)
        return self.env.step(action)

    def _fire(self, fault: FaultSpec) -> None:
        if fault.kind == "exit":
            os._exit(fault.exit_code)  # an abrupt end, as a crash: no cleanup, no exception
        raise InjectedFault(f"injected fault at step {self.steps} of worker {self.worker_index}, sub-env "
                            f"{self.vector_index} (env_config['fault']: kind={fault.kind!r}, at_step={fault.at_step})")


def _without(ctx: EnvContext, keys: Tuple[str, ...]) -> EnvContext:
    return ctx.copy_with_overrides(env_config={k: v for k, v in ctx.items() if k not in keys})


class with_faults:  # noqa: N801 - used as a decorator, named as a function
    """Wraps an env creator so its envs fail as ``env_config["fault"]`` says.

    The creator gets the context without ``"fault"``; envs of workers the fault names are wrapped
    in :class:`FaultInjectionEnv`, the others returned as built. Picklable when the creator is.

    Examples:
        >>> creator = with_faults(lambda ctx: gym.make("CartPole-v1"))
        >>> env = creator(EnvContext({"fault": {"at_step": 1, "worker_indices": [2]}}, worker_index=2))
        >>> _ = env.reset(seed=0)
        >>> env.step(0)
        Traceback (most recent call last):
        ...
        rlcore.env.fault_injection.InjectedFault: injected fault at step 1 of worker 2, sub-env 0 (env_config['fault']: kind='exception', at_step=1)
        >>> type(creator(EnvContext({"fault": {"at_step": 1, "worker_indices": [2]}}, worker_index=1))).__name__
        'TimeLimit'
    """

    def __init__(self, creator: Callable[[EnvContext], Any]):
        if not callable(creator):
            raise TypeError(f"with_faults(creator={creator!r}): expected a callable creator(env_context) -> env")
        self.creator = creator

    def __call__(self, env_config: Mapping[str, Any]) -> Any:
        ctx = env_config if isinstance(env_config, EnvContext) else EnvContext(env_config)
        raw = ctx.get("fault")
        spec = FaultSpec.from_config(raw) if raw is not None else None
        env = self.creator(_without(ctx, ("fault",)))
        if spec is None or not spec.fires_in(ctx):
            return env
        return FaultInjectionEnv(ctx, env=env)


def kill_worker(workers: Any, index: int) -> Any:
    """``ray.kill``\\ s the remote rollout worker with 1-based ``index`` of a ``WorkerSet``.

    The actor is not restarted by Ray; the worker set finds it dead at its next call and
    recreates or drops it (``recreate_failed_workers`` / ``ignore_worker_failures``) or raises.

    Args:
        workers: A :class:`~rlcore.sampling.WorkerSet` (e.g. ``trainer.workers``).
        index: The worker's index (``workers.remote_worker_indices()`` lists them).

    Returns:
        The killed actor handle.

    Raises:
        ValueError: When no remote worker has that index.
    """
    import ray

    indices = workers.remote_worker_indices()
    if index not in indices:
        raise ValueError(f"kill_worker index={index!r}: no remote worker has it (remote worker indices: {indices})")
    handle = workers.remote_workers()[indices.index(index)]
    ray.kill(handle, no_restart=True)
    return handle

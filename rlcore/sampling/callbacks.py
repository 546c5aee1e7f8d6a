"""Callbacks: user hooks the sampler, the workers and the trainer call at fixed points.

A user subclasses :class:`DefaultCallbacks` and overrides the hooks they need; every hook is
keyword-only and ends in ``**kwargs`` (RLlib 1.x). When they run::

    on_episode_start -> on_episode_step (each step) -> on_episode_end     per episode of one env
    on_postprocess_trajectory     per agent fragment, when it is postprocessed
    on_sample_end                 at the end of each RolloutWorker.sample()
    on_learn_on_batch             per policy update;  on_train_result: per train() iteration

:meth:`DefaultCallbacks.overrides` tells the sampler whether anyone overrides a hook, so a hook
nobody overrides (``on_episode_step`` above all: it is per env per step) costs nothing.
:class:`MultiCallbacks` runs several callbacks objects in order, and :func:`make_callbacks`
turns a ``config["callbacks"]`` value (a class, a factory, an instance or a legacy dict) into one
callbacks object.

Examples:
    >>> class Count(DefaultCallbacks):
    ...     def on_episode_end(self, *, worker, base_env, policies, episode, env_index=None, **kwargs):
    ...         episode.custom_metrics["len"] = episode.length
    >>> class Ep:
    ...     length, custom_metrics = 7, {}
    >>> cb = make_callbacks(Count)
    >>> cb.on_episode_end(worker=None, base_env=None, policies={}, episode=Ep, env_index=0)
    >>> Ep.custom_metrics, DefaultCallbacks.overrides(cb, "on_episode_end"), DefaultCallbacks.overrides(cb, "on_episode_step")
    ({'len': 7}, True, False)
"""

from __future__ import annotations

import difflib
import warnings
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Union

__all__ = ["DefaultCallbacks", "MultiCallbacks", "make_callbacks", "HOOKS", "LEGACY_HOOKS"]

#: Every hook, in the order the sampler, worker and trainer reach them.
HOOKS = (
    "on_episode_start",
    "on_episode_step",
    "on_episode_end",
    "on_postprocess_trajectory",
    "on_sample_end",
    "on_learn_on_batch",
    "on_train_result",
)

#: Keys of the legacy ``config["callbacks"]`` dict (RLlib ≤ 0.8) and the hook each one feeds.
LEGACY_HOOKS = {
    "on_episode_start": "on_episode_start",
    "on_episode_step": "on_episode_step",
    "on_episode_end": "on_episode_end",
    "on_postprocess_traj": "on_postprocess_trajectory",
    "on_sample_end": "on_sample_end",
    "on_train_result": "on_train_result",
}


def _check_legacy(legacy: Any) -> Dict[str, Callable[[dict], Any]]:
    if not isinstance(legacy, Mapping):
        raise TypeError(f"legacy_callbacks_dict must be a dict of hook name -> fn(info), got {type(legacy).__name__}")
    for k, fn in legacy.items():
        if k not in LEGACY_HOOKS:
            close = difflib.get_close_matches(str(k), list(LEGACY_HOOKS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"unknown legacy callback {k!r}: expected one of {sorted(LEGACY_HOOKS)}{hint}")
        if not callable(fn):
            raise TypeError(f"legacy callback {k!r} must be callable fn(info_dict), got {type(fn).__name__} {fn!r}")
    return dict(legacy)


class DefaultCallbacks:
    """Base class of user callbacks; every hook is a no-op unless overridden (RLlib 1.x API).

    Args:
        legacy_callbacks_dict: The old dict form ``{"on_episode_start": fn(info), ...}``
            (keys :data:`LEGACY_HOOKS`); each function gets RLlib's info dict. Deprecated: emits a
            ``DeprecationWarning``.

    Examples:
        >>> import warnings
        >>> seen = []
        >>> with warnings.catch_warnings(record=True) as w:
        ...     warnings.simplefilter("always")
        ...     cb = DefaultCallbacks({"on_episode_start": lambda info: seen.append(sorted(info))})
        >>> w[0].category.__name__
        'DeprecationWarning'
        >>> cb.on_episode_start(worker=None, base_env="env", policies={}, episode="ep", env_index=0)
        >>> seen
        [['env', 'episode', 'policy']]
    """

    def __init__(self, legacy_callbacks_dict: Optional[Mapping[str, Callable[[dict], Any]]] = None):
        if legacy_callbacks_dict:
            warnings.warn(
                "the callbacks dict interface is deprecated: subclass "
                "rlcore.sampling.callbacks.DefaultCallbacks (ray.rllib.agents.callbacks.DefaultCallbacks) instead",
                DeprecationWarning,
                stacklevel=2,
            )
            self.legacy_callbacks = _check_legacy(legacy_callbacks_dict)
        else:
            self.legacy_callbacks = {}

    def on_episode_start(self, *, worker: Any, base_env: Any, policies: Dict[str, Any], episode: Any,
                         env_index: Optional[int] = None, **kwargs: Any) -> None:
        """Runs on the rollout worker when an episode starts (after the env reset).

        Args:
            worker: The ``RolloutWorker``.
            base_env: The ``BaseEnv`` running the episode.
            policies: Policy id -> policy.
            episode: The episode; ``episode.user_data`` holds per-episode state and
                ``episode.custom_metrics`` metrics that ``collect_metrics`` summarizes.
            env_index: Index of the sub-env in the vector the episode runs in.
            kwargs: Forward compatibility.
        """
        fn = self.legacy_callbacks.get("on_episode_start")
        if fn:
            fn({"env": base_env, "policy": policies, "episode": episode})

    def on_episode_step(self, *, worker: Any, base_env: Any, episode: Any, env_index: Optional[int] = None,
                        **kwargs: Any) -> None:
        """Runs after every step of the episode (per env per step: keep it cheap)."""
        fn = self.legacy_callbacks.get("on_episode_step")
        if fn:
            fn({"env": base_env, "episode": episode})

    def on_episode_end(self, *, worker: Any, base_env: Any, policies: Dict[str, Any], episode: Any,
                       env_index: Optional[int] = None, **kwargs: Any) -> None:
        """Runs when an episode is done (terminated or truncated), before its metrics are recorded."""
        fn = self.legacy_callbacks.get("on_episode_end")
        if fn:
            fn({"env": base_env, "policy": policies, "episode": episode})

    def on_postprocess_trajectory(self, *, worker: Any, episode: Any, agent_id: Any, policy_id: str,
                                  policies: Dict[str, Any], postprocessed_batch: Any,
                                  original_batches: Dict[Any, Any], **kwargs: Any) -> None:
        """Runs right after a policy's ``postprocess_trajectory`` on one agent's fragment.

        Args:
            worker: The ``RolloutWorker``.
            episode: The episode the fragment belongs to.
            agent_id: The agent whose fragment this is.
            policy_id: The policy the agent maps to.
            policies: Policy id -> policy.
            postprocessed_batch: The postprocessed ``SampleBatch``; may be mutated.
            original_batches: Agent id -> ``(policy, batch)`` before postprocessing; do not mutate.
            kwargs: Forward compatibility.
        """
        fn = self.legacy_callbacks.get("on_postprocess_traj")
        if fn:
            fn({
                "episode": episode,
                "agent_id": agent_id,
                "pre_batch": original_batches[agent_id],
                "post_batch": postprocessed_batch,
                "all_pre_batches": original_batches,
            })

    def on_sample_end(self, *, worker: Any, samples: Any, **kwargs: Any) -> None:
        """Runs at the end of ``RolloutWorker.sample()``; ``samples`` may be mutated."""
        fn = self.legacy_callbacks.get("on_sample_end")
        if fn:
            fn({"worker": worker, "samples": samples})

    def on_learn_on_batch(self, *, policy: Any, train_batch: Any, result: dict, **kwargs: Any) -> None:
        """Runs before each learning update on ``train_batch`` (RLlib 1.x: at the start of
        ``Policy.learn_on_batch``; edits to the batch reach the loss); what it puts in ``result``
        comes back in the learner stats as ``custom_metrics``."""

    def on_train_result(self, *, trainer: Any, result: dict, **kwargs: Any) -> None:
        """Runs at the end of ``Trainer.train()``; ``result`` may be mutated."""
        fn = self.legacy_callbacks.get("on_train_result")
        if fn:
            fn({"trainer": trainer, "result": result})

    @staticmethod
    def overrides(callbacks: Any, hook_name: str) -> bool:
        """Whether calling ``callbacks.<hook_name>`` can do anything (so callers may skip it).

        True when the hook is overridden in a subclass, fed by a legacy dict entry, overridden by
        any child of a :class:`MultiCallbacks`, or defined by an object that is not a
        :class:`DefaultCallbacks` at all.

        Raises:
            ValueError: If ``hook_name`` is not one of :data:`HOOKS`.

        Examples:
            >>> class Steps(DefaultCallbacks):
            ...     def on_episode_step(self, **kwargs): pass
            >>> [DefaultCallbacks.overrides(c, "on_episode_step") for c in (DefaultCallbacks(), Steps(), MultiCallbacks([DefaultCallbacks, Steps]))]
            [False, True, True]
        """
        if hook_name not in HOOKS:
            close = difflib.get_close_matches(str(hook_name), HOOKS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"unknown callback hook {hook_name!r}: expected one of {list(HOOKS)}{hint}")
        if callbacks is None:
            return False
        if isinstance(callbacks, MultiCallbacks):
            return any(DefaultCallbacks.overrides(c, hook_name) for c in callbacks.callbacks)
        if not isinstance(callbacks, DefaultCallbacks):
            return callable(getattr(callbacks, hook_name, None))
        if getattr(type(callbacks), hook_name) is not getattr(DefaultCallbacks, hook_name):
            return True
        if hook_name in vars(callbacks):  # a hook assigned on the instance
            return True
        legacy = getattr(callbacks, "legacy_callbacks", None) or {}
        return any(LEGACY_HOOKS[k] == hook_name for k, fn in legacy.items() if fn)


class MultiCallbacks(DefaultCallbacks):
    """Runs several callbacks objects, each hook in list order (RLlib 1.5+'s ``MultiCallbacks``).

    Args:
        callback_class_list: Callbacks classes (or factories), instantiated here, and/or
            callbacks instances, used as given.

    An instance is also callable: ``config["callbacks"] = MultiCallbacks([A, B])`` works where a
    class is expected; each call returns a new ``MultiCallbacks`` with fresh instances of the
    listed classes (given instances are shared).

    Examples:
        >>> log = []
        >>> class A(DefaultCallbacks):
        ...     def on_sample_end(self, *, worker, samples, **kw): log.append(("A", samples))
        >>> class B(DefaultCallbacks):
        ...     def on_sample_end(self, *, worker, samples, **kw): log.append(("B", samples))
        >>> multi = MultiCallbacks([A, B()])()
        >>> multi.on_sample_end(worker=None, samples=3)
        >>> log
        [('A', 3), ('B', 3)]
    """

    def __init__(self, callback_class_list: Iterable[Union[type, Callable[[], DefaultCallbacks], DefaultCallbacks]]):
        super().__init__()
        if isinstance(callback_class_list, (str, bytes, Mapping)) or not isinstance(callback_class_list, Iterable):
            raise TypeError(
                f"MultiCallbacks takes a list of callbacks classes or instances, got {type(callback_class_list).__name__}"
            )
        self._callback_class_list = list(callback_class_list)
        self.callbacks = [_instantiate(c, f"MultiCallbacks entry {i}") for i, c in enumerate(self._callback_class_list)]

    def __call__(self, *args: Any, **kwargs: Any) -> "MultiCallbacks":
        return MultiCallbacks(self._callback_class_list)

    def _each(self, hook: str, kwargs: Dict[str, Any]) -> None:
        for c in self.callbacks:
            getattr(c, hook)(**kwargs)

    def on_episode_start(self, **kwargs: Any) -> None:
        self._each("on_episode_start", kwargs)

    def on_episode_step(self, **kwargs: Any) -> None:
        self._each("on_episode_step", kwargs)

    def on_episode_end(self, **kwargs: Any) -> None:
        self._each("on_episode_end", kwargs)

    def on_postprocess_trajectory(self, **kwargs: Any) -> None:
        self._each("on_postprocess_trajectory", kwargs)

    def on_sample_end(self, **kwargs: Any) -> None:
        self._each("on_sample_end", kwargs)

    def on_learn_on_batch(self, **kwargs: Any) -> None:
        self._each("on_learn_on_batch", kwargs)

    def on_train_result(self, **kwargs: Any) -> None:
        self._each("on_train_result", kwargs)

    def __repr__(self) -> str:
        return f"MultiCallbacks([{', '.join(type(c).__name__ for c in self.callbacks)}])"


def _instantiate(spec: Any, what: str) -> Any:
    if isinstance(spec, DefaultCallbacks):
        return spec
    if isinstance(spec, type) and not issubclass(spec, DefaultCallbacks):
        raise TypeError(f"{what} must be a DefaultCallbacks subclass or instance, got class {spec.__name__}")
    if callable(spec):
        out = spec()
        if not isinstance(out, DefaultCallbacks):
            raise TypeError(f"{what}: calling {spec!r} returned {type(out).__name__}, expected a DefaultCallbacks instance")
        return out
    raise TypeError(f"{what} must be a DefaultCallbacks subclass, factory or instance, got {type(spec).__name__} {spec!r}")


def make_callbacks(spec: Any = None) -> DefaultCallbacks:
    """One callbacks object from a ``config["callbacks"]`` value.

    Accepts ``None`` (plain :class:`DefaultCallbacks`), a :class:`DefaultCallbacks` subclass or a
    factory returning an instance (called once per worker), a :class:`MultiCallbacks` or other
    instance, or a legacy dict (wrapped, with a ``DeprecationWarning``).

    Raises:
        TypeError: For anything else, naming what was given.

    Examples:
        >>> type(make_callbacks(None)).__name__, type(make_callbacks(MultiCallbacks([DefaultCallbacks]))).__name__
        ('DefaultCallbacks', 'MultiCallbacks')
        >>> make_callbacks(42)
        Traceback (most recent call last):
        ...
        TypeError: config['callbacks'] must be a DefaultCallbacks subclass, factory or instance, got int 42
    """
    if spec is None:
        return DefaultCallbacks()
    if isinstance(spec, Mapping):
        return DefaultCallbacks(legacy_callbacks_dict=spec)
    if isinstance(spec, MultiCallbacks):
        return spec()
    return _instantiate(spec, "config['callbacks']")

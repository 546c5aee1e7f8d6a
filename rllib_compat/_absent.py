"""One place for the errors about RLlib 1.x features that cannot exist on today's stack.

Some 1.x APIs have no counterpart on Ray 2.x / TensorFlow 2 / Tune 2 (``ray.init(local_mode=True)``,
TF1 sessions and placeholders, ``tune.function``). Where a 1.x program reaches one of them,
rllib_compat calls :func:`absent`, which raises :class:`AbsentFeatureError` with one plain
sentence naming the 1.x feature and what to use instead. Keep every such message here-shaped:
call ``absent(...)`` rather than writing a new message.

Examples:
    >>> absent("tune.function(fn)", "put the function itself in the config")
    Traceback (most recent call last):
    ...
    rllib_compat._absent.AbsentFeatureError: tune.function(fn) (RLlib 1.x) does not exist in rllib_compat; instead, put the function itself in the config.
"""

from __future__ import annotations

import functools
from types import ModuleType
from typing import Any, NoReturn, Optional

__all__ = ["AbsentFeatureError", "absent", "guard_local_mode"]


class AbsentFeatureError(RuntimeError):
    """A 1.x API that rllib_compat deliberately does not provide (see :func:`absent`).

    A ``RuntimeError`` (not ``NotImplementedError``), so code that probes optional hooks by
    catching ``NotImplementedError`` never mistakes it for "not overridden".
    """


def absent(feature: str, replacement: str, reason: Optional[str] = None) -> NoReturn:
    """Raises the error for a 1.x feature that does not exist here.

    Args:
        feature: The 1.x API as users wrote it, e.g. ``"policy.get_session()"``.
        replacement: What to do instead, as an imperative phrase.
        reason: Why it cannot exist, if that helps (one short clause).

    Raises:
        AbsentFeatureError: Always: ``"<feature> (RLlib 1.x) does not exist in rllib_compat
            [(<reason>)]; instead, <replacement>."``
        TypeError: When ``feature`` or ``replacement`` is not a non-empty str.

    Examples:
        >>> absent("tf1.placeholder", "pass tensors to the tf.function directly",
        ...        reason="TensorFlow 2 runs eagerly")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        rllib_compat._absent.AbsentFeatureError: tf1.placeholder (RLlib 1.x) does not exist in rllib_compat (TensorFlow 2 runs eagerly); instead, pass tensors to the tf.function directly.
    """
    for name, value in (("feature", feature), ("replacement", replacement)):
        if not isinstance(value, str) or not value.strip():
            raise TypeError(f"absent({name}={value!r}): expected a non-empty str")
    why = f" ({reason})" if reason else ""
    raise AbsentFeatureError(
        f"{feature} (RLlib 1.x) does not exist in rllib_compat{why}; instead, {replacement.rstrip('.')}."
    )


def guard_local_mode(ray: ModuleType) -> None:
    """Makes ``ray.init(local_mode=True)`` raise :func:`absent`'s error (rllib_compat installs it).

    Ray 2.x removed local mode (its own error suggests Ray's debugger); for an RLlib 1.x program
    the replacement is ``num_workers=0``, which runs the trainer, its rollout worker and the
    execution plan in the calling process. Every other ``ray.init`` call goes to Ray unchanged.
    Idempotent.

    Args:
        ray: The ``ray`` module.
    """
    init = ray.init
    if getattr(init, "_rllib_compat_guard", False):
        return

    @functools.wraps(init)
    def guarded_init(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("local_mode"):
            absent("ray.init(local_mode=True)",
                   "drop local_mode and set the trainer config's num_workers=0: rlcore then runs the trainer, "
                   "its rollout worker and the execution plan in this process",
                   reason="Ray 2.x removed local mode")
        return init(*args, **kwargs)

    guarded_init._rllib_compat_guard = True
    ray.init = guarded_init

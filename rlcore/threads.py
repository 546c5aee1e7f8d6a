"""Thread counts of torch and TensorFlow in each rlcore process, chosen from the trainer config.

Both frameworks size their intra-op pools to the machine's cores by default. RL's small networks
on small batches gain nothing from more threads, and on a shared or loaded machine the threads of
one op wait for each other: on 2 cores with one other busy process, one PPO iteration on CartPole
took about 10x longer with torch's default (2 threads) than with one (README, "Thread defaults").
So rlcore sets the counts in every process that builds policies, when its
:class:`~rlcore.sampling.RolloutWorker` starts (before its policies are built):

- the **driver** (the trainer's process: the local worker, worker index 0, and the learner) from
  ``framework_threads_for_driver``;
- each **remote rollout worker** (worker index >= 1, a Ray actor) from
  ``framework_threads_per_worker``.

Each key takes one of:

- ``"auto"`` (the default): as many intra-op threads as CPUs the process reserves
  (``num_cpus_for_driver`` / ``num_cpus_per_worker``, RLlib's default 1, at least 1; a fraction
  rounds down as Ray's ``OMP_NUM_THREADS`` does), capped by RLlib's
  ``local_tf_session_args`` / ``tf_session_args`` ``intra_op_parallelism_threads`` when that is
  positive; inter-op threads likewise, capped by ``inter_op_parallelism_threads``;
- an int ``n >= 1``: ``n`` intra-op and ``n`` inter-op threads;
- ``None``: leave the frameworks alone (their defaults, or what the user already set).

The config decides, as in RLlib: with ``"auto"`` or an int, an earlier ``torch.set_num_threads(k)``
of the user's is replaced; pass ``None`` (or ``k``) to keep it. The settings are process-wide.

Frameworks: torch is configured when it is already imported or the config's ``framework`` is
``"torch"``; TensorFlow through ``tf.config.threading`` when it is already imported, else, for a
TF config, through ``TF_NUM_INTRAOP_THREADS`` / ``TF_NUM_INTEROP_THREADS`` in ``os.environ``,
which TF reads when it starts. Nothing imports TensorFlow just for this. Pools that can no longer
change (torch's inter-op pool once set or used, TF's once it has run an op) keep their size, with
one logged warning for the config's own framework.

Examples:
    >>> thread_counts({})
    (1, 1)
    >>> thread_counts({"num_cpus_per_worker": 4, "tf_session_args": {"intra_op_parallelism_threads": 2,
    ...                "inter_op_parallelism_threads": 2}}, worker_index=1)
    (2, 2)
    >>> thread_counts({"framework_threads_for_driver": 3}), thread_counts({"framework_threads_for_driver": None})
    ((3, 3), None)
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, Mapping, Optional, Set, Tuple

logger = logging.getLogger(__name__)

#: The config keys, by role, with the CPU key and the TF session-args key "auto" reads.
ROLE_KEYS = {
    "driver": ("framework_threads_for_driver", "num_cpus_for_driver", "local_tf_session_args"),
    "worker": ("framework_threads_per_worker", "num_cpus_per_worker", "tf_session_args"),
}
AUTO = "auto"

_warned: Set[str] = set()


def check_thread_config(config: Mapping[str, Any]) -> None:
    """Raises ``ValueError`` for a thread key that is not ``"auto"``, ``None`` or an int >= 1.

    Examples:
        >>> check_thread_config({"framework_threads_per_worker": 2})
        >>> check_thread_config({"framework_threads_per_worker": 0})
        Traceback (most recent call last):
        ...
        ValueError: config key 'framework_threads_per_worker' = 0; expected 'auto', None or an int >= 1
    """
    for key, _, _ in ROLE_KEYS.values():
        value = config.get(key, AUTO)
        if value is None or value == AUTO or (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
            continue
        raise ValueError(f"config key {key!r} = {value!r}; expected 'auto', None or an int >= 1")


def thread_counts(config: Mapping[str, Any], worker_index: int = 0) -> Optional[Tuple[int, int]]:
    """``(intra_op, inter_op)`` threads for the driver (``worker_index`` 0) or a remote worker, or
    ``None`` to leave the frameworks alone; see the module docstring.

    Raises:
        ValueError: for a bad value of the role's key.

    Examples:
        >>> thread_counts({"num_cpus_for_driver": 4})  # RLlib's local_tf_session_args default is 8/8
        (4, 4)
        >>> thread_counts({"num_cpus_per_worker": 0.5}, worker_index=2)
        (1, 1)
    """
    check_thread_config(config)
    key, cpus_key, session_key = ROLE_KEYS["driver" if worker_index == 0 else "worker"]
    choice = config.get(key, AUTO)
    if choice is None:
        return None
    if choice != AUTO:
        return choice, choice
    cpus = config.get(cpus_key, 1)
    n = max(1, int(cpus)) if isinstance(cpus, (int, float)) and not isinstance(cpus, bool) else 1
    session = config.get(session_key) or {}

    def capped(name: str) -> int:
        cap = session.get(name)
        return min(n, cap) if isinstance(cap, int) and not isinstance(cap, bool) and cap > 0 else n

    return capped("intra_op_parallelism_threads"), capped("inter_op_parallelism_threads")


def apply_thread_config(config: Optional[Mapping[str, Any]] = None, worker_index: int = 0) -> Optional[Tuple[int, int]]:
    """Sets torch's and TensorFlow's thread counts in this process from ``config``.

    Called by every :class:`~rlcore.sampling.RolloutWorker` before it builds its policies; call it
    yourself when you embed rlcore's pieces without a worker (``apply_thread_config()`` gives the
    driver's defaults).

    Args:
        config: A trainer config (or any dict with the keys of the module docstring); ``None``
            means all defaults.
        worker_index: 0 for the driver, >= 1 for a remote rollout worker.

    Returns:
        The ``(intra_op, inter_op)`` counts applied, or ``None`` when the config says to leave
        the frameworks alone.

    Examples:
        >>> import torch
        >>> apply_thread_config({"framework": "torch", "framework_threads_for_driver": 1})
        (1, 1)
        >>> torch.get_num_threads()
        1
    """
    config = config or {}
    counts = thread_counts(config, worker_index)
    if counts is None:
        return None
    framework = config.get("framework")
    uses_tf = framework in ("tf", "tf2", "tfe")
    if "torch" in sys.modules or framework == "torch":
        _set_torch(*counts, warn=framework == "torch")
    if "tensorflow" in sys.modules:
        _set_tf(*counts, warn=uses_tf)
    elif uses_tf:
        os.environ["TF_NUM_INTRAOP_THREADS"], os.environ["TF_NUM_INTEROP_THREADS"] = map(str, counts)
    logger.debug("framework threads (intra-op, inter-op) = %s for worker index %d", counts, worker_index)
    return counts


def _warn_once(warn: bool, what: str, message: str, *args: Any) -> None:
    """A warning the first time (for the framework the config uses), else a debug line."""
    if warn and what not in _warned:
        _warned.add(what)
        logger.warning(message, *args)
    else:
        logger.debug(message, *args)


def _set_torch(intra: int, inter: int, warn: bool) -> None:
    import torch

    if torch.get_num_threads() != intra:
        torch.set_num_threads(intra)
    if torch.get_num_interop_threads() != inter:
        try:
            torch.set_num_interop_threads(inter)
        except RuntimeError:  # set once already, or inter-op work has started: the pool is fixed
            _warn_once(warn, "torch", "torch's inter-op pool is already fixed at %d threads in this process; "
                       "rlcore wanted %d (intra-op threads are set)", torch.get_num_interop_threads(), inter)


def _set_tf(intra: int, inter: int, warn: bool) -> None:
    threading = sys.modules["tensorflow"].config.threading
    for name, want in (("intra_op_parallelism_threads", intra), ("inter_op_parallelism_threads", inter)):
        if getattr(threading, f"get_{name}")() == want:
            continue
        try:
            getattr(threading, f"set_{name}")(want)
        except RuntimeError:  # TensorFlow has run an op: its pools are fixed
            _warn_once(warn, f"tf.{name}", "TensorFlow already runs in this process, so its %s stays as it is; "
                       "rlcore wanted %d", name, want)


__all__ = ["AUTO", "ROLE_KEYS", "apply_thread_config", "check_thread_config", "thread_counts"]

"""Chooses the implementation of the compiled core: ``rlcore._core`` or its numpy twin.

``RLCORE_PUREPYTHON=1`` selects :mod:`rlcore._reference`. Otherwise the compiled module is used,
and if it cannot be imported the twins are used with a ``RuntimeWarning`` that carries the
import error (CI fails on that through :func:`rlcore.native_available`).

Everything above this module takes kernels from here, never from ``_core`` or ``_reference``
directly, so the two stay interchangeable.
"""

from __future__ import annotations

import os
import warnings

_import_error: str | None = None

if os.environ.get("RLCORE_PUREPYTHON", "") not in ("", "0"):
    from rlcore import _reference as impl

    NATIVE = False
else:
    try:
        from rlcore import _core as impl  # type: ignore[attr-defined]

        NATIVE = True
    except ImportError as err:  # pragma: no cover - exercised only on a broken build
        from rlcore import _reference as impl

        NATIVE = False
        _import_error = f"{type(err).__name__}: {err}"
        warnings.warn(
            f"rlcore._core could not be imported ({_import_error}); using the pure-numpy twins. "
            "Rebuild with `make build`.",
            RuntimeWarning,
            stacklevel=2,
        )

TrajectoryCollector = impl.TrajectoryCollector
discount_cumsum = impl.discount_cumsum
compute_gae = impl.compute_gae
vtrace = impl.vtrace
adjust_nstep = impl.adjust_nstep
SumSegmentTree = impl.SumSegmentTree
MinSegmentTree = impl.MinSegmentTree
ring_insert = impl.ring_insert
replay_add = impl.replay_add
replay_sample = impl.replay_sample
replay_update = impl.replay_update
replay_slots = impl.replay_slots
ReplayRecords = impl.ReplayRecords
ReplayRing = impl.ReplayRing
ReplayPriorityStats = impl.ReplayPriorityStats
PrioritizedReplayCore = impl.PrioritizedReplayCore
ppo_categorical_loss = impl.ppo_categorical_loss
categorical_logp = impl.categorical_logp
json_line_arrays = impl.json_line_arrays
episode_step = impl.episode_step
gather_step_rows = impl.gather_step_rows


def native_available() -> bool:
    """Whether the compiled core ``rlcore._core`` is the live implementation.

    Examples:
        >>> import rlcore
        >>> isinstance(rlcore.native_available(), bool)
        True
    """
    return NATIVE

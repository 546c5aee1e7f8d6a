"""Trajectory views: the time-shifted columns a model asks for, fed at inference and stored in rows.

(Data layer: the samplers and the policies' dummy batches use it; it only reads a policy's
``model.view_requirements``.)

RLlib 1.x's trajectory view API lets a model declare, in its ``view_requirements``, inputs such as
``"prev_n_obs": ViewRequirement("obs", shift="-3:0")`` (the last four observations) or
``"prev_actions": ViewRequirement("actions", shift="-4:-1")``. The samplers keep, per env (or per
agent slot), the recent history of the observed, acted and rewarded values
(:class:`ViewHistory`), hand every declared view to ``compute_actions`` (``input_views``) and
store it as a column of each row, so the loss sees exactly what acting saw; times before the
episode's start are zeros (1.x). :func:`next_step_views` gives the views of the step after a row
(for bootstrapping a cut fragment's value).

Views the samplers already feed natively are left out: ``obs`` itself, ``state_in_*`` /
``state_out_*``, and ``prev_actions`` / ``prev_rewards`` with a shift of exactly ``-1`` (the
``use_prev_actions_rewards`` path).

Examples:
    >>> import numpy as np
    >>> spec = ViewSpec("prev_n_obs", "obs", np.array([-2, -1, 0]), False)
    >>> hist = ViewHistory([spec], n=1, examples={"obs": np.zeros(1, np.float32)})
    >>> hist.start(np.array([0]), np.array([[1.0]], np.float32))
    >>> hist.push("obs", np.array([[2.0]], np.float32))
    >>> hist.views()["prev_n_obs"][0, :, 0].tolist()
    [0.0, 1.0, 2.0]
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Sequence

import numpy as np

from rlcore.data.columns import Columns

__all__ = ["ViewSpec", "ViewHistory", "model_views", "next_step_views"]

_SOURCES = (Columns.OBS, Columns.ACTIONS, Columns.REWARDS)


class ViewSpec(NamedTuple):
    """One view: its name, the column it reads, its time shifts, and whether it has no time axis
    (an int shift) or one (a list or range)."""

    name: str
    data_col: str
    shifts: np.ndarray
    squeeze: bool


def model_views(policy: Any) -> List[ViewSpec]:
    """The views a policy's model declares that the samplers must build (see the module docstring).

    Raises:
        ValueError: A view the samplers cannot build at inference time (a column other than obs,
            actions or rewards, or a shift that reaches into the future), naming it.
    """
    model = getattr(policy, "model", None)
    requirements: Mapping[str, Any] = getattr(model, "view_requirements", None) or {}
    out = []
    for name, vr in requirements.items():
        data_col = vr.data_col or name
        shifts = np.asarray(vr.shift_arr, np.int64)
        if name.startswith((Columns.STATE_IN_PREFIX, Columns.STATE_OUT_PREFIX)) or vr.index is not None:
            continue
        if data_col == Columns.OBS and shifts.tolist() == [0]:
            continue
        if name in (Columns.PREV_ACTIONS, Columns.PREV_REWARDS) and isinstance(vr.shift, (int, np.integer)) \
                and vr.shift == -1:
            continue  # the native prev_actions/prev_rewards path
        if data_col not in _SOURCES:
            if getattr(vr, "used_for_compute_actions", True):
                raise ValueError(f"view_requirements[{name!r}] reads {data_col!r}: the samplers build views of "
                                 f"{list(_SOURCES)} only")
            continue
        newest = 0 if data_col == Columns.OBS else -1
        if shifts.max() > newest:
            if not getattr(vr, "used_for_compute_actions", True):
                continue  # a training-only look ahead (e.g. new_obs): the batch has it already
            raise ValueError(f"view_requirements[{name!r}] = shift {vr.shift!r} of {data_col!r} needs values that do "
                             f"not exist yet when acting (newest: shift {newest})")
        out.append(ViewSpec(name, data_col, shifts, isinstance(vr.shift, (int, np.integer))))
    return out


class ViewHistory:
    """The recent obs / actions / rewards of ``n`` envs or agent slots, and the views of them.

    Args:
        views: The views to serve.
        n: Rows (envs or slots); :meth:`grow` adds more.
        examples: One value of each column the views read (shape and dtype), e.g. ``{"obs": obs[0]}``.
    """

    def __init__(self, views: Sequence[ViewSpec], n: int, examples: Mapping[str, Any]):
        self.specs = list(views)
        self._depth: Dict[str, int] = {}
        for v in self.specs:
            oldest = int(-v.shifts.min())
            need = oldest + 1 if v.data_col == Columns.OBS else oldest
            self._depth[v.data_col] = max(self._depth.get(v.data_col, 0), need)
        self._hist: Dict[str, np.ndarray] = {}
        for col, depth in self._depth.items():
            example = np.asarray(examples[col])
            self._hist[col] = np.zeros((n, depth, *example.shape), example.dtype)

    def __bool__(self) -> bool:
        return bool(self.specs)

    def grow(self, n: int) -> None:
        """Room for ``n`` rows (new rows are zeros)."""
        for col, h in self._hist.items():
            if n > len(h):
                self._hist[col] = np.concatenate([h, np.zeros((n - len(h), *h.shape[1:]), h.dtype)])

    def start(self, rows: np.ndarray, obs: np.ndarray) -> None:
        """New episodes on ``rows``: nothing before their first observations ``obs``."""
        for col, h in self._hist.items():
            h[rows] = 0
        if Columns.OBS in self._hist:
            self._hist[Columns.OBS][rows, -1] = obs

    def push(self, col: str, values: np.ndarray, rows: Optional[np.ndarray] = None) -> None:
        """Appends one value per row (all rows, or ``rows``) to column ``col``'s history."""
        h = self._hist.get(col)
        if h is None:
            return
        if rows is None:
            h[:, :-1] = h[:, 1:]
            h[:, -1] = values
        else:
            h[rows, :-1] = h[rows, 1:]
            h[rows, -1] = values

    def views(self, rows: Optional[np.ndarray] = None) -> Dict[str, np.ndarray]:
        """Every view for all rows (or ``rows``): ``[n, len(shifts), ...]`` (``[n, ...]`` for an
        int shift)."""
        out = {}
        for v in self.specs:
            h = self._hist[v.data_col]
            newest = h.shape[1] - 1 if v.data_col == Columns.OBS else h.shape[1]
            index = newest + v.shifts
            data = h[:, index] if rows is None else h[rows][:, index]
            out[v.name] = np.ascontiguousarray(data[:, 0] if v.squeeze else data)
        return out


def next_step_views(policy: Any, batch: Mapping[str, Any], rows: np.ndarray) -> Dict[str, np.ndarray]:
    """The views of the step after each of ``rows`` (to evaluate the value of their ``new_obs``).

    A value at time ``t + 1 + s`` is the row's own ``new_obs`` (obs, ``s = 0``), its obs, action
    or reward (``s = -1``), or an older value of the row's stored view.

    Raises:
        ValueError: A view whose next step needs a value the row's view does not hold.
    """
    out = {}
    for v in model_views(policy):
        if v.name not in batch:
            continue
        stored = np.asarray(batch[v.name])[rows]
        if v.squeeze:
            stored = stored[:, None]
        parts = []
        for s in v.shifts.tolist():
            if v.data_col == Columns.OBS and s == 0:
                parts.append(np.asarray(batch[Columns.NEXT_OBS])[rows])
            elif s == -1:
                parts.append(np.asarray(batch[v.data_col])[rows].astype(stored.dtype, copy=False))
            elif s + 1 in v.shifts.tolist():
                parts.append(stored[:, v.shifts.tolist().index(s + 1)])
            else:
                raise ValueError(f"view {v.name!r} (shifts {v.shifts.tolist()} of {v.data_col!r}): the step after a row "
                                 f"needs the value at shift {s + 1}, which the row's view does not hold")
        data = np.stack(parts, axis=1)
        out[v.name] = data[:, 0] if v.squeeze else data
    return out

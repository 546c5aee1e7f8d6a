"""ViewRequirement: which column, at which time offsets, a model or loss wants to see.

A policy's ``view_requirements`` maps each input name (``"obs"``, ``"prev_actions"``,
``"state_in_0"``, ...) to a ``ViewRequirement`` that says which collected column it is read from
(``data_col``), at which time shift relative to the current step (``shift``: an int, a list of
ints, or a ``"-N:-M"`` range string), and whether it is needed when computing actions and/or when
training. This is RLlib 1.3/1.4's trajectory view API (rllib_api.md §4.4).

Examples:
    >>> vr = ViewRequirement("actions", shift=-1)
    >>> vr.data_col, vr.shift, vr.shift_arr.tolist()
    ('actions', -1, [-1])
    >>> ViewRequirement(shift="-3:-1").shift_arr.tolist()
    [-3, -2, -1]
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import numpy as np

Shift = Union[int, Sequence[int], str]


def _parse_shift(shift: Shift) -> tuple[np.ndarray, Optional[int], Optional[int]]:
    """Returns ``(shift_arr, shift_from, shift_to)`` for an int, list or ``"a:b"`` shift."""
    if isinstance(shift, (bool, np.bool_)):
        raise TypeError(f"shift={shift!r} must be an int, a list of ints or a 'from:to' string, not a bool")
    if isinstance(shift, (int, np.integer)):
        return np.array([int(shift)], dtype=np.int64), None, None
    if isinstance(shift, str):
        parts = shift.split(":")
        try:
            if len(parts) != 2:
                raise ValueError
            start, stop = int(parts[0]), int(parts[1])
        except ValueError:
            raise ValueError(f"shift={shift!r} is not a range string; expected 'from:to' such as '-3:-1'") from None
        if start > stop:
            raise ValueError(f"shift={shift!r} is an empty range; expected from <= to")
        return np.arange(start, stop + 1, dtype=np.int64), start, stop
    if isinstance(shift, (list, tuple, np.ndarray)):
        values = list(shift)
        if not values or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
            raise TypeError(f"shift={shift!r} must be a non-empty list of ints")
        return np.asarray(values, dtype=np.int64), None, None
    raise TypeError(f"shift={shift!r} must be an int, a list of ints or a 'from:to' string")


class ViewRequirement:
    """One entry of a policy's or model's ``view_requirements`` dict.

    Args:
        data_col: The collected column to read; ``None`` means the dict key itself.
        space: The gymnasium space of one item; default a scalar float ``Box``.
        shift: Time offset(s) relative to the current step: an int (``-1`` = previous step), a
            list of ints, or a ``"from:to"`` string (both ends included).
        index: An absolute time index instead of a relative shift (rarely used).
        batch_repeat_value: In training batches, one value is kept every this many rows (RNN
            states are kept once per ``max_seq_len`` sequence).
        used_for_compute_actions: Whether ``compute_actions`` needs this view.
        used_for_training: Whether the loss needs this view.

    Examples:
        >>> ViewRequirement("state_out_0", shift=-1, batch_repeat_value=20, used_for_compute_actions=False)
        ViewRequirement(data_col='state_out_0', shift=-1, batch_repeat_value=20, used_for_compute_actions=False, used_for_training=True)
        >>> ViewRequirement(shift="1:0")
        Traceback (most recent call last):
        ...
        ValueError: shift='1:0' is an empty range; expected from <= to
    """

    def __init__(
        self,
        data_col: Optional[str] = None,
        space: Any = None,
        shift: Shift = 0,
        index: Optional[int] = None,
        batch_repeat_value: int = 1,
        used_for_compute_actions: bool = True,
        used_for_training: bool = True,
    ):
        if data_col is not None and not isinstance(data_col, str):
            raise TypeError(f"data_col={data_col!r} must be a column name (str) or None")
        if not isinstance(batch_repeat_value, (int, np.integer)) or batch_repeat_value < 1:
            raise ValueError(f"batch_repeat_value={batch_repeat_value!r} must be an int >= 1")
        if index is not None and not isinstance(index, (int, np.integer)):
            raise TypeError(f"index={index!r} must be an int or None")
        if space is None:
            import gymnasium as gym

            space = gym.spaces.Box(float("-inf"), float("inf"), shape=())
        self.data_col = data_col
        self.space = space
        self.shift = shift
        self.shift_arr, self.shift_from, self.shift_to = _parse_shift(shift)
        self.index = index
        self.batch_repeat_value = int(batch_repeat_value)
        self.used_for_compute_actions = bool(used_for_compute_actions)
        self.used_for_training = bool(used_for_training)

    def __repr__(self) -> str:
        return (
            f"ViewRequirement(data_col={self.data_col!r}, shift={self.shift!r}, "
            f"batch_repeat_value={self.batch_repeat_value}, "
            f"used_for_compute_actions={self.used_for_compute_actions}, used_for_training={self.used_for_training})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ViewRequirement):
            return NotImplemented
        return (
            self.data_col == other.data_col
            and self.space == other.space
            and np.array_equal(self.shift_arr, other.shift_arr)
            and self.index == other.index
            and self.batch_repeat_value == other.batch_repeat_value
            and self.used_for_compute_actions == other.used_for_compute_actions
            and self.used_for_training == other.used_for_training
        )

    __hash__ = None  # mutable, compared by value


__all__ = ["ViewRequirement"]

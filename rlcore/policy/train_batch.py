"""TrainBatch: the batch a loss function sees, with framework tensors as columns.

Policies convert a ``SampleBatch`` (numpy) into a ``TrainBatch`` before calling ``loss_fn``: each
numeric column becomes a torch or TF tensor (float64 -> float32), object columns such as
``infos`` stay numpy. Like ``SampleBatch`` it is a ``dict`` with the column-name constants as
class attributes and a ``count``, so RLlib loss functions (``train_batch[SampleBatch.ACTIONS]``,
``train_batch.get("seq_lens")``) run unchanged.

Examples:
    >>> import numpy as np
    >>> tb = TrainBatch({"obs": np.zeros((3, 2))}, count=3)
    >>> tb.count, tb[TrainBatch.OBS].shape, tb.seq_lens is None
    (3, (3, 2), True)
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from rlcore.data.columns import Columns

__all__ = ["TrainBatch", "UsageTrackingTrainBatch", "convert_columns"]


class TrainBatch(dict, Columns):
    """A dict of tensor columns with ``count``, ``seq_lens``, ``max_seq_len`` and ``is_training``.

    Args:
        columns: column name -> tensor (or numpy array for object columns).
        count: number of (padded) rows (an int; a scalar tensor inside ``tf.function``).
        is_training: whether the batch is used for training (for ``model.from_batch``).
    """

    def __init__(self, columns: Mapping[str, Any], count: int, is_training: bool = True):
        super().__init__(columns)
        self.count = int(count) if isinstance(count, (int, np.integer)) else count
        self.is_training = is_training

    @property
    def seq_lens(self) -> Any:
        """The ``seq_lens`` column, or ``None`` for a non-recurrent batch."""
        return self.get(Columns.SEQ_LENS)

    @property
    def max_seq_len(self) -> int | None:
        """Padded sequence length (rows per sequence), or ``None``."""
        seq = self.seq_lens
        if seq is None:
            return None
        n = seq.shape[0]
        if n is None or n == 0 or not isinstance(self.count, int):
            return None
        return self.count // int(n)


class UsageTrackingTrainBatch(TrainBatch):
    """A :class:`TrainBatch` that records which columns the loss code reads (RLlib 1.x's
    ``UsageTrackingDict``), so a policy can stop converting and feeding the others.

    ``accessed`` holds every key read or tested (``[]``, ``get``, ``in``). ``whole`` turns true
    when the code looks at the batch as a whole (iteration, ``keys``/``items``/``values``,
    ``len``, ``copy``); then no column may be dropped.

    Examples:
        >>> tb = UsageTrackingTrainBatch({"obs": 1, "rewards": 2, "t": 3}, count=1)
        >>> _ = tb["obs"], tb.get("seq_lens"), "rewards" in tb
        >>> sorted(tb.accessed), tb.whole
        (['obs', 'rewards', 'seq_lens'], False)
        >>> _ = list(tb.items()); tb.whole
        True
    """

    def __init__(self, columns: Mapping[str, Any], count: int, is_training: bool = True):
        super().__init__(columns, count, is_training)
        self.accessed: set = set()
        self.whole = False

    def __getitem__(self, key: Any) -> Any:
        self.accessed.add(key)
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        self.accessed.add(key)
        return super().get(key, default)

    def __contains__(self, key: Any) -> bool:
        self.accessed.add(key)
        return super().__contains__(key)

    def _as_whole(self, method: str, *args: Any) -> Any:
        self.whole = True
        return getattr(super(), method)(*args)

    def __iter__(self):
        return self._as_whole("__iter__")

    def __len__(self) -> int:
        return self._as_whole("__len__")

    def keys(self):
        return self._as_whole("keys")

    def items(self):
        return self._as_whole("items")

    def values(self):
        return self._as_whole("values")

    def copy(self):
        return self._as_whole("copy")


def _numpy_column(value: Any) -> np.ndarray | None:
    arr = np.asarray(value)
    if arr.dtype == object or arr.dtype.kind in "USV":
        return None
    if arr.dtype == np.float64:
        arr = arr.astype(np.float32)
    return arr


def convert_columns(batch: Mapping[str, Any], to_tensor: Callable[[np.ndarray], Any], is_training: bool = True) -> TrainBatch:
    """Converts every numeric column of ``batch`` with ``to_tensor`` into a :class:`TrainBatch`.

    Examples:
        >>> import numpy as np
        >>> tb = convert_columns({"a": np.arange(3.0), "infos": np.array([{}, {}, {}])}, lambda x: x * 2)
        >>> tb["a"].tolist(), tb["a"].dtype.name, type(tb["infos"]).__name__, tb.count
        ([0.0, 2.0, 4.0], 'float32', 'ndarray', 3)
    """
    out = {}
    count = None
    for k, v in batch.items():
        arr = _numpy_column(v)
        out[k] = v if arr is None else to_tensor(arr)
        if count is None and not k.startswith(Columns.STATE_IN_PREFIX) and k != Columns.SEQ_LENS:
            count = len(v)
    return TrainBatch(out, count=count or 0, is_training=is_training)

"""Row-wise concatenation of experience batches, with the rules that keep rows aligned.

``concat_samples`` joins SampleBatches (or, if the first is one, MultiAgentBatches per policy).
Batches with no rows are skipped, so an empty batch concatenates with anything. Among the rest,
column sets must be equal, ``seq_lens`` present on all or none, row shapes equal, and dtypes of
one kind (numbers promote as numpy does: int32 + int64 -> int64; numbers never mix with strings
or objects). Any mismatch is a ``ValueError`` naming the batch index and the column, never a
silently misaligned batch. It is also reachable as ``rlcore.data.sample_batch.concat_samples``
and ``SampleBatch.concat_samples``.

Examples:
    >>> from rlcore.data.sample_batch import SampleBatch
    >>> concat_samples([SampleBatch({"a": [1]}), SampleBatch(), SampleBatch({"a": [2, 3]})])["a"].tolist()
    [1, 2, 3]
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from rlcore.data.columns import Columns
from rlcore.data.multi_agent_batch import MultiAgentBatch
from rlcore.data.sample_batch import SampleBatch

__all__ = ["concat_samples"]

# dtype kinds that may be concatenated with each other (numpy promotes within a group).
_KIND_GROUP = {"b": "number", "i": "number", "u": "number", "f": "number", "c": "number"}


def _kind_group(dtype: np.dtype) -> str:
    return _KIND_GROUP.get(dtype.kind, dtype.kind)


def concat_samples(samples: Sequence[Any]) -> Any:
    """Concatenates SampleBatches row-wise, or MultiAgentBatches per policy.

    If the first element is a ``MultiAgentBatch`` this is ``MultiAgentBatch.concat_samples``.
    Otherwise every element must be a SampleBatch; batches with ``count == 0`` are skipped; the
    rest must have the same column set, ``seq_lens`` on all or none, and columns whose row shapes
    agree and whose dtypes are of one kind (numbers promote as numpy does). ``seq_lens`` and
    ``state_in_*`` are concatenated per sequence, and ``max_seq_len`` is the largest one given.

    Args:
        samples: The batches, in order.

    Returns:
        A new batch (an empty ``SampleBatch()`` for an empty list; if every batch is empty, a
        shallow copy of the first one that has columns).

    Raises:
        ValueError: Naming the batch index and the column on any mismatch.
        TypeError: For an element that is not a batch.

    Examples:
        >>> a = SampleBatch({"obs": [1, 2]}); b = SampleBatch({"obs": [3]})
        >>> concat_samples([a, SampleBatch(), b])["obs"].tolist()
        [1, 2, 3]
        >>> concat_samples([a, SampleBatch({"rewards": [1.0]})])
        Traceback (most recent call last):
        ...
        ValueError: concat_samples: batch 1 has columns ['rewards'] but batch 0 has ['obs'] (missing ['obs'], extra ['rewards'])
    """
    samples = list(samples)
    if samples and isinstance(samples[0], MultiAgentBatch):
        return MultiAgentBatch.concat_samples(samples)
    full: list[tuple[int, SampleBatch]] = []
    for i, s in enumerate(samples):
        if isinstance(s, MultiAgentBatch):
            raise ValueError(
                f"concat_samples: batch {i} is a MultiAgentBatch but batch 0 is a SampleBatch; "
                "convert with SampleBatch.as_multi_agent() first"
            )
        if not isinstance(s, SampleBatch):
            raise TypeError(f"concat_samples: batch {i} must be a SampleBatch, got {type(s).__name__}")
        if s.count > 0:
            full.append((i, s))
    if not full:
        for s in samples:
            if len(s.keys()):
                return s.copy(shallow=True)
        return SampleBatch()
    i0, first = full[0]
    keys = list(first.keys())
    key_set = set(keys)
    has_seq = Columns.SEQ_LENS in first
    for i, s in full[1:]:
        if set(s.keys()) != key_set:
            other = list(s.keys())
            raise ValueError(
                f"concat_samples: batch {i} has columns {other} but batch {i0} has {keys} "
                f"(missing {[k for k in keys if k not in s]}, extra {[k for k in other if k not in key_set]})"
            )
    for i, s in full:
        if s.time_major:
            raise ValueError(f"concat_samples: batch {i} is time-major; concatenate before transposing")
        if s.zero_padded != first.zero_padded or (s.zero_padded and s.max_seq_len != first.max_seq_len):
            raise ValueError(
                f"concat_samples: batch {i} has zero_padded={s.zero_padded}, max_seq_len={s.max_seq_len} but batch "
                f"{i0} has zero_padded={first.zero_padded}, max_seq_len={first.max_seq_len}"
            )
    out: dict[str, Any] = {}
    for k in keys:
        values = [dict.__getitem__(s, k) for _, s in full]
        out[k] = _concat_column(k, values, [i for i, _ in full])
    max_lens = [s.max_seq_len for _, s in full if s.max_seq_len is not None]
    return SampleBatch(
        out,
        _max_seq_len=max(max_lens) if has_seq and max_lens else None,
        _zero_padded=first.zero_padded,
        _is_training=first.is_training,
    )


def _concat_column(key: str, values: list[Any], idx: list[int]) -> Any:
    """Concatenates one column's values from several batches, naming key and batch on errors."""
    for v, i in zip(values, idx):
        if not isinstance(v, np.ndarray):
            raise TypeError(
                f"concat_samples: column {key!r} of batch {i} is a {type(v).__name__}; only numpy arrays concatenate"
            )
    ref, i0 = values[0], idx[0]
    if ref.ndim == 0:
        for v, i in zip(values[1:], idx[1:]):
            if v.ndim != 0 or not np.array_equal(v, ref):
                raise ValueError(
                    f"concat_samples: 0-d column {key!r} differs between batch {i0} ({ref!r}) and batch {i} ({v!r})"
                )
        return ref
    for v, i in zip(values[1:], idx[1:]):
        if v.shape[1:] != ref.shape[1:] or v.ndim != ref.ndim:
            raise ValueError(
                f"concat_samples: column {key!r} has row shape {v.shape[1:]} in batch {i} "
                f"but {ref.shape[1:]} in batch {i0}"
            )
        if _kind_group(v.dtype) != _kind_group(ref.dtype):
            raise ValueError(
                f"concat_samples: column {key!r} has dtype {v.dtype} in batch {i} but {ref.dtype} in batch {i0}; "
                "these kinds cannot be concatenated"
            )
    return np.concatenate(values, axis=0)

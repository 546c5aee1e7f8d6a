"""SampleBatch: a dict of equal-length columns of experience, one row per agent step.

This is RLlib's ``SampleBatch`` (1.x API, in the later dict-subclass form). Keys are column
names (:class:`~rlcore.data.columns.Columns`), values are numpy arrays whose first axis is the
row. Lists and tuples given to the constructor become arrays; object arrays are meant for
``infos``.

RNN data: when a ``seq_lens`` column is present, the rows are cut into sequences of those
lengths, ``count`` is ``sum(seq_lens)``, and ``state_in_<i>`` columns hold one row per sequence
(not per step). :meth:`SampleBatch.right_zero_pad` pads every sequence to ``max_seq_len`` rows.

Decisions that differ from RLlib 1.x (documented here once):

- An empty batch (``SampleBatch()``) is allowed and has ``count == 0``; 1.x raised. Concatenation
  skips batches with ``count == 0`` (as 1.x did), so an empty batch concatenates with anything.
- ``len(batch)`` is the row count (as in RLlib), not the number of columns.
- Concatenating batches whose column sets differ, whose columns have different row shapes or
  incompatible dtype kinds (numbers vs strings vs objects), or that mix ``seq_lens`` with no
  ``seq_lens``, raises ``ValueError`` naming the column and the batch index; numeric dtypes
  promote as numpy does (int32 + int64 -> int64). Time-major batches cannot be concatenated or
  sliced (concatenate before transposing).
- ``concat_samples`` takes the largest ``max_seq_len`` of its inputs (RLlib issue #20703).
- Slicing a zero-padded batch is allowed only on sequence boundaries (multiples of
  ``max_seq_len``); slicing with negative bounds (RLlib's left zero-padding) is not supported.

Examples:
    >>> import numpy as np
    >>> b = SampleBatch({"obs": [[0.0], [1.0], [2.0]], "rewards": [1.0, 0.0, 1.0], "eps_id": [7, 7, 8]})
    >>> b.count, b["rewards"].dtype
    (3, dtype('float64'))
    >>> [s.count for s in b.split_by_episode()]
    [2, 1]
    >>> SampleBatch.concat_samples([b, SampleBatch(), b]).count
    6
    >>> b[1:]["eps_id"].tolist()
    [7, 8]
"""

from __future__ import annotations

import copy as _copy
import sys
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from rlcore.data.columns import Columns

__all__ = ["SampleBatch", "DEFAULT_POLICY_ID", "concat_samples"]

#: Policy id of single-agent setups.
DEFAULT_POLICY_ID = "default_policy"

_dict_getitem = dict.__getitem__  # SampleBatch.__getitem__'s read of a column, without the attribute lookup
_PRIVATE_KWARGS = ("_time_major", "_seq_lens", "_dont_check_lens", "_max_seq_len", "_zero_padded", "_is_training")


def _as_column(value: Any) -> Any:
    """Lists and tuples become arrays (ragged ones a 1-D object array); anything else is kept."""
    if isinstance(value, (list, tuple)):
        try:
            return np.asarray(value)
        except ValueError:  # ragged: numpy 2 refuses to guess
            out = np.empty(len(value), dtype=object)
            for i, item in enumerate(value):
                out[i] = item
            return out
    return value


def _rows_of(value: Any) -> int | None:
    """Number of rows of a column value, or None for 0-d extras, str/bytes and unsized values."""
    if isinstance(value, (str, bytes)):
        return None
    shape = getattr(value, "shape", None)
    if shape is not None:
        return int(shape[0]) if len(shape) > 0 else None
    try:
        return len(value)
    except TypeError:
        return None


def _object_nbytes(obj: Any, depth: int = 0) -> int:
    """Estimate of the memory held by a Python object (containers followed three levels deep)."""
    size = sys.getsizeof(obj)
    if depth >= 3:
        return size
    if isinstance(obj, dict):
        size += sum(_object_nbytes(k, depth + 1) + _object_nbytes(v, depth + 1) for k, v in obj.items())
    elif isinstance(obj, (list, tuple, set, frozenset)):
        size += sum(_object_nbytes(v, depth + 1) for v in obj)
    elif isinstance(obj, np.ndarray):
        size = obj.nbytes + 112
    return size


class SampleBatch(dict, Columns):
    """A batch of experience: a dict of column name -> array with one row per step.

    Column-name constants are class attributes too (``SampleBatch.OBS == "obs"``), as in RLlib.

    Args:
        *args: What ``dict(...)`` accepts: a mapping of column name to array (or list).
        _seq_lens: RNN sequence lengths; stored as the ``seq_lens`` column (``seq_lens=`` as a
            keyword works as well, as any column does).
        _time_major: Whether the per-step columns are laid out ``[T, B, ...]``.
        _dont_check_lens: Skip the equal-length check.
        _max_seq_len: Padded sequence length (defaults to ``max(seq_lens)``).
        _zero_padded: Whether the rows are already right-zero-padded to ``_max_seq_len``.
        _is_training: Free flag kept for policies (RLlib's ``is_training``).
        **kwargs: More columns.

    Raises:
        ValueError: If columns have different lengths (the message names both columns and
            lengths), or if rows and ``seq_lens`` disagree.
        TypeError: For a non-string column name or an unknown ``_private`` keyword.

    Examples:
        >>> b = SampleBatch({"obs": [1, 2, 3, 4], "t": [0, 1, 0, 1]}, seq_lens=[2, 2])
        >>> b.count, b.max_seq_len, len(b)
        (4, 2, 4)
        >>> b.timeslices(3)
        [SampleBatch(3: ['obs', 't', 'seq_lens']), SampleBatch(1: ['obs', 't', 'seq_lens'])]
        >>> SampleBatch({"a": [1, 2], "b": [1]})
        Traceback (most recent call last):
        ...
        ValueError: SampleBatch: column 'b' has 1 rows but column 'a' has 2 rows; all per-step columns must have equal lengths
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        private = {k: kwargs.pop(k) for k in _PRIVATE_KWARGS if k in kwargs}
        unknown = [k for k in kwargs if k.startswith("_")]
        if unknown:
            raise TypeError(
                f"SampleBatch: unknown keyword argument(s) {unknown}; expected columns or one of {list(_PRIVATE_KWARGS)}"
            )
        if len(args) == 1 and isinstance(args[0], SampleBatch):  # SampleBatch(other): keep its flags
            src = args[0]
            for flag, value in (("_time_major", src.time_major), ("_max_seq_len", src.max_seq_len),
                                ("_zero_padded", src.zero_padded), ("_is_training", src.is_training)):
                private.setdefault(flag, value)
        super().__init__(*args, **kwargs)
        seq_lens = private.get("_seq_lens")
        if seq_lens is not None:
            self[Columns.SEQ_LENS] = seq_lens
        for key, value in list(self.items()):
            if not isinstance(key, str):
                raise TypeError(f"SampleBatch: column names must be str, got {key!r} ({type(key).__name__})")
            if isinstance(value, (list, tuple)):
                if key == Columns.SEQ_LENS:
                    value = np.asarray(value, dtype=np.int32) if len(value) else np.zeros(0, np.int32)
                dict.__setitem__(self, key, _as_column(value))
        self.time_major: bool | None = private.get("_time_major")
        self.zero_padded: bool = bool(private.get("_zero_padded", False))
        self.is_training: bool | None = private.get("_is_training")
        seq = self.get(Columns.SEQ_LENS)
        self._validate_seq_lens(seq)
        max_seq_len = private.get("_max_seq_len")
        if max_seq_len is None and seq is not None and len(seq) > 0:
            max_seq_len = int(np.max(np.asarray(seq)))
        self.max_seq_len: int | None = None if max_seq_len is None else int(max_seq_len)
        if self.zero_padded and (seq is None or self.max_seq_len is None):
            raise ValueError("SampleBatch: _zero_padded=True needs a seq_lens column and a max_seq_len")
        if not private.get("_dont_check_lens", False):
            self._check_lens()

    # ---------------------------------------------------------------- construction helpers
    @staticmethod
    def _validate_seq_lens(seq: Any) -> None:
        if seq is None or not isinstance(seq, np.ndarray):
            return
        if seq.ndim != 1 or seq.dtype.kind not in "iu":
            raise ValueError(
                f"SampleBatch: column 'seq_lens' must be a 1-D integer array, got dtype {seq.dtype} shape {seq.shape}"
            )
        if seq.size and int(seq.min()) < 0:
            raise ValueError(f"SampleBatch: column 'seq_lens' has a negative length: {seq.tolist()}")

    def _step_columns(self) -> Iterator[tuple[str, Any, int]]:
        """(name, value, rows) of every per-step column (0-d extras and per-sequence columns skipped)."""
        has_seq = Columns.SEQ_LENS in self
        for key, value in self.items():
            if key == Columns.SEQ_LENS or (has_seq and key.startswith(Columns.STATE_IN_PREFIX)):
                continue
            rows = _rows_of(value)
            if rows is not None:
                yield key, value, rows

    def _check_lens(self) -> None:
        first: tuple[str, int] | None = None
        for key, _, rows in self._step_columns():
            if first is None:
                first = (key, rows)
            elif rows != first[1]:
                raise ValueError(
                    f"SampleBatch: column {key!r} has {rows} rows but column {first[0]!r} has {first[1]} rows; "
                    "all per-step columns must have equal lengths"
                )
        seq = self.get(Columns.SEQ_LENS)
        if seq is None or self.time_major:
            return
        n_seq = len(seq)
        if first is not None:
            expected = n_seq * self.max_seq_len if self.zero_padded else int(np.sum(np.asarray(seq)))
            what = f"len(seq_lens) * max_seq_len = {n_seq} * {self.max_seq_len}" if self.zero_padded else "sum(seq_lens)"
            if first[1] != expected and not (n_seq == 0 and first[1] == 0):
                raise ValueError(
                    f"SampleBatch: column {first[0]!r} has {first[1]} rows but {what} is {expected}"
                )
        for key, value in self.items():
            if Columns.is_state_in(key):
                rows = _rows_of(value)
                if rows is not None and rows != n_seq:
                    raise ValueError(
                        f"SampleBatch: column {key!r} has {rows} rows but there are {n_seq} sequences "
                        "(state_in_* columns hold one row per sequence)"
                    )

    def _like(self, data: dict) -> SampleBatch:
        """A new batch over ``data`` with this batch's flags, unchecked: only for data derived
        consistently from this batch (slices, copies, row selections)."""
        out = SampleBatch.__new__(SampleBatch)
        dict.update(out, data)
        out.time_major = self.time_major
        out.zero_padded = self.zero_padded
        out.is_training = self.is_training
        out.max_seq_len = self.max_seq_len
        return out

    # ------------------------------------------------------------------------- properties
    @property
    def count(self) -> int:
        """Number of rows (steps): ``sum(seq_lens)`` when sequences are defined.

        Examples:
            >>> SampleBatch({"obs": [1, 2, 3]}).count, SampleBatch().count
            (3, 0)
        """
        seq = self.get(Columns.SEQ_LENS)
        if seq is not None and len(seq) > 0:
            return int(seq.sum()) if hasattr(seq, "sum") else int(sum(seq))
        for _, _, rows in self._step_columns():
            return rows
        return 0

    @property
    def seq_lens(self) -> Any:
        """The ``seq_lens`` column, or None.

        Examples:
            >>> SampleBatch({"a": [1, 2, 3]}, seq_lens=[1, 2]).seq_lens.tolist()
            [1, 2]
        """
        return self.get(Columns.SEQ_LENS)

    def __len__(self) -> int:
        return self.count

    def env_steps(self) -> int:
        """Environment steps in this batch (= ``count`` for a single-agent batch).

        Examples:
            >>> SampleBatch({"obs": [0, 1]}).env_steps()
            2
        """
        return self.count

    def agent_steps(self) -> int:
        """Agent steps in this batch (= ``count`` for a single-agent batch).

        Examples:
            >>> SampleBatch({"obs": [0, 1]}).agent_steps()
            2
        """
        return self.count

    def __repr__(self) -> str:
        return f"SampleBatch({self.count}: {list(self.keys())})"

    __str__ = __repr__

    def __getitem__(self, key: Any) -> Any:
        if type(key) is not slice:  # a column (slice has no subclasses): the usual read first
            return _dict_getitem(self, key)
        if key.step not in (None, 1):
            raise ValueError(f"SampleBatch: slice step must be 1, got {key.step}")
        start, stop, _ = key.indices(self._stored_rows())
        return self.slice(start, max(start, stop))

    def _stored_rows(self) -> int:
        """Rows actually stored per step column (differs from ``count`` once zero-padded)."""
        if self.zero_padded:
            return len(self[Columns.SEQ_LENS]) * int(self.max_seq_len)
        return self.count

    # ------------------------------------------------------------------------------ views
    def slice(self, start: int, end: int) -> SampleBatch:
        """Rows ``[start, end)`` as a new batch of views (no copy).

        With ``seq_lens`` the sequences overlapping the range are kept: their ``state_in_*`` rows
        are taken and their lengths clipped to the range (a sequence cut at ``start`` keeps the
        state it started with, as in RLlib) and ``max_seq_len`` stays this batch's. A zero-padded
        batch may only be sliced at multiples of ``max_seq_len``.

        Args:
            start: First row, ``>= 0``.
            end: One past the last row; clipped to the number of rows.

        Returns:
            A new SampleBatch sharing memory with this one.

        Examples:
            >>> b = SampleBatch({"a": [0, 1, 2, 3, 4], "state_in_0": [[10], [20]]}, seq_lens=[3, 2])
            >>> s = b.slice(2, 5)
            >>> s["a"].tolist(), s["seq_lens"].tolist(), s["state_in_0"].tolist()
            ([2, 3, 4], [1, 2], [[10], [20]])
        """
        if not isinstance(start, (int, np.integer)) or not isinstance(end, (int, np.integer)):
            raise TypeError(f"SampleBatch.slice: start and end must be ints, got {start!r}, {end!r}")
        if start < 0 or end < 0:
            raise ValueError(f"SampleBatch.slice: negative bounds are not supported, got start={start}, end={end}")
        if self.time_major:
            raise ValueError("SampleBatch.slice: cannot slice a time-major batch by rows; slice before transposing")
        n = self._stored_rows()
        start, end = min(int(start), n), min(int(end), n)
        end = max(start, end)
        seq = self.get(Columns.SEQ_LENS)
        if seq is None:
            return self._like({k: (v[start:end] if _rows_of(v) is not None else v) for k, v in self.items()})
        seq = np.asarray(seq)
        if self.zero_padded:
            m = int(self.max_seq_len)
            if start % m or (end % m and end != n):
                raise ValueError(
                    f"SampleBatch.slice: a zero-padded batch can only be sliced at multiples of max_seq_len={m}, "
                    f"got start={start}, end={end}"
                )
            s0, s1 = start // m, -(-end // m)
            new_seq = seq[s0:s1]
        else:
            ends = np.cumsum(seq)
            begins = ends - seq
            hit = np.flatnonzero((ends > start) & (begins < end) & (seq > 0) & (start < end))
            if hit.size == 0:  # an empty range holds no sequence
                s0 = s1 = 0
                new_seq = seq[0:0]
            else:
                s0, s1 = int(hit[0]), int(hit[-1]) + 1
                new_seq = (np.minimum(ends[s0:s1], end) - np.maximum(begins[s0:s1], start)).clip(0).astype(seq.dtype)
        data = {}
        for k, v in self.items():
            if k == Columns.SEQ_LENS:
                data[k] = new_seq
            elif Columns.is_state_in(k):
                data[k] = v[s0:s1] if _rows_of(v) is not None else v
            else:
                data[k] = v[start:end] if _rows_of(v) is not None else v
        return self._like(data)

    def timeslices(self, k: int) -> list[SampleBatch]:
        """Consecutive slices of ``k`` rows (the last one may be shorter).

        Examples:
            >>> [s["x"].tolist() for s in SampleBatch({"x": [1, 2, 3, 4, 5]}).timeslices(2)]
            [[1, 2], [3, 4], [5]]
        """
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k <= 0:
            raise ValueError(f"SampleBatch.timeslices: k must be a positive int, got {k!r}")
        n = self._stored_rows()
        return [self.slice(i, min(i + int(k), n)) for i in range(0, n, int(k))]

    def split_by_episode(self) -> list[SampleBatch]:
        """One slice per contiguous run of equal ``eps_id`` values, in row order.

        Examples:
            >>> b = SampleBatch({"eps_id": [3, 3, 1, 3], "x": [0, 1, 2, 3]})
            >>> [s["x"].tolist() for s in b.split_by_episode()]
            [[0, 1], [2], [3]]
        """
        if Columns.EPS_ID not in self:
            raise ValueError(f"SampleBatch.split_by_episode: needs an 'eps_id' column; columns are {list(self)}")
        eps = np.asarray(self[Columns.EPS_ID])
        if eps.shape[0] == 0:
            return []
        cuts = np.flatnonzero(eps[1:] != eps[:-1]) + 1
        bounds = [0, *cuts.tolist(), eps.shape[0]]
        return [self.slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]

    def rows(self) -> Iterator[dict]:
        """Yields one dict per row over the per-step columns (``seq_lens``/``state_in_*`` of RNN
        batches and 0-d extras are left out).

        Examples:
            >>> [r["a"] for r in SampleBatch({"a": [5, 6]}).rows()]
            [np.int64(5), np.int64(6)]
        """
        cols = [(k, v) for k, v, _ in self._step_columns()]
        for i in range(self._stored_rows()):
            yield {k: v[i] for k, v in cols}

    def columns(self, keys: Iterable[str]) -> list[Any]:
        """The arrays of the given columns, in order.

        Examples:
            >>> a, r = SampleBatch({"a": [1], "r": [2.0]}).columns(["a", "r"])
            >>> a.tolist(), r.tolist()
            ([1], [2.0])
        """
        out = []
        for k in keys:
            if k not in self:
                raise KeyError(f"SampleBatch.columns: no column {k!r}; columns are {list(self)}")
            out.append(dict.__getitem__(self, k))
        return out

    # --------------------------------------------------------------------------- mutation
    def shuffle(self, rng: np.random.Generator | None = None) -> SampleBatch:
        """Permutes the rows of every per-step column in place (one permutation for all).

        Args:
            rng: Optional ``np.random.Generator`` (or anything with ``permutation``) for a
                seeded shuffle; numpy's global state otherwise.

        Returns:
            This batch.

        Examples:
            >>> b = SampleBatch({"a": [0, 1, 2, 3], "b": [0, 10, 20, 30]})
            >>> b = b.shuffle(np.random.default_rng(0))
            >>> bool((b["b"] == 10 * b["a"]).all()), sorted(b["a"].tolist())
            (True, [0, 1, 2, 3])
        """
        if self.get(Columns.SEQ_LENS) is not None:
            raise ValueError("SampleBatch.shuffle: cannot shuffle a batch with 'seq_lens' (it would break sequences)")
        if rng is not None and not hasattr(rng, "permutation"):
            raise TypeError(f"SampleBatch.shuffle: rng must be a numpy Generator, got {type(rng).__name__}")
        perm = (rng if rng is not None else np.random).permutation(self.count)
        for k, v, _ in list(self._step_columns()):
            dict.__setitem__(self, k, v[perm])
        return self

    def right_zero_pad(self, max_seq_len: int, exclude_states: bool = True) -> SampleBatch:
        """Right-pads every sequence with zero rows to ``max_seq_len`` rows, in place.

        Per-step columns grow to ``len(seq_lens) * max_seq_len`` rows (sequence i occupies rows
        ``[i * max_seq_len, i * max_seq_len + seq_lens[i])``); ``seq_lens`` and ``count`` stay;
        ``zero_padded`` becomes True. Object columns are padded with None, string columns with
        empty strings. With ``exclude_states=False``, per-step ``state_in_*`` data is padded too.

        Returns:
            This batch.

        Examples:
            >>> b = SampleBatch({"a": [1, 2, 3], "state_in_0": [1.0, 3.0]}, seq_lens=[1, 2])
            >>> b.right_zero_pad(max_seq_len=3)["a"].tolist(), b["state_in_0"].tolist(), b.count
            ([1, 0, 0, 2, 3, 0], [1.0, 3.0], 3)
        """
        seq = self.get(Columns.SEQ_LENS)
        if seq is None:
            raise ValueError("SampleBatch.right_zero_pad: needs a 'seq_lens' column")
        if self.zero_padded:
            raise ValueError(f"SampleBatch.right_zero_pad: already zero-padded to max_seq_len={self.max_seq_len}")
        seq = np.asarray(seq)
        if isinstance(max_seq_len, bool) or not isinstance(max_seq_len, (int, np.integer)) or max_seq_len <= 0:
            raise ValueError(f"SampleBatch.right_zero_pad: max_seq_len must be a positive int, got {max_seq_len!r}")
        if seq.size and int(seq.max()) > max_seq_len:
            raise ValueError(
                f"SampleBatch.right_zero_pad: max_seq_len={max_seq_len} is shorter than the longest sequence ({int(seq.max())})"
            )
        m, n_seq, total = int(max_seq_len), len(seq), int(seq.sum())
        begins = np.cumsum(seq) - seq
        dest = np.repeat(np.arange(n_seq) * m - begins, seq) + np.arange(total)
        for k, v in list(self.items()):
            if k == Columns.SEQ_LENS or (exclude_states and Columns.is_state_in(k)):
                continue
            if not isinstance(v, np.ndarray) or v.ndim == 0:
                continue
            if v.shape[0] != total:
                raise ValueError(f"SampleBatch.right_zero_pad: column {k!r} has {v.shape[0]} rows, sum(seq_lens) is {total}")
            pad = np.full((n_seq * m,) + v.shape[1:], None, dtype=object) if v.dtype == object else np.zeros(
                (n_seq * m,) + v.shape[1:], dtype=v.dtype
            )
            pad[dest] = v
            dict.__setitem__(self, k, pad)
        self.zero_padded = True
        self.max_seq_len = m
        return self

    # ---------------------------------------------------------------------------- copies
    def copy(self, shallow: bool = False) -> SampleBatch:
        """A new batch; deep (arrays copied, object cells deep-copied) unless ``shallow``.

        Examples:
            >>> b = SampleBatch({"a": [1, 2]})
            >>> c = b.copy(); c["a"][0] = 9
            >>> b["a"].tolist(), b.copy(shallow=True)["a"] is b["a"]
            ([1, 2], True)
        """
        if shallow:
            data = dict(self.items())
        else:
            data = {}
            for k, v in self.items():
                if isinstance(v, np.ndarray) and v.dtype != object:
                    data[k] = np.array(v, copy=True)
                else:
                    data[k] = _copy.deepcopy(v)
        return self._like(data)

    def size_bytes(self) -> int:
        """Bytes held by the columns: ``nbytes`` of numeric arrays; object columns estimated
        (pointer array plus ``sys.getsizeof`` of the cells, three levels into containers).

        Examples:
            >>> SampleBatch({"a": np.zeros(4, np.float32), "b": np.zeros((4, 2), np.int64)}).size_bytes()
            80
        """
        total = 0
        for v in self.values():
            if isinstance(v, np.ndarray):
                total += v.nbytes
                if v.dtype == object:
                    total += sum(_object_nbytes(x) for x in v.flat)
            elif hasattr(v, "nbytes"):
                total += int(v.nbytes)
            else:
                total += _object_nbytes(v)
        return total

    # ----------------------------------------------------------------------------- concat
    def concat(self, other: SampleBatch) -> SampleBatch:
        """This batch followed by ``other`` (a new batch); see :meth:`concat_samples`.

        Examples:
            >>> SampleBatch({"a": [1]}).concat(SampleBatch({"a": [2, 3]}))["a"].tolist()
            [1, 2, 3]
        """
        return SampleBatch.concat_samples([self, other])

    @staticmethod
    def concat_samples(samples: Sequence[Any]) -> Any:
        """Concatenates batches row-wise; see :func:`rlcore.data.concat.concat_samples`.

        Examples:
            >>> SampleBatch.concat_samples([SampleBatch({"a": [1]}), SampleBatch({"a": [2]})]).count
            2
        """
        from rlcore.data.concat import concat_samples

        return concat_samples(samples)

    def as_multi_agent(self) -> Any:
        """This batch as a ``MultiAgentBatch({DEFAULT_POLICY_ID: self}, count)``.

        Examples:
            >>> ma = SampleBatch({"a": [1, 2]}).as_multi_agent()
            >>> list(ma.policy_batches), ma.env_steps()
            (['default_policy'], 2)
        """
        from rlcore.data.multi_agent_batch import MultiAgentBatch

        return MultiAgentBatch({DEFAULT_POLICY_ID: self}, self.count)

    # ------------------------------------------------------------------------------ wire
    def to_bytes(self) -> bytes:
        """Encodes this batch for the wire (:mod:`rlcore.data.codec`).

        Examples:
            >>> b = SampleBatch({"a": np.arange(3, dtype=np.int16)})
            >>> SampleBatch.from_bytes(b.to_bytes())["a"].dtype
            dtype('int16')
        """
        from rlcore.data.codec import to_bytes

        return to_bytes(self)

    @staticmethod
    def from_bytes(data: bytes | bytearray | memoryview) -> Any:
        """Decodes what :meth:`to_bytes` wrote (a SampleBatch or a MultiAgentBatch).

        Numeric columns come back as read-only views over ``data`` (zero-copy).

        Examples:
            >>> SampleBatch.from_bytes(SampleBatch({"a": [1.5]}).to_bytes())["a"].tolist()
            [1.5]
        """
        from rlcore.data.codec import from_bytes

        return from_bytes(data)


def __getattr__(name: str) -> Any:
    """``concat_samples`` lives in :mod:`rlcore.data.concat` (it knows both batch kinds); it is
    reachable from here too, as in RLlib, and imported on first use to avoid an import cycle."""
    if name == "concat_samples":
        from rlcore.data.concat import concat_samples

        return concat_samples
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

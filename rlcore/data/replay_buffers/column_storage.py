"""ColumnStorage: a fixed number of rows kept as one preallocated numpy array per column.

Every replay buffer stores its experience here. The arrays are allocated on the first write,
from the dtypes and row shapes of that batch. The numeric columns (bool/int/float/complex) share
one record per row, a compiled ``ReplayRecords`` ring: each column is a strided numpy view of it,
and a sampled row's numeric values sit in one or two cache lines instead of one line per column
(CartPole's five columns: 45 bytes in a 48-byte record). Object columns (``infos``, strings,
anything else) are object arrays of their own. Batch-level extras that have no rows (scalars,
strings, 0-d arrays) are not stored. Reading gathers rows with fancy indexing, which copies them
out, so a sampled batch never aliases the storage.

The storage knows nothing about sampling: it holds ``size`` valid rows at positions
``0 .. size-1`` (all ``capacity`` rows once it has wrapped) and a write position ``pos``, both
kept in one compiled ``ReplayRing`` that every write advances. A batch whose columns are exactly
the stored ones (same names, dtypes and row shapes, C order; object columns as object arrays) is
written by one ``ReplayRing.add`` call (it also advances the ring and returns the rows written),
plus a numpy assignment per object column; :attr:`ColumnStorage.write_exact` also sets the leaves
of a prioritized buffer's trees in that same call. When every column is numeric, the records know
the columns' names and that call reads a plain dict or SampleBatch by name itself (no
Python-level copy of the batch, and ``write_exact`` is the ring's own ``add``).
"""

from __future__ import annotations

import operator
from typing import Any, Mapping

import numpy as np

from rlcore import _backend
from rlcore._backend import replay_slots
from rlcore.data.columns import Columns
from rlcore.data.replay_buffers._validation import check_int
from rlcore.data.sample_batch import SampleBatch

_NUMERIC_KINDS = frozenset("biufc")
_PLAIN_DICTS = (dict, SampleBatch)  # their values are what [] returns for str keys
_ReplayRecords = _backend.ReplayRecords
_ReplayRing = _backend.ReplayRing
_SAMPLE_SETS = frozenset((Columns.WEIGHTS, Columns.BATCH_INDEXES, Columns.SEQ_LENS))  # see ColumnStorage.sample_records


def _as_column(name: str, value: Any) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    try:
        arr = np.asarray(value)
    except ValueError as err:  # ragged lists
        raise ValueError(f"column {name!r} cannot be made into an array: {err}") from None
    return arr


def ring_rows(start: int, n: int, capacity: int) -> np.ndarray:
    """The ring positions (int64) of the rows kept when ``n`` rows are written from ``start``: the last
    ``min(n, capacity)`` of them.

    Examples:
        >>> ring_rows(2, 3, 8).tolist(), ring_rows(6, 3, 8).tolist(), ring_rows(1, 5, 3).tolist()
        ([2, 3, 4], [6, 7, 0], [0, 1, 2])
    """
    return replay_slots(start, n, capacity)


def _ring_assign(dest: np.ndarray, src: np.ndarray, start: int) -> None:
    """Writes the rows of ``src`` into ``dest`` from row ``start``, wrapping; only the last ``len(dest)``
    rows of ``src`` are kept (at most two slice assignments)."""
    cap, n = len(dest), len(src)
    keep = min(n, cap)
    pos = (start + n - keep) % cap
    head = min(keep, cap - pos)
    dest[pos:pos + head] = src[n - keep:n - keep + head]
    dest[:keep - head] = src[n - keep + head:]


def _is_extra(value: Any) -> bool:
    """A batch-level value (scalar, string, 0-d array), not a column of rows."""
    return isinstance(value, (str, bytes)) or np.ndim(value) == 0


class ColumnStorage:
    """A ring of ``capacity`` rows stored column by column.

    Args:
        capacity: Number of rows held at most (an int >= 1).
        name: Name used in error messages (the owning buffer's name).

    Examples:
        >>> import numpy as np
        >>> s = ColumnStorage(4)
        >>> s.write({"obs": np.arange(6.0).reshape(3, 2), "actions": np.array([0, 1, 2])})
        (0, 3)
        >>> s.write({"obs": np.ones((2, 2)), "actions": np.array([7, 8])})
        (3, 2)
        >>> s.size, s.pos
        (4, 1)
        >>> s.gather(np.array([0, 1]))["actions"]
        array([8, 1])
    """

    def __init__(self, capacity: int, *, name: str = "ColumnStorage") -> None:
        self.capacity = check_int("capacity", capacity, 1)
        self.name = name
        self._columns: dict[str, np.ndarray] = {}
        #: The ReplayRing holding ``pos``, ``size`` and the ReplayRecords of the numeric columns
        #: (None before the first write or without any): never replaced, so a reference to it (or to
        #: its bound ``add``) stays valid.
        self.ring = _ReplayRing(self.capacity, _PLAIN_DICTS)
        #: ``write_exact(batch, sum_tree=None, min_tree=None, leaf=0.0)``: :meth:`write` in one native
        #: call for a batch that fits the stored columns exactly, also setting the leaves of the rows
        #: kept to ``leaf`` in a prioritized buffer's trees (of ``capacity`` leaves): ``(n, slots)``
        #: (the batch's rows and the ring rows kept), or None with nothing written or set when the
        #: batch does not fit (:meth:`write` handles any batch). The ring's own ``add`` while every
        #: stored column is numeric (a plain dict or SampleBatch read by name), else
        #: :meth:`_write_exact_objects`.
        self.write_exact = self.ring.add
        self._dest_names: list[str] = []  # the numeric columns' names, in the records' field order
        self._objects: list[tuple[str, np.ndarray]] = []  # the object columns (name, array)
        self._fixed: tuple[list[str], Any, list, tuple | None] | None = None  # record_columns' answer
        #: The ReplayRecords (with names) when every stored column is one of its fields and none is
        #: ``weights`` or ``batch_indexes`` (the columns a prioritized sample sets) or ``seq_lens``
        #: (a batch with it is made by SampleBatch's constructor), else None: then
        #: ``replay_sample(..., records, rng, out)`` fills a sampled batch in one call.
        self.sample_records = None

    @property
    def pos(self) -> int:
        """The ring position the next row is written at."""
        return self.ring.pos

    @property
    def size(self) -> int:
        """Valid rows held (at positions ``0 .. size-1``)."""
        return self.ring.size

    @property
    def _records(self):
        """The ReplayRecords of the numeric columns (the ring's), or None."""
        return self.ring.records

    # --- schema ---------------------------------------------------------------------------------

    @property
    def column_names(self) -> tuple[str, ...]:
        """Names of the stored columns (empty before the first write)."""
        return tuple(self._columns)

    def _prepare(self, batch: Mapping[str, Any]) -> tuple[dict[str, np.ndarray], int]:
        if not isinstance(batch, Mapping):
            raise TypeError(f"{self.name}: batch must be a SampleBatch or a mapping of columns, got {type(batch).__name__}")
        if len(batch.keys()) == 0:
            raise ValueError(f"{self.name}: batch has no columns")
        cols = {str(k): _as_column(str(k), v) for k, v in batch.items() if not _is_extra(v)}
        if not cols:
            raise ValueError(f"{self.name}: batch has no per-row columns, only 0-d extras {sorted(map(str, batch))}")
        lengths = {k: (len(v) if v.ndim else -1) for k, v in cols.items()}
        n = next(iter(lengths.values()))
        bad = {k: ln for k, ln in lengths.items() if ln != n}
        if n < 0 or bad:
            raise ValueError(f"{self.name}: columns must be arrays of equal length, got lengths {lengths}")
        if self._columns:
            stored, given = set(self._columns), set(cols)
            if stored != given:
                raise ValueError(
                    f"{self.name}: batch columns differ from the stored ones: missing {sorted(stored - given)}, "
                    f"unexpected {sorted(given - stored)} (stored: {sorted(stored)})"
                )
            for k, v in cols.items():
                dest = self._columns[k]
                if v.shape[1:] != dest.shape[1:]:
                    raise ValueError(
                        f"{self.name}: column {k!r} has row shape {v.shape[1:]}, expected {dest.shape[1:]} (as stored)"
                    )
                if dest.dtype.hasobject:
                    continue
                if v.dtype != dest.dtype:
                    if v.dtype.kind not in _NUMERIC_KINDS or not np.can_cast(v.dtype, dest.dtype, "same_kind"):
                        raise TypeError(
                            f"{self.name}: column {k!r} has dtype {v.dtype}, expected {dest.dtype} (as stored) "
                            "or a dtype of the same kind"
                        )
                    v = v.astype(dest.dtype)
                cols[k] = np.ascontiguousarray(v)
        return cols, n

    def check(self, batch: Mapping[str, Any]) -> int:
        """Validates ``batch`` against the stored columns without writing; returns its row count."""
        return self._prepare(batch)[1]

    def _allocate(self, cols: Mapping[str, np.ndarray]) -> None:
        """The arrays of ``cols``' columns, at ring position 0 with no rows held."""
        numeric = [k for k, v in cols.items() if v.dtype.kind in _NUMERIC_KINDS]
        records = None
        if numeric:
            # named (a dict read by name) only when the records hold every column
            names = numeric if len(numeric) == len(cols) else None
            records = _ReplayRecords(self.capacity, [cols[k].dtype for k in numeric],
                                     [cols[k].shape[1:] for k in numeric], names)
            views = dict(zip(numeric, records.columns))
        self.ring.reset(0, 0, records)
        for k, v in cols.items():
            self._columns[k] = views[k] if k in numeric else np.empty((self.capacity,) + v.shape[1:], object)
        self._dest_names = numeric
        # the numeric columns' values of a plain dict, in field order, in one C call
        self._numeric_of = operator.itemgetter(*numeric) if len(numeric) > 1 else lambda d: [d[k] for k in numeric]
        self._objects = [(k, v) for k, v in self._columns.items() if v.dtype.hasobject]
        order = tuple(self._columns)
        natural = tuple(numeric) + tuple(k for k, _ in self._objects)
        self._fixed = (numeric, self._records, self._objects, None if order == natural else order) if numeric else None
        plain = numeric and not self._objects and _SAMPLE_SETS.isdisjoint(numeric)
        self.sample_records = records if plain else None
        self.write_exact = self._write_exact_objects if self._objects else self.ring.add

    # --- writing --------------------------------------------------------------------------------

    def _write_exact_objects(self, batch: Mapping[str, Any], sum_tree=None, min_tree=None,
                             leaf: float = 0.0) -> tuple[int, np.ndarray] | None:
        """:attr:`write_exact` of a storage with object columns (``infos``...): the numeric ones in
        one ``ReplayRing.add`` call, then the object columns assigned with numpy."""
        if self._records is None:
            return None
        if type(batch) in _PLAIN_DICTS:  # read the values without a Python-level __getitem__
            if batch.keys() != self._columns.keys():
                return None
            values = dict(batch)
            srcs = self._numeric_of(values)
            objs = [(dest, values[k]) for k, dest in self._objects]
        elif isinstance(batch, Mapping) and batch.keys() == self._columns.keys():
            try:
                srcs = [batch[k] for k in self._dest_names]
                objs = [(dest, batch[k]) for k, dest in self._objects]
            except KeyError:  # a Mapping whose keys() and [] disagree: the general path reports it
                return None
        else:
            return None
        # checked before anything is written: a misfit leaves the batch to the general path
        n = len(srcs[0]) if isinstance(srcs[0], np.ndarray) and srcs[0].ndim else -1
        for dest, v in objs:
            if type(v) is not np.ndarray or v.dtype != dest.dtype or v.shape[1:] != dest.shape[1:] or len(v) != n:
                return None
        added = self.ring.add(list(srcs), sum_tree, min_tree, leaf)
        if added is not None:
            n, rows = added
            for dest, v in objs:
                dest[rows] = v[n - len(rows):]
        return added

    def write(self, batch: Mapping[str, Any]) -> tuple[int, int]:
        """Appends the rows of ``batch`` at ``pos``, wrapping around.

        If the batch has more rows than ``capacity``, only its last ``capacity`` rows are kept.

        Returns:
            ``(start, n)``: the position of the batch's first row and its number of rows; the
            rows kept are ``(start + j) % capacity`` for ``j`` in ``range(max(0, n - capacity), n)``.
        """
        start = self.ring.pos
        added = self.write_exact(batch)
        if added is not None:
            return start, added[0]
        cols, n = self._prepare(batch)
        if n == 0:
            return start, 0
        if not self._columns:
            self._allocate(cols)
            cols = self._prepare(cols)[0]
        for k, v in cols.items():
            _ring_assign(self._columns[k], v, start)
        self.ring.advance(n)
        return start, n

    def scatter(self, batch: Mapping[str, Any], dest_rows: np.ndarray, src_rows: np.ndarray) -> None:
        """Writes rows ``src_rows`` of ``batch`` to rows ``dest_rows`` (already valid rows, distinct)."""
        cols, _ = self._prepare(batch)
        for k, v in cols.items():
            self._columns[k][dest_rows] = v[src_rows]

    # --- reading --------------------------------------------------------------------------------

    def gather(self, rows: np.ndarray, skip: Any = ()) -> dict[str, np.ndarray]:
        """Copies rows ``rows`` (int64 positions in ``[0, size)``) out of every column but those named in
        ``skip`` (columns the caller replaces anyway)."""
        # v[rows], not v.take(rows, axis=0): take copies a strided record view whole before indexing it
        return {k: v[rows] for k, v in self._columns.items() if k not in skip}

    def record_columns(self) -> tuple[list[str], Any, list, tuple | None] | None:
        """What ``replay_sample`` gathers from in its one call, and the rest: ``(names, records,
        objects, order)`` with the numeric columns' names in the records' field order, their
        ``ReplayRecords``, the object columns as ``(name, array)`` pairs (``v[rows]`` gathers them),
        and the stored column order when it is not ``names`` then the objects' names (else None);
        None when no numeric column is stored (or nothing is).

        Examples:
            >>> import numpy as np
            >>> s = ColumnStorage(4)
            >>> s.write({"obs": np.zeros((2, 3)), "infos": np.array([{}, {}]), "actions": np.array([1, 2])})
            (0, 2)
            >>> names, records, objects, order = s.record_columns()
            >>> names, [a.shape for a in records.columns], records.stride, [k for k, _ in objects], order
            (['obs', 'actions'], [(4, 3), (4,)], 32, ['infos'], ('obs', 'infos', 'actions'))
        """
        return self._fixed

    def nbytes(self) -> int:
        """Bytes held by the preallocated numeric arrays plus an estimate for object cells."""
        total = self._records.nbytes if self._records is not None else 0
        for _, v in self._objects:
            total += v.size * 8 + 64 * self.size
        return total

    # --- checkpoints ----------------------------------------------------------------------------

    def get_state(self) -> dict[str, Any]:
        """The valid rows of every column (in position order) and the ring counters."""
        return {
            "capacity": self.capacity,
            "pos": self.pos,
            "size": self.size,
            "columns": {k: v[: self.size].copy() for k, v in self._columns.items()},
        }

    def set_state(self, state: Mapping[str, Any]) -> None:
        """Restores what :meth:`get_state` returned; the capacity must be the same."""
        try:
            capacity, pos, size, columns = (state[k] for k in ("capacity", "pos", "size", "columns"))
        except (KeyError, TypeError) as err:
            raise ValueError(f"{self.name}: state must be a dict with capacity, pos, size, columns; got {err!r}") from None
        if capacity != self.capacity:
            raise ValueError(f"{self.name}: state has capacity {capacity}, expected {self.capacity}")
        if not (0 <= size <= capacity and 0 <= pos < capacity):
            raise ValueError(f"{self.name}: state has pos {pos} / size {size} outside capacity {capacity}")
        self._columns, self._dest_names, self._objects, self._fixed = {}, [], [], None
        self.ring.reset(0, 0)
        self.sample_records = None
        self.write_exact = self.ring.add
        if columns:
            cols = {k: np.asarray(v) for k, v in columns.items()}
            for k, v in cols.items():
                if len(v) != size:
                    raise ValueError(f"{self.name}: state column {k!r} has {len(v)} rows, expected {size}")
            self._allocate(cols)
            for k, v in cols.items():
                self._columns[k][:size] = v
        self.ring.reset(int(pos), int(size), self._records)

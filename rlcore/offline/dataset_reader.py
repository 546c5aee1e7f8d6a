"""DatasetReader: offline batches streamed from Ray Data (JSON lines or Parquet), for many workers.

``input: "dataset"`` with ``input_config: {"format": "json" | "parquet", "paths": ...}``. Each
rollout worker streams its own share of the files (``files[k::n]`` for remote worker ``k`` of
``n``; all of them with no remote workers) through ``ray.data`` (``read_text`` /
``read_parquet``, ``iter_batches``), so a dataset larger than memory is never loaded whole; at the
end it starts over. ``ray.data`` and ``pyarrow`` are imported here only when used (and Ray is
started if it is not running).

- ``json``: the files :class:`~rlcore.offline.json_writer.JsonWriter` writes; one line is one
  batch, decoded as :class:`~rlcore.offline.json_reader.JsonReader` decodes it.
- ``parquet``: one row per time step, as :func:`write_parquet` writes them: numeric columns, rows
  of more than one value as fixed-size lists (their row shape in the schema metadata), object
  columns (``infos``) as JSON strings. ``next()`` returns ``rollout_fragment_length`` rows in
  file order, so episodes stay contiguous.

Postprocessing (``postprocess_inputs``) and the off-policy estimators work on these batches as
on ``JsonReader``'s.
"""

from __future__ import annotations

import glob
import json
import os
from typing import Any, Dict, Iterator, List, Optional, Sequence

import numpy as np

from rlcore.data.sample_batch import DEFAULT_POLICY_ID, SampleBatch
from rlcore.offline.input_reader import InputReader
from rlcore.offline.io_context import IOContext
from rlcore.offline.json_format import OfflineDataError, from_json_line

__all__ = ["DatasetReader", "write_parquet", "SHAPES_KEY"]

#: Schema metadata key holding ``{column: row shape}`` (and which columns are JSON objects).
SHAPES_KEY = b"rlcore.row_shapes"


def write_parquet(batches: Sequence[SampleBatch], path: str, rows_per_file: int = 100_000) -> List[str]:
    """Writes single-agent batches as Parquet files of one row per step (see the module docstring).

    Args:
        batches: ``SampleBatch`` es with the same columns.
        path: The output directory (created).
        rows_per_file: Rows per file (``part-<i>.parquet``).

    Returns:
        The files written.

    Raises:
        TypeError: A batch that is not a ``SampleBatch``.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from rlcore.data.concat import concat_samples

    if not all(isinstance(b, SampleBatch) for b in batches):
        raise TypeError("write_parquet: expected SampleBatches (multi-agent batches go to JsonWriter)")
    batch = concat_samples(list(batches))
    os.makedirs(path, exist_ok=True)
    shapes: Dict[str, Any] = {}
    arrays, names = [], []
    for name, col in batch.items():
        col = np.asarray(col)
        if col.dtype == object:
            arrays.append(pa.array([json.dumps(_plain(v)) for v in col], pa.string()))
            shapes[name] = "json"
        elif col.ndim == 1:
            arrays.append(pa.array(col))
        else:
            row = col.shape[1:]
            flat = pa.array(np.ascontiguousarray(col).reshape(-1))
            arrays.append(pa.FixedSizeListArray.from_arrays(flat, int(np.prod(row))))
            shapes[name] = list(row)
        names.append(name)
    table = pa.Table.from_arrays(arrays, names=names).replace_schema_metadata({SHAPES_KEY: json.dumps(shapes)})
    files = []
    for i, start in enumerate(range(0, table.num_rows, rows_per_file)):
        out = os.path.join(path, f"part-{i:05d}.parquet")
        pq.write_table(table.slice(start, rows_per_file), out)
        files.append(out)
    return files


def _plain(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    return v


def _read_parquet_files(paths: Any) -> Any:
    """Ray Data task: the rows of the Parquet files named in a batch of paths (a pyarrow table)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables = [pq.read_table(p) for p in paths.column("path").to_pylist()]
    return pa.concat_tables([t.replace_schema_metadata(None) for t in tables])


def _read_text_files(paths: Any) -> Any:
    """Ray Data task: the lines of the text files named in a batch of paths (a ``text`` column)."""
    import pyarrow as pa

    lines: List[str] = []
    for p in paths.column("path").to_pylist():
        with open(p, encoding="utf-8") as f:
            lines.extend(line.rstrip("\n") for line in f)
    return pa.table({"text": lines})


def _expand(paths: Any, fmt: str) -> List[str]:
    entries = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths or [])
    ext = "*.json" if fmt == "json" else "*.parquet"
    files: List[str] = []
    for entry in entries:
        p = os.path.abspath(os.path.expanduser(os.fspath(entry)))
        if os.path.isdir(p):
            files.extend(sorted(glob.glob(os.path.join(p, ext))))
        elif os.path.isfile(p):
            files.append(p)
        else:
            files.extend(sorted(f for f in glob.glob(p) if os.path.isfile(f)))
    if not files:
        raise ValueError(f"config key 'input_config' paths = {paths!r}: no {fmt} files found")
    return files


class DatasetReader(InputReader):
    """Streams batches from Ray Data.

    Args:
        files: The files (this worker's share).
        fmt: ``"json"`` or ``"parquet"``.
        ioctx: The worker's context (``rollout_fragment_length``, ``postprocess_inputs``).
        ray_remote_args: Resources of Ray Data's read tasks (default ``{"num_cpus": 0}``: reading
            needs no CPU of its own, so rollout workers holding every CPU do not starve it).

    Attributes:
        files: This worker's files.
        rows_read: Rows returned so far.
    """

    def __init__(self, files: Sequence[str], fmt: str, ioctx: Optional[IOContext] = None,
                 ray_remote_args: Optional[Dict[str, Any]] = None):
        if fmt not in ("json", "parquet"):
            raise ValueError(f"input_config format={fmt!r}: expected 'json' or 'parquet'")
        self.files, self.fmt = list(files), fmt
        self.ioctx = ioctx or IOContext()
        self.rows_read = 0
        self._remote_args = dict(ray_remote_args or {"num_cpus": 0})
        self._rows = max(1, int(self.ioctx.config.get("rollout_fragment_length") or 200))
        self._ignore_corrupt = bool((self.ioctx.config.get("input_config") or {}).get("ignore_corrupt"))
        self._shapes: Dict[str, Any] = {}
        self._it: Optional[Iterator[Any]] = None

    @classmethod
    def from_config(cls, ioctx: IOContext) -> "DatasetReader":
        """This worker's reader from ``input_config`` (its share of the files)."""
        opts = dict(ioctx.config.get("input_config") or {})
        fmt = opts.get("format")
        files = _expand(opts.get("paths"), fmt)
        n = int(ioctx.config.get("num_workers") or 0)
        if n > 0 and ioctx.worker_index > 0:
            share = files[ioctx.worker_index - 1::n]
            files = share or files  # fewer files than workers: read them all
        return cls(files, fmt, ioctx)

    def _dataset(self) -> Any:
        """A dataset of the files' rows: a dataset of paths mapped to their contents, one block per
        file, read in Ray Data's tasks and streamed (Ray Data's own path listing is not used: it
        imports fsspec's HTTP filesystem from several threads, which fails in this stack)."""
        import ray.data

        # Rows in file order, so episodes stay contiguous (Ray Data reorders blocks by default). This
        # sets the option on the process's current DataContext, which the datasets made here copy.
        ray.data.DataContext.get_current().execution_options.preserve_order = True
        if self.fmt == "parquet":
            import pyarrow.parquet as pq

            meta = pq.read_schema(self.files[0]).metadata or {}
            self._shapes = json.loads(meta.get(SHAPES_KEY, b"{}"))
        paths = ray.data.from_items([{"path": f} for f in self.files])
        return paths.map_batches(_read_parquet_files if self.fmt == "parquet" else _read_text_files,
                                 batch_size=1, batch_format="pyarrow", **self._remote_args)

    def _batches(self) -> Iterator[SampleBatch]:
        ds = self._dataset()
        if self.fmt == "json":
            for i, row in enumerate(ds.iter_rows(), 1):  # one row per line
                line = row["text"]
                if not line.strip():
                    continue
                try:
                    yield from_json_line(line, where=f"dataset {self.files} row {i}")
                except OfflineDataError:
                    if not self._ignore_corrupt:
                        raise
            return
        for cols in ds.iter_batches(batch_size=self._rows, batch_format="numpy"):
            yield SampleBatch({k: self._column(k, v) for k, v in cols.items()})

    def _column(self, name: str, col: np.ndarray) -> np.ndarray:
        shape = self._shapes.get(name)
        if shape == "json":
            out = np.empty(len(col), object)
            out[:] = [json.loads(v) for v in col]
            return out
        if col.dtype == object:  # list cells
            col = np.stack([np.asarray(v) for v in col]) if len(col) else col
        if isinstance(shape, list):
            col = np.asarray(col).reshape((len(col), *shape))
        return col

    def next(self) -> SampleBatch:
        """The next batch (the dataset starts over at its end)."""
        for _ in range(2):
            if self._it is None:
                self._it = self._batches()
            batch = next(self._it, None)
            if batch is not None:
                self.rows_read += batch.count
                return self._postprocess_if_needed(batch)
            self._it = None
        raise OfflineDataError(f"dataset {self.files}: no rows")

    def _postprocess_if_needed(self, batch: SampleBatch) -> SampleBatch:
        if not self.ioctx.config.get("postprocess_inputs"):
            return batch
        from rlcore.offline.json_reader import postprocess_batch

        worker = self.ioctx.worker
        return postprocess_batch(batch, worker.get_policy(DEFAULT_POLICY_ID) if worker is not None else None)

    def stop(self) -> None:
        """Closes the running iteration (its Ray Data executor)."""
        if self._it is not None:
            self._it.close()
            self._it = None

    def __repr__(self) -> str:
        return f"DatasetReader({self.fmt}, {len(self.files)} files)"

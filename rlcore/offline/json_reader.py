"""JsonReader: sample batches from JSON-lines files (RLlib 1.x's ``JsonReader``).

``inputs`` is a file, a directory (its ``*.json`` files), a glob, or a list of those. ``next()``
returns the batch of the next line; at the end of a file the reader goes on with a file chosen
at random (seeded), forever, as 1.x does; the first file is spread over the workers by worker
index. :meth:`JsonReader.read_all_files` reads every line once, in file order.

Lines are 1.x's format (:mod:`rlcore.offline.json_format`): uncompressed lines of 1.x and
rlcore, and rlcore's compressed columns. A malformed line (truncated, not JSON, a bad column) is
an :class:`~rlcore.offline.json_format.OfflineDataError` naming the file and line, or, with
``ignore_corrupt=True``, skipped with a warning and counted in ``num_corrupt_lines``. RLlib 1.x's
pickled columns are refused unless ``allow_pickled_columns=True``.

With the config's ``postprocess_inputs``, each episode of a batch goes through the worker's
default policy's ``postprocess_trajectory`` (e.g. MARWIL's discounted returns).

Examples:
    >>> import os, tempfile
    >>> import numpy as np
    >>> from rlcore.data.sample_batch import SampleBatch
    >>> from rlcore.offline.json_writer import JsonWriter
    >>> d = tempfile.mkdtemp()
    >>> w = JsonWriter(d)
    >>> w.write(SampleBatch({"obs": np.ones((2, 3), np.float32), "actions": np.array([1, 0])}))
    >>> w.close()
    >>> r = JsonReader(d)
    >>> b = r.next()
    >>> b["obs"].shape, b["actions"].tolist(), r.next()["actions"].tolist()
    ((2, 3), [1, 0], [1, 0])
"""

from __future__ import annotations

import glob
import logging
import os
import random
from typing import Any, Iterator, List, Optional, Sequence, Union

from rlcore.data.concat import concat_samples
from rlcore.data.multi_agent_batch import MultiAgentBatch
from rlcore.data.sample_batch import DEFAULT_POLICY_ID, SampleBatch
from rlcore.offline.input_reader import InputReader
from rlcore.offline.io_context import IOContext
from rlcore.offline.json_format import OfflineDataError, PickledColumnError, from_json_line

__all__ = ["JsonReader", "find_input_files", "postprocess_batch"]

logger = logging.getLogger(__name__)

#: Read buffer: a line (one batch) is often tens of kB, and a default 8 kB buffer reads it in
#: pieces joined again.
_BUFFER = 1 << 20


def find_input_files(inputs: Union[str, Sequence[str]]) -> List[str]:
    """The files a ``JsonReader`` reads: each entry expanded (``~``; a directory to its ``*.json``
    files; a glob to its matches, sorted), in order.

    Raises:
        TypeError: ``inputs`` is neither a str nor a list of str.
        ValueError: A URI (needs smart_open, not in this stack), or no file found.

    Examples:
        >>> find_input_files("/nonexistent/*.json")
        Traceback (most recent call last):
        ...
        ValueError: input '/nonexistent/*.json': no files found (expected a file, a directory of *.json files, a glob or a list of files)
    """
    entries = [inputs] if isinstance(inputs, (str, os.PathLike)) else inputs
    if not isinstance(entries, (list, tuple)) or not all(isinstance(e, (str, os.PathLike)) for e in entries):
        raise TypeError(f"input={inputs!r:.80}: expected a path, a glob or a list of paths")
    files: List[str] = []
    for entry in entries:
        entry = os.fspath(entry)
        if "://" in entry:
            raise ValueError(f"input {entry!r}: reading URIs needs smart_open, which this stack does not install; "
                             "give local files")
        path = os.path.abspath(os.path.expanduser(entry))
        if os.path.isdir(path):
            files.extend(sorted(glob.glob(os.path.join(path, "*.json"))))
        elif os.path.isfile(path):
            files.append(path)
        else:
            files.extend(sorted(p for p in glob.glob(path) if os.path.isfile(p)))
    if not files:
        raise ValueError(f"input {inputs!r}: no files found (expected a file, a directory of *.json files, a glob or "
                         "a list of files)")
    return files


def postprocess_batch(batch: Any, policy: Any) -> Any:
    """``policy.postprocess_trajectory`` on each episode of ``batch`` (``postprocess_inputs``).

    Raises:
        ValueError: For a ``MultiAgentBatch`` (the agents' alignment in the episode is not in
            the file; RLlib 1.x refuses it too), or when there is no policy.
    """
    if isinstance(batch, MultiAgentBatch):
        raise ValueError("postprocess_inputs=True: postprocessing multi-agent offline data is not supported (the "
                         "agents' alignment within episodes is not stored); set postprocess_inputs=False")
    if policy is None:
        raise ValueError("postprocess_inputs=True needs the worker's default policy; the reader has no worker")
    episodes = batch.split_by_episode() if "eps_id" in batch else [batch]
    out = [policy.postprocess_trajectory(ep) for ep in episodes]
    return out[0] if len(out) == 1 else concat_samples(out)


class JsonReader(InputReader):
    """Reads batches from JSON-lines files.

    Args:
        inputs: A file, a directory, a glob, or a list of them (:func:`find_input_files`).
        ioctx: The worker's context: ``config["postprocess_inputs"]``, its ``seed`` (file
            order) and ``worker_index``, and the worker (its default policy postprocesses).
        allow_pickled_columns: Unpickle RLlib 1.x's compressed columns (runs code from the
            file; a warning is logged). Default: refused, naming file, line and column.
        ignore_corrupt: Skip malformed lines (warning, ``num_corrupt_lines``) instead of raising.
        seed: Seeds the choice of the next file (default: config ``seed`` + worker index).

    Attributes:
        files: The files read.
        num_corrupt_lines: Lines skipped with ``ignore_corrupt``.
    """

    def __init__(self, inputs: Union[str, Sequence[str]], ioctx: Optional[IOContext] = None,
                 allow_pickled_columns: bool = False, ignore_corrupt: bool = False, seed: Optional[int] = None):
        self.ioctx = ioctx or IOContext()
        self.files = find_input_files(inputs)
        self.allow_pickled_columns = bool(allow_pickled_columns)
        self.ignore_corrupt = bool(ignore_corrupt)
        self.num_corrupt_lines = 0
        if seed is None and self.ioctx.config.get("seed") is not None:
            seed = int(self.ioctx.config["seed"]) + self.ioctx.worker_index
        self._rng = random.Random(seed)
        self._postprocess = bool(self.ioctx.config.get("postprocess_inputs"))
        self._file: Any = None
        self._path = ""
        self._line_no = 0

    # -- reading -----------------------------------------------------------------------------

    def next(self) -> SampleBatch | MultiAgentBatch:
        """The batch of the next non-empty line (files wrap around forever).

        Raises:
            OfflineDataError: A malformed line (unless ``ignore_corrupt``), or no readable line
                in a whole pass over the files.
        """
        blank_or_bad = 0
        limit = None
        while True:
            line = self._next_line()
            batch = self._parse(line, self._path, self._line_no)
            if batch is not None:
                return self._postprocess_if_needed(batch)
            blank_or_bad += 1
            if limit is None:
                limit = 1 + sum(_count_lines(p) for p in self.files)
            if blank_or_bad > limit:
                raise OfflineDataError(f"input {self.files}: no readable line in a whole pass over the files "
                                       f"({self.num_corrupt_lines} corrupt lines skipped)")

    def read_all_files(self) -> Iterator[SampleBatch | MultiAgentBatch]:
        """Every batch of every file once, in file order (not postprocessed)."""
        for path in self.files:
            with open(path, "rb", buffering=_BUFFER) as f:  # bytes: the JSON parser decodes UTF-8 itself
                for i, line in enumerate(f, 1):
                    batch = self._parse(line, path, i)
                    if batch is not None:
                        yield batch

    def _parse(self, line: bytes, path: str, line_no: int) -> Optional[SampleBatch | MultiAgentBatch]:
        if not line.strip():
            return None
        try:
            return from_json_line(line, self.allow_pickled_columns, where=f"{path} line {line_no}")
        except PickledColumnError:
            raise
        except OfflineDataError as err:
            if not self.ignore_corrupt:
                raise
            self.num_corrupt_lines += 1
            logger.warning("skipping a corrupt line (ignore_corrupt=True; %d so far): %s", self.num_corrupt_lines, err)
            return None

    def _postprocess_if_needed(self, batch: Any) -> Any:
        if not self._postprocess:
            return batch
        worker = self.ioctx.worker
        policy = worker.get_policy(DEFAULT_POLICY_ID) if worker is not None else None
        return postprocess_batch(batch, policy)

    def _next_line(self) -> bytes:
        if self._file is None:
            self._open(self._first_file())
        line = self._file.readline()
        if line:
            self._line_no += 1
            return line
        self._file.close()
        self._open(self._rng.choice(self.files))
        line = self._file.readline()
        self._line_no += 1
        return line

    def _first_file(self) -> str:
        worker = self.ioctx.worker
        if worker is None:
            return self.files[0]
        total = max(1, getattr(worker, "num_workers", 0) or 1)
        return self.files[round((len(self.files) - 1) * (self.ioctx.worker_index / total))]

    def _open(self, path: str) -> None:
        self._file = open(path, "rb", buffering=_BUFFER)
        self._path, self._line_no = path, 0

    def stop(self) -> None:
        """Closes the open file."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def __repr__(self) -> str:
        return f"JsonReader({len(self.files)} files)"


def _count_lines(path: str) -> int:
    with open(path, "rb") as f:
        return sum(1 for _ in f)

"""JsonWriter: sample batches as JSON lines in rotating files (RLlib 1.x's ``JsonWriter``).

Each ``write(batch)`` appends one line (:mod:`rlcore.offline.json_format`) to the current file
and flushes it. Files are named as 1.x names them,
``output-<YYYY-MM-DD_HH-MM-SS>_worker-<worker_index>_<file_index>.json``, and a new file is
started once the current one holds ``max_file_size`` bytes or more (so a file ends with the line
that crossed the limit). The directory is created if missing. Columns in ``compress_columns``
are stored compressed (LZ4 over the raw bytes with dtype and shape, base64; never pickle).

Examples:
    >>> import os, tempfile
    >>> import numpy as np
    >>> from rlcore.data.sample_batch import SampleBatch
    >>> d = tempfile.mkdtemp()
    >>> w = JsonWriter(d, max_file_size=90)
    >>> for i in range(3):
    ...     w.write(SampleBatch({"obs": np.zeros((2, 4), np.float32), "t": np.arange(2) + i}))
    >>> w.close()
    >>> files = sorted(os.listdir(d))
    >>> len(files), files[0].startswith("output-"), files[0].endswith("_worker-0_0.json")
    (3, True, True)
"""

from __future__ import annotations

import datetime
import logging
import os
from typing import Any, Collection, List, Optional

from rlcore.offline.io_context import IOContext
from rlcore.offline.json_format import to_json_bytes
from rlcore.offline.output_writer import OutputWriter

__all__ = ["JsonWriter"]

logger = logging.getLogger(__name__)


class JsonWriter(OutputWriter):
    """Writes batches as JSON lines into files under ``path``.

    Args:
        path: The output directory (created if missing). URIs (``s3://``) are refused:
            ``smart_open`` is not part of this stack.
        ioctx: The worker's context (its ``worker_index`` goes into the file names).
        max_file_size: Bytes after which the next line goes to a new file.
        compress_columns: Columns stored compressed.

    Attributes:
        files: The paths written so far, in order.

    Raises:
        ValueError: A URI path, or ``max_file_size`` < 1.
    """

    def __init__(self, path: str, ioctx: Optional[IOContext] = None, max_file_size: int = 64 * 1024 * 1024,
                 compress_columns: Collection[str] = frozenset(["obs", "new_obs"])):
        if "://" in str(path):
            raise ValueError(f"output={path!r}: writing to URIs needs smart_open, which this stack does not install; "
                             "give a local directory")
        if isinstance(max_file_size, bool) or not isinstance(max_file_size, (int, float)) or max_file_size < 1:
            raise ValueError(f"output_max_file_size={max_file_size!r}: expected a number of bytes >= 1")
        self.ioctx = ioctx or IOContext()
        self.path = os.path.abspath(os.path.expanduser(str(path)))
        os.makedirs(self.path, exist_ok=True)
        self.max_file_size = max_file_size
        self.compress_columns = frozenset(compress_columns or ())
        self.files: List[str] = []
        self.file_index = 0
        self.bytes_written = 0
        self._file: Any = None
        self._stamp = datetime.datetime.today().strftime("%Y-%m-%d_%H-%M-%S")

    def write(self, sample_batch: Any) -> None:
        """Appends ``sample_batch`` as one line and flushes the file."""
        line = to_json_bytes(sample_batch, self.compress_columns) + b"\n"
        f = self._current_file()
        f.write(line)
        f.flush()
        self.bytes_written += len(line)

    def _current_file(self) -> Any:
        if self._file is None or self.bytes_written >= self.max_file_size:
            if self._file is not None:
                self._file.close()
            while True:  # never clobber a file (another writer of this worker index, same second)
                name = f"output-{self._stamp}_worker-{self.ioctx.worker_index}_{self.file_index}.json"
                path = os.path.join(self.path, name)
                try:
                    self._file = open(path, "xb")
                    break
                except FileExistsError:
                    self.file_index += 1
            self.files.append(path)
            self.file_index += 1
            self.bytes_written = 0
            logger.info("writing offline data to %s", path)
        return self._file

    def close(self) -> None:
        """Closes the current file (the next ``write`` starts a new one)."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def __repr__(self) -> str:
        return f"JsonWriter({self.path!r}, files={len(self.files)})"

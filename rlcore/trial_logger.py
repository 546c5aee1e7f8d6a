"""The trial folder of a run outside Ray Tune: ``params.json``, ``result.json``, ``progress.csv``, events.

Under ``tune.run`` Tune's logger callbacks fill every trial folder. A Trainer built in Python, or
trained by ``rlcore train`` in one process, has no Tune around it: :class:`TrialLogger` writes the
same files in Tune's formats, so ``tensorboard --logdir ~/ray_results`` and scripts that read
``progress.csv`` see both kinds of run alike:

- ``params.json``: the trainer's config (its JSON-safe part), written by :meth:`TrialLogger.update_config`;
- ``result.json``: one JSON line per result, without ``config``, ``hist_stats`` and ``episode_media``;
- ``progress.csv``: one row per result, nested keys flattened with ``/``. The header is the first
  result's keys; keys that first appear later are left out, as Tune's CSV logger does;
- ``events.out.tfevents.*`` (TensorBoard): a scalar ``ray/tune/<flattened key>`` for every numeric
  value that is not NaN and a histogram for every list of numbers, at step ``timesteps_total`` (or
  ``training_iteration`` before any timestep), as Tune's TensorBoard logger does. ``config``,
  ``pid``, ``timestamp``, ``time_total_s`` and ``training_iteration`` are not plotted.

tensorboardX is imported at the first result, not with this module. The module also names the
results root (:func:`default_results_dir`, Ray's ``~/ray_results``), a trial folder's name
(:func:`trial_dir_name`) and the Tune console messages that mean nothing outside Tune
(:func:`quiet_tune_messages`).

Examples:
    >>> import csv, json, os, tempfile
    >>> logdir = tempfile.mkdtemp()
    >>> log = TrialLogger(logdir)
    >>> log.update_config({"lr": 0.1})
    >>> log.on_result({"training_iteration": 1, "timesteps_total": 10, "info": {"loss": 0.5}})
    >>> log.on_result({"training_iteration": 2, "timesteps_total": 20, "info": {"loss": 0.25}, "new": 1})
    >>> log.close()
    >>> list(csv.reader(open(os.path.join(logdir, "progress.csv"))))
    [['training_iteration', 'timesteps_total', 'info/loss'], ['1', '10', '0.5'], ['2', '20', '0.25']]
    >>> json.load(open(os.path.join(logdir, "params.json")))
    {'lr': 0.1}
    >>> sorted(f.split(".")[0] for f in os.listdir(logdir))
    ['events', 'params', 'progress', 'result']
"""

from __future__ import annotations

import contextlib
import csv
import json
import logging
import math
import os
from datetime import datetime
from typing import Any, Dict, Iterator, List, Mapping, Optional

import numpy as np

logger = logging.getLogger(__name__)

__all__ = ["TrialLogger", "default_results_dir", "flatten_result", "quiet_tune_messages", "trial_dir_name"]

#: Keys result.json leaves out: the config is in params.json; the others are large per-episode data.
RESULT_JSON_SKIPS = ("config", "hist_stats", "episode_media")
#: Keys TensorBoard does not plot (Tune's choice: they are the x axes or not metrics).
TENSORBOARD_SKIPS = ("config", "pid", "timestamp", "time_total_s", "training_iteration")
#: Tune's loggers whose messages below ERROR are dropped while a trainer outside Tune is set up or
#: restored: the hint to set ``reuse_actors`` after a slow setup (there are no actors), the
#: GPU-monitor install hint of ``log_sys_usage``, and the restore line naming the node's IP.
TUNE_CONSOLE_LOGGERS = ("ray.tune.trainable.trainable", "ray.tune.utils.util")


def default_results_dir() -> str:
    """The results root of runs given no directory: Ray's ``~/ray_results``.

    It is ``ray.train.constants.DEFAULT_STORAGE_PATH``, the root Tune itself falls back to, read at
    each call so that a test session can point Tune and rlcore elsewhere at once.
    """
    from ray.train import constants

    return constants.DEFAULT_STORAGE_PATH


def trial_dir_name(run: str, env: Any) -> str:
    """``<run>_<env>_<date>_<time>``, the name RLlib 1.x gives a trial folder outside Tune.

    Examples:
        >>> name = trial_dir_name("PPO", "CartPole-v1")
        >>> name.startswith("PPO_CartPole-v1_"), len(name) - len("PPO_CartPole-v1_")  # 2021-01-31_23-59-59
        (True, 19)
    """
    env_name = env if isinstance(env, str) else getattr(env, "__name__", "env")
    return f"{run}_{env_name}_{datetime.today():%Y-%m-%d_%H-%M-%S}"


def flatten_result(result: Mapping[str, Any], delimiter: str = "/") -> Dict[str, Any]:
    """Nested dicts flattened to ``{"a/b": value}`` (Tune's result flattening).

    Examples:
        >>> flatten_result({"a": {"b": 1, "c": {"d": 2}}, "e": [3]})
        {'a/b': 1, 'a/c/d': 2, 'e': [3]}
    """
    flat: Dict[str, Any] = {}
    for key, value in result.items():
        if isinstance(value, Mapping):
            for sub, leaf in flatten_result(value, delimiter).items():
                flat[f"{key}{delimiter}{sub}"] = leaf
        else:
            flat[str(key)] = value
    return flat


@contextlib.contextmanager
def quiet_tune_messages() -> Iterator[None]:
    """Drops Tune's own console messages (below ERROR) of :data:`TUNE_CONSOLE_LOGGERS` in this block.

    Records of every other logger (``rlcore``, the user's, the rest of Ray) pass untouched.

    Examples:
        >>> tune_log = logging.getLogger("ray.tune.utils.util")
        >>> with quiet_tune_messages():
        ...     tune_log.filters != []
        True
        >>> tune_log.filters
        []
    """
    below_error = _BelowError()
    loggers = [logging.getLogger(name) for name in TUNE_CONSOLE_LOGGERS]
    for log in loggers:
        log.addFilter(below_error)
    try:
        yield
    finally:
        for log in loggers:
            log.removeFilter(below_error)


class _BelowError(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR


class TrialLogger:
    """Writes a trial folder as Tune's JSON, CSV and TensorBoard logger callbacks do (module docs).

    Args:
        logdir: The trial folder (created if missing). An existing ``progress.csv`` is appended to,
            under its own header.
        tensorboard: Whether to write TensorBoard event files.

    Attributes:
        logdir: The trial folder (RLlib's ``logger_creator`` contract: it becomes ``trainer.logdir``).
    """

    def __init__(self, logdir: str, tensorboard: bool = True):
        self.logdir = os.fspath(logdir)
        os.makedirs(self.logdir, exist_ok=True)
        self._tensorboard = tensorboard
        self._csv_file: Any = None
        self._csv: Optional[csv.DictWriter] = None
        self._writer: Any = None

    def update_config(self, config: Mapping[str, Any]) -> None:
        """Writes ``params.json`` (keys sorted, indented, as Tune does)."""
        with open(os.path.join(self.logdir, "params.json"), "w") as f:
            json.dump(dict(config), f, indent=2, sort_keys=True, default=_json_default)

    def on_result(self, result: Mapping[str, Any]) -> None:
        """Appends ``result`` to result.json and progress.csv and plots it in TensorBoard."""
        slim = {k: v for k, v in result.items() if k not in RESULT_JSON_SKIPS}
        with open(os.path.join(self.logdir, "result.json"), "a") as f:
            f.write(json.dumps(slim, default=_json_default) + "\n")
        flat = flatten_result({k: v for k, v in result.items() if k != "config"})
        self._write_csv_row(flat)
        if self._tensorboard:
            self._write_tensorboard(result, flat)

    def flush(self) -> None:
        """Flushes the CSV file and the TensorBoard writer."""
        if self._csv_file is not None:
            self._csv_file.flush()
        if self._writer is not None:
            self._writer.flush()

    def close(self) -> None:
        """Closes the CSV file and the TensorBoard writer (a later result reopens them)."""
        if self._csv_file is not None:
            self._csv_file.close()
            self._csv_file, self._csv = None, None
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    # -- progress.csv ---------------------------------------------------------------------------

    def _write_csv_row(self, flat: Dict[str, Any]) -> None:
        if self._csv is None:
            path = os.path.join(self.logdir, "progress.csv")
            header = _csv_header(path)
            self._csv_file = open(path, "a", newline="")
            self._csv = csv.DictWriter(self._csv_file, fieldnames=header or list(flat), extrasaction="ignore")
            if not header:
                self._csv.writeheader()
        self._csv.writerow(flat)
        self._csv_file.flush()

    # -- TensorBoard ----------------------------------------------------------------------------

    def _write_tensorboard(self, result: Mapping[str, Any], flat: Dict[str, Any]) -> None:
        if self._writer is None:
            try:
                from tensorboardX import SummaryWriter
            except ImportError as err:
                logger.warning("no TensorBoard files in %s: tensorboardX does not import (%s); "
                               "pip install tensorboardX", self.logdir, err)
                self._tensorboard = False
                return
            self._writer = SummaryWriter(self.logdir, flush_secs=30)
        step = result.get("timesteps_total") or result.get("training_iteration") or 0
        for key, value in flat.items():
            if key in TENSORBOARD_SKIPS:
                continue
            tag = f"ray/tune/{key}"
            if isinstance(value, (int, float, np.integer, np.floating)):
                if not math.isnan(value):
                    self._writer.add_scalar(tag, value, global_step=step)
            elif isinstance(value, (list, tuple, np.ndarray)) and len(value):
                values = np.asarray(value)
                if values.ndim == 1 and np.issubdtype(values.dtype, np.number):
                    self._writer.add_histogram(tag, values, global_step=step)
        self._writer.flush()


def _csv_header(path: str) -> List[str]:
    """The header row of an existing, non-empty ``progress.csv`` ([] otherwise)."""
    try:
        with open(path, newline="") as f:
            return next(csv.reader(f), [])
    except FileNotFoundError:
        return []


def _json_default(x: Any) -> Any:
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    return repr(x)

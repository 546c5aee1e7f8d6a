"""The ``input`` / ``output`` configs as rollout-worker creators (RLlib 1.x's WorkerSet mapping).

``input``:

- ``"sampler"``: the worker samples its env (no reader; ``input_evaluation`` does not apply);
- a callable ``ioctx -> InputReader``, or a name given to :func:`register_input`;
- ``"dataset"``: a :class:`~rlcore.offline.dataset_reader.DatasetReader` over Ray Data, set up
  by ``input_config`` (``format``: ``"json"`` or ``"parquet"``, ``paths``);
- a dict ``{source: probability}``: ``ShuffledInput(MixedInput(dict))``;
- anything else (a file, a directory, a glob, a list of files):
  ``ShuffledInput(JsonReader(input), shuffle_buffer_size)``.

``input_config`` also carries ``JsonReader``'s ``allow_pickled_columns`` and ``ignore_corrupt``.

``output``: None (nothing written), ``"logdir"`` (``JsonWriter`` into the trainer's log
directory), a directory (``JsonWriter``), or a callable ``ioctx -> OutputWriter``; with
``output_compress_columns`` and ``output_max_file_size``.

Examples:
    >>> input_creator({"input": "sampler"}) is None, output_creator({"output": None}) is None
    (True, True)
    >>> check_io_config({"input": 3})
    Traceback (most recent call last):
    ...
    TypeError: config key 'input' = 3: expected 'sampler', 'dataset', a path, a glob, a list of paths, a dict {source: probability} or a callable ioctx -> InputReader
"""

from __future__ import annotations

import os
from typing import Any, Callable, Dict, Mapping, Optional

__all__ = ["input_creator", "output_creator", "register_input", "check_io_config", "INPUT_CONFIG_KEYS"]

_REGISTERED: Dict[str, Callable[[Any], Any]] = {}

#: The keys ``input_config`` may hold.
INPUT_CONFIG_KEYS = ("allow_pickled_columns", "ignore_corrupt", "format", "paths", "parallelism")


def register_input(name: str, creator: Callable[[Any], Any]) -> None:
    """Registers ``creator(ioctx) -> InputReader`` under ``name`` (``config["input"] = name``).

    Raises:
        TypeError: ``name`` is not a str or ``creator`` not callable.

    Examples:
        >>> register_input("my_reader", lambda ioctx: None)
        >>> input_creator({"input": "my_reader"}) is _REGISTERED["my_reader"]
        True
    """
    if not isinstance(name, str) or not callable(creator):
        raise TypeError(f"register_input({name!r}, {creator!r:.60}): expected a name and a callable ioctx -> InputReader")
    _REGISTERED[name] = creator


def check_io_config(config: Mapping[str, Any]) -> None:
    """Checks the offline keys' values (types and choices), naming key, value and expectation.

    Raises:
        TypeError, ValueError: As described per key in the module docstring.
    """
    from rlcore.offline.estimators import check_input_evaluation

    value = config.get("input", "sampler")
    if not (callable(value) or isinstance(value, (str, list, tuple, dict, os.PathLike))):
        raise TypeError(f"config key 'input' = {value!r:.80}: expected 'sampler', 'dataset', a path, a glob, a list of "
                        "paths, a dict {source: probability} or a callable ioctx -> InputReader")
    if isinstance(value, dict):
        total = sum(v for v in value.values() if isinstance(v, (int, float)))
        if abs(total - 1.0) > 1e-6 or not all(isinstance(v, (int, float)) and v >= 0 for v in value.values()):
            raise ValueError(f"config key 'input' = {value!r:.120}: expected probabilities >= 0 that sum to 1.0")
    out = config.get("output")
    if out is not None and not (callable(out) or isinstance(out, (str, os.PathLike))):
        raise TypeError(f"config key 'output' = {out!r:.80}: expected None, 'logdir', a directory or a callable "
                        "ioctx -> OutputWriter")
    n = config.get("shuffle_buffer_size", 0)
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"config key 'shuffle_buffer_size' = {n!r}: expected an int >= 0")
    size = config.get("output_max_file_size", 64 * 1024 * 1024)
    if isinstance(size, bool) or not isinstance(size, (int, float)) or size < 1:
        raise ValueError(f"config key 'output_max_file_size' = {size!r}: expected a number of bytes >= 1")
    cols = config.get("output_compress_columns", [])
    if not isinstance(cols, (list, tuple, set, frozenset)) or not all(isinstance(c, str) for c in cols):
        raise TypeError(f"config key 'output_compress_columns' = {cols!r}: expected a list of column names")
    opts = config.get("input_config") or {}
    unknown = sorted(set(opts) - set(INPUT_CONFIG_KEYS)) if isinstance(opts, dict) else ["<not a dict>"]
    if unknown:
        raise ValueError(f"config key 'input_config' = {opts!r:.80}: unknown keys {unknown}; expected some of "
                         f"{list(INPUT_CONFIG_KEYS)}")
    if value == "dataset" and opts.get("format") not in ("json", "parquet"):
        raise ValueError(f"config key 'input' = 'dataset' needs input_config['format'] = 'json' or 'parquet', got "
                         f"{opts.get('format')!r}")
    if value != "sampler":  # the sampler's input_evaluation is ignored (RLlib 1.x forces it to [])
        check_input_evaluation(config.get("input_evaluation") or [])


def _json_options(config: Mapping[str, Any]) -> Dict[str, Any]:
    opts = dict(config.get("input_config") or {})
    return {k: opts[k] for k in ("allow_pickled_columns", "ignore_corrupt") if k in opts}


def input_creator(config: Mapping[str, Any]) -> Optional[Callable[[Any], Any]]:
    """The rollout workers' ``input_creator(ioctx)`` for ``config["input"]`` (None: ``"sampler"``)."""
    value = config.get("input", "sampler")
    if value == "sampler":
        return None
    if isinstance(value, str) and value in _REGISTERED:
        return _REGISTERED[value]
    if callable(value):
        return value
    check_io_config(config)

    def shuffled(ioctx: Any, child: Any) -> Any:
        from rlcore.offline.shuffled_input import ShuffledInput

        seed = ioctx.config.get("seed")
        return ShuffledInput(child, int(ioctx.config.get("shuffle_buffer_size") or 0),
                             seed=None if seed is None else int(seed) + ioctx.worker_index)

    if value == "dataset":
        def create_dataset(ioctx: Any) -> Any:
            from rlcore.offline.dataset_reader import DatasetReader

            return shuffled(ioctx, DatasetReader.from_config(ioctx))

        return create_dataset
    if isinstance(value, dict):
        def create_mixed(ioctx: Any) -> Any:
            from rlcore.offline.mixed_input import MixedInput

            return shuffled(ioctx, MixedInput(value, ioctx))

        return create_mixed

    def create_json(ioctx: Any) -> Any:
        from rlcore.offline.json_reader import JsonReader

        return shuffled(ioctx, JsonReader(value, ioctx, **_json_options(ioctx.config)))

    return create_json


def output_creator(config: Mapping[str, Any]) -> Optional[Callable[[Any], Any]]:
    """The rollout workers' ``output_creator(ioctx)`` for ``config["output"]`` (None: no output)."""
    value = config.get("output")
    if value is None:
        return None
    if callable(value):
        return value
    check_io_config(config)
    compress = list(config.get("output_compress_columns") or [])
    max_size = config.get("output_max_file_size", 64 * 1024 * 1024)

    def create_writer(ioctx: Any) -> Any:
        from rlcore.offline.json_writer import JsonWriter

        path = value
        if value == "logdir":
            if not ioctx.log_dir:
                raise ValueError("config key 'output' = 'logdir': the worker has no log directory (give a directory)")
            path = ioctx.log_dir
        return JsonWriter(path, ioctx, max_file_size=max_size, compress_columns=compress)

    return create_writer

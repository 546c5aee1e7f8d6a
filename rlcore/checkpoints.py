"""Trainer checkpoints: one msgpack file ``checkpoint-<iteration>`` per checkpoint directory.

A checkpoint is data only (no pickle of live objects): a map with a format tag and version, the
trainer's name, its counters (``iteration``, ``timesteps_total``, ``episodes_total``,
``time_total``), the local worker's state (``RolloutWorker.save()`` bytes: policy weights,
optimizer and exploration state, filters), the execution plan's metrics counters, the trainer's
own extra state and a JSON-safe copy of its config (what ``rlcore rollout`` rebuilds a trainer
from). :func:`read_checkpoint` turns a missing, empty, truncated or foreign file into one
:class:`CheckpointError` line naming the path and what is wrong.

Examples:
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> path = write_checkpoint(d, {"trainer": "PG", "iteration": 3, "worker": b"..."})
    >>> os.path.basename(path)
    'checkpoint-3'
    >>> read_checkpoint(d)["iteration"]
    3
    >>> _ = open(path, "wb").write(b"\\x00garbage")
    >>> read_checkpoint(path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    rlcore.checkpoints.CheckpointError: checkpoint '...checkpoint-3' is corrupt or not an rlcore trainer checkpoint (...)
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from typing import Any, Dict, Mapping

from rlcore.policy.policy_state import packb, unpackb

logger = logging.getLogger(__name__)

#: Tag stored in every checkpoint so that foreign msgpack files are recognised.
CHECKPOINT_FORMAT = "rlcore.trainer_checkpoint"
#: Bumped when the layout changes incompatibly.
CHECKPOINT_VERSION = 1
_FILE_RE = re.compile(r"^checkpoint-(\d+)$")


class CheckpointError(ValueError):
    """A checkpoint path that is missing, corrupt, or not an rlcore trainer checkpoint."""


def checkpoint_file(checkpoint_dir: str, iteration: int) -> str:
    """The file a checkpoint of ``iteration`` is written to inside ``checkpoint_dir``.

    Examples:
        >>> checkpoint_file("/tmp/ck", 7)
        '/tmp/ck/checkpoint-7'
    """
    return os.path.join(checkpoint_dir, f"checkpoint-{int(iteration)}")


def write_checkpoint(checkpoint_dir: str, state: Mapping[str, Any]) -> str:
    """Writes ``state`` (which must hold ``iteration``) as msgpack; returns the file path.

    Atomic: the bytes go to ``checkpoint-<n>.tmp``, are flushed to disk, and the file is renamed
    into place (then the directory entry is flushed too). A process killed mid-save leaves at most
    a ``.tmp`` file, which readers ignore, and every earlier checkpoint as it was.
    """
    os.makedirs(checkpoint_dir, exist_ok=True)
    payload = {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, **dict(state)}
    path = checkpoint_file(checkpoint_dir, int(state["iteration"]))
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(packb(payload))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(checkpoint_dir)
    return path


def _fsync_dir(directory: str) -> None:
    """Flushes a directory's entries (the rename) to disk where the platform allows it."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open a directory; the rename itself is still atomic
        return
    try:
        os.fsync(fd)
    except OSError as err:  # some filesystems refuse fsync on directories; the rename stands
        logger.debug("fsync of checkpoint directory %s: %s", directory, err)
    finally:
        os.close(fd)


def framework_family(framework: Any) -> str:
    """``"torch"`` or ``"tf"`` (tf, tf2, tfe): whose weights a checkpoint holds.

    Examples:
        >>> framework_family("tfe"), framework_family("torch")
        ('tf', 'torch')
    """
    return "torch" if framework == "torch" else "tf"


def find_checkpoint_file(path: str) -> str:
    """The checkpoint file at ``path``: the file itself, or the newest ``checkpoint-<n>`` in a directory.

    Raises:
        CheckpointError: When nothing is there.
    """
    path = os.fspath(path)
    if os.path.isfile(path):
        return path
    if os.path.isdir(path):
        found = sorted(((int(m.group(1)), name) for name in os.listdir(path)
                        if (m := _FILE_RE.match(name))), reverse=True)
        if found:
            return os.path.join(path, found[0][1])
        raise CheckpointError(f"checkpoint directory {path!r} holds no 'checkpoint-<iteration>' file")
    raise CheckpointError(f"checkpoint {path!r} does not exist")


def read_checkpoint(path: str) -> Dict[str, Any]:
    """Reads and checks a checkpoint written by :func:`write_checkpoint` (a file or its directory).

    Raises:
        CheckpointError: For a missing, unreadable, corrupt or foreign file, in one line.
    """
    file = find_checkpoint_file(path)
    try:
        with open(file, "rb") as f:
            data = f.read()
    except OSError as err:
        raise CheckpointError(f"checkpoint {file!r} cannot be read ({err.strerror})") from err
    if not data:
        raise CheckpointError(f"checkpoint {file!r} is empty")
    try:
        state = unpackb(data)
    except Exception as err:  # msgpack raises several unrelated types on corrupt input
        raise CheckpointError(f"checkpoint {file!r} is corrupt or not an rlcore trainer checkpoint "
                              f"({type(err).__name__}: {err})") from err
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"checkpoint {file!r} is corrupt or not an rlcore trainer checkpoint "
                              f"(no {CHECKPOINT_FORMAT!r} format tag)")
    if state.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError(f"checkpoint {file!r} has layout version {state.get('version')!r}; "
                              f"this rlcore reads version {CHECKPOINT_VERSION}")
    missing = [k for k in ("iteration", "worker") if k not in state]
    if missing:
        raise CheckpointError(f"checkpoint {file!r} is incomplete: it lacks {missing}")
    state["path"] = file
    return state


def json_safe_config(config: Mapping[str, Any]) -> Dict[str, Any]:
    """The part of a config that JSON can hold (classes, functions and objects are left out).

    Examples:
        >>> json_safe_config({"lr": 0.1, "callbacks": object, "model": {"fcnet_hiddens": [8]}})
        {'lr': 0.1, 'model': {'fcnet_hiddens': [8]}}
    """
    out: Dict[str, Any] = {}
    for k, v in config.items():
        if isinstance(v, Mapping):
            out[k] = json_safe_config(v)
            continue
        if isinstance(v, float) and not math.isfinite(v):
            continue
        try:
            json.dumps(v)
        except (TypeError, ValueError):
            continue
        out[k] = v
    return out

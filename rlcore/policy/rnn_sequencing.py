"""RNN sequencing: cut a training batch into per-episode sequences and pad them to one length.

A recurrent policy trains on ``[num_seqs * max_seq_len, ...]`` padded columns, one initial state
per sequence (``state_in_i`` of length ``num_seqs``) and ``seq_lens``. A sequence never crosses an
episode (``eps_id``), unroll (``unroll_id``) or agent (``agent_index``) boundary and is at most
``max_seq_len`` long. This is RLlib 1.x's ``chop_into_sequences`` and
``pad_batch_to_sequences_of_same_size``.

Examples:
    >>> import numpy as np
    >>> feats, init, lens = chop_into_sequences(
    ...     feature_columns=[np.array([1, 2, 3, 5, 6])], state_columns=[np.array([10, 20, 30, 50, 60])],
    ...     episode_ids=np.array([1, 1, 1, 5, 5]), unroll_ids=np.zeros(5, int), agent_indices=np.zeros(5, int),
    ...     max_seq_len=4)
    >>> feats[0].tolist(), init[0].tolist(), lens.tolist()
    ([1, 2, 3, 5, 6, 0], [10, 50], [3, 2])
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from rlcore.data.columns import Columns

__all__ = ["chop_into_sequences", "pad_batch_to_sequences_of_same_size", "sequence_mask"]


def _sequence_lengths(ids: List[np.ndarray], n: int, max_seq_len: int) -> np.ndarray:
    """Lengths of the runs of equal ids, each cut at ``max_seq_len``."""
    if n == 0:
        return np.zeros(0, dtype=np.int32)
    change = np.zeros(n, dtype=bool)
    change[0] = True
    for col in ids:
        col = np.asarray(col)
        if len(col) != n:
            raise ValueError(f"id column of length {len(col)} does not match the {n} rows of the features")
        change[1:] |= col[1:] != col[:-1]
    starts = np.flatnonzero(change)
    run_lens = np.diff(np.append(starts, n))
    out: List[int] = []
    for rl in run_lens:
        full, rest = divmod(int(rl), max_seq_len)
        out.extend([max_seq_len] * full)
        if rest:
            out.append(rest)
    return np.asarray(out, dtype=np.int32)


def chop_into_sequences(
    *,
    feature_columns: Sequence[Any],
    state_columns: Sequence[Any],
    max_seq_len: int,
    episode_ids: Any = None,
    unroll_ids: Any = None,
    agent_indices: Any = None,
    dynamic_max: bool = True,
    shuffle: bool = False,
    seq_lens: Any = None,
    states_already_reduced_to_init: bool = False,
    _extra_padding: int = 0,
) -> Tuple[List[np.ndarray], List[np.ndarray], np.ndarray]:
    """Cuts rows into sequences and pads each feature column to ``num_seqs * max_len`` rows.

    Args:
        feature_columns: per-row columns to pad (``[N, ...]`` each).
        state_columns: per-row RNN state columns; the row starting each sequence becomes its
            initial state (or, with ``states_already_reduced_to_init``, they are taken as is).
        max_seq_len: the longest sequence allowed.
        episode_ids, unroll_ids, agent_indices: id columns; a change in any starts a sequence.
        dynamic_max: pad to the longest actual sequence rather than ``max_seq_len``.
        shuffle: permute the sequences (features, states and lengths together).
        seq_lens: given sequence lengths (then the id columns are not read).
        states_already_reduced_to_init: ``state_columns`` already hold one row per sequence.

    Returns:
        ``(padded_features, initial_states, seq_lens)``; ``seq_lens`` is int32.
    """
    if not isinstance(max_seq_len, (int, np.integer)) or max_seq_len < 1:
        raise ValueError(f"max_seq_len={max_seq_len!r}: expected an int >= 1")
    feats = [np.asarray(f) for f in feature_columns]
    n = len(feats[0]) if feats else (len(state_columns[0]) if state_columns else 0)
    if seq_lens is None or len(seq_lens) == 0:
        ids = [c for c in (episode_ids, unroll_ids, agent_indices) if c is not None]
        seq_lens = _sequence_lengths(ids, n, int(max_seq_len))
    else:
        seq_lens = np.asarray(seq_lens, dtype=np.int32)
        if int(seq_lens.sum()) != n:
            raise ValueError(f"seq_lens sum to {int(seq_lens.sum())} but the features have {n} rows")
    pad_len = int(seq_lens.max()) + _extra_padding if (dynamic_max and len(seq_lens)) else int(max_seq_len)
    num_seqs = len(seq_lens)
    # Row i of the input goes to padded row (sequence index * pad_len + offset within the sequence).
    seq_idx = np.repeat(np.arange(num_seqs), seq_lens)
    starts = np.concatenate([[0], np.cumsum(seq_lens)[:-1]]).astype(np.int64) if num_seqs else np.zeros(0, np.int64)
    offsets = np.arange(n) - np.repeat(starts, seq_lens)
    dest = seq_idx * pad_len + offsets
    padded = []
    for f in feats:
        if len(f) != n:
            raise ValueError(f"feature column of length {len(f)} does not match {n} rows")
        out = np.zeros((num_seqs * pad_len,) + f.shape[1:], dtype=f.dtype)
        out[dest] = f
        padded.append(out)
    if states_already_reduced_to_init:
        initial_states = [np.asarray(s) for s in state_columns]
    else:
        initial_states = [np.asarray(s)[starts] for s in state_columns]
    if shuffle and num_seqs > 1:
        perm = np.random.permutation(num_seqs)
        padded = [f.reshape((num_seqs, pad_len) + f.shape[1:])[perm].reshape(f.shape) for f in padded]
        initial_states = [s[perm] for s in initial_states]
        seq_lens = seq_lens[perm]
    return padded, initial_states, seq_lens


def pad_batch_to_sequences_of_same_size(
    batch: Any,
    max_seq_len: int,
    shuffle: bool = False,
    batch_divisibility_req: int = 1,
    feature_keys: Optional[List[str]] = None,
    view_requirements: Any = None,
) -> None:
    """Pads a batch in place for RNN training (RLlib 1.x semantics).

    Every ndarray column other than ``state_in_*``/``state_out_*``/``infos``/``seq_lens`` (or
    just ``feature_keys``) is padded; ``state_in_*`` becomes one initial state per sequence and
    ``seq_lens`` is set. A non-recurrent batch (no ``state_in_*``) is left as is unless its size
    is not a multiple of ``batch_divisibility_req``; it is then cut per episode into chunks padded
    to exactly ``batch_divisibility_req`` rows.

    Examples:
        >>> import numpy as np
        >>> b = {"obs": np.arange(3.0), "eps_id": np.array([0, 0, 1]), "state_in_0": np.zeros((3, 2))}
        >>> pad_batch_to_sequences_of_same_size(b, max_seq_len=4)
        >>> b["obs"].tolist(), b["seq_lens"].tolist(), b["state_in_0"].shape
        ([0.0, 1.0, 2.0, 0.0], [2, 1], (2, 2))
    """
    C = Columns
    if getattr(batch, "zero_padded", False):
        return  # already laid out as padded sequences (SampleBatch(..., _zero_padded=True))
    state_keys = sorted(k for k in batch.keys() if k.startswith(C.STATE_IN_PREFIX))
    dynamic_max = True
    if not state_keys:
        # Not recurrent: only a multi-agent-free batch whose size is not a multiple of
        # batch_divisibility_req is padded, in chunks of exactly that many rows (RLlib 1.x).
        count = len(batch[C.OBS]) if C.OBS in batch else len(next(iter(batch.values())))
        agents = batch.get(C.AGENT_INDEX)
        single_agent = agents is None or len(agents) == 0 or int(np.max(agents)) == 0
        if batch_divisibility_req <= 1 or (count % batch_divisibility_req == 0 and single_agent):
            return
        max_seq_len, dynamic_max = int(batch_divisibility_req), False
    if feature_keys is None:
        feature_keys = [k for k, v in batch.items()
                        if not k.startswith(C.STATE_IN_PREFIX) and not k.startswith(C.STATE_OUT_PREFIX)
                        and k not in (C.INFOS, C.SEQ_LENS) and isinstance(v, np.ndarray)]
    given = batch.get(C.SEQ_LENS) if hasattr(batch, "get") else None
    if given is None:
        given = getattr(batch, "seq_lens", None)
    already = (given is not None and len(given) > 0 and state_keys
               and len(batch[state_keys[0]]) == len(given))
    feats, inits, seq_lens = chop_into_sequences(
        feature_columns=[batch[k] for k in feature_keys],
        state_columns=[batch[k] for k in state_keys],
        episode_ids=batch.get(C.EPS_ID), unroll_ids=batch.get(C.UNROLL_ID), agent_indices=batch.get(C.AGENT_INDEX),
        seq_lens=given, max_seq_len=max_seq_len, dynamic_max=dynamic_max, shuffle=shuffle,
        states_already_reduced_to_init=bool(already))
    for k, f in zip(feature_keys, feats):
        batch[k] = f
    for k, s in zip(state_keys, inits):
        batch[k] = s
    batch[C.SEQ_LENS] = seq_lens


def sequence_mask(seq_lens: Any, max_len: Optional[int] = None) -> np.ndarray:
    """``[num_seqs * max_len]`` bool mask of the real (unpadded) rows of a padded batch.

    Examples:
        >>> sequence_mask([2, 1], 3).tolist()
        [True, True, False, True, False, False]
    """
    seq_lens = np.asarray(seq_lens)
    max_len = int(seq_lens.max()) if max_len is None else int(max_len)
    return (np.arange(max_len)[None, :] < seq_lens[:, None]).reshape(-1)

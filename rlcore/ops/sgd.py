"""Minibatch SGD on a local worker: RLlib's ``do_minibatch_sgd`` and its helpers.

``do_minibatch_sgd(samples, policies, local_worker, num_sgd_iter, sgd_minibatch_size)`` runs, for
each policy that has rows in ``samples``, ``num_sgd_iter`` epochs over the policy's batch cut into
minibatches of ``sgd_minibatch_size`` rows (the whole batch when ``0``), each learned with
``local_worker.learn_on_batch`` (so the worker's ``on_learn_on_batch`` callbacks run). Every
epoch shuffles the rows (in place) and then the order of the minibatches; batches of a recurrent
policy (``state_in_*``/``seq_lens`` columns) keep their row order so sequences stay whole, and
only the minibatch order is shuffled. As in RLlib, the statistics
returned per policy are the learner stats of the *last* epoch's minibatches, averaged.

Examples:
    >>> import numpy as np
    >>> from rlcore.data import SampleBatch
    >>> [m["x"].tolist() for m in minibatches(SampleBatch({"x": np.arange(5)}), 2, shuffle=False)]
    [[0, 1], [2, 3], [4]]
    >>> standardized(np.array([1.0, 2.0, 3.0])).round(3).tolist()
    [-1.225, 0.0, 1.225]
    >>> averaged({"loss": [1.0, 3.0], "info": [{"a": 1}, {"a": 2}]})
    {'loss': 2.0, 'info': {'a': 1}}
"""

from __future__ import annotations

import collections
import random
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence

import numpy as np

from rlcore.data.columns import Columns
from rlcore.data.multi_agent_batch import MultiAgentBatch
from rlcore.data.sample_batch import DEFAULT_POLICY_ID, SampleBatch

__all__ = ["do_minibatch_sgd", "minibatches", "averaged", "standardized"]


def standardized(array: np.ndarray) -> np.ndarray:
    """``(x - mean) / max(1e-4, std)`` over the whole array, keeping a float dtype.

    Examples:
        >>> standardized(np.array([5.0, 5.0], np.float32)).tolist()
        [0.0, 0.0]
    """
    array = np.asarray(array)
    out = (array - array.mean()) / max(1e-4, float(array.std()))
    return out.astype(array.dtype, copy=False) if np.issubdtype(array.dtype, np.floating) else out


def averaged(kv: Mapping[str, Sequence[Any]], axis: Optional[int] = None) -> Dict[str, Any]:
    """The mean of each list of values; a list of dicts (or Nones) keeps its first element.

    Scalar means come back as Python floats (so they serialize anywhere).
    """
    out: Dict[str, Any] = {}
    for k, values in kv.items():
        if not values:
            continue
        first = values[0]
        if first is None or isinstance(first, dict):
            out[k] = first
            continue
        mean = np.mean(values, axis=axis)
        out[k] = float(mean) if np.ndim(mean) == 0 else mean
    return out


def _is_recurrent(batch: SampleBatch) -> bool:
    return Columns.SEQ_LENS in batch or any(
        isinstance(k, str) and (k.startswith(Columns.STATE_IN_PREFIX) or k.startswith("state_out_")) for k in batch
    )


def minibatches(samples: SampleBatch, sgd_minibatch_size: int, shuffle: bool = True,
                rng: Optional[random.Random] = None) -> Iterator[SampleBatch]:
    """Cuts ``samples`` into consecutive slices of ``sgd_minibatch_size`` rows, in random order.

    Args:
        samples: A single-policy batch. With ``shuffle`` and no RNN columns its rows are
            shuffled in place first.
        sgd_minibatch_size: Rows per minibatch; ``0`` yields the whole batch once.
        shuffle: Shuffle rows (non-recurrent batches) and the minibatch order.
        rng: ``random.Random`` for the minibatch order (the global ``random`` otherwise); the row
            shuffle draws from numpy's global RNG, as ``SampleBatch.shuffle`` does.

    Raises:
        TypeError: For a MultiAgentBatch (minibatch each policy's batch instead).
        ValueError: For a negative ``sgd_minibatch_size``.
    """
    if isinstance(samples, MultiAgentBatch):
        raise TypeError("minibatches() takes one policy's SampleBatch; got a MultiAgentBatch (split it per policy)")
    if isinstance(sgd_minibatch_size, bool) or not isinstance(sgd_minibatch_size, (int, np.integer)) or sgd_minibatch_size < 0:
        raise ValueError(f"sgd_minibatch_size={sgd_minibatch_size!r}: expected an int >= 0")
    if not sgd_minibatch_size or sgd_minibatch_size >= samples.count:
        yield samples
        return
    recurrent = _is_recurrent(samples)
    if shuffle and not recurrent:
        samples.shuffle()
    starts = list(range(0, samples.count, int(sgd_minibatch_size)))
    if shuffle:
        (rng or random).shuffle(starts)
    for i in starts:
        yield samples.slice(i, i + int(sgd_minibatch_size))


def do_minibatch_sgd(samples: Any, policies: Mapping[str, Any], local_worker: Any, num_sgd_iter: int,
                     sgd_minibatch_size: int, standardize_fields: Sequence[str] = (),
                     rng: Optional[random.Random] = None) -> Dict[str, Dict[str, Any]]:
    """Epochs of minibatch SGD for each policy in ``policies`` (RLlib's ``do_minibatch_sgd``).

    Args:
        samples: A SampleBatch (treated as the default policy's) or a MultiAgentBatch.
        policies: ``{policy_id: policy}`` to train; policies without rows are skipped.
        local_worker: The worker whose ``learn_on_batch`` runs each minibatch.
        num_sgd_iter: Epochs (>= 1).
        sgd_minibatch_size: Rows per minibatch (``0``: the whole batch per epoch).
        standardize_fields: Columns standardized per policy batch before learning.
        rng: Seeded ``random.Random`` for the minibatch order.

    Returns:
        ``{policy_id: learner_stats}``: the last epoch's stats, averaged over its minibatches.

    Examples:
        >>> class Worker:
        ...     calls = []
        ...     def learn_on_batch(self, ma):
        ...         (pid, b), = ma.policy_batches.items()
        ...         self.calls.append(b.count)
        ...         return {pid: {"learner_stats": {"rows": b.count}}}
        >>> w = Worker()
        >>> do_minibatch_sgd(SampleBatch({"x": np.arange(10.0)}), {"default_policy": None}, w, 2, 4)
        {'default_policy': {'rows': 3.3333333333333335}}
        >>> sorted(w.calls)  # 2 epochs of minibatches of 4, 4 and 2 rows, in random order
        [2, 2, 4, 4, 4, 4]
    """
    if isinstance(num_sgd_iter, bool) or not isinstance(num_sgd_iter, (int, np.integer)) or num_sgd_iter < 1:
        raise ValueError(f"num_sgd_iter={num_sgd_iter!r}: expected an int >= 1")
    from rlcore.sampling.metrics import LEARNER_STATS_KEY

    if isinstance(samples, SampleBatch):
        samples = MultiAgentBatch({DEFAULT_POLICY_ID: samples}, samples.count)
    fetches: Dict[str, Dict[str, Any]] = {}
    for policy_id in policies:
        if policy_id not in samples.policy_batches:
            continue
        batch = samples.policy_batches[policy_id]
        for field in standardize_fields:
            if field not in batch:
                raise ValueError(f"standardize_fields: column {field!r} is missing from policy {policy_id!r}'s batch "
                                 f"(columns: {sorted(batch)})")
            batch[field] = standardized(batch[field])
        epoch_stats: Dict[str, List[Any]] = collections.defaultdict(list)
        for _ in range(int(num_sgd_iter)):
            epoch_stats = collections.defaultdict(list)
            for minibatch in minibatches(batch, sgd_minibatch_size, rng=rng):
                result = local_worker.learn_on_batch(MultiAgentBatch({policy_id: minibatch}, minibatch.count))
                for k, v in (result.get(policy_id) or {}).get(LEARNER_STATS_KEY, {}).items():
                    epoch_stats[k].append(v)
        fetches[policy_id] = averaged(epoch_stats)
    return fetches

"""MARWIL's postprocessing: each row's ``advantages`` is its discounted return (RLlib 1.x).

A fragment that ends in a terminal step bootstraps 0; any other (cut mid-episode, or truncated by
a time limit) bootstraps the value of its final ``new_obs``. With ``beta=0`` (BC) the returns are
not used, and no value is computed.

Examples:
    >>> import numpy as np
    >>> class P(MARWILPostprocessing):
    ...     config = {"gamma": 0.5, "beta": 1.0}
    ...     def value_batch(self, obs): return np.full(len(obs), 4.0, np.float32)
    >>> b = {"rewards": np.ones(3, np.float32), "new_obs": np.zeros((3, 1)), "terminateds": np.array([False, True, False])}
    >>> P().postprocess_fragments(b, np.array([2, 1]), [None, None])["advantages"].tolist()
    [1.5, 1.0, 3.0]
    >>> postprocess_advantages(P(), {"rewards": np.ones(2, np.float32), "new_obs": np.zeros((2, 1)),
    ...                              "terminateds": np.array([False, False])})["advantages"].tolist()
    [2.5, 3.0]
"""

from __future__ import annotations

from typing import Any, List

import numpy as np

from rlcore.data.columns import Columns
from rlcore.sampling.postprocessing import compute_advantages_segments

__all__ = ["postprocess_advantages", "MARWILPostprocessing", "STATE_KEY"]

#: The policy-state key of MARWIL's ``c^2`` moving average (torch and TF policies alike).
STATE_KEY = "moving_average_sqd_adv_norm"


def _bootstrap_values(policy: Any, batch: Any, seg_lens: np.ndarray) -> np.ndarray:
    ends = np.cumsum(seg_lens) - 1
    out = np.zeros(len(seg_lens), np.float32)
    done_col = Columns.TERMINATEDS if Columns.TERMINATEDS in batch else Columns.DONES
    done = np.asarray(batch[done_col], bool)[ends] if done_col in batch else np.ones(len(ends), bool)
    need = np.flatnonzero(~done)
    if len(need) and Columns.NEXT_OBS in batch:
        out[need] = policy.value_batch(np.asarray(batch[Columns.NEXT_OBS])[ends[need]])
    return out


def _returns(policy: Any, batch: Any, seg_lens: np.ndarray) -> Any:
    seg_lens = np.asarray(seg_lens, np.int64)
    last = (_bootstrap_values(policy, batch, seg_lens) if policy.config.get("beta", 1.0) != 0.0
            else np.zeros(len(seg_lens), np.float32))
    return compute_advantages_segments(batch, seg_lens, last, gamma=policy.config["gamma"], use_gae=False,
                                       use_critic=False)


def postprocess_advantages(policy: Any, sample_batch: Any, other_agent_batches: Any = None, episode: Any = None) -> Any:
    """Adds ``advantages`` (discounted returns, bootstrapped when not terminal) and
    ``value_targets`` to one fragment."""
    n = len(sample_batch[Columns.REWARDS])
    return _returns(policy, sample_batch, np.array([n], np.int64))


class MARWILPostprocessing:
    """Mixin: :func:`postprocess_advantages` over all fragments of a sample at once (ahead of the
    value mixin's GAE in the MRO)."""

    fragment_postprocess_fn = staticmethod(postprocess_advantages)

    def postprocess_fragments(self, batch: Any, seg_lens: np.ndarray, episodes: List[Any]) -> Any:
        """Discounted returns of every fragment of ``batch`` (``seg_lens`` rows each)."""
        exploration = getattr(self, "exploration", None)
        if exploration is not None:
            batch = exploration.postprocess_trajectory(self, batch)
        return _returns(self, batch, seg_lens)

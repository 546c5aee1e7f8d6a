"""PG postprocessing: each step's advantage is its discounted return (no critic, no bootstrap).

As RLlib 1.x's ``agents/pg/utils.py``: returns are computed with ``last_r = 0`` at the end of every
fragment, so with ``batch_mode="truncate_episodes"`` a fragment cut mid-episode is treated as if
the episode ended there. :class:`ReturnsPostprocessingMixin` does a whole sampled batch at once.

Examples:
    >>> import numpy as np
    >>> class P: config = {"gamma": 0.5}
    >>> b = {"rewards": np.ones(3, np.float32)}
    >>> post_process_advantages(P(), b)["advantages"].tolist()
    [1.75, 1.5, 1.0]
    >>> class Q(ReturnsPostprocessingMixin): config = {"gamma": 0.5}
    >>> Q().postprocess_fragments({"rewards": np.ones(3, np.float32)}, np.array([2, 1]), [])["advantages"].tolist()
    [1.5, 1.0, 1.0]
"""

from __future__ import annotations

from typing import Any, List

import numpy as np

from rlcore.sampling.postprocessing import compute_advantages, compute_advantages_segments

__all__ = ["post_process_advantages", "ReturnsPostprocessingMixin"]


def post_process_advantages(policy: Any, sample_batch: Any, other_agent_batches: Any = None, episode: Any = None) -> Any:
    """Adds ``advantages`` (discounted returns) and zero ``value_targets`` to one fragment."""
    return compute_advantages(sample_batch, 0.0, policy.config["gamma"], use_gae=False, use_critic=False)


class ReturnsPostprocessingMixin:
    """Mixin: :func:`post_process_advantages` over all fragments of a sample in one kernel call."""

    #: What ``postprocess_fragments`` equals per fragment (see ``ValueNetworkMixin``).
    fragment_postprocess_fn = staticmethod(post_process_advantages)

    def postprocess_fragments(self, batch: Any, seg_lens: np.ndarray, episodes: List[Any]) -> Any:
        """Discounted returns of every fragment of ``batch`` (``seg_lens`` rows each)."""
        exploration = getattr(self, "exploration", None)
        if exploration is not None:
            batch = exploration.postprocess_trajectory(self, batch)
        seg_lens = np.asarray(seg_lens, np.int64)
        return compute_advantages_segments(batch, seg_lens, np.zeros(len(seg_lens), np.float32),
                                           gamma=self.config["gamma"], use_gae=False, use_critic=False)

"""Sampling: rollout workers, the vectorised sampler over the compiled collector, postprocessing."""

from rlcore.sampling.postprocessing import (
    Postprocessing,
    compute_advantages,
    compute_advantages_segments,
    discount_cumsum,
)

__all__ = ["Postprocessing", "compute_advantages", "compute_advantages_segments", "discount_cumsum"]

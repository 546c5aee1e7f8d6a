"""``ray.rllib.evaluation.postprocessing``: advantages and discounted returns."""

from rlcore.sampling.postprocessing import (
    Postprocessing,
    compute_advantages,
    compute_gae_for_sample_batch,
    discount_cumsum,
)

__all__ = ["Postprocessing", "compute_advantages", "compute_gae_for_sample_batch", "discount_cumsum"]

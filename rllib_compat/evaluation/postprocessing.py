"""``ray.rllib.evaluation.postprocessing``: advantages and discounted returns."""

from rlcore.sampling.postprocessing import Postprocessing, compute_advantages, discount_cumsum

__all__ = ["Postprocessing", "compute_advantages", "discount_cumsum"]

"""``ray.rllib.utils.sgd``: minibatch SGD helpers."""

from rlcore.ops.sgd import averaged, do_minibatch_sgd, minibatches, standardized

__all__ = ["averaged", "do_minibatch_sgd", "minibatches", "standardized"]

"""``ray.rllib.execution.train_ops``: the same objects as :mod:`rlcore.ops.train`.

``TrainTFMultiGPU`` / ``MultiGPUTrainOneStep`` are not provided (CPU only): use
``TrainOneStep(workers, num_sgd_iter=..., sgd_minibatch_size=...)``.

Examples:
    >>> from rllib_compat.execution.train_ops import TrainOneStep
    >>> import rlcore.ops
    >>> TrainOneStep is rlcore.ops.TrainOneStep
    True
"""

from rlcore.ops.train import ApplyGradients, AverageGradients, ComputeGradients, TrainOneStep, UpdateTargetNetwork

__all__ = ["TrainOneStep", "ComputeGradients", "ApplyGradients", "AverageGradients", "UpdateTargetNetwork"]

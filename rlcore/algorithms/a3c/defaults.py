"""A3C's defaults over ``COMMON_CONFIG``.

Apart from the trainer module: a worker's policy loads without it (:mod:`rlcore.algorithms`).
"""

from __future__ import annotations

from typing import Any, Dict

from rlcore.trainer_config import with_common_config

__all__ = ["DEFAULT_CONFIG"]

# fmt: off
#: A3C's defaults over ``COMMON_CONFIG`` (RLlib 1.x values).
DEFAULT_CONFIG: Dict[str, Any] = with_common_config({
    # Should use a critic as a baseline (otherwise don't use value baseline; required for using GAE).
    "use_critic": True,
    # If true, use the Generalized Advantage Estimator (GAE) with a value function.
    "use_gae": True,
    # Size of rollout batch.
    "rollout_fragment_length": 10,
    # GAE(gamma) parameter.
    "lambda": 1.0,
    # Max global norm for each gradient calculated by worker.
    "grad_clip": 40.0,
    # Learning rate.
    "lr": 0.0001,
    # Learning rate schedule: [[timestep, lr], ...].
    "lr_schedule": None,
    # Value function loss coefficient.
    "vf_loss_coeff": 0.5,
    # Entropy coefficient.
    "entropy_coeff": 0.01,
    # Entropy coefficient schedule: [[timestep, coeff], ...].
    "entropy_coeff_schedule": None,
    # Workers sample in a background thread.
    "sample_async": True,
    # Min time per iteration.
    "min_iter_time_s": 5,
})
# fmt: on

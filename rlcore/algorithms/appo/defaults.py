"""APPO's defaults (IMPALA's, updated).

Apart from the trainer module: a worker's policy loads without it (:mod:`rlcore.algorithms`).
"""

from __future__ import annotations

from typing import Any, Dict

from rlcore.algorithms.impala.defaults import DEFAULT_CONFIG as IMPALA_DEFAULT_CONFIG
from rlcore.trainer_config import merge_config

__all__ = ["DEFAULT_CONFIG"]

# fmt: off
#: APPO's defaults: IMPALA's updated with these (RLlib 1.x values).
DEFAULT_CONFIG: Dict[str, Any] = merge_config(IMPALA_DEFAULT_CONFIG, {
    # Whether to use V-trace weighted advantages. If False, PPO GAE advantages are used instead.
    "vtrace": False,

    # == These two options only apply if vtrace: False ==
    # Should use a critic as a baseline (otherwise don't use value baseline; required for using GAE).
    "use_critic": True,
    # If true, use the Generalized Advantage Estimator (GAE) with a value function.
    "use_gae": True,
    # GAE(lambda) parameter.
    "lambda": 1.0,

    # == PPO surrogate loss options ==
    "clip_param": 0.4,

    # == PPO KL loss options ==
    "use_kl_loss": False,
    "kl_coeff": 1.0,
    "kl_target": 0.01,

    # == IMPALA optimizer params (see impala.py) ==
    "rollout_fragment_length": 50,
    "train_batch_size": 500,
    "min_iter_time_s": 10,
    "num_workers": 2,
    "num_gpus": 0,
    "num_multi_gpu_tower_stacks": 1,
    "minibatch_buffer_size": 1,
    "num_sgd_iter": 1,
    "replay_proportion": 0.0,
    "replay_buffer_num_slots": 100,
    "learner_queue_size": 16,
    "learner_queue_timeout": 300,
    "max_sample_requests_in_flight_per_worker": 2,
    "broadcast_interval": 1,
    "grad_clip": 40.0,
    "opt_type": "adam",
    "lr": 0.0005,
    "lr_schedule": None,
    "decay": 0.99,
    "momentum": 0.0,
    "epsilon": 0.1,
    "vf_loss_coeff": 0.5,
    "entropy_coeff": 0.01,
    "entropy_coeff_schedule": None,
}, allow_unknown_configs=True)
# fmt: on

"""IMPALA's defaults over ``COMMON_CONFIG``.

Apart from the trainer module: a worker's policy loads without it (:mod:`rlcore.algorithms`).
"""

from __future__ import annotations

from typing import Any, Dict

from rlcore.trainer_config import with_common_config

__all__ = ["DEFAULT_CONFIG"]

# fmt: off
#: IMPALA's defaults over ``COMMON_CONFIG`` (RLlib 1.x values, except ``num_gpus``: see below).
DEFAULT_CONFIG: Dict[str, Any] = with_common_config({
    # V-trace params (see vtrace.py).
    "vtrace": True,
    "vtrace_clip_rho_threshold": 1.0,
    "vtrace_clip_pg_rho_threshold": 1.0,
    # Data flow: `num_workers` workers sample batches of `rollout_fragment_length * num_envs_per_worker`
    # steps; replayed batches are mixed in (`replay_proportion`); batches are concatenated to
    # `train_batch_size`; the learner thread replays each train batch `num_sgd_iter` times from a ring
    # of `minibatch_buffer_size` batches.
    "rollout_fragment_length": 50,
    "train_batch_size": 500,
    "min_iter_time_s": 10,
    "num_workers": 2,
    # GPUs of the learner. RLlib 1.x's default is 1; rlcore trains on CPU, and reserving a GPU would
    # leave Tune trials pending on a machine without one, so the default is 0.
    "num_gpus": 0,
    # Tower stacks of the multi-GPU learner (RLlib 1.5+ name). rlcore's MultiGPULearnerThread runs on
    # CPU with one tower; more than one stack selects it.
    "num_multi_gpu_tower_stacks": 1,
    # RLlib <= 1.4 name of `num_multi_gpu_tower_stacks`; when set it is moved there with a warning.
    "num_data_loader_buffers": None,
    # Train batches retained for minibatching (only matters with num_sgd_iter > 1).
    "minibatch_buffer_size": 1,
    # Passes over each train batch.
    "num_sgd_iter": 1,
    # > 0 enables experience replay: replayed batches are mixed in at a p:1 proportion to new ones.
    "replay_proportion": 0.0,
    # Sample batches kept for replay (total transitions: replay_buffer_num_slots * rollout_fragment_length).
    "replay_buffer_num_slots": 0,
    # Max queue size for train batches feeding into the learner.
    "learner_queue_size": 16,
    # Seconds the learner waits for a train batch before failing (raise it for slow envs).
    "learner_queue_timeout": 300,
    # Sample requests kept in flight per worker.
    "max_sample_requests_in_flight_per_worker": 2,
    # Max number of workers to broadcast one set of weights to.
    "broadcast_interval": 1,
    # Aggregation actors between the workers and the learner (tree aggregation).
    "num_aggregation_workers": 0,

    # Learning params.
    "grad_clip": 40.0,
    # Either "adam" or "rmsprop".
    "opt_type": "adam",
    "lr": 0.0005,
    "lr_schedule": None,
    # rmsprop parameters.
    "decay": 0.99,
    "momentum": 0.0,
    "epsilon": 0.1,
    # Balancing the three losses.
    "vf_loss_coeff": 0.5,
    "entropy_coeff": 0.01,
    "entropy_coeff_schedule": None,

    # fn(workers, config) -> fn(learner info): called after each learner step (APPO's target and KL update).
    "after_train_step": None,
})
# fmt: on

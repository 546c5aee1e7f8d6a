"""IMPALA: defaults and config checks (RLlib 1.x ``agents/impala/impala.py``).

Examples:
    >>> DEFAULT_CONFIG["vtrace"], DEFAULT_CONFIG["train_batch_size"], DEFAULT_CONFIG["learner_queue_size"]
    (True, 500, 16)
    >>> validate_config(dict(DEFAULT_CONFIG, opt_type="sgd"))
    Traceback (most recent call last):
    ...
    ValueError: opt_type='sgd': expected one of 'adam', 'rmsprop'
"""

from __future__ import annotations

import logging
from typing import Any, Dict

from rlcore.trainer_config import with_common_config

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_CONFIG", "validate_config"]

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

_OPT_TYPES = ("adam", "rmsprop")


def _check_int(config: Dict[str, Any], key: str, minimum: int) -> None:
    value = config[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{key}={value!r}: expected an int >= {minimum}")


def _check_number(config: Dict[str, Any], key: str, *, minimum: float, strict: bool = False,
                  allow_none: bool = False) -> None:
    value = config[key]
    if value is None and allow_none:
        return
    ok = not isinstance(value, bool) and isinstance(value, (int, float))
    ok = ok and (value > minimum if strict else value >= minimum)
    if not ok:
        expected = f"a number {'>' if strict else '>='} {minimum}" + (" or None" if allow_none else "")
        raise ValueError(f"{key}={value!r}: expected {expected}")


def validate_config(config: Dict[str, Any]) -> None:
    """Checks IMPALA's keys (RLlib 1.x rules plus range checks); may rewrite deprecated keys.

    Raises:
        ValueError: Naming the key, its value and what was expected.
    """
    if config.get("num_data_loader_buffers") is not None:
        logger.warning("config['num_data_loader_buffers'] is deprecated (RLlib 1.5): use "
                       "config['num_multi_gpu_tower_stacks']")
        config["num_multi_gpu_tower_stacks"] = config["num_data_loader_buffers"]
        config["num_data_loader_buffers"] = None
    _check_number(config, "entropy_coeff", minimum=0.0)
    if config["vtrace"] and not config.get("in_evaluation") and config["batch_mode"] != "truncate_episodes":
        raise ValueError(f"batch_mode={config['batch_mode']!r}: expected 'truncate_episodes' when vtrace=True "
                         "(V-trace needs fixed-length fragments)")
    for key in ("vtrace_clip_rho_threshold", "vtrace_clip_pg_rho_threshold"):
        _check_number(config, key, minimum=0.0, strict=True, allow_none=True)
    for key, minimum in (("train_batch_size", 1), ("minibatch_buffer_size", 1), ("num_sgd_iter", 1),
                         ("replay_buffer_num_slots", 0), ("learner_queue_size", 1),
                         ("max_sample_requests_in_flight_per_worker", 1), ("broadcast_interval", 1),
                         ("num_aggregation_workers", 0), ("num_multi_gpu_tower_stacks", 1)):
        _check_int(config, key, minimum)
    _check_number(config, "learner_queue_timeout", minimum=0.0, strict=True)
    _check_number(config, "replay_proportion", minimum=0.0)
    if config["replay_proportion"] > 0 and config["replay_buffer_num_slots"] == 0:
        raise ValueError(f"replay_proportion={config['replay_proportion']!r} > 0 needs replay_buffer_num_slots > 0, "
                         "got replay_buffer_num_slots=0")
    if config["num_aggregation_workers"] > config["num_workers"]:
        raise ValueError(f"num_aggregation_workers={config['num_aggregation_workers']!r}: expected a value <= "
                         f"num_workers ({config['num_workers']}); each aggregation worker needs rollout workers")
    if config["opt_type"] not in _OPT_TYPES:
        raise ValueError(f"opt_type={config['opt_type']!r}: expected one of 'adam', 'rmsprop'")
    for key in ("decay", "momentum"):
        _check_number(config, key, minimum=0.0)
    _check_number(config, "epsilon", minimum=0.0, strict=True)
    _check_number(config, "grad_clip", minimum=0.0, strict=True, allow_none=True)
    if (config["num_gpus"] > 1 or config["num_multi_gpu_tower_stacks"] > 1) and \
            config["num_multi_gpu_tower_stacks"] < config["minibatch_buffer_size"]:
        raise ValueError(f"num_multi_gpu_tower_stacks={config['num_multi_gpu_tower_stacks']!r}: expected a value >= "
                         f"minibatch_buffer_size ({config['minibatch_buffer_size']}) with the multi-GPU learner")
    if config["after_train_step"] is not None and not callable(config["after_train_step"]):
        raise ValueError(f"after_train_step={config['after_train_step']!r}: expected None or "
                         "fn(workers, config) -> fn(learner info)")

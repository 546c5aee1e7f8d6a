"""``ray.rllib.execution.common``: counter, timer and info names, the same objects as
:mod:`rlcore.ops.common`.

Examples:
    >>> from rllib_compat.execution.common import STEPS_SAMPLED_COUNTER, LEARNER_INFO
    >>> STEPS_SAMPLED_COUNTER, LEARNER_INFO
    ('num_steps_sampled', 'learner')
"""

from rlcore.ops.common import (
    AGENT_STEPS_SAMPLED_COUNTER,
    AGENT_STEPS_TRAINED_COUNTER,
    APPLY_GRADS_TIMER,
    COMPUTE_GRADS_TIMER,
    GRAD_WAIT_TIMER,
    LAST_TARGET_UPDATE_TS,
    LEARN_ON_BATCH_TIMER,
    LEARNER_INFO,
    LOAD_BATCH_TIMER,
    NUM_TARGET_UPDATES,
    SAMPLE_TIMER,
    STEPS_SAMPLED_COUNTER,
    STEPS_TRAINED_COUNTER,
    STEPS_TRAINED_THIS_ITER_COUNTER,
    WORKER_UPDATE_TIMER,
    SampleBatchType,
    _check_sample_batch_type,
    _get_global_vars,
    _get_shared_metrics,
)

__all__ = [
    "STEPS_SAMPLED_COUNTER",
    "AGENT_STEPS_SAMPLED_COUNTER",
    "STEPS_TRAINED_COUNTER",
    "STEPS_TRAINED_THIS_ITER_COUNTER",
    "AGENT_STEPS_TRAINED_COUNTER",
    "LAST_TARGET_UPDATE_TS",
    "NUM_TARGET_UPDATES",
    "APPLY_GRADS_TIMER",
    "COMPUTE_GRADS_TIMER",
    "WORKER_UPDATE_TIMER",
    "GRAD_WAIT_TIMER",
    "SAMPLE_TIMER",
    "LEARN_ON_BATCH_TIMER",
    "LOAD_BATCH_TIMER",
    "LEARNER_INFO",
    "SampleBatchType",
    "_check_sample_batch_type",
    "_get_global_vars",
    "_get_shared_metrics",
]

"""A callable ``observation_filter`` (a Filter class or fn(shape) -> Filter) passes config validation and is used."""

import numpy as np
import pytest

from rlcore.policy.random_policy import RandomPolicy
from rlcore.sampling.filters import NoFilter
from rlcore.trainer import build_trainer, with_common_config
from rlcore.trainer_config import COMMON_CONFIG, validate_config_types


class Sevens(NoFilter):
    """Replaces every observation by 7s (so the test can see the filter ran)."""

    def __init__(self, shape=None):
        self.shape = shape

    def __call__(self, x, update=True):
        return np.full_like(np.asarray(x, np.float32), 7.0)

    def copy(self):
        return Sevens(self.shape)

    def as_serializable(self):
        return self.copy()


class RecordingPolicy(RandomPolicy):
    seen = []

    def compute_actions(self, obs_batch, state_batches=None, **kw):
        RecordingPolicy.seen.append(np.asarray(obs_batch))
        return super().compute_actions(obs_batch, state_batches, **kw)


@pytest.mark.parametrize("value", [Sevens, lambda shape: Sevens(shape), "MeanStdFilter"],
                         ids=["class", "function", "name"])
def test_validation_accepts_a_name_or_a_callable(value):
    assert validate_config_types({"observation_filter": value}, COMMON_CONFIG) is None  # raises if refused


def test_validation_rejects_other_types_naming_the_key():
    with pytest.raises(TypeError, match="config key 'observation_filter' = 3 has type int; expected str or callable"):
        validate_config_types({"observation_filter": 3}, COMMON_CONFIG)


@pytest.mark.parametrize("value", [Sevens, lambda shape: Sevens(shape)], ids=["class", "function"])
def test_trainer_samples_through_a_callable_filter(value):
    trainer_cls = build_trainer("FilterCheck", default_config=with_common_config({}), default_policy=RecordingPolicy)
    RecordingPolicy.seen = []
    trainer = trainer_cls(config={"env": "CartPole-v1", "num_workers": 0, "log_sys_usage": False,
                                  "rollout_fragment_length": 10, "train_batch_size": 10, "observation_filter": value})
    try:
        trainer.train()
        assert isinstance(trainer.workers.local_worker().filters["default_policy"], Sevens)
    finally:
        trainer.stop()
    seen = np.concatenate(RecordingPolicy.seen)
    assert seen.shape[1] == 4 and np.all(seen == 7.0)

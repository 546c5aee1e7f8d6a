"""rllib_compat.policy.sample_batch re-exports the rlcore objects themselves, and old code runs."""

import importlib
import warnings

import numpy as np
import pytest

import rlcore.data
from rlcore.data import sample_batch as rl_sample_batch

OLD_PATH = "rllib_compat.policy.sample_batch"


@pytest.mark.parametrize(
    "name,obj",
    [
        ("SampleBatch", rlcore.data.SampleBatch),
        ("MultiAgentBatch", rlcore.data.MultiAgentBatch),
        ("DEFAULT_POLICY_ID", rlcore.data.DEFAULT_POLICY_ID),
        ("concat_samples", rl_sample_batch.concat_samples),
    ],
)
def test_same_object_and_no_warning(name, obj):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mod = importlib.import_module(OLD_PATH)
        assert getattr(mod, name) is obj
    assert name in mod.__all__


def test_old_style_usage():
    from rllib_compat.policy.sample_batch import DEFAULT_POLICY_ID, MultiAgentBatch, SampleBatch

    batch = SampleBatch({"actions": [1, 2, 3], "rewards": [1, 2, 3]})
    assert batch["rewards"].tolist() == [1, 2, 3] and batch.count == 3
    ma = MultiAgentBatch({"alice": batch, "bob": batch}, env_steps=100)
    assert ma.count == 100 and ma.agent_steps() == 6
    merged = SampleBatch.concat_samples([batch, batch])
    assert merged[SampleBatch.ACTIONS].tolist() == [1, 2, 3, 1, 2, 3]
    assert DEFAULT_POLICY_ID == "default_policy"
    assert isinstance(batch[SampleBatch.REWARDS], np.ndarray)

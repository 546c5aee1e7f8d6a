"""rllib_compat.evaluation.sample_batch_builder: rows in, (postprocessed, per-policy) SampleBatches out."""

import gymnasium as gym
import numpy as np
import pytest

from rllib_compat.agents.callbacks import DefaultCallbacks
from rllib_compat.evaluation.sample_batch_builder import MultiAgentSampleBatchBuilder, SampleBatchBuilder
from rllib_compat.examples.policy.random_policy import RandomPolicy
from rllib_compat.policy.sample_batch import MultiAgentBatch, SampleBatch


class Recording(RandomPolicy):
    """Adds a column from the other agents' batches, so the test sees what postprocessing got."""

    def postprocess_trajectory(self, sample_batch, other_agent_batches=None, episode=None):
        sample_batch = super().postprocess_trajectory(sample_batch, other_agent_batches, episode)
        others = sorted(other_agent_batches or {})
        sample_batch["n_others"] = np.full(sample_batch.count, len(others))
        return sample_batch


class Callbacks(DefaultCallbacks):
    def __init__(self):
        super().__init__()
        self.calls = []

    def on_postprocess_trajectory(self, *, agent_id, policy_id, postprocessed_batch, original_batches, **kw):
        self.calls.append((agent_id, policy_id, postprocessed_batch.count, sorted(original_batches)))


def _policy():
    return Recording(gym.spaces.Box(-1, 1, (2,)), gym.spaces.Discrete(2), {})


def test_rows_columns_dtypes_and_unroll_ids():
    builder = SampleBatchBuilder()
    builder.add_values(obs=np.array([1.0, 2.0]), actions=1, infos={"x": 1}, text="a")
    builder.add_values(obs=np.array([3.0, 4.0]), actions=0, infos={"x": 2}, text="b")
    first = builder.build_and_reset()
    assert isinstance(first, SampleBatch) and first.count == 2 and builder.count == 0
    assert first["obs"].dtype == np.float32 and first["actions"].dtype.kind == "i"
    assert first["infos"].dtype == object and first["infos"][1] == {"x": 2}
    builder.add_batch(first)
    builder.add_values(obs=np.zeros(2), actions=1, infos={}, text="c", unroll_id=99)
    second = builder.build_and_reset()
    assert second.count == 3 and second["unroll_id"].tolist() == [first["unroll_id"][0]] * 2 + [99]
    builder.add_values(obs=np.zeros(2))
    third = builder.build_and_reset()
    assert third["unroll_id"][0] == first["unroll_id"][0] + 1  # a fresh id per build without one


def test_ragged_rows_become_an_object_column():
    builder = SampleBatchBuilder()
    builder.add_values(items=[1, 2])
    builder.add_values(items=[3])
    batch = builder.build_and_reset()
    assert batch["items"].dtype == object and batch["items"][0] == [1, 2]


def test_multi_agent_postprocessing_callbacks_and_reward_clipping():
    callbacks = Callbacks()
    ma = MultiAgentSampleBatchBuilder({"p1": _policy(), "p2": _policy()}, clip_rewards=2.0, callbacks=callbacks)
    for t in range(3):
        ma.add_values("a", "p1", t=t, eps_id=0, obs=np.zeros(2), actions=0, rewards=5.0, dones=t == 2)
        ma.add_values("b", "p2", t=t, eps_id=0, obs=np.ones(2), actions=1, rewards=-0.5, dones=t == 2)
        ma.count += 1
    assert ma.total() == 6 and ma.has_pending_agent_data()
    ma.check_missing_dones()
    out = ma.build_and_reset(episode=None)
    assert isinstance(out, MultiAgentBatch) and out.env_steps() == 3 and out.agent_steps() == 6
    p1, p2 = out.policy_batches["p1"], out.policy_batches["p2"]
    assert p1["rewards"].tolist() == [2.0] * 3 and p2["rewards"].tolist() == [-0.5] * 3
    assert p1["n_others"].tolist() == [1] * 3 and p1["agent_id"].tolist() == ["a"] * 3
    assert sorted(callbacks.calls) == [("a", "p1", 3, ["a", "b"]), ("b", "p2", 3, ["a", "b"])]
    assert not ma.has_pending_agent_data() and ma.count == 0


def test_default_policy_only_gives_a_plain_sample_batch_and_no_agent_id_column():
    from rlcore.sampling.episode import DUMMY_AGENT_ID

    ma = MultiAgentSampleBatchBuilder({"default_policy": _policy()}, clip_rewards=True, callbacks=DefaultCallbacks())
    ma.add_values(DUMMY_AGENT_ID, "default_policy", t=0, eps_id=3, obs=np.zeros(2), actions=0, rewards=-3.0,
                  dones=True)
    ma.count = 1
    out = ma.build_and_reset()
    assert isinstance(out, SampleBatch) and out["rewards"].tolist() == [-1.0] and "agent_id" not in out


def test_errors():
    ma = MultiAgentSampleBatchBuilder({"p": _policy()}, clip_rewards=None, callbacks=DefaultCallbacks())
    with pytest.raises(ValueError, match="policy_id='q' is not one of the policies \\['p'\\]"):
        ma.add_values("a", "q", obs=np.zeros(2))
    ma.add_values("a", "p", t=0, eps_id=0, obs=np.zeros(2), actions=0, rewards=0.0, dones=False)
    with pytest.raises(ValueError, match="agent 'a' \\(policy 'p'\\) has no final \\(done\\) observation"):
        ma.check_missing_dones()
    ma.add_values("a", "p", t=0, eps_id=1, obs=np.zeros(2), actions=0, rewards=0.0, dones=True)
    with pytest.raises(ValueError, match="agent 'a': batches sent to postprocessing must only contain steps"):
        ma.postprocess_batch_so_far()

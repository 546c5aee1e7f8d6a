"""Tests of rlcore.data.multi_agent_batch: step counting, wrapping, concat, lockstep timeslices."""

import numpy as np
import pytest

from rlcore.data.multi_agent_batch import MultiAgentBatch
from rlcore.data.sample_batch import DEFAULT_POLICY_ID, SampleBatch


def sb(n, **cols):
    return SampleBatch({"x": np.arange(n), **cols})


@pytest.mark.parametrize(
    "sizes,env_steps,agent_steps",
    [({}, 0, 0), ({"p": 3}, 3, 3), ({"p": 3, "q": 2}, 3, 5), ({"p": 0, "q": 4}, 4, 4)],
)
def test_counting(sizes, env_steps, agent_steps):
    ma = MultiAgentBatch({k: sb(n) for k, n in sizes.items()}, env_steps)
    assert ma.count == ma.env_steps() == env_steps
    assert ma.agent_steps() == agent_steps


@pytest.mark.parametrize(
    "batches,env_steps,exc",
    [
        ([1], 1, TypeError),
        ({"p": {"x": [1]}}, 1, TypeError),
        ({"p": sb(1)}, -1, ValueError),
        ({"p": sb(1)}, 1.0, ValueError),
        ({"p": sb(1)}, True, ValueError),
    ],
)
def test_constructor_errors(batches, env_steps, exc):
    with pytest.raises(exc):
        MultiAgentBatch(batches, env_steps)


def test_wrap_as_needed():
    b = sb(2)
    assert MultiAgentBatch.wrap_as_needed({DEFAULT_POLICY_ID: b}, 2) is b
    ma = MultiAgentBatch.wrap_as_needed({"p": b}, 2)
    assert isinstance(ma, MultiAgentBatch) and ma.policy_batches["p"] is b
    ma2 = MultiAgentBatch.wrap_as_needed({DEFAULT_POLICY_ID: b, "p": b}, 2)
    assert isinstance(ma2, MultiAgentBatch) and ma2.agent_steps() == 4


def test_concat_samples_sums_env_steps_per_policy():
    a = MultiAgentBatch({"p": sb(2), "q": sb(1)}, 2)
    b = MultiAgentBatch({"p": sb(3)}, 3)
    c = MultiAgentBatch({}, 0)
    out = MultiAgentBatch.concat_samples([a, b, c])
    assert out.count == 5 and out.agent_steps() == 6
    assert out.policy_batches["p"]["x"].tolist() == [0, 1, 0, 1, 2]
    assert out.policy_batches["q"]["x"].tolist() == [0]
    assert MultiAgentBatch.concat_samples([]).count == 0


def test_concat_samples_with_empty_policy_batch():
    a = MultiAgentBatch({"p": SampleBatch()}, 0)
    b = MultiAgentBatch({"p": sb(2)}, 2)
    assert MultiAgentBatch.concat_samples([a, b]).policy_batches["p"]["x"].tolist() == [0, 1]


@pytest.mark.parametrize(
    "samples,match",
    [
        ([MultiAgentBatch({}, 0), sb(1)], "element 1 is a SampleBatch, not a MultiAgentBatch"),
        ([MultiAgentBatch({"p": sb(1)}, 1), MultiAgentBatch({"p": SampleBatch({"y": [1]})}, 1)], "policy 'p': concat_samples"),
    ],
)
def test_concat_samples_errors(samples, match):
    with pytest.raises(ValueError, match=match):
        MultiAgentBatch.concat_samples(samples)


def test_copy_and_size_bytes():
    ma = MultiAgentBatch({"p": SampleBatch({"x": np.zeros(4, np.float32)}), "q": sb(2)}, 4)
    c = ma.copy()
    c.policy_batches["p"]["x"][0] = 1
    assert ma.policy_batches["p"]["x"][0] == 0 and c.count == 4
    assert ma.size_bytes() == 16 + 2 * 8
    assert ma.as_multi_agent() is ma


def rllib_lockstep_example():
    """RLlib's docstring example: agent1 at t1..t3, agent2 at t1 and t3, agent3 at t3 only."""
    a1 = SampleBatch({"eps_id": [0, 0, 0], "t": [1, 2, 3], "agent_index": [0, 0, 0], "x": ["a1t1", "a1t2", "a1t3"]})
    a2 = SampleBatch({"eps_id": [0, 0], "t": [1, 3], "agent_index": [1, 1], "x": ["a2t1", "a2t3"]})
    a3 = SampleBatch({"eps_id": [0], "t": [3], "agent_index": [2], "x": ["a3t3"]})
    return MultiAgentBatch({"p1": a1, "p2": a2, "p3": a3}, 3)


@pytest.mark.parametrize(
    "k,expected",
    [
        (1, [(1, ["a1t1", "a2t1"]), (1, ["a1t2"]), (1, ["a1t3", "a2t3", "a3t3"])]),
        (2, [(2, ["a1t1", "a1t2", "a2t1"]), (1, ["a1t3", "a2t3", "a3t3"])]),
        (3, [(3, ["a1t1", "a1t2", "a1t3", "a2t1", "a2t3", "a3t3"])]),
        (10, [(3, ["a1t1", "a1t2", "a1t3", "a2t1", "a2t3", "a3t3"])]),
    ],
)
def test_timeslices_lockstep(k, expected):
    slices = rllib_lockstep_example().timeslices(k)
    got = [(s.count, [x for b in s.policy_batches.values() for x in b["x"].tolist()]) for s in slices]
    assert got == expected


def test_timeslices_orders_by_episode_then_t():
    p = SampleBatch({"eps_id": [2, 1, 1, 2], "t": [0, 1, 0, 1], "x": [20, 11, 10, 21]})
    slices = MultiAgentBatch({"p": p}, 4).timeslices(1)
    assert [s.policy_batches["p"]["x"].tolist() for s in slices] == [[10], [11], [20], [21]]


@pytest.mark.parametrize(
    "ma,k,match",
    [
        (MultiAgentBatch({"p": SampleBatch({"t": [0]})}, 1), 1, "policy 'p' has no 'eps_id' column"),
        (MultiAgentBatch({"p": SampleBatch({"eps_id": [0], "t": [0]}, seq_lens=[1])}, 1), 1, "RNN batches"),
        (MultiAgentBatch({}, 0), 0, "k must be a positive int"),
    ],
)
def test_timeslices_errors(ma, k, match):
    with pytest.raises(ValueError, match=match):
        ma.timeslices(k)


def test_timeslices_of_empty_batch():
    assert MultiAgentBatch({"p": SampleBatch()}, 0).timeslices(2) == []

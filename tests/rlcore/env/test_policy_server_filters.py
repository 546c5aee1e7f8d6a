"""PolicyServerInput / PolicyClient with ``observation_filter: "MeanStdFilter"`` (issue #17).

The clients' filters and the server worker's are kept in step as RLlib's FilterManager keeps
workers': a report carries what a client's filter saw since the last one, the server merges it
and answers with the merged running statistics, which the client filters with from then on.
Remote episodes' observations (filtered by the server's embedded worker) are merged the same way.
"""

import time

import gymnasium as gym
import numpy as np
import pytest

from rlcore.data.codec import to_bytes
from rlcore.data.sample_batch import SampleBatch
from rlcore.env.policy_client import PolicyClient, PolicyClientError
from rlcore.env.policy_server_input import PolicyServerInput
from rlcore.env.serving_protocol import Commands
from rlcore.offline import IOContext
from rlcore.policy.random_policy import RandomPolicy
from rlcore.sampling.rollout_worker import RolloutWorker

OBS = gym.spaces.Box(-np.inf, np.inf, (4,), np.float32)
ACT = gym.spaces.Discrete(2)
TIMEOUT = 10.0
PID = "default_policy"


@pytest.fixture
def server():
    worker = RolloutWorker(env_creator=lambda ctx: None, policy_spec=RandomPolicy, rollout_fragment_length=8,
                           observation_filter="MeanStdFilter",
                           policy_config={"observation_space": OBS, "action_space": ACT,
                                          "observation_filter": "MeanStdFilter"})
    s = PolicyServerInput(IOContext(worker=worker), "127.0.0.1", 0, idle_timeout=0.05)
    yield s
    s.stop()


def _url(server):
    return f"http://127.0.0.1:{server.port}"


def _play(client, observations):
    """One episode: an action for every observation but the last, which ends it."""
    eid = client.start_episode()
    for obs in observations[:-1]:
        client.get_action(eid, obs)
        client.log_returns(eid, 1.0)
    client.end_episode(eid, observations[-1])


def _drain(server, rows):
    """Reads batches until ``rows`` rows came out; returns their observations."""
    got, deadline = [], time.monotonic() + TIMEOUT
    while sum(len(o) for o in got) < rows and time.monotonic() < deadline:
        batch = server.next()
        if batch.count:
            got.append(batch["obs"])
    assert sum(len(o) for o in got) == rows, "the reported rows did not all arrive in time"
    return np.concatenate(got)


def _stats(f):
    return f.rs.n, f.rs.mean.copy(), f.rs.std.copy()


def test_a_local_client_reports_its_filter_and_filters_with_the_merged_statistics(server):
    rng = np.random.default_rng(0)
    observations = (rng.normal(5.0, 2.0, (17, 4))).astype(np.float32)  # 16 steps: two reports of 8 rows
    with PolicyClient(_url(server), "local", update_interval=None) as client:
        local = client.rollout_worker.filters[PID]
        _play(client, observations)
        obs = _drain(server, 16)
        served = server.worker.filters[PID]
        # every observation the client's filter saw reached the server's (the episode's last one
        # too: the second fragment ends with the episode)
        n, mean, std = _stats(served)
        assert n == len(observations) == 17
        np.testing.assert_allclose(mean, observations.astype(np.float64).mean(0), rtol=1e-6)
        np.testing.assert_allclose(std, observations.astype(np.float64).std(0, ddof=1), rtol=1e-6)
        # the server's worker buffers it too, for a trainer's FilterManager to collect (num_workers > 0)
        assert served.buffer.n == n
        # after the report the client filters with the server's statistics; nothing is left unsent
        assert local.rs.n == n and local.buffer.n == 0
        np.testing.assert_allclose(local.rs.mean, mean)
        # the batches hold filtered observations: the second fragment's are standardised by about the
        # statistics of the first eight plus themselves, so near 0 and within a few units
        assert np.abs(obs[8:]).max() < 4.0 and np.abs(obs[8:].mean(0)).max() < 1.0


def test_two_local_clients_add_up_on_the_server_and_a_new_client_starts_from_its_statistics(server):
    rng = np.random.default_rng(1)
    sent, seen_by_client = [], []
    for loc in (0.0, 10.0):
        with PolicyClient(_url(server), "local", update_interval=None) as client:
            observations = rng.normal(loc, 1.0, (9, 4)).astype(np.float32)  # one episode, one fragment of 8 rows
            _play(client, observations)
            _drain(server, 8)
            sent.append(observations)
            seen_by_client.append(client.rollout_worker.filters[PID].rs.n)
    served = server.worker.filters[PID]
    everything = np.concatenate(sent).astype(np.float64)
    assert served.rs.n == len(everything) == 18
    np.testing.assert_allclose(served.rs.mean, everything.mean(0), rtol=1e-6)
    assert seen_by_client == [9, 18]  # the second client filtered with the first one's statistics too
    with PolicyClient(_url(server), "local", update_interval=None) as fresh:
        f = fresh.rollout_worker.filters[PID]
        assert f.rs.n == 18 and f.buffer.n == 0
        np.testing.assert_allclose(f.rs.mean, served.rs.mean)


def test_remote_episodes_update_the_server_filter_and_actions_use_it(server):
    observations = np.tile(np.arange(4, dtype=np.float32), (17, 1)) + np.arange(17, dtype=np.float32)[:, None]
    with PolicyClient(_url(server), "remote") as client:
        _play(client, observations)
    obs = _drain(server, 16)
    served = server.worker.filters[PID]
    assert served.rs.n >= 8
    np.testing.assert_allclose(served.rs.mean, observations[: served.rs.n].mean(0), rtol=1e-6)
    # the rows are filtered: the first one by the statistics of itself alone (demeaned to 0)
    assert np.allclose(obs[0], 0.0) and not np.allclose(obs[:, 0], observations[:16, 0])


@pytest.mark.parametrize("filters, needle", [
    ({PID: {"n": -1, "mean": np.zeros(4), "sum_sq": np.zeros(4)}}, "n >= 0"),
    ({PID: {"n": 3, "mean": np.zeros(5), "sum_sq": np.zeros(5)}}, "shape (4,)"),
    ({PID: {"n": 3, "mean": np.full(4, np.nan), "sum_sq": np.zeros(4)}}, "finite"),
    ({PID: {"n": 3, "mean": np.zeros(4)}}, "keys n, mean, sum_sq"),
    ({"nobody": {"n": 3, "mean": np.zeros(4), "sum_sq": np.zeros(4)}}, "'nobody'"),
    ([1, 2], "'filters' must be a map"),
])
def test_a_malformed_filter_report_is_400_and_changes_nothing(server, filters, needle):
    client = PolicyClient(_url(server), "remote")
    batch = SampleBatch({"obs": np.ones((2, 4), np.float32), "actions": np.array([0, 1])})
    with pytest.raises(PolicyClientError, match="400") as err:
        client._send({"command": Commands.REPORT_SAMPLES, "samples": to_bytes(batch), "metrics": [],
                      "filters": filters})
    assert needle in str(err.value)
    client.close()
    assert server.worker.filters[PID].rs.n == 0 and server.next().count == 0


def test_a_flush_by_the_trainer_never_drops_a_clients_merge(server):
    """The trainer's FilterManager flushes a remote worker's filter buffers (``get_filters(
    flush_after=True)``) while the server's threads merge client buffers into them: every merged
    observation ends up in exactly one flush or in the buffer left at the end."""
    import threading

    from rlcore.sampling.filters import RunningStat

    one = RunningStat((4,))
    one.push(np.ones(4))
    merges, flushed, stop = 4000, [], threading.Event()

    def merge(n):
        for _ in range(n):
            server._merge_filter_buffers({PID: one})

    def flush():
        while not stop.is_set():
            flushed.append(server.worker.get_filters(flush_after=True)[PID].buffer.n)

    flusher = threading.Thread(target=flush)
    mergers = [threading.Thread(target=merge, args=(merges // 4,)) for _ in range(4)]
    flusher.start()
    for t in mergers:
        t.start()
    for t in mergers:
        t.join(TIMEOUT)
    stop.set()
    flusher.join(TIMEOUT)
    left = server.worker.filters[PID].buffer.n
    assert sum(flushed) + left == merges
    assert server.worker.filters[PID].rs.n == merges

"""FilterManager: every observation counted exactly once across sync rounds, with local workers
and Ray actors; pull-only syncs; a missing policy named."""

from __future__ import annotations

import time

import numpy as np
import pytest

from rlcore.sampling.filter_manager import FilterManager
from rlcore.sampling.filters import MeanStdFilter


def data(shape, n, seed=0):
    return np.random.default_rng(seed).normal(3.0, 2.0, size=(n, *shape))


class Worker:
    """The filter part of a RolloutWorker: get_filters(flush_after) / sync_filters."""

    def __init__(self, shape=(2,)):
        self.filters = {"p0": MeanStdFilter(shape), "p1": MeanStdFilter(shape)}

    def observe(self, pid, x):
        self.filters[pid](np.asarray(x))

    def get_filters(self, flush_after=False):
        out = {k: f.as_serializable() for k, f in self.filters.items()}
        if flush_after:
            for f in self.filters.values():
                f.clear_buffer()
        return out

    def sync_filters(self, new_filters):
        for k, f in new_filters.items():
            self.filters[k].sync(f)

    def stats(self, pid):
        f = self.filters[pid]
        return f.rs.n, f.rs.mean.tolist(), f.buffer.n


def check_rounds(workers, get, call):
    """Two sync rounds: every observation ends up counted exactly once everywhere."""
    local = {"p0": MeanStdFilter((2,)), "p1": MeanStdFilter((2,))}
    seen = []
    for rnd in range(2):
        for i, w in enumerate(workers):
            x = data((2,), 3 + i, seed=10 * rnd + i)
            seen.append(x)
            call(w, "p0", x)
        FilterManager.synchronize(local, workers, timeout_seconds=30)
        allx = np.concatenate(seen)
        assert local["p0"].rs.n == len(allx) and local["p1"].rs.n == 0
        np.testing.assert_allclose(local["p0"].rs.mean, allx.mean(axis=0), rtol=1e-10)
        np.testing.assert_allclose(local["p0"].rs.var, allx.var(axis=0, ddof=1), rtol=1e-10)
        for w in workers:
            n, mean, buf = get(w, "p0")
            assert (n, buf) == (len(allx), 0)
            np.testing.assert_allclose(mean, allx.mean(axis=0), rtol=1e-10)


def test_filter_manager_with_local_workers():
    check_rounds([Worker(), Worker()], lambda w, p: w.stats(p), lambda w, p, x: w.observe(p, x))


def test_filter_manager_without_update_remote_only_pulls():
    w = Worker()
    w.observe("p0", data((2,), 4))
    local = {"p0": MeanStdFilter((2,)), "p1": MeanStdFilter((2,))}
    FilterManager.synchronize(local, [w], update_remote=False)
    assert local["p0"].rs.n == 4 and w.stats("p0")[0::2] == (4, 0)
    FilterManager.synchronize(local, [])  # nothing to do


def test_filter_manager_names_a_missing_policy():
    with pytest.raises(KeyError, match="no filter for policy 'p9'"):
        FilterManager.synchronize({"p9": MeanStdFilter((2,))}, [Worker()])


@pytest.mark.ray
def test_filter_manager_with_ray_actors(ray_mod):
    ray = ray_mod
    actors = [ray.remote(num_cpus=0)(Worker).remote() for _ in range(2)]
    try:
        check_rounds(
            actors,
            lambda a, p: ray.get(a.stats.remote(p), timeout=30),
            lambda a, p, x: ray.get(a.observe.remote(p, x), timeout=30),
        )
    finally:
        for a in actors:
            ray.kill(a)


def _wait_until_dead(ray, actor, seconds=30.0):
    """Returns once a call to ``actor`` fails with ``RayActorError``; fails the test after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            ray.get(actor.stats.remote("p0"), timeout=seconds)
        except ray.exceptions.RayActorError:
            return
        time.sleep(0.05)
    pytest.fail(f"the killed actor still answered after {seconds} s")


@pytest.mark.ray
def test_a_worker_dying_in_the_pull_costs_the_others_nothing(ray_mod):
    """The surviving worker's buffer (flushed by the pull) is merged before the failure is raised;
    nothing is pushed back, and the next sync with the survivor alone counts nothing twice."""
    ray = ray_mod
    actors = [ray.remote(num_cpus=0)(Worker).remote() for _ in range(2)]
    try:
        x = data((2,), 5)
        ray.get([a.observe.remote("p0", x) for a in actors], timeout=30)
        ray.kill(actors[1], no_restart=True)
        _wait_until_dead(ray, actors[1])  # ray.kill is asynchronous: a call right after it may still be answered
        local = {"p0": MeanStdFilter((2,)), "p1": MeanStdFilter((2,))}
        with pytest.raises(ray.exceptions.RayActorError):
            FilterManager.synchronize(local, actors, timeout_seconds=30)
        assert local["p0"].rs.n == 5
        np.testing.assert_allclose(local["p0"].rs.mean, x.mean(axis=0), rtol=1e-10)
        assert ray.get(actors[0].stats.remote("p0"), timeout=30)[0::2] == (5, 0)  # flushed, not yet synced
        FilterManager.synchronize(local, actors[:1], timeout_seconds=30)
        assert local["p0"].rs.n == 5 and ray.get(actors[0].stats.remote("p0"), timeout=30)[0::2] == (5, 0)
    finally:
        for a in actors:
            ray.kill(a)

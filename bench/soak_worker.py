"""Benchmark (not in CI): one IMPALA rollout worker's memory, in-process against as a Ray actor (issue #18).

Isolates the rollout worker of ``bench/soak.py``'s IMPALA run from its learner: a worker with
IMPALA's worker config (CartPole-v1, torch, ``[64, 64]``, ``rollout_fragment_length=50``) is
driven the way IMPALA's plan drives it, for ``--minutes`` each way:

- ``inproc``: the local worker of an IMPALA trainer without remote workers, in this process:
  ``sample()``, then ``set_weights`` after every batch, ``get_metrics()`` every 200 batches;
- ``ray``: one remote worker (a Ray actor), two ``sample.remote()`` in flight, after each batch
  ``set_weights.remote`` with the weights by value (as IMPALA sends weights under its 64 KiB
  inline limit) and ``get_metrics.remote()`` every 200 batches (the trainer drains them every
  iteration).

The weights sent are the initial ones plus fresh noise each time (weights change as they do under
learning); from ``--controller-at`` minutes on, weights that balance the pole (every episode runs
to CartPole's 500-step limit), so a change of episode lengths shows where it matters. Every
``--interval`` seconds the worker process's RSS by kind (``bench/soak.py``: anonymous, file,
shared memory; heap, glibc arenas, other anonymous mappings) and the mappings that grew most;
in-process also each capacity the compiled collector grew to.

Prints a table per mode (RSS after the first minute and at the end, the growth in between by
kind, the slope in % of RSS per hour) and writes ``bench/results/soak_worker.json``. Findings of
the run in the docstring's issue live in the issue's closing note, not here.

Usage: ``python bench/soak_worker.py [--minutes 5] [--interval 20] [--controller-at 2] [--modes inproc ray]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from soak import grown, kinds_kib, mappings_kib, memory_kib, slope_per_hour  # noqa: E402

os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

CONFIG = {"env": "CartPole-v1", "framework": "torch", "model": {"fcnet_hiddens": [64, 64]}, "seed": 0,
          "log_sys_usage": False, "rollout_fragment_length": 50, "train_batch_size": 500}
METRICS_EVERY = 200


def controller_weights(weights: dict) -> dict:
    """Weights of the ``[64, 64]`` torch model that balance CartPole: the first hidden unit sums
    ``0.5 * x_dot + 3 * theta + theta_dot`` (scaled into tanh's linear range), the second passes it
    on, and action 1's logit is a large multiple of it; every other weight is zero.

    Examples:
        >>> w = {"default_policy": {"_hidden_layers.0._model.0.weight": np.ones((64, 4), np.float32),
        ...      "_hidden_layers.1._model.0.weight": np.ones((64, 64), np.float32),
        ...      "_logits._model.0.weight": np.ones((2, 64), np.float32)}}
        >>> c = controller_weights(w)["default_policy"]
        >>> [round(float(x), 3) for x in c["_hidden_layers.0._model.0.weight"][0]], float(c["_logits._model.0.weight"].sum())
        ([0.0, 0.15, 0.9, 0.3], 60.0)
    """
    out = {pid: {k: np.zeros_like(v) for k, v in ws.items()} for pid, ws in weights.items()}
    c = out["default_policy"]
    c["_hidden_layers.0._model.0.weight"][0] = 0.3 * np.array([0.0, 0.5, 3.0, 1.0], np.float32)
    c["_hidden_layers.1._model.0.weight"][0, 0] = 1.0
    c["_logits._model.0.weight"][1, 0] = 60.0
    return out


class _Recorder:
    """The capacities the in-process collector grew to, with the time since ``start``."""

    grows: list = []
    start = time.perf_counter()


def _recording_collector():
    from rlcore._backend import TrajectoryCollector

    class RecordingCollector(TrajectoryCollector):
        def _grow(self, cap):
            _Recorder.grows.append([round(time.perf_counter() - _Recorder.start, 1), int(cap)])
            super()._grow(cap)

    return RecordingCollector


def _trainer(num_workers: int, extra: dict):
    from rlcore.registry import get_trainer_class

    logdir = tempfile.mkdtemp(prefix="soak-worker-")

    class DirLogger:
        def __init__(self, _config):
            self.logdir = logdir

    return get_trainer_class("IMPALA")(config={**CONFIG, "num_workers": num_workers, **extra},
                                       logger_creator=DirLogger)


def run(mode: str, minutes: float, interval: float, controller_at: float) -> dict:
    """Drives one worker ``mode`` (``"inproc"`` or ``"ray"``) and samples its memory."""
    import ray

    if mode == "ray" and not ray.is_initialized():
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    rng = np.random.default_rng(0)
    if mode == "inproc":
        trainer = _trainer(0, {"sample_collector": _recording_collector()})
        worker = trainer.workers.local_worker()
        pid = os.getpid()
    else:
        trainer = _trainer(1, {})
        worker = trainer.workers.remote_workers()[0]
        pid = trainer.workers.whereabouts()[1]["pid"]
    base = trainer.workers.local_worker().get_weights()
    balance = controller_weights(base)
    inflight = [worker.sample.remote() for _ in range(2)] if mode == "ray" else []
    samples, batches, longest, last_maps = [], 0, 0, mappings_kib(pid)
    _Recorder.start = start = time.perf_counter()
    next_sample = 0.0
    try:
        while True:
            now = time.perf_counter() - start
            if now >= next_sample:
                maps = mappings_kib(pid)
                samples.append({"t": round(now, 1), "batches": batches, "longest_episode": longest,
                                **memory_kib(pid), "kinds": kinds_kib(maps), "grown": grown(last_maps, maps),
                                "collector_grows": list(_Recorder.grows) if mode == "inproc" else None})
                last_maps, longest = maps, 0
                next_sample += interval
                if now >= minutes * 60:
                    break
            if mode == "inproc":
                batch = worker.sample()
            else:
                ready, _ = ray.wait(inflight, num_returns=1, timeout=120)
                if not ready:
                    raise TimeoutError(f"no sample from the remote worker (pid {pid}) in 120 s")
                ref = ready[0]
                inflight.remove(ref)
                batch = ray.get(ref, timeout=120)
            batches += 1
            longest = max(longest, int(batch["t"].max()) + 1)
            src = balance if now >= controller_at * 60 else base
            weights = {p: {k: (v + rng.normal(0, 1e-3, v.shape)).astype(v.dtype) for k, v in ws.items()}
                       for p, ws in src.items()}
            if mode == "inproc":
                worker.set_weights(weights)
                if batches % METRICS_EVERY == 0:
                    worker.get_metrics()
            else:
                worker.set_weights.remote(weights)
                if batches % METRICS_EVERY == 0:
                    ray.get(worker.get_metrics.remote(), timeout=120)
                inflight.append(worker.sample.remote())
    finally:
        trainer.stop()
    return {"mode": mode, "pid": pid, "minutes": minutes, "controller_at_min": controller_at,
            "summary": summarize(samples), "samples": samples}


def summarize(samples: list) -> dict:
    """RSS (MiB) at the first sample at or after one minute and at the end, growth in between by
    kind of page and by kind of mapping (MiB), and the slope from one minute on (% of that RSS
    per hour).

    Examples:
        >>> s = [{"t": 60.0 * i, "rss": 1024 * (100 + i), "anon": 1024 * (60 + i), "file": 40 * 1024, "shmem": 0,
        ...       "kinds": {"heap": 1024 * i}} for i in range(4)]
        >>> summarize(s)
        {'rss_at_1min_mib': 101.0, 'rss_end_mib': 103.0, 'growth_mib': {'rss': 2.0, 'anon': 2.0, 'file': 0.0, 'shmem': 0.0}, 'growth_by_mapping_mib': {'heap': 2.0}, 'slope_pct_per_h': 59.41}
    """
    warm = [s for s in samples if s["t"] >= 60] or samples[-1:]
    first, last = warm[0], warm[-1]
    growth = {k: round((last[k] - first[k]) / 1024, 2) for k in ("rss", "anon", "file", "shmem")}
    by_mapping = {k: round((last["kinds"][k] - first["kinds"][k]) / 1024, 2) for k in first["kinds"]}
    slope = slope_per_hour([s["t"] for s in warm], [s["rss"] / 1024 for s in warm])
    return {"rss_at_1min_mib": round(first["rss"] / 1024, 2), "rss_end_mib": round(last["rss"] / 1024, 2),
            "growth_mib": growth, "growth_by_mapping_mib": by_mapping,
            "slope_pct_per_h": round(100 * slope / (first["rss"] / 1024), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="run length per mode")
    parser.add_argument("--interval", type=float, default=20.0, help="seconds between memory samples")
    parser.add_argument("--controller-at", type=float, default=2.0, help="minute from which episodes run to 500 steps")
    parser.add_argument("--modes", nargs="+", default=["inproc", "ray"], choices=["inproc", "ray"],
                        help="run in this order; put inproc first to keep Ray out of its process")
    parser.add_argument("--out", default=str(Path(__file__).with_name("results") / "soak_worker.json"))
    args = parser.parse_args()

    import ray

    runs = [run(mode, args.minutes, args.interval, args.controller_at) for mode in args.modes]  # inproc first: no Ray yet
    ray.shutdown()

    print(f"{'mode':7} {'RSS@1min':>9} {'RSS end':>8} {'+RSS':>6} {'+anon':>6} {'+file':>6} {'+shm':>6} {'+heap':>6} "
          f"{'+arena':>6} {'+other anon':>11} {'%RSS/h':>7}  collector grows [s, slots]")
    for r in runs:
        s, g, m = r["summary"], r["summary"]["growth_mib"], r["summary"]["growth_by_mapping_mib"]
        grows = r["samples"][-1]["collector_grows"]
        print(f"{r['mode']:7} {s['rss_at_1min_mib']:9.2f} {s['rss_end_mib']:8.2f} {g['rss']:6.2f} {g['anon']:6.2f} "
              f"{g['file']:6.2f} {g['shmem']:6.2f} {m['heap']:6.2f} {m['arena']:6.2f} {m['anon']:11.2f} "
              f"{s['slope_pct_per_h']:7.2f}  {grows if grows is not None else '-'}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(),
                               "loadavg": open("/proc/loadavg").read().split()[:3], "runs": runs}, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

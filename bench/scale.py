"""Benchmark: driver cost per worker, 1 to 32 Ray rollout workers (issue #18).

A local Ray with 32 logical CPUs (``ray.init(num_cpus=32)``, a cluster of its own even when
another Ray runs on the machine; on a 2-core machine the workers share the cores, so samples/s is
not a scaling result, but the driver's work per item is), a tiny env (CartPole-v1, a random policy: no model) and, per worker count N:

- ``gather_async``: ``parallel_rollouts(mode="async")`` over N workers, fragments of 50 steps,
  for ``--seconds``;
- a full PPO iteration (torch, ``fcnet_hiddens [8]``, one SGD pass): ``train_batch_size`` =
  50 x N, ``--iterations`` iterations after one warm-up.

Measured: env steps/s; the driver's CPU share (process CPU time / wall time) and that share per
worker; and, from a least-squares line ``cpu_share = a + b * N`` over the worker counts, the
count at which the driver saturates one core, ``(1 - a) / b``.

Prints a table and writes ``bench/results/scale.json``.

Usage: ``python bench/scale.py [--workers 1 2 4 8 16 32] [--seconds 5] [--iterations 3]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

FRAGMENT = 50


def cpu_now() -> float:
    """CPU seconds (user + system) of this process so far."""
    t = os.times()
    return t.user + t.system


def saturation(counts: list, shares: list) -> dict:
    """Fits ``share = a + b * n``; returns ``{"a", "b", "saturates_at"}`` (None when b <= 0).

    Examples:
        >>> saturation([1, 2, 4], [0.1, 0.2, 0.4])["saturates_at"]
        10.0
    """
    n = len(counts)
    mc, ms = sum(counts) / n, sum(shares) / n
    var = sum((c - mc) ** 2 for c in counts)
    b = sum((c - mc) * (s - ms) for c, s in zip(counts, shares)) / var if var else 0.0
    a = ms - b * mc
    return {"a": round(a, 4), "b": round(b, 5), "saturates_at": round((1 - a) / b, 1) if b > 0 else None}


def measure(seconds_or_items, run) -> dict:
    wall0, cpu0 = time.perf_counter(), cpu_now()
    steps = run(seconds_or_items)
    wall, cpu = time.perf_counter() - wall0, cpu_now() - cpu0
    return {"steps": steps, "wall_s": round(wall, 3), "steps_per_s": round(steps / wall, 1),
            "driver_cpu_share": round(cpu / wall, 4)}


def bench_gather(n: int, seconds: float) -> dict:
    import gymnasium as gym

    from rlcore.ops.rollout import parallel_rollouts
    from rlcore.policy.random_policy import RandomPolicy
    from rlcore.sampling.worker_set import WorkerSet

    ws = WorkerSet(env_creator=lambda ctx: gym.make("CartPole-v1"), policy_class=RandomPolicy, num_workers=n,
                   trainer_config={"rollout_fragment_length": FRAGMENT, "num_cpus_per_worker": 1,
                                   "worker_timeout_s": 120.0})
    try:
        it = parallel_rollouts(ws, mode="async")
        for _ in range(2 * n):  # warm-up: every worker has answered
            next(it)

        def run(duration):
            steps, end = 0, time.perf_counter() + duration
            while time.perf_counter() < end:
                steps += next(it).count
            return steps

        return measure(seconds, run)
    finally:
        ws.stop()


def bench_ppo(n: int, iterations: int) -> dict:
    from rlcore.algorithms.ppo import PPOTrainer

    logdir = tempfile.mkdtemp(prefix="scale-ppo-")

    class DirLogger:
        def __init__(self, _config):
            self.logdir = logdir

    trainer = PPOTrainer(config={
        "env": "CartPole-v1", "framework": "torch", "num_workers": n, "rollout_fragment_length": FRAGMENT,
        "train_batch_size": FRAGMENT * n, "sgd_minibatch_size": min(128, FRAGMENT * n), "num_sgd_iter": 1,
        "model": {"fcnet_hiddens": [8]}, "log_sys_usage": False, "worker_timeout_s": 120.0, "seed": 0},
        logger_creator=DirLogger)
    try:
        trainer.train()

        def run(count):
            steps = 0
            for _ in range(count):
                steps += trainer.train()["timesteps_this_iter"]
            return steps

        return measure(iterations, run)
    finally:
        trainer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32])
    parser.add_argument("--seconds", type=float, default=5.0, help="gather_async measuring time per count")
    parser.add_argument("--iterations", type=int, default=3, help="PPO iterations measured per count")
    parser.add_argument("--out", default=str(Path(__file__).with_name("results") / "scale.json"))
    args = parser.parse_args()

    import ray

    ray.init(address="local", num_cpus=max(32, max(args.workers)), include_dashboard=False, log_to_driver=False)
    rows = []
    for n in args.workers:
        for kind, result in (("gather_async", bench_gather(n, args.seconds)), ("ppo_iteration", bench_ppo(n, args.iterations))):
            result.update(kind=kind, workers=n, driver_cpu_share_per_worker=round(result["driver_cpu_share"] / n, 4))
            rows.append(result)
            print(f"{kind:14} {n:3d} workers: {result['steps_per_s']:9.1f} steps/s  driver CPU "
                  f"{100 * result['driver_cpu_share']:5.1f}%  per worker {100 * result['driver_cpu_share_per_worker']:5.2f}%",
                  flush=True)
    ray.shutdown()
    fits = {kind: saturation([r["workers"] for r in rows if r["kind"] == kind],
                             [r["driver_cpu_share"] for r in rows if r["kind"] == kind])
            for kind in ("gather_async", "ppo_iteration")}
    print(f"\n{'kind':14} {'workers':>7} {'steps/s':>9} {'driver CPU %':>12} {'% per worker':>12}")
    for r in rows:
        print(f"{r['kind']:14} {r['workers']:7d} {r['steps_per_s']:9.1f} {100 * r['driver_cpu_share']:12.1f} "
              f"{100 * r['driver_cpu_share_per_worker']:12.2f}")
    for kind, fit in fits.items():
        print(f"{kind}: driver CPU share ~ {fit['a']} + {fit['b']} x workers -> one core saturated at "
              f"~{fit['saturates_at']} workers")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(), "fragment": FRAGMENT,
                               "rows": rows, "fits": fits}, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

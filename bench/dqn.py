"""Benchmark: DQN wall time to CartPole 150, and Ape-X vs DQN env steps/s with 2 Ray workers.

1. DQN to 150: CartPole-v1, torch, one process (``num_workers: 0``), seeded, the tuned example's
   ``n_step: 3`` and ``gamma: 0.95`` with a [64] network (``fcnet_hiddens [64]``, ``hiddens [64]``),
   ``lr`` 1e-3, ``train_batch_size`` 32, ``learning_starts`` 500, target update every 500 steps,
   epsilon 1.0 -> 0.02 over 5000 steps, buffer 50000; until the 100-episode mean reaches
   ``--target`` or ``--max-seconds`` pass. SB3's DQN at these settings would run in the same
   process for comparison, but ``stable_baselines3`` is not installed on this machine (no side
   venv), so only rlcore's time is printed.
2. Throughput: Ape-X (2 workers, 1 replay shard, async plan) and DQN (2 workers, bulk-sync
   round-robin plan), the same CartPole network and batch sizes (``rollout_fragment_length`` 4,
   ``train_batch_size`` 32, ``learning_starts`` 1000), each for ``--seconds`` after construction:
   env steps sampled / s and rows trained / s (``num_steps_sampled`` / ``num_steps_trained``).
   Ray gets 2 CPUs (the workers take one each; Ape-X's shard is a 0-CPU actor as in RLlib 1.x).

Prints tables and writes ``bench/results/dqn.json``.

Usage: ``python bench/dqn.py [--target 150] [--max-seconds 180] [--seconds 30] [--seed 0]``
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import tempfile
import time
from pathlib import Path

os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

NET = {"model": {"fcnet_hiddens": [64]}, "hiddens": [64], "framework": "torch", "env": "CartPole-v1",
       "log_sys_usage": False, "min_iter_time_s": 0}
TO_TARGET = dict(NET, num_workers=0, n_step=3, gamma=0.95, lr=1e-3, train_batch_size=32, learning_starts=500,
                 target_network_update_freq=500, buffer_size=50000, timesteps_per_iteration=1000,
                 exploration_config={"type": "EpsilonGreedy", "initial_epsilon": 1.0, "final_epsilon": 0.02,
                                     "epsilon_timesteps": 5000})
THROUGHPUT = dict(NET, num_workers=2, rollout_fragment_length=4, train_batch_size=32, learning_starts=1000,
                  buffer_size=50000, target_network_update_freq=500, timesteps_per_iteration=1000, n_step=3,
                  gamma=0.95, lr=1e-3)
APEX_EXTRA = {"optimizer": {"num_replay_buffer_shards": 1, "max_weight_sync_delay": 100}}


def _logger_creator(results_dir: str):
    """Trial folders in a temporary directory, without TensorBoard files (not ~/ray_results)."""
    def make(config):
        from rlcore.trial_logger import TrialLogger

        return TrialLogger(results_dir, tensorboard=False)

    return make


def dqn_to_target(target: float, max_seconds: float, seed: int, results_dir: str) -> dict:
    from rlcore.algorithms.dqn import DQNTrainer

    t0 = time.perf_counter()
    trainer = DQNTrainer(config=dict(TO_TARGET, seed=seed), logger_creator=_logger_creator(results_dir))
    reached, result = None, {}
    try:
        while time.perf_counter() - t0 < max_seconds:
            result = trainer.train()
            if result["episode_reward_mean"] >= target:
                reached = time.perf_counter() - t0
                break
    finally:
        trainer.stop()
    return {"algo": "DQN (rlcore)", "seconds_to_target": reached, "timesteps": result.get("timesteps_total"),
            "final_reward": result.get("episode_reward_mean")}


def throughput(algo: str, seconds: float, seed: int, results_dir: str) -> dict:
    from rlcore.registry import get_trainer_class

    config = dict(THROUGHPUT, seed=seed, **(APEX_EXTRA if algo == "APEX" else {}))
    t0 = time.perf_counter()
    trainer = get_trainer_class(algo)(config=config, logger_creator=_logger_creator(results_dir))
    result = {}
    try:
        while time.perf_counter() - t0 < seconds:
            result = trainer.train()
    finally:
        wall = time.perf_counter() - t0
        trainer.stop()
    info = result.get("info", {})
    return {"algo": algo, "wall_s": wall, "sampled_per_s": info.get("num_steps_sampled", 0) / wall,
            "trained_per_s": info.get("num_steps_trained", 0) / wall, "final_reward": result.get("episode_reward_mean")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=float, default=150.0)
    parser.add_argument("--max-seconds", type=float, default=180.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    import ray

    load = os.getloadavg()[0]
    sb3 = importlib.util.find_spec("stable_baselines3") is not None
    with tempfile.TemporaryDirectory() as results_dir:
        ours = dqn_to_target(args.target, args.max_seconds, args.seed, results_dir)
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
        rows = [throughput(algo, args.seconds, args.seed, results_dir) for algo in ("APEX", "DQN")]
        ray.shutdown()
    secs = f"{ours['seconds_to_target']:.1f}" if ours["seconds_to_target"] is not None else "not reached"
    print(f"DQN to CartPole-v1 {args.target} (100-episode mean), torch, 1 process (load average at start {load:.2f})")
    print(f"{'algo':14} {'s to target':>12} {'timesteps':>10} {'final reward':>13}")
    print(f"{ours['algo']:14} {secs:>12} {ours['timesteps'] or 0:10d} {ours['final_reward'] or float('nan'):13.1f}")
    print("SB3 DQN: " + ("installed but not wired into this bench" if sb3 else
                         "not measured: stable_baselines3 is not installed on this machine (no side venv)"))
    dqn = next(r for r in rows if r["algo"] == "DQN")
    print(f"\nEnv steps/s, 2 Ray workers (2 CPUs), CartPole-v1, torch, {args.seconds:.0f} s each")
    print(f"{'algo':8} {'sampled/s':>10} {'x DQN':>6} {'trained/s':>10} {'final reward':>13}")
    for r in rows:
        print(f"{r['algo']:8} {r['sampled_per_s']:10.0f} {r['sampled_per_s'] / dqn['sampled_per_s']:6.2f} "
              f"{r['trained_per_s']:10.0f} {r['final_reward'] or float('nan'):13.1f}")
    out = Path(__file__).parent / "results" / "dqn.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"machine": platform.platform(), "load_average": load, "target": args.target,
                               "dqn_to_target": ours, "sb3_installed": sb3, "throughput": rows}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

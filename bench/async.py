"""Benchmark: the asynchronous plan (IMPALA, APPO) against synchronous PPO, 2 Ray workers each.

Each algorithm trains CartPole-v1 with 2 Ray rollout workers x 5 envs, torch, RLlib 1.x's tuned
CartPole model for these algorithms (``fcnet_hiddens [32]`` linear, shared value layers,
``MeanStdFilter``, ``vf_loss_coeff`` 0.01), each algorithm's own defaults otherwise (PPO: the tuned
example's ``lr`` 3e-4 and 6 SGD epochs of 4000-step batches), until the mean return of the last
episodes reaches ``--target`` or ``--max-seconds`` pass. Measured in the same run:

- env steps sampled / s and trained / s over the whole run (``num_steps_sampled`` /
  ``num_steps_trained`` of the result's ``info``, wall clock from trainer construction);
- learner utilisation (IMPALA/APPO): the share of wall time the learner thread spends in
  ``learn_on_batch``, once warm (from the end of the second iteration to the end of the run),
  from its grad timer's total;
- time and env steps to the target.

Goals (issue #13): IMPALA samples >= 1.5x PPO's env steps/s, its learner >= 80% busy once warm.
RLlib 2.60 is not installed on this machine (no side venv), so its time is not measured here.

Prints a table and writes ``bench/results/async.json``.

Usage: ``python bench/async.py [--algos IMPALA APPO PPO] [--target 150] [--max-seconds 120] [--seed 0]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import threading
import time
from pathlib import Path

os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

COMMON = {"env": "CartPole-v1", "framework": "torch", "num_workers": 2, "num_envs_per_worker": 5,
          "observation_filter": "MeanStdFilter", "vf_loss_coeff": 0.01, "log_sys_usage": False,
          "model": {"fcnet_hiddens": [32], "fcnet_activation": "linear", "vf_share_layers": True}}
EXTRA = {"PPO": {"lr": 3e-4, "num_sgd_iter": 6}, "IMPALA": {}, "APPO": {"num_sgd_iter": 1, "vtrace": True}}


def _learner_grad_seconds() -> float:
    """Total seconds the running learner thread has spent in ``learn_on_batch``."""
    from rlcore.ops.learner_thread import LearnerThread

    learners = [t for t in threading.enumerate() if isinstance(t, LearnerThread)]
    return sum(t.grad_timer.total_time for t in learners)


def run(algo: str, target: float, max_seconds: float, seed: int, results_dir: str) -> dict:
    from rlcore.registry import get_trainer_class

    config = {**COMMON, **EXTRA[algo], "seed": seed}
    t0 = time.perf_counter()
    trainer = get_trainer_class(algo)(config=config, logger_creator=_logger_creator(results_dir))
    reached, reached_steps, warm = None, None, None
    result = {}
    while time.perf_counter() - t0 < max_seconds:
        result = trainer.train()
        now = time.perf_counter()
        if result["training_iteration"] == 2:
            warm = (now, _learner_grad_seconds())
        mean = result.get("episode_reward_mean")
        if reached is None and mean is not None and mean == mean and mean >= target:
            reached, reached_steps = now - t0, result["info"]["num_steps_sampled"]
            break
    wall = time.perf_counter() - t0
    busy = None
    if algo != "PPO" and warm is not None:
        busy = (_learner_grad_seconds() - warm[1]) / (time.perf_counter() - warm[0])
    trainer.stop()
    info = result.get("info", {})
    return {"algo": algo, "wall_s": wall, "sampled_per_s": info.get("num_steps_sampled", 0) / wall,
            "trained_per_s": info.get("num_steps_trained", 0) / wall, "learner_busy": busy,
            "seconds_to_target": reached, "steps_to_target": reached_steps,
            "final_reward": result.get("episode_reward_mean")}


def _logger_creator(results_dir: str):
    """Trial folders in a temporary directory, without TensorBoard files (not ~/ray_results)."""
    def make(config):
        from rlcore.trial_logger import TrialLogger

        return TrialLogger(results_dir, tensorboard=False)

    return make


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--algos", nargs="+", default=["IMPALA", "APPO", "PPO"], choices=sorted(EXTRA))
    parser.add_argument("--target", type=float, default=150.0)
    parser.add_argument("--max-seconds", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    import tempfile

    import ray

    ray.init(num_cpus=3, include_dashboard=False, log_to_driver=False)
    load = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory() as results_dir:
        for algo in args.algos:
            rows.append(run(algo, args.target, args.max_seconds, args.seed, results_dir))
    ray.shutdown()
    ppo = next((r for r in rows if r["algo"] == "PPO"), None)
    print(f"CartPole-v1, 2 Ray workers x 5 envs, torch, target {args.target} (load average at start {load:.2f})")
    print(f"{'algo':8} {'sampled/s':>10} {'x PPO':>6} {'trained/s':>10} {'learner busy':>13} {'s to target':>12}"
          f" {'steps to target':>16} {'final reward':>13}")
    for r in rows:
        ratio = r["sampled_per_s"] / ppo["sampled_per_s"] if ppo else float("nan")
        busy = f"{100 * r['learner_busy']:.0f}%" if r["learner_busy"] is not None else "-"
        secs = f"{r['seconds_to_target']:.1f}" if r["seconds_to_target"] is not None else "not reached"
        steps = str(r["steps_to_target"]) if r["steps_to_target"] is not None else "-"
        print(f"{r['algo']:8} {r['sampled_per_s']:10.0f} {ratio:6.2f} {r['trained_per_s']:10.0f} {busy:>13} "
              f"{secs:>12} {steps:>16} {r['final_reward'] or float('nan'):13.1f}")
    print("RLlib 2.60: not installed on this machine (no side venv); not measured.")
    out = Path(__file__).parent / "results" / "async.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"machine": platform.platform(), "load_average": load, "target": args.target,
                               "rows": rows}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

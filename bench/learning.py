"""Benchmark: wall clock and env steps for PPO to reach a mean return of 450 on CartPole-v1.

Two setups at the same hyperparameters, 3 seeds each, median and range printed:

- **embedded**: ``num_workers=0``, the trainer process samples 8 envs itself (no Ray);
- **ray2**: 2 Ray rollout workers with 4 envs each (8 envs in all); ``ray.init`` runs before the
  clock starts.

Hyperparameters (fixed so that peers compare at equal settings): 8 envs, ``train_batch_size``
4000 (``rollout_fragment_length`` 500 per env), ``sgd_minibatch_size`` 128, ``num_sgd_iter`` 6,
``lr`` 3e-4, ``vf_loss_coeff`` 0.01, fcnet [64, 64] tanh, separate value network, GAE lambda 1.0,
gamma 0.99, clip 0.3. torch threads are the product's defaults (:mod:`rlcore.threads`: one intra-op
thread in the driver and in each Ray worker, from ``num_cpus_for_driver`` / ``num_cpus_per_worker``
= 1); nothing here forces them. Wall time counts from trainer construction. "Mean return" is the mean of the last 20 finished episodes, taken
after each training iteration. A run that has not reached the target after ``--max-steps`` env
steps counts as not reached.

The issue quotes two outside figures measured on this machine kind at matched settings:
Stable-Baselines3 reaches 450 in 8.2 s and RLlib 2.60 in 17.1 s. They are printed as ratios for
orientation only; the in-run peer comparison is ray2 / embedded.

Prints a table and writes ``bench/results/learning.json``.

Usage: ``python bench/learning.py [--seeds 0 1 2] [--target 450] [--max-steps 300000] [--modes embedded ray2]
[--vectorize sync|vector_entry_point]`` (the env vectorization: the product's default, or gymnasium's
vectorized CartPole chosen explicitly; issue #7's figures were taken with the latter, then the only path)

``--eager-vs-traced`` runs the TF2 section instead (issue #20 item 4): PG, A2C and PPO from the
project's tuned CartPole YAMLs (``tuned_examples/``: their ``env`` and ``config``, then
``framework: tf2``, ``num_workers: 0``, ``seed``, ``min_iter_time_s: 0`` so an iteration is one
train batch) trained eagerly (no ``eager_tracing``) and with ``eager_tracing: True``, alternating
per round. Each run builds a trainer, runs ``--warmup`` untimed iterations (the traced policy
traces there), then times ``--iters`` iterations (per algorithm, default PG 5, A2C 5, PPO 1: 1000,
1000 and 4000 env steps). It prints env steps/s of each, the eager/traced slow-down (the goal is
<= 3x) and the sampling/learning split from the last result's ``timers`` (window means per
iteration, warm-up included), and writes them under the ``eager_vs_traced`` key of
``bench/results/learning.json`` (the PPO-to-450 keys are kept; each mode rewrites only its own).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

SB3_SECONDS = 8.2
RLLIB_260_SECONDS = 17.1
LAST_EPISODES = 20


def ppo_config(mode: str, seed: int, vectorize: str = "sync") -> dict:
    """The fixed benchmark hyperparameters for one setup and seed."""
    workers, envs = (0, 8) if mode == "embedded" else (2, 4)
    return {
        "env": "CartPole-v1",
        "gym_env_vectorize_mode": vectorize,
        "framework": "torch",
        "seed": seed,
        "num_workers": workers,
        "num_envs_per_worker": envs,
        "rollout_fragment_length": 500,
        "train_batch_size": 4000,
        "sgd_minibatch_size": 128,
        "num_sgd_iter": 6,
        "lr": 3e-4,
        "vf_loss_coeff": 0.01,
        "model": {"fcnet_hiddens": [64, 64], "fcnet_activation": "tanh", "vf_share_layers": False},
        "metrics_smoothing_episodes": LAST_EPISODES,
        "min_iter_time_s": 0,
        "log_level": "ERROR",
    }


def last_episodes_mean(result: dict) -> float:
    """Mean return of the last 20 finished episodes.

    With ``metrics_smoothing_episodes=20`` the result's ``hist_stats.episode_reward`` holds this
    iteration's episodes in order, topped up with earlier ones when fewer than 20 finished.
    """
    rewards = (result.get("hist_stats") or {}).get("episode_reward") or []
    return float("nan") if not rewards else float(sum(rewards[-LAST_EPISODES:]) / len(rewards[-LAST_EPISODES:]))


def run_once(mode: str, seed: int, target: float, max_steps: int, vectorize: str = "sync") -> dict:
    """Trains one PPO trainer until the target; returns seconds, steps and iterations."""
    from rlcore.algorithms.ppo import PPOTrainer

    start = time.perf_counter()
    trainer = PPOTrainer(config=ppo_config(mode, seed, vectorize))
    built = time.perf_counter() - start
    threads = sys.modules["torch"].get_num_threads()
    reached, steps, iterations, ret = False, 0, 0, float("nan")
    try:
        while steps < max_steps:
            result = trainer.train()
            iterations += 1
            steps = int(result["timesteps_total"])
            ret = last_episodes_mean(result)
            if ret >= target:
                reached = True
                break
    finally:
        seconds = time.perf_counter() - start
        trainer.stop()
    return {"mode": mode, "seed": seed, "reached": reached, "seconds": round(seconds, 2), "env_steps": steps,
            "iterations": iterations, "final_return": round(ret, 1), "construct_seconds": round(built, 2),
            "driver_torch_threads": threads}


def summarize(runs: list) -> dict:
    """Median and range of seconds and env steps over the runs that reached the target."""
    ok = [r for r in runs if r["reached"]]
    if not ok:
        return {"reached": 0, "runs": len(runs)}
    secs, steps = [r["seconds"] for r in ok], [r["env_steps"] for r in ok]
    return {"reached": len(ok), "runs": len(runs), "median_seconds": round(statistics.median(secs), 2),
            "min_seconds": min(secs), "max_seconds": max(secs), "median_env_steps": int(statistics.median(steps)),
            "min_env_steps": min(steps), "max_env_steps": max(steps)}


TUNED_YAMLS = {
    "PG": "tuned_examples/pg/cartpole-pg.yaml",
    "A2C": "tuned_examples/a3c/cartpole-a2c.yaml",
    "PPO": "tuned_examples/ppo/cartpole-ppo.yaml",
}
DEFAULT_ITERS = {"PG": 5, "A2C": 5, "PPO": 1}


def tuned_tf2_config(algo: str, traced: bool, seed: int) -> tuple:
    """``(trainer name, config)`` of a tuned CartPole YAML in one process, TF2 eager or traced."""
    from rlcore.cli import _load_yaml

    root = Path(__file__).resolve().parent.parent
    (_, exp), = _load_yaml(str(root / TUNED_YAMLS[algo])).items()
    config = dict(exp.get("config") or {}, env=exp["env"], framework="tf2", eager_tracing=traced, num_workers=0,
                  seed=seed, min_iter_time_s=0, log_level="ERROR")
    return exp["run"], config


def run_tf2(algo: str, traced: bool, seed: int, warmup: int, iters: int) -> dict:
    """Trains one tuned TF2 trainer: ``warmup`` untimed iterations, then ``iters`` timed ones."""
    from rlcore.registry import get_trainer_class

    run, config = tuned_tf2_config(algo, traced, seed)
    trainer = get_trainer_class(run)(config=config)
    try:
        result = {"timesteps_total": 0}
        for _ in range(warmup):
            result = trainer.train()
        steps0, start = int(result["timesteps_total"]), time.perf_counter()
        for _ in range(iters):
            result = trainer.train()
        seconds = time.perf_counter() - start
    finally:
        trainer.stop()
    steps = int(result["timesteps_total"]) - steps0
    timers = result.get("timers") or {}
    sample_ms, learn_ms = float(timers.get("sample_time_ms", 0.0)), float(timers.get("learn_time_ms", 0.0))
    return {"algo": algo, "mode": "traced" if traced else "eager", "seed": seed, "env_steps": steps,
            "seconds": round(seconds, 2), "env_steps_per_s": round(steps / seconds, 1),
            "sample_time_ms": sample_ms, "learn_time_ms": learn_ms,
            "sample_share": round(sample_ms / (sample_ms + learn_ms), 3) if sample_ms + learn_ms else None,
            "loadavg": os.getloadavg()}


def eager_vs_traced(args: argparse.Namespace) -> None:
    """The ``--eager-vs-traced`` section: runs, table, JSON."""
    runs = []
    for algo in args.algos:
        iters = args.iters if args.iters is not None else DEFAULT_ITERS[algo]
        for rnd in range(args.rounds):
            order = (False, True) if rnd % 2 == 0 else (True, False)
            for traced in order:
                run = run_tf2(algo, traced, args.seeds[0], args.warmup, iters)
                runs.append(run)
                print(f"  {algo:4s} {run['mode']:6s} round {rnd}: {run['env_steps']} env steps in {run['seconds']:7.2f} s "
                      f"= {run['env_steps_per_s']:7.1f} steps/s (sample {run['sample_time_ms']:.0f} ms, "
                      f"learn {run['learn_time_ms']:.0f} ms per iteration; load {run['loadavg'][0]:.2f})", flush=True)
    summary = {}
    print()
    print(f"TF2 eager vs eager_tracing, tuned CartPole YAMLs, num_workers 0, seed {args.seeds[0]}, "
          f"{args.rounds} round(s), median steps/s")
    print(f"{'algo':5s} {'eager/s':>9s} {'traced/s':>9s} {'slow-down':>10s} {'goal':>5s} "
          f"{'eager sample%':>14s} {'traced sample%':>15s}")
    for algo in args.algos:
        rows = {m: [r for r in runs if r["algo"] == algo and r["mode"] == m] for m in ("eager", "traced")}
        med = {m: statistics.median(r["env_steps_per_s"] for r in rows[m]) for m in rows}
        share = {m: statistics.median(r["sample_share"] or 0.0 for r in rows[m]) for m in rows}
        slow = med["traced"] / med["eager"]
        summary[algo] = {"eager_env_steps_per_s": med["eager"], "traced_env_steps_per_s": med["traced"],
                         "eager_slowdown": round(slow, 2), "goal_met": slow <= 3.0,
                         "eager_sample_share": share["eager"], "traced_sample_share": share["traced"]}
        print(f"{algo:5s} {med['eager']:9.1f} {med['traced']:9.1f} {slow:9.2f}x {'ok' if slow <= 3.0 else 'MISS':>5s} "
              f"{100 * share['eager']:13.0f}% {100 * share['traced']:14.0f}%")
    load = os.getloadavg()
    path = Path(__file__).resolve().parent / "results" / "learning.json"
    out = json.loads(path.read_text()) if path.exists() else {"benchmark": "learning"}
    out["eager_vs_traced"] = {"runs": runs, "summary": summary, "rounds": args.rounds, "warmup": args.warmup,
                              "yamls": TUNED_YAMLS, "load_average_at_end": load}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2, default=str))
    print(f"wrote the eager_vs_traced key of {path} (load average at end: {load})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--target", type=float, default=450.0)
    parser.add_argument("--max-steps", type=int, default=300_000)
    parser.add_argument("--modes", nargs="+", default=["embedded", "ray2"], choices=["embedded", "ray2"])
    parser.add_argument("--vectorize", default="sync", choices=["sync", "vector_entry_point"],
                        help="gym_env_vectorize_mode: the product's default (sync: 8 CartPole copies in one loop) "
                             "or gymnasium's CartPoleVectorEnv, chosen explicitly")
    parser.add_argument("--eager-vs-traced", action="store_true",
                        help="run the TF2 eager vs eager_tracing section (tuned PG, A2C, PPO) instead of PPO to 450")
    parser.add_argument("--algos", nargs="+", default=list(TUNED_YAMLS), choices=list(TUNED_YAMLS))
    parser.add_argument("--rounds", type=int, default=1, help="eager/traced pairs per algorithm (alternating order)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed iterations before the timed ones")
    parser.add_argument("--iters", type=int, default=None, help="timed iterations (default: PG 5, A2C 5, PPO 1)")
    args = parser.parse_args()
    if args.eager_vs_traced:
        eager_vs_traced(args)
        return

    import torch  # noqa: F401 - imported before the clock starts (its threads are left to the product)

    runs = []
    for mode in args.modes:
        if mode == "ray2":
            import ray

            ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
        try:
            for seed in args.seeds:
                run = run_once(mode, seed, args.target, args.max_steps, args.vectorize)
                runs.append(run)
                print(f"  {mode:9s} seed {seed}: {'reached' if run['reached'] else 'NOT reached'} "
                      f"{run['final_return']:6.1f} in {run['seconds']:6.1f} s, {run['env_steps']} env steps, "
                      f"{run['iterations']} iterations (construction {run['construct_seconds']} s)", flush=True)
        finally:
            if mode == "ray2":
                ray.shutdown()

    summary = {mode: summarize([r for r in runs if r["mode"] == mode]) for mode in args.modes}
    print()
    print(f"PPO CartPole-v1 to mean return {args.target:g} (last {LAST_EPISODES} episodes), seeds {args.seeds}, "
          f"gym_env_vectorize_mode={args.vectorize}")
    print(f"{'setup':10s} {'reached':>8s} {'median s':>9s} {'range s':>15s} {'median steps':>13s} {'range steps':>17s}")
    for mode, s in summary.items():
        if not s.get("reached"):
            print(f"{mode:10s} {'0/' + str(s['runs']):>8s}")
            continue
        print(f"{mode:10s} {str(s['reached']) + '/' + str(s['runs']):>8s} {s['median_seconds']:9.2f} "
              f"{s['min_seconds']:7.2f}-{s['max_seconds']:<7.2f} {s['median_env_steps']:13d} "
              f"{s['min_env_steps']:8d}-{s['max_env_steps']:<8d}")
    ratios = {}
    emb = summary.get("embedded", {})
    if emb.get("reached"):
        ratios["sb3_quoted_over_embedded"] = round(SB3_SECONDS / emb["median_seconds"], 2)
        ratios["rllib260_quoted_over_embedded"] = round(RLLIB_260_SECONDS / emb["median_seconds"], 2)
        if summary.get("ray2", {}).get("reached"):
            ratios["ray2_over_embedded"] = round(summary["ray2"]["median_seconds"] / emb["median_seconds"], 2)
        print(f"quoted SB3 {SB3_SECONDS} s / embedded median = {ratios['sb3_quoted_over_embedded']}x; "
              f"quoted RLlib 2.60 {RLLIB_260_SECONDS} s / embedded median = {ratios['rllib260_quoted_over_embedded']}x")
        if "ray2_over_embedded" in ratios:
            print(f"ray2 / embedded median wall time = {ratios['ray2_over_embedded']}x (same run)")

    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    path = Path(__file__).resolve().parent / "results" / "learning.json"
    out = {"benchmark": "learning", "target": args.target, "seeds": args.seeds, "runs": runs, "summary": summary,
           "ratios": ratios, "settings": ppo_config("embedded", 0, args.vectorize), "load_average_at_end": load,
           "python": platform.python_version(), "machine": platform.machine()}
    if path.exists() and "eager_vs_traced" in (previous := json.loads(path.read_text())):
        out["eager_vs_traced"] = previous["eager_vs_traced"]  # the other section's figures stay
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2, default=str))
    print(f"wrote {path} (load average at end: {load})")


if __name__ == "__main__":
    main()

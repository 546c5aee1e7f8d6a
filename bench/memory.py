"""Benchmark: resident memory of a PPO run with 2 Ray rollout workers (driver and each worker).

PPO on CartPole-v1 (torch, RLlib 1.x's tuned CartPole settings, 2 workers), trained for
``--iterations`` iterations; then the proportional set size (PSS, from
``/proc/<pid>/smaps_rollup``: shared pages split between the processes that map them, so the sum
over processes is what the run costs the machine) and the RSS of the driver and of each rollout
worker process. The framework's own share is shown by the same figures for a bare process that
only imports torch and builds the same model (``baseline``).

The peer is RLlib 2.60's PPO at the same settings (its default new API stack: 2 remote env
runners, the learner in the driver), run afterwards in a subprocess with the side venv's Python
(``.venv-peers``, made by ``bench/peers_venv.sh``; ``ray[rllib]`` is never a project dependency)
and measured the same way. The issue's goal: rlcore's total PSS <= 0.7x RLlib's. Without the side
venv the peer row says "not installed".

Prints a table and writes ``bench/results/memory.json``.

Usage: ``python bench/memory.py [--iterations 5] [--framework torch|tf2]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

from _peers import peer_missing, run_peer

os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

BASELINE = r"""
import os, sys
if sys.argv[1] == "torch":
    import torch
    torch.nn.Sequential(torch.nn.Linear(4, 32), torch.nn.Linear(32, 3))
else:
    import tensorflow as tf
    tf.keras.Sequential([tf.keras.layers.Dense(32), tf.keras.layers.Dense(3)])(tf.zeros((1, 4)))
print(open("/proc/self/smaps_rollup").read())
"""


def memory_mb(pid: int) -> dict:
    """``{"pss": MB, "rss": MB}`` of a process, from ``/proc/<pid>/smaps_rollup``."""
    return _parse_rollup(Path(f"/proc/{pid}/smaps_rollup").read_text())


def _parse_rollup(text: str) -> dict:
    out = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("Pss", "Rss"):
            out[key.lower()] = int(rest.split()[0]) / 1024.0
    return out


#: RLlib 2.60's PPO at the settings of rlcore's run below; prints the smaps_rollup texts as JSON.
RLLIB_PEER = r"""
import json, sys
import ray
from ray.rllib.algorithms.ppo import PPOConfig
iterations, framework = int(sys.argv[1]), sys.argv[2]
ray.init(address="local", num_cpus=3, include_dashboard=False, log_to_driver=False)
config = (PPOConfig().environment("CartPole-v1").framework(framework)
          .env_runners(num_env_runners=2, observation_filter="MeanStdFilter")
          .training(lr=3e-4, num_epochs=6, vf_loss_coeff=0.01,
                    model={"fcnet_hiddens": [32], "fcnet_activation": "linear", "vf_share_layers": True})
          .debugging(seed=0, log_sys_usage=False))
algo = config.build_algo()
for _ in range(iterations):
    algo.train()
pids = algo.env_runner_group.foreach_env_runner(lambda r: __import__("os").getpid(), local_env_runner=False)
texts = {"driver": open("/proc/self/smaps_rollup").read()}
for i, pid in enumerate(pids, 1):
    texts[f"worker {i}"] = open(f"/proc/{pid}/smaps_rollup").read()
print(json.dumps(texts))
algo.stop()
ray.shutdown()
"""


def rllib_peer(iterations: int, framework: str) -> dict | str:
    """RLlib 2.60's per-process memory at the same settings, or why it is not measured."""
    missing = peer_missing("ray.rllib.algorithms.ppo")
    if missing:
        return missing
    texts = run_peer(["-c", RLLIB_PEER, iterations, framework], timeout=900, env={**os.environ, "PYTHONPATH": ""})
    return {name: _parse_rollup(text) for name, text in texts.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--framework", default="torch", choices=["torch", "tf2"])
    args = parser.parse_args()
    import ray

    from rlcore.algorithms.ppo import PPOTrainer
    from rlcore.trial_logger import TrialLogger

    ray.init(address="local", num_cpus=3, include_dashboard=False, log_to_driver=False)
    logdir = tempfile.mkdtemp(prefix="rlcore-memory-")
    trainer = PPOTrainer(config={
        "env": "CartPole-v1", "framework": args.framework, "num_workers": 2, "seed": 0, "lr": 3e-4,
        "num_sgd_iter": 6, "vf_loss_coeff": 0.01, "observation_filter": "MeanStdFilter", "log_sys_usage": False,
        "model": {"fcnet_hiddens": [32], "fcnet_activation": "linear", "vf_share_layers": True}},
        logger_creator=lambda cfg: TrialLogger(logdir, tensorboard=False))
    for _ in range(args.iterations):
        trainer.train()
    pids = [p for p in trainer.workers.foreach_worker(lambda w: os.getpid())[1:]]
    rows = {"driver": memory_mb(os.getpid())}
    for i, pid in enumerate(pids, 1):
        rows[f"worker {i}"] = memory_mb(pid)
    trainer.stop()
    ray.shutdown()
    base = _parse_rollup(subprocess.run([sys.executable, "-c", BASELINE, args.framework], capture_output=True,
                                        text=True, check=True, timeout=300).stdout)
    total = {k: sum(r[k] for r in rows.values()) for k in ("pss", "rss")}
    print(f"PPO, CartPole-v1, 2 Ray workers, {args.framework}, after {args.iterations} iterations (MB)")
    print(f"{'process':>14} {'PSS':>9} {'RSS':>9}")
    for name, r in {**rows, "total": total, "baseline": base}.items():
        print(f"{name:>14} {r['pss']:9.1f} {r['rss']:9.1f}")
    print("baseline: a bare process that imports the framework and builds the same model")
    peer = rllib_peer(args.iterations, args.framework)
    peer_total = None
    if isinstance(peer, str):
        print(f"RLlib 2.60: {peer}; not measured")
        peer = None
    else:
        peer_total = {k: sum(r[k] for r in peer.values()) for k in ("pss", "rss")}
        print("RLlib 2.60 PPO, same settings (MB)")
        for name, r in {**peer, "total": peer_total}.items():
            print(f"{name:>14} {r['pss']:9.1f} {r['rss']:9.1f}")
        print(f"rlcore / RLlib 2.60 total PSS: {total['pss'] / peer_total['pss']:.2f}x (goal <= 0.7x)")
    out = Path(__file__).parent / "results" / "memory.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"machine": platform.platform(), "framework": args.framework,
                               "iterations": args.iterations, "mb": rows, "total_mb": total, "baseline_mb": base,
                               "rllib_2_60_mb": peer, "rllib_2_60_total_mb": peer_total,
                               "pss_ratio_vs_rllib": total["pss"] / peer_total["pss"] if peer_total else None},
                              indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

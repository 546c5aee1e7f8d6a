"""Benchmark: DQN wall time to CartPole 150, and Ape-X vs DQN env steps/s with 2 Ray workers.

1. DQN to 150: CartPole-v1, torch, one process, one torch thread in every contender
   (``torch.set_num_threads(1)``; rlcore's ``framework_threads_for_driver: 1``), ``--seeds`` seeds,
   each contender run until the 100-episode mean reward reaches ``--target`` or ``--max-seconds``
   pass (then "not reached"; medians count a miss as infinite). The clock starts before the
   trainer / model (and env) is built and after the imports. Runs alternate per seed: even seeds
   in the rows' order, odd seeds in the reverse order. Four rows (five with ``--sb3-normc``):

   - ``rlcore DQN (default opts)``: the tuned example: DQN's defaults (dueling, double Q,
     prioritized replay) with ``n_step: 3``, ``gamma: 0.95``, a [64] network (``fcnet_hiddens
     [64]`` with RLlib's default tanh, ``hiddens [64]`` relu), ``lr`` 1e-3, ``train_batch_size`` 32,
     ``learning_starts`` 500, target update every 500 steps, epsilon 1.0 -> 0.02 over 5000 steps,
     buffer 50000.
   - ``rlcore DQN (matched)``: the same with ``prioritized_replay: False``, ``n_step: 1``,
     ``dueling: False``, ``double_q: False`` and ``fcnet_activation: relu``, i.e. the plain DQN
     SB3 implements, with RLlib 1.x's weight initialisation (normc(1.0) in the ``fcnet_hiddens``
     layer, Xavier-uniform in the Q head, zero biases).
   - ``rlcore DQN (matched+init)``: the matched row with the weight initialisation matched too:
     after the trainer is built every ``torch.nn.Linear`` of the policy's model is re-drawn with
     torch's default (``reset_parameters()``: Kaiming-uniform weights, uniform biases, as SB3's
     ``nn.Linear`` layers) and copied into the target network (inside the clock). RLlib 1.x's
     normc stays rlcore's default; only this row changes it, so the two matched rows show what
     the initialisation does to the steps to the target.
   - ``SB3 DQN (matched)``: stable-baselines3's ``DQN("MlpPolicy")`` on gymnasium's CartPole-v1,
     run in a subprocess of the side venv ``.venv-peers`` (``bench/peers_venv.sh``; the row says
     "not installed" without it). The mapping, rlcore -> SB3:

     * network: ``fcnet_hiddens [64]`` + ``hiddens [64]`` (both relu here), linear Q output ->
       ``policy_kwargs net_arch=[64, 64], activation_fn=ReLU`` (4-64-64-2 in both; the weight
       initialisation differs: RLlib's normc vs torch's default);
     * ``lr`` 1e-3 Adam, ``adam_epsilon`` 1e-8 -> ``learning_rate`` 1e-3,
       ``optimizer_kwargs eps=1e-8``;
     * ``grad_clip`` 40 (global norm) -> ``max_grad_norm`` 40; Huber loss in both
       (``smooth_l1_loss``);
     * ``buffer_size`` 50000 -> ``buffer_size`` 50000; ``learning_starts`` 500 -> 500 (SB3 acts
       uniformly at random before it; rlcore epsilon-greedy with epsilon near 1.0);
     * ``train_batch_size`` 32 -> ``batch_size`` 32; ``gamma`` 0.95 -> 0.95;
     * training intensity: ``num_workers: 0``, ``rollout_fragment_length`` 4 and
       ``training_intensity: None`` give round-robin weights [1, 1] (store 4 env steps, then
       one SGD step on 32 replayed rows; natural ratio ``train_batch_size / rollout_fragment_length``
       = 8 replayed rows per sampled step) -> ``train_freq=4`` (steps), ``gradient_steps=1``;
     * ``target_network_update_freq`` 500 (env steps) -> ``target_update_interval`` 500,
       ``tau`` 1.0 (hard copy);
     * epsilon 1.0 -> 0.02 over 5000 steps (``EpsilonGreedy``) -> ``exploration_initial_eps`` 1.0,
       ``exploration_final_eps`` 0.02, ``exploration_fraction`` 5000 / ``total_timesteps``;
     * no n-step, no dueling, no double Q, uniform replay in both;
     * reward window: rlcore's 100-episode ``episode_reward_mean`` checked after each
       1000-step iteration (``timesteps_per_iteration``) -> SB3's ``ep_info_buffer``
       (``stats_window_size`` 100), checked by a callback every 1000 env steps;
     * time limits: both bootstrap through CartPole's 500-step ``TimeLimit`` truncation (SB3 via
       its ``TimeLimit.truncated`` handling, rlcore by masking the target with ``terminateds``
       under its default ``bootstrap_truncated: True``);
     * left unmatched: the weight initialisation in the ``matched`` row (above; matched in the
       ``matched+init`` row) and, in the "default opts" row, the options.

   Why the two matched rows: at these settings rlcore's DQN and SB3's do the same thing per env
   step (checked line by line: epsilon from the sampled-step count, 1.0 -> 0.02 at 5000; first
   SGD step at 500 rows; one SGD step of 32 rows per 4 env steps; hard target copy every ~500
   sampled steps; mean Huber (delta 1); global-norm clip 40; Adam eps 1e-8; float32 rewards and
   observations; uniform replay with replacement; CartPole's truncation bootstrapped, its
   termination not). What differs is the initialisation, and it moves the tail of the
   distribution: with normc some seeds settle for a while on a policy whose episodes last
   ~120-150 steps (the cart drifts out; gamma 0.95 sees ~20 steps ahead) and need several times
   the usual ~18k env steps. SB3 given the same normc/Xavier initialisation (``--sb3-normc``) has
   such seeds too, and rlcore given torch's has fewer; with 5 seeds either row can still draw one.

2. Throughput: Ape-X (2 workers, 1 replay shard, async plan) and DQN (2 workers, bulk-sync
   round-robin plan), the same CartPole network and batch sizes (``rollout_fragment_length`` 4,
   ``train_batch_size`` 32, ``learning_starts`` 1000), each for ``--seconds`` after construction:
   env steps sampled / s and rows trained / s (``num_steps_sampled`` / ``num_steps_trained``).
   Ray gets 2 CPUs (the workers take one each; Ape-X's shard is a 0-CPU actor as in RLlib 1.x).

Prints tables (per contender: median seconds to target, SB3's median / this row's, median env
steps / s of a run with learning included, and each seed's seconds, timesteps and final mean) with
the load average, and writes ``bench/results/dqn.json`` (configs, every run, load averages).

Usage: ``python bench/dqn.py [--target 150] [--max-seconds 120] [--seeds 3] [--seconds 30] [--seed 0]
[--skip-throughput] [--sb3-normc]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

NET = {"model": {"fcnet_hiddens": [64]}, "hiddens": [64], "framework": "torch", "env": "CartPole-v1",
       "log_sys_usage": False, "min_iter_time_s": 0}
TO_TARGET = dict(NET, num_workers=0, framework_threads_for_driver=1, rollout_fragment_length=4, n_step=3, gamma=0.95,
                 lr=1e-3, train_batch_size=32, learning_starts=500,
                 target_network_update_freq=500, buffer_size=50000, timesteps_per_iteration=1000,
                 exploration_config={"type": "EpsilonGreedy", "initial_epsilon": 1.0, "final_epsilon": 0.02,
                                     "epsilon_timesteps": 5000})
THROUGHPUT = dict(NET, num_workers=2, rollout_fragment_length=4, train_batch_size=32, learning_starts=1000,
                  buffer_size=50000, target_network_update_freq=500, timesteps_per_iteration=1000, n_step=3,
                  gamma=0.95, lr=1e-3)
MATCHED = dict(TO_TARGET, prioritized_replay=False, n_step=1, dueling=False, double_q=False, grad_clip=40,
               adam_epsilon=1e-8,
               model={"fcnet_hiddens": [64], "fcnet_activation": "relu"})
ROOT = Path(__file__).resolve().parent.parent
PEERS_PYTHON = ROOT / ".venv-peers" / "bin" / "python"
SB3_TOTAL_TIMESTEPS = 1_000_000  # only sets exploration_fraction; runs stop at the target or the cap
APEX_EXTRA = {"optimizer": {"num_replay_buffer_shards": 1, "max_weight_sync_delay": 100}}
SB3_LABELS = {"torch": "SB3 DQN (matched)", "normc": "SB3 DQN (matched, normc)"}


def _logger_creator(results_dir: str):
    """Trial folders in a temporary directory, without TensorBoard files (not ~/ray_results)."""
    def make(config):
        from rlcore.trial_logger import TrialLogger

        return TrialLogger(results_dir, tensorboard=False)

    return make


def torch_default_init(policy) -> None:
    """Re-draws every ``torch.nn.Linear`` of ``policy.model`` with torch's default initialisation
    (``reset_parameters()``, what SB3's layers get) and copies the model into the target network."""
    import torch

    for module in policy.model.modules():
        if isinstance(module, torch.nn.Linear):
            module.reset_parameters()
    policy.update_target()


def normc_init(model) -> None:
    """RLlib 1.x's initialisation of a plain MLP Q network (``--sb3-normc``): normc(1.0) in the
    first ``torch.nn.Linear`` (the ``fcnet_hiddens`` layer), Xavier-uniform in the others (the Q
    head's ``SlimFC`` layers), zero biases."""
    import torch

    with torch.no_grad():
        for i, layer in enumerate(m for m in model.modules() if isinstance(m, torch.nn.Linear)):
            if i == 0:
                layer.weight.normal_(0, 1)
                layer.weight.mul_(1.0 / layer.weight.pow(2).sum(1, keepdim=True).sqrt())
            else:
                torch.nn.init.xavier_uniform_(layer.weight)
            layer.bias.zero_()


def dqn_to_target(label: str, config: dict, target: float, max_seconds: float, seed: int, results_dir: str,
                  init: str = "rllib") -> dict:
    import torch

    from rlcore.algorithms.dqn import DQNTrainer

    torch.set_num_threads(1)
    t0 = time.perf_counter()
    trainer = DQNTrainer(config=dict(config, seed=seed), logger_creator=_logger_creator(results_dir))
    if init == "torch":
        torch_default_init(trainer.get_policy())
    reached, result = None, {}
    try:
        while time.perf_counter() - t0 < max_seconds:
            result = trainer.train()
            if result["episode_reward_mean"] >= target:
                reached = time.perf_counter() - t0
                break
    finally:
        trainer.stop()
    return {"algo": label, "seed": seed, "seconds_to_target": reached, "timesteps": result.get("timesteps_total"),
            "final_reward": result.get("episode_reward_mean"), "wall_s": time.perf_counter() - t0}


def sb3_child(target: float, max_seconds: float, seed: int, init: str = "torch") -> None:
    """In ``.venv-peers``: SB3's DQN at the matched settings (``init="normc"``: RLlib 1.x's
    initialisation, see :func:`normc_init`); prints one JSON line."""
    import numpy as np
    import torch

    torch.set_num_threads(1)
    import gymnasium as gym
    from stable_baselines3 import DQN
    from stable_baselines3.common.callbacks import BaseCallback

    class StopAtTarget(BaseCallback):
        def __init__(self):
            super().__init__()
            self.reached = None
            self.mean = None

        def _on_step(self) -> bool:
            if self.num_timesteps % TO_TARGET["timesteps_per_iteration"]:
                return True
            buf = self.model.ep_info_buffer
            if buf:
                self.mean = float(np.mean([info["r"] for info in buf]))
                if self.mean >= target:
                    self.reached = time.perf_counter() - t0
                    return False
            return time.perf_counter() - t0 < max_seconds

    c = MATCHED
    eps = c["exploration_config"]
    t0 = time.perf_counter()
    model = DQN("MlpPolicy", gym.make(c["env"]), learning_rate=c["lr"], buffer_size=c["buffer_size"],
                learning_starts=c["learning_starts"], batch_size=c["train_batch_size"], tau=1.0, gamma=c["gamma"],
                train_freq=c["rollout_fragment_length"], gradient_steps=1,
                target_update_interval=c["target_network_update_freq"],
                exploration_fraction=eps["epsilon_timesteps"] / SB3_TOTAL_TIMESTEPS,
                exploration_initial_eps=eps["initial_epsilon"], exploration_final_eps=eps["final_epsilon"],
                max_grad_norm=c["grad_clip"], stats_window_size=100, seed=seed, device="cpu", verbose=0,
                policy_kwargs={"net_arch": [64, 64], "activation_fn": torch.nn.ReLU,
                               "optimizer_kwargs": {"eps": c["adam_epsilon"]}})
    if init == "normc":
        normc_init(model.q_net)
        model.q_net_target.load_state_dict(model.q_net.state_dict())
    callback = StopAtTarget()
    model.learn(total_timesteps=SB3_TOTAL_TIMESTEPS, callback=callback)
    import stable_baselines3

    print(json.dumps({"algo": SB3_LABELS[init], "seed": seed, "seconds_to_target": callback.reached,
                      "timesteps": int(model.num_timesteps), "final_reward": callback.mean,
                      "wall_s": time.perf_counter() - t0, "version": stable_baselines3.__version__,
                      "torch_threads": torch.get_num_threads()}))


def sb3_to_target(target: float, max_seconds: float, seed: int, init: str = "torch") -> dict:
    """SB3's run in a ``.venv-peers`` subprocess (this script with ``--sb3-child``)."""
    row = {"algo": SB3_LABELS[init], "seed": seed, "seconds_to_target": None, "timesteps": None,
           "final_reward": None}
    if not PEERS_PYTHON.exists():
        return dict(row, missing=f"not installed (no {PEERS_PYTHON.relative_to(ROOT)}; bench/peers_venv.sh creates it)")
    out = subprocess.run([str(PEERS_PYTHON), str(Path(__file__).resolve()), "--sb3-child", "--target", str(target),
                          "--max-seconds", str(max_seconds), "--seed", str(seed), "--sb3-init", init],
                         capture_output=True, text=True, cwd=ROOT, timeout=max_seconds + 300)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode or not lines:
        tail = (out.stderr.strip().splitlines() or ["no output"])[-1]
        return dict(row, missing=("not installed: " if "ModuleNotFoundError" in tail else "failed: ") + tail)
    return json.loads(lines[-1])


def _median(runs: list) -> float | None:
    """Median seconds to target over seeds, a miss counting as infinite (None if the median is a miss)."""
    med = statistics.median([r["seconds_to_target"] if r["seconds_to_target"] is not None else float("inf")
                             for r in runs])
    return None if med == float("inf") else med


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
    parser.add_argument("--max-seconds", type=float, default=120.0)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-throughput", action="store_true", help="only the time-to-target table")
    parser.add_argument("--sb3-normc", action="store_true",
                        help="one more row: SB3 with RLlib 1.x's normc/Xavier initialisation")
    parser.add_argument("--sb3-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sb3-init", choices=sorted(SB3_LABELS), default="torch", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sb3_child:
        sb3_child(args.target, args.max_seconds, args.seed, args.sb3_init)
        return
    import ray

    load = os.getloadavg()
    # (label, contender, config, initialisation)
    contenders = [("rlcore DQN (default opts)", "ours", TO_TARGET, "rllib"),
                  ("rlcore DQN (matched)", "ours", MATCHED, "rllib"),
                  ("rlcore DQN (matched+init)", "ours", MATCHED, "torch"),
                  (SB3_LABELS["torch"], "sb3", None, "torch")]
    if args.sb3_normc:
        contenders.append((SB3_LABELS["normc"], "sb3", None, "normc"))
    runs = {label: [] for label, _, _, _ in contenders}
    rows = []
    with tempfile.TemporaryDirectory() as results_dir:
        for seed in range(args.seed, args.seed + args.seeds):
            order = contenders if (seed - args.seed) % 2 == 0 else contenders[::-1]
            for label, kind, config, init in order:
                r = (dqn_to_target(label, config, args.target, args.max_seconds, seed, results_dir, init)
                     if kind == "ours" else sb3_to_target(args.target, args.max_seconds, seed, init))
                runs[label].append(r)
                s = f"{r['seconds_to_target']:.1f} s" if r["seconds_to_target"] is not None else "not reached"
                print(f"  seed {seed} {label:26} {s:>12} {r.get('missing', '')}", flush=True)
        load_mid = os.getloadavg()
        if not args.skip_throughput:
            ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
            rows = [throughput(algo, args.seconds, args.seed, results_dir) for algo in ("APEX", "DQN")]
            ray.shutdown()
    load_end = os.getloadavg()

    def fmt(x):
        return f"{x:.1f}" if x is not None else "not reached"

    print(f"\nDQN to CartPole-v1 {args.target} (100-episode mean), torch, 1 thread, seeds {args.seed}.."
          f"{args.seed + args.seeds - 1}, cap {args.max_seconds:.0f} s (load average 1/5/15 min at start "
          f"{load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f}, after this table {load_mid[0]:.2f}, 2 cores shared)")
    summary = {}
    sb3_med = _median(runs["SB3 DQN (matched)"]) if not any("missing" in r for r in runs["SB3 DQN (matched)"]) else None
    print(f"{'algo':26} {'median s':>11} {'SB3/ours':>9} {'steps/s':>8} {'per seed s':>34} {'timesteps':>34} "
          f"{'final reward':>28}")
    for label, runs_ in runs.items():
        missing = next((r["missing"] for r in runs_ if "missing" in r), None)
        if missing:
            print(f"{label:26} {missing}")
            summary[label] = {"median_seconds_to_target": None, "missing": missing}
            continue
        med = _median(runs_)
        ratio = sb3_med / med if med and sb3_med else None
        per = "/".join(fmt(r["seconds_to_target"]) for r in runs_)
        steps = "/".join(str(r["timesteps"]) for r in runs_)
        rew = "/".join(f"{r['final_reward']:.0f}" if r["final_reward"] is not None else "-" for r in runs_)
        rate = statistics.median(r["timesteps"] / r["wall_s"] for r in runs_)
        print(f"{label:26} {fmt(med):>11} {(f'{ratio:.2f}' if ratio else '-'):>9} {rate:8.0f} {per:>34} {steps:>34} "
              f"{rew:>28}")
        summary[label] = {"median_seconds_to_target": med, "sb3_over_ours": ratio, "median_env_steps_per_s": rate,
                          "reached": sum(r["seconds_to_target"] is not None for r in runs_), "runs": len(runs_)}
    print("(SB3/ours > 1: rlcore reaches the target faster; a miss counts as infinite in the median; steps/s: "
          "median env steps / wall s of a run, learning included)")
    if rows:
        dqn = next(r for r in rows if r["algo"] == "DQN")
        print(f"\nEnv steps/s, 2 Ray workers (2 CPUs), CartPole-v1, torch, {args.seconds:.0f} s each "
              f"(load average at end {load_end[0]:.2f})")
        print(f"{'algo':8} {'sampled/s':>10} {'x DQN':>6} {'trained/s':>10} {'final reward':>13}")
        for r in rows:
            print(f"{r['algo']:8} {r['sampled_per_s']:10.0f} {r['sampled_per_s'] / dqn['sampled_per_s']:6.2f} "
                  f"{r['trained_per_s']:10.0f} {r['final_reward'] or float('nan'):13.1f}")
    out = Path(__file__).parent / "results" / "dqn.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(),
                               "load_average": {"start": load, "after_to_target": load_mid, "end": load_end},
                               "target": args.target, "max_seconds": args.max_seconds,
                               "seeds": list(range(args.seed, args.seed + args.seeds)),
                               "configs": {"rlcore DQN (default opts)": TO_TARGET, "rlcore DQN (matched)": MATCHED,
                                           "rlcore DQN (matched+init)": dict(MATCHED, weight_init="torch default")},
                               "dqn_to_target": summary, "runs": runs, "throughput": rows}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

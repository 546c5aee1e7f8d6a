"""Benchmark: SAC wall time to Pendulum-v1 -250 vs Stable-Baselines3's SAC, and learner updates/s.

1. SAC to ``--target`` (default -250, RLlib's ``tuned_examples/sac/pendulum-sac.yaml``
   criterion): Pendulum-v1, torch, one process, one torch thread, seeded, at the tuned example's
   hyper-parameters for both contenders: [256, 256] ReLU actor and twin critics, Adam 3e-4 for
   actor, critics and entropy, ``tau`` 0.005, ``gamma`` 0.99, batch 256, 256 random warm-up steps,
   one update per env step, automatic entropy (initial alpha 1.0, target ``-dim(A)``), actions
   squashed to [-1, 1] and scaled to the Box. Replay is uniform for both (the tuned example turns
   ``prioritized_replay`` on; SB3 has no prioritized replay, so rlcore runs it off here). The
   target networks move by ``tau`` after every sampled step for both: SB3's
   ``target_update_interval=1``; rlcore's ``target_network_update_freq=0`` (RLlib 1.x's
   ``UpdateTargetNetwork`` updates once *more than* ``freq`` steps have passed since the last
   update, so the tuned example's ``1`` updates every second step, half SB3's rate). The
   criterion for both is the mean return of the last 5 finished episodes (the example's
   ``metrics_smoothing_episodes: 5``), checked at every episode end (rlcore: a callback stamps
   each finished episode; the run stops at the end of that training iteration). The clock starts
   after the imports (torch's included for both: rlcore imports torch only when it builds its
   first torch policy, ~1.2 s of the process's first run here, which SB3's child does before its
   clock), before the trainer / model is built, and stops at the end of the episode that meets the
   criterion; each contender is cut off after ``--max-seconds`` (reported as "not
   reached"). ``--seeds`` gives the seeds (each run ``--repeats`` times); the order alternates
   run by run (the load of a shared machine drifts), and the median run of each (the lower
   median for an even count) is compared (all runs, with their seed, env steps and the load
   average at their start, are in the JSON and the table).
2. Learner updates/s at batch 256: the same networks, single-threaded torch; rlcore's
   ``SACTorchPolicy.learn_on_batch`` on a batch drawn from its replay buffer each update vs SB3's
   ``SAC.train(gradient_steps=N, batch_size=256)`` (which samples its own buffer each step), after
   warm-up updates, both buffers filled with 10000 random Pendulum transitions. ``--rounds``
   rounds alternate between the two (the load of a shared machine drifts); the best round of
   each is compared, and all rounds are in the JSON.
3. Milliseconds per env step of the whole training cycle (act, env step, store, replay sample,
   one update, target update, the loop's own bookkeeping) at the settings of 1., timed over
   ``--cycle-steps`` steps after ``CYCLE_WARMUP`` steps (256 random, then learning) of a fresh
   run (rlcore: whole ``train()`` iterations of 200 steps; SB3: ``learn()`` continued). Rounds
   alternate between the contenders as in 2. (``--rounds``; the best round of each). The env
   steps to the target are the same for every run of a seed (both contenders are seeded and
   deterministic), so on a loaded machine, where 1.'s wall times swing with the load, the
   ``implied`` ratio (mean env steps to target times ms per step, SB3's over rlcore's) is the
   steadier estimate of 1.'s ratio.

Rows 2. and 3. are also timed in CPU time (``time.process_time`` of each contender's process
over the same span: the ``CPU`` columns and the ``cpu_`` ratios). A busy machine deschedules
either contender for stretches that the wall clock counts and the CPU clock does not, so the CPU
figures (and ``implied_cpu_time_to_target_sb3_over_rlcore``) compare the work done per update
and per env step when the load is high; the wall figures remain what a user waits for.

SB3 runs in a subprocess of the side venv ``.venv-peers`` (``stable_baselines3`` there, with its
own torch); when that venv or SB3 is missing the row says "not installed". rlcore runs in this
process. Runs 2 contenders one after the other on a shared machine: the load average at the start
is printed.

4. ``--criteria`` (a separate run): RLlib's tuned examples as shipped, with their replay settings
   (``tuned_examples/ddpg/pendulum-{ddpg,td3}.yaml``, ``tuned_examples/sac/pendulum-sac.yaml``,
   ``tuned_examples/sac/cartpole-sac.yaml``: discrete-action SAC), one thread, in each framework of
   ``--frameworks`` (torch; ``tf2`` runs traced), until their ``stop`` criteria (DDPG -320 within
   30k steps, TD3 -900 within 100k, SAC -250 within 10k, discrete SAC 150 within 100k) or
   ``--max-seconds``; the rows are added to the JSON under ``tuned_criteria``.

Prints a table and writes ``bench/results/continuous.json``.

Usage: ``python bench/continuous.py [--target -250] [--max-seconds 600] [--updates 300] [--rounds 3] [--seeds 0 1 2]
[--repeats 1] [--seed 0] [--cycle-steps 400]``
and ``python bench/continuous.py --criteria [--max-seconds 900] [--frameworks torch tf2]``
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
from typing import Any, Dict, Optional

from _peers import peer_missing, run_peer

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

ROOT = Path(__file__).resolve().parents[1]
WINDOW = 5  # episodes in the reward mean (the tuned example's metrics_smoothing_episodes)
HIDDEN = [256, 256]
LR = 3e-4
BATCH = 256
WARMUP = 256
CYCLE_WARMUP = 400  # env steps of a per-step-cycle round before its clock starts (2 rlcore iterations)

#: rlcore's SAC config: tuned_examples/sac/pendulum-sac.yaml with uniform replay and a target update
#: after every sampled step (see the docstring).
RLCORE_SAC = {
    "env": "Pendulum-v1", "framework": "torch", "num_workers": 0, "framework_threads_for_driver": 1,
    "horizon": 200, "soft_horizon": False, "no_done_at_end": True, "normalize_actions": True,
    "clip_actions": False, "Q_model": {"fcnet_activation": "relu", "fcnet_hiddens": HIDDEN},
    "policy_model": {"fcnet_activation": "relu", "fcnet_hiddens": HIDDEN}, "tau": 0.005, "gamma": 0.99,
    "target_entropy": "auto", "initial_alpha": 1.0, "n_step": 1, "rollout_fragment_length": 1,
    "prioritized_replay": False, "train_batch_size": BATCH, "target_network_update_freq": 0,
    "timesteps_per_iteration": 200, "learning_starts": WARMUP, "buffer_size": 1000000,
    "optimization": {"actor_learning_rate": LR, "critic_learning_rate": LR, "entropy_learning_rate": LR},
    "metrics_smoothing_episodes": WINDOW, "min_iter_time_s": 0, "log_sys_usage": False,
}

# The SB3 child: prints one JSON line. argv: mode ("target", "updates" or "cycle"), seed, target, max_seconds,
# updates (the env steps to time in "cycle" mode).
SB3_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import numpy as np, torch
torch.set_num_threads(1)
import gymnasium as gym
from stable_baselines3 import SAC
from stable_baselines3.common.callbacks import BaseCallback
import stable_baselines3
mode, seed, target, max_seconds, updates = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
HIDDEN, LR, BATCH, WARMUP, WINDOW, CYCLE_WARMUP = %(hidden)r, %(lr)r, %(batch)r, %(warmup)r, %(window)r, %(cycle)r
t0 = time.perf_counter()  # after the imports, as rlcore's clock
env = gym.make("Pendulum-v1")
model = SAC("MlpPolicy", env, learning_rate=LR, buffer_size=1000000, learning_starts=WARMUP, batch_size=BATCH,
            tau=0.005, gamma=0.99, train_freq=1, gradient_steps=1, ent_coef="auto_1.0", target_entropy="auto",
            policy_kwargs={"net_arch": HIDDEN}, seed=seed, device="cpu", verbose=0)
out = {"sb3_version": stable_baselines3.__version__, "torch_version": torch.__version__}
if mode == "target":
    class Stop(BaseCallback):
        def __init__(self):
            super().__init__()
            self.reached, self.returns, self.final = None, [], None
        def _on_step(self):
            for info in self.locals.get("infos", []):
                if "episode" in info:
                    self.returns.append(float(info["episode"]["r"]))
                    if len(self.returns) >= WINDOW:
                        self.final = float(np.mean(self.returns[-WINDOW:]))
                        if self.final >= target:
                            self.reached = time.perf_counter() - t0
                            return False
            return time.perf_counter() - t0 < max_seconds
    cb = Stop()
    model.learn(total_timesteps=10_000_000, callback=cb)
    out.update(seconds_to_target=cb.reached, timesteps=int(model.num_timesteps), final_reward=cb.final,
               wall_s=time.perf_counter() - t0)
elif mode == "cycle":  # "updates" holds the env steps to time
    model.learn(total_timesteps=CYCLE_WARMUP)
    t, c = time.perf_counter(), time.process_time()
    model.learn(total_timesteps=updates, reset_num_timesteps=False)
    out.update(ms_per_step=(time.perf_counter() - t) * 1e3 / updates,
               cpu_ms_per_step=(time.process_time() - c) * 1e3 / updates, steps=updates)
else:
    rng = np.random.default_rng(seed)
    obs, _ = env.reset(seed=seed)
    for _ in range(10000):
        action = env.action_space.sample()
        nxt, reward, term, trunc, _ = env.step(action)
        model.replay_buffer.add(obs[None], nxt[None], (action / 2.0)[None], np.array([reward]), np.array([term]),
                                [{"TimeLimit.truncated": trunc}])
        obs = env.reset()[0] if (term or trunc) else nxt
    model._setup_learn(total_timesteps=1)
    model.train(gradient_steps=20, batch_size=BATCH)
    t, c = time.perf_counter(), time.process_time()
    model.train(gradient_steps=updates, batch_size=BATCH)
    out.update(updates_per_s=updates / (time.perf_counter() - t), cpu_updates_per_s=updates / (time.process_time() - c))
print(json.dumps(out))
""" % {"hidden": HIDDEN, "lr": LR, "batch": BATCH, "warmup": WARMUP, "window": WINDOW, "cycle": CYCLE_WARMUP}


def _logger_creator(results_dir: str):
    """Trial folders in a temporary directory, without TensorBoard files (not ~/ray_results)."""
    def make(config):
        from rlcore.trial_logger import TrialLogger

        return TrialLogger(results_dir, tensorboard=False)

    return make


def _episode_clock(episodes: list):
    """A callbacks class that appends ``(perf_counter, env steps so far, return)`` to ``episodes``
    at every episode end (one env: the steps so far are the summed episode lengths)."""
    from rlcore.sampling.callbacks import DefaultCallbacks

    class EpisodeClock(DefaultCallbacks):
        def on_episode_end(self, *, episode, **kwargs):
            steps = (episodes[-1][1] if episodes else 0) + episode.length
            episodes.append((time.perf_counter(), steps, float(episode.total_reward)))

    return EpisodeClock


def _first_reach(episodes: list, target: float) -> Optional[int]:
    """Index of the first episode whose ``WINDOW``-episode mean return (itself and the ones
    before) is at least ``target``, or None.

    Examples:
        >>> _first_reach([(0, 200, r) for r in (-900, -200, -100, -100, -100, -100)], -250)
        5
    """
    for i in range(WINDOW - 1, len(episodes)):
        if sum(e[2] for e in episodes[i - WINDOW + 1:i + 1]) / WINDOW >= target:
            return i
    return None


def rlcore_to_target(target: float, max_seconds: float, seed: int, results_dir: str) -> Dict[str, Any]:
    """rlcore's SAC until the 5-episode mean reaches ``target`` or ``max_seconds`` pass.

    The criterion is checked at every episode end, as SB3's callback does: a callback stamps each
    finished episode, and the time to target is the stamp of the first episode whose 5-episode
    mean reaches it (``train()`` returns a few steps later, at the end of its iteration)."""
    import torch  # noqa: F401 - imported before the clock, as the SB3 child imports torch before its own

    from rlcore.algorithms.sac import SACTrainer

    t0 = time.perf_counter()  # after the imports, as SB3's clock
    episodes: list = []
    trainer = SACTrainer(config=dict(RLCORE_SAC, seed=seed, callbacks=_episode_clock(episodes)),
                         logger_creator=_logger_creator(results_dir))
    reached = None
    try:
        while time.perf_counter() - t0 < max_seconds:
            trainer.train()
            reached = _first_reach(episodes, target)
            if reached is not None:
                break
    finally:
        wall = time.perf_counter() - t0
        trainer.stop()
    last = reached if reached is not None else len(episodes) - 1
    final = sum(e[2] for e in episodes[last - WINDOW + 1:last + 1]) / WINDOW if last >= WINDOW - 1 else None
    return {"seconds_to_target": None if reached is None else episodes[reached][0] - t0,
            "timesteps": episodes[last][1] if episodes else 0, "final_reward": final, "wall_s": wall}


def rlcore_updates_per_s(updates: int, seed: int) -> Dict[str, Any]:
    """``SACTorchPolicy.learn_on_batch`` at batch 256, one replay sample per update."""
    import gymnasium as gym
    import numpy as np

    from rlcore.algorithms.sac import DEFAULT_CONFIG, SACTorchPolicy
    from rlcore.data import SampleBatch
    from rlcore.data.replay_buffers import ReplayBuffer
    from rlcore.threads import apply_thread_config
    from rlcore.trainer_config import deep_update

    apply_thread_config({"framework": "torch", "framework_threads_for_driver": 1})
    env = gym.make("Pendulum-v1")
    config = deep_update(dict(DEFAULT_CONFIG), {k: v for k, v in RLCORE_SAC.items() if k != "env"}, True,
                         ["Q_model", "policy_model", "optimization"])
    config["seed"] = seed
    policy = SACTorchPolicy(env.observation_space, env.action_space, config)
    rng = np.random.default_rng(seed)
    n = 10000
    obs = rng.uniform(-1, 1, (n, 3)).astype(np.float32)
    buffer = ReplayBuffer(n, seed=seed)
    buffer.add(SampleBatch({"obs": obs, "new_obs": np.roll(obs, -1, 0), "actions": rng.uniform(-1, 1, (n, 1)).astype(np.float32),
                            "rewards": rng.uniform(-16, 0, n).astype(np.float32), "dones": np.zeros(n, bool),
                            "weights": np.ones(n, np.float32)}))
    for _ in range(20):
        policy.learn_on_batch(buffer.sample(BATCH))
    t, c = time.perf_counter(), time.process_time()
    for _ in range(updates):
        policy.learn_on_batch(buffer.sample(BATCH))
    return {"updates_per_s": updates / (time.perf_counter() - t), "cpu_updates_per_s": updates / (time.process_time() - c)}


def rlcore_ms_per_step(steps: int, seed: int, results_dir: str) -> Dict[str, Any]:
    """Milliseconds per env step of ``SACTrainer.train()`` at the settings of the time-to-target
    runs, over whole iterations totalling at least ``steps`` after ``CYCLE_WARMUP`` steps."""
    from rlcore.algorithms.sac import SACTrainer

    trainer = SACTrainer(config=dict(RLCORE_SAC, seed=seed), logger_creator=_logger_creator(results_dir))
    try:
        start = 0
        while start < CYCLE_WARMUP:
            start = trainer.train()["timesteps_total"]
        t, c = time.perf_counter(), time.process_time()
        end = start
        while end - start < steps:
            end = trainer.train()["timesteps_total"]
        return {"ms_per_step": (time.perf_counter() - t) * 1e3 / (end - start),
                "cpu_ms_per_step": (time.process_time() - c) * 1e3 / (end - start), "steps": end - start}
    finally:
        trainer.stop()


#: The tuned examples of ``--criteria`` (paths under tuned_examples/, without ``.yaml``).
TUNED_CRITERIA = ("ddpg/pendulum-ddpg", "ddpg/pendulum-td3", "sac/pendulum-sac", "sac/cartpole-sac")


def tuned_criterion(name: str, framework: str, max_seconds: float, seed: int, results_dir: str) -> Dict[str, Any]:
    """rlcore on a tuned example (``tuned_examples/<name>.yaml``) until its ``stop`` criterion
    (``episode_reward_mean`` reached, or ``timesteps_total`` spent: "not reached") or ``max_seconds``."""
    import yaml

    from rlcore.registry import get_trainer_class

    (exp,) = yaml.safe_load((ROOT / "tuned_examples" / f"{name}.yaml").read_text()).values()
    stop = exp["stop"]
    config = dict(exp["config"], env=exp["env"], framework=framework, seed=seed, framework_threads_for_driver=1,
                  log_sys_usage=False, eager_tracing=framework != "torch")
    t0 = time.perf_counter()
    trainer = get_trainer_class(exp["run"])(config=config, logger_creator=_logger_creator(results_dir))
    reached, result = None, {}
    try:
        while time.perf_counter() - t0 < max_seconds:
            result = trainer.train()
            if result["episode_reward_mean"] >= stop["episode_reward_mean"]:
                reached = time.perf_counter() - t0
                break
            if result["timesteps_total"] >= stop["timesteps_total"]:
                break
    finally:
        wall = time.perf_counter() - t0
        trainer.stop()
    return {"example": name, "framework": framework, "criterion": stop, "seconds_to_target": reached,
            "timesteps": result.get("timesteps_total"), "final_reward": result.get("episode_reward_mean"),
            "wall_s": wall}


def sb3(mode: str, seed: int, target: float, max_seconds: float, updates: int) -> Optional[Dict[str, Any]]:
    """Runs the SB3 child in ``.venv-peers``; ``None`` when that venv or SB3 is missing."""
    if peer_missing("stable_baselines3"):
        return None
    return run_peer(["-c", SB3_CHILD, mode, seed, target, max_seconds, updates], timeout=max_seconds + 300)


def _median_run(runs: list, max_seconds: float) -> Dict[str, Any]:
    """The run with the median time to target, the lower one for an even count (a run that did not
    reach the target counts as ``inf``)."""
    ordered = sorted(runs, key=lambda r: r["seconds_to_target"] if r["seconds_to_target"] is not None else float("inf"))
    return dict(ordered[(len(ordered) - 1) // 2])


def _best_rounds(rounds: list, keys: tuple, best: Any) -> Dict[str, Any]:
    """``{key: best(values), key + "_rounds": values}`` for each of ``keys`` over the rounds'
    result dicts (each key's best round on its own: wall and CPU time may peak in different rounds).

    Examples:
        >>> _best_rounds([{"a": 1.0, "b": 4.0}, {"a": 2.0, "b": 3.0}], ("a", "b"), min)
        {'a': 1.0, 'a_rounds': [1.0, 2.0], 'b': 3.0, 'b_rounds': [4.0, 3.0]}
    """
    out: Dict[str, Any] = {}
    for key in keys:
        values = [r[key] for r in rounds]
        out.update({key: best(values), f"{key}_rounds": values})
    return out


def _fmt(value: Optional[float], spec: str, missing: str) -> str:
    return missing if value is None else format(value, spec)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=float, default=-250.0)
    parser.add_argument("--max-seconds", type=float, default=600.0, help="wall-clock cap per contender")
    parser.add_argument("--updates", type=int, default=300, help="timed learner updates per contender")
    parser.add_argument("--repeats", type=int, default=1, help="time-to-target runs per contender (order alternates)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating updates/s rounds (best one reported)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the updates/s rounds (and of --criteria)")
    parser.add_argument("--seeds", type=int, nargs="+", default=None,
                        help="seeds of the time-to-target runs (default: --seed); each seed runs --repeats times")
    parser.add_argument("--cycle-steps", type=int, default=400,
                        help="env steps timed per ms-per-step round (after CYCLE_WARMUP steps)")
    parser.add_argument("--criteria", action="store_true",
                        help="only the tuned DDPG/TD3/SAC criteria rows, added to the JSON")
    parser.add_argument("--frameworks", nargs="+", default=["torch"], choices=["torch", "tf2"],
                        help="the frameworks of the --criteria rows")
    args = parser.parse_args()
    if args.criteria:
        criteria_main(args)
        return

    load = os.getloadavg()[0]
    seeds = args.seeds if args.seeds is not None else [args.seed]
    # Time to target: each seed --repeats times, the order alternating run by run (rlcore first,
    # then SB3 first, ...) so that neither always meets the same load; the median run of each is
    # compared.
    ours_runs, theirs_runs = [], []
    for r, seed in enumerate(s for s in seeds for _ in range(args.repeats)):
        for who in (("ours", "theirs") if r % 2 == 0 else ("theirs", "ours")):
            start_load = os.getloadavg()[0]
            if who == "ours":
                with tempfile.TemporaryDirectory() as results_dir:
                    ours_runs.append(dict(rlcore_to_target(args.target, args.max_seconds, seed, results_dir),
                                          seed=seed, load_average=start_load))
            else:
                run = sb3("target", seed, args.target, args.max_seconds, args.updates)
                if run is not None:
                    theirs_runs.append(dict(run, seed=seed, load_average=start_load))
            print(f"  {who} seed {seed}: {(ours_runs if who == 'ours' else theirs_runs)[-1]}", flush=True)
    ours = dict(_median_run(ours_runs, args.max_seconds), runs=ours_runs)
    theirs = dict(_median_run(theirs_runs, args.max_seconds), runs=theirs_runs) if theirs_runs else None
    # Updates/s: rounds alternate between the contenders (the machine's load drifts); best round each.
    ours_rounds, theirs_rounds = [], []
    for _ in range(args.rounds):
        ours_rounds.append(rlcore_updates_per_s(args.updates, args.seed))
        run = sb3("updates", args.seed, args.target, args.max_seconds, args.updates)
        if run is not None:
            theirs_rounds.append(run)
    ours_ups = _best_rounds(ours_rounds, ("updates_per_s", "cpu_updates_per_s"), max)
    theirs_ups = _best_rounds(theirs_rounds, ("updates_per_s", "cpu_updates_per_s"), max) if theirs_rounds else None
    # Ms per env step of the whole cycle: rounds alternate, and so does the order within a round.
    ours_cycle, theirs_cycle = [], []
    for r in range(args.rounds):
        for who in (("ours", "theirs") if r % 2 == 0 else ("theirs", "ours")):
            if who == "ours":
                with tempfile.TemporaryDirectory() as results_dir:
                    ours_cycle.append(rlcore_ms_per_step(args.cycle_steps, args.seed, results_dir))
            else:
                run = sb3("cycle", args.seed, args.target, args.max_seconds, args.cycle_steps)
                if run is not None:
                    theirs_cycle.append(run)
    ours_ups.update(_best_rounds(ours_cycle, ("ms_per_step", "cpu_ms_per_step"), min))
    if theirs_ups is not None and theirs_cycle:
        theirs_ups.update(_best_rounds(theirs_cycle, ("ms_per_step", "cpu_ms_per_step"), min))

    print(f"SAC to Pendulum-v1 {args.target:g} ({WINDOW}-episode mean), torch, 1 thread, seeds {seeds} x "
          f"{args.repeats}, cap {args.max_seconds:.0f} s each, (lower) median of {len(ours_runs)} alternating run(s) "
          f"(load average at start {load:.2f})")
    print(f"{'contender':22} {'s to target':>12} {'timesteps':>10} {'final reward':>13} {'updates/s @256':>15} "
          f"{'ms/env step':>12} {'CPU updates/s':>14} {'CPU ms/step':>12}")
    rows = [("rlcore SAC", ours, ours_ups),
            ("SB3 SAC (.venv-peers)", theirs, theirs_ups)]
    for name, run, ups in rows:
        if run is None or ups is None:
            print(f"{name:22} {'not installed':>12}")
            continue
        secs = _fmt(run["seconds_to_target"], ".1f", f"not reached in {args.max_seconds:.0f}")
        print(f"{name:22} {secs:>12} {run['timesteps'] or 0:10d} {_fmt(run['final_reward'], '.1f', 'n/a'):>13} "
              f"{ups['updates_per_s']:15.1f} {_fmt(ups.get('ms_per_step'), '12.2f', 'n/a'):>12} "
              f"{ups['cpu_updates_per_s']:14.1f} {_fmt(ups.get('cpu_ms_per_step'), '12.2f', 'n/a'):>12}")
    for name, run, _ in rows:
        if run is not None and len(run.get("runs", [])) > 1:
            print(f"  {name} runs (seed: s to target / env steps @ load): " + ", ".join(
                f"{r['seed']}: {_fmt(r['seconds_to_target'], '.1f', 'not reached')} / {r['timesteps'] or 0} "
                f"@ {r['load_average']:.1f}" for r in run["runs"]))
    ratios = {}
    if theirs is not None and theirs_ups is not None:
        if ours["seconds_to_target"] and theirs["seconds_to_target"]:
            ratios["time_to_target_sb3_over_rlcore"] = theirs["seconds_to_target"] / ours["seconds_to_target"]
        for clock in ("", "cpu_"):
            ratios[f"{clock}updates_per_s_rlcore_over_sb3"] = (ours_ups[f"{clock}updates_per_s"]
                                                               / theirs_ups[f"{clock}updates_per_s"])
        if "ms_per_step" in theirs_ups:
            for clock in ("", "cpu_"):
                ratios[f"{clock}ms_per_step_sb3_over_rlcore"] = (theirs_ups[f"{clock}ms_per_step"]
                                                                 / ours_ups[f"{clock}ms_per_step"])
            if all(r["seconds_to_target"] is not None for r in ours_runs + theirs_runs):  # steps to the target
                steps = {who: sum(r["timesteps"] for r in runs) / len(runs)
                         for who, runs in (("ours", ours_runs), ("theirs", theirs_runs))}
                for clock in ("", "cpu_"):
                    ratios[f"implied_{clock}time_to_target_sb3_over_rlcore"] = (
                        steps["theirs"] * theirs_ups[f"{clock}ms_per_step"]
                        / (steps["ours"] * ours_ups[f"{clock}ms_per_step"]))
        print("ratios: " + ", ".join(f"{k} {v:.2f}" for k, v in ratios.items()))
    out = ROOT / "bench" / "results" / "continuous.json"
    out.parent.mkdir(exist_ok=True)
    sb3_row = None if theirs is None or theirs_ups is None else {**theirs, **theirs_ups}
    previous = json.loads(out.read_text()) if out.exists() else {}
    kept = {"tuned_criteria": previous["tuned_criteria"]} if "tuned_criteria" in previous else {}  # a --criteria run
    out.write_text(json.dumps({**kept, "machine": platform.platform(), "python": sys.version.split()[0], "load_average": load,
                               "target": args.target, "max_seconds": args.max_seconds, "seed": args.seed,
                               "seeds": seeds, "repeats": args.repeats,
                               "rlcore": {**ours, **ours_ups}, "sb3": sb3_row, "sb3_installed": theirs is not None,
                               "ratios": ratios}, indent=2))
    print(f"wrote {out}")


def criteria_main(args: argparse.Namespace) -> None:
    """``--criteria``: RLlib's tuned DDPG, TD3 and SAC criteria, rlcore, one thread, per framework."""
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as results_dir:
        rows = [tuned_criterion(name, framework, args.max_seconds, args.seed, results_dir)
                for framework in args.frameworks for name in TUNED_CRITERIA]
    print(f"RLlib's tuned criteria, rlcore, 1 thread, seed {args.seed}, cap {args.max_seconds:.0f} s "
          f"each (load average at start {load:.2f})")
    print(f"{'example':22} {'framework':>9} {'criterion':>24} {'s to target':>12} {'timesteps':>10} {'final reward':>13}")
    for r in rows:
        crit = f"{r['criterion']['episode_reward_mean']:g} in {r['criterion']['timesteps_total']}"
        secs = _fmt(r["seconds_to_target"], ".1f", "not reached")
        print(f"{r['example']:22} {r['framework']:>9} {crit:>24} {secs:>12} {r['timesteps'] or 0:10d} "
              f"{_fmt(r['final_reward'], '.1f', 'n/a'):>13}")
    out = ROOT / "bench" / "results" / "continuous.json"
    data = json.loads(out.read_text()) if out.exists() else {}
    data["tuned_criteria"] = {"load_average": load, "max_seconds": args.max_seconds, "rows": rows}
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(data, indent=2))
    print(f"updated {out}")


if __name__ == "__main__":
    main()

"""Benchmark: the asynchronous plan (IMPALA, APPO) against synchronous PPO and RLlib 2.60's IMPALA, 2 workers each.

Each algorithm trains CartPole-v1 with 2 Ray rollout workers x 5 envs, torch, RLlib 1.x's tuned
CartPole model for these algorithms (``fcnet_hiddens [32]`` linear, shared value layers,
``MeanStdFilter``, ``vf_loss_coeff`` 0.01), each algorithm's own defaults otherwise (PPO: the tuned
example's ``lr`` 3e-4 and 6 SGD epochs of 4000-step batches; IMPALA/APPO: ``min_iter_time_s`` 2
instead of 10, so the time to the target is read every 2 s, not every 10 s), until the mean return
of the last episodes reaches ``--target`` (and at least ``--min-iters`` iterations ran, so the
learner is measured warm) or ``--max-seconds`` pass. Measured in the same run:

- env steps sampled / s and trained / s over the whole run (``num_steps_sampled`` /
  ``num_steps_trained`` of the result's ``info``, wall clock from trainer construction);
- learner utilisation (IMPALA/APPO), once warm (from the end of the second iteration to the end
  of the run), two ways:

  * ``learner busy``: the share of wall time the learner thread spends in ``learn_on_batch``
    (its grad timer's total); the issue's goal is >= 80 %;
  * ``trained / ceiling``: the rows/s the learner trained in that window over the rows/s the
    same learner thread trains when it never waits for data: right after the run (sampling
    stopped), its in-queue is filled with train batches the workers sampled and the time to
    learn them is measured (``ceiling rows/s``);

- CPU seconds per wall second of the driver process's threads in that window (from
  ``/proc/self/task``): the trainer's thread (the plan: polling, concatenation, weight
  broadcast, metrics), the learner thread, and the rest (Ray's own threads);
- time and env steps to the target.

On a 2-core machine the 2 sampling workers, the learner and the driver share two cores: the
learner is busy only as long as there is data, and a CartPole SGD step on 500 rows takes a few ms
while sampling them takes tens, so "busy" is bounded by the sampling rate, not by the learner.

RLlib 2.60 (``.venv-peers``, made by ``bench/peers_venv.sh``) runs after ours, in a subprocess with
its own Ray cluster, at matched settings: IMPALA, 2 env runners x 5 envs, fragments of 50,
500-row train batches, lr 5e-4, ``vf_loss_coeff`` 0.01, a [32] linear network with a shared value
layer, a mean/std observation filter, ``min_time_s_per_iteration`` 2; once on its default (new) API
stack (RLModule/Learner, one learner actor as IMPALA's ``num_learners=1`` default) and once on the
old one (``api_stack(False, False)``: a learner thread in the driver, like ours), each for up to
``--peer-max-seconds``. Without the venv the rows say "not installed".

Prints a table and writes ``bench/results/async.json``.

Usage: ``python bench/async.py [--algos IMPALA APPO PPO] [--target 150] [--max-seconds 120] [--seed 0]
[--min-iters 4] [--peer-max-seconds 300] [--peer-stacks new old]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import threading
import time
from pathlib import Path

from _peers import peer_missing, run_peer

os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

COMMON = {"env": "CartPole-v1", "framework": "torch", "num_workers": 2, "num_envs_per_worker": 5,
          "observation_filter": "MeanStdFilter", "vf_loss_coeff": 0.01, "log_sys_usage": False,
          "model": {"fcnet_hiddens": [32], "fcnet_activation": "linear", "vf_share_layers": True}}
EXTRA = {"PPO": {"lr": 3e-4, "num_sgd_iter": 6}, "IMPALA": {"min_iter_time_s": 2},
         "APPO": {"num_sgd_iter": 1, "vtrace": True, "min_iter_time_s": 2}}
CEILING_SECONDS = 3.0
"""How long the learner is timed on a pre-filled queue for its ceiling."""


def _learner_threads() -> list:
    from rlcore.ops.learner_thread import LearnerThread

    return [t for t in threading.enumerate() if isinstance(t, LearnerThread) and t.is_alive()]


def _learner_grad_seconds() -> float:
    """Total seconds the running learner thread has spent in ``learn_on_batch``."""
    return sum(t.grad_timer.total_time for t in _learner_threads())


def _thread_cpu_seconds(native_id: int) -> float:
    """User + system CPU seconds of one thread of this process (Linux ``/proc/self/task/<id>/stat``)."""
    fields = Path(f"/proc/self/task/{native_id}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_snapshot() -> dict:
    """CPU seconds so far: the trainer's (main) thread, the learner thread(s), the whole process."""
    learners = _learner_threads()
    return {"driver": _thread_cpu_seconds(threading.main_thread().native_id),
            "learner": sum(_thread_cpu_seconds(t.native_id) for t in learners),
            "process": time.process_time(), "grad": sum(t.grad_timer.total_time for t in learners),
            "time": time.perf_counter()}


def _learner_ceiling(trainer, seconds: float) -> float:
    """Rows/s the plan's learner thread trains from a pre-filled in-queue, sampling stopped.

    Called between ``train()`` calls, when the plan is not pulled, so no new batches are
    enqueued and the workers go idle once their requests in flight are done. Train batches of
    ``train_batch_size`` are built from fragments the workers sample (as ``ConcatBatches`` does),
    then the in-queue is filled with them and the time until the learner has put one result per
    learning step on its out-queue is measured, in rounds, for ``seconds``.
    """
    import ray

    from rlcore.data import concat_samples

    learner = _learner_threads()[0]
    size = trainer.config["train_batch_size"]
    fragments, rows = [], 0
    while rows < 4 * size:
        for fragment in ray.get([w.sample.remote() for w in trainer.workers.remote_workers()], timeout=120):
            fragments.append(fragment)
            rows += fragment.count
    batches, pending = [], []
    for fragment in fragments:
        pending.append(fragment)
        if sum(f.count for f in pending) >= size:
            batches.append(concat_samples(pending))
            pending = []
    batches = batches[: learner.inqueue.maxsize]
    deadline = time.monotonic() + 60
    while learner.inqueue.qsize() and time.monotonic() < deadline:  # whatever the plan enqueued last
        time.sleep(0.01)
    time.sleep(0.1)  # its last step
    learner._drain_outqueue()  # results the plan did not read; the bench's counters are already taken
    passes = learner.minibatch_buffer.max_ttl
    if learner.minibatch_buffer.size != 1 or learner.minibatch_buffer.cur_max_ttl != passes:
        raise ValueError("the ceiling is measured with minibatch_buffer_size 1, past the buffer's warm-up")
    trained, elapsed = 0, 0.0
    while elapsed < seconds:
        t0 = time.perf_counter()
        for batch in batches:
            learner.inqueue.put(batch, timeout=60)
        for _ in range(len(batches) * passes):
            learner.outqueue.get(timeout=120)
        elapsed += time.perf_counter() - t0
        trained += passes * sum(b.count for b in batches)
    return trained / elapsed


def run(algo: str, target: float, max_seconds: float, seed: int, min_iters: int, results_dir: str) -> dict:
    from rlcore.registry import get_trainer_class

    config = {**COMMON, **EXTRA[algo], "seed": seed}
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    trainer = get_trainer_class(algo)(config=config, logger_creator=_logger_creator(results_dir))
    reached, reached_steps, warm = None, None, None
    result = {}
    while time.perf_counter() - t0 < max_seconds:
        result = trainer.train()
        now = time.perf_counter()
        if result["training_iteration"] == 2:
            warm = (_cpu_snapshot(), result["info"]["num_steps_trained"])
        mean = result.get("episode_reward_mean")
        if reached is None and mean is not None and mean == mean and mean >= target:
            reached, reached_steps = now - t0, result["info"]["num_steps_sampled"]
        if reached is not None and result["training_iteration"] >= min_iters:
            break
    wall = time.perf_counter() - t0
    info = result.get("info", {})
    row = {"algo": algo, "load_at_start": load, "wall_s": wall, "sampled_per_s": info.get("num_steps_sampled", 0) / wall,
           "trained_per_s": info.get("num_steps_trained", 0) / wall, "learner_busy": None,
           "learner_ceiling_rows_per_s": None, "trained_over_ceiling": None, "cpu_per_wall_s": None,
           "seconds_to_target": reached, "steps_to_target": reached_steps,
           "iterations": result.get("training_iteration"), "final_reward": result.get("episode_reward_mean"),
           "timing_breakdown": info.get("timing_breakdown"),
           "learner_queue_size_mean": info.get("learner_queue", {}).get("size_mean")}
    if algo != "PPO" and warm is not None:
        end = _cpu_snapshot()
        span = end["time"] - warm[0]["time"]
        cpu = {k: (end[k] - warm[0][k]) / span for k in ("driver", "learner", "process")}
        cpu["other"] = cpu["process"] - cpu["driver"] - cpu["learner"]
        row["cpu_per_wall_s"] = cpu
        row["learner_busy"] = (end["grad"] - warm[0]["grad"]) / span
        warm_trained_per_s = (info["num_steps_trained"] - warm[1]) / span
        row["learner_ceiling_rows_per_s"] = _learner_ceiling(trainer, CEILING_SECONDS)
        row["trained_over_ceiling"] = warm_trained_per_s / row["learner_ceiling_rows_per_s"]
        row["warm_trained_per_s"] = warm_trained_per_s
    trainer.stop()
    return row


def _logger_creator(results_dir: str):
    """Trial folders in a temporary directory, without TensorBoard files (not ~/ray_results)."""
    def make(config):
        from rlcore.trial_logger import TrialLogger

        return TrialLogger(results_dir, tensorboard=False)

    return make


_PEER_CHILD = "--rllib260-child"


def _rllib260_child(target: float, max_seconds: float, seed: int, stack: str) -> None:
    """In ``.venv-peers``: RLlib 2.60 IMPALA at the matched settings on one API stack; prints one JSON line.

    Args:
        stack: ``"new"``: RLlib 2.60's default (RLModule + Learner, EnvRunner + ConnectorV2; a
            ``MeanStdFilter`` connector; IMPALA's default ``num_learners=1``, one learner actor);
            ``"old"``: ``api_stack(False, False)`` (ModelV2 policies, the learner thread in the
            driver process like rlcore's, ``observation_filter="MeanStdFilter"``).
    """
    import ray
    from ray.rllib.algorithms.impala import IMPALAConfig

    ray.init(address="local", num_cpus=3, include_dashboard=False, log_to_driver=False)
    config = IMPALAConfig().environment("CartPole-v1").framework("torch")
    if stack == "new":
        from ray.rllib.connectors.env_to_module import MeanStdFilter
        from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig

        config = (config
                  .env_runners(num_env_runners=2, num_envs_per_env_runner=5, rollout_fragment_length=50,
                               env_to_module_connector=lambda env, spaces=None, device=None: MeanStdFilter())
                  .training(train_batch_size_per_learner=500, lr=0.0005, vf_loss_coeff=0.01)
                  .rl_module(model_config=DefaultModelConfig(fcnet_hiddens=[32], fcnet_activation="linear",
                                                             vf_share_layers=True)))
    else:
        config = (config
                  .api_stack(enable_rl_module_and_learner=False, enable_env_runner_and_connector_v2=False)
                  .env_runners(num_env_runners=2, num_envs_per_env_runner=5, rollout_fragment_length=50,
                               observation_filter="MeanStdFilter")
                  .resources(num_gpus=0)
                  .training(train_batch_size=500, lr=0.0005, vf_loss_coeff=0.01,
                            model={"fcnet_hiddens": [32], "fcnet_activation": "linear", "vf_share_layers": True}))
    config = config.reporting(min_time_s_per_iteration=2).debugging(seed=seed)
    t0 = time.perf_counter()
    algo = config.build_algo()
    reached, reached_steps, result, mean, sampled, trained = None, None, {}, None, 0, 0
    while time.perf_counter() - t0 < max_seconds:
        result = algo.train()
        runners = result.get("env_runners", {})
        mean = runners.get("episode_return_mean")
        if stack == "new":
            sampled = runners.get("num_env_steps_sampled_lifetime", 0)
            trained = result.get("learners", {}).get("__all_modules__", {}).get("num_env_steps_trained_lifetime", 0)
        else:
            sampled = result.get("num_env_steps_sampled_lifetime", 0)
            trained = result.get("num_env_steps_trained", 0)  # the old stack's lifetime count (no _lifetime key)
        if mean is not None and mean == mean and mean >= target:
            reached, reached_steps = time.perf_counter() - t0, sampled
            break
    wall = time.perf_counter() - t0
    algo.stop()
    ray.shutdown()
    print(json.dumps({"algo": f"RLlib 2.60 IMPALA ({stack} API stack)", "wall_s": wall, "sampled_per_s": sampled / wall,
                      "trained_per_s": trained / wall, "seconds_to_target": reached, "steps_to_target": reached_steps,
                      "iterations": result.get("training_iteration"), "final_reward": mean, "status": "measured"}))


def run_rllib260(target: float, max_seconds: float, seed: int, stack: str) -> dict:
    """RLlib 2.60's IMPALA row, from a ``.venv-peers`` subprocess; "not installed" without the venv."""
    row = {"algo": f"RLlib 2.60 IMPALA ({stack} API stack)", "sampled_per_s": None, "trained_per_s": None,
           "seconds_to_target": None, "steps_to_target": None, "final_reward": None,
           "load_at_start": os.getloadavg()[0]}
    missing = peer_missing("ray.rllib.algorithms.impala")
    if missing:
        return dict(row, status=missing)
    here = Path(__file__).resolve()
    try:
        got = run_peer([here, _PEER_CHILD, "--target", target, "--max-seconds", max_seconds, "--seed", seed,
                        "--peer-stack", stack], timeout=max_seconds + 300,
                       env=dict(os.environ, PYTHONWARNINGS="ignore"), cwd=here.parent)
    except subprocess.TimeoutExpired:
        return dict(row, status=f"timed out after {max_seconds + 300:.0f} s")
    except RuntimeError as err:
        return dict(row, status=f"failed: {str(err).splitlines()[-1]}")
    return dict(row, **got)


def _fmt(value, spec: str, none: str = "-") -> str:
    return none if value is None else format(value, spec)


def _print_table(rows: list, peers: list, target: float) -> None:
    """The rows of our algorithms and of RLlib 2.60 as a text table."""
    ppo = next((r for r in rows if r["algo"] == "PPO"), None)
    print(f"CartPole-v1, 2 Ray workers x 5 envs, torch, target {target} ({os.cpu_count()} cores, shared; 'load': "
          f"1-min load average when each run started)")
    print(f"{'algo':33} {'load':>5} {'sampled/s':>10} {'x PPO':>6} {'trained/s':>10} {'learner busy':>13} {'trained/ceiling':>16}"
          f" {'ceiling rows/s':>15} {'driver/learner/other CPU':>25} {'s to target':>12} {'steps to target':>16}"
          f" {'final reward':>13}")
    for r in rows + peers:
        sampled = r["sampled_per_s"]
        ratio = sampled / ppo["sampled_per_s"] if ppo and ppo["sampled_per_s"] and sampled is not None else None
        busy = _fmt(r.get("learner_busy") and 100 * r["learner_busy"], ".0f")
        over = _fmt(r.get("trained_over_ceiling") and 100 * r["trained_over_ceiling"], ".0f")
        cpu = r.get("cpu_per_wall_s")
        cpu = f"{cpu['driver']:.2f}/{cpu['learner']:.2f}/{cpu['other']:.2f}" if cpu else "-"
        secs = _fmt(r["seconds_to_target"], ".1f", "not reached") if sampled is not None else "-"
        print(f"{r['algo']:33} {_fmt(r.get('load_at_start'), '5.1f'):>5} {_fmt(sampled, '10.0f'):>10} {_fmt(ratio, '6.2f'):>6} "
              f"{_fmt(r['trained_per_s'], '10.0f'):>10} {busy + ('%' if busy != '-' else ''):>13} "
              f"{over + ('%' if over != '-' else ''):>16} {_fmt(r.get('learner_ceiling_rows_per_s'), '.0f'):>15} "
              f"{cpu:>25} {secs:>12} {_fmt(r['steps_to_target'], '.0f'):>16} {_fmt(r['final_reward'], '13.1f'):>13}")
    for peer in peers:
        if peer["status"] != "measured":
            print(f"{peer['algo']}: {peer['status']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--algos", nargs="+", default=["IMPALA", "APPO", "PPO"], choices=sorted(EXTRA))
    parser.add_argument("--target", type=float, default=150.0)
    parser.add_argument("--max-seconds", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--min-iters", type=int, default=4)
    parser.add_argument("--peer-max-seconds", type=float, default=300.0,
                        help="time limit of each RLlib 2.60 run (its workers start slower than ours)")
    parser.add_argument("--peer-stacks", nargs="*", default=["new", "old"], choices=["new", "old"],
                        help="RLlib 2.60 API stacks to run (none: no RLlib 2.60 rows)")
    parser.add_argument(_PEER_CHILD, action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--peer-stack", default="new", choices=["new", "old"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rllib260_child:
        _rllib260_child(args.target, args.max_seconds, args.seed, args.peer_stack)
        return
    import tempfile

    import ray

    ray.init(address="local", num_cpus=3, include_dashboard=False, log_to_driver=False)
    load = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory() as results_dir:
        for algo in args.algos:
            rows.append(run(algo, args.target, args.max_seconds, args.seed, args.min_iters, results_dir))
    ray.shutdown()  # one Ray cluster at a time: the peer starts its own after ours is gone
    peers = [run_rllib260(args.target, args.peer_max_seconds, args.seed, stack) for stack in args.peer_stacks]
    out = Path(__file__).parent / "results" / "async.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"machine": platform.platform(), "cores": os.cpu_count(), "load_average": load,
                               "target": args.target, "rows": rows, "rllib_2_60": peers}, indent=2))
    _print_table(rows, peers, args.target)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

"""The simulated-cluster scenarios of ``test_multi_node.py``, run in a process of their own.

``python _cluster_scenarios.py OUT_DIR`` starts a ``ray.cluster_utils.Cluster`` of 3 nodes on
this machine (3 logical CPUs and a custom resource ``node_<i>`` each), then runs, writing one
JSON line per scenario to stdout:

1. ``spread``: PPO in this process with 3 workers and ``placement_strategy: SPREAD`` (one
   worker per node), while
2. ``cli``: ``rlcore train --ray-address <cluster address>`` (PPO through Ray Tune, 2 workers,
   ``SPREAD``: the trial's placement group puts its driver and 2 workers on the 3 nodes,
   ``recreate_failed_workers``) runs from another process at the same time;
3. ``node_removed``: once the CLI's trial has reported an iteration, the non-head node that
   holds a worker of each run (and not the CLI trial's driver) is removed; each run's lost
   worker is recreated on the remaining nodes and both runs train on;
4. ``pack``: 2 workers with ``PACK`` share one node. This runs while the CLI's trial finishes
   its last iterations (it holds 3 of the 6 CPUs left; the stopped spread trainer freed the
   other 3, 2 of them on one node whatever their split), so the CLI's fixed iteration time is
   not waited out on its own. The ``cli`` report follows when the CLI has finished: its last
   result, and where its rollout workers ran, read from the cluster's actor table (the actors
   of the other job).

Each report carries the scenario's wall time (``seconds``); ``cluster`` reports the time to
start the cluster. A separate process because the pytest process already holds the session's
Ray; the cluster is torn down on the way out, also on failure.
"""

import glob
import json
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")


def report(name, **values):
    print(json.dumps({"scenario": name, **values}), flush=True)


def ppo_config(num_workers, strategy, **overrides):
    return dict(env="CartPole-v1", framework="torch", num_workers=num_workers, num_cpus_per_worker=1,
                placement_strategy=strategy, rollout_fragment_length=20, train_batch_size=20 * num_workers,
                sgd_minibatch_size=20, num_sgd_iter=1, model={"fcnet_hiddens": [8]}, worker_timeout_s=60.0,
                log_sys_usage=False, seed=0, **overrides)


class DirLogger:
    """A logger_creator result that only names the trial folder."""

    def __init__(self, logdir):
        self.logdir = logdir


def nodes_of(trainer):
    return {i: w["node_id"] for i, w in trainer.workers.whereabouts().items()}


CLI_ITERATIONS = 6


def cli_command(address, out_dir):
    """``rlcore train --ray-address`` for PPO: 2 workers, SPREAD, recreate_failed_workers, 6
    iterations of at least 2 s each (a window for the node removal; an iteration is as many
    40-step train batches as fit in it), as a command line."""
    config = ppo_config(2, "SPREAD", recreate_failed_workers=True, min_iter_time_s=2)
    return [sys.executable, "-m", "rlcore.cli", "train", "--run", "PPO", "--env", "CartPole-v1",
            "--ray-address", address, "--local-dir", os.path.join(out_dir, "cli"),
            "--stop", json.dumps({"training_iteration": CLI_ITERATIONS}),
            "--config", json.dumps({k: v for k, v in config.items() if k != "env"})]


def cli_results(out_dir):
    """The results the CLI's trial has written so far (its result.json lines)."""
    paths = glob.glob(os.path.join(out_dir, "cli", "**", "result.json"), recursive=True)
    results = []
    for path in paths:
        with open(path) as f:
            results += [json.loads(line) for line in f if line.strip()]
    return results


def other_job_actors(ray):
    """``[(class name, node id, state)]`` of the actors another job (the CLI) started, dead ones included."""
    own_job = ray.get_runtime_context().get_job_id()
    return [(a["ActorClassName"], a["Address"]["NodeID"], a["State"])
            for a in ray._private.state.actors().values() if a["JobID"] != own_job]  # the GCS actor table


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} within {timeout} s")
        time.sleep(0.2)


def main(out_dir):
    import ray
    from ray.cluster_utils import Cluster

    from rlcore.algorithms.ppo import PPOTrainer

    os.makedirs(out_dir, exist_ok=True)
    start = time.perf_counter()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 3, "resources": {"node_0": 1}})
    cli = None
    try:
        extra = [cluster.add_node(num_cpus=3, resources={f"node_{i}": 1}) for i in (1, 2)]
        ray.init(address=cluster.address, include_dashboard=False, log_to_driver=False)
        node_ids = {n.node_id for n in [cluster.head_node, *extra]}
        report("cluster", nodes=len(ray.nodes()), seconds=round(time.perf_counter() - start, 1))
        logger = {"logger_creator": lambda config: DirLogger(os.path.join(out_dir, "py"))}

        # The CLI's trial (a driver and 2 workers, 1 CPU each, SPREAD) and the spread trainer (3
        # workers, SPREAD) run at the same time, one node removed under both: 6 of the 9 CPUs,
        # and all 6 left after the removal.
        cli_start = time.perf_counter()
        # to files, not pipes: nothing reads the CLI's output until it has finished
        with open(os.path.join(out_dir, "cli_stdout.txt"), "w") as out, \
                open(os.path.join(out_dir, "cli_stderr.txt"), "w") as err:
            cli = subprocess.Popen(cli_command(cluster.address, out_dir), stdout=out, stderr=err, text=True)
        trainer = PPOTrainer(config=ppo_config(3, "SPREAD", recreate_failed_workers=True), **logger)
        try:
            first = trainer.train()
            placed = nodes_of(trainer)
            report("spread", nodes=len(set(placed.values())), cluster_nodes=len(node_ids),
                   on_cluster=set(placed.values()) <= node_ids, timesteps=first["timesteps_total"],
                   seconds=round(time.perf_counter() - cli_start, 1))

            # mid-run for the CLI too: once its trial reported an iteration, remove a node that holds
            # a worker of each run but neither the head node nor the CLI trial's driver
            wait_for(lambda: cli_results(out_dir) or cli.poll() is not None, 120, "CLI result")
            cli_iteration_at_removal = len(cli_results(out_dir))
            alive = [(cls, node) for cls, node, state in other_job_actors(ray) if state == "ALIVE"]
            cli_driver_nodes = {node for cls, node in alive if cls != "RolloutWorker"}
            cli_worker_nodes = {node for cls, node in alive if cls == "RolloutWorker"}
            victim_index, victim_node = next(
                (i, n) for i, n in placed.items()
                if n != cluster.head_node.node_id and n not in cli_driver_nodes and n in cli_worker_nodes)
            removed = next(n for n in extra if n.node_id == victim_node)
            cluster.remove_node(removed)
            removed_at = time.perf_counter()
            results = [trainer.train() for _ in range(2)]
            after = nodes_of(trainer)
            report("node_removed", victim=victim_index, healthy=results[-1]["num_healthy_workers"],
                   victim_moved=after[victim_index] != victim_node,
                   on_remaining=set(after.values()) <= node_ids - {victim_node},
                   timesteps=[first["timesteps_total"]] + [r["timesteps_total"] for r in results],
                   seconds=round(time.perf_counter() - removed_at, 1))
        finally:
            trainer.stop()

        start = time.perf_counter()
        trainer = PPOTrainer(config=ppo_config(2, "PACK"), **logger)
        try:
            result = trainer.train()
            report("pack", nodes=len(set(nodes_of(trainer).values())), timesteps=result["timesteps_total"],
                   seconds=round(time.perf_counter() - start, 1))
        finally:
            trainer.stop()

        cli.wait(timeout=150)
        stdout, stderr = (Path(out_dir, f"cli_{name}.txt").read_text() for name in ("stdout", "stderr"))
        workers = [node for cls, node, _ in other_job_actors(ray) if cls == "RolloutWorker"]
        last = (cli_results(out_dir) or [{}])[-1]
        report("cli", returncode=cli.returncode, stdout=stdout[-3000:], stderr=stderr[-3000:],
               iteration_at_removal=cli_iteration_at_removal, iterations=last.get("training_iteration"),
               timesteps=last.get("timesteps_total"), healthy=last.get("num_healthy_workers"),
               trained=(last.get("info") or {}).get("num_steps_trained"),
               workers=len(workers), on_removed=workers.count(victim_node),
               on_cluster=set(workers) <= node_ids, seconds=round(time.perf_counter() - cli_start, 1))
    finally:
        if cli is not None and cli.poll() is None:
            cli.kill()
            cli.wait()
        ray.shutdown()
        cluster.shutdown()


if __name__ == "__main__":
    main(sys.argv[1])

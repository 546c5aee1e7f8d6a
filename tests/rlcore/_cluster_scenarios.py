"""The simulated-cluster scenarios of ``test_multi_node.py``, run in a process of their own.

``python _cluster_scenarios.py OUT_DIR`` starts a ``ray.cluster_utils.Cluster`` of 3 nodes on
this machine (2 logical CPUs and a custom resource ``node_<i>`` each), then runs, writing one
JSON line per scenario to stdout:

1. ``spread``: PPO with 3 workers and ``placement_strategy: SPREAD`` (one worker per node);
2. ``node_removed``: a non-head node holding a worker is removed mid-run; the worker is
   recreated on the remaining nodes (``recreate_failed_workers``) and training goes on;
3. ``pack``: 2 workers with ``PACK`` share one node;
4. ``cli``: ``rlcore train --ray-address <cluster address>`` (Ray Tune, ``SPREAD``) from
   another process.

A separate process because the pytest process already holds the session's Ray; the cluster
is torn down on the way out, also on failure.
"""

import json
import os
import subprocess
import sys
import time

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


def main(out_dir):
    import ray
    from ray.cluster_utils import Cluster

    from rlcore.algorithms.ppo import PPOTrainer

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 2, "resources": {"node_0": 1}})
    try:
        extra = [cluster.add_node(num_cpus=2, resources={f"node_{i}": 1}) for i in (1, 2)]
        ray.init(address=cluster.address, include_dashboard=False, log_to_driver=False)
        cluster.wait_for_nodes(timeout=60)
        node_ids = {n.node_id for n in [cluster.head_node, *extra]}
        logger = {"logger_creator": lambda config: DirLogger(os.path.join(out_dir, "py"))}

        trainer = PPOTrainer(config=ppo_config(3, "SPREAD", recreate_failed_workers=True), **logger)
        try:
            first = trainer.train()
            placed = nodes_of(trainer)
            report("spread", nodes=len(set(placed.values())), cluster_nodes=len(node_ids),
                   on_cluster=set(placed.values()) <= node_ids, timesteps=first["timesteps_total"])
            victim_index, victim_node = next((i, n) for i, n in placed.items() if n != cluster.head_node.node_id)
            removed = next(n for n in extra if n.node_id == victim_node)
            cluster.remove_node(removed)
            start = time.perf_counter()
            results = [trainer.train() for _ in range(2)]
            after = nodes_of(trainer)
            report("node_removed", victim=victim_index, healthy=results[-1]["num_healthy_workers"],
                   victim_moved=after[victim_index] != victim_node,
                   on_remaining=set(after.values()) <= node_ids - {victim_node},
                   timesteps=[first["timesteps_total"]] + [r["timesteps_total"] for r in results],
                   seconds=round(time.perf_counter() - start, 1))
        finally:
            trainer.stop()

        trainer = PPOTrainer(config=ppo_config(2, "PACK"), **logger)
        try:
            result = trainer.train()
            report("pack", nodes=len(set(nodes_of(trainer).values())), timesteps=result["timesteps_total"])
        finally:
            trainer.stop()

        config = ppo_config(2, "SPREAD")
        command = [sys.executable, "-m", "rlcore.cli", "train", "--run", "PPO", "--env", "CartPole-v1",
                   "--ray-address", cluster.address, "--local-dir", os.path.join(out_dir, "cli"),
                   "--stop", json.dumps({"training_iteration": 2}),
                   "--config", json.dumps({k: v for k, v in config.items() if k != "env"})]
        done = subprocess.run(command, capture_output=True, text=True, timeout=90)
        report("cli", returncode=done.returncode, stdout=done.stdout[-3000:], stderr=done.stderr[-3000:])
    finally:
        ray.shutdown()
        cluster.shutdown()


if __name__ == "__main__":
    main(sys.argv[1])

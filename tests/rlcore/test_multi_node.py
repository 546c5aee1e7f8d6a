"""Multi-node on a simulated cluster (issue #18): placement, a lost node, and the CLI joining it.

The cluster (``ray.cluster_utils.Cluster``, 3 nodes on this machine) runs in a process of its
own (``_cluster_scenarios.py``): this pytest process already holds the session's Ray, and one
process can join only one cluster. The scenarios run once for the module; each test checks one.
One node removal hits two runs at once: a trainer in the scenario process and a
``rlcore train --ray-address`` run (Ray Tune) in another; both finish on the remaining nodes.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

SCENARIOS = Path(__file__).with_name("_cluster_scenarios.py")


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory):
    """``{name: report}`` of every scenario, from one run of the cluster process."""
    out = tmp_path_factory.mktemp("cluster")
    done = subprocess.run([sys.executable, str(SCENARIOS), str(out)], capture_output=True, text=True, timeout=240,
                          cwd=Path(__file__).parents[2])
    reports = {}
    for line in done.stdout.splitlines():
        if line.startswith('{"scenario"'):
            report = json.loads(line)
            reports[report.pop("scenario")] = report
    assert done.returncode == 0, f"cluster scenarios failed ({done.returncode}): {done.stderr[-3000:]}"
    return reports


@pytest.mark.timeout(300)
def test_spread_places_one_worker_per_node(scenarios):
    spread = scenarios["spread"]
    assert spread["cluster_nodes"] == 3 and spread["nodes"] == 3 and spread["on_cluster"]
    assert spread["timesteps"] == 60


@pytest.mark.timeout(300)
def test_a_removed_node_s_worker_is_recreated_on_the_others_and_training_goes_on(scenarios):
    removed = scenarios["node_removed"]
    assert removed["healthy"] == 3
    assert removed["victim_moved"] and removed["on_remaining"]
    assert removed["timesteps"] == [60, 120, 180]


@pytest.mark.timeout(300)
def test_pack_places_the_workers_on_one_node(scenarios):
    pack = scenarios["pack"]
    assert pack["nodes"] == 1 and pack["timesteps"] == 40


@pytest.mark.timeout(300)
def test_the_cli_trains_on_the_cluster_through_ray_address_and_survives_the_node_removal(scenarios):
    cli = scenarios["cli"]
    assert cli["returncode"] == 0, cli["stderr"]
    assert re.search(r"TERMINATED\s+iter\s+6\s", cli["stdout"]), cli["stdout"]
    # the node went mid-run: after the trial's first reported iteration, before its last
    assert 1 <= cli["iteration_at_removal"] < 6
    # its 2 rollout workers, and the one recreated for the worker lost with the node, were actors of
    # this cluster (another job's, in its actor table); the run ended with 2 healthy workers
    assert cli["workers"] == 3 and cli["on_removed"] == 1 and cli["on_cluster"]
    assert cli["iterations"] == 6 and cli["healthy"] == 2
    # whole 40-step train batches, each trained on once (PPO's exact counters)
    assert cli["timesteps"] == cli["trained"] and cli["timesteps"] % 40 == 0 and cli["timesteps"] >= 6 * 40

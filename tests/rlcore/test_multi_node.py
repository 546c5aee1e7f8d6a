"""Multi-node on a simulated cluster (issue #18): placement, a lost node, and the CLI joining it.

The cluster (``ray.cluster_utils.Cluster``, 3 nodes on this machine) runs in a process of its
own (``_cluster_scenarios.py``): this pytest process already holds the session's Ray, and one
process can join only one cluster. The scenarios run once for the module; each test checks one.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCENARIOS = Path(__file__).with_name("_cluster_scenarios.py")


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory):
    """``{name: report}`` of every scenario, from one run of the cluster process."""
    out = tmp_path_factory.mktemp("cluster")
    done = subprocess.run([sys.executable, str(SCENARIOS), str(out)], capture_output=True, text=True, timeout=150,
                          cwd=Path(__file__).parents[2])
    reports = {}
    for line in done.stdout.splitlines():
        if line.startswith('{"scenario"'):
            report = json.loads(line)
            reports[report.pop("scenario")] = report
    assert done.returncode == 0, f"cluster scenarios failed ({done.returncode}): {done.stderr[-3000:]}"
    return reports


@pytest.mark.timeout(180)
def test_spread_places_one_worker_per_node(scenarios):
    spread = scenarios["spread"]
    assert spread["cluster_nodes"] == 3 and spread["nodes"] == 3 and spread["on_cluster"]
    assert spread["timesteps"] == 60


@pytest.mark.timeout(180)
def test_a_removed_node_s_worker_is_recreated_on_the_others_and_training_goes_on(scenarios):
    removed = scenarios["node_removed"]
    assert removed["healthy"] == 3
    assert removed["victim_moved"] and removed["on_remaining"]
    assert removed["timesteps"] == [60, 120, 180]


@pytest.mark.timeout(180)
def test_pack_places_the_workers_on_one_node(scenarios):
    assert scenarios["pack"] == {"nodes": 1, "timesteps": 40}


@pytest.mark.timeout(180)
def test_the_cli_trains_on_the_cluster_through_ray_address(scenarios):
    cli = scenarios["cli"]
    assert cli["returncode"] == 0, cli["stderr"]
    assert "TERMINATED" in cli["stdout"] or "TERMINATED" in cli["stderr"], cli["stdout"]

"""Importing and running the in-process dataflow imports neither Ray nor an ML framework."""

import subprocess
import sys

PROGRAM = """
import sys
import rlcore.dataflow as d
from rllib_compat.util import iter, iter_metrics
it = d.from_range(6, num_shards=2, backend="inprocess").for_each(lambda x: x + 1).gather_async()
assert sorted(it.union(d.from_items([0], num_shards=1).gather_sync())) == [0, 1, 2, 3, 4, 5, 6]
it.explain()
print(sorted(m for m in ("ray", "torch", "tensorflow") if m in sys.modules))
"""


def test_in_process_dataflow_does_not_import_ray_or_frameworks():
    out = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"

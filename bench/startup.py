"""Benchmark: start-up, from ``import`` to the first finished ``train()`` iteration, embedded.

Each framework (torch, TF2 traced, TF2 eager) runs in fresh Python processes (``--repeats`` of
them, the median taken), which time their phases with ``time.perf_counter``:

1. ``interpreter``: an empty ``python -c pass`` (measured separately, same repeats);
2. ``import rlcore``: ``import rlcore.algorithms.ppo`` (imports neither torch nor TF);
3. ``import framework``: ``import torch`` / ``import tensorflow`` (the framework's own cost);
4. ``framework first use``: the first optimizer rlcore builds, on one scalar variable
   (torch: :func:`rlcore.policy.torch_optim.adam`, a ``torch.optim.Adam`` that does not import
   ``torch._dynamo``, which ``torch.optim.Adam`` itself does on first use, about 1 s;
   ``tf.keras.optimizers.Adam``: Keras), which otherwise lands in whichever phase builds the
   first optimizer;
5. ``import ray.tune``: Ray and Tune's own import (``Trainer`` is a Tune ``Trainable``, as in
   RLlib 1.x), about 0.8 s of which pandas and ``ray.data`` are most;
6. ``build trainer``: ``PPOTrainer(config)`` (policy, model, optimizer, worker, first trace);
7. ``first train()``: one iteration of a small batch (200 steps, one SGD pass): the fixed cost of
   an iteration (sampler set-up, first calls of the loss), not training work.

"Our time" is ``import rlcore`` + ``build trainer`` + ``first train()``, the issue's goal being
< 2 s for torch beyond the framework's import; "with ray.tune" adds Ray's import, which an
embedded run pays too. The ratio column divides our time by the framework import measured in the
same run.
Also listed: rlcore's slowest own modules under ``python -X importtime`` (cumulative microseconds).

Prints a table and writes ``bench/results/startup.json``. Run on a quiet machine; the load average
at the start is recorded.

Usage: ``python bench/startup.py [--repeats 5] [--frameworks torch tf2 tf2-eager]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

CHILD = r"""
import json, os, sys, time
t0 = time.perf_counter()
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
import rlcore.algorithms.ppo as ppo
t1 = time.perf_counter()
fw = sys.argv[1]
if fw == "torch":
    import torch
else:
    import tensorflow
t2 = time.perf_counter()
if fw == "torch":
    from rlcore.policy.torch_optim import adam
    adam([torch.zeros(1, requires_grad=True)], lr=1e-3).step()
else:
    tensorflow.keras.optimizers.Adam(1e-3).build([tensorflow.Variable(0.0)])
t2a = time.perf_counter()
import ray.tune
t2b = time.perf_counter()
config = {"env": "CartPole-v1", "num_workers": 0, "train_batch_size": 200, "rollout_fragment_length": 200,
          "sgd_minibatch_size": 200, "num_sgd_iter": 1, "seed": 0,
          "framework": "torch" if fw == "torch" else "tf2", "eager_tracing": fw == "tf2"}
import tempfile
from rlcore.trial_logger import TrialLogger
logdir = tempfile.mkdtemp(prefix="rlcore-startup-")  # not ~/ray_results
trainer = ppo.PPOTrainer(config=config, logger_creator=lambda cfg: TrialLogger(logdir, tensorboard=False))
t3 = time.perf_counter()
result = trainer.train()
t4 = time.perf_counter()
assert result["timesteps_total"] >= 200
trainer.stop()
print(json.dumps({"import rlcore": t1 - t0, "import framework": t2 - t1, "framework first use": t2a - t2,
                  "import ray.tune": t2b - t2a, "build trainer": t3 - t2b,
                  "first train()": t4 - t3}))
"""

PHASES = ["interpreter", "import rlcore", "import framework", "framework first use", "import ray.tune",
          "build trainer", "first train()"]


def _run(args: list, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=600, check=True)


def interpreter_seconds(repeats: int, env: dict) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        _run([sys.executable, "-c", "pass"], env)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def phases(framework: str, repeats: int, env: dict) -> dict:
    runs = [json.loads(_run([sys.executable, "-c", CHILD, framework], env).stdout.strip().splitlines()[-1])
            for _ in range(repeats)]
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def own_slowest_imports(env: dict, top: int = 8) -> list:
    """rlcore's own modules by cumulative import time (``-X importtime``), for ``import rlcore.algorithms.ppo``."""
    out = _run([sys.executable, "-X", "importtime", "-c", "import rlcore.algorithms.ppo"], env).stderr
    rows = []
    for line in out.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = [p.strip() for p in line[len("import time:"):].split("|")]
        if len(parts) == 3 and parts[1].isdigit() and parts[2].lstrip().startswith("rlcore"):
            rows.append((parts[2].strip(), int(parts[1])))
    return sorted(rows, key=lambda r: -r[1])[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--frameworks", nargs="+", default=["torch", "tf2", "tf2-eager"],
                        choices=["torch", "tf2", "tf2-eager"])
    args = parser.parse_args()
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0", TF_CPP_MIN_LOG_LEVEL="2")
    load = os.getloadavg()[0]
    interp = interpreter_seconds(args.repeats, env)
    table = {}
    for fw in args.frameworks:
        p = phases(fw, args.repeats, env)
        own = p["import rlcore"] + p["build trainer"] + p["first train()"]
        framework = p["import framework"] + p["framework first use"]
        table[fw] = {"interpreter": interp, **p, "our time": own, "with ray.tune": own + p["import ray.tune"],
                     "total": interp + framework + own + p["import ray.tune"],
                     "our time / framework import": own / p["import framework"]}
    imports = own_slowest_imports(env)

    cols = PHASES + ["our time", "with ray.tune", "total", "our time / framework import"]
    width = max(map(len, cols)) + 2
    print(f"start-up to the first train() (s, median of {args.repeats} processes; load average {load:.2f})")
    print(f"{'':>{width}}" + "".join(f"{fw:>11}" for fw in table))
    for c in cols:
        print(f"{c:>{width}}" + "".join(f"{row[c]:>11.3f}" for row in table.values()))
    print("\nrlcore's slowest own imports (cumulative us, import rlcore.algorithms.ppo):")
    for name, us in imports:
        print(f"  {us:>9}  {name}")
    out = Path(__file__).parent / "results" / "startup.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"load_average": load, "repeats": args.repeats, "python": platform.python_version(),
                               "seconds": table, "slowest_own_imports_us": imports}, indent=2))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()

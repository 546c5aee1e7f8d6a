"""Benchmark of ``Policy.compute_actions`` against a bare forward + sample, same framework, same run.

- torch (1 thread): ``TorchPolicy.compute_actions`` vs the same model's layers called directly on
  a tensor, plus ``torch.distributions.Categorical(logits).sample()`` and the ``.numpy()`` of the
  actions; at batch 1 and 64. Goal: at most 1.5x the bare call. The note also gives the ratio
  to a tight bare call that samples with the Gumbel-max draw ``TorchCategorical`` uses (about
  100 µs cheaper per call than ``torch.distributions`` on these CPUs).
- TensorFlow 2: ``TFPolicy.compute_actions`` eager and with ``eager_tracing`` vs the bare
  forward + ``tf.random.categorical`` eager and inside ``tf.function``.

Both policies use the default model for a 4-float observation and 2 actions (fully connected
256x256, tanh, as RLlib's MODEL_DEFAULTS). Prints a table and writes ``bench/results/policy.json``.
Each figure is the best mean of several repeats, the contenders timed in alternation (these
machines are shared; compare ratios).

Usage: ``python bench/policy.py [--quick]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import gymnasium as gym  # noqa: E402
import numpy as np  # noqa: E402

OBS = gym.spaces.Box(-1.0, 1.0, (4,), dtype=np.float32)
ACT = gym.spaces.Discrete(2)


def paired_best(fns, number: int, repeat: int = 7) -> list:
    """Best mean seconds per call of each function, timed in alternation (shared, noisy machines:
    load that comes and goes then hits every function alike)."""
    for fn in fns:
        for _ in range(max(3, number // 10)):
            fn()
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            best[i] = min(best[i], (time.perf_counter() - t0) / number)
    return best


def loss_torch(policy, model, dist_class, train_batch):
    import torch

    logits, _ = model.from_batch(train_batch)
    return -torch.mean(dist_class(logits, model).logp(train_batch["actions"]) * train_batch["rewards"])


def loss_tf(policy, model, dist_class, train_batch):
    import tensorflow as tf

    logits, _ = model.from_batch(train_batch)
    return -tf.reduce_mean(dist_class(logits, model).logp(train_batch["actions"]) * train_batch["rewards"])


def bench_torch(rows, quick):
    import torch

    from rlcore.policy.torch_policy_template import build_torch_policy
    from rlcore.threads import apply_thread_config

    apply_thread_config({"framework": "torch"})  # the driver's defaults, as a Trainer sets them
    policy = build_torch_policy("BenchTorch", loss_fn=loss_torch)(OBS, ACT, {})
    model = policy.model

    for batch in (1, 64):
        obs = np.random.default_rng(0).uniform(-1, 1, (batch, 4)).astype(np.float32)
        number = 300 if quick else 2000

        def bare(obs=obs):
            with torch.no_grad():
                x = torch.from_numpy(obs)
                logits, _ = model.forward({"obs": x, "obs_flat": x}, [], None)
                return torch.distributions.Categorical(logits=logits).sample().numpy()

        def bare_tight(obs=obs):
            with torch.no_grad():
                x = torch.from_numpy(obs)
                logits, _ = model.forward({"obs": x, "obs_flat": x}, [], None)
                e = torch.empty_like(logits).exponential_().clamp_min_(torch.finfo(logits.dtype).tiny)
                return torch.argmax(logits - e.log_(), dim=-1).numpy()

        def full(obs=obs):
            return policy.compute_actions(obs)

        t_bare, t_tight, t_full = paired_best([bare, bare_tight, full], number // 4)
        rows.append({"framework": "torch", "case": f"compute_actions B={batch}", "bare_us": t_bare * 1e6,
                     "policy_us": t_full * 1e6, "ratio": t_full / t_bare, "goal": 1.5,
                     "bare_tight_us": t_tight * 1e6, "ratio_tight": t_full / t_tight})


def bench_tf(rows, quick):
    import tensorflow as tf

    from rlcore.policy.tf_policy_template import build_tf_policy

    P = build_tf_policy("BenchTF", loss_fn=loss_tf)
    eager = P(OBS, ACT, {})
    traced = P(OBS, ACT, {"eager_tracing": True})
    model = eager.model

    def bare_step(x):
        logits, _ = model.forward({"obs": x, "obs_flat": x}, [], None)
        return tf.random.categorical(logits, 1)[:, 0]

    bare_traced_fn = tf.function(bare_step, reduce_retracing=True)
    for batch in (1, 64):
        obs = np.random.default_rng(0).uniform(-1, 1, (batch, 4)).astype(np.float32)
        number = 100 if quick else 500
        t_bare_eager, t_eager, t_bare_traced, t_traced = paired_best([
            lambda obs=obs: bare_step(tf.convert_to_tensor(obs)).numpy(),
            lambda obs=obs: eager.compute_actions(obs),
            lambda obs=obs: bare_traced_fn(tf.convert_to_tensor(obs)).numpy(),
            lambda obs=obs: traced.compute_actions(obs),
        ], number // 4)
        rows.append({"framework": "tf2 eager", "case": f"compute_actions B={batch}", "bare_us": t_bare_eager * 1e6,
                     "policy_us": t_eager * 1e6, "ratio": t_eager / t_bare_eager, "goal": None})
        rows.append({"framework": "tf2 traced", "case": f"compute_actions B={batch}", "bare_us": t_bare_traced * 1e6,
                     "policy_us": t_traced * 1e6, "ratio": t_traced / t_bare_traced, "goal": None,
                     "eager_over_traced": t_eager / t_traced})
    rows.append({"framework": "tf2 traced", "case": "traces after the run", "trace_counts": dict(traced.trace_counts)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations (smoke run)")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "policy.json"))
    args = parser.parse_args()
    start = time.perf_counter()
    rows: list = []
    bench_torch(rows, args.quick)
    bench_tf(rows, args.quick)
    print(f"{'framework':12} {'case':24} {'bare':>10} {'policy':>10} {'policy/bare':>12}  note")
    for r in rows:
        if "ratio" not in r:
            print(f"{r['framework']:12} {r['case']:24} {r['trace_counts']}")
            continue
        note = ""
        if r.get("goal"):
            note = f"goal <= {r['goal']}x: {'met' if r['ratio'] <= r['goal'] else 'NOT met'}"
        if "ratio_tight" in r:
            note += f"; vs tight bare (Gumbel draw, {r['bare_tight_us']:.1f}µs) {r['ratio_tight']:.2f}x"
        if "eager_over_traced" in r:
            note = f"eager policy / traced policy = {r['eager_over_traced']:.2f}x"
        print(f"{r['framework']:12} {r['case']:24} {r['bare_us']:8.1f}µs {r['policy_us']:8.1f}µs "
              f"{r['ratio']:11.2f}x  {note}")
    record = {"benchmark": "policy", "python": platform.python_version(), "machine": platform.machine(),
              "quick": args.quick, "rows": rows, "seconds": round(time.perf_counter() - start, 1)}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2))
    print(f"wrote {out} in {record['seconds']} s")


if __name__ == "__main__":
    main()

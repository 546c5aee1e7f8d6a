"""Benchmark of the compiled core against its peers, measured in the same run.

- GAE and discounted cumsum at T=200 and T=4000: native vs a numpy loop and vs
  ``scipy.signal.lfilter`` (RLlib's ``compute_advantages`` way);
- prioritized sampling of 64 indices (with importance weights) from a 1M-leaf tree: native vs twin;
- collector append per env step at N=1, 8, 64: native vs a loop that only writes the same values
  into preallocated numpy arrays (no cutting, no bookkeeping);
- PPO's categorical loss with its gradients for a 128-row minibatch (2 actions): the native kernel
  vs its twin and vs the same loss built from torch ops with ``backward`` (PPO's generic path);
  and the torch ``autograd.Function`` around the kernel (what ``PPOTorchPolicy`` runs), forward
  and backward, vs that torch graph.

Prints a table and writes ``bench/results/kernels.json``. Each figure is the best of several
repeats (these machines are noisy); compare the ratios, not the absolute times.

Usage: ``python bench/kernels.py [--quick]``
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import scipy.signal

from rlcore import _core, _reference


def best_time(fn, number: int, repeat: int = 5) -> float:
    """Best mean seconds per call of ``fn`` over ``repeat`` runs of ``number`` calls."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def gae_lfilter(rewards, values, last_r, gamma, lam):
    """RLlib 1.x compute_advantages (use_gae=True) for one fragment."""
    vpred = np.concatenate([values, np.array([last_r])])
    delta = rewards + gamma * vpred[1:] - vpred[:-1]
    adv = scipy.signal.lfilter([1], [1, -gamma * lam], delta[::-1], axis=0)[::-1]
    return adv.astype(np.float32), (adv + values).astype(np.float32)


def gae_numpy_loop(rewards, values, last_r, gamma, lam):
    adv = np.empty_like(rewards)
    acc, next_v = 0.0, last_r
    for t in range(len(rewards) - 1, -1, -1):
        acc = rewards[t] + gamma * next_v - values[t] + gamma * lam * acc
        adv[t] = acc
        next_v = values[t]
    return adv, adv + values


def bench_returns(rows, quick):
    rng = np.random.default_rng(0)
    for T in (200, 4000):
        r, v = rng.standard_normal(T).astype(np.float32), rng.standard_normal(T).astype(np.float32)
        term, seg, boot = np.zeros(T, bool), np.array([T], np.int64), np.array([0.3], np.float32)
        n_fast = 2000 if T == 200 else 300
        n_slow = 20 if T == 200 else 3
        if quick:
            n_fast, n_slow = n_fast // 10, 1
        native = best_time(lambda: _core.compute_gae(r, v, term, seg, boot, 0.99, 0.95), n_fast)
        lf = best_time(lambda: gae_lfilter(r, v, 0.3, 0.99, 0.95), n_fast)
        loop = best_time(lambda: gae_numpy_loop(r, v, 0.3, 0.99, 0.95), n_slow, 3)
        rows.append(("gae", f"T={T}", native, {"lfilter": lf, "numpy loop": loop}))
        native = best_time(lambda: _core.discount_cumsum(r, 0.99), n_fast)
        lf = best_time(lambda: scipy.signal.lfilter([1], [1, -0.99], r[::-1])[::-1].astype(np.float32), n_fast)
        loop = best_time(lambda: _reference.discount_cumsum(r, 0.99), n_slow, 3)
        rows.append(("discount_cumsum", f"T={T}", native, {"lfilter": lf, "numpy loop": loop}))


def bench_prioritized(rows, quick):
    capacity = 1 << 20
    rng = np.random.default_rng(1)
    prios = rng.random(capacity) ** 0.6
    idx = np.arange(capacity, dtype=np.int64)
    results = {}
    for name, mod in (("native", _core), ("twin", _reference)):
        sum_tree, min_tree = mod.SumSegmentTree(capacity), mod.MinSegmentTree(capacity)
        if mod is _core:
            sum_tree.update(idx, prios)
            min_tree.update(idx, prios)
        else:  # the twin's update writes 1M leaves one by one (slow): its leaves are its whole state
            sum_tree._leaves[:] = prios
            min_tree._leaves[:] = prios
        draws = np.random.default_rng(2)

        def sample(sum_tree=sum_tree, min_tree=min_tree):
            picked, probs = sum_tree.sample(draws.random(64))
            weights = (probs / (min_tree.min() / sum_tree.sum())) ** -0.4  # IS weights, normalized by the max
            return picked, weights

        results[name] = best_time(sample, 50 if quick else 300 if name == "native" else 30, 3)
        results[name + "_result"] = sample()[0][:4].tolist()
    rows.append(("prioritized sample", "64 of 1M", results["native"], {"twin": results["twin"]}))


def bench_collector(rows, quick):
    steps = 200 if quick else 1000
    for n in (1, 8, 64):
        rng = np.random.default_rng(n)
        obs = rng.standard_normal((n, 4)).astype(np.float32)
        actions = rng.integers(0, 2, n)
        rewards = np.ones(n)
        no = np.zeros(n, bool)
        logp, vf = rng.standard_normal(n).astype(np.float32), rng.standard_normal(n).astype(np.float32)
        logits = rng.standard_normal((n, 2)).astype(np.float32)
        extras = (logp, vf, logits)
        spec = {"action_logp": ((), np.float32), "vf_preds": ((), np.float32), "action_dist_inputs": ((2,), np.float32)}

        def run_native():
            c = _core.TrajectoryCollector(n, (4,), np.float32, (), np.int64, spec, fragment_length=steps)
            c.reset(obs)
            t0 = time.perf_counter()
            for _ in range(steps):
                c.append(actions, rewards, no, no, obs, extras)
            return time.perf_counter() - t0

        def run_numpy():
            cols = {
                "obs": np.empty((steps, n, 4), np.float32), "new_obs": np.empty((steps, n, 4), np.float32),
                "actions": np.empty((steps, n), np.int64), "rewards": np.empty((steps, n), np.float32),
                "terminateds": np.empty((steps, n), bool), "truncateds": np.empty((steps, n), bool),
                "action_logp": np.empty((steps, n), np.float32), "vf_preds": np.empty((steps, n), np.float32),
                "action_dist_inputs": np.empty((steps, n, 2), np.float32),
            }
            o, no_, a, r, te, tr, lp, v, lg = cols.values()
            t0 = time.perf_counter()
            for t in range(steps):
                o[t] = obs
                no_[t] = obs
                a[t] = actions
                r[t] = rewards
                te[t] = no
                tr[t] = no
                lp[t] = logp
                v[t] = vf
                lg[t] = logits
            return time.perf_counter() - t0

        native = min(run_native() for _ in range(5)) / (steps * n)
        numpy_ = min(run_numpy() for _ in range(5)) / (steps * n)
        rows.append(("collector append", f"N={n}, per env step", native, {"numpy writes": numpy_}))


def torch_graph_loss(torch, inputs, coeffs):
    """PPO's loss from torch ops (PPOTorchPolicy's generic path), differentiable in logits/values."""
    z, v = inputs["logits"], inputs["values"]
    logp = torch.log_softmax(z, 1)
    logp_old_all = torch.log_softmax(inputs["logits_old"], 1)
    ratio = torch.exp(logp.gather(1, inputs["actions"][:, None]).squeeze(1) - inputs["logp_old"])
    adv = inputs["advantages"]
    surrogate = torch.min(adv * ratio, adv * torch.clamp(ratio, 1 - coeffs["clip_param"], 1 + coeffs["clip_param"]))
    kl = (logp_old_all.exp() * (logp_old_all - logp)).sum(1)
    entropy = -(logp.exp() * logp).sum(1)
    v_old, t = inputs["vf_preds"], inputs["value_targets"]
    clipped = v_old + torch.clamp(v - v_old, -coeffs["vf_clip_param"], coeffs["vf_clip_param"])
    vf_loss = torch.max((v - t) ** 2, (clipped - t) ** 2)
    total = torch.mean(coeffs["kl_coeff"] * kl - surrogate - coeffs["entropy_coeff"] * entropy
                       + coeffs["vf_loss_coeff"] * vf_loss)
    with torch.no_grad():
        stats = torch.stack([-surrogate.mean(), vf_loss.mean(), kl.mean(), entropy.mean()])
    return total, stats


def bench_ppo_loss(rows, quick):
    import torch

    from rlcore.algorithms.ppo.fused_loss import ppo_categorical_loss
    from rlcore.threads import apply_thread_config

    apply_thread_config({"framework": "torch"})  # the driver's defaults, as a Trainer sets them
    n, k = 128, 2
    rng = np.random.default_rng(0)
    arrays = {"logits": rng.normal(0, 1, (n, k)), "logits_old": rng.normal(0, 1, (n, k)),
              "logp_old": rng.normal(-0.7, 0.1, n), "advantages": rng.normal(0, 1, n), "values": rng.normal(0, 1, n),
              "vf_preds": rng.normal(0, 1, n), "value_targets": rng.normal(0, 1, n)}
    arrays = {key: a.astype(np.float32) for key, a in arrays.items()}
    arrays["actions"] = rng.integers(0, k, n).astype(np.int64)
    coeffs = {"clip_param": 0.3, "kl_coeff": 0.2, "entropy_coeff": 0.0, "vf_loss_coeff": 0.01, "vf_clip_param": 10.0}
    args = [arrays[key] for key in ("logits", "logits_old", "actions", "logp_old", "advantages", "values", "vf_preds",
                                    "value_targets")] + [None, *coeffs.values()]
    number = 200 if quick else 2000
    native = best_time(lambda: _core.ppo_categorical_loss(*args), number)
    twin = best_time(lambda: _reference.ppo_categorical_loss(*args), number // 10)
    tensors = {key: torch.from_numpy(a) for key, a in arrays.items()}
    z = tensors["logits"].clone().requires_grad_(True)
    v = tensors["values"].clone().requires_grad_(True)

    def graph():
        total, _ = torch_graph_loss(torch, {**tensors, "logits": z, "values": v}, coeffs)
        total.backward()

    def fused():
        total, _ = ppo_categorical_loss(z, v, **{key: tensors[key] for key in (
            "actions", "logp_old", "logits_old", "advantages", "vf_preds", "value_targets")}, weights=None, **coeffs)
        total.backward()

    graph_time = best_time(graph, number // 2)
    rows.append(("ppo categorical loss", f"N={n}, loss+grads", native, {"twin": twin, "torch graph+backward": graph_time}))
    rows.append(("  as autograd.Function", f"N={n}, fwd+backward", best_time(fused, number // 2),
                 {"torch graph+backward": graph_time}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (smoke test)")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "kernels.json"))
    args = parser.parse_args()
    rows: list = []
    t0 = time.perf_counter()
    bench_returns(rows, args.quick)
    bench_prioritized(rows, args.quick)
    bench_collector(rows, args.quick)
    bench_ppo_loss(rows, args.quick)
    print(f"{'kernel':20} {'case':22} {'native':>10}   peers (time, peer/native)")
    for kernel, case, native, peers in rows:
        peer_txt = "   ".join(f"{k} {v * 1e6:9.2f} µs ({v / native:6.1f}×)" for k, v in peers.items())
        print(f"{kernel:20} {case:22} {native * 1e6:8.3f} µs   {peer_txt}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "quick": args.quick,
        "seconds": round(time.perf_counter() - t0, 2),
        "rows": [
            {"kernel": k, "case": c, "native_us": n * 1e6, "peers_us": {p: v * 1e6 for p, v in peers.items()},
             "speedup": {p: v / n for p, v in peers.items()}}
            for k, c, n, peers in rows
        ],
    }
    out.write_text(json.dumps(record, indent=2))
    print(f"wrote {out} in {record['seconds']} s")


if __name__ == "__main__":
    main()

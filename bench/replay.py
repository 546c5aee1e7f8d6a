"""Benchmark: prioritized replay (add + sample + priority update at batch 32 from a 1M buffer) and
the resident memory of a 1M-transition CartPole buffer with and without ``compress_observations``.

Throughput: each buffer is filled with 1,000,000 CartPole transitions (``obs``/``new_obs`` 4 x
float32, ``actions`` int64, ``rewards`` float32, ``dones`` bool), then one *cycle* is: add 32 new
transitions, sample 32 with priorities (alpha 0.6, beta 0.4, importance weights), set the 32
sampled rows' priorities from random TD errors. Cycles per second are measured over ``--seconds``
for

- ``rlcore``: :class:`rlcore.data.replay_buffers.PrioritizedReplayBuffer` (native sum/min trees);
- ``rlcore multi-agent``: :class:`rlcore.algorithms.dqn.QReplayBuffer` (what DQN's plan and the
  Ape-X shards use: per-policy buffers, MultiAgentBatch in and out);
- ``pure Python``: :class:`PySumTreeBuffer` below, a textbook prioritized buffer whose sum and min
  trees are Python lists walked in Python loops (columns in numpy arrays, as any such buffer would);
- RLlib 2.60's ``PrioritizedReplayBuffer`` and SB3's buffers when importable: not here (``ray.rllib``
  fails to import: its dependencies such as ``dm-tree`` are not installed; ``stable_baselines3`` is not
  installed; no side venv on this machine); the table says so.

Goal (issue #14): rlcore >= 10x the best of the others.

Memory: a fresh subprocess per setting fills a :class:`QReplayBuffer` with 1,000,000 CartPole
transitions (in batches of 1000) and reports its resident set size growth (``VmRSS`` of
``/proc/self/status`` after filling minus before creating the buffer).

Prints tables and writes ``bench/results/replay.json``.

Usage: ``python bench/replay.py [--seconds 5] [--capacity 1000000]``
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import platform
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

BATCH = 32
ALPHA, BETA, EPS = 0.6, 0.4, 1e-6


def cartpole_columns(n: int, rng: np.random.Generator) -> dict:
    """``n`` CartPole-shaped transitions."""
    return {
        "obs": rng.standard_normal((n, 4)).astype(np.float32),
        "new_obs": rng.standard_normal((n, 4)).astype(np.float32),
        "actions": rng.integers(0, 2, n).astype(np.int64),
        "rewards": np.ones(n, np.float32),
        "dones": rng.random(n) < 0.05,
    }


class PySumTreeBuffer:
    """A prioritized replay buffer with pure-Python sum and min trees (the baseline).

    Storage is preallocated numpy columns (a ring); priorities live in two Python lists laid out as
    binary heaps; every tree update and prefix-sum search is a Python loop.
    """

    def __init__(self, capacity: int, alpha: float, seed: int = 0):
        self.capacity = 1
        while self.capacity < capacity:
            self.capacity *= 2
        self.size_limit = capacity
        self.alpha = alpha
        self.sum = [0.0] * (2 * self.capacity)
        self.min = [float("inf")] * (2 * self.capacity)
        self.columns: dict = {}
        self.next, self.size, self.max_priority = 0, 0, 1.0
        self.rng = random.Random(seed)

    def _set(self, i: int, value: float) -> None:
        j = i + self.capacity
        self.sum[j] = value
        self.min[j] = value
        j //= 2
        while j >= 1:
            self.sum[j] = self.sum[2 * j] + self.sum[2 * j + 1]
            self.min[j] = min(self.min[2 * j], self.min[2 * j + 1])
            j //= 2

    def bulk_fill(self, columns: dict) -> None:
        """Fills the buffer at max priority, building the trees bottom-up in one pass."""
        n = len(columns["rewards"])
        self.columns = {k: np.array(v) for k, v in columns.items()}
        self.size, self.next = n, n % self.size_limit
        p = self.max_priority ** self.alpha
        for i in range(n):
            self.sum[self.capacity + i] = p
            self.min[self.capacity + i] = p
        for j in range(self.capacity - 1, 0, -1):
            self.sum[j] = self.sum[2 * j] + self.sum[2 * j + 1]
            self.min[j] = min(self.min[2 * j], self.min[2 * j + 1])

    def add(self, columns: dict) -> None:
        n = len(columns["rewards"])
        p = self.max_priority ** self.alpha
        for k in range(n):
            i = self.next
            for name, col in columns.items():
                self.columns[name][i] = col[k]
            self._set(i, p)
            self.next = (i + 1) % self.size_limit
            self.size = min(self.size + 1, self.size_limit)

    def _find_prefixsum_idx(self, mass: float) -> int:
        j = 1
        while j < self.capacity:
            if self.sum[2 * j] > mass:
                j = 2 * j
            else:
                mass -= self.sum[2 * j]
                j = 2 * j + 1
        return j - self.capacity

    def sample(self, n: int, beta: float) -> dict:
        total = self.sum[1]
        idx = [min(self._find_prefixsum_idx(self.rng.random() * total), self.size - 1) for _ in range(n)]
        p_min = self.min[1] / total
        max_weight = (p_min * self.size) ** (-beta)
        weights = [((self.sum[i + self.capacity] / total) * self.size) ** (-beta) / max_weight for i in idx]
        rows = np.array(idx)
        out = {k: v[rows] for k, v in self.columns.items()}
        out["weights"], out["batch_indexes"] = np.array(weights, np.float32), rows
        return out

    def update_priorities(self, idxes, priorities) -> None:
        for i, p in zip(idxes.tolist(), priorities.tolist()):
            self._set(i, p ** self.alpha)
            self.max_priority = max(self.max_priority, p)


def cycles_per_second(name: str, capacity: int, seconds: float) -> dict:
    """Fills one buffer, then runs add + sample + update cycles for ``seconds``."""
    rng = np.random.default_rng(0)
    fill = cartpole_columns(capacity, rng)
    new = [cartpole_columns(BATCH, rng) for _ in range(64)]
    tds = [rng.standard_normal(BATCH) for _ in range(64)]
    t0 = time.perf_counter()
    if name == "rlcore":
        from rlcore.data import SampleBatch
        from rlcore.data.replay_buffers.prioritized import PrioritizedReplayBuffer

        buf = PrioritizedReplayBuffer(capacity, alpha=ALPHA, beta=BETA, eps=EPS, seed=0)
        for start in range(0, capacity, 100000):
            buf.add(SampleBatch({k: v[start:start + 100000] for k, v in fill.items()}))
        new = [SampleBatch(b) for b in new]

        def cycle(i: int) -> None:
            buf.add(new[i % 64])
            b = buf.sample(BATCH)
            buf.update_td_errors(b["batch_indexes"], tds[i % 64])
    elif name == "rlcore multi-agent":
        from rlcore.algorithms.dqn.replay_buffer import QReplayBuffer
        from rlcore.data import SampleBatch

        buf = QReplayBuffer(capacity, learning_starts=0, replay_batch_size=BATCH, alpha=ALPHA, beta=BETA, eps=EPS,
                            seed=0)
        for start in range(0, capacity, 100000):
            buf.add_batch(SampleBatch({k: v[start:start + 100000] for k, v in fill.items()}))
        new = [SampleBatch(b) for b in new]

        def cycle(i: int) -> None:
            buf.add_batch(new[i % 64])
            b = buf.replay().policy_batches["default_policy"]
            buf.update_priorities({"default_policy": (b["batch_indexes"], tds[i % 64])})
    else:
        buf = PySumTreeBuffer(capacity, ALPHA)
        buf.bulk_fill(fill)

        def cycle(i: int) -> None:
            buf.add(new[i % 64])
            b = buf.sample(BATCH, BETA)
            buf.update_priorities(b["batch_indexes"], np.abs(tds[i % 64]) + EPS)
    fill_s = time.perf_counter() - t0
    del fill
    gc.collect()
    for i in range(20):  # warm up
        cycle(i)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for _ in range(50):
            cycle(n)
            n += 1
    elapsed = time.perf_counter() - t0
    return {"buffer": name, "cycles_per_s": n / elapsed, "us_per_cycle": 1e6 * elapsed / n, "fill_s": fill_s}


def other_buffers() -> list:
    """RLlib 2.60's and SB3's buffers: why each one is or is not measured here."""
    notes = []
    for label, module in (("RLlib 2.60 PrioritizedReplayBuffer", "ray.rllib.utils.replay_buffers"),
                          ("SB3 ReplayBuffer (no prioritized buffer in SB3)", "stable_baselines3.common.buffers")):
        try:
            importlib.import_module(module)
        except ImportError as err:  # noqa: PERF203 - reported, not swallowed
            notes.append({"buffer": label, "measured": False,
                          "why": f"not importable here ({type(err).__name__}: {err}); no side venv on this machine"})
        else:
            notes.append({"buffer": label, "measured": False,
                          "why": "importable, but this bench has no adapter for it yet"})
    return notes


MEMORY_CHILD = r"""
import gc, json, sys
import numpy as np
from rlcore.algorithms.dqn.replay_buffer import QReplayBuffer
from rlcore.data import SampleBatch
capacity, compress = int(sys.argv[1]), sys.argv[2] == "1"
rng = np.random.default_rng(0)
def rss():
    with open('/proc/self/status') as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith('VmRSS:'))
gc.collect()
before = rss()
buf = QReplayBuffer(capacity, learning_starts=0, replay_batch_size=32, compress_observations=compress, seed=0)
chunk = 1000
for start in range(0, capacity, chunk):
    n = min(chunk, capacity - start)
    buf.add_batch(SampleBatch({
        "obs": rng.standard_normal((n, 4)).astype(np.float32), "new_obs": rng.standard_normal((n, 4)).astype(np.float32),
        "actions": rng.integers(0, 2, n).astype(np.int64), "rewards": np.ones(n, np.float32),
        "dones": rng.random(n) < 0.05}))
gc.collect()
after = rss()
print(json.dumps({"compress_observations": compress, "rss_mb": (after - before) / 2**20,
                  "est_size_mb": buf.stats()["policy_default_policy"]["est_size_bytes"] / 2**20}))
"""


def memory(capacity: int, compress: bool) -> dict:
    """RSS growth of a fresh process filling a ``capacity``-row QReplayBuffer."""
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", MEMORY_CHILD, str(capacity), "1" if compress else "0"],
                         check=True, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
    row = json.loads(out.stdout.strip().splitlines()[-1])
    row["fill_s"] = time.perf_counter() - t0
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--capacity", type=int, default=1_000_000)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    rows = [cycles_per_second(name, args.capacity, args.seconds)
            for name in ("rlcore", "rlcore multi-agent", "pure Python")]
    others = other_buffers()
    best_other = max(r["cycles_per_s"] for r in rows if not r["buffer"].startswith("rlcore"))
    print(f"Prioritized replay, batch {BATCH}, {args.capacity:,} CartPole transitions held; one cycle = add {BATCH} "
          f"+ sample {BATCH} + update {BATCH} priorities (load average at start {load:.2f})")
    print(f"{'buffer':22} {'cycles/s':>10} {'us/cycle':>10} {'x best other':>13} {'fill s':>8}")
    for r in rows:
        print(f"{r['buffer']:22} {r['cycles_per_s']:10.0f} {r['us_per_cycle']:10.1f} "
              f"{r['cycles_per_s'] / best_other:13.1f} {r['fill_s']:8.1f}")
    for note in others:
        print(f"{note['buffer']}: not measured: {note['why']}")
    mem = [memory(args.capacity, compress) for compress in (False, True)]
    print(f"\nResident memory of a {args.capacity:,}-transition CartPole QReplayBuffer (fresh process, RSS growth)")
    print(f"{'compress_observations':22} {'RSS MB':>8} {'est. size MB':>13} {'fill s':>8}")
    for m in mem:
        print(f"{str(m['compress_observations']):22} {m['rss_mb']:8.1f} {m['est_size_mb']:13.1f} {m['fill_s']:8.1f}")
    out = Path(__file__).parent / "results" / "replay.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"machine": platform.platform(), "load_average": load, "batch": BATCH,
                               "capacity": args.capacity, "throughput": rows, "not_measured": others,
                               "memory": mem}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

"""Benchmark: prioritized replay (add + sample + priority update at batch 32 from a 1M buffer) and
the resident memory of a 1M-transition CartPole buffer with and without ``compress_observations``.

Throughput: each buffer is filled with CartPole transitions (``obs``/``new_obs`` 4 x float32,
``actions`` int64, ``rewards`` float32, ``dones`` bool), then one *cycle* is: add 32 new
transitions, sample 32 with priorities (alpha 0.6, beta 0.4, importance weights), set the 32
sampled rows' priorities from random TD errors. Contenders:

- ``rlcore``: :class:`rlcore.data.replay_buffers.PrioritizedReplayBuffer` (fused native add,
  sample and update over the sum/min trees; the numeric columns stored as one 48-byte record per
  transition, ``ReplayRecords``; the sample's uniforms drawn in the same native call);
- ``rlcore multi-agent``: :class:`rlcore.algorithms.dqn.QReplayBuffer` (what DQN's plan and the
  Ape-X shards use: per-policy buffers, MultiAgentBatch in and out);
- ``pure Python``: :class:`PySumTreeBuffer` below, a textbook prioritized buffer whose sum and min
  trees are Python lists walked in Python loops (columns in numpy arrays, as any such buffer would);
- ``RLlib 2.60``: ``ray.rllib.utils.replay_buffers.PrioritizedReplayBuffer`` (the old API stack's
  buffer; RLlib 2.x names the done column ``terminateds``), ``add`` / ``sample(32, beta)`` /
  ``update_priorities``. Its storage keeps one SampleBatch object per timestep (about 2 KB and
  80 us each to add), so it is filled with ``--peer-fill`` rows (default 100,000) inside its
  1,000,000-slot trees: its cycle cost is set by the capacity (tree depth) and the batch, not by
  the rows held, and a smaller fill only helps it (a smaller working set);
- ``SB3``: ``stable_baselines3.common.buffers.ReplayBuffer``, uniform only (SB3 has no prioritized
  buffer): its cycle is add 32 + sample 32 (no priorities), with ``n_envs=32`` so one ``add`` call
  takes the 32 transitions (its fastest use), filled to the capacity.

RLlib and SB3 run in subprocesses of the side venv ``.venv-peers`` (``bench/peers_venv.sh`` makes
it); without it their rows say "not installed". Every contender is filled once, then measured for
``--seconds`` in each of ``--rounds`` rounds, taking turns (ours, pure Python, RLlib, SB3, ours,
...), so machine load hits all of them alike; the table shows each one's median round.

Goal (issue #14): rlcore >= 10x the best of the others.

Memory: a fresh subprocess per setting fills a :class:`QReplayBuffer` with 1,000,000 CartPole
transitions (in batches of 1000) and reports its resident set size growth (``VmRSS`` of
``/proc/self/status`` after filling minus before creating the buffer).

Besides wall time, each round records the process CPU time per cycle (``cpu_us_per_cycle``; on a
loaded machine wall time also counts the time the process waited for a core, CPU time much less
so) and each operation's wall time (``op_us``: add, sample, update; SB3 has no update).

Prints tables and writes ``bench/results/replay.json``.

Usage: ``python bench/replay.py [--seconds 2] [--rounds 3] [--capacity 1000000] [--peer-fill 100000]``
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import os
import platform
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from _peers import PEERS_PYTHON, peer_missing

BATCH = 32
ALPHA, BETA, EPS = 0.6, 0.4, 1e-6
ROOT = Path(__file__).resolve().parents[1]
PEERS = {"RLlib 2.60": "rllib", "SB3 (uniform)": "sb3"}
PEER_MODULES = {"rllib": "ray.rllib.utils.replay_buffers", "sb3": "stable_baselines3.common.buffers"}


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


def make_contender(name: str, capacity: int, fill_rows: int):
    """Builds and fills one buffer; returns ``(cycle, fill_seconds)``, ``cycle(i)`` doing one cycle."""
    rng = np.random.default_rng(0)
    fill = cartpole_columns(fill_rows, rng)
    new = [cartpole_columns(BATCH, rng) for _ in range(64)]
    tds = [rng.standard_normal(BATCH) for _ in range(64)]
    t0 = time.perf_counter()
    if name == "rlcore":
        from rlcore.data import SampleBatch
        from rlcore.data.replay_buffers.prioritized import PrioritizedReplayBuffer

        buf = PrioritizedReplayBuffer(capacity, alpha=ALPHA, beta=BETA, eps=EPS, seed=0)
        for start in range(0, fill_rows, 100000):
            buf.add(SampleBatch({k: v[start:start + 100000] for k, v in fill.items()}))
        new = [SampleBatch(b) for b in new]
        ops = (lambda i: buf.add(new[i % 64]), lambda: buf.sample(BATCH),
               lambda i, b: buf.update_td_errors(b["batch_indexes"], tds[i % 64]))
    elif name == "rlcore multi-agent":
        from rlcore.algorithms.dqn.replay_buffer import QReplayBuffer
        from rlcore.data import SampleBatch

        buf = QReplayBuffer(capacity, learning_starts=0, replay_batch_size=BATCH, alpha=ALPHA, beta=BETA, eps=EPS,
                            seed=0)
        for start in range(0, fill_rows, 100000):
            buf.add_batch(SampleBatch({k: v[start:start + 100000] for k, v in fill.items()}))
        new = [SampleBatch(b) for b in new]
        ops = (lambda i: buf.add_batch(new[i % 64]), lambda: buf.replay().policy_batches["default_policy"],
               lambda i, b: buf.update_priorities({"default_policy": (b["batch_indexes"], tds[i % 64])}))
    elif name == "pure Python":
        buf = PySumTreeBuffer(capacity, ALPHA)
        buf.bulk_fill(fill)
        ops = (lambda i: buf.add(new[i % 64]), lambda: buf.sample(BATCH, BETA),
               lambda i, b: buf.update_priorities(b["batch_indexes"], np.abs(tds[i % 64]) + EPS))
    elif name == "rllib":  # in .venv-peers
        from ray.rllib.policy.sample_batch import SampleBatch
        from ray.rllib.utils.replay_buffers import PrioritizedReplayBuffer

        def rllib_batch(cols: dict):
            cols = dict(cols)
            cols["terminateds"] = cols.pop("dones")  # RLlib 2.x's name of the done column
            return SampleBatch(cols)

        buf = PrioritizedReplayBuffer(capacity, storage_unit="timesteps", alpha=ALPHA)
        for start in range(0, fill_rows, 1000):
            buf.add(rllib_batch({k: v[start:start + 1000] for k, v in fill.items()}))
        new = [rllib_batch(b) for b in new]
        ops = (lambda i: buf.add(new[i % 64]), lambda: buf.sample(BATCH, beta=BETA),
               lambda i, b: buf.update_priorities(b["batch_indexes"], np.abs(tds[i % 64]) + EPS))
    elif name == "sb3":  # in .venv-peers
        import torch
        from gymnasium import spaces
        from stable_baselines3.common.buffers import ReplayBuffer as SB3ReplayBuffer

        torch.set_num_threads(1)
        buf = SB3ReplayBuffer(capacity, spaces.Box(-np.inf, np.inf, (4,), np.float32), spaces.Discrete(2),
                              device="cpu", n_envs=BATCH)
        infos = [{} for _ in range(BATCH)]

        def sb3_add(cols: dict) -> None:
            buf.add(cols["obs"], cols["new_obs"], cols["actions"].reshape(-1, 1), cols["rewards"], cols["dones"],
                    infos)

        for start in range(0, fill_rows - fill_rows % BATCH, BATCH):
            sb3_add({k: v[start:start + BATCH] for k, v in fill.items()})
        ops = (lambda i: sb3_add(new[i % 64]), lambda: buf.sample(BATCH), None)
    else:
        raise ValueError(f"unknown contender {name!r}")
    fill_s = time.perf_counter() - t0
    del fill
    gc.collect()
    cycle = timed_cycle(*ops)
    for i in range(20):  # warm up
        cycle(i)
    return cycle, fill_s


OPS = ("add", "sample", "update")


def timed_cycle(add, sample, update):
    """One cycle (``add(i)``, ``b = sample()``, ``update(i, b)`` unless None) that adds each operation's
    wall seconds to ``cycle.op_seconds`` (three perf_counter reads per operation boundary, alike for all)."""
    perf = time.perf_counter
    acc = [0.0, 0.0, 0.0]

    def cycle(i: int) -> None:
        t0 = perf()
        add(i)
        t1 = perf()
        b = sample()
        t2 = perf()
        if update is not None:
            update(i, b)
        t3 = perf()
        acc[0] += t1 - t0
        acc[1] += t2 - t1
        acc[2] += t3 - t2

    cycle.op_seconds = acc
    return cycle


def run_cycles(cycle, seconds: float, offset: int) -> dict:
    """Runs ``cycle`` for about ``seconds``: cycles, wall and CPU seconds, per-operation wall seconds."""
    ops0 = list(cycle.op_seconds)
    n, t0, c0 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - t0 < seconds:
        for _ in range(10):
            cycle(offset + n)
            n += 1
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"cycles": n, "elapsed": elapsed, "cpu": cpu,
            "ops": [b - a for a, b in zip(ops0, cycle.op_seconds)]}


def peer_child(kind: str, capacity: int, fill_rows: int) -> None:
    """The loop of a peer subprocess: fill, say ``READY``, then answer ``run <seconds>`` lines."""
    cycle, fill_s = make_contender(kind, capacity, fill_rows)
    print("READY " + json.dumps({"fill_s": fill_s}), flush=True)
    done = 20
    for line in sys.stdin:
        cmd = line.split()
        if cmd[:1] != ["run"]:
            break
        r = run_cycles(cycle, float(cmd[1]), done)
        done += r["cycles"]
        print("RESULT " + json.dumps(r), flush=True)


class PeerProcess:
    """A peer buffer living in a ``.venv-peers`` subprocess (this script with ``--peer-child``)."""

    def __init__(self, kind: str, capacity: int, fill_rows: int) -> None:
        self.proc = subprocess.Popen(
            [str(PEERS_PYTHON), str(Path(__file__).resolve()), "--peer-child", kind, "--capacity", str(capacity),
             "--peer-fill", str(fill_rows)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        self.fill_s = self._reply("READY")["fill_s"]

    def _reply(self, tag: str) -> dict:
        for line in self.proc.stdout:
            if line.startswith(tag + " "):
                return json.loads(line[len(tag) + 1:])
        self.proc.wait(timeout=60)
        raise RuntimeError(f"peer child failed (rc={self.proc.returncode}): {self.proc.stderr.read()[-2000:]}")

    def run(self, seconds: float) -> dict:
        self.proc.stdin.write(f"run {seconds}\n")
        self.proc.stdin.flush()
        return self._reply("RESULT")

    def close(self) -> None:
        self.proc.stdin.write("quit\n")
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def throughput(capacity: int, peer_fill: int, seconds: float, rounds: int) -> tuple[list, list]:
    """Fills every contender, then measures them in turn for ``rounds`` rounds; median per contender."""
    runners, rows, missing = {}, {}, []
    for name in ("rlcore", "rlcore multi-agent", "pure Python"):
        cycle, fill_s = make_contender(name, capacity, capacity)
        offset = [20]

        def run(seconds: float, cycle=cycle, offset=offset) -> dict:
            r = run_cycles(cycle, seconds, offset[0])
            offset[0] += r["cycles"]
            return r

        runners[name] = run
        rows[name] = {"buffer": name, "fill_rows": capacity, "fill_s": fill_s, "rounds": []}
    peers = []
    for label, kind in PEERS.items():
        why = peer_missing(PEER_MODULES[kind])
        if why:
            missing.append({"buffer": label, "measured": False, "why": why})
            continue
        fill_rows = peer_fill if kind == "rllib" else capacity
        peer = PeerProcess(kind, capacity, fill_rows)
        peers.append(peer)
        runners[label] = peer.run
        rows[label] = {"buffer": label, "fill_rows": fill_rows, "fill_s": peer.fill_s, "rounds": []}
    try:
        for _ in range(rounds):
            for name, run in runners.items():
                m = run(seconds)
                row = rows[name]
                row["rounds"].append(m["cycles"] / m["elapsed"])
                row.setdefault("cpu_rounds", []).append(1e6 * m["cpu"] / m["cycles"])
                for op, sec in zip(OPS, m["ops"]):
                    row.setdefault("op_rounds", {}).setdefault(op, []).append(1e6 * sec / m["cycles"])
    finally:
        for peer in peers:
            peer.close()
    for r in rows.values():
        r["cycles_per_s"] = statistics.median(r["rounds"])
        r["us_per_cycle"] = 1e6 / r["cycles_per_s"]
        r["cpu_us_per_cycle"] = statistics.median(r["cpu_rounds"])
        r["op_us"] = {op: statistics.median(v) for op, v in r["op_rounds"].items()}
        r["prioritized"] = not r["buffer"].startswith("SB3")
    return list(rows.values()), missing


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
                         check=True, capture_output=True, text=True, cwd=ROOT)
    row = json.loads(out.stdout.strip().splitlines()[-1])
    row["fill_s"] = time.perf_counter() - t0
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="measured seconds per contender and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--capacity", type=int, default=1_000_000)
    parser.add_argument("--peer-fill", type=int, default=100_000, help="rows added to RLlib's buffer before timing")
    parser.add_argument("--peer-child", choices=sorted(PEERS.values()), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peer_child:
        peer_child(args.peer_child, args.capacity, args.peer_fill)
        return
    load = os.getloadavg()[0]
    rows, missing = throughput(args.capacity, args.peer_fill, args.seconds, args.rounds)
    others = [r for r in rows if not r["buffer"].startswith("rlcore")]
    best = max(others, key=lambda r: r["cycles_per_s"])
    pure = next(r for r in rows if r["buffer"] == "pure Python")
    best_cpu = min(others, key=lambda r: r["cpu_us_per_cycle"])
    for r in rows:
        r["x_best_other"] = r["cycles_per_s"] / best["cycles_per_s"]
        r["x_pure_python"] = r["cycles_per_s"] / pure["cycles_per_s"]
        r["x_best_other_cpu"] = best_cpu["cpu_us_per_cycle"] / r["cpu_us_per_cycle"]
    print(f"Prioritized replay, batch {BATCH}, capacity {args.capacity:,} CartPole transitions; one cycle = add {BATCH} "
          f"+ sample {BATCH} + update {BATCH} priorities (SB3: add + sample, uniform); median of {args.rounds} rounds "
          f"of {args.seconds:g} s, taken in turns (load average at start {load:.2f})")
    print("wall: us/cycle and ratios from elapsed time; cpu: process CPU time per cycle (less sensitive to the "
          "machine's load); add/sample/update: wall us per operation")
    print(f"{'buffer':20} {'rows held':>10} {'cycles/s':>10} {'us/cycle':>10} {'x pure Py':>10} "
          f"{'x best other':>13} {'cpu us':>8} {'x best cpu':>11} {'add':>8} {'sample':>8} {'update':>8} {'fill s':>7}")
    for r in rows:
        op = r["op_us"]
        print(f"{r['buffer']:20} {r['fill_rows']:10,} {r['cycles_per_s']:10.0f} {r['us_per_cycle']:10.1f} "
              f"{r['x_pure_python']:10.1f} {r['x_best_other']:13.2f} {r['cpu_us_per_cycle']:8.1f} "
              f"{r['x_best_other_cpu']:11.2f} {op['add']:8.1f} {op['sample']:8.1f} {op['update']:8.1f} "
              f"{r['fill_s']:7.1f}")
    for note in missing:
        print(f"{note['buffer']:20} {note['why']}")
    print(f"best other: {best['buffer']} (wall), {best_cpu['buffer']} (cpu)")
    mem = [memory(args.capacity, compress) for compress in (False, True)]
    print(f"\nResident memory of a {args.capacity:,}-transition CartPole QReplayBuffer (fresh process, RSS growth)")
    print(f"{'compress_observations':22} {'RSS MB':>8} {'est. size MB':>13} {'fill s':>8}")
    for m in mem:
        print(f"{str(m['compress_observations']):22} {m['rss_mb']:8.1f} {m['est_size_mb']:13.1f} {m['fill_s']:8.1f}")
    out = Path(__file__).parent / "results" / "replay.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"machine": platform.platform(), "load_average": load, "batch": BATCH,
                               "capacity": args.capacity, "peer_fill": args.peer_fill, "seconds": args.seconds,
                               "rounds": args.rounds, "throughput": rows, "best_other": best["buffer"],
                               "best_other_cpu": best_cpu["buffer"], "load_average_end": os.getloadavg()[0],
                               "not_measured": missing, "memory": mem}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

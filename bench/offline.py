"""Benchmark: offline I/O (issue #16): JsonWriter / JsonReader rows per second, and what ``output``
costs the sampler.

1. Rows/s written by :class:`~rlcore.offline.JsonWriter` and read by
   :class:`~rlcore.offline.JsonReader` (``read_all_files``), with ``obs``/``new_obs`` compressed
   (the default) and uncompressed, against a plain line loop over the same batches: ``json.dumps``
   of ``{col: array.tolist()}`` per line to write; to read, ``json.loads`` of each line of the
   very files ``JsonWriter`` wrote uncompressed, making the columns ``JsonReader`` makes
   (``np.asarray`` per column, float64 to float32, ``infos`` as an object column). Two
   datasets: CartPole batches (a PG worker's real samples, 4 floats of obs per row among 19
   columns) and the same rows with 84x84 uint8 frames as obs
   (Atari-sized observations, where compression matters). Goal: JsonReader >= 3x the plain loop.
2. ``output`` overhead: env steps/s of a PG torch rollout worker (CartPole-v1, 8 envs, 250-step
   fragments) with ``output`` off and on (compressed, a temporary directory), the two workers'
   samples alternating. Goal: <= 10%.

Times are CPU seconds of the bench process (``time.process_time``), the best of the repeats: the
machines this runs on are shared, and wall-clock rates there swing with other processes' load
(a run once showed ``output`` *speeding up* sampling by 46%), while CPU time per row does not.

RLlib 2.60's ``JsonReader`` (``ray.rllib.offline.json_reader``, its old-API-stack reader of the
same line format) reads the same uncompressed files in a subprocess of the side venv
``.venv-peers`` (``bench/peers_venv.sh``; the row says "not installed" without it), timed the same
way. It cannot read the compressed files: RLlib compresses a column as a pickle, which rlcore
never writes.

Prints a table and writes ``bench/results/offline.json``.

Usage: ``python bench/offline.py [--batches 40] [--repeats 5] [--samples 30]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

import numpy as np  # noqa: E402
from _peers import peer_missing, run_peer  # noqa: E402

#: In .venv-peers: RLlib 2.60's JsonReader over the files given, best CPU time of the repeats.
RLLIB_READER = r"""
import json, sys, time
from ray.rllib.offline.json_reader import JsonReader
files, repeats = sys.argv[1:-1], int(sys.argv[-1])
reader, best, rows = JsonReader(files), None, 0
for _ in range(repeats):
    t = time.process_time()
    rows = sum(b.count for b in reader.read_all_files())
    best = min(best or 1e9, time.process_time() - t)
print(json.dumps({"rows": rows, "cpu_s": best}))
"""


def _cartpole_batches(n: int) -> list:
    import gymnasium as gym

    from rlcore.algorithms.pg import PGTorchPolicy
    from rlcore.sampling.rollout_worker import RolloutWorker

    w = RolloutWorker(env_creator=lambda ctx: gym.make("CartPole-v1"), policy_spec=PGTorchPolicy,
                      policy_config={"framework": "torch", "gamma": 0.99, "lr": 1e-3}, rollout_fragment_length=200,
                      seed=0)
    out = [w.sample() for _ in range(n)]
    w.stop()
    return out


def _with_frames(batches: list) -> list:
    rng = np.random.default_rng(0)
    out = []
    for b in batches:
        c = b.copy()
        frames = np.zeros((b.count, 84, 84), np.uint8)
        frames[:, 20:60, 20:60] = rng.integers(0, 4, (b.count, 40, 40), dtype=np.uint8) * 60  # sparse, like a game
        c["obs"], c["new_obs"] = frames, np.roll(frames, -1, axis=0)
        out.append(c)
    return out


def _best(fn, repeats: int) -> float:
    """The least CPU time (this process's, ``time.process_time``) of ``repeats`` calls of ``fn``."""
    times = []
    for _ in range(repeats):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return min(times)


def _plain_write(batches: list, path: str) -> None:
    with open(path, "w") as f:
        for b in batches:
            f.write(json.dumps({"type": "SampleBatch", **{k: np.asarray(v).tolist() for k, v in b.items()}}) + "\n")


def _plain_read(paths: list) -> int:
    """The plain loop: the columns JsonReader returns, from json.loads of each line."""
    rows = 0
    for path in paths:
        with open(path) as f:
            for line in f:
                d = json.loads(line)
                d.pop("type")
                cols = {}
                for k, v in d.items():
                    if k == "infos":
                        cols[k] = np.empty(len(v), object)
                        cols[k][:] = v
                    else:
                        a = np.asarray(v)
                        cols[k] = a.astype(np.float32) if a.dtype == np.float64 else a
                rows += len(cols["t"])
    return rows


def _io_rows(name: str, batches: list, repeats: int) -> list:
    from rlcore.offline import JsonReader, JsonWriter

    rows = sum(b.count for b in batches)
    out = []
    with tempfile.TemporaryDirectory(prefix="bench_offline") as tmp:
        plain = os.path.join(tmp, "plain.json")
        w_plain = _best(lambda: _plain_write(batches, plain), repeats)
        plain_row = {"data": name, "codec": "plain json loop", "write_rows_s": rows / w_plain,
                     "bytes": os.path.getsize(plain),
                     # the plain loop over its own json.dumps file (float32 values as 17-digit doubles)
                     "read_rows_s_own_file": rows / _best(lambda: _plain_read([plain]), repeats)}
        out.append(plain_row)
        r_plain = 0.0
        for codec, cols in (("JsonWriter/Reader uncompressed", []), ("JsonWriter/Reader compressed", ["obs", "new_obs"])):
            dirs = []

            def write():
                dirs.append(os.path.join(tmp, f"{codec.split()[-1]}_{len(dirs)}"))  # a fresh directory each time
                w = JsonWriter(dirs[-1], compress_columns=cols)
                for b in batches:
                    w.write(b)
                w.close()

            w_time = _best(write, repeats)
            reader = JsonReader(dirs[-1])
            if not cols:  # the plain loop reads the files JsonWriter wrote uncompressed
                assert _plain_read(reader.files) == rows
                r_plain = _best(lambda: _plain_read(reader.files), repeats)
                plain_row["read_rows_s"] = rows / r_plain
            r_time = _best(lambda: sum(b.count for b in reader.read_all_files()), repeats)
            size = sum(os.path.getsize(f) for f in reader.files)
            out.append({"data": name, "codec": codec, "write_rows_s": rows / w_time, "read_rows_s": rows / r_time,
                        "bytes": size, "read_vs_plain": r_plain / r_time, "write_vs_plain": w_plain / w_time})
            if not cols:
                out.append(_rllib_row(name, reader.files, rows, r_plain, repeats))
    return out


def _rllib_row(name: str, files: list, rows: int, r_plain: float, repeats: int) -> dict:
    """RLlib 2.60's JsonReader over JsonWriter's uncompressed files, or why it is missing."""
    row = {"data": name, "codec": "RLlib 2.60 JsonReader (uncompressed)"}
    missing = peer_missing("ray.rllib.offline.json_reader")
    if missing:
        return dict(row, status=missing)
    got = run_peer(["-c", RLLIB_READER, *files, repeats])
    if got["rows"] != rows:
        raise RuntimeError(f"RLlib's JsonReader read {got['rows']} rows of {rows}")
    return dict(row, read_rows_s=rows / got["cpu_s"], read_vs_plain=r_plain / got["cpu_s"])


def _output_overhead(samples: int) -> dict:
    import gymnasium as gym

    from rlcore.algorithms.pg import PGTorchPolicy
    from rlcore.offline.io_config import output_creator
    from rlcore.sampling.rollout_worker import RolloutWorker

    rates = {"off": 0.0, "on": 0.0}
    with tempfile.TemporaryDirectory(prefix="bench_offline_out") as tmp:
        workers = {}
        for label, creator in (("off", None), ("on", output_creator({"output": tmp,
                                                                       "output_compress_columns": ["obs", "new_obs"]}))):
            workers[label] = RolloutWorker(env_creator=lambda ctx: gym.make("CartPole-v1"), policy_spec=PGTorchPolicy,
                                           policy_config={"framework": "torch", "gamma": 0.99, "lr": 1e-3}, num_envs=8,
                                           rollout_fragment_length=250, seed=0, output_creator=creator)
            workers[label].sample()  # warm up
        rounds = 5
        for _ in range(rounds):  # off and on alternate, so a change in the machine's load hits both
            for label, w in workers.items():
                t = time.process_time()
                steps = sum(w.sample().count for _ in range(max(1, samples // rounds)))
                rates[label] = max(rates[label], steps / (time.process_time() - t))
        written = sum(os.path.getsize(f) for f in workers["on"].output_writer.files)
        for w in workers.values():
            w.stop()
    return {"steps_s_output_off": rates["off"], "steps_s_output_on": rates["on"],
            "overhead": 1.0 - rates["on"] / rates["off"], "bytes_written": written}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args()

    cartpole = _cartpole_batches(args.batches)
    rows = _io_rows("CartPole", cartpole, args.repeats) + _io_rows("84x84 frames", _with_frames(cartpole[:10]),
                                                                     args.repeats)
    overhead = _output_overhead(args.samples)
    print("rows per CPU-second (best of the repeats)")
    print(f"{'data':<14} {'codec':<32} {'write rows/s':>13} {'read rows/s':>12} {'write x plain':>13} "
          f"{'read x plain':>12} {'MB':>7}")
    for r in rows:
        if "status" in r:
            print(f"{r['data']:<14} {r['codec']:<32} {r['status']}")
        elif "write_rows_s" not in r:  # a reader only
            print(f"{r['data']:<14} {r['codec']:<32} {'-':>13} {r['read_rows_s']:>12,.0f} {'-':>13} "
                  f"{r['read_vs_plain']:>12.2f} {'-':>7}")
        else:
            print(f"{r['data']:<14} {r['codec']:<32} {r['write_rows_s']:>13,.0f} {r['read_rows_s']:>12,.0f} "
                  f"{r.get('write_vs_plain', 1.0):>13.2f} {r.get('read_vs_plain', 1.0):>12.2f} {r['bytes'] / 1e6:>7.2f}")
    for r in rows:
        if "read_rows_s_own_file" in r:
            print(f"{r['data']}: the plain loop reading its own json.dumps file (17-digit floats): "
                  f"{r['read_rows_s_own_file']:,.0f} rows/s")
    print(f"output overhead on sampling: {overhead['steps_s_output_off']:,.0f} -> {overhead['steps_s_output_on']:,.0f} "
          f"steps per CPU-second ({100 * overhead['overhead']:.1f}%)")
    results = {"io": rows, "output_overhead": overhead,
               "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                           "load_avg_1m": os.getloadavg()[0]}, "args": vars(args)}
    out = Path(__file__).parent / "results" / "offline.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

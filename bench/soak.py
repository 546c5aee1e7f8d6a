"""Benchmark (not in CI): memory over a long run, PPO with 2 Ray workers and IMPALA (issue #18).

Each algorithm trains CartPole-v1 (torch, 2 Ray rollout workers) for ``--minutes``; every
``--interval`` seconds the resident memory of the driver and of each rollout worker process is
sampled: RSS from ``/proc/<pid>/status`` with its three kinds (anonymous, file-backed and shared
memory pages: ``RssAnon``, ``RssFile``, ``RssShmem``), and PSS from ``/proc/<pid>/smaps_rollup``
when it is readable. Per process, the slope of a least-squares line through the samples after the
first (warm-up) one, in MiB per hour and in % of the mean RSS per hour (goal: under 1% per hour),
and the slope of each kind, which tells a step's source apart: anonymous pages are the process's
own heap (Python objects, numpy, torch, malloc arenas), file pages are code and data of the
mapped libraries first used (a warm-up), shared memory pages are Ray's object store, mapped by
every process that writes or reads an object there (a task result or argument over Ray's 100 KiB
inline limit) and counted in the RSS of each.
Processes found by pid (``whereabouts()`` of the worker set); a worker recreated mid-run starts a
new series.

Prints a table and writes ``bench/results/soak.json``.

Usage: ``python bench/soak.py [--minutes 30] [--interval 60] [--algos PPO IMPALA]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

CONFIGS = {
    "PPO": {"num_workers": 2, "rollout_fragment_length": 200, "train_batch_size": 400, "sgd_minibatch_size": 128,
            "num_sgd_iter": 4},
    "IMPALA": {"num_workers": 2, "rollout_fragment_length": 50, "train_batch_size": 500},
}


STATUS_KEYS = {"VmRSS": "rss", "RssAnon": "anon", "RssFile": "file", "RssShmem": "shmem", "Threads": "threads"}
"""``/proc/<pid>/status`` fields sampled, by the name they get in the series."""


def memory_kib(pid: int) -> dict:
    """``{"rss", "anon", "file", "shmem", "pss"}`` of process ``pid`` in KiB and its ``threads``
    (all None when it is gone; ``pss`` None when unreadable). ``rss == anon + file + shmem``.

    Examples:
        >>> m = memory_kib(os.getpid())
        >>> m["rss"] > 0 and m["rss"] == m["anon"] + m["file"] + m["shmem"]
        True
    """
    out = dict.fromkeys([*STATUS_KEYS.values(), "pss"])
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key = STATUS_KEYS.get(line.split(":", 1)[0])
                if key is not None:
                    out[key] = int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return out
    if out["rss"] is None:
        return out
    pss = None
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            pss = next((int(line.split()[1]) for line in f if line.startswith("Pss:")), None)
    except (FileNotFoundError, PermissionError, ProcessLookupError):
        pass
    out["pss"] = pss
    return out


ARENA_ALIGN = 64 << 20
"""glibc's non-main malloc arenas are heaps of up to 64 MiB mmapped at multiples of their size."""


def mappings_kib(pid: int) -> dict:
    """RSS (KiB) of each mapping of process ``pid`` with any resident page, keyed
    ``"<start address> <perms> <kind>"``; kind: the mapped path, ``[heap]`` (the main malloc
    arena), ``[arena]`` (an anonymous mapping at a 64 MiB boundary: a glibc thread arena),
    ``[stack]`` (an anonymous mapping right after a guard page: a thread's stack) or ``[anon]``
    (other anonymous memory: pymalloc's 1 MiB arenas, large malloc blocks, other allocators).
    Empty when the process is gone or its smaps unreadable.

    Examples:
        >>> m = mappings_kib(os.getpid())
        >>> any(k.endswith("[heap]") for k in m) and all(v > 0 for v in m.values())
        True
    """
    out, key, guard = {}, None, False
    try:
        with open(f"/proc/{pid}/smaps") as f:
            for line in f:
                head = line.split(None, 5)
                if "-" in head[0] and not head[0].endswith(":"):
                    start, perms = int(head[0].split("-")[0], 16), head[1]
                    path = head[5].strip() if len(head) > 5 else ""
                    kind = path or ("[arena]" if start % ARENA_ALIGN == 0 else "[stack]" if guard else "[anon]")
                    key, guard = f"{start:x} {perms} {kind}", perms == "---p" and not path
                elif head[0] == "Rss:" and int(head[1]):
                    out[key] = int(head[1])
    except (FileNotFoundError, PermissionError, ProcessLookupError):
        return {}
    return out


def kinds_kib(mappings: dict) -> dict:
    """RSS (KiB) by kind of mapping: ``heap``, ``arena``, ``stack``, ``anon`` (as in
    :func:`mappings_kib`), ``shm`` (``/dev/shm``: Ray's object store) and ``file`` (other paths).

    Examples:
        >>> kinds_kib({"1000 rw-p [heap]": 8, "4000000 rw-p [arena]": 4, "9 rw-s /dev/shm/plasma": 2, "7 r-xp /lib/x.so": 1})
        {'heap': 8, 'arena': 4, 'stack': 0, 'anon': 0, 'shm': 2, 'file': 1}
    """
    out = dict.fromkeys(("heap", "arena", "stack", "anon", "shm", "file"), 0)
    for key, kib in mappings.items():
        kind = key.split(" ", 2)[2]
        name = kind.strip("[]") if kind in ("[heap]", "[arena]", "[stack]", "[anon]") else (
            "shm" if kind.startswith("/dev/shm") else "file" if kind.startswith("/") else "anon")
        out[name] += kib
    return out


def grown(before: dict, after: dict, top: int = 5) -> list:
    """The ``top`` mappings whose RSS grew most between two :func:`mappings_kib`, as
    ``[key, KiB]`` (a step in a series, attributed).

    Examples:
        >>> grown({"a": 4, "b": 8}, {"a": 4, "b": 12, "c": 1})
        [['b', 4], ['c', 1]]
    """
    diff = sorted(((after[k] - before.get(k, 0), k) for k in after), reverse=True)
    return [[k, d] for d, k in diff[:top] if d > 0]


def slope_per_hour(times_s: list, values: list) -> float:
    """The least-squares slope of ``values`` over ``times_s``, per hour (0 for fewer than 2 points).

    Examples:
        >>> slope_per_hour([0, 1800, 3600], [100, 101, 102])
        2.0
    """
    n = len(times_s)
    if n < 2:
        return 0.0
    mt, mv = sum(times_s) / n, sum(values) / n
    var = sum((t - mt) ** 2 for t in times_s)
    if var == 0:
        return 0.0
    return sum((t - mt) * (v - mv) for t, v in zip(times_s, values)) / var * 3600.0


def summarize(series: dict) -> list:
    """One row per process: samples, mean RSS/PSS (MiB), slope (MiB/h and % of RSS per hour), the
    first sample left out as warm-up when there are more than 2; and the slope over the second half
    of the run alone (% of RSS per hour), which a one-off step early in the run (an allocator arena,
    a buffer sized on first use) does not tilt, while a steady leak shows in both; and the whole-run
    slope of each kind of page (MiB per hour) where the samples have them.

    Examples:
        >>> mib = 1024
        >>> s = [{"t": 60.0 * i, "rss": 100 * mib + i * mib // 2, "anon": 60 * mib + i * mib // 2, "file": 40 * mib,
        ...       "shmem": 0, "pss": None} for i in range(5)]
        >>> row = summarize({"w": s})[0]
        >>> row["rss_slope_mib_per_h"], row["anon_slope_mib_per_h"], row["file_slope_mib_per_h"], row["pss_mib"]
        (30.0, 30.0, 0.0, None)
    """
    rows = []
    for name, samples in series.items():
        kept = samples[1:] if len(samples) > 2 else samples
        t = [s["t"] for s in kept]
        rss = [s["rss"] / 1024 for s in kept]
        mean_rss = sum(rss) / len(rss)
        slope = slope_per_hour(t, rss)
        pss = [s["pss"] / 1024 for s in kept if s["pss"] is not None]
        pss_slope = slope_per_hour([s["t"] for s in kept if s["pss"] is not None], pss) if len(pss) == len(kept) else None
        half = [(ti, r) for ti, r in zip(t, rss) if ti >= (t[0] + t[-1]) / 2]
        late = slope_per_hour([ti for ti, _ in half], [r for _, r in half])
        kinds = {f"{kind}_slope_mib_per_h": round(slope_per_hour(t, [s[kind] / 1024 for s in kept]), 2)
                 for kind in ("anon", "file", "shmem") if all(s.get(kind) is not None for s in kept)}
        rows.append({"process": name, "samples": len(samples), "rss_mib": round(mean_rss, 1),
                     "pss_mib": round(sum(pss) / len(pss), 1) if pss else None,
                     "rss_slope_mib_per_h": round(slope, 2), "rss_slope_pct_per_h": round(100 * slope / mean_rss, 2),
                     "rss_slope_2nd_half_pct_per_h": round(100 * late / mean_rss, 2),
                     "pss_slope_mib_per_h": round(pss_slope, 2) if pss_slope is not None else None, **kinds})
    return rows


def soak(algo: str, minutes: float, interval: float) -> dict:
    from rlcore.registry import get_trainer_class

    config = {"env": "CartPole-v1", "framework": "torch", "model": {"fcnet_hiddens": [64, 64]}, "seed": 0,
              "log_sys_usage": False, "recreate_failed_workers": True, **CONFIGS[algo]}
    logdir = tempfile.mkdtemp(prefix=f"soak-{algo}-")

    class DirLogger:
        def __init__(self, _config):
            self.logdir = logdir

    trainer = get_trainer_class(algo)(config=config, logger_creator=DirLogger)
    series: dict = {}
    last_maps: dict = {}
    start = time.perf_counter()
    next_sample, iterations, result = start, 0, {}
    try:
        while True:
            now = time.perf_counter()
            if now >= next_sample:
                pids = {"driver": os.getpid()}
                pids.update({f"worker {i} (pid {w['pid']})": w["pid"] for i, w in trainer.workers.whereabouts().items()})
                for name, pid in pids.items():
                    mem = memory_kib(pid)
                    maps = mappings_kib(pid)
                    if mem["rss"] is not None:
                        sample = {"t": now - start, **mem, "kinds": kinds_kib(maps)}
                        if name in last_maps and maps:  # attribute steps: the mappings that grew most
                            sample["grown"] = grown(last_maps[name], maps)
                        series.setdefault(name, []).append(sample)
                        last_maps[name] = maps
                next_sample += interval
            if now - start >= minutes * 60:
                break
            result = trainer.train()
            iterations += 1
    finally:
        trainer.stop()
    return {"algo": algo, "minutes": minutes, "interval_s": interval, "iterations": iterations,
            "timesteps_total": result.get("timesteps_total"), "processes": summarize(series), "series": series}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="run length per algorithm")
    parser.add_argument("--interval", type=float, default=60.0, help="seconds between memory samples")
    parser.add_argument("--algos", nargs="+", default=["PPO", "IMPALA"], choices=sorted(CONFIGS))
    parser.add_argument("--out", default=str(Path(__file__).with_name("results") / "soak.json"))
    args = parser.parse_args()

    import ray

    ray.init(address="local", num_cpus=4, include_dashboard=False, log_to_driver=False)
    runs = [soak(algo, args.minutes, args.interval) for algo in args.algos]
    ray.shutdown()

    print(f"{'algo':7} {'process':24} {'n':>3} {'RSS MiB':>8} {'PSS MiB':>8} {'MiB/h':>7} {'%RSS/h':>7} "
          f"{'2nd half %RSS/h':>16} {'anon MiB/h':>10} {'file MiB/h':>10} {'shm MiB/h':>9}")
    for run in runs:
        for row in run["processes"]:
            pss = f"{row['pss_mib']:8.1f}" if row["pss_mib"] is not None else f"{'-':>8}"
            print(f"{run['algo']:7} {row['process']:24} {row['samples']:3d} {row['rss_mib']:8.1f} {pss} "
                  f"{row['rss_slope_mib_per_h']:7.2f} {row['rss_slope_pct_per_h']:7.2f} "
                  f"{row['rss_slope_2nd_half_pct_per_h']:16.2f} {row.get('anon_slope_mib_per_h', float('nan')):10.2f} "
                  f"{row.get('file_slope_mib_per_h', float('nan')):10.2f} {row.get('shmem_slope_mib_per_h', float('nan')):9.2f}")
        print(f"{run['algo']:7} {run['iterations']} iterations, {run['timesteps_total']} env steps in "
              f"{run['minutes']} min")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(), "runs": runs}, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

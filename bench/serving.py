"""Benchmark: the policy server and client (issue #17), on loopback.

- Remote inference: 1, 4 and 16 client processes each play CartPole through
  ``PolicyClient(inference_mode="remote")`` for ``--seconds``; every step is two requests
  (``GET_ACTION`` and ``LOG_RETURNS``). Reported: actions/s over all clients, and the p50/p99
  latency of ``GET_ACTION`` (the round trip including the server's policy forward pass).
- Local inference: one client process with ``inference_mode="local"`` (its own policy copy,
  batches shipped to the server): env steps/s, the CartPole step included.

The server is a ``PolicyServerInput`` over a rollout worker with PPO's torch policy (fcnet
[64, 64]); a thread plays the trainer and drains ``next()``. Clients start first and begin
together, so their start-up is not timed. RLlib 2.60 (its PolicyServerInput/PolicyClient) is not
installed here, so there is no side-by-side column; the output says so.

Prints a table and writes ``bench/results/serving.json``.

Usage: ``python bench/serving.py [--seconds 4] [--clients 1 4 16]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path

CLIENT = r"""
import json, sys, time
import gymnasium as gym
from rlcore.env.policy_client import PolicyClient
url, mode, seconds, seed = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
client = PolicyClient(url, inference_mode=mode, update_interval=5.0)
env = gym.make("CartPole-v1")
print("ready", flush=True)
sys.stdin.readline()  # go
lat, steps = [], 0
t0 = time.perf_counter()
while time.perf_counter() - t0 < seconds:
    obs, _ = env.reset(seed=seed + steps)
    eid = client.start_episode()
    done = False
    while not done:
        s = time.perf_counter()
        action = client.get_action(eid, obs)
        lat.append(time.perf_counter() - s)
        obs, r, term, trunc, _ = env.step(action)
        client.log_returns(eid, r)
        steps += 1
        done = term or trunc
    client.end_episode(eid, obs)
elapsed = time.perf_counter() - t0
client.close()
print(json.dumps({"steps": steps, "elapsed": elapsed, "lat": lat}), flush=True)
"""


def _server():
    import gymnasium as gym
    import numpy as np

    from rlcore.algorithms.ppo import PPOTorchPolicy
    from rlcore.env.policy_server_input import PolicyServerInput
    from rlcore.offline import IOContext
    from rlcore.sampling.rollout_worker import RolloutWorker

    config = {"observation_space": gym.spaces.Box(-np.inf, np.inf, (4,), np.float32),
              "action_space": gym.spaces.Discrete(2), "framework": "torch", "model": {"fcnet_hiddens": [64, 64]},
              "framework_threads_for_driver": 1}
    worker = RolloutWorker(env_creator=lambda ctx: None, policy_spec=PPOTorchPolicy, policy_config=config,
                           rollout_fragment_length=200)
    return PolicyServerInput(IOContext(config=config, worker=worker), "127.0.0.1", 0, idle_timeout=0.1,
                             max_connections=64)


def _run(url: str, mode: str, n: int, seconds: float) -> dict:
    procs = [subprocess.Popen([sys.executable, "-c", CLIENT, url, mode, str(seconds), str(1000 * i)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for i in range(n)]
    for p in procs:
        assert p.stdout.readline().strip() == "ready"
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    results = [json.loads(p.communicate(timeout=seconds + 120)[0].strip().splitlines()[-1]) for p in procs]
    lat = sorted(x for r in results for x in r["lat"])
    steps = sum(r["steps"] for r in results)
    wall = max(r["elapsed"] for r in results)
    pick = lambda q: 1000 * lat[min(len(lat) - 1, int(q * len(lat)))]  # noqa: E731
    return {"mode": mode, "clients": n, "steps": steps, "steps_per_s": steps / wall,
            "p50_ms": pick(0.50), "p99_ms": pick(0.99)}


def _rllib_note() -> str:
    """Why there is no RLlib column: ray 2.60 ships ``ray.rllib``'s sources, but ``ray[rllib]``
    (dm-tree, its pinned gymnasium, ...) is not installed, so its policy server cannot be imported."""
    try:
        from ray.rllib.env.policy_server_input import PolicyServerInput  # noqa: F401
    except ImportError as err:
        return (f"RLlib 2.60's PolicyServerInput/PolicyClient: not installed here (ray[rllib] is not a "
                f"dependency; importing it fails: {err}), so no side-by-side figures")
    return "ray.rllib imports here, but this bench does not run it side by side"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    args = parser.parse_args()
    server = _server()
    stop = threading.Event()
    drained = [0]

    def trainer():
        while not stop.is_set():
            drained[0] += server.next().count

    drain = threading.Thread(target=trainer, daemon=True)
    drain.start()
    url = f"http://127.0.0.1:{server.port}"
    rows = [_run(url, "remote", n, args.seconds) for n in args.clients]
    rows.append(_run(url, "local", 1, args.seconds))
    stop.set()
    drain.join(5)
    server.stop()
    note = _rllib_note()
    print(f"{'mode':8} {'clients':>7} {'steps/s':>10} {'p50 ms':>8} {'p99 ms':>8}")
    for r in rows:
        lat = (f"{r['p50_ms']:8.2f} {r['p99_ms']:8.2f}" if r["mode"] == "remote" else f"{'-':>8} {'-':>8}")
        print(f"{r['mode']:8} {r['clients']:7d} {r['steps_per_s']:10.0f} {lat}")
    print(f"server: stdlib ThreadingHTTPServer + http.client keep-alive, msgpack; rows drained by the trainer thread: {drained[0]}")
    print(note)
    out = Path(__file__).parent / "results" / "serving.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"rows": rows, "seconds": args.seconds, "rllib_2_60": note,
                               "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                           "loadavg": os.getloadavg()},
                               "date": time.strftime("%Y-%m-%d %H:%M:%S")}, indent=1) + "\n")


if __name__ == "__main__":
    main()

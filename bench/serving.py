"""Benchmark: the policy server and client (issue #17) against RLlib's, on loopback, in one run.

- Remote inference: 1, 4 and 16 client processes each play CartPole through
  ``PolicyClient(inference_mode="remote")`` for ``--seconds``, calling ``get_action`` and
  ``log_returns`` every step. RLlib's client sends each call (two requests a step); ours sends
  the returns with the episode's next request (one a step). Reported: actions/s over all
  clients, and the p50/p99 latency of ``get_action`` (the round trip including the server's
  policy forward pass).
- Local inference: one client process with ``inference_mode="local"`` (its own policy copy,
  batches shipped to the server): env steps/s, the CartPole step included.

Ours: a ``PolicyServerInput`` over a rollout worker with PPO's torch policy (fcnet [64, 64],
one torch thread), in this process; a thread plays the trainer and drains ``next()``.

The peer: RLlib 2.38.0's ``PolicyServerInput``/``PolicyClient`` (old API stack), run by
``.venv-peers-serving/bin/python`` (``bench/peers_serving_venv.sh``). RLlib 2.60 (``.venv-peers``)
no longer ships ``PolicyServerInput`` (2.50.0 removed it); 2.39.0 to 2.49.2 ship it but cannot
serve (their only sampler refuses the ExternalEnv both inference modes run on), so 2.38.0, the
newest release whose PolicyServerInput/PolicyClient work, is the peer. Its server runs in
a child process: a PPO algorithm (torch, fcnet [64, 64], ``num_env_runners=0``, one torch
thread) whose ``input`` is a ``PolicyServerInput``; as for ours, a thread drains its local
worker's input reader instead of training, so both servers do the same work (serve, sample,
queue batches). Its clients run the same client loop with ``ray.rllib.env.policy_client``.
Ratio columns: ours / RLlib's (actions/s: higher is better; latency: lower is better).

RLlib 2.60's replacement, ``EnvRunnerServerForExternalInference`` (the RLlink TCP protocol), is
not benchmarked: it serves one client per env runner, has no remote inference and no
PolicyClient-like client (RLlib ships only an example loop, ``dummy_external_client.py``, that
runs the RLModule itself and blocks on every fragment until the server sends new weights), so
its steps/s would measure PPO's training step, not serving.

- Paced remote inference, at equal offered load: the unpaced rows let each implementation set
  its own load (ours serves about ten times the requests, so at 16 clients the 2 cores are busy
  with our own 16 client processes and latency is mostly waiting for a core). The paced row gives
  both servers the same load: ``max(--clients)`` clients, each asking for at most the per-client
  rate RLlib's server sustained unpaced at that client count (measured just before, in this run),
  and compares latency there.

- Remote inference over TLS (ours only: RLlib's server has no TLS): the same unpaced remote
  rows at 1 and ``max(--clients)`` clients against a second server with a self-signed EC P-256
  certificate (made with the ``openssl`` command; the row is skipped without it), clients
  trusting it through ``ssl_context``: what encryption costs per action.

Clients start first and begin together, so their start-up is not timed. A client whose request
fails stops there (its steps so far count) and the failure is printed under the table. Prints a table and
writes ``bench/results/serving.json``.

Usage: ``python bench/serving.py [--seconds 4] [--clients 1 4 16] [--no-peer]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEER_PYTHON = ROOT / ".venv-peers-serving" / "bin" / "python"

CLIENT = r"""
import json, sys, time
impl, url, mode, seconds, seed = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
rate = float(sys.argv[6])  # get_action calls per second at most (0: as fast as the server answers)
ca = sys.argv[7] if len(sys.argv) > 7 else ""  # https: the certificate to trust
if mode == "local":
    import torch
    torch.set_num_threads(1)
import gymnasium as gym
if impl == "rllib":
    from ray.rllib.env.policy_client import PolicyClient
else:
    from rlcore.env.policy_client import PolicyClient
if ca:
    import ssl
    client = PolicyClient(url, inference_mode=mode, update_interval=5.0, ssl_context=ssl.create_default_context(cafile=ca))
else:
    client = PolicyClient(url, inference_mode=mode, update_interval=5.0)
env = gym.make("CartPole-v1")
print("ready", flush=True)
sys.stdin.readline()  # go
lat, steps, error = [], 0, None
t0 = time.perf_counter()
next_t = t0
try:
    while time.perf_counter() - t0 < seconds:
        obs, _ = env.reset(seed=seed + steps)
        eid = client.start_episode()
        done = False
        while not done:
            if rate:
                next_t += 1.0 / rate
                time.sleep(max(0.0, next_t - time.perf_counter()))
            s = time.perf_counter()
            action = client.get_action(eid, obs)
            lat.append(time.perf_counter() - s)
            obs, r, term, trunc, _ = env.step(action)
            client.log_returns(eid, r)
            steps += 1
            done = term or trunc
        client.end_episode(eid, obs)
except Exception as err:  # a failed request ends this client; its steps so far count, the error is reported
    error = f"{type(err).__name__}: {err}"[:200]
elapsed = time.perf_counter() - t0
if hasattr(client, "close"):
    client.close()
print(json.dumps({"steps": steps, "elapsed": elapsed, "lat": lat, "error": error}), flush=True)
"""

PEER_SERVER = r"""
import json, logging, sys, threading
import gymnasium as gym, numpy as np, torch
import ray
from ray.rllib.algorithms.ppo import PPOConfig
from ray.rllib.env.policy_server_input import PolicyServerInput
torch.set_num_threads(1)
port = int(sys.argv[1])
ray.init(address="local", num_cpus=1, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
config = (
    PPOConfig()
    .api_stack(enable_rl_module_and_learner=False, enable_env_runner_and_connector_v2=False)
    .environment(env=None, observation_space=gym.spaces.Box(-np.inf, np.inf, (4,), np.float32),
                 action_space=gym.spaces.Discrete(2))
    .framework("torch")
    .env_runners(num_env_runners=0, rollout_fragment_length=200, enable_connectors=False)
    .training(model={"fcnet_hiddens": [64, 64]}, train_batch_size=1000)
    .offline_data(input_=lambda ioctx: PolicyServerInput(ioctx, "127.0.0.1", port, idle_timeout=0.1))
    .evaluation(off_policy_estimation_methods={})
)
algo = config.build()
reader = algo.env_runner.input_reader
drained = [0]
def drain():
    while True:
        drained[0] += reader.next().count
threading.Thread(target=drain, daemon=True).start()
print("ready", flush=True)
sys.stdin.readline()  # stop
print(json.dumps({"drained": drained[0]}), flush=True)
"""


def _server(tls: tuple | None = None):
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
    certfile, keyfile = tls or (None, None)
    return PolicyServerInput(IOContext(config=config, worker=worker), "127.0.0.1", 0, idle_timeout=0.1,
                             max_connections=64, tls_certfile=certfile, tls_keyfile=keyfile)


def _run(python: str, impl: str, url: str, mode: str, n: int, seconds: float, rate: float = 0.0, ca: str = "") -> dict:
    """``n`` client processes for ``seconds``; ``rate`` > 0 paces each to that many actions/s; ``ca``:
    the certificate an https ``url``'s clients trust."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)} if impl == "rlcore" else {**os.environ, "PYTHONWARNINGS": "ignore"}
    procs = [subprocess.Popen([python, "-c", CLIENT, impl, url, mode, str(seconds), str(1000 * i), str(rate), ca],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env) for i in range(n)]
    for p in procs:
        line = p.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError(f"{impl} {mode} client did not start (said {line!r})")
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    results = [json.loads(p.communicate(timeout=seconds + 120)[0].strip().splitlines()[-1]) for p in procs]
    lat = sorted(x for r in results for x in r["lat"])
    steps = sum(r["steps"] for r in results)
    wall = max(r["elapsed"] for r in results)
    pick = lambda q: 1000 * lat[min(len(lat) - 1, int(q * len(lat)))]  # noqa: E731
    errors = [r["error"] for r in results if r["error"]]
    row = {"impl": impl, "mode": "remote-paced" if rate else ("remote-tls" if ca else mode), "clients": n, "steps": steps,
           "steps_per_s": steps / wall, "failed_clients": len(errors), "errors": errors[:3]}
    if rate:
        row["paced_per_client_per_s"] = rate
    if mode == "remote":
        row.update(p50_ms=pick(0.50), p99_ms=pick(0.99))
    return row


def _self_signed(folder: str) -> tuple | None:
    """``(certfile, keyfile)`` of a new self-signed certificate for 127.0.0.1, or None without openssl."""
    import shutil

    if shutil.which("openssl") is None:
        return None
    cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True, timeout=60)
    return cert, key


def _paced_rate(rows: list, clients: int) -> float:
    """Per-client actions/s that ``rows``' unpaced remote run with ``clients`` clients sustained."""
    row, = [r for r in rows if r["mode"] == "remote" and r["clients"] == clients]
    return row["steps_per_s"] / clients


def _ours(clients: list, seconds: float, paced_rate: float = 0.0, tls: tuple | None = None) -> tuple:
    """Our rows (remote per client count, local, paced if ``paced_rate``) against a server, and the rows
    it drained; with ``tls`` (cert, key) the remote rows at the fewest and most clients over HTTPS."""
    server = _server(tls)
    stop = threading.Event()
    drained = [0]

    def trainer():
        while not stop.is_set():
            drained[0] += server.next().count

    drain = threading.Thread(target=trainer, daemon=True)
    drain.start()
    url = f"{'https' if tls else 'http'}://127.0.0.1:{server.port}"
    try:
        if tls:
            rows = [_run(sys.executable, "rlcore", url, "remote", n, seconds, ca=tls[0])
                    for n in sorted({min(clients), max(clients)})]
        else:
            rows = [_run(sys.executable, "rlcore", url, "remote", n, seconds) for n in clients]
            rows.append(_run(sys.executable, "rlcore", url, "local", 1, seconds))
            if paced_rate:
                rows.append(_run(sys.executable, "rlcore", url, "remote", max(clients), seconds, paced_rate))
    finally:
        stop.set()
        drain.join(5)
        server.stop()
    return rows, drained[0]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _peer(clients: list, seconds: float) -> tuple:
    port = _free_port()
    log = tempfile.TemporaryFile("w+")  # its request log and warnings (shown if it fails)
    server = subprocess.Popen([str(PEER_PYTHON), "-c", PEER_SERVER, str(port)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=log, text=True,
                              env={**os.environ, "PYTHONWARNINGS": "ignore"})
    try:
        line = server.stdout.readline().strip()
        if line != "ready":
            log.seek(0)
            raise RuntimeError(f"RLlib's policy server did not start (said {line!r}): {log.read()[-3000:]}")
        url = f"http://127.0.0.1:{port}"
        rows = [_run(str(PEER_PYTHON), "rllib", url, "remote", n, seconds) for n in clients]
        rows.append(_run(str(PEER_PYTHON), "rllib", url, "local", 1, seconds))
        n = max(clients)
        rows.append(_run(str(PEER_PYTHON), "rllib", url, "remote", n, seconds, _paced_rate(rows, n)))
        out, _ = server.communicate("stop\n", timeout=60)
        drained = json.loads(out.strip().splitlines()[-1])["drained"]
    except BaseException:
        log.seek(0)
        print(f"RLlib's policy server log (tail):\n{log.read()[-3000:]}", file=sys.stderr)
        raise
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(10)
        log.close()
    return rows, drained


def _fmt(x, spec):
    return format(x, spec) if x is not None else format("-", spec.rstrip("f").split(".")[0] + "s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--no-peer", action="store_true", help="skip RLlib's server and clients")
    args = parser.parse_args()
    peer_rows, peer_drained, peer_note = [], None, None
    if args.no_peer:
        peer_note = "not run (--no-peer)"
    elif not PEER_PYTHON.exists():
        peer_note = f"not run: {PEER_PYTHON} is missing (create it with bash bench/peers_serving_venv.sh)"
    else:
        peer_rows, peer_drained = _peer(args.clients, args.seconds)
    # the peer runs first: its unpaced rate at the most clients sets the paced row's load for both
    paced_rate = _paced_rate(peer_rows, max(args.clients)) if peer_rows else 0.0
    rows, drained = _ours(args.clients, args.seconds, paced_rate)
    with tempfile.TemporaryDirectory() as folder:
        tls = _self_signed(folder)
        tls_note = "TLS rows: skipped (no openssl command)" if tls is None else "TLS rows: self-signed EC P-256, TLS 1.3"
        if tls is not None:
            rows += _ours(args.clients, args.seconds, tls=tls)[0]
    peers = {(r["mode"], r["clients"]): r for r in peer_rows}
    header = (f"{'mode':12} {'clients':>7} | {'ours/s':>8} {'p50 ms':>7} {'p99 ms':>7} | {'rllib/s':>8} {'p50 ms':>7} "
              f"{'p99 ms':>7} | {'x act/s':>7} {'x p50':>6} {'x p99':>6} {'our p99 < its p50':>17}")
    print(header)
    print("-" * len(header))
    table = []
    for r in rows:
        p = peers.get((r["mode"], r["clients"]))
        entry = {"mode": r["mode"], "clients": r["clients"], "ours": r, "rllib": p}
        if p is not None:
            entry["ratio_steps_per_s"] = r["steps_per_s"] / p["steps_per_s"]
            if r["mode"] != "local":
                entry["ratio_p50"] = r["p50_ms"] / p["p50_ms"]
                entry["ratio_p99"] = r["p99_ms"] / p["p99_ms"]
                entry["our_p99_below_its_p50"] = r["p99_ms"] < p["p50_ms"]
        table.append(entry)
        g = lambda d, k: None if d is None else d.get(k)  # noqa: E731
        below = entry.get("our_p99_below_its_p50")
        print(f"{r['mode']:12} {r['clients']:7d} | {r['steps_per_s']:8.0f} {_fmt(r.get('p50_ms'), '7.2f')} "
              f"{_fmt(r.get('p99_ms'), '7.2f')} | {_fmt(g(p, 'steps_per_s'), '8.0f')} {_fmt(g(p, 'p50_ms'), '7.2f')} "
              f"{_fmt(g(p, 'p99_ms'), '7.2f')} | {_fmt(entry.get('ratio_steps_per_s'), '7.2f')} "
              f"{_fmt(entry.get('ratio_p50'), '6.2f')} {_fmt(entry.get('ratio_p99'), '6.2f')} "
              f"{'-' if below is None else ('yes' if below else 'no'):>17}")
    for r in rows + peer_rows:
        if r["failed_clients"]:
            print(f"{r['impl']} {r['mode']} x{r['clients']}: {r['failed_clients']} client(s) failed, e.g. {r['errors'][0]}")
    print(f"ours: stdlib ThreadingHTTPServer + http.client keep-alive, msgpack; rows drained: {drained}; {tls_note}")
    print("rllib 2.38.0: " + (peer_note or f"http.server (HTTP/1.0, a connection per request) + requests, "
                                            f"cloudpickle; rows drained: {peer_drained}"))
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    out = Path(__file__).parent / "results" / "serving.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"table": table, "seconds": args.seconds, "drained": {"ours": drained,
                               "rllib": peer_drained}, "peer": "ray[rllib]==2.38.0 (.venv-peers-serving)",
                               "peer_note": peer_note,
                               "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                           "loadavg": os.getloadavg()},
                               "date": time.strftime("%Y-%m-%d %H:%M:%S")}, indent=1) + "\n")


if __name__ == "__main__":
    main()

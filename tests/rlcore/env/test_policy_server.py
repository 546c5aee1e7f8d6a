"""PolicyServerInput / PolicyClient (issue #17): msgpack over HTTP, safe by construction.

Each hostile input is a test: the server answers it with its 4xx (or cleans up after it) and a
well-behaved client still gets actions afterwards. Servers bind port 0 on loopback.
"""

import http.client
import os
import pickle
import socket
import subprocess
import sys
import textwrap
import threading
import time

import gymnasium as gym
import numpy as np
import pytest

from rlcore.data.codec import pack_values, to_bytes
from rlcore.data.sample_batch import SampleBatch
from rlcore.env.policy_client import PolicyClient, PolicyClientError
from rlcore.env.policy_server_input import PolicyServerInput
from rlcore.env.serving_protocol import Commands, encode_message
from rlcore.offline import IOContext
from rlcore.policy.random_policy import RandomPolicy
from rlcore.sampling.metrics import RolloutMetrics
from rlcore.sampling.rollout_worker import RolloutWorker

OBS = gym.spaces.Box(-np.inf, np.inf, (4,), np.float32)
ACT = gym.spaces.Discrete(2)
TIMEOUT = 10.0


def _worker():
    return RolloutWorker(env_creator=lambda ctx: None, policy_spec=RandomPolicy, rollout_fragment_length=8,
                         policy_config={"observation_space": OBS, "action_space": ACT})


@pytest.fixture
def server():
    s = PolicyServerInput(IOContext(worker=_worker()), "127.0.0.1", 0, idle_timeout=0.05, connection_timeout_s=2.0,
                          request_timeout_s=2.0, max_request_bytes=1 << 20)
    yield s
    s.stop()


def _url(server):
    return f"http://127.0.0.1:{server.port}"


def _still_serves(server):
    """A well-behaved remote client plays a short episode: it gets valid actions."""
    with PolicyClient(_url(server), inference_mode="remote", timeout_s=TIMEOUT) as client:
        eid = client.start_episode()
        actions = [client.get_action(eid, np.zeros(4, np.float32)) for _ in range(3)]
        client.log_returns(eid, 1.0)
        client.end_episode(eid, np.zeros(4, np.float32))
    return all(a in (0, 1) for a in actions)


def _post(server, body, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    try:
        conn.request("POST", "/", body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def _raw(server, data):
    """Sends raw bytes; returns the status line's code (or None if the server just closed)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as sock:
        sock.sendall(data)
        reply = b""
        while b"\r\n" not in reply:
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
    return int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/") else None


# -- binding and authentication -------------------------------------------------------------------


def test_default_bind_is_loopback():
    s = PolicyServerInput(IOContext(worker=_worker()), port=0)
    try:
        assert s.address == "127.0.0.1"
    finally:
        s.stop()
    assert PolicyServerInput.__init__.__defaults__[0] == "127.0.0.1"


@pytest.mark.parametrize("address", ["0.0.0.0", "", "::"])
def test_a_non_loopback_bind_without_a_token_is_refused(address):
    with pytest.raises(ValueError, match="a non-loopback address needs auth_token"):
        PolicyServerInput(IOContext(worker=_worker()), address, 0)


def test_token_authentication():
    s = PolicyServerInput(IOContext(worker=_worker()), "localhost", 0, auth_token="s3cret", idle_timeout=0.05)
    try:
        for token in (None, "wrong"):
            with pytest.raises(PolicyClientError, match="401: missing or wrong token") as err:
                PolicyClient(f"http://localhost:{s.port}", "remote", auth_token=token).start_episode()
            assert err.value.status == 401
        with PolicyClient(f"http://localhost:{s.port}", "remote", auth_token="s3cret") as client:
            eid = client.start_episode()
            assert client.get_action(eid, np.zeros(4, np.float32)) in (0, 1)
    finally:
        s.stop()


def test_a_token_allows_a_non_loopback_bind():
    s = PolicyServerInput(IOContext(worker=_worker()), "0.0.0.0", 0, auth_token="t")
    try:
        assert s.address == "0.0.0.0"
    finally:
        s.stop()


# -- hostile input ----------------------------------------------------------------------------------


def test_random_bytes(server):
    rng = np.random.default_rng(0)
    assert 400 <= _raw(server, rng.bytes(300) + b"\r\n\r\n") < 500  # not even HTTP
    status, reason = _post(server, rng.bytes(300))  # HTTP, body of noise
    assert status == 400 and reason.startswith("malformed body") and reason.count("\n") == 1
    assert _still_serves(server)


def test_a_truncated_msgpack_body(server):
    body = encode_message({"command": "GET_ACTION", "episode_id": "x", "observation": np.zeros(4, np.float32)})
    status, reason = _post(server, body[:-5])
    assert status == 400 and "malformed body" in reason
    assert _still_serves(server)


def test_a_huge_declared_length_is_413_before_any_body(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    conn.putrequest("POST", "/")
    conn.putheader("Content-Length", str(10**12))
    conn.endheaders()  # no body sent: the answer must not wait for it
    response = conn.getresponse()
    assert response.status == 413 and "larger than the server's limit of 1048576 bytes" in response.read().decode()
    conn.close()
    assert _still_serves(server)


def test_an_unknown_command_and_bad_arguments(server):
    status, reason = _post(server, encode_message({"command": "RUN_SHELL", "cmd": "rm -rf /"}))
    assert status == 400 and reason.startswith("unknown command 'RUN_SHELL'")
    status, reason = _post(server, pack_values([1, 2, 3]))
    assert status == 400 and "expected a msgpack map" in reason
    status, reason = _post(server, encode_message({"command": "GET_ACTION", "episode_id": "nope",
                                                   "observation": np.zeros(4, np.float32)}))
    assert status == 400 and "episode nope not found" in reason
    status, reason = _post(server, encode_message({"command": "START_EPISODE", "episode_id": 5}))
    assert status == 400 and "episode_id=5" in reason
    assert _still_serves(server)


def test_returns_travel_with_the_next_request_and_bad_ones_are_400(server):
    with PolicyClient(_url(server), "remote") as client:
        eid = client.start_episode()
        client.get_action(eid, np.zeros(4, np.float32))
        client.log_returns(eid, "lots")
        with pytest.raises(PolicyClientError, match="400.*GET_ACTION returns: reward='lots'"):
            client.get_action(eid, np.zeros(4, np.float32))
    obs = np.zeros(4, np.float32)
    with PolicyClient(_url(server), "remote") as client:
        for returns, needle in ((5, "'returns' must be a list"), ([[1.0, None]], "'returns' must be a list"),
                                ([[1.0, {}, None], [2.0, [], None]], "info and done must be maps")):
            eid = client.start_episode()
            status, reason = _post(server, encode_message({"command": "END_EPISODE", "episode_id": eid,
                                                           "observation": obs, "returns": returns}))
            assert status == 400 and needle in reason
            client.end_episode(eid, obs)  # nothing was logged by the refused request: the episode is still open
    assert _still_serves(server)


def test_a_bad_observation_is_refused_before_it_reaches_the_shared_sampler(server):
    with PolicyClient(_url(server), "remote") as client:
        eid = client.start_episode()
        with pytest.raises(PolicyClientError, match="does not fit the observation space") as err:
            client.get_action(eid, np.zeros(7, np.float32))
        assert err.value.status == 400
        assert client.get_action(eid, np.zeros(4, np.float32)) in (0, 1)
    assert _still_serves(server)


class _Evil:
    """Unpickling this would create a file: proof that nothing is ever unpickled."""

    path = None

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_a_pickle_payload_is_never_deserialised(server, tmp_path):
    _Evil.path = str(tmp_path / "pwned")
    payload = pickle.dumps({"command": "GET_WEIGHTS", "x": _Evil()})
    status, reason = _post(server, payload)
    assert status == 400 and "malformed body" in reason
    # a pickle where a batch belongs (1.x's REPORT_SAMPLES carried one)
    status, reason = _post(server, encode_message({"command": "REPORT_SAMPLES", "samples": pickle.dumps(_Evil()),
                                                   "metrics": []}))
    assert status == 400 and "not an rlcore batch" in reason
    assert not os.path.exists(_Evil.path)
    assert _still_serves(server)


def test_other_methods_and_chunked_bodies(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    conn.request("GET", "/")
    response = conn.getresponse()
    assert response.status == 405 and "POST msgpack requests" in response.read().decode()
    conn.close()
    assert _raw(server, b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n") == 411
    assert _raw(server, b"POST / HTTP/1.1\r\nHost: x\r\n\r\n") == 411
    assert _still_serves(server)


def _answer(sock):
    """Reads one answer from ``sock``: ``(status, body text)``."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError(f"closed after {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = next((int(v) for k, _, v in (x.partition(b":") for x in lines[1:]) if k.lower() == b"content-length"), 0)
    while len(body) < length:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed mid-body")
        body += chunk
    return int(lines[0].split(b" ", 2)[1]), body.decode("utf-8", "replace").strip()


def _head(server, data):
    """Sends raw bytes on a new connection; returns the answer's status and body text."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as sock:
        sock.sendall(data)
        return _answer(sock)


def test_hostile_header_lines(server):
    """The server's own header parser keeps http.client's limits and answers malformed lines."""
    post = b"POST / HTTP/1.1\r\n"
    assert _head(server, post + b"X-A: " + b"a" * 70000 + b"\r\n\r\n")[0] == 431
    many = b"".join(b"X-%d: 1\r\n" % i for i in range(101))
    assert _head(server, post + many + b"\r\n")[0] == 431
    status, reason = _head(server, post + b"no colon here\r\n\r\n")
    assert status == 400 and "malformed header line 'no colon here'" in reason
    assert _head(server, post + b": no name\r\n\r\n")[0] == 400
    assert _still_serves(server)


def test_header_names_fold_case_and_the_first_of_repeats_counts():
    s = PolicyServerInput(IOContext(worker=_worker()), "127.0.0.1", 0, auth_token="tok", idle_timeout=0.05)
    try:
        body = encode_message({"command": Commands.START_EPISODE, "episode_id": None, "training_enabled": True})
        head = (b"POST / HTTP/1.1\r\nHOST: x\r\nauthorization: Bearer tok\r\nAuthorization: Bearer wrong\r\n"
                b"content-length: %d\r\nX-Folded: a\r\n  b\r\n\r\n" % len(body))
        assert _head(s, head + body)[0] == 200
        assert _head(s, head.replace(b"Bearer tok", b"Bearer bad") + body)[0] == 401
    finally:
        s.stop()


def test_connection_close_and_expect_100_continue(server):
    body = encode_message({"command": Commands.START_EPISODE, "episode_id": None, "training_enabled": True})
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n" % len(body))
        assert _answer(sock)[0] == 100  # before the body is sent
        sock.sendall(body)
        assert _answer(sock)[0] == 200
        sock.sendall(b"POST / HTTP/1.1\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
        assert _answer(sock)[0] == 200
        assert sock.recv(4096) == b""  # then closed by the server


def _open_connections(server):
    return len(server._server._open)


def _wait(predicate, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        threading.Event().wait(0.02)
    return predicate()


def test_a_socket_closed_mid_request_ends_only_its_connection(server):
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
    sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + b"\x81" * 10)
    assert _wait(lambda: _open_connections(server) == 1)
    sock.close()
    assert _wait(lambda: _open_connections(server) == 0)
    assert _still_serves(server)


def test_idle_and_stalled_connections_time_out():
    s = PolicyServerInput(IOContext(worker=_worker()), "127.0.0.1", 0, idle_timeout=0.05,
                          connection_timeout_s=0.3, request_timeout_s=0.5)
    try:
        idle = socket.create_connection(("127.0.0.1", s.port), timeout=TIMEOUT)
        assert idle.recv(100) == b""  # closed by the server, well before the client's own timeout
        stalled = socket.create_connection(("127.0.0.1", s.port), timeout=TIMEOUT)
        stalled.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
        reply = stalled.recv(200)
        assert reply.startswith(b"HTTP/1.1 408")
        idle.close(), stalled.close()
        assert _still_serves(s)
    finally:
        s.stop()


def test_connections_beyond_the_cap_get_503_and_others_are_served():
    s = PolicyServerInput(IOContext(worker=_worker()), "127.0.0.1", 0, idle_timeout=0.05, max_connections=2)
    try:
        held = [socket.create_connection(("127.0.0.1", s.port), timeout=TIMEOUT) for _ in range(2)]
        assert _wait(lambda: _open_connections(s) == 2)
        assert _raw(s, b"POST / HTTP/1.1\r\n\r\n") == 503
        for sock in held:
            sock.close()
        assert _wait(lambda: _open_connections(s) == 0)
        assert _still_serves(s)
    finally:
        s.stop()


_KILLED_CLIENT = textwrap.dedent("""
    import sys, numpy as np
    from rlcore.env.policy_client import PolicyClient
    client = PolicyClient(sys.argv[1], inference_mode="remote")
    eid = client.start_episode()
    client.get_action(eid, np.zeros(4, np.float32))
    client.log_returns(eid, 1.0)
    print(eid, flush=True)
    sys.stdin.read()  # until killed
""")


def test_a_client_killed_mid_episode_is_cleaned_up(tmp_path):
    s = PolicyServerInput(IOContext(worker=_worker()), "127.0.0.1", 0, idle_timeout=0.05, episode_timeout_s=0.5,
                          max_concurrent_episodes=2)
    script = tmp_path / "client.py"
    script.write_text(_KILLED_CLIENT)
    proc = subprocess.Popen([sys.executable, str(script), f"http://127.0.0.1:{s.port}"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, cwd=os.getcwd())
    try:
        eid = proc.stdout.readline().decode().strip()
        assert eid and eid in s._episodes
        proc.kill()
        proc.wait(TIMEOUT)
        assert _wait(lambda: (s.next(), s.stats["abandoned_episodes"] == 1)[1])  # the trainer's next() reaps it
        assert eid not in s._episodes and _wait(lambda: _open_connections(s) == 0)
        assert _still_serves(s) and _still_serves(s)  # both max_concurrent slots are free again
    finally:
        proc.kill()
        s.stop()


# -- the InputReader side ----------------------------------------------------------------------------


def test_next_is_empty_after_idle_timeout_and_returns_reported_batches(server):
    assert server.next().count == 0
    batch = SampleBatch({"obs": np.ones((3, 4), np.float32), "actions": np.array([0, 1, 0])})
    conn_body = encode_message({"command": Commands.REPORT_SAMPLES, "samples": to_bytes(batch),
                                "metrics": [[3, 2.0, [["agent0", "default_policy", 2.0]], {"m": 1.0}, {}, {}]]})
    status, _ = _post(server, conn_body)
    assert status == 200
    got = server.next()
    assert got["actions"].tolist() == [0, 1, 0] and got["obs"].shape == (3, 4)
    assert server.get_metrics() == [RolloutMetrics(3, 2.0, {("agent0", "default_policy"): 2.0}, {"m": 1.0})]


def test_remote_episodes_come_out_of_next(server):
    with PolicyClient(_url(server), "remote") as client:
        for _ in range(2):  # 20 rows: two fragments of 8 (the first episode's metrics come with the second)
            eid = client.start_episode()
            for t in range(10):
                client.get_action(eid, np.full(4, t, np.float32))
                client.log_returns(eid, 1.0)
            client.end_episode(eid, np.zeros(4, np.float32))
    rows, metrics = [], []

    def read():
        batch = server.next()
        rows.extend(batch["obs"][:, 0].tolist() if batch.count else [])
        metrics.extend(server.get_metrics())
        return len(rows) >= 16 and metrics

    assert _wait(read)
    assert rows[:10] == [float(t) for t in range(10)]
    assert metrics[0].episode_length == 10 and metrics[0].episode_reward == 10.0


def test_local_inference_client_ships_batches_and_metrics(server):
    with PolicyClient(_url(server), "local", update_interval=None) as client:
        assert isinstance(client.rollout_worker.get_policy(), RandomPolicy)
        eid = client.start_episode()
        for t in range(8):
            assert client.get_action(eid, np.full(4, t, np.float32)) in (0, 1)
            client.log_returns(eid, 0.5)
        client.end_episode(eid, np.zeros(4, np.float32))
        batch = server.samples_queue.get(timeout=TIMEOUT)
        assert batch.count == 8 and batch["obs"][:, 0].tolist() == [float(t) for t in range(8)]
        metrics = []
        assert _wait(lambda: (metrics.extend(server.get_metrics()), len(metrics) == 1)[1])
        assert metrics[0].episode_reward == 4.0
        client.update_policy_weights()


def test_stop_leaves_no_thread_and_answers_waiting_calls():
    before = {t.ident for t in threading.enumerate()}
    s = PolicyServerInput(IOContext(worker=_worker()), "127.0.0.1", 0, idle_timeout=0.05)
    client = PolicyClient(f"http://127.0.0.1:{s.port}", "remote")
    eid = client.start_episode()
    client.get_action(eid, np.zeros(4, np.float32))
    idle = socket.create_connection(("127.0.0.1", s.port), timeout=TIMEOUT)  # an idle keep-alive connection
    s.stop()
    with pytest.raises((PolicyClientError, OSError)):
        client.get_action(eid, np.zeros(4, np.float32))
    client.close(), idle.close()
    assert _wait(lambda: {t.ident for t in threading.enumerate()} <= before), threading.enumerate()


# -- a trainer fed by clients -------------------------------------------------------------------------


EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples", "serving")


def test_ppo_learns_cartpole_from_a_local_and_a_remote_client_process_and_stops_cleanly():
    """The README's serving example as three processes: this one trains (the server), one client
    process keeps a policy copy (local inference) and one asks for every action (remote)."""
    sys.path.insert(0, EXAMPLES)
    try:
        from cartpole_server import make_config
    finally:
        sys.path.pop(0)
    from rlcore.algorithms.ppo import PPOTrainer

    before = {t.ident for t in threading.enumerate()}
    trainer = PPOTrainer(config=make_config(port=0, seed=0))
    server = trainer.workers.local_worker().input_reader
    assert isinstance(server, PolicyServerInput) and server.address == "127.0.0.1"
    url = f"http://127.0.0.1:{server.port}"
    clients = [subprocess.Popen([sys.executable, os.path.join(EXAMPLES, "cartpole_client.py"), "--address", url,
                                 "--inference-mode", mode, "--seed", str(1000 * i)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for i, mode in enumerate(["local", "remote"])]
    best, deadline = 0.0, time.monotonic() + 120
    try:
        while best < 150 and time.monotonic() < deadline and all(c.poll() is None for c in clients):
            best = max(best, trainer.train()["episode_reward_mean"])
    finally:
        for c in clients:
            c.terminate()
        outputs = [c.communicate(timeout=TIMEOUT) for c in clients]
        trainer.stop()
    assert best >= 150, (best, [err[-2000:] for _, err in outputs])
    for out, _ in outputs:  # both inference modes played whole episodes
        assert "episode 0: reward" in out
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=1.0)  # trainer.stop() stopped the server
    assert _wait(lambda: {t.ident for t in threading.enumerate()} <= before), threading.enumerate()


def test_a_request_head_and_its_small_body_leave_in_one_write():
    """http.client writes a request's head and body separately (two segments, two wake-ups of the
    server's connection thread); the client's connection writes a small body with its head."""
    from rlcore.env.policy_client import _ONE_WRITE_BYTES, _Connection

    with socket.create_server(("127.0.0.1", 0)) as listener:
        for size in (100, _ONE_WRITE_BYTES + 1):
            conn = _Connection("127.0.0.1", listener.getsockname()[1], timeout=TIMEOUT)
            writes = []
            conn.connect()
            real_send = conn.send
            conn.send = lambda data: (writes.append(bytes(data)), real_send(data))[1]
            try:
                conn.request("POST", "/", body=b"x" * size, headers={"Content-Type": "application/msgpack"})
            finally:
                conn.close()
            head = writes[0].split(b"\r\n\r\n", 1)[0]
            assert f"Content-Length: {size}".encode() in head.split(b"\r\n")
            if size <= _ONE_WRITE_BYTES:
                assert len(writes) == 1 and writes[0] == head + b"\r\n\r\n" + b"x" * size
            else:
                assert len(writes) == 2 and writes[1] == b"x" * size

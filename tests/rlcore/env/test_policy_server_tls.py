"""PolicyServerInput over TLS: HTTPS clients are served; plain HTTP, unverified clients, garbage and
stalled handshakes end only their own connection, and the server goes on serving.

The certificate is a self-signed one for ``localhost`` / ``127.0.0.1`` made with the ``openssl``
command line tool in a temporary folder.
"""

import logging
import shutil
import socket
import ssl
import subprocess
import threading
import time

import gymnasium as gym
import numpy as np
import pytest

from rlcore.env.policy_client import PolicyClient, PolicyClientError
from rlcore.env.policy_server_input import PolicyServerInput
from rlcore.offline import IOContext
from rlcore.policy.random_policy import RandomPolicy
from rlcore.sampling.rollout_worker import RolloutWorker

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command line tool")

OBS = gym.spaces.Box(-np.inf, np.inf, (4,), np.float32)
ACT = gym.spaces.Discrete(2)
TIMEOUT = 10.0


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    """``(certfile, keyfile)``: a self-signed EC certificate for localhost and 127.0.0.1."""
    folder = tmp_path_factory.mktemp("tls")
    certfile, keyfile = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(keyfile), "-out", str(certfile), "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return str(certfile), str(keyfile)


def _worker():
    return RolloutWorker(env_creator=lambda ctx: None, policy_spec=RandomPolicy, rollout_fragment_length=8,
                         policy_config={"observation_space": OBS, "action_space": ACT})


@pytest.fixture
def server(cert):
    s = PolicyServerInput(IOContext(worker=_worker()), "127.0.0.1", 0, idle_timeout=0.05, connection_timeout_s=1.0,
                          auth_token="s3cret", tls_certfile=cert[0], tls_keyfile=cert[1])
    yield s
    s.stop()


def _trusting(cert):
    return ssl.create_default_context(cafile=cert[0])


def _plays(server, cert, token="s3cret"):
    """A remote client over HTTPS plays a short episode; True when every action is valid."""
    with PolicyClient(f"https://localhost:{server.port}", "remote", auth_token=token, timeout_s=TIMEOUT,
                      ssl_context=_trusting(cert)) as client:
        eid = client.start_episode()
        actions = [client.get_action(eid, np.zeros(4, np.float32)) for _ in range(3)]
        client.log_returns(eid, 1.0)
        client.end_episode(eid, np.zeros(4, np.float32))
    return all(a in (0, 1) for a in actions)


def test_an_https_client_plays_and_a_local_client_gets_the_policy(server, cert):
    assert server.tls and _plays(server, cert)
    with PolicyClient(f"https://127.0.0.1:{server.port}", "local", update_interval=None, auth_token="s3cret",
                      timeout_s=TIMEOUT, ssl_context=_trusting(cert)) as client:
        eid = client.start_episode()
        assert client.get_action(eid, np.zeros(4, np.float32)) in (0, 1)
    assert server.stats["failed_handshakes"] == 0


def test_the_token_is_still_checked_over_tls(server, cert):
    with pytest.raises(PolicyClientError, match="401: missing or wrong token"):
        _plays(server, cert, token="wrong")
    assert _plays(server, cert)


def test_a_client_that_does_not_trust_the_certificate_is_refused_by_itself(server, cert):
    """The default context verifies against the system's CAs: a self-signed server fails there."""
    with pytest.raises(ssl.SSLCertVerificationError):
        PolicyClient(f"https://localhost:{server.port}", "remote", auth_token="s3cret").start_episode()
    _wait_for(lambda: server.stats["failed_handshakes"] == 1)
    assert _plays(server, cert)


@pytest.mark.parametrize("data", [b"POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", b"\x16\x03\x01\xff\xff" + bytes(64)],
                         ids=["plain http", "garbage record"])
def test_plain_http_and_garbage_get_no_answer_and_others_are_served(server, cert, data):
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as sock:
        sock.sendall(data)
        reply = sock.recv(4096)  # the server ends the connection (or sends a TLS alert), never an HTTP answer
    assert not reply.startswith(b"HTTP/")
    _wait_for(lambda: server.stats["failed_handshakes"] == 1)
    assert _plays(server, cert)


def test_a_stalled_handshake_blocks_nobody(cert):
    """A connection that never says hello is handled on its own thread: another client plays a whole
    episode while that handshake is still pending (not yet failed, its socket still open). The stall
    outlasts the client's own timeout, so a server that handshook on its accept thread fails the play
    (the client times out) or ends it only after the stalled handshake failed (counted); no clock."""
    s = PolicyServerInput(IOContext(worker=_worker()), "127.0.0.1", 0, idle_timeout=0.05,
                          connection_timeout_s=3 * TIMEOUT, auth_token="s3cret", tls_certfile=cert[0],
                          tls_keyfile=cert[1])
    try:
        with socket.create_connection(("127.0.0.1", s.port), timeout=TIMEOUT) as sock:
            assert _plays(s, cert)
            assert s.stats["failed_handshakes"] == 0
            sock.setblocking(False)
            with pytest.raises(BlockingIOError):  # still open, nothing sent: the handshake still waits
                sock.recv(4096)
        _wait_for(lambda: s.stats["failed_handshakes"] == 1)  # our close ends it
        assert _plays(s, cert)
    finally:
        s.stop()


def test_a_stalled_handshake_times_out(server, cert):
    """The server closes a connection that never says hello ``connection_timeout_s`` (1 s) after it
    connected, not sooner (the clock starts before the connection, so load only adds to it)."""
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as sock:
        assert sock.recv(4096) == b""  # closed by the server
    assert server.connection_timeout_s <= time.monotonic() - t0 < TIMEOUT
    _wait_for(lambda: server.stats["failed_handshakes"] == 1)
    assert _plays(server, cert)


def test_tls_argument_errors(cert, tmp_path):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    with pytest.raises(ValueError, match="tls_certfile is missing"):
        PolicyServerInput(IOContext(worker=_worker()), "127.0.0.1", 0, tls_keyfile=cert[1])
    with pytest.raises(ValueError, match="either ssl_context or tls_certfile"):
        PolicyServerInput(IOContext(worker=_worker()), "127.0.0.1", 0, tls_certfile=cert[0], ssl_context=ctx)
    with pytest.raises(ValueError, match="expected an ssl.SSLContext"):
        PolicyServerInput(IOContext(worker=_worker()), "127.0.0.1", 0, ssl_context="cert.pem")
    with pytest.raises(FileNotFoundError):
        PolicyServerInput(IOContext(worker=_worker()), "127.0.0.1", 0, tls_certfile=str(tmp_path / "missing.pem"))
    with pytest.raises(ValueError, match="an ssl.SSLContext and an https:// address"):
        PolicyClient("http://127.0.0.1:1", "remote", ssl_context=_trusting(cert))


def test_an_ssl_context_serves_too(cert):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(*cert)
    s = PolicyServerInput(IOContext(worker=_worker()), "127.0.0.1", 0, idle_timeout=0.05, ssl_context=ctx)
    try:
        with PolicyClient(f"https://localhost:{s.port}", "remote", timeout_s=TIMEOUT,
                          ssl_context=_trusting(cert)) as client:
            assert client.get_action(client.start_episode(), np.zeros(4, np.float32)) in (0, 1)
    finally:
        s.stop()


def test_a_non_loopback_bind_without_tls_warns(caplog, cert):
    with caplog.at_level(logging.WARNING, logger="rlcore.env.policy_server_input"):
        plain = PolicyServerInput(IOContext(worker=_worker()), "0.0.0.0", 0, auth_token="t")
        plain.stop()
        tls = PolicyServerInput(IOContext(worker=_worker()), "0.0.0.0", 0, auth_token="t", tls_certfile=cert[0],
                                tls_keyfile=cert[1])
        tls.stop()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "without TLS" in warnings[0]


def _wait_for(condition, timeout_s: float = TIMEOUT) -> None:
    """Handshakes fail on the connection's thread, after the client already saw its end."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        threading.Event().wait(0.01)

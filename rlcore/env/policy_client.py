"""PolicyClient: an application's side of a policy server (RLlib 1.x's ``PolicyClient``).

The application drives its own loop and calls, per episode, ``start_episode``, ``get_action`` (or
``log_action``), ``log_returns`` and ``end_episode``, as on an :class:`~rlcore.env.ExternalEnv`.

- ``inference_mode="remote"``: every call is one HTTP round trip (``log_returns`` travels with
  the episode's next call); the server's policy answers.
- ``inference_mode="local"``: the client asks the server once for the policy's class, spaces and
  config (``GET_WORKER_ARGS``) and builds a :class:`~rlcore.sampling.rollout_worker.RolloutWorker`
  of its own over an internal ExternalEnv that the calls feed; actions come from that policy copy
  without a round trip, a background thread ships each sampled (postprocessed) batch with its
  episode metrics (``REPORT_SAMPLES``), and the weights are refreshed (``GET_WEIGHTS``) every
  ``update_interval`` seconds (None: only on :meth:`PolicyClient.update_policy_weights`).
  Observation filters with running statistics (``observation_filter: "MeanStdFilter"``) are
  kept in step with the server's as RLlib's FilterManager keeps workers': each report carries
  what the client's filter saw since the last one (its buffer), the server adds that to its
  worker's filter and answers with the merged statistics, which the client filters with from then
  on (RLlib 1.x's client never synced them: its filter only ever saw its own observations, and the
  trainer's never saw any).

The wire is msgpack over HTTP/1.1 keep-alive (stdlib ``http.client``, one connection per
thread), never pickle (:mod:`rlcore.env.serving_protocol`); an ``https://`` address speaks TLS,
verifying the server's certificate against the system's CAs or ``ssl_context``'s (e.g.
``ssl.create_default_context(cafile="server.pem")`` for a self-signed one). A local-inference client imports the
policy class the server names only from ``rlcore``; pass ``policy_class=`` for your own.

Examples:
    >>> import numpy as np, gymnasium as gym
    >>> from rlcore.env.policy_server_input import PolicyServerInput
    >>> from rlcore.offline import IOContext
    >>> from rlcore.sampling.rollout_worker import RolloutWorker
    >>> from rlcore.policy.random_policy import RandomPolicy
    >>> worker = RolloutWorker(env_creator=lambda ctx: None, policy_spec=RandomPolicy, policy_config={
    ...     "observation_space": gym.spaces.Box(-1, 1, (2,)), "action_space": gym.spaces.Discrete(3)})
    >>> server = PolicyServerInput(IOContext(worker=worker), "127.0.0.1", 0)
    >>> client = PolicyClient(f"http://127.0.0.1:{server.port}", inference_mode="remote")
    >>> eid = client.start_episode()
    >>> client.get_action(eid, np.zeros(2, np.float32)) in (0, 1, 2)
    True
    >>> client.close(); server.stop()
"""

from __future__ import annotations

import http.client
import logging
import ssl
import threading
import time
import urllib.parse
from typing import Any, Callable, Dict, Optional

from rlcore.env.external_env import ExternalEnv, ExternalMultiAgentEnv
from rlcore.env.serving_protocol import (
    CONTENT_TYPE, Commands, config_from_wire, decode_message, encode_message, filter_buffers_to_wire,
    import_class, metrics_to_wire, running_stat_from_wire, space_from_wire, WireError,
)

__all__ = ["PolicyClient", "PolicyClientError"]

logger = logging.getLogger(__name__)

_STALE_CONNECTION = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


#: Request bodies up to this size are sent in the same write as the request's head.
_ONE_WRITE_BYTES = 64 * 1024


class _OneWrite:
    """``http.client`` connection mixin: a request's head and a small ``bytes`` body leave in one
    write. ``http.client`` sends them in two, so each request reached the server as two segments and
    woke its connection thread twice (for the head, then for the body)."""

    def _send_output(self, message_body: Any = None, encode_chunked: bool = False) -> None:
        if not (isinstance(message_body, bytes) and not encode_chunked and len(message_body) <= _ONE_WRITE_BYTES):
            super()._send_output(message_body, encode_chunked)
            return
        self._buffer.extend((b"", message_body))  # head lines, the blank line, the body
        data = b"\r\n".join(self._buffer)
        del self._buffer[:]
        self.send(data)


class _Connection(_OneWrite, http.client.HTTPConnection):
    pass


class _TLSConnection(_OneWrite, http.client.HTTPSConnection):
    pass


class PolicyClientError(RuntimeError):
    """The server answered a request with an error (``status``: the HTTP status; the message is its reason)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class PolicyClient:
    """REST client of a :class:`~rlcore.env.policy_server_input.PolicyServerInput`.

    Args:
        address: ``"http://host:port"`` or ``"https://host:port"`` (``"host:port"`` also works, as
            in 1.x's docstring).
        inference_mode: ``"local"`` (a policy copy here) or ``"remote"`` (the server acts).
        update_interval: Local mode: seconds between weight refreshes (None: manual only).
        auth_token: The server's shared token, sent as ``Authorization: Bearer <token>``.
        timeout_s: Socket timeout of each request (a ``get_action`` may wait for the server's
            sampler up to its own 60 s).
        policy_class: Local mode: the policy class to build, instead of importing the one the
            server names (which is only imported from ``rlcore``). A dict ``{policy_id: cls}``
            for several policies.
        policy_mapping_fn: Local mode, several policies: ``agent_id -> policy_id`` (functions
            do not travel over the wire).
        ssl_context: An ``https://`` address: the ``ssl.SSLContext`` that verifies the server
            (None: ``ssl.create_default_context()``, the system's CAs).

    Raises:
        ValueError: A bad ``inference_mode``, ``update_interval``, ``address`` or ``ssl_context``.
    """

    def __init__(self, address: str, inference_mode: str = "local", update_interval: Optional[float] = 10.0, *,
                 auth_token: Optional[str] = None, timeout_s: float = 120.0, policy_class: Any = None,
                 policy_mapping_fn: Optional[Callable[[Any], str]] = None,
                 ssl_context: Optional[ssl.SSLContext] = None):
        if inference_mode not in ("local", "remote"):
            raise ValueError(f"PolicyClient(inference_mode={inference_mode!r}): expected 'local' or 'remote'")
        if update_interval is not None and (isinstance(update_interval, bool) or not update_interval > 0):
            raise ValueError(f"PolicyClient(update_interval={update_interval!r}): expected seconds > 0 or None")
        self.address = address
        self._host, self._port, self._https = _parse_address(address)
        if ssl_context is not None and (not isinstance(ssl_context, ssl.SSLContext) or not self._https):
            raise ValueError(f"PolicyClient(ssl_context={ssl_context!r}): expected an ssl.SSLContext and an "
                             f"https:// address, got address {address!r}")
        self._ssl_context = ssl_context
        self._headers = {"Content-Type": CONTENT_TYPE, "Accept": CONTENT_TYPE}
        if auth_token is not None:
            self._headers["Authorization"] = f"Bearer {auth_token}"
        self._timeout_s = float(timeout_s)
        self._local_conn = threading.local()
        self._connections: list = []
        self._conn_lock = threading.Lock()
        self.local = inference_mode == "local"
        self.update_interval = update_interval
        self.env: Optional[ExternalEnv] = None
        self.rollout_worker: Any = None
        self._loop: Optional[SamplingLoop] = None
        self._last_updated = 0.0
        self._pending_returns: Dict[str, list] = {}  # remote mode: episode id -> [reward, info, done] entries
        self._pending_lock = threading.Lock()
        if self.local:
            self._setup_local_rollout_worker(policy_class, policy_mapping_fn)

    # -- the application's calls ----------------------------------------------------------------

    def start_episode(self, episode_id: Optional[str] = None, training_enabled: bool = True) -> str:
        """Starts an episode; returns its id (a new uuid hex if ``episode_id`` is None)."""
        if self.local:
            self._update_local_policy()
            return self.env.start_episode(episode_id, training_enabled)
        return self._send({"command": Commands.START_EPISODE, "episode_id": episode_id,
                           "training_enabled": bool(training_enabled)})["episode_id"]

    def get_action(self, episode_id: str, observation: Any) -> Any:
        """Records ``observation`` and returns the policy's action for it."""
        if self.local:
            self._update_local_policy()
            return self.env.get_action(episode_id, observation)
        return self._send(self._with_returns({"command": Commands.GET_ACTION, "episode_id": episode_id,
                                              "observation": observation}))["action"]

    def log_action(self, episode_id: str, observation: Any, action: Any) -> None:
        """Records ``observation`` and the action the application took itself (off-policy)."""
        if self.local:
            self._update_local_policy()
            self.env.log_action(episode_id, observation, action)
            return
        self._send(self._with_returns({"command": Commands.LOG_ACTION, "episode_id": episode_id,
                                       "observation": observation, "action": action}))

    def log_returns(self, episode_id: str, reward: Any, info: Optional[dict] = None,
                    multiagent_done_dict: Optional[dict] = None) -> None:
        """Adds ``reward`` to the last action's; rewards add up until the next action.

        Remote mode: the returns travel with the episode's next request (``get_action``,
        ``log_action`` or ``end_episode``), which the server logs them before; a bad reward is
        refused (:class:`PolicyClientError`, 400) by that request.
        """
        if self.local:
            self._update_local_policy()
            if multiagent_done_dict is not None:
                self.env.log_returns(episode_id, reward, info, multiagent_done_dict)
            else:
                self.env.log_returns(episode_id, reward, info)
            return
        with self._pending_lock:
            self._pending_returns.setdefault(episode_id, []).append([reward, info, multiagent_done_dict])

    def end_episode(self, episode_id: str, observation: Any) -> None:
        """Ends the episode with its last observation."""
        if self.local:
            self._update_local_policy()
            self.env.end_episode(episode_id, observation)
            return
        self._send(self._with_returns({"command": Commands.END_EPISODE, "episode_id": episode_id,
                                       "observation": observation}))

    def update_policy_weights(self) -> None:
        """Local mode: fetches the server's current weights now."""
        self._update_local_policy(force=True)

    def close(self) -> None:
        """Stops the local-inference thread and worker and closes the connections (idempotent)."""
        if self._loop is not None:
            self._loop.stop()
            self._loop = None
        with self._conn_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()

    def __enter__(self) -> "PolicyClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- HTTP -----------------------------------------------------------------------------------

    def _with_returns(self, message: Dict[str, Any]) -> Dict[str, Any]:
        """``message`` with the episode's returns logged since its last request (remote mode)."""
        with self._pending_lock:
            returns = self._pending_returns.pop(message["episode_id"], None)
        if returns:
            message["returns"] = returns
        return message

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local_conn, "conn", None)
        if conn is None:
            if self._https:
                conn = _TLSConnection(self._host, self._port, timeout=self._timeout_s, context=self._ssl_context)
            else:
                conn = _Connection(self._host, self._port, timeout=self._timeout_s)
            self._local_conn.conn = conn
            with self._conn_lock:
                self._connections.append(conn)
        return conn

    def _send(self, message: Dict[str, Any]) -> Dict[str, Any]:
        """One request; raises :class:`PolicyClientError` for an error answer."""
        body = encode_message(message)
        name = getattr(message["command"], "value", message["command"])
        conn = self._connection()
        for attempt in (0, 1):
            try:
                conn.request("POST", "/", body=body, headers=self._headers)
                response = conn.getresponse()
                data = response.read()
                break
            except _STALE_CONNECTION:
                conn.close()  # the server closed an idle keep-alive connection: reconnect once
                if attempt:
                    raise
        if response.status != 200:
            reason = data.decode("utf-8", "replace").strip() or response.reason
            raise PolicyClientError(response.status, f"{name}: the server answered {response.status}: {reason}")
        try:
            return decode_message(data)
        except WireError as err:
            raise PolicyClientError(response.status, f"{name}: undecodable answer ({err})") from None

    # -- local inference ------------------------------------------------------------------------

    def _setup_local_rollout_worker(self, policy_class: Any, policy_mapping_fn: Optional[Callable]) -> None:
        args = self._send({"command": Commands.GET_WORKER_ARGS})["worker_args"]
        config = config_from_wire(args["config"])
        policies = {}
        for pid, spec in args["policies"].items():
            cls = policy_class.get(pid) if isinstance(policy_class, dict) else policy_class
            policies[pid] = (cls or import_class(spec["class"]), space_from_wire(spec["observation_space"]),
                             space_from_wire(spec["action_space"]), config_from_wire(spec["config"]))
        if args["dropped_config_keys"]:
            logger.info("config keys the server could not send as data (defaults used here): %s",
                        ", ".join(args["dropped_config_keys"]))
        if len(policies) > 1 and policy_mapping_fn is None:
            raise ValueError(f"the server has {len(policies)} policies {sorted(policies)}: pass "
                             "PolicyClient(policy_mapping_fn=...) for local inference (functions do not travel)")
        self.rollout_worker, self.env = build_embedded_worker(
            policies, config, policy_mapping_fn, multiagent=args["multiagent"],
            worker_index=int(args.get("worker_index", 0)), callbacks=None)
        self._loop = SamplingLoop(self.rollout_worker, self.env, self._report, name="rlcore-policy-client-sampler")
        answer = self._send({"command": Commands.GET_WEIGHTS})
        self.rollout_worker.set_weights(answer["weights"], answer.get("global_vars") or None)
        self._sync_filters(answer.get("filters"))  # before sampling starts; later syncs come with the reports
        self._last_updated = time.monotonic()
        self._loop.start()

    def _report(self, batch: Any, metrics: list) -> None:
        """Ships a sampled batch (on the sampling thread, which is also the one that filters
        observations) with what the running-statistics filters saw since the last report, and
        filters from then on with the server's merged statistics."""
        from rlcore.data.codec import to_bytes

        buffers = filter_buffers_to_wire(self.rollout_worker.get_filters(flush_after=True))
        answer = self._send({"command": Commands.REPORT_SAMPLES, "samples": to_bytes(batch),
                             "metrics": metrics_to_wire(metrics), "filters": buffers})
        self._sync_filters(answer.get("filters"))

    def _sync_filters(self, stats: Any) -> None:
        """Sets the running statistics of the filters to the server's (their buffers stay)."""
        for pid, state in (stats or {}).items():
            f = self.rollout_worker.filters.get(pid)
            if f is None or not hasattr(f, "rs"):
                raise PolicyClientError(200, f"the server sent running statistics for filter {pid!r}, but the "
                                             f"local policies' filters are {dict(self.rollout_worker.filters)}")
            try:
                f.rs = running_stat_from_wire(state, f.rs.shape, f"filter statistics of {pid!r}")
            except WireError as err:
                raise PolicyClientError(200, str(err)) from None

    def _update_local_policy(self, force: bool = False) -> None:
        if self._loop is None:
            raise RuntimeError("PolicyClient: the client was closed")
        if self._loop.error is not None:
            raise RuntimeError(f"PolicyClient: the local-inference thread stopped: {self._loop.error}") \
                from self._loop.error
        due = self.update_interval is not None and time.monotonic() - self._last_updated > self.update_interval
        if force or due:
            answer = self._send({"command": Commands.GET_WEIGHTS})
            self.rollout_worker.set_weights(answer["weights"], answer.get("global_vars") or None)
            self._last_updated = time.monotonic()


def _parse_address(address: str) -> tuple:
    if not isinstance(address, str) or not address:
        raise ValueError(f"PolicyClient(address={address!r}): expected 'http://host:port'")
    parts = urllib.parse.urlsplit(address if "://" in address else f"http://{address}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"PolicyClient(address={address!r}): expected 'http://host:port'")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ValueError(f"PolicyClient(address={address!r}): the port is not a number in 0..65535") from None
    return parts.hostname, port, parts.scheme == "https"


# -- the embedded worker (the client's policy copy, and the server's remote-inference worker) ----


class _Served:
    """An ExternalEnv whose ``run()`` only waits: the client's (or server's) calls drive it."""

    def __init__(self, action_space: Any, observation_space: Any, max_concurrent: int = 100):
        super().__init__(action_space, observation_space, max_concurrent)  # type: ignore[call-arg]
        self._stop_event = threading.Event()

    def run(self) -> None:
        self._stop_event.wait()

    def stop_serving(self) -> None:
        super().stop_serving()  # type: ignore[misc]
        self._stop_event.set()


class ServedExternalEnv(_Served, ExternalEnv):
    """The single-agent ExternalEnv that requests feed."""


class ServedExternalMultiAgentEnv(_Served, ExternalMultiAgentEnv):
    """The multi-agent ExternalEnv that requests feed."""


def build_embedded_worker(policies: Dict[str, tuple], config: Dict[str, Any], policy_mapping_fn: Optional[Callable],
                          *, multiagent: bool, worker_index: int, callbacks: Any,
                          max_concurrent: int = 100) -> tuple:
    """A RolloutWorker over a :class:`ServedExternalEnv` (RLlib 1.x's
    ``_create_embedded_rollout_worker``): ``(worker, env)``.

    ``policies``: ``{pid: (cls, obs_space, act_space, config overrides)}``; ``config``: the
    trainer config whose rollout settings the worker takes (its ``input`` is not used: this
    worker samples its env).
    """
    from rlcore.data.sample_batch import DEFAULT_POLICY_ID
    from rlcore.sampling.rollout_worker import RolloutWorker
    from rlcore.sampling.worker_set import worker_kwargs

    first = policies.get(DEFAULT_POLICY_ID) or next(iter(policies.values()))
    env_cls = ServedExternalMultiAgentEnv if multiagent else ServedExternalEnv
    env = env_cls(first[2], first[1], max_concurrent)
    config = {**config, "input": "sampler", "num_envs_per_worker": 1, "remote_worker_envs": False,
              "sample_async": False, "multiagent": {**(config.get("multiagent") or {}), "policies": {}}}
    if callbacks is not None:
        config["callbacks"] = callbacks
    kwargs = worker_kwargs(config, lambda ctx: env, None, None, worker_index, 0)
    kwargs.update(policy_spec=dict(policies), policy_mapping_fn=policy_mapping_fn)
    return RolloutWorker(**kwargs), env


class SamplingLoop(threading.Thread):
    """Samples an embedded worker forever and hands each batch and its metrics to ``deliver``.

    It ends when :meth:`stop` is called (the env's ``run()`` ends and ``poll()`` raises); any
    other error ends it too and is kept in :attr:`error` for the callers to raise.
    """

    def __init__(self, worker: Any, env: ExternalEnv, deliver: Callable[[Any, list], None], name: str):
        super().__init__(name=name, daemon=True)
        self.worker, self.env, self.deliver = worker, env, deliver
        self.error: Optional[BaseException] = None
        self._stopping = threading.Event()

    def run(self) -> None:
        try:
            while not self._stopping.is_set():
                batch = self.worker.sample()
                if self._stopping.is_set():
                    break
                self.deliver(batch, self.worker.get_metrics())
        except RuntimeError as err:  # poll() once the env's run() ended: the expected end after stop()
            if not self._stopping.is_set():
                self.error = err
                logger.error("%s stopped: %s", self.name, err)
        except (OSError, PolicyClientError, ValueError, TypeError) as err:  # the server is gone, or refused
            self.error = err
            logger.error("%s stopped: %s: %s", self.name, type(err).__name__, err)

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stops the env (waiting application calls raise ExternalEnvStopped), this thread and the worker."""
        self._stopping.set()
        self.env.stop_serving()
        if self.is_alive() and self is not threading.current_thread():
            self.join(timeout_s)
        self.worker.stop()
        if self.env.is_alive():
            self.env.join(timeout_s)

"""PolicyServerInput: an HTTP policy server that is a rollout worker's input (RLlib 1.x).

Configure a trainer with ``{"input": lambda ioctx: PolicyServerInput(ioctx, "127.0.0.1", 9900),
"env": None, "observation_space": ..., "action_space": ..., "input_evaluation": []}``; clients
(:class:`~rlcore.env.policy_client.PolicyClient`) then feed it:

- local-inference clients pull the worker's policy description (``GET_WORKER_ARGS``) and weights
  (``GET_WEIGHTS``), and post the batches their own policy copy sampled (``REPORT_SAMPLES``);
- remote-inference clients play episodes here (``START_EPISODE``, ``GET_ACTION``, ``LOG_ACTION``,
  ``LOG_RETURNS``, ``END_EPISODE``) on an ExternalEnv sampled by an embedded rollout worker
  (built on the first ``START_EPISODE``; its weights follow the trainer's after every batch).
  ``GET_ACTION``, ``LOG_ACTION`` and ``END_EPISODE`` may carry ``returns``, the
  ``[reward, info, done]`` of the episode's ``log_returns`` calls since the client's last
  request, which are logged first (:class:`~rlcore.env.policy_client.PolicyClient` sends them so,
  one round trip per step instead of two).

With ``observation_filter: "MeanStdFilter"`` the worker's filters follow the clients': a
``REPORT_SAMPLES`` may carry what a client's filter saw since its last report (``filters``: the
buffers' count, mean and sum of squares by policy), which is added to the worker's filter (to its
running statistics, and to its buffer for a trainer's FilterManager to collect from a remote
worker); the answer carries the merged statistics, as does ``GET_WEIGHTS``. The remote episodes'
observations, filtered by the embedded worker, are merged the same way after every batch.

:meth:`PolicyServerInput.next` returns the next batch from either, or an empty batch after
``idle_timeout`` seconds without one (so a trainer with several servers never hangs on an idle
one). One server per rollout worker: as RLlib 1.x's examples, give each worker its own port
(``port + ioctx.worker_index``).

Safety (issue #17): the wire is msgpack (:mod:`rlcore.env.serving_protocol`), never pickle.
The server binds loopback unless told otherwise, and a non-loopback bind needs ``auth_token``
(clients send ``Authorization: Bearer <token>``; 401 otherwise). A body larger than
``max_request_bytes`` is refused with 413 before it is read; a missing length is 411; a
malformed body or an unknown command is 400; each with a one-line ``text/plain`` reason. A
connection idle for ``connection_timeout_s`` is closed, a body must arrive within
``request_timeout_s`` (408), at most ``max_connections`` connections are served at once (503
beyond), and a client that disconnects mid-request only ends its own connection's thread. With
``tls_certfile`` (and ``tls_keyfile``) or an ``ssl_context`` the server speaks HTTPS only (TLS
1.2 or later; clients connect to ``https://...``), so a token and the traffic are not readable on
the network; each connection's handshake runs on its own thread under ``connection_timeout_s``,
and a failed one (plain HTTP, garbage, a client that stalls) ends only that connection. A
remote episode without any request for ``episode_timeout_s`` (its client died) is ended at its
last observation, freeing its ``max_concurrent_episodes`` slot. The server is stdlib
``http.server.ThreadingHTTPServer`` (HTTP/1.1 keep-alive, a thread per connection, which suits
``GET_ACTION`` calls that block until the sampler answers).

Examples:
    >>> import gymnasium as gym
    >>> from rlcore.offline import IOContext
    >>> from rlcore.policy.random_policy import RandomPolicy
    >>> from rlcore.sampling.rollout_worker import RolloutWorker
    >>> worker = RolloutWorker(env_creator=lambda ctx: None, policy_spec=RandomPolicy, policy_config={
    ...     "observation_space": gym.spaces.Box(-1, 1, (2,)), "action_space": gym.spaces.Discrete(2)})
    >>> server = PolicyServerInput(IOContext(worker=worker), "127.0.0.1", 0, idle_timeout=0.05)
    >>> server.address, server.next().count
    ('127.0.0.1', 0)
    >>> PolicyServerInput(IOContext(worker=worker), "0.0.0.0", 0)
    Traceback (most recent call last):
    ...
    ValueError: PolicyServerInput(address='0.0.0.0'): a non-loopback address needs auth_token (clients then send 'Authorization: Bearer <token>'); bind '127.0.0.1' for local clients only
    >>> server.stop()
"""

from __future__ import annotations

import hmac
import http.server
import ipaddress
import logging
import queue
import socket
import ssl
import threading
import time
from typing import Any, Dict, List, Optional

import numpy as np

from rlcore.env.external_env import ExternalEnvStopped, ExternalMultiAgentEnv
from rlcore.env.policy_client import SamplingLoop, build_embedded_worker
from rlcore.env.serving_protocol import (
    CONTENT_TYPE, Commands, data_only, decode_message, encode_message, filter_stats_to_wire, metrics_from_wire,
    running_stat_from_wire, space_to_wire, class_path, WireError,
)
from rlcore.offline.input_reader import InputReader

__all__ = ["PolicyServerInput"]

logger = logging.getLogger(__name__)

_COMMANDS = {c.value for c in Commands}


class _RequestError(Exception):
    """Answered as ``status`` with the one-line ``reason``."""

    def __init__(self, status: int, reason: str, close: bool = False):
        super().__init__(reason)
        self.status, self.reason, self.close = status, reason.replace("\n", " ")[:500], close


class PolicyServerInput(InputReader):
    """REST policy server and input reader (see the module docstring).

    Args:
        ioctx: The :class:`~rlcore.offline.IOContext` of the rollout worker it feeds.
        address: Address to bind (loopback by default; another one needs ``auth_token``).
        port: Port to bind (0: any free port; :attr:`port` tells which).
        idle_timeout: Seconds :meth:`next` waits before returning an empty batch.
        auth_token: Shared secret clients must send (``Authorization: Bearer <token>``).
        max_request_bytes: Largest request body accepted (413 beyond).
        connection_timeout_s: An idle connection (keep-alive, or a stalled read) is closed after this.
        request_timeout_s: Time a request body has to arrive in full (408 beyond).
        max_connections: Connections served at once (503 beyond).
        max_queued_batches: Batches waiting for the trainer; a report beyond is answered 503.
        episode_timeout_s: A remote episode with no request for this long is ended (None: never).
        max_concurrent_episodes: Remote episodes running at once (the ExternalEnv's ``max_concurrent``).
        tls_certfile: PEM certificate chain: serve HTTPS (TLS >= 1.2) with it.
        tls_keyfile: PEM private key of ``tls_certfile`` (None: the key is in ``tls_certfile``).
        ssl_context: A server-side ``ssl.SSLContext`` to serve HTTPS with, instead of the files.

    Raises:
        ValueError: A non-loopback address without ``auth_token``, a bad limit, or TLS arguments
            that do not fit together (named).
        OSError: The address cannot be bound (e.g. the port is taken), or the certificate or key
            cannot be read.
    """

    def __init__(self, ioctx: Any, address: str = "127.0.0.1", port: int = 9900, idle_timeout: float = 3.0, *,
                 auth_token: Optional[str] = None, max_request_bytes: int = 64 * 1024 * 1024,
                 connection_timeout_s: float = 30.0, request_timeout_s: float = 60.0, max_connections: int = 64,
                 max_queued_batches: int = 256, episode_timeout_s: Optional[float] = 300.0,
                 max_concurrent_episodes: int = 100, tls_certfile: Optional[str] = None,
                 tls_keyfile: Optional[str] = None, ssl_context: Optional[ssl.SSLContext] = None):
        worker = getattr(ioctx, "worker", None)
        if worker is None:
            raise TypeError("PolicyServerInput(ioctx): ioctx.worker is None; expected the rollout worker whose "
                            "policies it serves (the IOContext the input creator receives)")
        for name, value in (("idle_timeout", idle_timeout), ("connection_timeout_s", connection_timeout_s),
                            ("request_timeout_s", request_timeout_s), ("max_request_bytes", max_request_bytes),
                            ("max_connections", max_connections), ("max_queued_batches", max_queued_batches),
                            ("max_concurrent_episodes", max_concurrent_episodes)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"PolicyServerInput({name}={value!r}): expected a number > 0")
        if episode_timeout_s is not None and not episode_timeout_s > 0:
            raise ValueError(f"PolicyServerInput(episode_timeout_s={episode_timeout_s!r}): expected seconds > 0 or None")
        if auth_token is not None and (not isinstance(auth_token, str) or not auth_token):
            raise ValueError("PolicyServerInput(auth_token=...): expected a non-empty str")
        if auth_token is None and not _is_loopback(address):
            raise ValueError(f"PolicyServerInput(address={address!r}): a non-loopback address needs auth_token "
                             "(clients then send 'Authorization: Bearer <token>'); bind '127.0.0.1' for local "
                             "clients only")
        context = _server_ssl_context(tls_certfile, tls_keyfile, ssl_context)
        if context is None and not _is_loopback(address):
            logger.warning("policy server on %r without TLS: the token and all traffic cross the network in clear "
                           "text (pass tls_certfile/tls_keyfile or ssl_context)", address)
        self.worker = worker
        self.ioctx = ioctx
        self.idle_timeout = float(idle_timeout)
        self.max_request_bytes = int(max_request_bytes)
        self.connection_timeout_s = float(connection_timeout_s)
        self.request_timeout_s = float(request_timeout_s)
        self.episode_timeout_s = episode_timeout_s
        self.max_concurrent_episodes = int(max_concurrent_episodes)
        self._token = auth_token.encode() if auth_token else None
        self.samples_queue: "queue.Queue[Any]" = queue.Queue(maxsize=int(max_queued_batches))
        self.metrics_queue: "queue.Queue[Any]" = queue.Queue()
        self._lock = threading.Lock()
        # the worker's own filter lock, so the trainer's flush of the filter buffers (FilterManager,
        # through get_filters) never falls between a merge's two updates or drops a merge
        self._filter_lock = getattr(worker, "filters_lock", None) or threading.Lock()
        self._embedded: Optional[SamplingLoop] = None
        self._episodes: Dict[str, list] = {}  # remote episode id -> [last request time, last observation]
        #: Counters: requests answered by status, remote episodes ended for want of requests.
        self.stats: Dict[str, Any] = {"status": {}, "abandoned_episodes": 0, "failed_handshakes": 0}
        self._stopped = False
        self.tls = context is not None
        self._server = _Server((address, int(port)), self, int(max_connections), context)
        self.address, self.port = self._server.server_address[:2]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"rlcore-policy-server-{self.port}", daemon=True)
        self._thread.start()
        logger.info("policy server listening on %s://%s:%d (worker %d)", "https" if self.tls else "http", self.address,
                    self.port, ioctx.worker_index)

    # -- InputReader ----------------------------------------------------------------------------

    def next(self) -> Any:
        """The next batch a client reported or remote episodes produced; an empty one after ``idle_timeout``."""
        from rlcore.data.sample_batch import SampleBatch

        self._reap_abandoned_episodes()
        try:
            return self.samples_queue.get(timeout=self.idle_timeout)
        except queue.Empty:
            return SampleBatch({})

    def get_metrics(self) -> List[Any]:
        """Episode metrics the clients reported (and the remote episodes') since the last call."""
        out = []
        while True:
            try:
                out.append(self.metrics_queue.get_nowait())
            except queue.Empty:
                return out

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stops serving: waiting remote calls are answered 503, connections closed, threads joined."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            embedded = self._embedded
        if embedded is not None:
            embedded.stop(timeout_s)
        self._server.shutdown()
        self._server.close_connections()
        self._thread.join(timeout_s)
        self._server.join_handlers(timeout_s)
        self._server.server_close()

    # -- commands -------------------------------------------------------------------------------

    def execute(self, message: Dict[str, Any]) -> Dict[str, Any]:
        """Runs one decoded request; returns the answer map (raises ``_RequestError`` for 4xx/5xx)."""
        command = message.get("command")
        if command not in _COMMANDS:
            raise _RequestError(400, f"unknown command {command!r:.60}; expected one of {sorted(_COMMANDS)}")
        if self._stopped:
            raise _RequestError(503, "the policy server is stopping")
        command = Commands(command)
        if command is Commands.GET_WORKER_ARGS:
            return {"worker_args": self._worker_args()}
        if command is Commands.GET_WEIGHTS:
            with self._filter_lock:
                stats = filter_stats_to_wire(self.worker.filters)
            return {"weights": self.worker.get_weights(), "global_vars": _plain_vars(self.worker.global_vars),
                    "filters": stats}
        if command is Commands.REPORT_SAMPLES:
            return {"filters": self._report_samples(message)}
        if command in (Commands.ACTION_SPACE, Commands.OBSERVATION_SPACE):
            obs_space, act_space = next(iter(self.worker.get_spaces().values()))
            space = act_space if command is Commands.ACTION_SPACE else obs_space
            return {command.value.lower(): space_to_wire(space)}
        return self._remote(command, message)

    def _rollout_config(self) -> Dict[str, Any]:
        """The worker's config with the rollout settings it actually runs with."""
        w = self.worker
        return {**w.policy_config, "rollout_fragment_length": w.fragment_length_per_env, "batch_mode": w.batch_mode}

    def _worker_args(self) -> Dict[str, Any]:
        config, dropped = data_only(self._rollout_config())
        policies = {}
        for pid, (obs_space, act_space) in self.worker.get_spaces().items():
            policy = self.worker.policy_map[pid]
            pconfig, _ = data_only(policy.config)
            policies[pid] = {"class": class_path(type(policy)), "observation_space": space_to_wire(obs_space),
                             "action_space": space_to_wire(act_space), "config": pconfig}
        return {"config": config, "policies": policies, "dropped_config_keys": dropped,
                "multiagent": bool(self.worker.multiagent or len(policies) > 1),
                "worker_index": self.ioctx.worker_index}

    def _report_samples(self, message: Dict[str, Any]) -> Dict[str, Any]:
        """Queues a client's batch and merges its filters' buffers; returns the merged statistics."""
        from rlcore.data.codec import from_bytes

        samples = message.get("samples")
        if not isinstance(samples, bytes):
            raise _RequestError(400, "REPORT_SAMPLES: 'samples' must be the bytes of an encoded batch "
                                     f"(rlcore.data.codec.to_bytes), got {type(samples).__name__}")
        try:
            batch = from_bytes(samples)
            metrics = metrics_from_wire(message.get("metrics", []))
            buffers = self._checked_filter_buffers(message.get("filters"))
        except ValueError as err:
            raise _RequestError(400, f"REPORT_SAMPLES: {err}") from None
        self._enqueue(batch, metrics)
        return self._merge_filter_buffers(buffers)

    def _checked_filter_buffers(self, data: Any) -> Dict[str, Any]:
        """A report's filter buffers, each checked against the worker's filter of that policy."""
        from rlcore.sampling.filters import MeanStdFilter

        if data is None:
            return {}
        if not isinstance(data, dict):
            raise WireError(f"'filters' must be a map policy id -> running statistics, got {type(data).__name__}")
        out = {}
        for pid, state in data.items():
            f = self.worker.filters.get(pid)
            if not isinstance(f, MeanStdFilter):
                raise WireError(f"'filters' has {pid!r:.40}, which is not a policy with a running-statistics "
                                f"filter here (those are {sorted(filter_stats_to_wire(self.worker.filters))})")
            out[pid] = running_stat_from_wire(state, f.rs.shape, f"filter buffer of {pid!r}")
        return out

    def _merge_filter_buffers(self, buffers: Dict[str, Any]) -> Dict[str, Any]:
        """Adds what clients' filters saw to the worker's filters: to their running statistics and
        to their buffers (which the trainer's FilterManager collects from a remote worker)."""
        with self._filter_lock:
            for pid, rs in buffers.items():
                f = self.worker.filters[pid]
                f.rs.update(rs)
                f.buffer.update(rs)
            return filter_stats_to_wire(self.worker.filters)

    def _sync_embedded_filters(self, child: Any, stats: Dict[str, Any]) -> None:
        from rlcore.sampling.filters import MeanStdFilter

        for pid, state in stats.items():
            f = child.filters.get(pid)
            if isinstance(f, MeanStdFilter):
                f.rs = running_stat_from_wire(state, f.rs.shape, f"filter statistics of {pid!r}")

    def _enqueue(self, batch: Any, metrics: list) -> None:
        try:
            self.samples_queue.put(batch, timeout=1.0)
        except queue.Full:
            raise _RequestError(503, f"{self.samples_queue.maxsize} batches already wait for the trainer; "
                                     "report again later") from None
        for m in metrics:
            self.metrics_queue.put(m)

    # -- remote inference -----------------------------------------------------------------------

    def _embedded_env(self) -> Any:
        with self._lock:
            if self._embedded is None:
                w = self.worker
                policies = {pid: (type(p), *w.get_spaces()[pid], {}) for pid, p in w.policy_map.items()}
                child, env = build_embedded_worker(
                    policies, self._rollout_config(), w.policy_mapping_fn, multiagent=bool(w.multiagent),
                    worker_index=self.ioctx.worker_index, callbacks=w.policy_config.get("callbacks"),
                    max_concurrent=self.max_concurrent_episodes)
                child.set_weights(w.get_weights(), w.global_vars)
                with self._filter_lock:
                    self._sync_embedded_filters(child, filter_stats_to_wire(w.filters))
                self._embedded = SamplingLoop(child, env, self._from_embedded,
                                              name=f"rlcore-policy-server-sampler-{self.port}")
                self._embedded.start()
            loop = self._embedded
        if loop.error is not None:
            raise _RequestError(503, f"the server's sampler stopped: {type(loop.error).__name__}: {loop.error}")
        return loop.env

    def _from_embedded(self, batch: Any, metrics: list) -> None:
        while not self._stopped:
            try:
                self._enqueue(batch, metrics)
                break
            except _RequestError:  # the trainer is behind: wait for room (remote clients wait with it)
                continue
        from rlcore.sampling.filters import MeanStdFilter

        loop = self._embedded
        loop.worker.set_weights(self.worker.get_weights(), self.worker.global_vars)
        # the remote episodes' observations went through the embedded worker's filters (on this,
        # the sampling thread): merge them like a client's report, then filter with the merged stats
        buffers = {pid: f.buffer for pid, f in loop.worker.get_filters(flush_after=True).items()
                   if isinstance(f, MeanStdFilter) and isinstance(self.worker.filters.get(pid), MeanStdFilter)}
        self._sync_embedded_filters(loop.worker, self._merge_filter_buffers(buffers))

    def _remote(self, command: Commands, message: Dict[str, Any]) -> Dict[str, Any]:
        env = self._embedded_env()
        eid = message.get("episode_id")
        if command is Commands.START_EPISODE:
            self._reap_abandoned_episodes()
            if eid is not None and not isinstance(eid, str):
                raise _RequestError(400, f"START_EPISODE: episode_id={eid!r:.60}; expected a str or None")
            eid = env.start_episode(eid, bool(message.get("training_enabled", True)))
            with self._lock:
                self._episodes[eid] = [time.monotonic(), None]
            return {"episode_id": eid}
        if not isinstance(eid, str):
            raise _RequestError(400, f"{command.value}: episode_id={eid!r:.60}; expected the str START_EPISODE returned")
        if command is Commands.LOG_RETURNS:
            self._touch(eid, None)
            self._log_returns(env, eid, command.value, message.get("reward"), message.get("info"),
                              message.get("done"))
            return {}
        obs = self._checked_obs(env, command, message)
        returns = message.get("returns")
        if returns is not None:  # the client's log_returns since its last request for this episode
            if not isinstance(returns, list) or not all(isinstance(r, list) and len(r) == 3 for r in returns):
                raise _RequestError(400, f"{command.value}: 'returns' must be a list of [reward, info, done] "
                                         f"lists, got {returns!r:.60}")
            for reward, info, done in returns:
                self._check_returns(f"{command.value} returns", reward, info, done)
            for reward, info, done in returns:
                self._log_returns(env, eid, f"{command.value} returns", reward, info, done)
        self._touch(eid, obs)
        if command is Commands.GET_ACTION:
            return {"action": env.get_action(eid, obs)}
        if command is Commands.LOG_ACTION:
            if "action" not in message:
                raise _RequestError(400, "LOG_ACTION: no 'action'")
            env.log_action(eid, obs, message["action"])
            return {}
        env.end_episode(eid, obs)  # END_EPISODE
        with self._lock:
            self._episodes.pop(eid, None)
        return {}

    @staticmethod
    def _check_returns(what: str, reward: Any, info: Any, done: Any) -> None:
        if not isinstance(reward, (int, float, np.number, dict)) or isinstance(reward, bool):
            raise _RequestError(400, f"{what}: reward={reward!r:.60}; expected a number (a dict by agent)")
        if not isinstance(info, (dict, type(None))) or not isinstance(done, (dict, type(None))):
            raise _RequestError(400, f"{what}: info and done must be maps or nil")

    @classmethod
    def _log_returns(cls, env: Any, eid: str, what: str, reward: Any, info: Any, done: Any) -> None:
        cls._check_returns(what, reward, info, done)
        if done is not None:
            env.log_returns(eid, reward, info, done)
        else:
            env.log_returns(eid, reward, info)

    def _checked_obs(self, env: Any, command: Commands, message: Dict[str, Any]) -> Any:
        """The request's observation, checked against the space so a bad one cannot reach (and
        stop) the sampler every remote client shares."""
        if "observation" not in message:
            raise _RequestError(400, f"{command.value}: no 'observation'")
        obs = message["observation"]
        if isinstance(env, ExternalMultiAgentEnv):
            if not isinstance(obs, dict):
                raise _RequestError(400, f"{command.value}: observation must be a map agent id -> observation")
            return obs
        space = env.observation_space
        try:
            if hasattr(space, "shape") and space.shape and space.dtype is not None and not isinstance(obs, dict):
                obs = np.asarray(obs, dtype=space.dtype)
                ok = obs.shape == space.shape
            else:
                ok = space.contains(obs)
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise _RequestError(400, f"{command.value}: observation {obs!r:.60} does not fit the observation space "
                                     f"{space}")
        return obs

    def _touch(self, eid: str, obs: Any) -> None:
        with self._lock:
            entry = self._episodes.get(eid)
            if entry is not None:
                entry[0] = time.monotonic()
                if obs is not None:
                    entry[1] = obs

    def _reap_abandoned_episodes(self) -> None:
        """Ends the remote episodes that have had no request for ``episode_timeout_s``."""
        if self.episode_timeout_s is None or self._embedded is None:
            return
        now = time.monotonic()
        with self._lock:
            stale = [(eid, e[1]) for eid, e in self._episodes.items() if now - e[0] > self.episode_timeout_s]
            for eid, _ in stale:
                del self._episodes[eid]
        env = self._embedded.env
        for eid, last_obs in stale:
            if last_obs is None:
                last_obs = {} if isinstance(env, ExternalMultiAgentEnv) else env.observation_space.sample()
            try:
                env.end_episode(eid, last_obs)
            except ValueError as err:  # it ended meanwhile (its client's END_EPISODE raced the reaper)
                logger.debug("abandoned episode %s: %s", eid, err)
                continue
            self.stats["abandoned_episodes"] += 1
            logger.warning("remote episode %s had no request for %.0f s (its client is gone?): ended at its last "
                           "observation", eid, self.episode_timeout_s)

    # -- HTTP plumbing --------------------------------------------------------------------------

    def check_token(self, header: Optional[str]) -> None:
        if self._token is None:
            return
        given = (header or "").removeprefix("Bearer ").encode()
        if not header or not hmac.compare_digest(given, self._token):
            raise _RequestError(401, "missing or wrong token: send 'Authorization: Bearer <token>'", close=True)

    def count(self, status: int) -> None:
        with self._lock:
            self.stats["status"][status] = self.stats["status"].get(status, 0) + 1

    def count_failed_handshake(self) -> None:
        with self._lock:
            self.stats["failed_handshakes"] += 1


def _plain_vars(global_vars: Dict[str, Any]) -> Dict[str, Any]:
    return {str(k): (v.item() if isinstance(v, np.generic) else v) for k, v in global_vars.items()
            if isinstance(v, (int, float, str, bool, np.generic, type(None)))}


def _server_ssl_context(certfile: Optional[str], keyfile: Optional[str],
                        context: Optional[ssl.SSLContext]) -> Optional[ssl.SSLContext]:
    """The server's TLS context from the certificate files or the given context (None: plain HTTP)."""
    if context is not None:
        if certfile is not None or keyfile is not None:
            raise ValueError("PolicyServerInput: pass either ssl_context or tls_certfile/tls_keyfile, not both")
        if not isinstance(context, ssl.SSLContext):
            raise ValueError(f"PolicyServerInput(ssl_context={context!r}): expected an ssl.SSLContext")
        return context
    if certfile is None:
        if keyfile is not None:
            raise ValueError("PolicyServerInput(tls_keyfile=...): tls_certfile is missing (the certificate the key "
                             "belongs to)")
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile, keyfile)
    return context


def _is_loopback(address: str) -> bool:
    """Whether every address ``address`` resolves to is a loopback one ("" and 0.0.0.0 are not)."""
    if not address:
        return False
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(address, None)
    except socket.gaierror:
        return False
    return bool(infos) and all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)


#: ``[second, formatted Date value]`` (shared by the connection threads; a torn read only reformats).
_DATE_CACHE: List[Any] = [None, ""]

#: http.client's limits on a request's header lines, which :meth:`_Handler.parse_request` keeps.
_MAX_HEADERS, _MAX_LINE = 100, 65536


class _Headers(dict):
    """A request's header fields by lower-cased name (the first of repeated ones, as
    ``email.message.Message.get``), looked up case-insensitively."""

    def get(self, name: str, default: Any = None) -> Any:
        return super().get(name.lower(), default)


class _Handler(http.server.BaseHTTPRequestHandler):
    """One connection: keep-alive POSTs of msgpack maps."""

    protocol_version = "HTTP/1.1"
    default_request_version = "HTTP/1.1"  # errors on garbage request lines still get a status line
    # a buffered writer: an answer's headers and body leave in one send (http.server flushes it
    # after each request, and when the connection ends), so the client wakes once per answer
    wbufsize = 64 * 1024
    server_version = "rlcore-policy-server"
    sys_version = ""
    server: "_Server"

    def setup(self) -> None:
        self.timeout = self.server.policy_server.connection_timeout_s
        if isinstance(self.request, ssl.SSLSocket):  # the TLS handshake, here on the connection's thread
            self.request.settimeout(self.timeout)
            try:
                self.request.do_handshake()
            except (ssl.SSLError, OSError):
                self.server.policy_server.count_failed_handshake()
                raise
        super().setup()
        # headers and body go out in two writes: without this, Nagle's algorithm and the client's
        # delayed ACK add ~40 ms to every answer
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def parse_request(self) -> bool:
        """``POST <path> HTTP/1.1`` requests have their header lines split here (http.server's
        ``email`` parser costs ~50 us of CPU a request); any other request line goes through
        http.server's parser and its errors. Same limits (431 beyond 100 header lines or a line of
        64 KiB), keep-alive and ``Expect: 100-continue`` rules as http.server's."""
        line = self.raw_requestline
        words = line.split()
        if not (len(words) == 3 and words[0] == b"POST" and words[2] == b"HTTP/1.1" and line.endswith(b"\r\n")):
            return super().parse_request()
        self.command, self.request_version = "POST", "HTTP/1.1"
        self.path = words[1].decode("iso-8859-1")
        self.requestline = line[:-2].decode("iso-8859-1")
        self.close_connection = False
        headers, name = _Headers(), None
        while True:
            raw = self.rfile.readline(_MAX_LINE + 1)
            if len(raw) > _MAX_LINE:
                self.send_error(431, "Line too long", "header line")
                return False
            if raw in (b"\r\n", b"\n", b""):
                break
            if len(headers) >= _MAX_HEADERS:
                self.send_error(431, "Too many headers", f"got more than {_MAX_HEADERS} headers")
                return False
            text = raw.decode("iso-8859-1").rstrip("\r\n")
            if text[:1] in (" ", "\t") and name is not None:  # an obsolete folded continuation line
                headers[name] = f"{headers[name]} {text.strip()}"
                continue
            name, sep, value = text.partition(":")
            name = name.strip().lower()
            if not sep or not name:
                self.send_error(400, f"malformed header line {text[:60]!r}")
                return False
            headers.setdefault(name, value.strip())
        self.headers = headers
        connection = headers.get("connection", "").lower()
        if connection == "close":
            self.close_connection = True
        expect = headers.get("expect", "")
        if expect.lower() == "100-continue" and not self.handle_expect_100():
            return False
        return True

    def handle_expect_100(self) -> bool:
        """``100 Continue``, sent now: the buffered writer would hold it while the client waits
        for it before sending the body (curl does so for bodies over 1 KiB)."""
        ok = super().handle_expect_100()
        self.wfile.flush()
        return ok

    def date_time_string(self, timestamp: Optional[float] = None) -> str:
        """The ``Date`` header's value, formatted once per second."""
        if timestamp is not None:
            return super().date_time_string(timestamp)
        now = int(time.time())
        cached = _DATE_CACHE
        if cached[0] != now:
            cached[:] = [now, super().date_time_string(now)]
        return cached[1]

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        if logger.isEnabledFor(logging.DEBUG):
            super().log_request(code, size)

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        server = self.server.policy_server
        try:
            server.check_token(self.headers.get("Authorization"))
            body = self._read_body(server)
            answer = server.execute(decode_message(body))
            payload = encode_message(answer)
        except _RequestError as err:
            self._reply_error(err.status, err.reason, err.close)
            return
        except WireError as err:
            self._reply_error(400, str(err))
            return
        except ExternalEnvStopped as err:
            self._reply_error(503, f"the policy server is stopping ({err})")
            return
        except ValueError as err:  # the ExternalEnv's: unknown/ended/duplicate episode, max_concurrent
            self._reply_error(400, str(err))
            return
        except TimeoutError as err:  # no action from the server's sampler in time
            self._reply_error(504, str(err))
            return
        except OSError:  # the client's socket failed: only this connection ends (_Server.handle_error)
            raise
        except Exception as err:  # noqa: BLE001 - a failing request is answered 500 and logged; the server goes on
            logger.exception("policy server: request failed")
            self._reply_error(500, f"{type(err).__name__}: {err}")
            return
        server.count(200)
        self.send_response(200)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _read_body(self, server: PolicyServerInput) -> bytes:
        if self.headers.get("Transfer-Encoding"):
            raise _RequestError(411, "chunked bodies are not accepted: send Content-Length", close=True)
        raw = self.headers.get("Content-Length")
        if raw is None:
            raise _RequestError(411, "Content-Length is required", close=True)
        try:
            length = int(raw)
        except ValueError:
            raise _RequestError(400, f"Content-Length {raw!r:.40} is not a number", close=True) from None
        if length < 0:
            raise _RequestError(400, f"Content-Length {length} is negative", close=True)
        if length > server.max_request_bytes:
            raise _RequestError(413, f"request body of {length} bytes is larger than the server's limit of "
                                     f"{server.max_request_bytes} bytes (max_request_bytes)", close=True)
        buf = bytearray(length)
        view, got = memoryview(buf), 0
        deadline = time.monotonic() + server.request_timeout_s
        idle = timeout = server.connection_timeout_s  # the socket's timeout between requests
        while got < length:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _RequestError(408, f"the request body did not arrive within {server.request_timeout_s} s "
                                         f"({got} of {length} bytes)", close=True)
            if remaining < timeout:  # the body's deadline is nearer than the idle timeout
                timeout = remaining
                self.connection.settimeout(timeout)
            try:
                n = self.rfile.readinto1(view[got:])
            except TimeoutError:
                raise _RequestError(408, f"the request body stalled ({got} of {length} bytes arrived)",
                                    close=True) from None
            if not n:
                raise ConnectionError(f"the client closed the connection after {got} of {length} bytes")
            got += n
        if timeout != idle:
            self.connection.settimeout(idle)
        return bytes(buf)

    def _reply_error(self, status: int, reason: str, close: bool = False) -> None:
        self.server.policy_server.count(status)
        body = (reason.replace("\n", " ") + "\n").encode("utf-8", "replace")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def send_error(self, code: int, message: Optional[str] = None, explain: Optional[str] = None) -> None:
        """http.server's own errors (bad request line, unsupported method) as one plain line."""
        reason = message or self.responses.get(code, ("error",))[0]
        if code == 501:
            reason = f"method {self.command!r:.20} is not served: POST msgpack requests"
        self._reply_error(405 if code == 501 else code, reason, close=True)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
        logger.debug("policy server %s: " + format, self.address_string(), *args)


class _Server(http.server.ThreadingHTTPServer):
    """ThreadingHTTPServer with a connection cap, tracked handler threads and quiet disconnects."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128  # listen backlog: many clients connecting at once wait, not refused (socketserver: 5)

    def __init__(self, address: tuple, policy_server: PolicyServerInput, max_connections: int,
                 ssl_context: Optional[ssl.SSLContext] = None):
        self.policy_server = policy_server
        self.max_connections = max_connections
        self._open: Dict[socket.socket, threading.Thread] = {}
        self._open_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)
        if ssl_context is not None:
            # accept() must not wait for a client's handshake: each connection's thread runs its own
            self.socket = ssl_context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def process_request(self, request: socket.socket, client_address: Any) -> None:
        with self._open_lock:
            full = len(self._open) >= self.max_connections
        if full:
            self._refuse(request, f"{self.max_connections} connections are open (max_connections); retry later")
            return
        thread = threading.Thread(target=self.process_request_thread, args=(request, client_address),
                                  name=f"rlcore-policy-server-conn-{client_address[1]}", daemon=True)
        with self._open_lock:
            self._open[request] = thread
        thread.start()

    def process_request_thread(self, request: socket.socket, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._open_lock:
                self._open.pop(request, None)

    def _refuse(self, request: socket.socket, reason: str) -> None:
        body = (reason + "\n").encode()
        head = (f"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
        try:
            request.settimeout(1.0)
            request.sendall(head + body)
        except OSError as err:
            logger.debug("policy server: could not refuse a connection: %s", err)
        self.shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A connection's failure (a client gone mid-request, a timeout) ends only that connection."""
        import sys

        err = sys.exc_info()[1]
        if isinstance(err, OSError):
            logger.debug("policy server: connection %s ended: %s: %s", client_address, type(err).__name__, err)
        else:
            logger.exception("policy server: error on connection %s", client_address)

    def close_connections(self) -> None:
        """Shuts every open connection (handlers waiting on idle keep-alive sockets then end)."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:  # already closed by its handler
                continue

    def join_handlers(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        with self._open_lock:
            threads = list(self._open.values())
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

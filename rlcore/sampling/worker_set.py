"""WorkerSet: one local rollout worker plus ``num_workers`` rollout workers in Ray actors.

With ``num_workers=0`` nothing imports or starts Ray: the local worker samples in-process. Remote
workers are created first so their observation/action spaces can be asked for; the local worker
then builds its policies from those spaces without an env of its own.

Failures: with ``recreate_failed_workers`` (or ``ignore_worker_failures``) a remote worker whose
actor died, or whose ``sample`` raised (its env or policy failed), is replaced (same index,
current weights) or dropped; :meth:`WorkerSet.sample` keeps every fragment the healthy workers
completed and resamples only from the replacements. For failures elsewhere (async plans),
:meth:`WorkerSet.recover_failed_workers` replaces or drops the worker the error came from and
any other that is dead; the Trainer then rebuilds its execution plan. Without either setting the
error is a :class:`WorkerFailure` naming the worker's index, its host and both settings. Each
remote worker keeps its 1-based index for life (:meth:`WorkerSet.remote_worker_indices`).
An execution plan's own actors (Ape-X's replay shards, IMPALA's aggregation actors) are
registered with :meth:`WorkerSet.register_plan_actors`, so that the failure of one is reported
as what it is (:meth:`WorkerSet.failure_of`): its kind, index, host, and what each setting does
for it.

Placement: with ``placement_strategy`` set (``"PACK"``, ``"SPREAD"``, ``"STRICT_PACK"``,
``"STRICT_SPREAD"``) and no placement group around the trainer already (Tune makes one per
trial), the remote workers are placed in a placement group of their own, one bundle per worker
(``num_cpus_per_worker``, ``num_gpus_per_worker``, ``custom_resources_per_worker``); a recreated worker goes back to its bundle, which Ray moves to
another node when its node is lost. ``None`` (the default) places workers as Ray's scheduler
does, as RLlib 1.x did outside Tune.

Examples:
    >>> from rlcore.sampling.worker_set import WorkerSet
    >>> from rlcore.policy.random_policy import RandomPolicy
    >>> ws = WorkerSet(env_creator=lambda ctx: __import__("gymnasium").make("CartPole-v1"),
    ...                policy_class=RandomPolicy, trainer_config={"rollout_fragment_length": 5}, num_workers=0)
    >>> ws.remote_workers(), ws.local_worker().sample().count
    ([], 5)
"""

from __future__ import annotations

import logging
import os
import re
import socket
from typing import Any, Callable, Dict, List, Mapping, Optional

from rlcore.sampling.rollout_worker import RolloutWorker

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 300.0

#: The values of config key ``placement_strategy`` (None: no placement group of the worker set's own).
PLACEMENT_STRATEGIES = ("PACK", "SPREAD", "STRICT_PACK", "STRICT_SPREAD")


ROLLOUT_WORKER = "rollout worker"
"""The ``kind`` of a :class:`WorkerFailure` of a remote rollout worker."""


class WorkerFailure(RuntimeError):
    """A remote actor of the trainer failed and the config says neither to recreate nor to drop it:
    a rollout worker, or an actor of the execution plan (a replay shard, an aggregation actor).

    Attributes:
        index: The worker's 1-based index; for a plan actor its 0-based position among its kind.
        host: ``"hostname (ip, pid n)"`` where the actor ran, or ``"unknown host"``.
        kind: ``"rollout worker"`` (:data:`ROLLOUT_WORKER`) or the kind a plan registered
            (:meth:`WorkerSet.register_plan_actors`), e.g. ``"replay shard"``.
    """

    def __init__(self, message: str, index: int, host: str, kind: str = ROLLOUT_WORKER):
        super().__init__(message)
        self.index, self.host, self.kind = index, host, kind

    def __reduce__(self):
        return type(self), (str(self), self.index, self.host, self.kind)


def whereabouts(worker: Any = None) -> Dict[str, Any]:
    """Where this process runs: ``{"host", "ip", "pid", "node_id"}`` (``node_id`` None without Ray).

    Examples:
        >>> sorted(whereabouts())
        ['host', 'ip', 'node_id', 'pid']
    """
    import sys

    ip, node_id = "127.0.0.1", None
    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():
        ip = ray.util.get_node_ip_address()
        node_id = ray.get_runtime_context().get_node_id()
    return {"host": socket.gethostname(), "ip": ip, "pid": os.getpid(), "node_id": node_id}


def check_placement_strategy(config: Mapping[str, Any]) -> Optional[str]:
    """The config's ``placement_strategy`` (None or one of :data:`PLACEMENT_STRATEGIES`).

    Raises:
        ValueError: For any other value, naming the key, the value and the choices.

    Examples:
        >>> check_placement_strategy({"placement_strategy": "SPREAD"}), check_placement_strategy({})
        ('SPREAD', None)
        >>> check_placement_strategy({"placement_strategy": "spread"})
        Traceback (most recent call last):
        ...
        ValueError: config key 'placement_strategy' = 'spread': expected None or one of ['PACK', 'SPREAD', 'STRICT_PACK', 'STRICT_SPREAD']
    """
    value = config.get("placement_strategy")
    if value is not None and value not in PLACEMENT_STRATEGIES:
        raise ValueError(f"config key 'placement_strategy' = {value!r}: expected None or one of "
                         f"{list(PLACEMENT_STRATEGIES)}")
    return value


def worker_kwargs(config: Mapping[str, Any], env_creator: Callable, validate_env: Optional[Callable],
                  policy_spec: Any, worker_index: int, num_workers: int) -> Dict[str, Any]:
    """RolloutWorker arguments from a trainer config (RLlib's ``WorkerSet._make_worker``)."""
    ma = dict(config.get("multiagent") or {})
    policies = ma.get("policies") or {}
    if policies:
        policy_spec = {pid: _policy_entry(pid, spec, policy_spec) for pid, spec in policies.items()}
    return dict(
        env_creator=env_creator,
        validate_env=validate_env,
        policy_spec=policy_spec,
        policy_mapping_fn=ma.get("policy_mapping_fn"),
        policies_to_train=ma.get("policies_to_train"),
        count_steps_by=ma.get("count_steps_by", "env_steps"),
        rollout_fragment_length=config.get("rollout_fragment_length", 200),
        batch_mode=config.get("batch_mode", "truncate_episodes"),
        sample_async=config.get("sample_async", False),
        episode_horizon=config.get("horizon"),
        num_envs=config.get("num_envs_per_worker", 1),
        observation_filter=config.get("observation_filter", "NoFilter"),
        clip_rewards=config.get("clip_rewards"),
        clip_actions=config.get("clip_actions", True),
        normalize_actions=config.get("normalize_actions", False),
        render_env=config.get("render_env", False),
        observation_fn=ma.get("observation_fn"),
        env_config=config.get("env_config") or {},
        model_config=config.get("model") or {},
        policy_config=dict(config),
        worker_index=worker_index,
        num_workers=num_workers,
        callbacks=config.get("callbacks"),
        remote_worker_envs=config.get("remote_worker_envs", False),
        soft_horizon=config.get("soft_horizon", False),
        no_done_at_end=config.get("no_done_at_end", False),
        seed=config.get("seed"),
        input_creator=input_creator(config),
        input_evaluation=config.get("input_evaluation") or [],
        output_creator=output_creator(config),
    )


def input_creator(config: Mapping[str, Any]) -> Optional[Callable]:
    """The rollout workers' input creator from the ``input`` config: None for ``"sampler"`` (the
    workers sample their envs), else ``ioctx -> InputReader`` (:mod:`rlcore.offline.io_config`).

    Examples:
        >>> input_creator({"input": "sampler"}) is None, callable(input_creator({"input": "/data/*.json"}))
        (True, True)
    """
    from rlcore.offline.io_config import input_creator as offline_input_creator

    return offline_input_creator(config)


def output_creator(config: Mapping[str, Any]) -> Optional[Callable]:
    """The rollout workers' output creator from the ``output`` config (None: nothing written)."""
    from rlcore.offline.io_config import output_creator as offline_output_creator

    return offline_output_creator(config)


def _policy_entry(pid: str, spec: Any, default_cls: Any):
    if isinstance(spec, (tuple, list)) and len(spec) == 4:
        cls, obs_space, act_space, conf = spec
        return (cls or default_cls, obs_space, act_space, conf or {})
    raise ValueError(f"multiagent.policies[{pid!r}] must be (policy_cls, obs_space, act_space, config), got {spec!r}")


class WorkerSet:
    """One local :class:`RolloutWorker` and ``num_workers`` remote ones (RLlib 1.x API).

    Args:
        env_creator: ``creator(EnvContext) -> env``.
        validate_env: Optional ``fn(env, env_context)`` run on every new env.
        policy_class: The policy class (or a multi-agent dict through ``multiagent.policies``).
        trainer_config: The full trainer config.
        num_workers: Remote workers (Ray actors); 0 means everything in this process.
        logdir: The trainer's log directory (an input creator's ``IOContext.log_dir``).
    """

    def __init__(self, *, env_creator: Optional[Callable] = None, validate_env: Optional[Callable] = None,
                 policy_class: Any = None, trainer_config: Optional[Mapping[str, Any]] = None, num_workers: int = 0,
                 logdir: Optional[str] = None, _setup: bool = True):
        self._env_creator, self._validate_env = env_creator, validate_env
        self._policy_class = policy_class
        self._config = dict(trainer_config or {})
        self._logdir = logdir
        self._remote: List[Any] = []
        self._indices: List[int] = []  # the 1-based index of each remote worker, aligned with _remote
        self._where: Dict[int, Any] = {}  # index -> ref of the worker's whereabouts() (asked at creation)
        self._placement_group: Any = None
        self._local: Optional[RolloutWorker] = None
        #: What an execution plan keeps across the rebuilds that follow worker failures, by name
        #: (Ape-X's replay shards: a worker failure must not empty the replay buffer). The plan
        #: takes it from here instead of creating it; its stop hook releases it on the final stop.
        self.plan_resources: Dict[str, Any] = {}
        # kind -> ([(actor, ref of its whereabouts())], what the two settings do for that kind)
        self._plan_actors: Dict[str, Any] = {}
        if _setup:
            check_placement_strategy(self._config)
            spaces = None
            if num_workers > 0:
                self._placement_group = self._make_placement_group(num_workers)
                self.add_workers(num_workers)
                spaces = self._get(self._remote[0].get_spaces.remote())
            kwargs = worker_kwargs(self._config, env_creator, validate_env, policy_class, 0, num_workers)
            self._local = RolloutWorker(**kwargs, spaces=spaces, log_dir=logdir,
                                        create_env=num_workers == 0 or self._config.get("create_env_on_driver", False))

    @classmethod
    def _from_existing(cls, local_worker: RolloutWorker, remote_workers: Optional[List[Any]] = None) -> "WorkerSet":
        ws = cls(_setup=False)
        ws._local = local_worker
        ws.reset(list(remote_workers or []))
        return ws

    def _timeout(self) -> float:
        return float(self._config.get("worker_timeout_s", DEFAULT_TIMEOUT_S))

    def _get(self, refs: Any) -> Any:
        import ray

        return ray.get(refs, timeout=self._timeout())

    # -- access ---------------------------------------------------------------------------------

    def local_worker(self) -> RolloutWorker:
        return self._local

    def remote_workers(self) -> List[Any]:
        return list(self._remote)

    def remote_worker_indices(self) -> List[int]:
        """The 1-based index of each remote worker, in :meth:`remote_workers` order. An index
        stays with its worker: after worker 1 is dropped, ``[2, 3]``; a recreated one keeps it."""
        return list(self._indices)

    def placement_group(self) -> Any:
        """The remote workers' own placement group (``placement_strategy``), or None."""
        return self._placement_group

    def whereabouts(self) -> Dict[int, Dict[str, Any]]:
        """``{index: {"host", "ip", "pid", "node_id"}}`` of every remote worker (one Ray call each
        at creation; answered from the stored results afterwards)."""
        for i, w in zip(self._indices, self._remote):
            if i not in self._where:  # workers given to reset()
                self._where[i] = w.apply.remote(whereabouts)
        return {i: self._get(self._where[i]) for i in self._indices}

    def _worker_resources(self) -> Dict[str, Any]:
        cfg = self._config
        return {"num_cpus": cfg.get("num_cpus_per_worker", 1), "num_gpus": cfg.get("num_gpus_per_worker", 0),
                "resources": cfg.get("custom_resources_per_worker") or None}

    def _make_placement_group(self, num_workers: int) -> Any:
        """A placement group of one bundle per worker with the config's ``placement_strategy`` (None
        when unset, when a placement group already captures this process's actors, e.g. a Tune
        trial's, or when workers ask for no resources)."""
        strategy = check_placement_strategy(self._config)
        if strategy is None:
            return None
        import ray
        from ray.util.placement_group import get_current_placement_group, placement_group

        if get_current_placement_group() is not None:
            return None
        res = self._worker_resources()
        bundle = {k: float(v) for k, v in (("CPU", res["num_cpus"]), ("GPU", res["num_gpus"])) if v}
        bundle.update({k: float(v) for k, v in (res["resources"] or {}).items() if v})
        if not bundle:
            return None
        pg = placement_group([dict(bundle) for _ in range(num_workers)], strategy=strategy)
        ready, _ = ray.wait([pg.ready()], timeout=self._timeout())
        if not ready:
            ray.util.remove_placement_group(pg)
            raise TimeoutError(f"placement group for {num_workers} rollout workers ({bundle} each, strategy "
                               f"{strategy!r}) not placed within worker_timeout_s={self._timeout()} s: the cluster "
                               f"has {ray.available_resources()} free")
        return pg

    def _make_remote(self, index: int, num_workers: Optional[int] = None) -> Any:
        """Remote worker ``index``; its ``num_workers`` (EnvContext, IOContext) is ``num_workers``,
        else the current count of remote workers (a recreated one takes its predecessor's)."""
        cfg = self._config
        environs = {str(k): str(v) for k, v in (cfg.get("extra_python_environs_for_worker") or {}).items()}
        options: Dict[str, Any] = {}
        if environs:  # set before the worker process starts, as RLlib 1.x's extra_python_environs_for_worker
            options["runtime_env"] = {"env_vars": environs}
        pg = self._placement_group
        if pg is not None and index <= len(pg.bundle_specs):
            from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

            options["scheduling_strategy"] = PlacementGroupSchedulingStrategy(
                placement_group=pg, placement_group_bundle_index=index - 1)
        res = self._worker_resources()
        cls = RolloutWorker.as_remote(num_cpus=res["num_cpus"], num_gpus=res["num_gpus"], resources=res["resources"],
                                      **options)
        n = num_workers if num_workers is not None else max(len(self._remote), index)
        worker = cls.remote(**worker_kwargs(cfg, self._env_creator, self._validate_env, self._policy_class, index, n),
                            log_dir=self._logdir)
        self._where[index] = worker.apply.remote(whereabouts)
        return worker

    def add_workers(self, num_workers: int) -> None:
        """Starts ``num_workers`` more remote workers (indices continue from the highest one)."""
        start = max(self._indices, default=0)
        total = len(self._remote) + num_workers  # each new worker's num_workers is the final count
        for i in range(start + 1, start + num_workers + 1):
            self._remote.append(self._make_remote(i, total))
            self._indices.append(i)

    def reset(self, new_remote_workers: List[Any]) -> None:
        """Replaces the remote workers (indexed 1..n in the given order)."""
        self._remote = list(new_remote_workers)
        self._indices = list(range(1, len(self._remote) + 1))

    # -- weights and fan-out --------------------------------------------------------------------

    def sync_weights(self, policies: Optional[List[str]] = None, global_vars: Optional[Mapping[str, Any]] = None) -> None:
        """Broadcasts the local worker's weights (one ``ray.put``) to every remote worker."""
        if not self._remote:
            if global_vars:
                self._local.set_global_vars(global_vars)
            return
        import ray

        ref = ray.put(self._local.get_weights(policies))
        self._get([w.set_weights.remote(ref, global_vars) for w in self._remote])
        if global_vars:
            self._local.set_global_vars(global_vars)

    def foreach_worker(self, func: Callable[[RolloutWorker], Any]) -> List[Any]:
        """``func(worker)`` on every worker: ``[local result, remote 1's, ..., remote n's]``
        (RLlib 1.x; one item per worker, the local worker's first).

        Examples:
            >>> import gymnasium as gym
            >>> from rlcore.policy.random_policy import RandomPolicy
            >>> ws = WorkerSet(env_creator=lambda ctx: gym.make("CartPole-v1"), policy_class=RandomPolicy)
            >>> ws.foreach_worker(lambda w: w.worker_index), ws.foreach_policy(lambda policy, pid: pid)
            ([0], ['default_policy'])
        """
        out = [func(self._local)] if self._local is not None else []
        if self._remote:
            out += self._get([w.apply.remote(func) for w in self._remote])
        return out

    def foreach_worker_with_index(self, func: Callable[[RolloutWorker, int], Any]) -> List[Any]:
        """``func(worker, index)`` on every worker, the local one with index 0 and remote ``i`` with
        ``i`` (1-based): ``[local result, remote 1's, ...]``, as :meth:`foreach_worker`."""
        out = [func(self._local, 0)] if self._local is not None else []
        if self._remote:
            out += self._get([w.apply.remote(func, i + 1) for i, w in enumerate(self._remote)])
        return out

    def foreach_policy(self, func: Callable) -> List[Any]:
        """``func(policy, policy_id)`` on every policy of every worker, as one flat list: the local
        worker's results (in its policy order), then each remote worker's (RLlib 1.x)."""
        return [r for results in self.foreach_worker(lambda w: w.foreach_policy(func)) for r in results]

    def foreach_trainable_policy(self, func: Callable) -> List[Any]:
        """As :meth:`foreach_policy`, over the policies in each worker's ``policies_to_train``."""
        return [r for results in self.foreach_worker(lambda w: w.foreach_trainable_policy(func)) for r in results]

    def foreach_env(self, func: Callable[[Any], Any]) -> List[List[Any]]:
        """``func(sub_env)`` on every worker's sub-environments: one list per worker (the local
        worker's first; empty for a worker without envs, e.g. a local worker beside remote ones)."""
        return self.foreach_worker(lambda w: w.foreach_env(func))

    def foreach_env_with_context(self, func: Callable[[Any, Any], Any]) -> List[List[Any]]:
        """``func(sub_env, env_context)`` on every worker's sub-environments, one list per worker."""
        return self.foreach_worker(lambda w: w.foreach_env_with_context(func))

    def trainable_policies(self) -> List[str]:
        """The local worker's trainable policy ids, in its policy order (RLlib 1.x)."""
        return self._local.foreach_trainable_policy(lambda _policy, pid: pid)

    # -- sampling and failures ------------------------------------------------------------------

    def sample(self) -> List[Any]:
        """One ``sample()`` from every remote worker (or the local one when there are none).

        A worker that dies, or whose ``sample`` raises, is replaced or dropped
        (``recreate_failed_workers`` / ``ignore_worker_failures``); the fragments of the others
        are kept and the replacement samples again, so no completed fragment is lost and no
        fragment of a failed call is counted. A replacement that fails again in the same call
        is a persistent failure: :class:`WorkerFailure`. Without either setting, the
        :class:`WorkerFailure` names the worker, its host and both settings.
        """
        if not self._remote:
            return [self._local.sample()]
        import ray

        pending = {w.sample.remote(): w for w in self._remote}
        recreated: set = set()
        batches = []
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=self._timeout())
            if not ready:
                late = sorted(self._index_of(w) for w in pending.values())
                raise TimeoutError(f"rollout workers {late} returned no sample within worker_timeout_s="
                                   f"{self._timeout()} s")
            ref = ready[0]
            worker = pending.pop(ref)
            try:
                batches.append(ray.get(ref, timeout=self._timeout()))
            except ray.exceptions.RayError as err:  # a dead actor, or its sample raised
                index = self._index_of(worker)
                if index in recreated:
                    host = self.host_of(index)
                    raise WorkerFailure(f"rollout worker {index} on {host} failed again right after being recreated "
                                        f"({_one_line(err)}): a persistent failure, not retried", index, host) from err
                replacement = self._handle_failure(worker, err)
                if replacement is not None:
                    recreated.add(index)
                    pending[replacement.sample.remote()] = replacement
        return batches

    def recover_failed_workers(self, err: Optional[BaseException] = None) -> List[int]:
        """Replaces or drops the remote workers that failed (RLlib's ``Trainer._try_recover``):
        for a failure outside :meth:`sample`, e.g. in an async plan.

        The worker ``err`` came from (a Ray error naming its actor, perhaps wrapped in a
        ``ShardError``) counts as failed even if it is alive (its env or policy raised); every
        other worker is pinged (no sampling, so nothing is sampled that no learner will see), and
        a dead one counts as failed too. Each failed worker is recreated with
        ``recreate_failed_workers``, or dropped with ``ignore_worker_failures``.

        Args:
            err: The error that stopped the plan, or None to only ping.

        Returns:
            The 1-based indices of the failed workers.

        Raises:
            WorkerFailure: When a worker failed and neither setting is on, or no worker is left.
        """
        import ray

        culprit = self.index_of_error(err)
        checks = [(w, w.apply.remote(whereabouts)) for w in list(self._remote)]
        failed = []
        for worker, ref in checks:
            failure: Optional[BaseException] = err if culprit is not None and self._index_of(worker) == culprit else None
            if failure is None:
                try:
                    ray.get(ref, timeout=self._timeout())
                except (ray.exceptions.RayError, TimeoutError) as ping_err:
                    failure = ping_err
            if failure is not None:
                failed.append(self._index_of(worker))
                self._handle_failure(worker, failure)
        return failed

    def _index_of(self, worker: Any) -> int:
        return self._indices[self._remote.index(worker)]

    def host_of(self, index: int) -> str:
        """``"hostname (ip, pid n)"`` of worker ``index`` from its creation-time answer."""
        return _host_text(self._known_whereabouts(index))

    def index_of_error(self, err: Optional[BaseException]) -> Optional[int]:
        """The index of the remote worker a Ray error (perhaps wrapped, e.g. in a ``ShardError``)
        came from, or None: a dead actor's error names the actor, a raised task's error the
        process (ip and pid) it ran in."""
        origins = _origins_of(err)
        for index, worker in zip(self._indices, self._remote):
            if self._came_from(origins, _actor_hex(worker), self._where.get(index)):
                return index
        return None

    def _came_from(self, origins: List[tuple], actor_hex: Optional[str], where_ref: Any) -> bool:
        """Whether one of an error's ``(actor id, (ip, pid))`` origins is this actor (by id, else by
        the process its creation-time whereabouts named)."""
        if any(actor is not None and actor == actor_hex for actor, _ in origins):
            return True
        processes = {process for _, process in origins if process is not None}
        if not processes:
            return False
        where = self._answer(where_ref)
        return where is not None and (where["ip"], where["pid"]) in processes

    def _known_whereabouts(self, index: int) -> Optional[Dict[str, Any]]:
        return self._answer(self._where.get(index))

    def _answer(self, ref: Any) -> Optional[Dict[str, Any]]:
        """The whereabouts a creation-time call answered, or None (no call, or died before it answered)."""
        if ref is None:
            return None
        import ray

        try:
            return ray.get(ref, timeout=min(5.0, self._timeout()))
        except (ray.exceptions.RayError, TimeoutError):  # died before it answered
            return None

    def failure_message(self, index: int, err: BaseException) -> str:
        """What a failed worker's error says: index, host, the error and both settings."""
        return (f"rollout worker {index} on {self.host_of(index)} failed ({_one_line(err)}); "
                f"{self._settings()}: set recreate_failed_workers=True to replace the worker, or "
                "ignore_worker_failures=True to go on without it")

    def _settings(self) -> str:
        cfg = self._config
        return (f"config['recreate_failed_workers']={bool(cfg.get('recreate_failed_workers'))} and "
                f"config['ignore_worker_failures']={bool(cfg.get('ignore_worker_failures'))}")

    def register_plan_actors(self, kind: str, actors: List[Any], remedy: str) -> None:
        """Names the execution plan's own Ray actors of one ``kind`` (e.g. ``"replay shard"``), so a
        failure of one is reported as that kind, with its 0-based index among ``actors`` and its
        host (:meth:`failure_of`). A later call for the same kind (a rebuilt plan) replaces the
        earlier one; objects that are not Ray actors (in-process shards) are skipped.

        Each actor is asked once, now, where it runs (its ``whereabouts()`` method, when it has
        one; else its host is reported as unknown).

        Args:
            kind: What the actors are, as the error will name them.
            actors: The actors, in index order.
            remedy: What ``recreate_failed_workers`` and ``ignore_worker_failures`` do for this kind
                (ends the error message after both settings' values).
        """
        from rlcore.dataflow.shard_backend import is_actor_handle

        entries = []
        for actor in actors:
            if not is_actor_handle(actor):
                continue
            try:
                where = actor.whereabouts.remote()
            except AttributeError:  # an actor without whereabouts(): its host stays unknown
                where = None
            entries.append((actor, where))
        self._plan_actors[kind] = (entries, remedy)

    def plan_actors(self, kind: str) -> List[Any]:
        """The plan's actors of ``kind`` last registered (:meth:`register_plan_actors`), in index order."""
        entries, _ = self._plan_actors.get(kind, ([], ""))
        return [actor for actor, _ in entries]

    def failure_of(self, err: Optional[BaseException]) -> Optional[WorkerFailure]:
        """A :class:`WorkerFailure` for a Ray error (perhaps wrapped) from one of this set's actors:
        a remote rollout worker (looked for first: an actor of the plan that gathers from it
        fails with it), else an actor a plan registered (:meth:`register_plan_actors`). It names
        the actor's kind, index and host, the error and both settings; None when ``err`` names
        none of them."""
        index = self.index_of_error(err)
        if index is not None:
            return WorkerFailure(self.failure_message(index, err), index, self.host_of(index))
        origins = _origins_of(err)
        for kind, (entries, remedy) in self._plan_actors.items():
            for i, (actor, where_ref) in enumerate(entries):
                if not self._came_from(origins, _actor_hex(actor), where_ref):
                    continue
                host = _host_text(self._answer(where_ref))
                message = (f"{kind} {i} of {len(entries)} on {host} failed ({_one_line(err)}); "
                           f"{self._settings()}: {remedy}")
                return WorkerFailure(message, i, host, kind)
        return None

    def _handle_failure(self, worker: Any, err: BaseException) -> Optional[Any]:
        import ray

        pos = self._remote.index(worker)
        index = self._indices[pos]
        recreate, ignore = self._config.get("recreate_failed_workers"), self._config.get("ignore_worker_failures")
        if not (recreate or ignore):
            raise WorkerFailure(self.failure_message(index, err), index, self.host_of(index)) from err
        host = self.host_of(index)
        try:  # a worker whose call raised is alive, its env perhaps broken: end it either way
            ray.kill(worker, no_restart=True)
        except ray.exceptions.RayError:  # a handle from an ended Ray session: nothing to kill
            pass
        if recreate:
            logger.warning("rollout worker %d on %s failed (%s); recreating it", index, host, _one_line(err))
            new = self._make_remote(index)
            self._get(new.set_weights.remote(self._local.get_weights(), self._local.global_vars))
            self._remote[pos] = new
            return new
        logger.warning("rollout worker %d on %s failed (%s); going on without it", index, host, _one_line(err))
        del self._remote[pos], self._indices[pos]
        self._where.pop(index, None)
        if not self._remote:
            raise WorkerFailure(f"every remote rollout worker has failed; the last, worker {index} on {host}: "
                                f"{_one_line(err)}", index, host) from err
        return None

    def stop(self) -> None:
        """Stops the local worker and kills the remote actors."""
        if self._local is not None:
            self._local.stop()
        if self._remote:
            import ray

            for w in self._remote:
                try:
                    ray.kill(w)
                except ray.exceptions.RayError:  # a handle from an ended Ray session: nothing to kill
                    pass
            self._remote, self._indices = [], []
        if self._placement_group is not None:
            from ray.util import remove_placement_group

            remove_placement_group(self._placement_group)
            self._placement_group = None


def _host_text(where: Optional[Mapping[str, Any]]) -> str:
    """``"hostname (ip, pid n)"`` of a :func:`whereabouts` answer, ``"unknown host"`` for None."""
    if where is None:
        return "unknown host"
    return f"{where['host']} ({where['ip']}, pid {where['pid']})"


def _one_line(err: BaseException) -> str:
    """``"Type: first line"`` of an error (a remote error's own type and message, not Ray's wrapping)."""
    cause = getattr(err, "cause", None)
    shown = cause if isinstance(cause, BaseException) else err
    text = str(shown).strip().splitlines()
    return f"{type(shown).__name__}: {text[0] if text else ''}".rstrip(": ")


def _actor_hex(worker: Any) -> Optional[str]:
    actor_id = getattr(worker, "_actor_id", None)
    return actor_id.hex() if actor_id is not None else None


_RAY_TASK_ORIGIN = re.compile(r"\(pid=(\d+), ip=([^,\s)]+)(?:, actor_id=([0-9a-f]+))?")


def _origins_of(err: Optional[BaseException]) -> List[tuple]:
    """Every ``(actor hex id, (ip, pid))`` a Ray error in ``err``'s chain names (either may be None),
    outermost first.

    A dead actor's error carries ``actor_id``; a task that raised arrives as Ray's
    ``RayTaskError(<cause>)``, whose only record of where it ran is its message header
    ``ray::Class.method() (pid=.., ip=.., actor_id=..)``; a task that failed because another actor
    did (an aggregation actor whose rollout worker died) names both, its own header first.

    Examples:
        >>> _origins_of(RuntimeError("ray::RolloutWorker.sample() (pid=12, ip=10.0.0.3, actor_id=ab12cd)"))
        [('ab12cd', ('10.0.0.3', 12))]
        >>> _origins_of(ValueError("no origin"))
        []
    """
    origins: List[tuple] = []
    seen = set()
    pending = [err]
    while pending:
        err = pending.pop(0)
        if err is None or id(err) in seen:
            continue
        seen.add(id(err))
        actor_id = getattr(err, "actor_id", None)
        if isinstance(actor_id, str):
            origins.append((actor_id, None))
        for found in _RAY_TASK_ORIGIN.finditer(str(err)):
            origins.append((found.group(3), (found.group(2), int(found.group(1)))))
        pending += [getattr(err, name, None) for name in ("original", "cause", "__cause__", "__context__")]
    return [o for i, o in enumerate(origins) if o not in origins[:i]]

"""WorkerSet: one local rollout worker plus ``num_workers`` rollout workers in Ray actors.

With ``num_workers=0`` nothing imports or starts Ray: the local worker samples in-process. Remote
workers are created first so their observation/action spaces can be asked for; the local worker
then builds its policies from those spaces without an env of its own.

Failures: with ``recreate_failed_workers`` (or ``ignore_worker_failures``) a remote worker whose
actor died is replaced (same index, current weights) or dropped; :meth:`WorkerSet.sample`
keeps every fragment the healthy workers completed and resamples only from the replacements.
For failures elsewhere (async plans), :meth:`WorkerSet.recover_failed_workers` health-checks every
worker and replaces or drops the failing ones; the Trainer then rebuilds its execution plan.

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
from typing import Any, Callable, Dict, List, Mapping, Optional

from rlcore.sampling.rollout_worker import RolloutWorker

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 300.0


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
        self._local: Optional[RolloutWorker] = None
        if _setup:
            spaces = None
            if num_workers > 0:
                self.add_workers(num_workers)
                spaces = self._get(self._remote[0].get_spaces.remote())
            kwargs = worker_kwargs(self._config, env_creator, validate_env, policy_class, 0, num_workers)
            self._local = RolloutWorker(**kwargs, spaces=spaces, log_dir=logdir,
                                        create_env=num_workers == 0 or self._config.get("create_env_on_driver", False))

    @classmethod
    def _from_existing(cls, local_worker: RolloutWorker, remote_workers: Optional[List[Any]] = None) -> "WorkerSet":
        ws = cls(_setup=False)
        ws._local, ws._remote = local_worker, list(remote_workers or [])
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

    def _make_remote(self, index: int) -> Any:
        cfg = self._config
        environs = {str(k): str(v) for k, v in (cfg.get("extra_python_environs_for_worker") or {}).items()}
        cls = RolloutWorker.as_remote(
            num_cpus=cfg.get("num_cpus_per_worker", 1), num_gpus=cfg.get("num_gpus_per_worker", 0),
            resources=cfg.get("custom_resources_per_worker") or None,
            # set before the worker process starts, as RLlib 1.x's extra_python_environs_for_worker
            **({"runtime_env": {"env_vars": environs}} if environs else {}))
        n = max(len(self._remote), index)
        return cls.remote(**worker_kwargs(cfg, self._env_creator, self._validate_env, self._policy_class, index, n),
                          log_dir=self._logdir)

    def add_workers(self, num_workers: int) -> None:
        """Starts ``num_workers`` more remote workers (indices continue from the last one)."""
        start = len(self._remote)
        self._remote.extend(self._make_remote(start + i + 1) for i in range(num_workers))

    def reset(self, new_remote_workers: List[Any]) -> None:
        self._remote = list(new_remote_workers)

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

        A worker that dies is replaced or dropped (``recreate_failed_workers`` /
        ``ignore_worker_failures``); the fragments of the others are kept and the replacement
        samples again, so no completed fragment is lost. Without either setting, the error
        (naming the worker) is raised.
        """
        if not self._remote:
            return [self._local.sample()]
        import ray

        pending = {w.sample.remote(): w for w in self._remote}
        batches = []
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=self._timeout())
            if not ready:
                raise TimeoutError(f"no remote rollout worker returned a sample within {self._timeout()} s")
            ref = ready[0]
            worker = pending.pop(ref)
            try:
                batches.append(ray.get(ref, timeout=self._timeout()))
            except ray.exceptions.RayActorError as err:
                replacement = self._handle_failure(worker, err)
                if replacement is not None:
                    pending[replacement.sample.remote()] = replacement
        return batches

    def recover_failed_workers(self) -> List[int]:
        """Health-checks every remote worker and replaces or drops the ones that fail (RLlib's
        ``Trainer._try_recover``): for a failure outside :meth:`sample`, e.g. in an async plan.

        Each remote worker is asked for one ``sample_with_count``; a worker whose call raises (a
        dead actor, or an env that keeps failing) is recreated with ``recreate_failed_workers``,
        or dropped with ``ignore_worker_failures``.

        Returns:
            The 1-based indices of the workers that failed the check.

        Raises:
            RuntimeError: When a worker failed and neither setting is on, or no worker is left.
        """
        import ray

        checks = [(w, w.sample_with_count.remote()) for w in list(self._remote)]
        failed = []
        for worker, ref in checks:
            try:
                ray.get(ref, timeout=self._timeout())
            except (ray.exceptions.RayError, TimeoutError) as err:
                failed.append(self._remote.index(worker) + 1)
                try:
                    ray.kill(worker)
                except ray.exceptions.RayError:  # a handle from an ended Ray session: nothing to kill
                    pass
                self._handle_failure(worker, err)
        return failed

    def _handle_failure(self, worker: Any, err: Exception) -> Optional[Any]:
        index = self._remote.index(worker) + 1
        if self._config.get("recreate_failed_workers"):
            logger.warning("rollout worker %d died (%s); recreating it", index, type(err).__name__)
            new = self._make_remote(index)
            self._get(new.set_weights.remote(self._local.get_weights(), self._local.global_vars))
            self._remote[index - 1] = new
            return new
        if self._config.get("ignore_worker_failures"):
            logger.warning("rollout worker %d died (%s); going on without it", index, type(err).__name__)
            self._remote.remove(worker)
            if not self._remote:
                raise RuntimeError("every remote rollout worker has died") from err
            return None
        raise RuntimeError(f"rollout worker {index} died: {err}") from err

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
            self._remote = []

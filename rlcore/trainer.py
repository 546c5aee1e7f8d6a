"""Trainer: an RL algorithm as a Ray Tune ``Trainable`` (RLlib 1.x ``Trainer`` and ``build_trainer``).

A trainer is ``defaults + policy class + execution plan``. ``setup`` merges the user's config over
the defaults (:mod:`rlcore.trainer_config`), resolves the env, builds a
:class:`~rlcore.sampling.WorkerSet` and calls ``execution_plan(workers, config)``, a
:class:`~rlcore.dataflow.LocalIterator` of result dicts; ``step()`` is ``next()`` of that iterator,
plus an evaluation round every ``evaluation_interval`` iterations. ``train()`` (Tune's) adds
``training_iteration``, ``timesteps_total``, ``episodes_total`` and the timing keys; ``save`` /
``restore`` write and read msgpack checkpoints (:mod:`rlcore.checkpoints`).

With ``num_workers=0`` (and no evaluation workers) everything runs in this process and Ray is never
initialized (``ray.tune`` is imported: the class is a ``Trainable``). Otherwise Ray is started, or
joined at ``config["ray_address"]``, unless it is already running.

Outside Tune (no ``storage``) and without a ``logger_creator``, the trainer writes its trial folder
``~/ray_results/<name>_<env>_<date>...`` itself with a :class:`~rlcore.trial_logger.TrialLogger`
(``params.json``, ``result.json``, ``progress.csv``, TensorBoard events), and Tune's own console
messages about actors and GPU monitoring are kept out of the console. Under Tune, Tune writes them.

Examples:
    >>> import numpy as np
    >>> from rlcore.policy.policy import Policy
    >>> from rlcore.dataflow import from_items
    >>> class Zero(Policy):
    ...     def compute_actions(self, obs_batch, state_batches=None, **kw):
    ...         return np.zeros(len(obs_batch), np.int64), [], {}
    ...     def get_weights(self): return {}
    ...     def set_weights(self, weights): pass
    >>> def plan(workers, config):
    ...     return from_items([0], num_shards=1, repeat=True, backend="inprocess").gather_sync().for_each(
    ...         lambda _: {"timesteps_this_iter": workers.local_worker().sample().count})
    >>> MyTrainer = build_trainer("MyTrainer", default_policy=Zero, execution_plan=plan,
    ...                           default_config=with_common_config({"rollout_fragment_length": 10}))
    >>> t = MyTrainer(config={"num_workers": 0, "log_sys_usage": False}, env="CartPole-v1")
    >>> r = t.train()
    >>> r["training_iteration"], r["timesteps_total"]
    (1, 10)
    >>> t.stop()
"""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import sys
import tempfile
from typing import Any, Callable, Dict, List, Optional, Type

import numpy as np
from ray.tune import Trainable

from rlcore.checkpoints import (CheckpointError, find_checkpoint_file, framework_family, json_safe_config,
                                read_checkpoint, write_checkpoint)
from rlcore.data.sample_batch import DEFAULT_POLICY_ID
from rlcore.sampling.callbacks import make_callbacks
from rlcore.sampling.worker_set import WorkerFailure, WorkerSet
from rlcore.trainer_config import (
    ALLOW_UNKNOWN_SUBKEYS,
    COMMON_CONFIG,
    OVERRIDE_ALL_SUBKEYS_IF_TYPE_CHANGES,
    deep_update,
    log_level_number,
    merge_config,
    normalize_config,
    validate_config_types,
    with_common_config,
)
from rlcore.trial_logger import TrialLogger, default_results_dir, quiet_tune_messages, trial_dir_name

logger = logging.getLogger(__name__)

#: Times one training iteration is retried after recovering from a remote worker failure (RLlib 1.x).
MAX_WORKER_FAILURE_RETRIES = 3

_UNNAMED_FAILURE_NOTE = (
    "A Ray actor or task of the trainer failed, and the error names none of its rollout workers or "
    "execution-plan actors (config['recreate_failed_workers']=False and config['ignore_worker_failures']"
    "=False). Set recreate_failed_workers=True (replace failed workers, rebuild the plan) or "
    "ignore_worker_failures=True (go on without failed workers) to continue training.")

__all__ = ["Trainer", "build_trainer", "default_execution_plan", "with_common_config", "COMMON_CONFIG"]


def default_execution_plan(workers: WorkerSet, config: Dict[str, Any]):
    """Synchronous sampling and SGD on the local worker (RLlib's ``default_execution_plan``).

    ``parallel_rollouts(bulk_sync) -> ConcatBatches(train_batch_size) -> TrainOneStep ->
    standard_metrics_reporting``, from :mod:`rlcore.ops`.
    """
    from rlcore.ops.metrics import standard_metrics_reporting
    from rlcore.ops.rollout import ConcatBatches, parallel_rollouts
    from rlcore.ops.train import TrainOneStep

    rollouts = parallel_rollouts(workers, mode="bulk_sync")
    train_op = (rollouts
                .combine(ConcatBatches(min_batch_size=config["train_batch_size"],
                                       count_steps_by=config["multiagent"]["count_steps_by"]))
                .for_each(TrainOneStep(workers)))
    return standard_metrics_reporting(train_op, workers, config)


class Trainer(Trainable):
    """Base class of every algorithm: a ``ray.tune.Trainable`` with RLlib 1.x's Trainer API.

    Subclasses come from :func:`build_trainer`, which sets the class attributes below.

    Args:
        config: The user's config, merged over ``_default_config``.
        env: An env name (registered or gymnasium id) or class; overrides ``config["env"]``.
        logger_creator: ``fn(config) -> logger``; its ``logdir`` becomes the trainer's, its
            ``on_result(result)`` (if any) receives each result and its ``close()`` (if any) runs
            at ``stop()``. Without one (and outside Tune) a
            :class:`~rlcore.trial_logger.TrialLogger` writes a new folder under ``~/ray_results``.
        storage: Passed by Ray Tune (its ``StorageContext``).

    Attributes:
        config: The merged, validated config.
        raw_user_config: The config as given.
        workers: The :class:`WorkerSet` that samples and learns.
        evaluation_workers: The evaluation :class:`WorkerSet` (or None).
        train_exec_impl: The execution plan's iterator of result dicts.
        callbacks: The ``DefaultCallbacks`` instance of the trainer process.
        env_creator: ``creator(env_context) -> env``.
    """

    _name = "Trainer"
    _default_config: Dict[str, Any] = COMMON_CONFIG
    _allow_unknown_configs = False
    _allow_unknown_subkeys: List[str] = list(ALLOW_UNKNOWN_SUBKEYS)
    _override_all_subkeys_if_type_changes: List[str] = list(OVERRIDE_ALL_SUBKEYS_IF_TYPE_CHANGES)
    _default_policy: Any = None
    _get_policy_class: Optional[Callable[[dict], Any]] = None
    _validate_config_fn: Optional[Callable[[dict], None]] = None
    _validate_env: Optional[Callable[[Any, Any], None]] = None
    _execution_plan: Callable = staticmethod(default_execution_plan)
    _before_init: Optional[Callable[["Trainer"], None]] = None
    _after_init: Optional[Callable[["Trainer"], None]] = None
    _before_evaluate_fn: Optional[Callable[["Trainer"], None]] = None

    def __init__(self, config: Optional[Dict[str, Any]] = None, env: Any = None,
                 logger_creator: Optional[Callable[[dict], Any]] = None, storage: Any = None):
        if config is not None and not isinstance(config, dict):
            raise TypeError(f"config={config!r:.80}: expected a dict, got {type(config).__name__}")
        config = dict(config or {})
        if env is not None:
            config["env"] = env
        self._logger_creator = logger_creator
        self._result_logger: Any = None
        self.workers: Optional[WorkerSet] = None
        self.evaluation_workers: Optional[WorkerSet] = None
        self.train_exec_impl: Any = None
        with _quiet_outside_tune(storage):
            super().__init__(config, storage=storage)
        if isinstance(self._result_logger, TrialLogger):
            self._result_logger.update_config(json_safe_config(self.config))

    # -- Tune hooks -----------------------------------------------------------------------------

    def _setup_logdir(self) -> None:
        if getattr(self, "_storage", None) is not None:
            return super()._setup_logdir()
        if self._logger_creator is not None:
            self._result_logger = self._logger_creator(self.config)
            logdir = getattr(self._result_logger, "logdir", None)
            if logdir:
                self._logdir = str(logdir)
                os.makedirs(self._logdir, exist_ok=True)
                return None
        root = default_results_dir()
        os.makedirs(root, exist_ok=True)
        self._logdir = tempfile.mkdtemp(prefix=trial_dir_name(self._name, self.config.get("env")), dir=root)
        self._result_logger = TrialLogger(self._logdir)
        return None

    @classmethod
    def merge_trainer_configs(cls, config1: Dict[str, Any], config2: Optional[Dict[str, Any]],
                              _allow_unknown_configs: Optional[bool] = None) -> Dict[str, Any]:
        """``config2`` merged over a copy of ``config1`` with this class's merge rules."""
        allow = cls._allow_unknown_configs if _allow_unknown_configs is None else _allow_unknown_configs
        return merge_config(config1, config2, allow, cls._allow_unknown_subkeys,
                            cls._override_all_subkeys_if_type_changes)

    @classmethod
    def default_resource_request(cls, config: Dict[str, Any]) -> Any:
        """One bundle for the driver and one per rollout and evaluation worker (for Tune).

        Returns:
            A :class:`~rlcore.trainer_resources.TrainerResources`: a Tune ``PlacementGroupFactory``
            with RLlib 1.x's ``Resources`` view (``cpu``, ``extra_cpu``, ..., ``to_json()``).
        """
        from rlcore.trainer_resources import TrainerResources

        cf = deep_update(copy.deepcopy(dict(cls._default_config)), dict(config or {}), True,
                         cls._allow_unknown_subkeys, cls._override_all_subkeys_if_type_changes)
        eval_workers = cf["evaluation_num_workers"] if cf.get("evaluation_interval") or cf["evaluation_num_workers"] else 0
        return TrainerResources.from_config(cf, num_eval_workers=eval_workers)

    def setup(self, config: Dict[str, Any]) -> None:
        cls = type(self)
        self.raw_user_config = config
        merged = self.merge_trainer_configs(self._default_config, config)
        validate_config_types(merged, self._default_config)
        normalize_config(merged, tuple(getattr(cls, "implemented_1x_keys", ())))
        evaluation = merged.get("evaluation_config") or {}
        if evaluation:
            try:
                self.merge_trainer_configs(merged, evaluation)
            except ValueError as err:
                raise ValueError(str(err).replace("config key '", "config key 'evaluation_config.", 1)) from None
        self.config = merged
        os.environ.update({str(k): str(v) for k, v in (merged["extra_python_environs_for_driver"] or {}).items()})
        logging.getLogger("rlcore").setLevel(log_level_number(merged["log_level"]))
        self._env_id = merged.get("env")
        self.env_creator = _resolve_env(self._env_id)
        self.callbacks = make_callbacks(merged["callbacks"])
        if merged["evaluation_num_workers"] > 0 and not merged["evaluation_interval"]:
            merged["evaluation_interval"] = 1
        if cls._validate_config_fn is not None:
            cls._validate_config_fn(merged)
        policy = cls._get_policy_class(merged) if cls._get_policy_class is not None else None
        self._policy_class = policy or cls._default_policy
        if self._policy_class is None and not (merged["multiagent"] or {}).get("policies"):
            raise ValueError(f"{self._name} has no policy class: build_trainer(default_policy=...) or "
                             "config['multiagent']['policies'] must give one")
        if merged["num_workers"] > 0 or (merged["evaluation_interval"] and merged["evaluation_num_workers"] > 0):
            _ensure_ray(merged)
        if cls._before_init is not None:
            cls._before_init(self)
        self.workers = self._make_workers(self.env_creator, cls._validate_env, self._policy_class, merged,
                                          merged["num_workers"])
        self.execution_plan = cls._execution_plan
        self.train_exec_impl = cls._execution_plan(self.workers, merged)
        if cls._after_init is not None:
            cls._after_init(self)

        if merged["evaluation_interval"]:
            extra = {"explore": False, **copy.deepcopy(merged["evaluation_config"]),
                     "batch_mode": "complete_episodes", "rollout_fragment_length": 1, "in_evaluation": True}
            eval_config = self.merge_trainer_configs(merged, extra)
            normalize_config(eval_config, tuple(getattr(cls, "implemented_1x_keys", ())))
            self.evaluation_workers = self._make_workers(self.env_creator, cls._validate_env, self._policy_class,
                                                         eval_config, merged["evaluation_num_workers"])

    def _make_workers(self, env_creator: Callable, validate_env: Optional[Callable], policy_class: Any,
                      config: Dict[str, Any], num_workers: int) -> WorkerSet:
        """Builds a :class:`WorkerSet` (RLlib's ``Trainer._make_workers``)."""
        return WorkerSet(env_creator=env_creator, validate_env=validate_env, policy_class=policy_class,
                         trainer_config=config, num_workers=num_workers, logdir=self.logdir)

    def step(self) -> Dict[str, Any]:
        """One iteration of the execution plan, plus evaluation when it is due.

        When a remote worker fails inside the plan (a dead actor in an async plan) and the config
        has ``ignore_worker_failures`` or ``recreate_failed_workers``, the workers are
        health-checked, the failing ones dropped or recreated, the plan rebuilt (its counters
        kept) and the iteration retried, up to ``MAX_WORKER_FAILURE_RETRIES`` times (RLlib 1.x).
        """
        result = self._recovering(lambda: next(self.train_exec_impl))
        if not isinstance(result, dict):
            raise TypeError(f"{self._name}'s execution plan yielded {type(result).__name__}; expected a result dict")
        if "timesteps_this_iter" not in result and isinstance(result.get("timesteps_total"), (int, np.integer)):
            result["timesteps_this_iter"] = int(result["timesteps_total"]) - int(self._timesteps_total or 0)
        interval = self.config.get("evaluation_interval")
        if interval and (self._iteration + 1) % interval == 0:
            result.update(self.evaluate())
        return result

    def _recovering(self, fn: Callable[[], Any]) -> Any:
        """``fn()``; when a remote worker fails in it and the config has ``ignore_worker_failures``
        or ``recreate_failed_workers``, the workers are recovered (:meth:`_try_recover`) and ``fn``
        retried, up to ``MAX_WORKER_FAILURE_RETRIES`` times."""
        for attempt in range(MAX_WORKER_FAILURE_RETRIES + 1):
            try:
                return fn()
            except Exception as err:  # noqa: BLE001 - re-raised unless it is a worker failure to recover
                if attempt == MAX_WORKER_FAILURE_RETRIES or not self._recovers_workers() \
                        or not self._worker_failure(err):
                    raise
                self._try_recover(err)

    def _recovers_workers(self) -> bool:
        return bool(self.config.get("ignore_worker_failures") or self.config.get("recreate_failed_workers"))

    def _worker_failure(self, err: BaseException) -> bool:
        """Whether ``err`` comes from a remote rollout worker (a Ray error, perhaps wrapped)."""
        if self.workers is None or not self.workers.remote_workers() or "ray" not in sys.modules:
            return False
        ray_error = sys.modules["ray"].exceptions.RayError
        seen = set()
        while err is not None and id(err) not in seen:  # the Ray error may be wrapped (ShardError, ...)
            seen.add(id(err))
            if isinstance(err, ray_error) or isinstance(getattr(err, "original", None), ray_error):
                return True
            err = err.__cause__ or err.__context__
        return False

    def _failed_worker_error(self, err: BaseException) -> Optional[BaseException]:
        """For a worker failure raised by the plan itself (e.g. an async plan's ``ShardError``): a
        ``WorkerFailure`` naming the actor's kind (rollout worker, or the plan's replay shard,
        aggregation actor, ...), its index, its host and both settings (None when the error
        already is one, or names none of the trainer's actors)."""
        if isinstance(err, WorkerFailure):
            return None
        return self.workers.failure_of(err)

    def _try_recover(self, err: BaseException) -> None:
        """Drops or recreates the failing remote workers and rebuilds the execution plan."""
        failure = self.workers.failure_of(err)
        logger.warning("%s: %s failed (%s: %s); health-checking the rollout workers", self._name,
                       f"{failure.kind} {failure.index}" if failure is not None else "a remote actor",
                       type(err).__name__, err)
        failed = self.workers.recover_failed_workers(err)
        logger.warning("%s: workers %s failed the check; %d remote workers left; rebuilding the execution plan",
                       self._name, failed, len(self.workers.remote_workers()))
        # what the old plan owns (a learner thread; what it keeps for the next plan stays, see
        # WorkerSet.plan_resources)
        self.train_exec_impl.shared_metrics.get().stop(rebuilding=True)
        metrics = self.train_exec_impl.shared_metrics.get().save()
        self.train_exec_impl = type(self)._execution_plan(self.workers, self.config)
        self.train_exec_impl.shared_metrics.get().restore(metrics)

    def train(self) -> Dict[str, Any]:
        """Tune's ``train()`` (one ``step`` with the counters and timing keys), then filter sync."""
        try:
            result = super().train()
            self._synchronize_filters()
        except Exception as err:
            if not self._recovers_workers() and self._worker_failure(err):
                named = self._failed_worker_error(err)
                if named is not None:
                    named.add_note(f"A remote {named.kind} of {self._name} failed ({named.kind} {named.index} on "
                                   f"{named.host}) with config['recreate_failed_workers'] and "
                                   "config['ignore_worker_failures'] both off.")
                    raise named from err
                if not isinstance(err, WorkerFailure):
                    err.add_note(_UNNAMED_FAILURE_NOTE)
            raise
        return result

    def _synchronize_filters(self) -> None:
        """The remote workers' observation filters merged into the local worker's (RLlib 1.x's
        ``_sync_filters_if_needed``). A worker that fails during it is dropped or recreated as in
        :meth:`step` when the config says so, and the sync retried (the others' buffers are kept)."""
        from rlcore.sampling.filter_manager import FilterManager

        def sync() -> None:
            if self.workers is not None and self.workers.remote_workers():
                FilterManager.synchronize(self.workers.local_worker().filters, self.workers.remote_workers(),
                                          update_remote=self.config["synchronize_filters"],
                                          timeout_seconds=self.config["collect_metrics_timeout"])

        self._recovering(sync)

    def log_result(self, result: Dict[str, Any]) -> None:
        """Runs ``callbacks.on_train_result`` (it may change ``result``), then the custom logger."""
        self.callbacks.on_train_result(trainer=self, result=result)
        on_result = getattr(self._result_logger, "on_result", None)
        if on_result is not None:
            on_result(result)

    def cleanup(self) -> None:
        """Stops the execution plan (its stop hooks: learner threads, aggregation actors), the rollout and
        evaluation workers, and closes the result logger (``stop()`` calls this)."""
        if self.train_exec_impl is not None:
            self.train_exec_impl.shared_metrics.get().stop()
        for ws in (self.workers, self.evaluation_workers):
            if ws is not None:
                ws.stop()
        close = getattr(self._result_logger, "close", None)
        if close is not None:
            close()

    # -- evaluation -----------------------------------------------------------------------------

    def evaluate(self) -> Dict[str, Any]:
        """Runs ``evaluation_num_episodes`` episodes with the current weights.

        Returns:
            ``{"evaluation": metrics}`` with the episode keys of the result dict.
        """
        if self.evaluation_workers is None:
            raise ValueError(f"{self._name}.evaluate() needs evaluation workers: set config['evaluation_interval'] "
                             "or config['evaluation_num_workers'] > 0")
        if self._before_evaluate_fn is not None:
            type(self)._before_evaluate_fn(self)
        self._sync_evaluation_weights()
        custom = self.config.get("custom_eval_function")
        if custom is not None:
            return {"evaluation": custom(self, self.evaluation_workers)}
        from rlcore.sampling.metrics import collect_episodes, summarize_episodes

        n = self.config["evaluation_num_episodes"]
        local, remotes = self.evaluation_workers.local_worker(), self.evaluation_workers.remote_workers()
        timeout = float(self.config["collect_metrics_timeout"])
        episodes: List[Any] = []
        while len(episodes) < n:
            if remotes:
                import ray

                ray.get([w.sample.remote() for w in remotes], timeout=timeout)
                episodes += collect_episodes(None, remotes, timeout_seconds=timeout)[0]
            else:
                local.sample()
                episodes += local.get_metrics()
        return {"evaluation": summarize_episodes(episodes)}

    _evaluate = evaluate

    def _sync_evaluation_weights(self) -> None:
        source = self.workers.local_worker()
        target = self.evaluation_workers.local_worker()
        target.set_weights(source.get_weights(), source.global_vars)
        target.sync_filters(source.get_filters())
        if self.evaluation_workers.remote_workers():
            import ray

            weights = ray.put(source.get_weights())
            filters = source.get_filters()
            ray.get([w.set_weights.remote(weights, dict(source.global_vars)) for w in self.evaluation_workers.remote_workers()]
                    + [w.sync_filters.remote(filters) for w in self.evaluation_workers.remote_workers()],
                    timeout=float(self.config["collect_metrics_timeout"]))

    # -- acting ---------------------------------------------------------------------------------

    def get_policy(self, policy_id: str = DEFAULT_POLICY_ID) -> Any:
        """The policy ``policy_id`` of the local worker."""
        return self.workers.local_worker().get_policy(policy_id)

    def compute_action(self, observation: Any, state: Optional[List[Any]] = None, prev_action: Any = None,
                       prev_reward: Any = None, info: Any = None, policy_id: str = DEFAULT_POLICY_ID,
                       full_fetch: bool = False, explore: Optional[bool] = None) -> Any:
        """One action for one raw observation (preprocessed and filtered as in sampling).

        Returns:
            The action; or ``(action, state_out, extra_fetches)`` when ``state`` is given or
            ``full_fetch`` is set.
        """
        worker = self.workers.local_worker()
        policy = worker.get_policy(policy_id)
        if policy is None:
            raise ValueError(f"policy_id={policy_id!r}: no such policy (have {sorted(worker.policy_map)})")
        obs = worker.preprocessors[policy_id].transform(observation)
        obs = worker.filters[policy_id](obs, update=False)
        result = policy.compute_single_action(obs, state or [], prev_action, prev_reward, info,
                                              clip_actions=self.config["clip_actions"], explore=explore)
        return result if (state or full_fetch) else result[0]

    compute_single_action = compute_action

    def compute_actions(self, observations: Dict[Any, Any], state: Optional[Dict[Any, Any]] = None,
                        prev_action: Optional[Dict[Any, Any]] = None, prev_reward: Optional[Dict[Any, Any]] = None,
                        info: Optional[Dict[Any, Any]] = None, policy_id: str = DEFAULT_POLICY_ID,
                        full_fetch: bool = False, explore: Optional[bool] = None) -> Any:
        """Actions for a dict of observations (one policy, one batched forward pass).

        Returns:
            ``{key: action}``; or ``(actions, states, infos)`` dicts when ``state`` is given or
            ``full_fetch`` is set.
        """
        if not isinstance(observations, dict):
            raise TypeError(f"observations: expected a dict {{agent_id: obs}}, got {type(observations).__name__}")
        worker = self.workers.local_worker()
        policy = worker.get_policy(policy_id)
        if policy is None:
            raise ValueError(f"policy_id={policy_id!r}: no such policy (have {sorted(worker.policy_map)})")
        keys = list(observations)
        obs = np.stack([worker.filters[policy_id](worker.preprocessors[policy_id].transform(observations[k]), update=False)
                        for k in keys])
        states = None
        if state:
            states = [np.stack(s) for s in zip(*(state[k] for k in keys))]
        prev_a = None if prev_action is None else np.stack([prev_action[k] for k in keys])
        prev_r = None if prev_reward is None else np.asarray([prev_reward[k] for k in keys], np.float32)
        actions, state_out, extra = policy.compute_actions(obs, states, prev_action_batch=prev_a,
                                                           prev_reward_batch=prev_r, explore=explore)
        from rlcore.policy.policy import clip_action

        out_actions = {}
        for i, k in enumerate(keys):
            a = _row(actions, i)
            out_actions[k] = clip_action(a, policy.action_space) if self.config["clip_actions"] else a
        if state or full_fetch:
            out_states = {k: [s[i] for s in state_out] for i, k in enumerate(keys)}
            out_infos = {k: {n: v[i] for n, v in extra.items()} for i, k in enumerate(keys)}
            return out_actions, out_states, out_infos
        return out_actions

    # -- weights, export ------------------------------------------------------------------------

    def get_weights(self, policies: Optional[List[str]] = None) -> Dict[str, Any]:
        """``{policy_id: weights}`` of the local worker."""
        return self.workers.local_worker().get_weights(policies)

    def set_weights(self, weights: Dict[str, Any]) -> None:
        """Sets the local worker's weights (remote workers get them at the next sync)."""
        self.workers.local_worker().set_weights(weights)

    def export_policy_model(self, export_dir: str, policy_id: str = DEFAULT_POLICY_ID, onnx: Optional[int] = None) -> None:
        """The policy's model in its framework's serving format (TorchScript ``model.pt`` /
        SavedModel); ``onnx`` (an opset, RLlib 1.x) is refused with a clear error: ONNX is not in the stack."""
        if onnx:
            self.get_policy(policy_id).export_model(export_dir, onnx=onnx)
            return
        self.workers.local_worker().export_policy_model(export_dir, policy_id)

    def export_policy_checkpoint(self, export_dir: str, filename_prefix: str = "model",
                                 policy_id: str = DEFAULT_POLICY_ID) -> str:
        """The policy's state as a msgpack file; returns its path."""
        return self.workers.local_worker().export_policy_checkpoint(export_dir, filename_prefix, policy_id)

    def import_policy_model_from_h5(self, import_file: str, policy_id: str = DEFAULT_POLICY_ID) -> None:
        """Loads Keras weights (``.weights.h5`` / ``.h5`` / ``.keras``) into a policy's model and
        syncs them to the remote workers (RLlib 1.x); see ``Policy.import_model_from_h5``."""
        self.get_policy(policy_id).import_model_from_h5(import_file)
        self.workers.sync_weights()

    def import_model(self, import_file: str) -> None:
        """Loads weights into the default policy from a Keras weights file (RLlib 1.x) or a policy
        checkpoint (``.msgpack``, from ``export_policy_checkpoint``), then syncs the workers.

        Raises:
            FileNotFoundError: the file does not exist.
            ValueError: a serving export (SavedModel, TorchScript) or an unknown file, naming it.
        """
        from rlcore.policy.model_import import import_into_policy

        import_into_policy(self.get_policy(), import_file)
        self.workers.sync_weights()

    def _export_model(self, export_formats: List[str], export_dir: str) -> Dict[str, str]:
        out = {}
        for fmt in export_formats:
            if fmt == "checkpoint":
                out[fmt] = self.export_policy_checkpoint(os.path.join(export_dir, fmt))
            elif fmt == "model":
                path = os.path.join(export_dir, fmt)
                self.export_policy_model(path)
                out[fmt] = path
            else:
                raise ValueError(f"export format {fmt!r}: expected 'checkpoint' or 'model'")
        return out

    # -- checkpoints ----------------------------------------------------------------------------

    def __getstate__(self) -> Dict[str, Any]:
        """The trainer's state as data: local worker bytes and the plan's metrics counters."""
        state: Dict[str, Any] = {"worker": self.workers.local_worker().save()}
        if self.train_exec_impl is not None:
            state["train_exec_impl"] = self.train_exec_impl.shared_metrics.get().save()
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.workers.local_worker().restore(state["worker"])
        if self.workers.remote_workers():
            import ray

            ref = ray.put(state["worker"])
            ray.get([w.restore.remote(ref) for w in self.workers.remote_workers()],
                    timeout=float(self.config.get("worker_timeout_s", 300)))
        if self.train_exec_impl is not None and state.get("train_exec_impl"):
            self.train_exec_impl.shared_metrics.get().restore(state["train_exec_impl"])

    def save_to_object(self) -> bytes:
        """The trainer's checkpoint as bytes (RLlib 1.x / Tune 1.x ``Trainable.save_to_object``).

        The bytes are the msgpack checkpoint :meth:`save_checkpoint` writes (no pickle); give
        them to :meth:`restore_from_object` of a trainer of the same class, here or in another
        process.
        """
        with tempfile.TemporaryDirectory(prefix="save_to_object") as tmp:
            self.save_checkpoint(tmp)
            with open(find_checkpoint_file(tmp), "rb") as f:
                return f.read()

    def restore_from_object(self, obj: bytes) -> None:
        """Restores what :meth:`save_to_object` returned (counters, weights, filters, plan metrics).

        Raises:
            TypeError: ``obj`` is not bytes.
            CheckpointError: corrupt bytes, or bytes of another trainer class (one line).
        """
        if not isinstance(obj, (bytes, bytearray, memoryview)):
            raise TypeError(f"restore_from_object(obj): expected the bytes save_to_object() returned, "
                            f"got {type(obj).__name__}")
        with tempfile.TemporaryDirectory(prefix="restore_from_object") as tmp:
            path = os.path.join(tmp, "checkpoint-0")
            with open(path, "wb") as f:
                f.write(bytes(obj))
            try:
                self.load_checkpoint(tmp)
            except CheckpointError as err:
                raise CheckpointError(str(err).replace(f"checkpoint {path!r}", "restore_from_object: the object")) from None

    def save_checkpoint(self, checkpoint_dir: str) -> str:
        """Writes ``<checkpoint_dir>/checkpoint-<iteration>`` (msgpack); returns ``checkpoint_dir``."""
        state = self.__getstate__()
        state.update(trainer=self._name, iteration=self._iteration, timesteps_total=self._timesteps_total,
                     episodes_total=self._episodes_total, time_total=self._time_total,
                     config=json_safe_config(self.config))
        write_checkpoint(checkpoint_dir, state)
        return checkpoint_dir

    def load_checkpoint(self, checkpoint: Any) -> None:
        """Restores what :meth:`save_checkpoint` wrote (a directory or the file in it)."""
        state = read_checkpoint(checkpoint)
        if state.get("trainer") not in (None, self._name):
            raise CheckpointError(f"checkpoint {state['path']!r} was written by {state['trainer']}, "
                                  f"not {self._name}")
        saved_framework = (state.get("config") or {}).get("framework")
        if saved_framework is not None and framework_family(saved_framework) != framework_family(
                self.config.get("framework")):
            raise CheckpointError(f"checkpoint {state['path']!r} holds {saved_framework!r} weights; this {self._name} "
                                  f"trainer runs framework={self.config.get('framework')!r} (restore it into a trainer "
                                  f"with framework={saved_framework!r})")
        self.__setstate__(state)
        self._iteration = int(state["iteration"])
        self._timesteps_total = state.get("timesteps_total")
        self._episodes_total = state.get("episodes_total")
        self._time_total = float(state.get("time_total") or 0.0)

    def restore(self, checkpoint_path: Any) -> None:
        """Restores from ``save()``'s result, a checkpoint directory, the ``checkpoint-<n>`` file, or
        a Tune ``Checkpoint`` (what ``ExperimentAnalysis.get_best_checkpoint`` returns today).

        Raises:
            CheckpointError: For a missing, corrupt or foreign checkpoint (one line).
        """
        path_of = getattr(checkpoint_path, "path", None)  # Tune's Checkpoint (get_best_checkpoint and friends)
        if isinstance(path_of, str) and not isinstance(checkpoint_path, (str, bytes)):
            checkpoint_path = path_of
        if isinstance(checkpoint_path, (str, os.PathLike)):
            path = os.fspath(checkpoint_path)
            if os.path.isfile(path):
                read_checkpoint(path)
                path = os.path.dirname(path) or "."
            elif not os.path.isdir(path):
                raise CheckpointError(f"checkpoint {path!r} does not exist")
            checkpoint_path = path
        with _quiet_outside_tune(getattr(self, "_storage", None)):
            super().restore(checkpoint_path)

    # -- class construction ---------------------------------------------------------------------

    @classmethod
    def with_updates(cls, **overrides: Any) -> Type["Trainer"]:
        """A new trainer class built with ``build_trainer``'s arguments of this one, updated."""
        kwargs = dict(cls._build_kwargs)
        kwargs.update(overrides)
        return build_trainer(**kwargs)

    _build_kwargs: Dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"{self._name}(env={self._env_id!r})" if hasattr(self, "_env_id") else self._name


def _row(actions: Any, i: int) -> Any:
    if isinstance(actions, dict):
        return {k: _row(v, i) for k, v in actions.items()}
    if isinstance(actions, (tuple, list)):
        return type(actions)(_row(v, i) for v in actions)
    a = actions[i]
    return a.item() if isinstance(a, np.generic) else a


def _quiet_outside_tune(storage: Any) -> Any:
    """Tune's console messages about actors and GPU monitoring, dropped when no Tune runs the trainer."""
    return quiet_tune_messages() if storage is None else contextlib.nullcontext()


def _resolve_env(env: Any) -> Callable:
    """``config["env"]`` as a creator: registered name, gymnasium id or class (close-match errors)."""
    from rlcore.env import make_env_creator

    if env is None:
        return lambda env_context: None
    return make_env_creator(env)


def _ensure_ray(config: Dict[str, Any]) -> None:
    """Starts or joins Ray (at ``config["ray_address"]``) unless it is already initialized."""
    import ray

    if ray.is_initialized():
        return
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    logger.info("starting Ray (address=%s)", config.get("ray_address"))
    ray.init(address=config.get("ray_address"), include_dashboard=False, log_to_driver=False,
             ignore_reinit_error=True)


def build_trainer(name: str, *, default_config: Optional[Dict[str, Any]] = None,
                  validate_config: Optional[Callable[[dict], None]] = None, default_policy: Any = None,
                  get_policy_class: Optional[Callable[[dict], Any]] = None,
                  validate_env: Optional[Callable[[Any, Any], None]] = None,
                  execution_plan: Callable = default_execution_plan,
                  before_init: Optional[Callable[[Trainer], None]] = None,
                  after_init: Optional[Callable[[Trainer], None]] = None,
                  before_evaluate_fn: Optional[Callable[[Trainer], None]] = None,
                  mixins: Optional[List[type]] = None, allow_unknown_configs: bool = False,
                  allow_unknown_subkeys: Optional[List[str]] = None,
                  override_all_subkeys_if_type_changes: Optional[List[str]] = None) -> Type[Trainer]:
    """Builds a :class:`Trainer` subclass from an algorithm's parts (RLlib 1.x ``build_trainer``).

    Args:
        name: The class name (also the ``_name`` in checkpoints and log dirs).
        default_config: The algorithm's defaults (usually ``with_common_config({...})``).
        validate_config: ``fn(config)`` run on the merged config; may change it.
        default_policy: The policy class.
        get_policy_class: ``fn(config) -> policy class or None`` (None: ``default_policy``).
        validate_env: ``fn(env, env_context)`` run on every env the local worker makes.
        execution_plan: ``fn(workers, config) -> LocalIterator[result dict]``.
        before_init, after_init: ``fn(trainer)`` around worker and plan creation.
        before_evaluate_fn: ``fn(trainer)`` before each evaluation.
        mixins: Classes placed ahead of :class:`Trainer` in the MRO.
        allow_unknown_configs: Accept top-level keys the defaults do not have.
        allow_unknown_subkeys: Sub-dicts that accept new keys (added to RLlib's list).
        override_all_subkeys_if_type_changes: Dicts replaced whole when their ``"type"`` changes.

    Returns:
        The new class, with ``with_updates(**overrides)`` to derive variants.

    Examples:
        >>> T = build_trainer("T", default_config=with_common_config({"lr": 0.5}))
        >>> T.__name__, T._default_config["lr"], T.with_updates(name="U").__name__
        ('T', 0.5, 'U')
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"build_trainer name={name!r}: expected a non-empty str")
    if not callable(execution_plan):
        raise TypeError(f"build_trainer execution_plan={execution_plan!r}: expected fn(workers, config)")
    kwargs = dict(name=name, default_config=default_config, validate_config=validate_config,
                  default_policy=default_policy, get_policy_class=get_policy_class, validate_env=validate_env,
                  execution_plan=execution_plan, before_init=before_init, after_init=after_init,
                  before_evaluate_fn=before_evaluate_fn, mixins=mixins, allow_unknown_configs=allow_unknown_configs,
                  allow_unknown_subkeys=allow_unknown_subkeys,
                  override_all_subkeys_if_type_changes=override_all_subkeys_if_type_changes)

    def _static(fn: Optional[Callable]) -> Any:
        return None if fn is None else staticmethod(fn)

    attrs = {
        "_name": name,
        "_default_config": default_config if default_config is not None else COMMON_CONFIG,
        "_allow_unknown_configs": allow_unknown_configs,
        "_allow_unknown_subkeys": list(ALLOW_UNKNOWN_SUBKEYS) + list(allow_unknown_subkeys or []),
        "_override_all_subkeys_if_type_changes": (list(OVERRIDE_ALL_SUBKEYS_IF_TYPE_CHANGES)
                                                  + list(override_all_subkeys_if_type_changes or [])),
        "_default_policy": default_policy,
        "_get_policy_class": _static(get_policy_class),
        "_validate_config_fn": _static(validate_config),
        "_validate_env": _static(validate_env),
        "_execution_plan": staticmethod(execution_plan),
        "_before_init": _static(before_init),
        "_after_init": _static(after_init),
        "_before_evaluate_fn": _static(before_evaluate_fn),
        "_build_kwargs": kwargs,
        "__module__": sys._getframe(1).f_globals.get("__name__", __name__),
        "__doc__": f"{name}: a Trainer built by build_trainer (see rlcore.trainer.Trainer).",
    }
    cls = type(name, tuple(mixins or []) + (Trainer,), attrs)
    cls.__qualname__ = name
    return cls


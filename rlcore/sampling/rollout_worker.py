"""RolloutWorker: owns envs, policies and a sampler; produces postprocessed sample batches.

RLlib 1.x's worker API on rlcore's vectorised sampler: ``sample()``, ``learn_on_batch()``,
``compute_gradients()``/``apply_gradients()``, ``get_weights()``/``set_weights()``,
``get_metrics()``, ``foreach_policy()``, ``foreach_env()``, ``set_global_vars()``,
``save()``/``restore()``. It is a :class:`~rlcore.dataflow.ParallelIteratorWorker` whose item
generator yields ``self.sample()`` forever, so ``from_actors(workers)`` reads it.

Single-agent envs go through :class:`~rlcore.sampling.sampler.VectorSampler` (all envs in one
batch); multi-agent envs through :class:`~rlcore.sampling.multi_agent_sampler.MultiAgentSampler`,
which also drives envs in RLlib 1.x's ``BaseEnv`` protocol (:class:`~rlcore.env.async_env.AsyncEnv`:
a user's own, or remote sub-envs polled as they finish, ``remote_worker_envs`` with
``remote_env_batch_wait_ms > 0`` or a multi-agent env). ``async_env`` is the worker's env in that
protocol, as 1.x's ``RolloutWorker.async_env``.
With ``sample_async=True`` both run in a background thread
(:class:`~rlcore.sampling.async_sampler.AsyncSampler`) that keeps up to 5 finished batches ahead
of ``sample()``; episode callbacks and postprocessing then run in that thread, ``on_sample_end``
in the caller's.

Callback order: ``on_episode_start`` before an episode's first action, ``on_episode_step`` after
each of its steps (the last included), ``on_episode_end`` right after its last step; then, when
``sample()`` assembles the batch, postprocessing and ``on_postprocess_trajectory`` per fragment
(:mod:`~rlcore.sampling.trajectory_postprocessor`: the policy's ``postprocess_trajectory`` with
the other agents' fragments and the episode, batched only where provably the same), and
``on_sample_end`` once. (RLlib 1.x postprocessed a finished episode just before
``on_episode_end``; rlcore postprocesses at assembly so that a whole sample's GAE is one kernel
call.)

Examples:
    >>> from rlcore.sampling.rollout_worker import RolloutWorker
    >>> from rlcore.policy.random_policy import RandomPolicy
    >>> w = RolloutWorker(env_creator=lambda ctx: __import__("gymnasium").make("CartPole-v1"),
    ...                   policy_spec=RandomPolicy, rollout_fragment_length=10, num_envs=2)
    >>> w.sample().count
    20
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

import numpy as np

from rlcore.data.columns import Columns
from rlcore.data.concat import concat_samples
from rlcore.data.multi_agent_batch import MultiAgentBatch
from rlcore.data.sample_batch import DEFAULT_POLICY_ID, SampleBatch
from rlcore.data.trajectory_views import model_views
from rlcore.dataflow.worker import ParallelIteratorWorker
from rlcore.sampling.callbacks import DefaultCallbacks
from rlcore.sampling.episode import DUMMY_AGENT_ID
from rlcore.sampling.sampler import _overridden_hooks
from rlcore.sampling.struct_actions import action_clipper
from rlcore.sampling.trajectory_postprocessor import FragmentBatch, postprocess_fragments
from rlcore.threads import apply_thread_config

logger = logging.getLogger(__name__)

_global_worker: Optional["RolloutWorker"] = None


#: Vector steps per sample from which the worker fills action_logp/action_prob per sample (below
#: it, e.g. rollout_fragment_length=1 for SAC/DDPG-style plans, they stay per step).
_MIN_STEPS_TO_DEFER_LOGP = 4


def get_global_worker() -> Optional["RolloutWorker"]:
    """The rollout worker of this process (RLlib's ``get_global_worker``)."""
    return _global_worker


class RolloutWorker(ParallelIteratorWorker):
    """Envs + policies + sampler (RLlib 1.x keyword arguments; see ``rllib_api.md`` §6.1).

    Args:
        env_creator: ``creator(EnvContext) -> env`` (gymnasium env, vector env, MultiAgentEnv).
        policy_spec: A ``Policy`` class, or a multi-agent dict ``{pid: (cls, obs_space,
            act_space, config)}`` (``cls`` None means ``default_policy_class``).
        policy_mapping_fn: ``agent_id -> policy_id`` (multi-agent).
        policies_to_train: Policy ids that ``learn_on_batch`` updates (default: all).
        rollout_fragment_length: Rows per env per fragment; ``sample()`` returns
            ``rollout_fragment_length * num_envs`` rows in ``truncate_episodes`` mode (the
            ``rollout_fragment_length`` attribute, as RLlib 1.x reports it), also when the env is
            a user's vector env of more sub-envs.
        batch_mode: ``"truncate_episodes"`` or ``"complete_episodes"``.
        episode_horizon: Truncate episodes after this many steps.
        num_envs: Envs stepped as one batch.
        observation_filter: ``"NoFilter"``, ``"MeanStdFilter"`` or a filter class.
        clip_rewards, clip_actions, soft_horizon, no_done_at_end: As in RLlib.
        normalize_actions: Map the policy's ``[-1, 1]`` actions onto a Box action space's bounds
            before the env gets them (RLlib 1.x; the rows keep the policy's actions).
        render_env: Render sub-env 0 after every step (``BaseEnv.try_render``; a MultiAgentEnv's
            ``render``).
        observation_fn: Multi-agent: ``fn(agent_obs=, worker=, base_env=, policies=, episode=)
            -> agent_obs``, applied to every observation dict before the policies see it (RLlib
            1.x's ``ObservationFunction``).
        env_config, model_config, policy_config: The env's, the model's and the full trainer
            config (policies are built with ``policy_config``).
        worker_index, num_workers: This worker's index (0 = local) and the number of remote ones.
        callbacks: A ``DefaultCallbacks`` instance (or class).
        seed: Seeds envs (``seed + worker_index * 1000 + i``) and frameworks.
        spaces: ``{pid: (obs_space, act_space)}`` so a worker can build policies without an env.
        output_creator: ``ioctx -> writer`` with ``write(batch)`` (the ``output`` config); it
            gets the worker's :class:`~rlcore.offline.IOContext` and writes every sampled batch.
        input_evaluation: Off-policy estimators run on each batch read from the input (``"is"``,
            ``"wis"``, an ``OffPolicyEstimator`` class), their estimates returned by
            ``get_metrics()``; ``"simulation"`` also samples the env each ``sample()`` (the batch
            dropped) for its episode metrics. Ignored when the worker samples its env.
        input_creator: ``ioctx -> InputReader`` (the ``input`` config when it is a callable):
            ``sample()`` then returns the reader's batches instead of sampling the env, which
            may be None (spaces from ``policy_config["observation_space"/"action_space"]``).
        log_dir: The trainer's log directory (given to the input creator's ``IOContext``).
    """

    def __init__(
        self,
        *,
        env_creator: Callable[[Any], Any],
        validate_env: Optional[Callable[[Any, Any], None]] = None,
        policy_spec: Any = None,
        policy: Any = None,
        policy_mapping_fn: Optional[Callable[[Any], str]] = None,
        policies_to_train: Optional[List[str]] = None,
        rollout_fragment_length: int = 100,
        count_steps_by: str = "env_steps",
        batch_mode: str = "truncate_episodes",
        episode_horizon: Optional[int] = None,
        preprocessor_pref: str = "deepmind",
        sample_async: bool = False,
        compress_observations: bool = False,
        num_envs: int = 1,
        observation_fn: Any = None,
        observation_filter: Any = "NoFilter",
        clip_rewards: Any = None,
        clip_actions: bool = True,
        normalize_actions: bool = False,
        render_env: bool = False,
        env_config: Optional[Mapping[str, Any]] = None,
        model_config: Optional[Mapping[str, Any]] = None,
        policy_config: Optional[Mapping[str, Any]] = None,
        worker_index: int = 0,
        num_workers: int = 0,
        callbacks: Any = None,
        remote_worker_envs: bool = False,
        remote_env_batch_wait_ms: Optional[float] = None,
        soft_horizon: bool = False,
        no_done_at_end: bool = False,
        seed: Optional[int] = None,
        spaces: Optional[Mapping[str, Tuple[Any, Any]]] = None,
        output_creator: Optional[Callable[[Any], Any]] = None,
        input_creator: Optional[Callable[[Any], Any]] = None,
        input_evaluation: Any = (),
        log_dir: Optional[str] = None,
        create_env: bool = True,
        **unused: Any,
    ):
        global _global_worker
        _global_worker = self
        self._sample_async = bool(sample_async)  # sampling in a background thread (AsyncSampler)
        self._async = None
        if count_steps_by not in ("env_steps", "agent_steps"):
            raise ValueError(f"count_steps_by must be 'env_steps' or 'agent_steps', got {count_steps_by!r}")
        self.policy_config = dict(policy_config or {})
        self.env_config = dict(env_config or {})
        self.model_config = dict(model_config or self.policy_config.get("model") or {})
        self.worker_index, self.num_workers = worker_index, num_workers
        # RLlib 1.x reports the fragment of the whole worker: rollout_fragment_length * num_envs
        self.fragment_length_per_env, self.batch_mode = rollout_fragment_length, batch_mode
        self.rollout_fragment_length = rollout_fragment_length * num_envs
        self.count_steps_by = count_steps_by
        self.num_envs = num_envs
        self.callbacks = _make_callbacks(callbacks)
        self._env_creator, self._validate_env = env_creator, validate_env
        self._horizon, self._soft_horizon, self._no_done_at_end = episode_horizon, soft_horizon, no_done_at_end
        self._clip_rewards, self._clip_actions = clip_rewards, clip_actions
        self._normalize_actions, self._render = bool(normalize_actions), bool(render_env)
        self._observation_fn = observation_fn
        self._remote_envs = remote_worker_envs
        if remote_env_batch_wait_ms is None:
            remote_env_batch_wait_ms = self.policy_config.get("remote_env_batch_wait_ms", 0)
        self._remote_env_batch_wait_ms = remote_env_batch_wait_ms
        self._async_env = None  # the 1.x-protocol view async_env gives of envs the samplers step themselves
        from rlcore.env.base_env_factory import check_vectorize_mode

        self._vectorize_mode = check_vectorize_mode(self.policy_config.get("gym_env_vectorize_mode", "sync"))
        self._seed = None if seed is None else int(seed) + 1000 * worker_index
        self._observation_filter = observation_filter
        self.global_vars: Dict[str, Any] = {"timestep": 0}
        if self._seed is not None:
            _seed_frameworks(self._seed, self.policy_config.get("framework"))
        apply_thread_config(self.policy_config, worker_index)  # torch/TF threads, before the policies exist

        from rlcore.env import EnvContext

        self.env_context = EnvContext(self.env_config, worker_index=worker_index, num_workers=num_workers,
                                      remote=remote_worker_envs)
        self.env = None
        if create_env or spaces is None:
            self.env = env_creator(self.env_context)
            if validate_env is not None:
                validate_env(self.env, self.env_context)
        self.env = _as_sampled_env(self.env)
        if remote_worker_envs and (self._remote_env_batch_wait_ms or _is_multi_agent(self.env, None)):
            self.env = self._remote_async_env()
        self.multiagent = _is_multi_agent(self.env, policy_spec or policy)
        if observation_fn is not None and not self.multiagent:
            raise ValueError("multiagent.observation_fn applies to MultiAgentEnvs in rlcore; for a single-agent env "
                             "wrap the env (gymnasium.ObservationWrapper) instead")
        self.policy_mapping_fn = policy_mapping_fn or (lambda agent_id: DEFAULT_POLICY_ID)
        self.policy_map, self.preprocessors, self.filters = self._build_policies(policy_spec or policy, spaces)
        #: Held while the filters are read and flushed or synced (``get_filters``, ``sync_filters``);
        #: another thread that adds to them (a policy server merging its clients' filter buffers)
        #: holds it too, so a flush never drops what it added between the copy and the clear.
        self.filters_lock = threading.RLock()
        self.policies_to_train = list(policies_to_train) if policies_to_train is not None else list(self.policy_map)
        self.sampler = None
        self._deferred_values = False  # vf_preds filled per sample (set with the sampler)
        self._fused_bootstrap = False  # ... with the fragments' bootstrap values in the same forward
        self._values_last = False  # per-step vf_preds moved to where per-sample ones go (set with the sampler)
        self._deferred_logp = False  # action_logp/action_prob filled per sample (set with the sampler)
        from rlcore.offline import IOContext

        self.io_context = IOContext(log_dir, self.policy_config, self.worker_index, self)
        self.output_writer = output_creator(self.io_context) if output_creator is not None else None
        self.input_reader = self._make_input_reader(input_creator, log_dir)
        self.reward_estimators: List[Any] = []
        self._simulate = False
        if self.input_reader is not None and input_evaluation:
            from rlcore.offline.estimators import make_estimators

            self.reward_estimators, self._simulate = make_estimators(input_evaluation, self.io_context)
        ParallelIteratorWorker.__init__(self, self._sample_forever, False)

    def _make_input_reader(self, input_creator: Optional[Callable[[Any], Any]], log_dir: Optional[str]) -> Any:
        """The ``input`` reader (RLlib 1.x's ``input_creator(IOContext)``), or None: the sampler.

        A creator may return None for a worker that reads nothing, as RLlib 1.x's serving example
        does for the local worker when remote workers run the policy servers; that worker then
        samples its env, if it has one (:meth:`sample` says so if it has none).
        """
        if input_creator is None:
            return None
        if not callable(input_creator):
            raise TypeError(f"input_creator={input_creator!r:.80}: expected a callable ioctx -> InputReader")
        from rlcore.offline import InputReader

        reader = input_creator(self.io_context)
        if reader is not None and not isinstance(reader, InputReader):
            raise TypeError(f"config key 'input': the input creator returned {reader!r:.80}; expected an "
                            "InputReader (a subclass of rlcore.offline.InputReader) or None")
        return reader

    # -- construction ---------------------------------------------------------------------------

    def _build_policies(self, spec: Any, spaces: Optional[Mapping[str, Tuple[Any, Any]]]):
        from rlcore.models.catalog import ModelCatalog
        from rlcore.sampling.filters import get_filter

        if spec is None:
            raise ValueError("RolloutWorker needs policy_spec: a Policy class or a multi-agent policies dict")
        if isinstance(spec, Mapping):
            entries = dict(spec)
        else:
            entries = {DEFAULT_POLICY_ID: (spec, None, None, {})}
        policy_map, preprocessors, filters = {}, {}, {}
        for pid, entry in entries.items():
            if not isinstance(entry, (tuple, list)) or len(entry) != 4:
                raise ValueError(f"policies[{pid!r}] must be (policy_cls, obs_space, act_space, config), got {entry!r}")
            cls, obs_space, act_space, overrides = entry
            cls = cls or self.policy_config.get("default_policy_class")
            if cls is None:
                raise ValueError(f"policies[{pid!r}] has no policy class and there is no default_policy_class")
            if obs_space is None or act_space is None:
                env_spaces = (getattr(self.env, "observation_space", None), getattr(self.env, "action_space", None))
                if spaces and pid in spaces:
                    obs_space, act_space = spaces[pid]
                elif self.env is not None and None not in env_spaces:
                    # a single-agent env, or a MultiAgentEnv that declares its agents' (shared) spaces
                    obs_space, act_space = env_spaces
                elif None not in (self.policy_config.get("observation_space"), self.policy_config.get("action_space")):
                    # no env (e.g. a policy server's input): the config's spaces, as RLlib 1.x
                    obs_space, act_space = self.policy_config["observation_space"], self.policy_config["action_space"]
                else:
                    raise ValueError(f"policies[{pid!r}]: observation/action spaces are needed "
                                     "(the env does not say which agent uses which space: give them in "
                                     "multiagent.policies, or set observation_space/action_space on the env)")
            config = {**self.policy_config, **dict(overrides or {}),
                      "worker_index": self.worker_index, "num_workers": self.num_workers}
            model_config = {**self.model_config, **dict(config.get("model") or {})}
            prep = ModelCatalog.get_preprocessor_for_space(obs_space, model_config)
            preprocessors[pid] = prep
            name = self._observation_filter
            if self._sample_async and name == "MeanStdFilter":
                name = "ConcurrentMeanStdFilter"  # updated by the sampling thread, read by sync_filters
            filters[pid] = get_filter(name, prep.shape)
            policy_map[pid] = cls(prep.observation_space, act_space, config)
        return policy_map, preprocessors, filters

    def _remote_async_env(self) -> Any:
        """Sub-envs in Ray actors polled as they finish (RLlib 1.x's ``RemoteVectorEnv``): for
        multi-agent envs, and single-agent ones with ``remote_env_batch_wait_ms > 0`` (at 0 a
        single-agent worker steps its remote sub-envs together, every step waiting for all)."""
        from rlcore.env import MultiAgentEnv
        from rlcore.env.async_env import RemoteAsyncEnv

        multiagent = isinstance(self.env, MultiAgentEnv)
        if self.env is not None and hasattr(self.env, "close"):
            self.env.close()  # the actors build their own
        creator, ctx = self._env_creator, self.env_context

        def make_env(i: int) -> Any:
            return creator(ctx.copy_with_overrides(vector_index=i, remote=True))

        return RemoteAsyncEnv(make_env, self.num_envs, multiagent=multiagent,
                              remote_env_batch_wait_ms=self._remote_env_batch_wait_ms, seed=self._seed,
                              env_name=getattr(creator, "env_name", None), worker_index=self.worker_index)

    @property
    def async_env(self) -> Any:
        """The worker's env in RLlib 1.x's ``BaseEnv`` protocol (``poll``/``send_actions``/
        ``try_reset``, ``get_sub_environments``).

        An :class:`~rlcore.env.async_env.AsyncEnv` the worker samples from is returned as is.
        Otherwise a view over the same sub-envs the sampler steps: polling it steps them too, so
        use it between ``sample()`` calls (``get_sub_environments``, ``try_render`` and ``stop``
        are what it is mostly for).
        """
        from rlcore.env.async_env import AsyncEnv, convert_to_base_env

        if isinstance(self.env, AsyncEnv):
            return self.env
        if self._async_env is None:
            if self.sampler is None:
                self.sampler = self._make_sampler()
            env = self.sampler.env
            if self.multiagent:
                subs = env.get_sub_environments()
                self._async_env = convert_to_base_env(subs[0], make_env=subs.__getitem__, num_envs=len(subs))
            else:
                self._async_env = convert_to_base_env(env)
        return self._async_env

    def _make_sampler(self):
        if self.env is None:
            self.env = _as_sampled_env(self._env_creator(self.env_context))
        eps_start = self.worker_index << 40
        if self.multiagent:
            from rlcore.sampling.multi_agent_sampler import MultiAgentSampler

            return MultiAgentSampler(self, eps_id_start=eps_start)
        from rlcore.sampling.sampler import VectorSampler

        pid = DEFAULT_POLICY_ID
        policy = self.policy_map[pid]
        prep, obs_filter = self.preprocessors[pid], self.filters[pid]
        initial_state = policy.get_initial_state() if policy.is_recurrent() else []
        model_vr = getattr(getattr(policy, "model", None), "view_requirements", None) or {}
        model_cfg = getattr(getattr(policy, "model", None), "model_config", None) or self.model_config
        use_prev = bool(model_cfg.get("lstm_use_prev_action") or model_cfg.get("lstm_use_prev_reward")
                        or _prev_view(model_vr, Columns.PREV_ACTIONS) or _prev_view(model_vr, Columns.PREV_REWARDS))
        views = model_views(policy)  # the model's other trajectory views (e.g. the last n observations)
        explore = self.policy_config.get("explore", True)
        # vf_preds for a whole sample in one value_batch call (see sample()) instead of a value pass
        # per step, unless a callback may read them per step (episode.last_pi_info_for()).
        deferrable = getattr(policy, "values_deferrable", None)
        # Not with one vector step a sample (rollout_fragment_length=1, as SAC/DDPG-style plans): the
        # value head on the acting forward gives the same values over the same rows, without the
        # second forward pass of a value_batch call.
        values_deferrable = (bool(deferrable is not None and deferrable()) and not _overridden_hooks(self.callbacks)
                             and not views)
        self._deferred_values = values_deferrable and self.fragment_length_per_env > 1
        # The fragments' bootstrap values in the same value forward as the rows' vf_preds, for a
        # batched GAE postprocessing that takes them (value_batch(obs) alone gives both: no
        # previous actions or rewards to hand the model).
        self._fused_bootstrap = (self._deferred_values and not use_prev
                                 and _takes_last_values(getattr(policy, "postprocess_fragments", None)))
        self._values_last = values_deferrable and not self._deferred_values  # per step, in the column order of per sample
        act_kwargs = {"fetch_vf_preds": False} if self._deferred_values else {}
        # action_logp/action_prob for a whole sample in one action_logp_batch call, likewise, when a
        # sample holds a few vector steps (that call costs about what 2-3 per-step logps do).
        logp_deferrable = getattr(policy, "logp_deferrable", None)
        self._deferred_logp = (explore is True and self.fragment_length_per_env >= _MIN_STEPS_TO_DEFER_LOGP
                               and bool(logp_deferrable is not None and logp_deferrable())
                               and not _overridden_hooks(self.callbacks))
        if self._deferred_logp:
            act_kwargs["fetch_logp"] = False
        # Both deferred, no previous actions/rewards: the policy's one-frame acting function, if it has one.
        get_actor = getattr(policy, "sampling_actor", None)
        actor = (get_actor() if get_actor is not None and self._deferred_values and self._deferred_logp
                 and not use_prev else None)

        def act_with_actor(obs, state_batches, prev_actions, prev_rewards, views=None):
            actions, extras = actor(obs, self.global_vars.get("timestep"))
            return actions, [], extras

        def act(obs, state_batches, prev_actions, prev_rewards, views=None):
            actions, state_out, extras = policy.compute_actions(
                obs, state_batches=state_batches or None, prev_action_batch=prev_actions,
                prev_reward_batch=prev_rewards, explore=explore, timestep=self.global_vars.get("timestep"),
                **({"input_views": views, **act_kwargs} if views else act_kwargs))
            n = len(obs)
            for v in extras.values():  # per-row arrays only (the usual case: keep the dict as it is)
                if not (type(v) is np.ndarray and v.ndim >= 1 and len(v) == n):
                    extras = {k: v for k, v in extras.items()
                              if isinstance(v, np.ndarray) and v.ndim >= 1 and len(v) == n}
                    break
            return actions, list(state_out) if state_out else [], extras

        def transform(raw):
            return obs_filter(prep.transform_batch(raw))

        # A Box space's NoPreprocessor and a NoFilter only convert to an array: the sampler's own
        # np.asarray (two Python calls less per vector step).
        from rlcore.models.preprocessors import NoPreprocessor
        from rlcore.sampling.filters import NoFilter

        if type(prep) is NoPreprocessor and type(obs_filter) is NoFilter and "transform_batch" not in vars(prep):
            transform = None

        env = self.env
        from rlcore.env import BaseEnv, make_base_env

        if not isinstance(env, BaseEnv):
            creator = self._env_creator
            if self._vectorize_mode != "sync" or self._remote_envs:
                env.close()  # the factory builds gymnasium's vectorized env (or remote envs) instead
            else:  # reuse the env already built (for its spaces) as sub-env 0
                creator = lambda ctx, _e=[env]: _e.pop() if _e else self._env_creator(ctx)  # noqa: E731
            env = make_base_env(creator, self.env_context, self.num_envs, seed=self._seed,
                                remote_envs=self._remote_envs, vectorize_mode=self._vectorize_mode)
        return VectorSampler(
            env, act=act if actor is None else act_with_actor, num_envs=self.num_envs,
            rollout_fragment_length=self.fragment_length_per_env,
            sample_rows=self.rollout_fragment_length, render=self._render, views=views,
            batch_mode=self.batch_mode, seed=self._seed, initial_state=initial_state, use_prev_actions_rewards=use_prev,
            obs_transform=transform,
            action_transform=action_clipper(policy.action_space, self._normalize_actions, self._clip_actions),
            clip_rewards=self._clip_rewards, horizon=self._horizon, soft_horizon=self._soft_horizon,
            no_done_at_end=self._no_done_at_end, callbacks=self.callbacks, worker=self, policies=self.policy_map,
            eps_id_start=eps_start, worker_index=self.worker_index, num_workers=self.num_workers,
            collector_class=self.policy_config.get("sample_collector"))

    # -- sampling -------------------------------------------------------------------------------

    def _sample_forever(self):
        while True:
            yield self.sample()

    def sample(self) -> SampleBatch | MultiAgentBatch:
        """Collects ``rollout_fragment_length * num_envs`` rows (truncate mode) and postprocesses them;
        with an input reader, returns what it reads instead (:meth:`_read_input`)."""
        batch = self._read_input() if self.input_reader is not None else self.sample_env()
        self.callbacks.on_sample_end(worker=self, samples=batch)
        if self.output_writer is not None:
            self.output_writer.write(batch)
        if self.input_reader is not None:
            for estimator in self.reward_estimators:
                estimator.process(batch)
            if self._simulate:
                self.sample_env()  # "simulation": only the episode metrics of the env are kept
        return batch

    def sample_env(self) -> SampleBatch | MultiAgentBatch:
        """One postprocessed batch sampled from the worker's envs, whatever its input (the
        ``"sampler"`` source of an input mix, ``ioctx.default_sampler_input()``)."""
        if self.sampler is None:
            if self.env is None:
                raise RuntimeError(f"rollout worker {self.worker_index} has nothing to sample: its env creator "
                                   "returned None (config key 'env') and it has no input reader (config key "
                                   "'input', or the input creator returned None for this worker)")
            self.sampler = self._make_sampler()
        if self._sample_async and self._async is None:
            from rlcore.sampling.async_sampler import AsyncSampler

            self._async = AsyncSampler(lambda: (self._next_batch(), self.sampler.get_metrics()),
                                       name=f"rlcore-async-sampler-{self.worker_index}")
        return self._async.next() if self._async is not None else self._next_batch()

    def _read_input(self) -> SampleBatch | MultiAgentBatch:
        """Batches of the input reader, as RLlib 1.x reads them: ``next()`` until the steps reach
        ``rollout_fragment_length``, at most ``num_envs`` batches in ``truncate_episodes`` mode.
        The reader's batches are returned as read (a policy server's clients postprocessed them)."""
        def steps(b: Any) -> int:
            return b.count if self.count_steps_by == "env_steps" or not isinstance(b, MultiAgentBatch) \
                else b.agent_steps()

        batches = [self.input_reader.next()]
        total = steps(batches[0])
        limit = self.num_envs if self.batch_mode == "truncate_episodes" else float("inf")
        while total < self.rollout_fragment_length and len(batches) < limit:
            batches.append(self.input_reader.next())
            total += steps(batches[-1])
        batches = [b for b in batches if b.count > 0] or batches[:1]
        return batches[0] if len(batches) == 1 else concat_samples(batches)

    def _next_batch(self) -> SampleBatch | MultiAgentBatch:
        """One sampled and postprocessed batch (in the sampling thread with ``sample_async``)."""
        if self.multiagent:
            samples, episodes, env_steps = self.sampler.sample_fragments()
        else:
            raw, seg_lens = self.sampler.sample_with_segments()
            if self._deferred_logp:
                raw = _with_logp(raw, self.policy_map[DEFAULT_POLICY_ID])
            last_values = None
            if self._fused_bootstrap:  # one forward: the rows' obs, then each fragment's final new_obs
                obs = raw[Columns.OBS]
                ends = seg_lens.cumsum() - 1
                values = self.policy_map[DEFAULT_POLICY_ID].value_batch(
                    np.concatenate([obs, np.asarray(raw[Columns.NEXT_OBS])[ends]]))
                raw[Columns.VF_PREDS], last_values = values[:len(obs)], values[len(obs):]
            elif self._deferred_values:  # the values of the weights that acted, before any update
                raw[Columns.VF_PREDS] = self.policy_map[DEFAULT_POLICY_ID].value_batch(raw[Columns.OBS])
            elif self._values_last and Columns.VF_PREDS in raw:
                raw[Columns.VF_PREDS] = raw.pop(Columns.VF_PREDS)
            episodes = self.sampler.episode_map(raw, seg_lens)  # Episodes made only if postprocessing reads them
            samples = {DEFAULT_POLICY_ID: FragmentBatch(raw, seg_lens, [DUMMY_AGENT_ID] * len(seg_lens), last_values)}
        batches = postprocess_fragments(samples, self.policy_map, episodes, self.callbacks, self)
        made = episodes.values() if self.multiagent else episodes.made()  # an unmade one has no extra batches
        extra = [b for ep in made if getattr(ep, "_extra_batches", None) for b in _drain_extra(ep)]
        if self.multiagent:
            from rlcore.env.async_env import AsyncEnv

            single = batches.get(DEFAULT_POLICY_ID) if len(batches) == 1 else None
            if isinstance(self.env, AsyncEnv) and single is not None and single.count == env_steps:
                batch = single  # one agent per env step (1.x's wrap_as_needed for its BaseEnvs): a SampleBatch
            elif isinstance(self.env, AsyncEnv) and not batches and list(self.policy_map) == [DEFAULT_POLICY_ID]:
                batch = SampleBatch({})  # nothing to train on (e.g. external episodes with training_enabled=False)
            else:
                batch = MultiAgentBatch(batches, env_steps)
        else:
            batch = batches[DEFAULT_POLICY_ID]
        return concat_samples([batch, *extra]) if extra else batch

    def sample_with_count(self) -> Tuple[Any, int]:
        batch = self.sample()
        return batch, batch.count

    def get_metrics(self) -> list:
        """Metrics of the episodes finished since the last call (drained); with ``sample_async``,
        those of the batches :meth:`sample` has returned."""
        if self._async is not None and self.input_reader is None:
            return self._async.get_metrics()
        if self.input_reader is not None:
            estimates = [e for est in self.reward_estimators for e in est.get_metrics()]
            simulated = self._env_metrics() if self._simulate else []
            return self.input_reader.get_metrics() + simulated + estimates
        return self._env_metrics()

    def _env_metrics(self) -> list:
        """The episode metrics of the worker's own env sampling (drained)."""
        if self._async is not None:
            return self._async.get_metrics()
        return self.sampler.get_metrics() if self.sampler is not None else []

    # -- learning -------------------------------------------------------------------------------

    def _per_policy(self, samples: Any) -> Dict[str, SampleBatch]:
        if isinstance(samples, MultiAgentBatch):
            return dict(samples.policy_batches)
        return {DEFAULT_POLICY_ID: samples}

    def learn_on_batch(self, samples: Any) -> Dict[str, Any]:
        """Updates every trainable policy on its part of ``samples``; returns ``{pid: stats}``."""
        info = {}
        for pid, batch in self._per_policy(samples).items():
            if pid not in self.policies_to_train:
                continue
            policy = self.policy_map[pid]
            custom: Dict[str, Any] = {}
            hooked = DefaultCallbacks.overrides(self.callbacks, "on_learn_on_batch")
            if hooked:  # RLlib 1.x: before the update; the batch may be edited, ``result`` is custom stats
                self.callbacks.on_learn_on_batch(policy=policy, train_batch=batch, result=custom)
            info[pid] = policy.learn_on_batch(batch)
            if hooked:
                info[pid] = dict(info[pid], custom_metrics=custom)
        return info

    def compute_gradients(self, samples: Any) -> Tuple[Any, Dict[str, Any]]:
        """``(grads, info)``; per policy id for multi-agent batches."""
        if not isinstance(samples, MultiAgentBatch):
            return self.policy_map[DEFAULT_POLICY_ID].compute_gradients(samples)
        grads, info = {}, {}
        for pid, batch in samples.policy_batches.items():
            if pid in self.policies_to_train:
                grads[pid], info[pid] = self.policy_map[pid].compute_gradients(batch)
        return grads, info

    def apply_gradients(self, grads: Any) -> None:
        if isinstance(grads, dict) and grads and all(k in self.policy_map for k in grads):
            for pid, g in grads.items():
                self.policy_map[pid].apply_gradients(g)
        else:
            self.policy_map[DEFAULT_POLICY_ID].apply_gradients(grads)

    # -- weights, state, policies, envs ---------------------------------------------------------

    def get_weights(self, policies: Optional[List[str]] = None) -> Dict[str, Any]:
        return {pid: p.get_weights() for pid, p in self.policy_map.items() if policies is None or pid in policies}

    def set_weights(self, weights: Mapping[str, Any], global_vars: Optional[Mapping[str, Any]] = None) -> None:
        for pid, w in weights.items():
            if pid not in self.policy_map:
                raise KeyError(f"no policy {pid!r} on this worker (it has {sorted(self.policy_map)})")
            self.policy_map[pid].set_weights(w)
        if global_vars:
            self.set_global_vars(global_vars)

    def set_global_vars(self, global_vars: Mapping[str, Any]) -> None:
        self.global_vars.update(global_vars)
        for policy in self.policy_map.values():
            policy.on_global_var_update(dict(global_vars))

    def get_policy(self, policy_id: str = DEFAULT_POLICY_ID) -> Any:
        return self.policy_map.get(policy_id)

    def for_policy(self, func: Callable, policy_id: str = DEFAULT_POLICY_ID, **kwargs: Any) -> Any:
        return func(self.policy_map[policy_id], **kwargs)

    def foreach_policy(self, func: Callable, **kwargs: Any) -> list:
        return [func(policy, pid, **kwargs) for pid, policy in self.policy_map.items()]

    def foreach_trainable_policy(self, func: Callable, **kwargs: Any) -> list:
        # RLlib 1.x: the policy map's order, the policies in policies_to_train only.
        return [func(policy, pid, **kwargs) for pid, policy in self.policy_map.items() if pid in self.policies_to_train]

    def _sub_envs(self) -> list:
        if self.sampler is not None:
            return list(self.sampler.env.get_sub_environments())
        return [] if self.env is None else [self.env]

    def foreach_env(self, func: Callable) -> list:
        return [func(env) for env in self._sub_envs()]

    def foreach_env_with_context(self, func: Callable) -> list:
        return [func(env, self.env_context.copy_with_overrides(vector_index=i)) for i, env in enumerate(self._sub_envs())]

    def get_filters(self, flush_after: bool = False) -> Dict[str, Any]:
        with self.filters_lock:
            out = {pid: f.copy() for pid, f in self.filters.items()}
            if flush_after:
                for f in self.filters.values():
                    f.clear_buffer()
        return out

    def sync_filters(self, new_filters: Mapping[str, Any]) -> None:
        with self.filters_lock:
            for pid, f in new_filters.items():
                self.filters[pid].sync(f)

    def save(self) -> bytes:
        """Filters and policy states as msgpack bytes (no pickle)."""
        from rlcore.policy.policy_state import packb

        return packb({
            "filters": {pid: f.get_state() for pid, f in self.filters.items()},
            "state": {pid: p.get_state() for pid, p in self.policy_map.items()},
        })

    def restore(self, data: bytes) -> None:
        from rlcore.policy.policy_state import unpackb

        objs = unpackb(data)
        for pid, state in objs["state"].items():
            self.policy_map[pid].set_state(state)
        for pid, fstate in objs["filters"].items():
            self.filters[pid].set_state(fstate)

    def export_policy_model(self, export_dir: str, policy_id: str = DEFAULT_POLICY_ID) -> None:
        self.policy_map[policy_id].export_model(export_dir)

    def export_policy_checkpoint(self, export_dir: str, filename_prefix: str = "model", policy_id: str = DEFAULT_POLICY_ID):
        return self.policy_map[policy_id].export_checkpoint(export_dir, filename_prefix)

    def apply(self, func: Callable, *args: Any) -> Any:
        return func(self, *args)

    def get_spaces(self) -> Dict[str, Tuple[Any, Any]]:
        """``{pid: (obs_space, act_space)}`` as the env gives them (before preprocessing)."""
        out = {}
        for pid, policy in self.policy_map.items():
            out[pid] = (self.preprocessors[pid].original_space if hasattr(self.preprocessors[pid], "original_space")
                        else policy.observation_space, policy.action_space)
        return out

    def stop(self) -> None:
        if self.input_reader is not None:
            self.input_reader.stop()
        if self.output_writer is not None and hasattr(self.output_writer, "close"):
            self.output_writer.close()
        if self._async is not None:
            self._async.stop()
        if self.sampler is not None:
            self.sampler.close()
        elif self.env is not None and hasattr(self.env, "close"):
            self.env.close()

    @classmethod
    def as_remote(cls, num_cpus: Optional[float] = None, num_gpus: Optional[float] = None, memory: Optional[int] = None,
                  resources: Optional[dict] = None, **options: Any):
        """This class as a Ray actor class (``ray`` is imported here, not before).

        Only the resources given are requested: with none, the actor takes Ray's defaults (one
        CPU to be scheduled, none held while it runs), as RLlib 1.x's ``as_remote()`` did, so
        several workers fit on a one-CPU cluster. ``WorkerSet`` asks for ``num_cpus_per_worker``.
        """
        import ray

        given = {k: v for k, v in (("num_cpus", num_cpus), ("num_gpus", num_gpus), ("memory", memory),
                                   ("resources", resources)) if v is not None}
        kwargs = {**given, **options}
        return ray.remote(**kwargs)(cls) if kwargs else ray.remote(cls)


# -- helpers ------------------------------------------------------------------------------------


def _is_multi_agent(env: Any, spec: Any) -> bool:
    """Whether the multi-agent sampler drives ``env``: a MultiAgentEnv, or an env in RLlib 1.x's
    BaseEnv protocol (agents keyed by id)."""
    from rlcore.env import MultiAgentEnv
    from rlcore.env.async_env import AsyncEnv

    if env is not None:
        return isinstance(env, (MultiAgentEnv, AsyncEnv))
    return isinstance(spec, Mapping) and set(spec) != {DEFAULT_POLICY_ID}


def _as_sampled_env(env: Any) -> Any:
    """An ``ExternalEnv`` as the BaseEnv-protocol env the multi-agent sampler polls (its thread
    started); any other env as is."""
    from rlcore.env.external_env import ExternalEnv

    return env.to_base_env() if isinstance(env, ExternalEnv) else env


def _prev_view(view_requirements: Mapping[str, Any], name: str) -> bool:
    """Whether a model asks for ``prev_actions``/``prev_rewards`` as the sampler feeds them
    natively: the previous step's value (shift -1), when computing actions."""
    vr = view_requirements.get(name)
    return bool(vr is not None and getattr(vr, "used_for_compute_actions", False)
                and isinstance(vr.shift, (int, np.integer)) and vr.shift == -1)


def _make_callbacks(callbacks: Any) -> Any:
    from rlcore.sampling.callbacks import make_callbacks

    return make_callbacks(callbacks)


def _drain_extra(episode: Any) -> list:
    extra = getattr(episode, "_extra_batches", [])
    episode._extra_batches = []
    return extra


def _seed_frameworks(seed: int, framework: Optional[str]) -> None:
    """Seeds Python's and numpy's global RNGs, and the global RNGs of the config's framework (imported
    here: its policies would import it a moment later, and their first draws must be seeded) and of
    any other framework already imported."""
    import importlib
    import random
    import sys

    random.seed(seed)
    np.random.seed(seed % (2**32))
    if framework == "torch" or "torch" in sys.modules:
        importlib.import_module("torch").manual_seed(seed)
    if framework in ("tf", "tf2", "tfe") or "tensorflow" in sys.modules:
        importlib.import_module("tensorflow").random.set_seed(seed)


def _takes_last_values(postprocess_fragments: Any) -> bool:
    """Whether a policy's ``postprocess_fragments`` takes the fragments' bootstrap values
    (``last_values``, as :class:`~rlcore.algorithms.value_network.ValueNetworkMixin`'s does)."""
    if postprocess_fragments is None:
        return False
    from rlcore.policy.utils import accepted_kwargs

    names = accepted_kwargs(postprocess_fragments)
    return names is not None and "last_values" in names


def _with_logp(raw: SampleBatch, policy: Any) -> SampleBatch:
    """``raw`` with the ``action_prob`` and ``action_logp`` columns its policy deferred from the
    sampling steps (``TorchPolicy.logp_deferrable``), placed after ``action_dist_inputs`` as the
    per-step extras are."""
    logp = policy.action_logp_batch(raw[Columns.ACTION_DIST_INPUTS], raw[Columns.ACTIONS])
    columns = {}
    for key, value in raw.items():
        columns[key] = value
        if key == Columns.ACTION_DIST_INPUTS:
            columns[Columns.ACTION_PROB] = np.exp(logp)
            columns[Columns.ACTION_LOGP] = logp
    return SampleBatch(columns, _dont_check_lens=True)

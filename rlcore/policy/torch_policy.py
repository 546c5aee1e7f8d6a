"""TorchPolicy: a Policy whose model is a ``TorchModelV2`` and whose loss is a torch function.

``compute_actions`` runs the model under ``torch.inference_mode()``, builds the action distribution and
lets the exploration pick actions; ``learn_on_batch`` pads recurrent batches into sequences,
calls ``loss(policy, model, dist_class, train_batch)`` and does one optimizer step on the whole
batch (``lr`` and ``grad_clip`` from the config). Gradients and weights cross process
boundaries as numpy. Thread counts come from :mod:`rlcore.threads` (each rollout worker sets them
from the config).

A model whose RNN state entries are nested (dicts, tuples, lists of arrays) gets them nested, while
the policy's state (``get_initial_state``, ``compute_actions``, the ``state_in_<k>`` columns) is
their flat leaves: see :mod:`rlcore.models.state_structure` (RLlib 1.x kept one nested column per
entry). Flat state skips that entirely.

Also holds RLlib's schedule mixins ``LearningRateSchedule`` and ``EntropyCoeffSchedule``.

Examples:
    >>> TorchPolicy.__mro__[1].__name__
    'Policy'
"""

from __future__ import annotations

import os
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from rlcore import _backend
from rlcore.data.columns import Columns
from rlcore.models.state_structure import StateStructure
from rlcore.policy.policy import LEARNER_STATS_KEY, Policy, known_postprocessing
from rlcore.policy.rnn_sequencing import pad_batch_to_sequences_of_same_size
from rlcore.policy.schedule_mixins import EntropyCoeffSchedule, LearningRateSchedule
from rlcore.policy.train_batch import TrainBatch, convert_columns
from rlcore.policy.utils import accepted_kwargs, call_with_accepted_kwargs, force_list
from rlcore.policy.utils import to_numpy as _to_numpy, to_python_stats as _to_python_stats

__all__ = ["TorchPolicy", "LearningRateSchedule", "EntropyCoeffSchedule"]


#: The attribute marking an ``optimizer`` method, or a template ``optimizer_fn``, that only makes
#: rlcore's default Adam (no user code): such optimizers are built on first use. (An attribute,
#: not a registry: a template-made class reaches a Ray worker pickled by value.)
DEFAULT_OPTIMIZER = "_rlcore_default_optimizer"


class TorchPolicy(Policy):
    """Template for a torch policy; usually built with ``build_torch_policy``.

    Args:
        observation_space: the (preprocessed) observation space.
        action_space: the action space.
        config: the policy config (``lr``, ``grad_clip``, ``explore``, ``exploration_config``, ``model``).
        model: a ``TorchModelV2`` (a ``torch.nn.Module``).
        loss: ``loss(policy, model, dist_class, train_batch) -> loss tensor or list of them``
            (one per optimizer); ``None`` for an inference-only policy.
        action_distribution_class: the action distribution class for the model's outputs.
        action_sampler_fn: optional ``(policy, model, obs_batch, state_batches, explore=, timestep=)
            -> (actions, logp[, state_out])`` replacing the distribution path.
        action_distribution_fn: optional ``(policy, model, obs_batch, state_batches=, seq_lens=,
            prev_action_batch=, prev_reward_batch=, explore=, timestep=, is_training=)
            -> (dist_inputs, dist_class, state_out)``.
        max_seq_len: RNN sequence length for training.
        get_batch_divisibility_req: optional ``(policy) -> int``.
    """

    def __init__(
        self,
        observation_space: Any,
        action_space: Any,
        config: Dict[str, Any],
        *,
        model: Any,
        loss: Optional[Callable] = None,
        action_distribution_class: Any = None,
        action_sampler_fn: Optional[Callable] = None,
        action_distribution_fn: Optional[Callable] = None,
        max_seq_len: int = 20,
        get_batch_divisibility_req: Optional[Callable] = None,
    ):
        import torch

        config = dict(config)
        config["framework"] = "torch"
        super().__init__(observation_space, action_space, config)
        self.device = torch.device("cpu")
        self.model = model
        # None for flat state (every entry one array): then no flattening happens anywhere.
        self._state_struct: Optional[StateStructure] = StateStructure.of(model.get_initial_state())
        self._loss = loss
        self.dist_class = action_distribution_class
        self.action_sampler_fn = action_sampler_fn
        self.action_distribution_fn = action_distribution_fn
        self.max_seq_len = int(max_seq_len)
        self.batch_divisibility_req = int(get_batch_divisibility_req(self)) if callable(get_batch_divisibility_req) \
            else int(get_batch_divisibility_req or 1)
        self._lock = threading.RLock()
        self._has_value_function: Optional[bool] = None
        self.exploration = self._create_exploration()
        # rlcore's default Adam is made when first needed (a learning step, its state): a rollout
        # worker that only samples never holds one. A user's optimizer (optimizer_fn, an
        # override) is made now, as in RLlib 1.x (torch.optim's first optimizer of a process
        # imports torch._dynamo, ~0.9 s; rlcore's Adam does not: rlcore.policy.torch_optim).
        self.__dict__["_built_optimizers"] = None
        if not getattr(type(self).optimizer, DEFAULT_OPTIMIZER, False):
            self._optimizers  # noqa: B018 - builds them
        if getattr(model, "view_requirements", None):
            self.view_requirements.update(model.view_requirements)
        self._update_state_view_requirements(self.max_seq_len)

    @property
    def _optimizers(self) -> List[Any]:  # noqa: D401
        """The policy's optimizers (built on first use, then with the current ``cur_lr``)."""
        opts = self.__dict__.get("_built_optimizers")
        if opts is None:
            opts = force_list(self.optimizer()) if self._loss is not None else []
            opts = self.exploration.get_exploration_optimizer(opts)
            self.__dict__["_built_optimizers"] = opts
            lr = self.__dict__.get("cur_lr")
            if lr is not None and lr != self.config.get("lr") and hasattr(self, "_set_optimizer_lr"):
                self._set_optimizer_lr(lr)  # a learning-rate schedule moved before the first step
        return opts

    @_optimizers.setter
    def _optimizers(self, optimizers: List[Any]) -> None:
        self.__dict__["_built_optimizers"] = list(optimizers)

    def _optimizer_count(self) -> int:
        """How many optimizers the policy has, without building the default Adam when the count
        is known (one, and an exploration that adds none)."""
        from rlcore.policy.exploration import Exploration

        built = self.__dict__.get("_built_optimizers")
        if built is None and type(self.exploration).get_exploration_optimizer is Exploration.get_exploration_optimizer:
            return 1 if self._loss is not None else 0
        return len(self._optimizers)

    # -- overridable hooks (the templates plug functions in here) --------------------------------
    def optimizer(self) -> Any:
        """The optimizer(s): ``torch.optim.Adam`` with ``config["lr"]`` by default (fused where torch
        can: :func:`rlcore.policy.torch_optim.adam`)."""
        from rlcore.policy.torch_optim import adam

        return adam(self.model.parameters(), lr=self.config.get("lr", 5e-5))

    setattr(optimizer, DEFAULT_OPTIMIZER, True)

    def values_deferrable(self) -> bool:
        """Whether a sampler may leave ``vf_preds`` out of its per-step ``compute_actions`` calls
        (``fetch_vf_preds=False``) and fill the column for a whole sample with one
        ``value_batch(obs)`` call instead: one forward pass over thousands of rows in place of a
        value-branch pass per vector step. The values are the same (the weights do not change
        while sampling), up to float rounding of the batched matmul.

        True for a non-recurrent policy with ``value_batch`` (``ValueNetworkMixin``) whose only
        per-step extra is the default ``vf_preds``: no ``action_sampler_fn``,
        ``action_distribution_fn``, ``extra_action_out`` or ``compute_actions`` of its own.

        Examples:
            >>> import gymnasium as gym
            >>> from rlcore.algorithms.pg import PGTorchPolicy
            >>> PGTorchPolicy(gym.spaces.Box(-1, 1, (2,)), gym.spaces.Discrete(2), {}).values_deferrable()
            False
        """
        return (self.action_sampler_fn is None and self.action_distribution_fn is None and not self.is_recurrent()
                and callable(getattr(self, "value_batch", None)) and self._extras_are_default()
                and type(self).compute_actions is TorchPolicy.compute_actions and self._has_value_function is not False)

    def logp_deferrable(self) -> bool:
        """Whether a sampler exploring with ``explore=True`` may leave ``action_logp`` and
        ``action_prob`` out of its per-step ``compute_actions`` calls (``fetch_logp=False``) and
        fill both columns for a whole sample with one :meth:`action_logp_batch` call over the
        stored ``action_dist_inputs`` and ``actions``: the log-softmax, gather and conversions then
        run once per sample instead of once per vector step. The values are the distribution's
        ``logp`` of the sampled actions either way (up to float rounding of batched kernels); the
        draw, and so the RNG stream, is the same.

        True when the action comes from the model's distribution (no ``action_sampler_fn`` or
        ``action_distribution_fn``), the exploration is exactly ``StochasticSampling`` with no
        random warm-up (its logp is then the sample's), the distribution's
        ``sampled_action_logp`` is the ``logp`` of the sample, and ``compute_actions`` is
        TorchPolicy's.

        Examples:
            >>> import gymnasium as gym
            >>> from rlcore.algorithms.pg import PGTorchPolicy
            >>> PGTorchPolicy(gym.spaces.Box(-1, 1, (2,)), gym.spaces.Discrete(2), {}).logp_deferrable()
            True
        """
        from rlcore.models.torch.torch_action_dist import TorchCategorical, TorchDistributionWrapper
        from rlcore.policy.exploration.stochastic_sampling import StochasticSampling

        exploration = getattr(self, "exploration", None)
        dist_class = getattr(self, "dist_class", None)
        return (self.action_sampler_fn is None and self.action_distribution_fn is None
                and type(exploration) is StochasticSampling and exploration.random_timesteps == 0
                and isinstance(dist_class, type) and issubclass(dist_class, TorchDistributionWrapper)
                and dist_class.sampled_action_logp in (TorchDistributionWrapper.sampled_action_logp,
                                                       TorchCategorical.sampled_action_logp)
                and type(self).compute_actions is TorchPolicy.compute_actions
                and type(self)._compute_action_helper is TorchPolicy._compute_action_helper)

    def sampling_actor(self) -> Optional[Callable[[np.ndarray, Any], Tuple[np.ndarray, Dict[str, np.ndarray]]]]:
        """The acting function of a sampler that defers both ``vf_preds`` and ``action_logp``
        (:meth:`values_deferrable` and :meth:`logp_deferrable` hold), or None.

        ``actor(obs_batch, timestep) -> (actions, {"action_dist_inputs": ...})`` is
        ``compute_actions(obs_batch, explore=True, timestep=timestep, fetch_vf_preds=False,
        fetch_logp=False)`` with its state and extras unpacked: the same model call, the same draw
        from the same distribution class (so the same RNG stream), the same exploration timestep
        and ``global_timestep`` count, in one Python frame instead of the four of the general path
        and its argument handling (about 10 us per vector step of a small MLP policy). It takes
        no RNN state, previous actions or rewards, or trajectory views: the sampler calls it only
        without them.

        Examples:
            >>> import gymnasium as gym
            >>> from rlcore.algorithms.ppo import PPOTorchPolicy
            >>> p = PPOTorchPolicy(gym.spaces.Box(-1, 1, (3,)), gym.spaces.Discrete(2), {})
            >>> actions, extras = p.sampling_actor()(np.zeros((4, 3), np.float32), None)
            >>> actions.shape, sorted(extras), p.global_timestep
            ((4,), ['action_dist_inputs'], 4)
        """
        if self.is_recurrent() or not (self._cached_deferrable("values_deferrable")
                                       and self._cached_deferrable("logp_deferrable")):
            return None
        import torch

        from rlcore.models.torch.torch_action_dist import TorchCategorical, gumbel_max_sample

        lock, model, dist_class, exploration = self._lock, self.model, self.dist_class, self.exploration
        tensor, set_training, tensor_type = self._tensor, self.set_training, torch.Tensor
        # The model's short-path call for a tensor batch, chosen once (None: model() decides per call),
        # and the plain categorical's draw without building the distribution object (same ops and RNG
        # stream as TorchCategorical(dist_inputs).sample(); a subclass or bound kwargs build it).
        plain_call = model.plain_batch_call() if hasattr(model, "plain_batch_call") else None
        plain_type = getattr(model, "_plain_obs_type", None)  # the batches __call__'s short path takes
        draw = gumbel_max_sample if dist_class is TorchCategorical else None

        def actor(obs_batch: np.ndarray, timestep: Any = None) -> Tuple[np.ndarray, Dict[str, np.ndarray]]:
            with lock, _inference_mode():
                if getattr(model, "training", False):  # set_training(False) switches only on a change
                    set_training(False)
                exploration.before_compute_actions(timestep=self.global_timestep if timestep is None else timestep,
                                                   explore=True)
                obs = tensor(obs_batch)
                if plain_call is not None and type(obs) is plain_type:
                    dist_inputs, _ = plain_call(obs)
                else:
                    dist_inputs, _ = model({Columns.OBS: obs, "is_training": False}, [], None)
                actions = draw(dist_inputs) if draw is not None else dist_class(dist_inputs, model).sample()
                actions = actions.numpy() if isinstance(actions, tensor_type) else _to_numpy(actions)
                self.global_timestep += len(actions)
                return actions, {Columns.ACTION_DIST_INPUTS: dist_inputs.numpy()}

        return actor

    def action_logp_batch(self, dist_inputs: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """Float32 ``logp`` of ``actions`` under the distribution of ``dist_inputs`` (rows of a
        sample: what :meth:`compute_actions` returns as ``action_logp`` for them; see
        :meth:`logp_deferrable`).

        Examples:
            >>> import gymnasium as gym
            >>> from rlcore.algorithms.pg import PGTorchPolicy
            >>> p = PGTorchPolicy(gym.spaces.Box(-1, 1, (2,)), gym.spaces.Discrete(2), {})
            >>> [round(float(x), 4) for x in p.action_logp_batch(np.zeros((2, 2), np.float32), np.array([0, 1]))]
            [-0.6931, -0.6931]
        """
        dist_inputs, actions = np.asarray(dist_inputs), np.asarray(actions)
        if (self.dist_class is _torch_categorical() and dist_inputs.dtype == np.float32 and dist_inputs.ndim == 2
                and actions.ndim == 1 and actions.dtype.kind in "iu"):  # its logp in one native pass
            return _backend.categorical_logp(np.ascontiguousarray(dist_inputs), actions.astype(np.int64, copy=False))
        with self._lock, _inference_mode():
            dist = self.dist_class(self._tensor(dist_inputs), self.model)
            return dist.logp(self._tensor(actions)).numpy().astype(np.float32, copy=False)

    def _extras_are_default(self) -> bool:
        """Whether ``extra_action_out`` is this class's (the templates override this check)."""
        return type(self).extra_action_out is TorchPolicy.extra_action_out

    def extra_action_out(self, input_dict: Dict[str, Any], state_batches: List[Any], model: Any,
                         action_dist: Any) -> Dict[str, Any]:
        """Extra per-step outputs; ``vf_preds`` when the model has a value function.

        ``vf_preds`` comes only from the default path, where the policy itself ran the model's
        forward pass (not with ``action_sampler_fn`` / ``action_distribution_fn``, where the
        model may not have run for these inputs: add ``extra_action_out_fn`` there).
        """
        if self.action_sampler_fn is not None or self.action_distribution_fn is not None:
            return {}
        if self._has_value_function is not False:
            try:
                vf = model.value_function()
            except NotImplementedError:
                self._has_value_function = False
            else:
                self._has_value_function = True
                return {Columns.VF_PREDS: vf}
        return {}

    def extra_grad_process(self, optimizer: Any, loss: Any) -> Dict[str, Any]:
        """Called after each ``loss.backward()``: clips gradients to ``config["grad_clip"]`` if set."""
        clip = self.config.get("grad_clip")
        if not clip:
            return {}
        import torch

        params = [p for g in optimizer.param_groups for p in g["params"] if p.grad is not None]
        if not params:
            return {}
        return {"grad_gnorm": _clip_grad_norm(params, float(clip))}

    def extra_compute_grad_fetches(self) -> Dict[str, Any]:
        """Extra fetches returned next to ``learner_stats`` by ``learn_on_batch``."""
        return {LEARNER_STATS_KEY: {}}

    def extra_grad_info(self, train_batch: TrainBatch) -> Dict[str, Any]:
        """Learner statistics computed after the loss (the template's ``stats_fn``)."""
        return {}

    # -- acting ----------------------------------------------------------------------------------
    def _tensor(self, x: Any) -> Any:
        import torch

        if type(x) is np.ndarray and x.dtype != np.float64 and x.dtype != object and x.flags.writeable:
            return torch.from_numpy(x)  # the common case, without copies
        if isinstance(x, dict):
            return {k: self._tensor(v) for k, v in x.items()}
        if isinstance(x, tuple):
            return tuple(self._tensor(v) for v in x)
        if isinstance(x, torch.Tensor):
            return x
        arr = np.asarray(x)
        if arr.dtype == np.float64:
            arr = arr.astype(np.float32)
        return torch.as_tensor(arr) if arr.flags.writeable else torch.tensor(arr)

    def compute_actions(self, obs_batch, state_batches=None, prev_action_batch=None, prev_reward_batch=None,
                        info_batch=None, episodes=None, explore=None, timestep=None, **kwargs):
        """See :meth:`Policy.compute_actions`. ``fetch_vf_preds=False`` leaves ``vf_preds`` out
        of the extras when :meth:`values_deferrable` (the sampler then fills them per sample);
        ``input_views`` adds trajectory views (``{name: batch}``) to the model's input dict."""
        if explore is None:
            explore = self.config.get("explore", True)
        if timestep is None:
            timestep = self.global_timestep
        extras = fetch_logp = True
        views = None
        if kwargs:
            # A sampler that fills vf_preds per sample (see values_deferrable) asks to skip them here.
            extras = kwargs.get("fetch_vf_preds", True) or not self._cached_deferrable("values_deferrable")
            # A sampler that fills action_logp/action_prob per sample (see logp_deferrable) asks to skip them.
            fetch_logp = kwargs.get("fetch_logp", True) or not explore or not self._cached_deferrable("logp_deferrable")
            views = kwargs.get("input_views")
        with self._lock, _inference_mode():
            input_dict, state = self._inference_inputs(obs_batch, state_batches, prev_action_batch, prev_reward_batch)
            if views:
                for name, view in views.items():
                    input_dict[name] = self._tensor(view)
            out = self._compute_action_helper(input_dict, state, explore, timestep, extras, fetch_logp)
            self.global_timestep += len(out[0])  # RLlib 1.x: each computed action is a timestep
            return out

    def _cached_deferrable(self, name: str) -> bool:
        """``self.<name>()`` (``values_deferrable``/``logp_deferrable``), asked once per policy."""
        key = f"_{name}"
        deferrable = self.__dict__.get(key)
        if deferrable is None:
            deferrable = self.__dict__[key] = bool(getattr(self, name)())
        return deferrable

    def _inference_inputs(self, obs_batch, state_batches, prev_action_batch, prev_reward_batch):
        """Eval mode, and the model's input dict and state as tensors (under the caller's lock)."""
        self.set_training(False)
        input_dict = {Columns.OBS: self._tensor(obs_batch), "is_training": False}
        if prev_action_batch is not None:
            input_dict[Columns.PREV_ACTIONS] = self._tensor(prev_action_batch)
        if prev_reward_batch is not None:
            input_dict[Columns.PREV_REWARDS] = self._tensor(np.asarray(prev_reward_batch, dtype=np.float32))
        if not state_batches:
            return input_dict, []
        if self._state_struct is not None:
            return input_dict, self._state_struct.nest([self._tensor(s) for s in self._state_struct.to_leaves(state_batches)])
        return input_dict, [self._tensor(s) for s in state_batches]

    def _call_hook(self, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        """``call_with_accepted_kwargs(fn, *args, **kwargs)`` with ``fn``'s accepted keyword names
        looked up once per function (``inspect.signature`` costs ~50 us, per action call otherwise)."""
        cache = self.__dict__.setdefault("_hook_kwargs", {})
        try:
            names = cache[fn]
        except KeyError:
            names = cache[fn] = accepted_kwargs(fn)
        except TypeError:  # an unhashable callable
            return call_with_accepted_kwargs(fn, *args, **kwargs)
        if names is None:
            return fn(*args, **kwargs)
        return fn(*args, **{k: v for k, v in kwargs.items() if k in names})

    def _model_state(self, state: List[Any]) -> List[Any]:
        """The model's state entries from the policy's flat state tensors (nested state re-nested;
        see :mod:`rlcore.models.state_structure`); flat state as is."""
        return self._state_struct.nest(state) if self._state_struct is not None and state else state

    def _compute_action_helper(self, input_dict, state_batches, explore, timestep, extras=True, fetch_logp=True):
        import torch

        self.exploration.before_compute_actions(timestep=timestep, explore=explore)
        obs = input_dict[Columns.OBS]
        seq_lens = None
        if state_batches:  # one time step per row
            first = obs
            while isinstance(first, (dict, tuple)):  # a batched Dict/Tuple observation: its first leaf
                first = next(iter(first.values())) if isinstance(first, dict) else first[0]
            seq_lens = torch.ones(first.shape[0], dtype=torch.int32)
        dist_inputs = action_dist = None
        if self.action_sampler_fn is not None:
            out = self._call_hook(self.action_sampler_fn, self, self.model, obs, state_batches,
                                  explore=explore, timestep=timestep)
            actions, logp = out[0], out[1]
            state_out = list(out[2]) if len(out) > 2 else []
        else:
            if self.action_distribution_fn is not None:
                dist_inputs, dist_class, state_out = self._call_hook(
                    self.action_distribution_fn, self, self.model, obs, state_batches=state_batches,
                    seq_lens=seq_lens, prev_action_batch=input_dict.get(Columns.PREV_ACTIONS),
                    prev_reward_batch=input_dict.get(Columns.PREV_REWARDS), explore=explore, timestep=timestep,
                    is_training=False)
            else:
                dist_class = self.dist_class
                dist_inputs, state_out = self.model(input_dict, state_batches, seq_lens)
            action_dist = dist_class(dist_inputs, self.model)
            if fetch_logp:
                actions, logp = self.exploration.get_exploration_action(
                    action_distribution=action_dist, timestep=timestep, explore=explore)
            else:  # logp_deferrable: StochasticSampling's exploring draw, its logp filled per sample
                actions, logp = action_dist.sample(), None
        extra = {k: _to_numpy(v) for k, v in self.extra_action_out(input_dict, state_batches, self.model,
                                                                    action_dist).items()} if extras else {}
        if dist_inputs is not None:
            extra[Columns.ACTION_DIST_INPUTS] = dist_inputs.numpy()
        if logp is not None:
            logp = logp.numpy().astype(np.float32, copy=False)
            extra[Columns.ACTION_PROB] = np.exp(logp)
            extra[Columns.ACTION_LOGP] = logp
        actions = actions.numpy() if isinstance(actions, torch.Tensor) else _to_numpy(actions)
        if not state_out:
            return actions, [], extra
        if self._state_struct is not None:
            state_out = self._state_struct.flatten(list(state_out), "the model's state_out")
        return actions, [s.numpy() for s in state_out], extra

    def compute_log_likelihoods(self, actions, obs_batch, state_batches=None, prev_action_batch=None,
                                prev_reward_batch=None):
        """See :meth:`Policy.compute_log_likelihoods`."""
        import torch

        if self.action_sampler_fn is not None and self.action_distribution_fn is None:
            raise ValueError("compute_log_likelihoods needs an action distribution; this policy only has action_sampler_fn")
        with self._lock, torch.no_grad():
            input_dict, state = self._inference_inputs(obs_batch, state_batches, prev_action_batch, prev_reward_batch)
            seq_lens = torch.ones(len(input_dict[Columns.OBS]), dtype=torch.int32) if state else None
            if self.action_distribution_fn is not None:
                dist_inputs, dist_class, _ = self._call_hook(
                    self.action_distribution_fn, self, self.model, input_dict[Columns.OBS], state_batches=state,
                    seq_lens=seq_lens, prev_action_batch=input_dict.get(Columns.PREV_ACTIONS),
                    prev_reward_batch=input_dict.get(Columns.PREV_REWARDS), explore=False, is_training=False)
            else:
                dist_class = self.dist_class
                dist_inputs, _ = self.model(input_dict, state, seq_lens)
            return _to_numpy(dist_class(dist_inputs, self.model).logp(self._tensor(actions)))

    # -- learning ----------------------------------------------------------------------------------
    def postprocess_trajectory(self, sample_batch, other_agent_batches=None, episode=None):
        """Lets the exploration edit the trajectory (the templates add ``postprocess_fn``)."""
        import torch

        with torch.no_grad():
            return self.exploration.postprocess_trajectory(self, sample_batch)

    known_postprocessing(postprocess_trajectory)  # the exploration's postprocessing only

    def _prepare_train_batch(self, postprocessed_batch: Any) -> TrainBatch:
        if isinstance(postprocessed_batch, TrainBatch):
            return postprocessed_batch
        batch = dict(postprocessed_batch)
        if (self.is_recurrent() or self.batch_divisibility_req > 1) and not getattr(postprocessed_batch, "zero_padded", False):
            pad_batch_to_sequences_of_same_size(batch, max_seq_len=self.max_seq_len, shuffle=False,
                                                batch_divisibility_req=self.batch_divisibility_req)
        train_batch = convert_columns(batch, self._tensor, is_training=True)
        if self._state_struct is not None:  # the loss sees the model's nested state_in_i / state_out_i
            train_batch = TrainBatch(self._state_struct.nest_columns(train_batch), train_batch.count, is_training=True)
        return train_batch

    def _backward(self, train_batch: TrainBatch, check_only: bool = False) -> Tuple[Dict[str, Any], List[Any]]:
        if self._loss is None:
            raise ValueError(f"{type(self).__name__} has no loss function (built with loss=None); it cannot learn")
        losses = force_list(self._loss(self, self.model, self.dist_class, train_batch))
        losses = force_list(self.model.custom_loss(losses if len(losses) > 1 else losses[0], train_batch))
        losses = force_list(self.exploration.get_exploration_loss(losses if len(losses) > 1 else losses[0],
                                                                  train_batch))
        if check_only:  # the construction-time check: the losses and their gradients exist
            for i, loss in enumerate(losses):
                loss.backward(retain_graph=i < len(losses) - 1)
            n_opt = self._optimizer_count()
        else:
            n_opt = len(self._optimizers)
        if len(losses) != n_opt:
            raise ValueError(f"loss_fn returned {len(losses)} losses but the policy has {n_opt} optimizers;"
                             " expected one loss per optimizer")
        if check_only:
            return {}, losses
        grad_info: Dict[str, Any] = {}
        if len(losses) > 1 and self._summed_backward_applies():  # one pass: the same gradients (see there)
            import torch

            for opt in self._optimizers:
                _zero_grad(opt)
            torch.autograd.backward(losses)
            for opt, loss in zip(self._optimizers, losses):
                grad_info.update(self.extra_grad_process(opt, loss))
            return grad_info, losses
        for i, (opt, loss) in enumerate(zip(self._optimizers, losses)):
            _zero_grad(opt)
            loss.backward(retain_graph=i < len(losses) - 1)
            grad_info.update(self.extra_grad_process(opt, loss))
        return grad_info, losses

    def _summed_backward_applies(self) -> bool:
        """Whether one ``backward`` over all losses may replace the per-optimizer passes: true only
        when each loss reaches no parameter of another optimizer, so every parameter gets the same
        gradient, to the bit, from one engine run over one graph (no ``retain_graph``). False here;
        :class:`rlcore.algorithms.off_policy_ac.SummedBackward` says when it holds."""
        return False

    def _learner_info(self, train_batch: TrainBatch, grad_info: Dict[str, Any]) -> Dict[str, Any]:
        fetches = dict(self.extra_compute_grad_fetches())
        stats = dict(fetches.get(LEARNER_STATS_KEY, {}))
        stats.update(self.extra_grad_info(train_batch))
        stats.update(grad_info)
        stats.update(self.model.metrics())
        fetches[LEARNER_STATS_KEY] = _to_python_stats(stats)
        return fetches

    def _dummy_loss_check(self, batch: Any) -> None:
        """Runs the loss, ``backward`` and the stats once on a batch without stepping (template init)."""
        with self._lock:
            train_batch = self._prepare_train_batch(batch)
            grad_info, _ = self._backward(train_batch, check_only=True)
            self._learner_info(train_batch, grad_info)
            for param in self.model.parameters():  # as zero_grad(), without building the optimizers
                param.grad = None

    def set_training(self, training: bool) -> None:
        """Puts the model in train (learning) or eval (inference) mode, if it is not already there.

        Learning calls run in train mode and inference calls in eval mode, as in RLlib 1.x (so the
        model stays in train mode between minibatches). The switch happens only on a change, and
        sets each submodule's ``training`` flag directly (what ``nn.Module.train`` does, without its
        ``__setattr__`` and generator overhead: ~0.1 ms for a small MLP, paid twice per DQN
        ``learn_on_batch``); a submodule that overrides ``train`` gets its own ``train`` called.

        Examples:
            >>> import torch
            >>> class Holder:
            ...     model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout(0.5))
            >>> h = Holder()
            >>> TorchPolicy.set_training(h, False); h.model[1].training
            False
        """
        model = getattr(self, "model", None)
        if model is not None and hasattr(model, "train") and getattr(model, "training", training) != training:
            _set_train_mode(model, training)

    def learn_on_batch(self, postprocessed_batch):
        """One optimizer step on the whole batch; returns ``{"learner_stats": {...}, ...}``."""
        with self._lock:
            train_batch = self._prepare_train_batch(postprocessed_batch)
            self.set_training(True)
            grad_info, _ = self._backward(train_batch)
            for opt in self._optimizers:
                opt.step()
            return self._learner_info(train_batch, grad_info)

    def _params(self) -> List[Any]:
        return [p for opt in self._optimizers for g in opt.param_groups for p in g["params"]]

    def compute_gradients(self, postprocessed_batch):
        """Returns ``(list of numpy gradients, one per optimizer parameter, info)``."""
        with self._lock:
            train_batch = self._prepare_train_batch(postprocessed_batch)
            self.set_training(True)
            grad_info, _ = self._backward(train_batch)
            grads = [np.zeros(tuple(p.shape), np.float32) if p.grad is None else p.grad.detach().cpu().numpy().copy()
                     for p in self._params()]
            return grads, self._learner_info(train_batch, grad_info)

    def apply_gradients(self, gradients):
        """Sets each parameter's ``.grad`` from the numpy list and steps the optimizers."""
        import torch

        params = self._params()
        if len(gradients) != len(params):
            raise ValueError(f"apply_gradients got {len(gradients)} gradients; expected {len(params)} (one per parameter)")
        with self._lock:
            for p, g in zip(params, gradients):
                p.grad = None if g is None else torch.tensor(np.asarray(g), dtype=p.dtype).reshape(p.shape)
            for opt in self._optimizers:
                opt.step()

    # -- weights and state ---------------------------------------------------------------------------
    def get_weights(self) -> Dict[str, np.ndarray]:
        """``{parameter/buffer name: numpy array}`` of the model's ``state_dict``."""
        with self._lock:
            return {k: v.detach().cpu().numpy().copy() for k, v in self.model.state_dict().items()}

    def set_weights(self, weights: Dict[str, np.ndarray]) -> None:
        """Loads numpy weights (read-only arrays from Ray are fine)."""
        import torch

        own = self.model.state_dict()
        missing = sorted(set(own) - set(weights))
        unexpected = sorted(set(weights) - set(own))
        if missing or unexpected:
            raise ValueError(f"set_weights: missing keys {missing}, unexpected keys {unexpected}")
        tensors = {k: torch.tensor(np.asarray(v)) for k, v in weights.items()}
        with self._lock:  # never half-loaded under a compute_actions of a sampling thread
            self.model.load_state_dict(tensors)

    def get_state(self) -> Dict[str, Any]:
        """Weights, global timestep, exploration state and each optimizer's state (numpy)."""
        state = super().get_state()
        opt_states = []
        for opt in self._optimizers:
            sd = _to_numpy(opt.state_dict())
            # String keys: any msgpack/JSON codec can carry them (torch uses parameter ints).
            sd["state"] = {str(k): v for k, v in sd.get("state", {}).items()}
            opt_states.append(sd)
        state["_optimizer_variables"] = opt_states
        return state

    def set_state(self, state: Dict[str, Any]) -> None:
        """Restores :meth:`get_state`'s output, optimizer state included."""
        import torch

        super().set_state(state)
        opt_states = state.get("_optimizer_variables") or []
        if opt_states and len(opt_states) != len(self._optimizers):
            raise ValueError(f"policy state has {len(opt_states)} optimizer states; this policy has {len(self._optimizers)}")

        def to_torch(x):
            if isinstance(x, dict):
                return {k: to_torch(v) for k, v in x.items()}
            if isinstance(x, list):
                return [to_torch(v) for v in x]
            if isinstance(x, np.ndarray):
                return torch.tensor(x)
            return x

        for opt, s in zip(self._optimizers, opt_states):
            s = dict(s)
            s["state"] = {int(k): v for k, v in (s.get("state") or {}).items()}
            opt.load_state_dict(to_torch(s))

    def get_initial_state(self) -> List[np.ndarray]:
        """The model's initial RNN state: one array per state tensor, nested entries as their flat
        leaves (:mod:`rlcore.models.state_structure`)."""
        if self._state_struct is not None:
            return self._state_struct.initial_leaves(self.model.get_initial_state())
        return [np.asarray(s) for s in self.model.get_initial_state()]

    def num_state_tensors(self) -> int:
        """Number of RNN state tensors of the model (leaves, for nested state)."""
        if self._state_struct is not None:
            return self._state_struct.num_leaves
        return len(self.model.get_initial_state())

    # -- export ----------------------------------------------------------------------------------------
    def export_model(self, export_dir: str, onnx: Optional[int] = None) -> str:
        """Writes ``export_dir/model.pt``: a TorchScript trace of ``(obs, *state, seq_lens) -> (outputs, *state_out)``.

        Load it with ``torch.jit.load``. Returns the file path. The trace runs on a batch of one;
        feed-forward models serve any batch size, while recurrent models whose time-dimension
        code turns shapes into Python ints are specialised to the traced batch of one.
        """
        import torch

        if onnx:
            raise ValueError(f"onnx={onnx!r}: ONNX export is not supported; only TorchScript")
        model, policy = self.model, self
        n_state = self.num_state_tensors()

        class _Serving(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.model = model

            def forward(self, obs, *rest):
                state = policy._model_state(list(rest[:n_state]))
                seq_lens = rest[n_state] if n_state else None
                out, state_out = self.model({Columns.OBS: obs, "is_training": False}, state, seq_lens)
                if policy._state_struct is not None:
                    state_out = policy._state_struct.flatten(list(state_out), "the model's state_out")
                return (out, *state_out)

        sample = np.asarray(self.observation_space.sample())[None]
        obs = self._tensor(sample)
        args = [obs] + [self._tensor(np.asarray(s)[None]) for s in self.get_initial_state()]
        if n_state:
            args.append(torch.ones(1, dtype=torch.int32))
        os.makedirs(export_dir, exist_ok=True)
        path = os.path.join(export_dir, "model.pt")
        import warnings

        with self._lock, torch.no_grad(), warnings.catch_warnings():
            # torch 2.x marks TorchScript deprecated; it is still the loadable format asked for.
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            self.set_training(False)
            traced = torch.jit.trace(_Serving(), tuple(args), check_trace=False)
            traced.save(path)
        return path


_INFERENCE_GUARD: Any = None
_TORCH_CATEGORICAL: Any = None


def _torch_categorical() -> type:
    """``TorchCategorical`` (imported on first use: this module does not import torch)."""
    global _TORCH_CATEGORICAL
    if _TORCH_CATEGORICAL is None:
        from rlcore.models.torch.torch_action_dist import TorchCategorical

        _TORCH_CATEGORICAL = TorchCategorical
    return _TORCH_CATEGORICAL


def _inference_mode() -> Any:
    """A ``torch.inference_mode()`` context: the C++ guard that context enters
    (``torch._C._InferenceMode``) when torch has it, without the Python wrapper's ~1-2 us per
    ``compute_actions`` call.

    Examples:
        >>> import torch
        >>> with _inference_mode():
        ...     torch.is_inference_mode_enabled()
        True
        >>> torch.is_inference_mode_enabled()
        False
    """
    global _INFERENCE_GUARD
    guard = _INFERENCE_GUARD
    if guard is None:
        import torch

        guard = _INFERENCE_GUARD = getattr(torch._C, "_InferenceMode", None) or torch.inference_mode
    return guard(True)


def _set_train_mode(model: Any, training: bool) -> None:
    """``model.train(training)``, setting the plain ``training`` attribute of each submodule.

    ``nn.Module.train`` sets ``self.training`` and recurses into ``children()``; a module whose
    class overrides ``train`` (or a model that is not an ``nn.Module``) gets its ``train`` called
    for its subtree instead, so custom mode switches keep running.

    Examples:
        >>> import torch
        >>> m = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Sequential(torch.nn.Dropout(0.5)))
        >>> _set_train_mode(m, False); [x.training for x in m.modules()]
        [False, False, False, False]
    """
    import torch

    base_train = torch.nn.Module.train
    stack = [model]
    while stack:
        m = stack.pop()
        if not isinstance(m, torch.nn.Module) or type(m).train is not base_train:
            m.train(training)
            continue
        m.__dict__["training"] = training
        stack.extend(c for c in m._modules.values() if c is not None)


def _clip_grad_norm(params: List[Any], max_norm: float) -> float:
    """``float(torch.nn.utils.clip_grad_norm_(params, max_norm))``: scales the gradients so their
    global L2 norm is at most ``max_norm`` and returns the norm before scaling.

    Dense gradients of one dtype and device (the usual case) take a shorter path: one fused norm,
    and the scaling only when it changes anything (``clip_grad_norm_`` multiplies by 1.0 too, and
    pays ~0.1 ms of grouping per call, a tenth of a small network's whole SGD step).

    Examples:
        >>> import torch
        >>> p = torch.nn.Parameter(torch.zeros(2)); p.grad = torch.tensor([3.0, 4.0])
        >>> _clip_grad_norm([p], 1.0), [round(x, 4) for x in p.grad.tolist()]
        (5.0, [0.6, 0.8])
    """
    import torch

    grads = [p.grad for p in params]
    first = grads[0]
    if not hasattr(torch, "_foreach_norm") or any(
            g.is_sparse or g.dtype is not first.dtype or g.device != first.device for g in grads):
        return float(torch.nn.utils.clip_grad_norm_(params, max_norm))
    total = float(torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads))))
    coef = max_norm / (total + 1e-6)
    if not coef >= 1.0:  # also a NaN norm, which (as in clip_grad_norm_) spreads to every gradient
        torch._foreach_mul_(grads, coef)
    return total


def _zero_grad(optimizer: Any) -> None:
    """``optimizer.zero_grad()`` (``set_to_none``): a torch optimizer that keeps
    ``Optimizer.zero_grad`` (also through :class:`rlcore.policy.torch_optim.Adam`'s wrapper,
    which marks it with ``torch_method``) gets its gradients set to ``None`` here, without the
    profiler ``record_function`` scope that costs 15-30 us per call; other optimizers run their own.

    Examples:
        >>> import torch
        >>> from rlcore.policy.torch_optim import adam
        >>> p = torch.nn.Parameter(torch.zeros(2)); p.grad = torch.ones(2)
        >>> _zero_grad(torch.optim.SGD([p], lr=0.1)); p.grad is None
        True
        >>> p.grad = torch.ones(2); _zero_grad(adam([p], lr=0.1)); p.grad is None
        True
    """
    import torch

    zero_grad = type(optimizer).zero_grad
    if getattr(zero_grad, "torch_method", zero_grad) is not torch.optim.Optimizer.zero_grad:
        optimizer.zero_grad()
        return
    for group in optimizer.param_groups:
        for p in group["params"]:
            p.grad = None

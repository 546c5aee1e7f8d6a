"""TFPolicy: a Policy on TensorFlow 2 running eagerly, or traced with ``tf.function``.

``framework`` ``"tf"``, ``"tfe"`` and ``"tf2"`` all mean TensorFlow 2 here (there are no graph-mode
sessions or placeholders); ``"tf"``, RLlib's static-graph mode, always traces (below), the
others run eagerly unless asked to trace. With ``config["eager_tracing"]=True`` the action
computation and the learn step are ``tf.function`` objects called through
:class:`~rlcore.policy.tf_dispatch.ConcreteDispatch`: they trace once per input layout (structure,
dtypes, non-batch dims, and each ``explore`` value) with the batch dim left open, and then run as
graphs; no batch size ever retraces. ``trace_counts`` counts how often each function body ran in
Python (every call when eager, once per trace when traced).

The loss runs under a ``tf.GradientTape``; ``gradients(optimizer, loss)`` (the template's
``gradients_fn``) receives an optimizer wrapper whose ``compute_gradients(loss, var_list)`` uses
that tape, as RLlib's eager policies did. Weights are ``{variable path: numpy array}``.

Nested RNN state entries (dicts, tuples, lists of arrays) reach the model nested, eager and traced,
while the policy's state and ``state_in_<k>`` columns are their flat leaves: see
:mod:`rlcore.models.state_structure`.

Examples:
    >>> TFPolicy.__mro__[1].__name__
    'Policy'
"""

from __future__ import annotations

import os
import threading
from typing import Any, Callable, Dict, List, Optional

import numpy as np

from rlcore.data.columns import Columns
from rlcore.models.state_structure import StateStructure
from rlcore.policy.policy import LEARNER_STATS_KEY, Policy, known_postprocessing
from rlcore.policy.rnn_sequencing import pad_batch_to_sequences_of_same_size
from rlcore.policy.schedule_mixins import EntropyCoeffSchedule, LearningRateSchedule
from rlcore.policy.tf_dispatch import ConcreteDispatch
from rlcore.policy.tf_eager_adam import apply_adam_eagerly
from rlcore.policy.train_batch import TrainBatch, UsageTrackingTrainBatch
from rlcore.policy.utils import call_with_accepted_kwargs, force_list, to_numpy, to_python_stats

__all__ = ["TFPolicy", "OptimizerWrapper", "LearningRateSchedule", "EntropyCoeffSchedule"]


class OptimizerWrapper:
    """A Keras optimizer plus the active ``GradientTape``: gives RLlib's ``compute_gradients``.

    Args:
        optimizer: the Keras optimizer.
        tape: the tape the loss was recorded on.

    Examples:
        >>> OptimizerWrapper(optimizer="opt", tape=None).optimizer
        'opt'
    """

    def __init__(self, optimizer: Any, tape: Any):
        self.optimizer = optimizer
        self.tape = tape

    def compute_gradients(self, loss: Any, var_list: List[Any]) -> List[tuple]:
        """``[(grad, var), ...]`` of ``loss`` with respect to ``var_list``."""
        return list(zip(self.tape.gradient(loss, var_list), var_list))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.optimizer, name)


class TFPolicy(Policy):
    """TensorFlow 2 policy; usually built with ``build_tf_policy``.

    Args:
        observation_space: the (preprocessed) observation space.
        action_space: the action space.
        config: the policy config (``lr``, ``grad_clip``, ``eager_tracing``, ``explore``, ...).
        model: a ``TFModelV2``.
        loss: ``loss(policy, model, dist_class, train_batch) -> loss tensor`` (``None``: no learning).
        action_distribution_class, action_sampler_fn, action_distribution_fn, max_seq_len,
        get_batch_divisibility_req: as in :class:`~rlcore.policy.torch_policy.TorchPolicy`.
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
        from rlcore.framework import try_import_tf

        _, tf, _ = try_import_tf()
        config = dict(config)
        config["framework"] = "tf2"
        super().__init__(observation_space, action_space, config)
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
        self._optimizers = force_list(self.optimizer()) if loss is not None else []
        self._optimizers = self.exploration.get_exploration_optimizer(self._optimizers)
        if len(self._optimizers) > 1:
            raise ValueError(f"optimizer_fn returned {len(self._optimizers)} optimizers; TFPolicy supports one")
        self._optimizer = self._optimizers[0] if self._optimizers else None
        self._ensure_optimizer_built()
        if getattr(model, "view_requirements", None):
            self.view_requirements.update(model.view_requirements)
        self._update_state_view_requirements(self.max_seq_len)
        self.trace_counts: Dict[str, int] = {"compute_actions": 0, "learn": 0}
        # The batch columns the learn step reads (found at its first run; None: not known yet).
        self._loss_columns: Optional[set] = None
        self._loss_uses_every_column = False
        self._loss_initialized = False  # the loss ran once (template policies: on a dummy batch)
        # "tf" was RLlib's static-graph mode: trace with tf.function, its TF2 equivalent.
        self._eager_tracing = bool(config.get("eager_tracing", False)) or config.get("framework") == "tf"
        if self._eager_tracing:
            # Traced as RLlib 1.x traced (autograph=False): the graph functions' Python runs once
            # per trace, without AutoGraph's conversion of their source (that conversion was about
            # three quarters of a PPO policy's trace time: build + first train() 5.1 s -> 1.3 s).
            # Python control flow on a tensor's value is then an error here, as it was in 1.x.
            self._compute_actions_fn = ConcreteDispatch(tf.function(self._compute_actions_graph, autograph=False))
            self._learn_fn = ConcreteDispatch(tf.function(self._learn_graph, autograph=False))
        else:
            self._compute_actions_fn = self._compute_actions_graph
            self._learn_fn = self._learn_graph

    def _ensure_optimizer_built(self) -> None:
        """Creates the optimizer's slot variables eagerly (never inside a ``tf.function``).

        Models whose Keras layers build lazily have no variables before their first call; the
        optimizer is then built on the first learn step instead.
        """
        opt = self._optimizer
        if opt is None or getattr(opt, "built", True) or not hasattr(opt, "build"):
            return
        variables = self.model.trainable_variables()
        if variables:
            opt.build(variables)

    # -- overridable hooks ------------------------------------------------------------------------
    def optimizer(self) -> Any:
        """The Keras optimizer: Adam with ``config["lr"]`` by default."""
        import tensorflow as tf

        return tf.keras.optimizers.Adam(learning_rate=self.config.get("lr", 5e-5))

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

    def gradients(self, optimizer: OptimizerWrapper, loss: Any) -> List[tuple]:
        """``[(grad, var), ...]`` for the loss, clipped by global norm to ``config["grad_clip"]`` if set."""
        import tensorflow as tf

        variables = self.model.trainable_variables()
        grads = optimizer.tape.gradient(loss, variables)
        clip = self.config.get("grad_clip")
        if clip:
            grads, self._grad_gnorm = tf.clip_by_global_norm(grads, float(clip))
        return list(zip(grads, variables))

    def build_apply_op(self, optimizer: Any, grads_and_vars: List[tuple]) -> Any:
        """Applies the gradients (the template's ``apply_gradients_fn``).

        Eagerly, a stock Keras ``Adam`` steps through :func:`~rlcore.policy.tf_eager_adam.apply_adam_eagerly`
        (Keras' ops without Keras' per-op overhead; the same values); otherwise Keras applies them.
        """
        pairs = [(g, v) for g, v in grads_and_vars if g is not None]
        if apply_adam_eagerly(optimizer, pairs):
            return optimizer.iterations
        return optimizer.apply_gradients(pairs)

    def extra_compute_grad_fetches(self) -> Dict[str, Any]:
        """Extra fetches returned next to ``learner_stats``."""
        return {LEARNER_STATS_KEY: {}}

    def extra_grad_info(self, train_batch: TrainBatch) -> Dict[str, Any]:
        """Learner statistics after the loss (the template's ``stats_fn``)."""
        return {}

    def grad_stats(self, train_batch: TrainBatch, grads: List[Any]) -> Dict[str, Any]:
        """Statistics of the gradients (the template's ``grad_stats_fn``)."""
        return {}

    # -- acting ------------------------------------------------------------------------------------
    def _tensor(self, x: Any) -> Any:
        import tensorflow as tf

        if isinstance(x, dict):
            return {k: self._tensor(v) for k, v in x.items()}
        if isinstance(x, tuple):
            return tuple(self._tensor(v) for v in x)
        if tf.is_tensor(x):
            return x
        arr = np.asarray(x)
        if arr.dtype == np.float64:
            arr = arr.astype(np.float32)
        return tf.constant(arr)  # ~12 µs cheaper than tf.convert_to_tensor (no conversion registry)

    def _input_dict(self, obs_batch, prev_action_batch, prev_reward_batch) -> Dict[str, Any]:
        input_dict = {Columns.OBS: self._tensor(obs_batch)}
        if prev_action_batch is not None:
            input_dict[Columns.PREV_ACTIONS] = self._tensor(prev_action_batch)
        if prev_reward_batch is not None:
            input_dict[Columns.PREV_REWARDS] = self._tensor(np.asarray(prev_reward_batch, dtype=np.float32))
        return input_dict

    def compute_actions(self, obs_batch, state_batches=None, prev_action_batch=None, prev_reward_batch=None,
                        info_batch=None, episodes=None, explore=None, timestep=None, **kwargs):
        """See :meth:`Policy.compute_actions`."""
        import tensorflow as tf

        explore = bool(self.config.get("explore", True) if explore is None else explore)
        timestep = self.global_timestep if timestep is None else timestep
        with self._lock:
            self.exploration.before_compute_actions(timestep=timestep, explore=explore)
            input_dict = self._input_dict(obs_batch, prev_action_batch, prev_reward_batch)
            for name, view in (kwargs.get("input_views") or {}).items():  # trajectory views
                input_dict[name] = self._tensor(view)
            if self._state_struct is not None and state_batches:
                state_batches = self._state_struct.to_leaves(state_batches)
            state = [self._tensor(s) for s in (state_batches or [])]
            actions, state_out, extra = self._compute_actions_fn(
                input_dict, state, explore, tf.constant(int(timestep), dtype=tf.int64))
            actions = to_numpy(actions)
            self.global_timestep += len(tf.nest.flatten(actions)[0])  # RLlib 1.x: each computed action is a timestep
            return actions, [s.numpy() for s in state_out], to_numpy(extra)

    def _compute_actions_graph(self, input_dict, state_batches, explore, timestep):
        import tensorflow as tf

        self.trace_counts["compute_actions"] += 1
        input_dict = dict(input_dict, is_training=False)
        if self._state_struct is not None:  # nested model state (flat state: nothing to do)
            state_batches = self._model_state(list(state_batches))
        obs = input_dict[Columns.OBS]
        first = next(iter(tf.nest.flatten(obs)))
        seq_lens = tf.ones(tf.shape(first)[:1], dtype=tf.int32) if state_batches else None
        dist_inputs = action_dist = None
        if self.action_sampler_fn is not None:
            out = call_with_accepted_kwargs(self.action_sampler_fn, self, self.model, obs, state_batches,
                                            explore=explore, timestep=timestep)
            actions, logp = out[0], out[1]
            state_out = list(out[2]) if len(out) > 2 else []
        else:
            if self.action_distribution_fn is not None:
                dist_inputs, dist_class, state_out = call_with_accepted_kwargs(
                    self.action_distribution_fn, self, self.model, obs, state_batches=state_batches,
                    seq_lens=seq_lens, prev_action_batch=input_dict.get(Columns.PREV_ACTIONS),
                    prev_reward_batch=input_dict.get(Columns.PREV_REWARDS), explore=explore, timestep=timestep,
                    is_training=False)
            else:
                dist_class = self.dist_class
                dist_inputs, state_out = self.model(input_dict, state_batches, seq_lens)
            action_dist = dist_class(dist_inputs, self.model)
            actions, logp = self.exploration.get_exploration_action(
                action_distribution=action_dist, timestep=timestep, explore=explore)
        extra = dict(self.extra_action_out(input_dict, state_batches, self.model, action_dist))
        if dist_inputs is not None:
            extra[Columns.ACTION_DIST_INPUTS] = dist_inputs
        if logp is not None:
            logp = tf.cast(logp, tf.float32)
            extra[Columns.ACTION_PROB] = tf.exp(logp)
            extra[Columns.ACTION_LOGP] = logp
        if self._state_struct is not None and state_out:
            state_out = self._state_struct.flatten(list(state_out), "the model's state_out")
        return actions, list(state_out), extra

    def _model_state(self, state: List[Any]) -> List[Any]:
        """The model's state entries from the policy's flat state tensors (nested state re-nested;
        see :mod:`rlcore.models.state_structure`); flat state as is."""
        return self._state_struct.nest(state) if self._state_struct is not None and state else state

    def compute_log_likelihoods(self, actions, obs_batch, state_batches=None, prev_action_batch=None,
                                prev_reward_batch=None):
        """See :meth:`Policy.compute_log_likelihoods` (runs eagerly)."""
        import tensorflow as tf

        if self.action_sampler_fn is not None and self.action_distribution_fn is None:
            raise ValueError("compute_log_likelihoods needs an action distribution; this policy only has action_sampler_fn")
        with self._lock:
            input_dict = dict(self._input_dict(obs_batch, prev_action_batch, prev_reward_batch), is_training=False)
            if self._state_struct is not None and state_batches:
                state_batches = self._state_struct.to_leaves(state_batches)
            state = self._model_state([self._tensor(s) for s in (state_batches or [])])
            obs = input_dict[Columns.OBS]
            seq_lens = tf.ones(tf.shape(tf.nest.flatten(obs)[0])[:1], dtype=tf.int32) if state else None
            if self.action_distribution_fn is not None:
                dist_inputs, dist_class, _ = call_with_accepted_kwargs(
                    self.action_distribution_fn, self, self.model, obs, state_batches=state, seq_lens=seq_lens,
                    prev_action_batch=input_dict.get(Columns.PREV_ACTIONS),
                    prev_reward_batch=input_dict.get(Columns.PREV_REWARDS), explore=False, is_training=False)
            else:
                dist_class = self.dist_class
                dist_inputs, _ = self.model(input_dict, state, seq_lens)
            return dist_class(dist_inputs, self.model).logp(self._tensor(actions)).numpy()

    # -- learning ------------------------------------------------------------------------------------
    def postprocess_trajectory(self, sample_batch, other_agent_batches=None, episode=None):
        """Lets the exploration edit the trajectory (the templates add ``postprocess_fn``)."""
        return self.exploration.postprocess_trajectory(self, sample_batch)

    known_postprocessing(postprocess_trajectory)  # the exploration's postprocessing only

    def _prepare_columns(self, postprocessed_batch: Any) -> Dict[str, Any]:
        batch = dict(postprocessed_batch)
        if (self.is_recurrent() or self.batch_divisibility_req > 1) and not getattr(postprocessed_batch, "zero_padded", False):
            pad_batch_to_sequences_of_same_size(batch, max_seq_len=self.max_seq_len, shuffle=False,
                                                batch_divisibility_req=self.batch_divisibility_req)
        used = self._loss_columns  # None until the learn step has run once: every column then
        out = {}
        for k, v in batch.items():
            if used is not None and k not in used:
                continue  # a column no loss/stats code reads: not converted, not fed
            arr = np.asarray(v)
            if arr.dtype == object or arr.dtype.kind in "USV":
                continue  # infos and strings cannot enter a tf.function
            out[k] = self._tensor(arr)
        return out

    def _record_column_usage(self, train_batch: UsageTrackingTrainBatch) -> None:
        """Learns which columns the learn step reads (at its first run, or each trace)."""
        if train_batch.whole or self._loss_uses_every_column:
            self._loss_uses_every_column, self._loss_columns = True, None
        else:
            accessed = train_batch.accessed
            if self._state_struct is not None:  # the loss read nested state_in_i: keep its leaf columns
                accessed = self._state_struct.leaf_columns(accessed)
            self._loss_columns = (self._loss_columns or set()) | accessed

    def _nested_columns(self, columns: Dict[str, Any]) -> Dict[str, Any]:
        """The columns as the loss sees them: a nested state's leaf columns grouped per model entry."""
        return self._state_struct.nest_columns(columns) if self._state_struct is not None else columns

    def _learn_graph(self, columns: Dict[str, Any], apply: bool):
        import tensorflow as tf

        self.trace_counts["learn"] += 1
        first = next(k for k in columns if not k.startswith(Columns.STATE_IN_PREFIX) and k != Columns.SEQ_LENS)
        count = columns[first].shape[0]
        if count is None:
            count = tf.shape(columns[first])[0]
        train_batch = UsageTrackingTrainBatch(self._nested_columns(columns), count=count, is_training=True)
        self._grad_gnorm = None
        custom_gradients = type(self).gradients is not TFPolicy.gradients
        # A custom gradients hook may ask the tape for several gradients (actor and critic, ...).
        with tf.GradientTape(persistent=custom_gradients) as tape:
            losses = force_list(self._loss(self, self.model, self.dist_class, train_batch))
            losses = force_list(self.model.custom_loss(losses if len(losses) > 1 else losses[0], train_batch))
            losses = force_list(self.exploration.get_exploration_loss(losses if len(losses) > 1 else losses[0],
                                                                      train_batch))
        if len(losses) != 1 and not custom_gradients:
            raise ValueError(f"loss_fn returned {len(losses)} losses; the default TFPolicy.gradients takes one "
                             "(give gradients_fn to handle several)")
        grads_and_vars = self.gradients(OptimizerWrapper(self._optimizer, tape), losses[0] if len(losses) == 1 else losses)
        del tape
        grads = [g for g, _ in grads_and_vars]
        stats = dict(self.extra_grad_info(train_batch))
        stats.update(self.grad_stats(train_batch, grads))
        if self._grad_gnorm is not None:
            stats["grad_gnorm"] = self._grad_gnorm
        stats.update(self.model.metrics())
        self._record_column_usage(train_batch)
        if apply:
            self.build_apply_op(self._optimizer, grads_and_vars)
        return grads, stats

    def _run_learn(self, postprocessed_batch: Any, apply: bool, traced: bool = True):
        if self._loss is None:
            raise ValueError(f"{type(self).__name__} has no loss function (built with loss=None); it cannot learn")
        with self._lock:
            columns = self._prepare_columns(postprocessed_batch)
            if self._optimizer is not None and not getattr(self._optimizer, "built", True):
                if not self.model.trainable_variables():
                    # Lazily built Keras layers: one eager forward creates the variables.
                    self.model.from_batch(TrainBatch(self._nested_columns(columns), count=0), is_training=False)
                self._ensure_optimizer_built()
            grads, stats = (self._learn_fn if traced else self._learn_graph)(columns, apply)
            self._loss_initialized = True
            fetches = dict(self.extra_compute_grad_fetches())
            learner = dict(fetches.get(LEARNER_STATS_KEY, {}))
            learner.update(stats)
            fetches[LEARNER_STATS_KEY] = to_python_stats(learner)
            return grads, fetches

    def loss_initialized(self) -> bool:
        """Whether the loss is built: it has run once (RLlib 1.x ``TFPolicy.loss_initialized``).

        A template policy runs its loss on a dummy batch while it is built, so this is True right
        after construction; False for a policy without a loss (``loss=None``, evaluation workers).
        """
        return self._loss is not None and self._loss_initialized

    def _dummy_loss_check(self, batch: Any) -> None:
        """Runs the loss and stats once on a batch without applying gradients (template init),
        eagerly: a traced policy would otherwise trace a graph (``apply=False``) used only here."""
        self._run_learn(batch, apply=False, traced=False)

    def learn_on_batch(self, postprocessed_batch):
        """One optimizer step on the whole batch; returns ``{"learner_stats": {...}, ...}``."""
        return self._run_learn(postprocessed_batch, apply=True)[1]

    def compute_gradients(self, postprocessed_batch):
        """Returns ``(list of numpy gradients, one per trainable variable, info)``."""
        grads, fetches = self._run_learn(postprocessed_batch, apply=False)
        variables = self.model.trainable_variables()
        return [np.zeros(tuple(v.shape), np.float32) if g is None else np.asarray(g) for g, v in zip(grads, variables)], fetches

    def apply_gradients(self, gradients):
        """Applies a numpy gradient list (from :meth:`compute_gradients`) with the optimizer."""
        import tensorflow as tf

        self._ensure_optimizer_built()
        variables = self.model.trainable_variables()
        if len(gradients) != len(variables):
            raise ValueError(f"apply_gradients got {len(gradients)} gradients; expected {len(variables)} (one per variable)")
        with self._lock:
            self.build_apply_op(self._optimizer, [(tf.convert_to_tensor(np.asarray(g)), v)
                                                  for g, v in zip(gradients, variables)])

    # -- weights and state -----------------------------------------------------------------------------
    def get_weights(self) -> Dict[str, np.ndarray]:
        """``{variable path: numpy array}`` of all model variables."""
        with self._lock:
            return {k: np.asarray(v.numpy()).copy() for k, v in self.model.variables(as_dict=True).items()}

    def set_weights(self, weights: Dict[str, np.ndarray]) -> None:
        """Assigns numpy weights by variable path."""
        own = self.model.variables(as_dict=True)
        missing = sorted(set(own) - set(weights))
        unexpected = sorted(set(weights) - set(own))
        if missing or unexpected:
            raise ValueError(f"set_weights: missing keys {missing}, unexpected keys {unexpected}")
        with self._lock:  # never half-assigned under a compute_actions of a sampling thread
            for k, v in own.items():
                v.assign(np.asarray(weights[k]))

    def get_state(self) -> Dict[str, Any]:
        """Weights, global timestep, exploration state and the optimizer's variables."""
        state = super().get_state()
        self._ensure_optimizer_built()
        opt_vars = list(self._optimizer.variables) if self._optimizer is not None else []
        state["_optimizer_variables"] = [np.asarray(v.numpy()).copy() for v in opt_vars]
        return state

    def set_state(self, state: Dict[str, Any]) -> None:
        """Restores :meth:`get_state`'s output, optimizer variables included."""
        super().set_state(state)
        values = state.get("_optimizer_variables") or []
        self._ensure_optimizer_built()
        if values and self._optimizer is not None:
            opt_vars = list(self._optimizer.variables)
            if len(values) != len(opt_vars):
                raise ValueError(f"policy state has {len(values)} optimizer variables; this optimizer has {len(opt_vars)}")
            for var, val in zip(opt_vars, values):
                var.assign(np.asarray(val))

    def variables(self) -> List[Any]:
        """The model's variables (RLlib's eager-policy accessor)."""
        return self.model.variables()

    def get_session(self) -> None:
        """TF1 graph sessions do not exist in TF2: always ``None`` (RLlib 1.x eager policies too)."""
        return None

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

    # -- export ------------------------------------------------------------------------------------------
    def export_model(self, export_dir: str, onnx: Optional[int] = None) -> str:
        """Writes a SavedModel to ``export_dir`` with a ``serve`` function.

        ``tf.saved_model.load(export_dir).serve(obs)`` returns ``{"outputs": ...}`` (plus
        ``state_out_i`` for recurrent models, then called as ``serve(obs, state, seq_lens)``).
        """
        import tensorflow as tf

        if onnx:
            raise ValueError(f"onnx={onnx!r}: ONNX export is not supported; only SavedModel")
        model = self.model
        init = self.get_initial_state()
        obs_spec = tf.TensorSpec([None, *np.asarray(self.observation_space.sample()).shape], tf.float32, name="obs")
        module = tf.Module()
        module.model_variables = [getattr(v, "value", v) if not isinstance(v, tf.Variable) else v
                                  for v in model.variables()]

        def run(obs, state, seq_lens):
            out, state_out = model({Columns.OBS: obs, "is_training": False}, self._model_state(list(state)), seq_lens)
            if self._state_struct is not None and state_out:
                state_out = self._state_struct.flatten(list(state_out), "the model's state_out")
            result = {"outputs": out}
            for i, s in enumerate(state_out):
                result[f"{Columns.STATE_OUT_PREFIX}{i}"] = s
            return result

        if init:
            state_specs = [tf.TensorSpec([None, *np.asarray(s).shape], tf.float32) for s in init]
            module.serve = tf.function(lambda obs, state, seq_lens: run(obs, list(state), seq_lens),
                                       input_signature=[obs_spec, state_specs, tf.TensorSpec([None], tf.int32)])
        else:
            module.serve = tf.function(lambda obs: run(obs, [], None), input_signature=[obs_spec])
        os.makedirs(export_dir, exist_ok=True)
        with self._lock:
            tf.saved_model.save(module, export_dir)
        return export_dir

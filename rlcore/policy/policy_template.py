"""build_policy_class: make a Policy class for torch or TensorFlow 2 from a loss and optional hooks.

This is RLlib 1.x's policy template. ``build_policy_class(name, framework, loss_fn=..., ...)``
returns a subclass of ``TorchPolicy`` (``framework="torch"``) or ``TFPolicy`` (``"tf"``, ``"tfe"``,
``"tf2"``) whose construction runs, in order: default-config merge, ``validate_spaces``,
``before_init``, model creation (``make_model`` / ``make_model_and_action_dist`` / the
``ModelCatalog``), the framework policy's ``__init__`` (optimizer from ``optimizer_fn``),
``view_requirements_fn``, ``before_loss_init``, one loss + ``stats_fn`` pass on a dummy batch,
``_after_loss_init`` and ``after_init``. ``with_updates(**overrides)`` re-runs the builder with
some arguments replaced.

Examples:
    >>> def loss(policy, model, dist_class, train_batch):
    ...     raise AssertionError("not called in this example")
    >>> MyPolicy = build_policy_class("MyPolicy", "torch", loss_fn=loss)
    >>> MyPolicy.__name__, MyPolicy.with_updates(name="Other").__name__
    ('MyPolicy', 'Other')
"""

from __future__ import annotations

import copy
from typing import Any, Callable, Dict, List, Optional

from rlcore.policy.dummy_batch import make_dummy_batch
from rlcore.policy.policy import LEARNER_STATS_KEY, Policy, known_postprocessing
from rlcore.policy.utils import call_with_accepted_kwargs, to_numpy

__all__ = ["build_policy_class", "DEFAULT_POLICY_CONFIG", "merge_policy_config"]

#: Keys every template policy understands, with RLlib 1.x COMMON_CONFIG defaults.
DEFAULT_POLICY_CONFIG: Dict[str, Any] = {
    "lr": 1e-4,
    "grad_clip": None,
    "explore": True,
    "exploration_config": {"type": "StochasticSampling"},
    "eager_tracing": False,
    "in_evaluation": False,
    "model": {},
    "num_workers": 0,
    "worker_index": 0,
}


def merge_policy_config(defaults: Dict[str, Any], config: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """``config`` over ``defaults``; the ``model`` dicts are merged over ``MODEL_DEFAULTS`` too.

    Examples:
        >>> c = merge_policy_config({"lr": 0.1, "model": {"fcnet_hiddens": [8]}}, {"model": {"use_lstm": True}})
        >>> c["lr"], c["model"]["fcnet_hiddens"], c["model"]["use_lstm"], c["model"]["max_seq_len"]
        (0.1, [8], True, 20)
    """
    from rlcore.models.catalog import MODEL_DEFAULTS

    if config is not None and not isinstance(config, dict):
        raise TypeError(f"config={config!r}: expected a dict")
    out = copy.deepcopy(DEFAULT_POLICY_CONFIG)
    out.update(copy.deepcopy(defaults))
    user = dict(config or {})
    model = copy.deepcopy(MODEL_DEFAULTS)
    model.update(out.get("model") or {})
    model.update(user.pop("model", None) or {})
    out.update(user)
    out["model"] = model
    return out


def _base_class(framework: str) -> type:
    from rlcore.framework import normalize_framework

    fw = normalize_framework(framework)
    if fw == "torch":
        from rlcore.policy.torch_policy import TorchPolicy

        return TorchPolicy
    from rlcore.policy.tf_policy import TFPolicy

    return TFPolicy


def build_policy_class(
    name: str,
    framework: str,
    *,
    loss_fn: Optional[Callable],
    get_default_config: Optional[Callable[[], Dict[str, Any]]] = None,
    postprocess_fn: Optional[Callable] = None,
    stats_fn: Optional[Callable] = None,
    optimizer_fn: Optional[Callable] = None,
    compute_gradients_fn: Optional[Callable] = None,
    gradients_fn: Optional[Callable] = None,
    apply_gradients_fn: Optional[Callable] = None,
    grad_stats_fn: Optional[Callable] = None,
    extra_action_out_fn: Optional[Callable] = None,
    extra_action_fetches_fn: Optional[Callable] = None,
    extra_grad_process_fn: Optional[Callable] = None,
    extra_learn_fetches_fn: Optional[Callable] = None,
    validate_spaces: Optional[Callable] = None,
    before_init: Optional[Callable] = None,
    before_loss_init: Optional[Callable] = None,
    after_init: Optional[Callable] = None,
    _after_loss_init: Optional[Callable] = None,
    make_model: Optional[Callable] = None,
    make_model_and_action_dist: Optional[Callable] = None,
    action_sampler_fn: Optional[Callable] = None,
    action_distribution_fn: Optional[Callable] = None,
    mixins: Optional[List[type]] = None,
    view_requirements_fn: Optional[Callable] = None,
    get_batch_divisibility_req: Optional[Callable] = None,
    obs_include_prev_action_reward: Any = None,
) -> type:
    """Builds a policy class; see the module docstring for the construction order.

    Args:
        name: the class name.
        framework: ``"torch"``, or ``"tf"``/``"tfe"``/``"tf2"``.
        loss_fn: ``(policy, model, dist_class, train_batch) -> loss`` (or a list, one per optimizer).
        get_default_config: ``() -> dict`` merged under the user config.
        postprocess_fn: ``(policy, sample_batch, other_agent_batches, episode) -> sample_batch``.
        stats_fn: ``(policy, train_batch) -> dict`` of learner stats, after the loss.
        optimizer_fn: ``(policy, config) -> optimizer`` (torch: or a list of them).
        compute_gradients_fn: torch ``(policy, batch) -> (grads, info)`` replacing ``compute_gradients``.
        gradients_fn: TF ``(policy, optimizer, loss) -> [(grad, var), ...]``; ``optimizer.compute_gradients(loss, vars)`` works on it.
        apply_gradients_fn: torch ``(policy, gradients)``; TF ``(policy, optimizer, grads_and_vars)``.
        grad_stats_fn: TF ``(policy, train_batch, grads) -> dict``.
        extra_action_out_fn: torch ``(policy, input_dict, state_batches, model, action_dist) -> dict``;
            TF ``(policy) -> dict`` (read ``policy.model`` outputs of the last forward).
        extra_action_fetches_fn: deprecated TF name of ``extra_action_out_fn``.
        extra_grad_process_fn: torch ``(policy, optimizer, loss) -> dict`` after ``backward``.
        extra_learn_fetches_fn: ``(policy) -> dict`` returned next to ``learner_stats``.
        validate_spaces, before_init, before_loss_init, after_init, _after_loss_init:
            ``(policy, obs_space, action_space, config)`` lifecycle hooks.
        make_model: ``(policy, obs_space, action_space, config) -> ModelV2``.
        make_model_and_action_dist: ``(policy, obs_space, action_space, config) -> (model, dist_class)``.
        action_sampler_fn: ``(policy, model, obs_batch, state_batches, explore=, timestep=)
            -> (actions, logp[, state_out])``.
        action_distribution_fn: ``(policy, model, obs_batch, state_batches=, seq_lens=,
            prev_action_batch=, prev_reward_batch=, explore=, timestep=, is_training=)
            -> (dist_inputs, dist_class, state_out)``.
        mixins: classes placed ahead of the base class in the MRO.
        view_requirements_fn: ``(policy) -> {name: ViewRequirement}`` merged into the policy's.
        get_batch_divisibility_req: ``(policy) -> int``.
        obs_include_prev_action_reward: deprecated, ignored (as in RLlib 1.3+).

    Returns:
        The policy class, with ``with_updates(**overrides)`` and ``as_eager()``.
    """
    build_kwargs = dict(locals())
    from rlcore.framework import normalize_framework

    fw = normalize_framework(framework)
    if make_model is not None and make_model_and_action_dist is not None:
        raise ValueError(f"{name}: give make_model or make_model_and_action_dist, not both")
    if extra_action_out_fn is None:
        extra_action_out_fn = extra_action_fetches_fn
    base = _base_class(fw)

    def __init__(self, obs_space, action_space, config):
        config = merge_policy_config(get_default_config() if get_default_config else {}, config)
        config["framework"] = fw
        self.config = config
        if validate_spaces:
            validate_spaces(self, obs_space, action_space, config)
        if before_init:
            before_init(self, obs_space, action_space, config)
        from rlcore.models.catalog import ModelCatalog

        if make_model is not None:
            self.model = make_model(self, obs_space, action_space, config)
            try:
                dist_class = ModelCatalog.get_action_dist(action_space, config["model"], framework=fw)[0]
            except ValueError:
                if not (action_distribution_fn or action_sampler_fn):
                    raise
                dist_class = None  # the hooks bring their own distribution
        elif make_model_and_action_dist is not None:
            self.model, dist_class = make_model_and_action_dist(self, obs_space, action_space, config)
        else:
            dist_class, logit_dim = ModelCatalog.get_action_dist(action_space, config["model"], framework=fw)
            self.model = ModelCatalog.get_model_v2(obs_space, action_space, logit_dim, config["model"], framework=fw)
        _check_model(self.model, fw, name)
        base.__init__(
            self, obs_space, action_space, config,
            model=self.model,
            loss=None if config.get("in_evaluation") else loss_fn,
            action_distribution_class=dist_class,
            action_sampler_fn=action_sampler_fn,
            action_distribution_fn=action_distribution_fn,
            max_seq_len=config["model"].get("max_seq_len", 20),
            get_batch_divisibility_req=get_batch_divisibility_req,
        )
        if view_requirements_fn:
            self.view_requirements.update(view_requirements_fn(self))
        if before_loss_init:
            before_loss_init(self, obs_space, action_space, self.config)
        if self._loss is not None:
            self._initialize_loss_from_dummy_batch()
        if _after_loss_init:
            _after_loss_init(self, obs_space, action_space, self.config)
        if after_init:
            after_init(self, obs_space, action_space, self.config)
        self.global_timestep = 0

    def _initialize_loss_from_dummy_batch(self):
        batch = self.postprocess_trajectory(make_dummy_batch(self, batch_size=32))
        self._dummy_loss_check(batch)

    def postprocess_trajectory(self, sample_batch, other_agent_batches=None, episode=None):
        sample_batch = base.postprocess_trajectory(self, sample_batch, other_agent_batches, episode)
        if postprocess_fn is None:
            return sample_batch
        if fw == "torch":
            import torch

            with torch.no_grad():
                return postprocess_fn(self, sample_batch, other_agent_batches, episode)
        return postprocess_fn(self, sample_batch, other_agent_batches, episode)

    known_postprocessing(postprocess_trajectory, postprocess_fn)  # what the sampler may skip or batch

    def optimizer(self):
        if optimizer_fn is None:
            return base.optimizer(self)
        return optimizer_fn(self, self.config)

    if fw == "torch":
        from rlcore.policy.torch_policy import DEFAULT_OPTIMIZER

        if optimizer_fn is None or getattr(optimizer_fn, DEFAULT_OPTIMIZER, False):
            setattr(optimizer, DEFAULT_OPTIMIZER, True)  # the default Adam: made when first needed

    def extra_action_out(self, *args):
        out = dict(base.extra_action_out(self, *args))
        if extra_action_out_fn is not None:
            extra = extra_action_out_fn(self, *args) if fw == "torch" else extra_action_out_fn(self)
            out.update(extra or {})
        return out

    def extra_grad_process(self, optimizer, loss):
        if extra_grad_process_fn is None:
            return base.extra_grad_process(self, optimizer, loss)
        return extra_grad_process_fn(self, optimizer, loss) or {}

    def extra_compute_grad_fetches(self):
        if extra_learn_fetches_fn is None:
            return base.extra_compute_grad_fetches(self)
        fetches = to_numpy(extra_learn_fetches_fn(self) or {})
        return dict({LEARNER_STATS_KEY: {}}, **fetches)

    def extra_grad_info(self, train_batch):
        if stats_fn is None:
            return base.extra_grad_info(self, train_batch)
        return stats_fn(self, train_batch) or {}

    methods: Dict[str, Any] = {
        "__init__": __init__,
        "_initialize_loss_from_dummy_batch": _initialize_loss_from_dummy_batch,
        "postprocess_trajectory": postprocess_trajectory,
        "optimizer": optimizer,
        "extra_action_out": extra_action_out,
        "_extras_are_default": lambda self: extra_action_out_fn is None and type(self).extra_action_out is extra_action_out,
        "extra_grad_process": extra_grad_process,
        "extra_compute_grad_fetches": extra_compute_grad_fetches,
        "extra_grad_info": extra_grad_info,
    }
    if fw == "torch":
        if compute_gradients_fn is not None:
            methods["compute_gradients"] = lambda self, batch: compute_gradients_fn(self, batch)
        if apply_gradients_fn is not None:
            methods["apply_gradients"] = lambda self, gradients: apply_gradients_fn(self, gradients)
        if compute_gradients_fn is not None or apply_gradients_fn is not None:
            methods["learn_on_batch"] = Policy.learn_on_batch
    else:
        if gradients_fn is not None:
            def gradients(self, optimizer, loss):
                return gradients_fn(self, optimizer, loss)

            methods["gradients"] = gradients
        if apply_gradients_fn is not None:
            def build_apply_op(self, optimizer, grads_and_vars):
                return apply_gradients_fn(self, optimizer, grads_and_vars)

            methods["build_apply_op"] = build_apply_op
        if grad_stats_fn is not None:
            def grad_stats(self, train_batch, grads):
                return call_with_accepted_kwargs(grad_stats_fn, self, train_batch, grads) or {}

            methods["grad_stats"] = grad_stats

    def with_updates(**overrides):
        """A new class built with these builder arguments replaced."""
        kw = dict(build_kwargs)
        kw.update(overrides)
        return build_policy_class(**kw)

    def as_eager():
        """This class (TF2 policies already run eagerly, or traced with ``eager_tracing``)."""
        return cls

    methods["with_updates"] = staticmethod(with_updates)
    methods["as_eager"] = staticmethod(as_eager)
    methods["__doc__"] = f"Policy class {name} built by build_policy_class (framework={fw!r})."
    cls = type(name, tuple(mixins or []) + (base,), methods)
    cls.__qualname__ = name
    return cls


def _check_model(model: Any, fw: str, name: str) -> None:
    if fw == "torch":
        from rlcore.models.torch.torch_modelv2 import TorchModelV2

        if not isinstance(model, TorchModelV2):
            raise TypeError(f"{name}: the model must be a TorchModelV2 for framework='torch', got {type(model).__name__}")
    else:
        from rlcore.models.tf.tf_modelv2 import TFModelV2

        if not isinstance(model, TFModelV2):
            raise TypeError(f"{name}: the model must be a TFModelV2 for framework='tf2', got {type(model).__name__}")

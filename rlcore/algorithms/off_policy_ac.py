"""Pieces shared by the off-policy actor-critic policies (SAC, DDPG, TD3), torch and TF2.

- :func:`actor_bounds`: the range the actor's actions live in: ``[-1, 1]`` per dimension with
  ``normalize_actions`` (the sampler maps them onto the Box's bounds), else the Box's own
  bounds. :class:`BoundedExploration` builds the exploration over that range, so noise is
  clipped and warm-up actions are drawn where the actor's actions live.
- :func:`frozen`: parameters without ``requires_grad`` inside a block (the actor losses' pass
  through the Q networks).
- :class:`SoftTargetUpdate`: ``update_target()`` without ``tau`` moves the target networks by
  the config's ``tau`` (RLlib 1.x); the policies hard-copy once when built (``tau=1.0``).
- :class:`SummedBackward`: one backward pass for all of a torch policy's losses when each loss
  reaches only its own optimizer's parameters (SAC's and DDPG/TD3's losses).
- :class:`TFOptimizerGroups` with :func:`tf_group_gradients` / :func:`tf_apply_groups`: TF2
  policies with one Keras optimizer per loss (actor, critic(s), alpha), each over its own
  variables, as RLlib 1.x's SAC/DDPG TF policies had. Gradients come back in the order of
  ``model.trainable_variables()``, so ``compute_gradients`` / ``apply_gradients`` work as for
  any TF policy. ``grad_clip`` clips each group's gradients by their global norm (as the torch
  policies clip per optimizer).

Examples:
    >>> import gymnasium as gym
    >>> space = gym.spaces.Box(-2.0, 2.0, (1,))
    >>> [b.tolist() for b in actor_bounds(space, {"normalize_actions": True})]
    [[-1.0], [1.0]]
    >>> [b.tolist() for b in actor_bounds(space, {"normalize_actions": False})]
    [[-2.0], [2.0]]
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

__all__ = ["actor_bounds", "BoundedExploration", "SoftTargetUpdate", "SummedBackward", "TFOptimizerGroups",
           "tf_group_gradients", "tf_apply_groups", "check_continuous_space", "frozen"]


def check_continuous_space(action_space: Any, algo: str) -> None:
    """Raises unless ``action_space`` is a bounded, 1-D float Box.

    Examples:
        >>> import gymnasium as gym
        >>> check_continuous_space(gym.spaces.Box(-1, 1, (2, 2)), "DDPG")
        Traceback (most recent call last):
        ...
        ValueError: action space Box(-1.0, 1.0, (2, 2), float32): DDPG needs a 1-D float Box with finite bounds
    """
    import gymnasium as gym

    ok = (isinstance(action_space, gym.spaces.Box) and len(action_space.shape) == 1
          and np.issubdtype(action_space.dtype, np.floating)
          and np.all(np.isfinite(action_space.low)) and np.all(np.isfinite(action_space.high)))
    if not ok:
        raise ValueError(f"action space {action_space!r}: {algo} needs a 1-D float Box with finite bounds")


def actor_bounds(action_space: Any, config: Dict[str, Any]) -> Tuple[np.ndarray, np.ndarray]:
    """``(low, high)`` float32 arrays of the actor's action range (see the module docstring)."""
    shape = action_space.shape
    if config.get("normalize_actions"):
        return -np.ones(shape, np.float32), np.ones(shape, np.float32)
    return np.asarray(action_space.low, np.float32).copy(), np.asarray(action_space.high, np.float32).copy()


@contextlib.contextmanager
def frozen(params: List[Any]) -> Iterator[None]:
    """Turns ``requires_grad`` off for ``params`` inside the block (and back on after it).

    The graph built inside still carries gradients to the block's inputs (the actor's actions)
    but records none for ``params``: SAC's and DDPG/TD3's actor losses read the Q networks this
    way and skip their weight gradients, which the learner would drop anyway (the critic
    optimizers zero their gradients before the critic losses' backward pass). The update is the
    same to the bit; a SAC learn step at batch 256 is ~1.2x faster.

    Examples:
        >>> import torch
        >>> w, x = torch.nn.Parameter(torch.ones(2)), torch.ones(2, requires_grad=True)
        >>> with frozen([w]):
        ...     y = (w * x).sum()
        >>> y.backward(); w.grad is None, x.grad.tolist(), w.requires_grad
        (True, [1.0, 1.0], True)
    """
    flags = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in zip(params, flags):
            p.requires_grad_(flag)


class BoundedExploration:
    """Policy mixin: the exploration sees a Box over :func:`actor_bounds` (``[-1, 1]`` with
    ``normalize_actions``) instead of the env's action space; other spaces are left alone."""

    def _create_exploration(self) -> Any:
        import gymnasium as gym

        from rlcore.policy.exploration.exploration import from_config as exploration_from_config

        if self.exploration is None and isinstance(self.action_space, gym.spaces.Box):
            low, high = actor_bounds(self.action_space, self.config)
            space = gym.spaces.Box(low, high, dtype=np.float32)
            self.exploration = exploration_from_config(
                self.config.get("exploration_config") or {"type": "StochasticSampling"},
                action_space=space, framework=self.framework or "torch", policy_config=self.config,
                model=getattr(self, "model", None), num_workers=self.config.get("num_workers", 0),
                worker_index=self.config.get("worker_index", 0))
        return super()._create_exploration()


class SoftTargetUpdate:
    """Policy mixin (ahead of a ``*TargetNetworkMixin``): ``update_target()`` without ``tau``
    uses ``config["tau"]`` (RLlib 1.x's SAC/DDPG ``update_target(tau=None)``)."""

    def update_target(self, tau: Optional[float] = None) -> None:
        """Moves the target networks by ``tau`` (default ``config["tau"]``; 1.0 copies)."""
        super().update_target(tau=float(self.config["tau"]) if tau is None else tau)


class SummedBackward:
    """Torch policy mixin: the gradients of all losses from one backward pass.

    ``TorchPolicy`` runs one ``backward`` per (optimizer, loss) pair, each after zeroing that
    optimizer's gradients, and keeps the graph alive between them. When every loss reaches only
    its own optimizer's parameters, one ``torch.autograd.backward(losses)`` (the gradient of their
    sum) leaves each parameter the same gradient, to the bit: no parameter gets a contribution
    from a second loss, and no graph node gets gradients from two losses to add in another order.
    ``TorchPolicy._backward`` then runs the autograd engine once, over one graph, without
    ``retain_graph``; this mixin says when that holds (``_summed_backward_applies``).

    The policy class lists the loss functions that have this property in
    ``disjoint_loss_fns`` (SAC: the actor loss reads the critics inside :func:`frozen`, its
    ``alpha`` and the critics' targets are detached, the alpha loss detaches ``log pi``; DDPG/TD3:
    the actor loss reads the critic inside :func:`frozen`, the target is computed without
    gradients; tests compare the gradients with the per-loss passes). Anything else (another loss
    function, a model's ``custom_loss``, an exploration's loss) takes ``TorchPolicy``'s per-loss
    passes. ``grad_clip`` clips each optimizer's gradients as there.
    """

    #: Loss functions whose losses each reach only their own optimizer's parameters.
    disjoint_loss_fns: Tuple[Callable, ...] = ()

    def _summed_backward_applies(self) -> bool:
        """The loss function is one of ``disjoint_loss_fns`` and neither the model nor the
        exploration adds a loss of its own."""
        from rlcore.models.modelv2 import ModelV2
        from rlcore.policy.exploration.exploration import Exploration

        return (any(self._loss is fn for fn in self.disjoint_loss_fns)
                and type(self.model).custom_loss is ModelV2.custom_loss
                and type(self.exploration).get_exploration_loss is Exploration.get_exploration_loss)


class TFOptimizerGroups:
    """TF policy mixin: several Keras optimizers, each over its own variables.

    The policy sets ``self._optimizer_groups = [(optimizer, variables_fn), ...]`` in its
    ``optimizer_fn`` (one group per loss, in the loss order) and returns the first optimizer.
    This mixin builds every optimizer eagerly over its own variables and saves/restores all of
    their variables in ``get_state``/``set_state``.
    """

    _optimizer_groups: List[Tuple[Any, Callable[[], List[Any]]]]

    def _ensure_optimizer_built(self) -> None:
        for opt, variables_fn in getattr(self, "_optimizer_groups", []):
            variables = variables_fn()
            if variables and not getattr(opt, "built", True):
                opt.build(variables)

    def _all_optimizer_variables(self) -> List[Any]:
        self._ensure_optimizer_built()
        return [v for opt, _ in self._optimizer_groups for v in opt.variables]

    def get_state(self) -> Dict[str, Any]:
        state = super().get_state()
        state["_optimizer_variables"] = [np.asarray(v.numpy()).copy() for v in self._all_optimizer_variables()]
        return state

    def set_state(self, state: Dict[str, Any]) -> None:
        state = dict(state)
        values = state.pop("_optimizer_variables", None) or []
        super().set_state(state)
        if values:
            opt_vars = self._all_optimizer_variables()
            if len(values) != len(opt_vars):
                raise ValueError(f"policy state has {len(values)} optimizer variables; this policy's "
                                 f"{len(self._optimizer_groups)} optimizers have {len(opt_vars)}")
            for var, val in zip(opt_vars, values):
                var.assign(np.asarray(val))


def tf_group_gradients(policy: Any, tape: Any, losses: Sequence[Any]) -> List[Tuple[Any, Any]]:
    """``[(grad, var)]`` in ``model.trainable_variables()`` order; each variable's gradient comes
    from the loss of its optimizer group (``grad_clip``: by global norm per group)."""
    import tensorflow as tf

    groups = policy._optimizer_groups
    if len(losses) != len(groups):
        raise ValueError(f"{type(policy).__name__}: the loss returned {len(losses)} losses for "
                         f"{len(groups)} optimizers; expected one loss per optimizer")
    clip = policy.config.get("grad_clip")
    by_var: Dict[int, Any] = {}
    for loss, (_, variables_fn) in zip(losses, groups):
        variables = variables_fn()
        grads = tape.gradient(loss, variables)
        if clip:
            grads, _ = tf.clip_by_global_norm(grads, float(clip))
        by_var.update({id(v): g for v, g in zip(variables, grads)})
    return [(by_var.get(id(v)), v) for v in policy.model.trainable_variables()]


def tf_apply_groups(policy: Any, grads_and_vars: Sequence[Tuple[Any, Any]],
                    conditions: Optional[Sequence[Any]] = None) -> None:
    """Applies each group's gradients with its own optimizer; ``conditions[i]`` (a bool tensor,
    or None for always) gates group ``i`` (TD3's delayed actor updates)."""
    import tensorflow as tf

    grads = {id(v): g for g, v in grads_and_vars if g is not None}
    for i, (opt, variables_fn) in enumerate(policy._optimizer_groups):
        pairs = [(grads[id(v)], v) for v in variables_fn() if id(v) in grads]
        if not pairs:
            continue
        cond = None if conditions is None else conditions[i]
        if cond is None:
            opt.apply_gradients(pairs)
        else:
            def apply(opt=opt, pairs=pairs):
                opt.apply_gradients(pairs)
                return tf.constant(True)

            tf.cond(cond, apply, lambda: tf.constant(False))

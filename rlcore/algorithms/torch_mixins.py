"""Torch pieces shared by the algorithms' policies: the value forward and explained variance.

:class:`TorchValueNetworkMixin` is :class:`~rlcore.algorithms.value_network.ValueNetworkMixin` with
its value forward written for ``TorchPolicy`` (one no-grad model call, then
``model.value_function()``). torch is imported inside the functions, so importing this module
(and the policy classes built with it) stays cheap.

Examples:
    >>> import torch
    >>> round(float(explained_variance(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 2.0, 3.0]))), 3)
    1.0
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np

from rlcore.algorithms.value_network import ValueNetworkMixin
from rlcore.data.columns import Columns
from rlcore.policy.torch_policy import DEFAULT_OPTIMIZER, _inference_mode

__all__ = ["TorchValueNetworkMixin", "TorchTargetNetworkMixin", "adam_optimizer", "explained_variance", "sequence_mask", "masked_mean_fn", "masked_sum_fn"]


def adam_optimizer(policy: Any, config: Dict[str, Any]) -> Any:
    """``torch.optim.Adam`` over the model's parameters with ``config["lr"]``, fused where torch
    can (:func:`rlcore.policy.torch_optim.adam`: one kernel call updates every parameter, which
    PPO's many small minibatch steps feel).

    Examples:
        >>> import torch
        >>> class P: model = torch.nn.Linear(2, 1)
        >>> isinstance(adam_optimizer(P(), {"lr": 0.1}), torch.optim.Adam)
        True
    """
    from rlcore.policy.torch_optim import adam

    return adam(policy.model.parameters(), lr=config["lr"])


setattr(adam_optimizer, DEFAULT_OPTIMIZER, True)  # rlcore's default Adam: a policy makes it when first needed


def explained_variance(y: Any, pred: Any) -> Any:
    """``max(-1, 1 - Var[y - pred] / Var[y])`` as a torch scalar (RLlib's ``explained_variance``).

    Examples:
        >>> import torch
        >>> float(explained_variance(torch.tensor([1.0, 2.0]), torch.tensor([2.0, 1.0])))
        -1.0
    """
    import torch

    def var(x: Any) -> Any:  # population variance; torch.var is ~4x slower for short vectors on CPU
        centered = x - x.mean(dim=0)
        return (centered * centered).mean(dim=0)

    return torch.clamp(1.0 - var(y - pred) / var(y), min=-1.0)


def sequence_mask(seq_lens: Any, max_len: int) -> Any:
    """Boolean ``[B * max_len]`` mask of the valid rows of a batch-major padded batch.

    Examples:
        >>> import torch
        >>> sequence_mask(torch.tensor([2, 1]), 3).tolist()
        [True, True, False, True, False, False]
    """
    import torch

    return (torch.arange(max_len)[None, :] < seq_lens.reshape(-1, 1)).reshape(-1)


def masked_mean_fn(train_batch: Any, num_rows: int) -> Any:
    """``torch.mean``, or a mean over the valid (unpadded) rows when the batch has ``seq_lens``.

    Examples:
        >>> import torch
        >>> f = masked_mean_fn({"seq_lens": torch.tensor([1, 2])}, 4)
        >>> float(f(torch.tensor([1.0, 100.0, 2.0, 3.0])))
        2.0
    """
    import torch

    seq_lens = train_batch.get(Columns.SEQ_LENS) if hasattr(train_batch, "get") else None
    if seq_lens is None:
        return torch.mean
    mask = sequence_mask(seq_lens, num_rows // len(seq_lens))
    num_valid = torch.sum(mask)

    def reduce_mean_valid(t: Any) -> Any:
        return torch.sum(t[mask]) / num_valid

    return reduce_mean_valid


def masked_sum_fn(train_batch: Any, num_rows: int) -> Any:
    """``torch.sum``, or a sum over the valid (unpadded) rows when the batch has ``seq_lens``.

    Examples:
        >>> import torch
        >>> f = masked_sum_fn({"seq_lens": torch.tensor([1, 2])}, 4)
        >>> float(f(torch.tensor([1.0, 100.0, 2.0, 3.0])))
        6.0
    """
    import torch

    seq_lens = train_batch.get(Columns.SEQ_LENS) if hasattr(train_batch, "get") else None
    if seq_lens is None:
        return torch.sum
    mask = sequence_mask(seq_lens, num_rows // len(seq_lens))
    return lambda t: torch.sum(t[mask])


class TorchValueNetworkMixin(ValueNetworkMixin):
    """``ValueNetworkMixin`` for ``TorchPolicy``: values of a batch of observations, no gradient."""

    def _values_np(self, obs: np.ndarray, state_batches: List[np.ndarray],
                   inputs_extra: Optional[Dict[str, np.ndarray]] = None) -> np.ndarray:
        import torch

        with self._lock, _inference_mode():  # the C++ guard, without torch.inference_mode's Python frames
            self.set_training(False)
            inputs = {Columns.OBS: self._tensor(obs), "is_training": False,
                      **{k: self._tensor(v) for k, v in (inputs_extra or {}).items()}}
            state = self._model_state([self._tensor(s) for s in state_batches])  # nested state re-nested
            seq_lens = torch.ones(len(obs), dtype=torch.int32) if state else None
            value_only = getattr(self.model, "value_only", None)  # only the layers the value reads (FCNet)
            values = value_only(inputs, state, seq_lens) if value_only is not None else None
            if values is None:
                self.model(inputs, state, seq_lens)
                values = self.model.value_function()
            return values.numpy().astype(np.float32, copy=False).reshape(-1)


class TorchTargetNetworkMixin:
    """Mixin: a ``target_model`` (set by the policy's ``make_model``) following ``model`` on
    ``update_target()``; ``set_weights`` syncs it too (RLlib 1.x ``TargetNetworkMixin``), so a
    restored policy starts with equal networks.

    ``update_target(tau)`` with ``0 < tau < 1`` is a soft (Polyak) update instead:
    ``target = tau * model + (1 - tau) * target`` for every floating-point parameter and buffer
    (other buffers are copied), rounded as RLlib 1.x's ``tau * model + (1 - tau) * target`` per
    tensor: ``fl(fl(tau * m) + fl((1 - tau) * t))``, bit for bit, as three ``torch._foreach_*``
    calls over the (target, model) tensor lists. The lists are gathered once per pair of models
    (``state_dict(keep_vars=True)``: the tensors themselves, which ``load_state_dict`` /
    ``set_weights`` update in place); a tensor under two names (tied weights) is in them once, and
    networks where distinct tensors share memory compute every new value before writing any.

    Examples:
        >>> import torch
        >>> class P(TorchTargetNetworkMixin):
        ...     model, target_model = torch.nn.Linear(2, 1), torch.nn.Linear(2, 1)
        >>> p = P(); p.update_target(); bool(torch.equal(p.model.weight, p.target_model.weight))
        True
        >>> with torch.no_grad(): _ = p.model.bias.fill_(1.0), p.target_model.bias.fill_(0.0)
        >>> p.update_target(tau=0.25); float(p.target_model.bias[0])
        0.25
    """

    def update_target(self, tau: Optional[float] = None) -> None:
        """Copies the model's weights (parameters and buffers) into the target model, or moves
        them a fraction ``tau`` towards it (see the class docstring).

        Args:
            tau: ``None`` or ``1.0`` for a hard copy; else a value in ``(0, 1)``.
        """
        import torch

        if tau is None or tau == 1.0:
            with torch.no_grad():
                self.target_model.load_state_dict(self.model.state_dict())
            return
        if not 0.0 < tau < 1.0:
            raise ValueError(f"update_target: tau={tau!r}: expected None or a value in (0, 1]")
        plan = self._soft_update_plan()
        tau = float(tau)
        with torch.no_grad():
            if plan.aliased:  # all new values first: writing one tensor would change another's
                new = [tau * o + (1.0 - tau) * t for o, t in zip(plan.owns, plan.targets)]
                for t, v in zip(plan.targets, new):
                    t.copy_(v)
            else:
                scaled = torch._foreach_mul(plan.owns, tau)
                torch._foreach_mul_(plan.targets, 1.0 - tau)
                torch._foreach_add_(plan.targets, scaled)
            for t, v in plan.copies:
                t.copy_(v)

    def _soft_update_plan(self) -> "_SoftUpdatePlan":
        """The cached :class:`_SoftUpdatePlan` of this pair of models."""
        key = (id(self.model), id(self.target_model))
        plan = self.__dict__.get("_soft_update_cache")
        if plan is None or plan.key != key:
            plan = self.__dict__["_soft_update_cache"] = _SoftUpdatePlan(key, self.model, self.target_model)
        return plan

    def set_weights(self, weights: Dict[str, np.ndarray]) -> None:
        super().set_weights(weights)
        self.update_target(tau=1.0)


class _SoftUpdatePlan:
    """What :meth:`TorchTargetNetworkMixin.update_target` updates for one (model, target) pair.

    ``owns`` / ``targets``: the floating-point tensors, a tensor under two names once;
    ``aliased``: whether distinct target tensors share memory; ``copies``: ``(target, model)``
    tensors copied (integer buffers).

    Examples:
        >>> import torch
        >>> a, b = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
        >>> plan = _SoftUpdatePlan((0, 0), a, b)
        >>> [tuple(t.shape) for t in plan.targets], plan.aliased, plan.copies
        ([(2, 3), (2,)], False, [])
    """

    def __init__(self, key: tuple, model: Any, target_model: Any):
        own = model.state_dict(keep_vars=True)
        target = target_model.state_dict(keep_vars=True)
        if own.keys() != target.keys():
            raise ValueError(f"update_target: the model and the target model differ in their weights "
                             f"({sorted(set(own) ^ set(target))}); expected the same architecture")
        self.key = key
        seen: set = set()
        floats = []
        for k in own:  # a tensor under two names (tied weights) is updated once
            if target[k].is_floating_point() and id(target[k]) not in seen:
                seen.add(id(target[k]))
                floats.append(k)
        self.copies = [(target[k], own[k]) for k in own if not target[k].is_floating_point()]
        self.owns, self.targets = [own[k] for k in floats], [target[k] for k in floats]
        sized = [t for t in self.targets if t.numel()]
        self.aliased = len({t.data_ptr() for t in sized}) != len(sized)

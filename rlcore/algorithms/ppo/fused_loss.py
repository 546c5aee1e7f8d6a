"""PPO's loss for a categorical policy as one autograd node, computed by the compiled core.

Built from torch ops, PPO's loss is ~40 small ops (the log-softmax of the new and the old logits,
the ratio, the clipped surrogate, the KL, the entropy, the clipped value loss, the means). At the
batch sizes of minibatch SGD (128 rows) each op costs several microseconds of dispatch, and the
same again as an autograd node in ``backward``: the loss's own ops cost more than the forward and
backward of a 64-64 policy and value network together. Here the loss, its statistics and its
gradient with respect to the logits and the value predictions come from one pass of the native
kernel ``ppo_categorical_loss`` (its numpy twin without the compiled core), wrapped in a
``torch.autograd.Function``: the network's graph ends in a single node whose backward hands back
the precomputed gradients (scaled by the incoming gradient).

The kernel's gradients are the ones autograd computes through the same formulas, down to torch's
rule for ``min``/``max`` ties (the half sum), so the two paths agree to float rounding (the tests
compare losses, statistics and parameter gradients). ``PPOTorchPolicy`` takes this path for the
exact ``TorchCategorical`` class (temperature 1, actions from 0) on float32 CPU tensors; anything
else goes through the graph of torch ops.

Examples:
    >>> import torch
    >>> z = torch.zeros(2, 2, requires_grad=True)
    >>> v = torch.zeros(2, requires_grad=True)
    >>> total, stats = ppo_categorical_loss(
    ...     z, v, actions=torch.tensor([0, 1]), logp_old=torch.log(torch.tensor([0.5, 0.5])),
    ...     logits_old=torch.zeros(2, 2), advantages=torch.tensor([1.0, 0.5]),
    ...     vf_preds=torch.zeros(2), value_targets=torch.tensor([1.0, 2.0]), weights=None,
    ...     clip_param=0.3, kl_coeff=0.2, entropy_coeff=0.0, vf_loss_coeff=1.0, vf_clip_param=10.0)
    >>> round(total.item(), 4), [round(x, 4) for x in stats.tolist()]
    (1.75, [-0.75, 2.5, 0.0, 0.6931, 0.0])
    >>> total.backward(); z.grad.tolist(), v.grad.tolist()
    ([[-0.25, 0.25], [0.125, -0.125]], [-1.0, -2.0])
"""

from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np
import torch
from torch.autograd.function import once_differentiable

from rlcore import _backend

__all__ = ["ppo_categorical_loss", "fused_loss_applies", "STAT_NAMES"]

#: The order of the statistics tensor returned next to the loss.
STAT_NAMES = ("policy_loss", "vf_loss", "kl", "entropy", "vf_explained_var")


def fused_loss_applies(logits: torch.Tensor) -> bool:
    """Whether :func:`ppo_categorical_loss` takes these logits: ``[N, K]`` float32 on the CPU.

    Examples:
        >>> fused_loss_applies(torch.zeros(3, 2)), fused_loss_applies(torch.zeros(3, 2, dtype=torch.float64))
        (True, False)
    """
    return logits.dim() == 2 and logits.dtype == torch.float32 and logits.device.type == "cpu"


def _array(t: Any, dtype: Any = np.float32) -> Optional[np.ndarray]:
    """A C-contiguous numpy view of a CPU tensor (a copy only for another dtype or layout)."""
    if t is None:
        return None
    if isinstance(t, torch.Tensor):
        a = t.detach().numpy() if t.requires_grad else t.numpy()
    else:
        a = np.asarray(t)
    return a if a.dtype == dtype and a.flags.c_contiguous else np.ascontiguousarray(a, dtype=dtype)


class _PPOCategoricalLoss(torch.autograd.Function):
    """``(total, stats)`` from the kernel; ``backward`` scales the kernel's gradients."""

    @staticmethod
    def forward(ctx: Any, logits: torch.Tensor, values: Optional[torch.Tensor], inputs: tuple,
                coeffs: tuple) -> Tuple[torch.Tensor, torch.Tensor]:
        actions, logp_old, logits_old, advantages, vf_preds, value_targets, weights = inputs
        stats, grad_logits, grad_values = _backend.ppo_categorical_loss(
            _array(logits), _array(logits_old), _array(actions, np.int64), _array(logp_old), _array(advantages),
            _array(values), _array(vf_preds), _array(value_targets), _array(weights), *coeffs)
        ctx.grads = (torch.from_numpy(grad_logits), None if grad_values is None else torch.from_numpy(grad_values))
        total = torch.from_numpy(np.array(stats[0], np.float32))  # ~4x cheaper than torch.tensor(...)
        stats = torch.from_numpy(stats[1:].astype(np.float32))
        ctx.mark_non_differentiable(stats)
        return total, stats

    @staticmethod
    @once_differentiable  # the gradients are precomputed: a second derivative would be wrong, so it raises
    def backward(ctx: Any, grad_total: torch.Tensor, _grad_stats: Any) -> tuple:
        grad_logits, grad_values = ctx.grads
        if grad_total.item() != 1.0:  # the usual call is total.backward(): no scaling needed
            grad_logits = grad_logits * grad_total
            grad_values = None if grad_values is None else grad_values * grad_total
        return grad_logits, grad_values, None, None


def ppo_categorical_loss(logits: torch.Tensor, values: Optional[torch.Tensor], *, actions: Any, logp_old: Any,
                         logits_old: Any, advantages: Any, vf_preds: Any, value_targets: Any, weights: Any,
                         clip_param: float, kl_coeff: float, entropy_coeff: float, vf_loss_coeff: float,
                         vf_clip_param: float) -> Tuple[torch.Tensor, torch.Tensor]:
    """PPO's total loss for a categorical policy and its statistics, differentiable in ``logits``
    and ``values`` (RLlib 1.x's formulas; see ``ppo_categorical_loss`` in ``rlcore/_core.pyi``).

    Args:
        logits: ``[N, K]`` float32 CPU action logits of the current policy.
        values: ``[N]`` value predictions of the current model, or ``None`` (no critic).
        actions: ``[N]`` integer actions taken (``0 .. K-1``).
        logp_old: ``[N]`` log-probabilities of ``actions`` when sampled.
        logits_old: ``[N, K]`` logits when sampled (``action_dist_inputs``).
        advantages: ``[N]`` advantages.
        vf_preds: ``[N]`` value predictions when sampled (with ``values``).
        value_targets: ``[N]`` value targets (with ``values``).
        weights: ``[N]`` row weights summing to 1 (the valid rows of a padded recurrent batch), or
            ``None`` for the plain mean.
        clip_param, kl_coeff, entropy_coeff, vf_loss_coeff, vf_clip_param: PPO's coefficients.

    Returns:
        ``(total_loss, stats)``: ``stats`` is a float32 tensor outside the graph with the entries
        of :data:`STAT_NAMES` (``vf_loss`` and ``vf_explained_var`` are 0 without a critic).

    Raises:
        ValueError: For logits that are not ``[N, K]`` float32 on the CPU, mismatched lengths, or
            an action outside ``[0, K)``.
    """
    if not fused_loss_applies(logits):
        raise ValueError(f"ppo_categorical_loss: logits of shape {tuple(logits.shape)}, dtype {logits.dtype} on "
                         f"{logits.device}; expected [N, num_actions] float32 on the CPU")
    if values is not None and (vf_preds is None or value_targets is None):
        raise ValueError("ppo_categorical_loss: values given without vf_preds and value_targets")
    coeffs = (float(clip_param), float(kl_coeff), float(entropy_coeff), float(vf_loss_coeff), float(vf_clip_param))
    return _PPOCategoricalLoss.apply(logits, values, (actions, logp_old, logits_old, advantages, vf_preds,
                                                      value_targets, weights), coeffs)

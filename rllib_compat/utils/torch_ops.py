"""RLlib 1.x import path ``ray.rllib.utils.torch_ops``: torch helpers of 1.x policies and models.

As in RLlib 1.x, importing this module imports torch (through ``try_import_torch``).
``FLOAT_MIN``/``FLOAT_MAX`` are the finite stand-ins for -inf/+inf logits (action masking);
``convert_to_torch_tensor`` turns nested numpy structures (also
:class:`~rlcore.models.repeated.RepeatedValues`) into float32-or-integer tensors;
``sequence_mask`` is ``tf.sequence_mask`` for torch; the rest are the 1.x losses and gradient
helpers. ``explained_variance`` is rlcore's own (the one its PPO and A2C report).

Examples:
    >>> import torch
    >>> sequence_mask(torch.tensor([1, 3]), 4).tolist()
    [[True, False, False, False], [True, True, True, False]]
    >>> convert_to_torch_tensor({"obs": np.zeros((2, 3))})["obs"].dtype
    torch.float32
    >>> float(huber_loss(torch.tensor(3.0)))
    2.5
"""

from __future__ import annotations

import warnings
from typing import Any, Dict, List, Optional

import numpy as np

from rlcore.algorithms.torch_mixins import explained_variance
from rlcore.models.repeated import RepeatedValues
from rllib_compat.utils._tree import map_structure
from rllib_compat.utils.framework import try_import_torch

torch, nn = try_import_torch()

__all__ = [
    "FLOAT_MAX", "FLOAT_MIN", "Swish", "apply_grad_clipping", "atanh", "convert_to_non_torch_type",
    "convert_to_torch_tensor", "explained_variance", "global_norm", "huber_loss", "l2_loss", "minimize_and_clip",
    "one_hot", "reduce_mean_ignore_inf", "sequence_mask", "softmax_cross_entropy_with_logits",
]

#: Logit values close to -inf/+inf that keep gradients finite (RLlib 1.x).
FLOAT_MIN = -3.4e38
FLOAT_MAX = 3.4e38
_SMALL_NUMBER = 1e-6


def apply_grad_clipping(policy: Any, optimizer: Any, loss: Any) -> Dict[str, Any]:
    """Clips the gradients already in ``optimizer``'s parameters to ``policy.config["grad_clip"]``.

    Returns:
        ``{"grad_gnorm": norm before clipping}`` (over the parameters that have a gradient),
        or ``{}`` when ``grad_clip`` is not set.

    Examples:
        >>> lin = torch.nn.Linear(2, 1)
        >>> opt = torch.optim.SGD(lin.parameters(), lr=0.1)
        >>> (lin(torch.ones(1, 2)).sum() * 100).backward()
        >>> class P: config = {"grad_clip": 1.0}
        >>> info = apply_grad_clipping(P(), opt, None)
        >>> round(float(info["grad_gnorm"]), 1), round(float(torch.cat([p.grad.flatten() for p in lin.parameters()]).norm()), 3)
        (173.2, 1.0)
    """
    info: Dict[str, Any] = {}
    clip = policy.config.get("grad_clip")
    if not clip:
        return info
    params = [p for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
    if params:
        info["grad_gnorm"] = nn.utils.clip_grad_norm_(params, clip).detach().cpu().numpy()
    return info


def atanh(x: Any) -> Any:
    """``atanh(x)``, with ``1 ± x`` kept above a small number (finite at ±1, RLlib 1.x)."""
    return 0.5 * torch.log((1 + x).clamp(min=_SMALL_NUMBER) / (1 - x).clamp(min=_SMALL_NUMBER))


def convert_to_non_torch_type(stats: Any) -> Any:
    """``stats`` (nested) with torch tensors as numpy arrays, 0-d tensors as Python numbers.

    Examples:
        >>> convert_to_non_torch_type({"a": torch.tensor(2.0), "b": [torch.zeros(2)]})
        {'a': 2.0, 'b': [array([0., 0.], dtype=float32)]}
    """

    def mapping(item: Any) -> Any:
        if isinstance(item, torch.Tensor):
            return item.cpu().item() if item.dim() == 0 else item.detach().cpu().numpy()
        return item

    return map_structure(mapping, stats)


def convert_to_torch_tensor(x: Any, device: Any = None) -> Any:
    """``x`` (nested) with every leaf a torch tensor (on ``device`` when given).

    float64 becomes float32; tensors are moved to ``device``; object arrays (e.g. infos) stay as
    they are; :class:`RepeatedValues` keep their type with converted values.
    """

    def mapping(item: Any) -> Any:
        if torch.is_tensor(item):
            return item if device is None else item.to(device)
        if isinstance(item, RepeatedValues):
            return RepeatedValues(map_structure(mapping, item.values), item.lengths, item.max_len)
        if isinstance(item, np.ndarray) and item.dtype == object:
            return item
        array = np.asarray(item)
        with warnings.catch_warnings():  # read-only arrays (e.g. from ray.get) warn on from_numpy
            warnings.simplefilter("ignore")
            tensor = torch.from_numpy(array)
        if tensor.dtype == torch.double:
            tensor = tensor.float()
        return tensor if device is None else tensor.to(device)

    return map_structure(mapping, x)


def global_norm(tensors: List[Any]) -> Any:
    """``sqrt(sum over tensors and elements of t**2)``.

    Examples:
        >>> float(global_norm([torch.tensor([3.0]), torch.tensor([4.0])]))
        5.0
    """
    return torch.sqrt(sum(torch.sum(t.pow(2.0)) for t in tensors))


def huber_loss(x: Any, delta: float = 1.0) -> Any:
    """Elementwise Huber loss: ``x**2 / 2`` below ``delta``, ``delta * (|x| - delta / 2)`` above."""
    return torch.where(torch.abs(x) < delta, torch.pow(x, 2.0) * 0.5, delta * (torch.abs(x) - 0.5 * delta))


def l2_loss(x: Any) -> Any:
    """``sum(x**2) / 2`` (``tf.nn.l2_loss``).

    Examples:
        >>> float(l2_loss(torch.tensor([1.0, 2.0])))
        2.5
    """
    return torch.sum(torch.pow(x, 2.0)) / 2.0


def minimize_and_clip(optimizer: Any, clip_val: float = 10) -> None:
    """Clips each parameter's gradient (in ``optimizer``'s groups) to norm ``clip_val``, in place."""
    for group in optimizer.param_groups:
        for p in group["params"]:
            if p.grad is not None:
                nn.utils.clip_grad_norm_(p, clip_val)


def one_hot(x: Any, space: Any) -> Any:
    """One-hot encodes ``x`` for a ``Discrete`` or ``MultiDiscrete`` space.

    Raises:
        ValueError: for any other space, naming it.

    Examples:
        >>> import gymnasium as gym
        >>> one_hot(torch.tensor([[1, 0]]), gym.spaces.MultiDiscrete([2, 3])).tolist()
        [[0, 1, 1, 0, 0]]
    """
    import gymnasium as gym

    if isinstance(space, gym.spaces.Discrete):
        return nn.functional.one_hot(x.long(), int(space.n))
    if isinstance(space, gym.spaces.MultiDiscrete):
        return torch.cat([nn.functional.one_hot(x[:, i].long(), int(n)) for i, n in enumerate(space.nvec)], dim=-1)
    raise ValueError(f"Unsupported space for `one_hot`: {space}; expected Discrete or MultiDiscrete")


def reduce_mean_ignore_inf(x: Any, axis: int) -> Any:
    """Mean over ``axis`` of the values that are neither -inf nor below ``FLOAT_MIN``.

    Examples:
        >>> float(reduce_mean_ignore_inf(torch.tensor([1.0, 3.0, float("-inf")]), 0))
        2.0
    """
    mask = torch.ne(x, float("-inf")) & torch.gt(x, FLOAT_MIN)
    x_zeroed = torch.where(mask, x, torch.zeros_like(x))
    return torch.sum(x_zeroed, axis) / torch.sum(mask.float(), axis)


def sequence_mask(lengths: Any, maxlen: Optional[int] = None, dtype: Any = None, time_major: bool = False) -> Any:
    """``tf.sequence_mask`` for torch: ``mask[b, t] = t < lengths[b]`` (``[T, B]`` when ``time_major``).

    Args:
        lengths: ``[B]`` integer tensor.
        maxlen: ``T`` (default: ``max(lengths)``).
        dtype: The mask's dtype (default ``torch.bool``).
        time_major: Return ``[T, B]`` instead of ``[B, T]``.
    """
    if maxlen is None:
        maxlen = int(lengths.max())
    mask = torch.arange(int(maxlen), device=lengths.device)[None, :] < lengths.reshape(-1, 1)
    if time_major:
        mask = mask.t()
    return mask.to(dtype or torch.bool)


def softmax_cross_entropy_with_logits(logits: Any, labels: Any) -> Any:
    """``tf.nn.softmax_cross_entropy_with_logits`` for torch: ``-sum(labels * log_softmax(logits), -1)``.

    Examples:
        >>> round(float(softmax_cross_entropy_with_logits(torch.zeros(1, 2), torch.tensor([[1.0, 0.0]]))[0]), 4)
        0.6931
    """
    return torch.sum(-labels * nn.functional.log_softmax(logits, -1), -1)


class Swish(nn.Module if nn is not None else object):  # type: ignore[misc]
    """``x * sigmoid(beta * x)`` with a learned ``beta`` (initially 1).

    Examples:
        >>> float(Swish()(torch.tensor(0.0)).detach())
        0.0
    """

    def __init__(self):
        super().__init__()
        self._beta = nn.Parameter(torch.tensor(1.0))

    def forward(self, input_tensor: Any) -> Any:
        return input_tensor * torch.sigmoid(self._beta * input_tensor)

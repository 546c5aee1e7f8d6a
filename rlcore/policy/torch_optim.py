"""The default optimizer of rlcore's torch policies: a ``torch.optim.Adam``, fused where torch can.

:func:`adam` returns an :class:`Adam`: a ``torch.optim.Adam`` subclass that runs torch's own
methods and update kernels, so ``torch.optim.lr_scheduler``, optimizer hooks,
``state_dict``/``load_state_dict`` and users' ``optimizer_fn`` expectations all hold. It passes
``fused=True`` when every parameter is a floating-point CPU or CUDA tensor: torch's default for
CPU tensors is a Python loop over the parameters, which PPO's hundreds of small minibatch steps per
iteration feel (measured on PPO's two 4-64-64 networks, one thread: about 0.3-0.4 ms per step with
the default, 0.2-0.3 ms with ``foreach=True``, 0.07 ms fused).

What the subclass leaves out is torch's ``torch._dynamo`` bookkeeping while dynamo is not loaded.
torch wraps ``Optimizer.step`` to mark graph breaks and ``zero_grad``, ``state_dict``,
``load_state_dict`` and ``add_param_group`` to keep dynamo from tracing them; both wrappers import
``torch._dynamo`` on their first call (with sympy and parts of inductor: about 75 MB resident and
0.85-1.1 s on this machine) in every process that builds a learning policy, only to mark code that
nothing traces. :class:`Adam` calls the undecorated methods until ``torch._dynamo`` is imported
(nothing can be compiling before), and torch's decorated ones from then on, so under
``torch.compile`` it is torch's Adam unchanged.

Examples:
    >>> import torch
    >>> layer = torch.nn.Linear(2, 1)
    >>> opt = adam(layer.parameters(), lr=0.1)
    >>> isinstance(opt, torch.optim.Adam), opt.defaults["fused"]
    (True, True)
    >>> layer(torch.ones(1, 2)).sum().backward()
    >>> opt.step()
    >>> opt.state_dict()["param_groups"][0]["lr"], len(opt.state_dict()["state"])
    (0.1, 2)
"""

from __future__ import annotations

import inspect
import sys
from typing import Any, Callable, Iterable

import torch
from torch.optim.optimizer import _use_grad_for_differentiable

#: Devices whose fused Adam kernel torch has shipped for several releases.
_FUSED_DEVICES = ("cpu", "cuda")

#: torch's Adam step undecorated, and with its grad-mode wrapper but without its hooks wrapper
#: (the subclass's own step gets that one from torch).
_RAW_STEP = inspect.unwrap(torch.optim.Adam.step)
_TORCH_STEP = _use_grad_for_differentiable(_RAW_STEP)


def _dynamo_loaded() -> bool:
    return "torch._dynamo" in sys.modules


def _without_dynamo_import(method: Callable) -> Callable:
    """``method`` (a ``torch._disable_dynamo``-wrapped Optimizer method) that calls torch's
    undecorated body while ``torch._dynamo`` is not imported."""
    raw = inspect.unwrap(method)

    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        return (method if _dynamo_loaded() else raw)(self, *args, **kwargs)

    call.__name__, call.__qualname__ = raw.__name__, f"Adam.{raw.__name__}"
    call.__doc__ = f"torch's ``Optimizer.{raw.__name__}`` (its documentation applies)."
    call.torch_method = method  # what it stands for (``_zero_grad`` of the torch policy reads it)
    return call


class Adam(torch.optim.Adam):
    """``torch.optim.Adam`` that does not import ``torch._dynamo`` before something else does.

    Same constructor, state, kernels and results as ``torch.optim.Adam`` (the module docstring
    says what differs: only when the import happens).

    Examples:
        >>> import sys
        >>> p = torch.nn.Parameter(torch.ones(3))
        >>> opt = Adam([p], lr=0.5, fused=True)
        >>> p.grad = torch.ones(3)
        >>> opt.step()
        >>> round(float(p.detach()[0]), 4)
        0.5
    """

    add_param_group = _without_dynamo_import(torch.optim.Optimizer.add_param_group)
    zero_grad = _without_dynamo_import(torch.optim.Optimizer.zero_grad)
    state_dict = _without_dynamo_import(torch.optim.Optimizer.state_dict)
    load_state_dict = _without_dynamo_import(torch.optim.Optimizer.load_state_dict)

    def step(self, closure: Any = None) -> Any:
        """One Adam update (torch's ``Adam.step``)."""
        if _dynamo_loaded():
            return _TORCH_STEP(self, closure)
        prev = torch.is_grad_enabled()
        torch.set_grad_enabled(self.defaults["differentiable"])
        try:
            return _RAW_STEP(self, closure)
        finally:
            torch.set_grad_enabled(prev)


def adam(params: Iterable[torch.Tensor], lr: float, **kwargs: Any) -> Adam:
    """``Adam(params, lr=lr, **kwargs)``, with ``fused=True`` unless ``kwargs`` choose
    ``fused``/``foreach`` or a parameter is not a floating-point CPU/CUDA tensor.

    Args:
        params: The tensors to optimize (one parameter group).
        lr: The learning rate.
        **kwargs: Any other ``torch.optim.Adam`` argument.

    Examples:
        >>> adam([torch.nn.Parameter(torch.ones(2, dtype=torch.float64))], lr=0.1).defaults["fused"]
        True
        >>> adam([torch.nn.Parameter(torch.ones(2))], lr=0.1, foreach=True).defaults["fused"] is None
        True
    """
    params = list(params)
    if "fused" not in kwargs and "foreach" not in kwargs and params and all(
            p.is_floating_point() and p.device.type in _FUSED_DEVICES for p in params):
        kwargs["fused"] = True
    return Adam(params, lr=lr, **kwargs)


__all__ = ["Adam", "adam"]

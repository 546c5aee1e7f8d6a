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

A step also costs less Python (one 4-64-64-2 network, one thread: torch's fused step 47 us, this
one 18 us; torch policies take one step per minibatch, SAC three per env step). torch wraps every
optimizer's ``step`` in a profiler scope and its step hooks, and its Adam rebuilds its parameter,
gradient and state lists on every step before the one fused kernel call. :class:`Adam` goes
through torch's wrapper only when there is something for it to do: a step hook registered (global
or on the optimizer), the autograd profiler on, or ``torch._dynamo`` loaded. When every parameter
has a dense gradient and its state, and the group is fused on CPU without ``amsgrad``, it calls
torch's fused kernel with the lists itself: the same kernel, the same arguments, the same bits.
Anything else (a first step, a parameter without a gradient, a tensor ``lr``, a grad scaler) takes
torch's own step.

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
from torch.optim.optimizer import _global_optimizer_post_hooks, _global_optimizer_pre_hooks, _use_grad_for_differentiable

#: Devices whose fused Adam kernel torch has shipped for several releases.
_FUSED_DEVICES = ("cpu", "cuda")

#: torch's Adam step undecorated, and with its grad-mode wrapper but without its hooks wrapper.
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
        """One Adam update (torch's ``Adam.step``, with its step hooks and profiler scope)."""
        if type(self).step is not Adam.step:  # a subclass's step (torch wraps it in the hooks) called this
            return self._update(closure)
        if (_global_optimizer_pre_hooks or _global_optimizer_post_hooks or self._optimizer_step_pre_hooks
                or self._optimizer_step_post_hooks or _dynamo_loaded() or torch._C._autograd._profiler_enabled()):
            return _HOOKED_UPDATE(self) if closure is None else _HOOKED_UPDATE(self, closure)  # as torch's call
        out = self._update(closure)
        self._optimizer_step_code()
        return out

    step.hooked = True  # torch's Optimizer.__init__ leaves it unwrapped: it calls torch's wrapper itself

    def _update(self, closure: Any = None) -> Any:
        """torch's ``Adam.step`` body: the fused kernel directly when :meth:`_fused_lists` allows."""
        if _dynamo_loaded():
            return _TORCH_STEP(self, closure)
        if closure is None:
            lists = self._fused_lists()
            if lists is not None:
                for group, (params, grads, exp_avgs, exp_avg_sqs, steps) in zip(self.param_groups, lists):
                    if params:
                        beta1, beta2 = group["betas"]
                        torch._foreach_add_(steps, 1)
                        (torch._fused_adamw_ if group["decoupled_weight_decay"] else torch._fused_adam_)(
                            params, grads, exp_avgs, exp_avg_sqs, [], steps, amsgrad=False, lr=group["lr"],
                            beta1=beta1, beta2=beta2, weight_decay=group["weight_decay"], eps=group["eps"],
                            maximize=group["maximize"], grad_scale=None, found_inf=None)
                return None
        prev = torch.is_grad_enabled()
        torch.set_grad_enabled(self.defaults["differentiable"])
        try:
            return _RAW_STEP(self, closure)
        finally:
            torch.set_grad_enabled(prev)

    def _fused_lists(self) -> Any:
        """Per group ``(params, grads, exp_avgs, exp_avg_sqs, steps)`` for torch's fused CPU kernel,
        or ``None`` when torch's step must run: a group not fused, with ``amsgrad``, ``capturable``
        or ``differentiable``, tensor ``lr`` or betas; a parameter with a sparse gradient, or with
        a gradient but no state yet, not on the CPU or of another dtype than the group's first; a
        grad scaler's ``grad_scale`` / ``found_inf`` set on the optimizer. Parameters without a
        gradient are left out, as torch's step leaves them."""
        if getattr(self, "grad_scale", None) is not None or getattr(self, "found_inf", None) is not None:
            return None
        state = self.state
        out = []
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            if (not group["fused"] or group["foreach"] or group["amsgrad"] or group["capturable"] or group["differentiable"]
                    or type(group["lr"]) is not float or type(beta1) is not float or type(beta2) is not float):
                return None
            params, grads, exp_avgs, exp_avg_sqs, steps = lists = [], [], [], [], []
            dtype = None
            for p in group["params"]:
                grad = p.grad
                if grad is None:  # torch's step skips it too
                    continue
                s = state.get(p)
                if not s or grad.is_sparse or not p.is_cpu or (dtype is not None and p.dtype != dtype):
                    return None
                dtype = p.dtype
                params.append(p)
                grads.append(grad)
                exp_avgs.append(s["exp_avg"])
                exp_avg_sqs.append(s["exp_avg_sq"])
                steps.append(s["step"])
            out.append(lists)
        return out


#: torch's step wrapper (profiler scope, global and per-optimizer step hooks) around Adam's update,
#: as torch would wrap the step of an optimizer class that does not mark it ``hooked``.
_HOOKED_UPDATE = torch.optim.Optimizer.profile_hook_step(Adam._update)


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

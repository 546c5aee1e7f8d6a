"""Adam for torch policies, without ``torch.optim``: the default optimizer of rlcore's torch policies.

Why not ``torch.optim.Adam``: constructing the first ``torch.optim`` optimizer in a process imports
``torch._dynamo`` (its ``_disable_dynamo`` wrappers), about 1.5 s here, paid by every trainer and
every Ray worker that learns; and its ``step`` has per-call Python overhead that PPO's hundreds of
small minibatch steps per iteration feel. This class keeps ``torch.optim.Adam``'s default update
(``amsgrad=False``, L2 ``weight_decay``) and runs it with torch's own fused CPU kernel
(``torch._fused_adam_``, or ``_foreach`` ops where that kernel is missing). Its ``state_dict`` has
``torch.optim.Adam``'s format, so optimizer state moves between the two.

Users may still return any ``torch.optim`` optimizer from ``optimizer_fn``.

Examples:
    >>> import torch
    >>> layer = torch.nn.Linear(2, 1)
    >>> opt = Adam(layer.parameters(), lr=0.1)
    >>> layer(torch.ones(1, 2)).sum().backward()
    >>> opt.step()
    >>> opt.state_dict()["param_groups"][0]["lr"], len(opt.state_dict()["state"])
    (0.1, 2)
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Optional

import torch

_FUSED = hasattr(torch, "_fused_adam_")


class Adam:
    """``torch.optim.Adam`` (default settings) without ``torch.optim``; see the module docstring.

    Args:
        params: Parameters (tensors) to optimize.
        lr: Learning rate (``param_groups[0]["lr"]`` may be changed between steps).
        betas: Coefficients of the running averages of the gradient and its square.
        eps: Added to the denominator.
        weight_decay: L2 penalty.
    """

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 1e-3, betas: tuple = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0):
        for name, value, low in (("lr", lr, 0.0), ("eps", eps, 0.0), ("weight_decay", weight_decay, 0.0)):
            if not isinstance(value, (int, float)) or value < low:
                raise ValueError(f"Adam {name}={value!r}: expected a number >= {low}")
        if not (len(betas) == 2 and all(0.0 <= b < 1.0 for b in betas)):
            raise ValueError(f"Adam betas={betas!r}: expected two numbers in [0, 1)")
        params = list(params)
        if not params:
            raise ValueError("Adam got an empty parameter list")
        self.defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay}
        self.param_groups: List[Dict[str, Any]] = [{"params": params, **self.defaults}]
        self.state: Dict[torch.Tensor, Dict[str, torch.Tensor]] = {}

    def zero_grad(self, set_to_none: bool = True) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.detach_().zero_()

    def _slots(self, params: List[torch.Tensor]) -> List[Dict[str, torch.Tensor]]:
        """Each parameter's state; parameters stepped for the first time together share one step
        counter (see :meth:`_count_step`)."""
        step = None
        for p in params:
            if p not in self.state:
                step = torch.tensor(0.0) if step is None else step
                self.state[p] = {"step": step, "exp_avg": torch.zeros_like(p), "exp_avg_sq": torch.zeros_like(p)}
        return [self.state[p] for p in params]

    def _count_step(self, group: Dict[str, Any], params: List[torch.Tensor], slots: List[Dict[str, Any]]) -> list:
        """Adds 1 to the step of each parameter in ``params``; returns their step tensors.

        When every parameter of the group steps and all share one counter (the usual case), that
        counter takes one ``add_`` instead of one per parameter (``_foreach_add_`` over 0-d tensors
        costs ~3 µs each). Otherwise shared counters are split first, so a parameter without a
        gradient keeps its own count, as in ``torch.optim.Adam``.
        """
        steps = [s["step"] for s in slots]
        if len(params) == len(group["params"]) and all(t is steps[0] for t in steps):
            steps[0].add_(1.0)
            return steps
        seen = set()
        for st in self.state.values():
            if id(st["step"]) in seen:
                st["step"] = st["step"].clone()
            seen.add(id(st["step"]))
        steps = [s["step"] for s in slots]
        torch._foreach_add_(steps, 1.0)
        return steps

    @torch.no_grad()
    def step(self, closure: Optional[Callable[[], Any]] = None) -> Any:
        """One Adam update of every parameter that has a gradient."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            slots = self._slots(params)
            grads = [p.grad for p in params]
            exp_avgs = [s["exp_avg"] for s in slots]
            exp_avg_sqs = [s["exp_avg_sq"] for s in slots]
            steps = self._count_step(group, params, slots)
            beta1, beta2 = group["betas"]
            lr, eps, wd = float(group["lr"]), group["eps"], group["weight_decay"]
            if _FUSED and all(p.device.type == "cpu" and p.dtype == torch.float32 for p in params):
                torch._fused_adam_(params, grads, exp_avgs, exp_avg_sqs, [], steps, lr=lr, beta1=beta1,
                                   beta2=beta2, weight_decay=wd, eps=eps, amsgrad=False, maximize=False)
            else:
                _foreach_adam(params, grads, exp_avgs, exp_avg_sqs, steps, lr, beta1, beta2, eps, wd)
        return loss

    def state_dict(self) -> Dict[str, Any]:
        """``torch.optim.Adam``'s format: parameters are numbered across groups."""
        index: Dict[torch.Tensor, int] = {}
        groups = []
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                index.setdefault(p, len(index))
                ids.append(index[p])
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "amsgrad": False,
                           "maximize": False, "foreach": None, "capturable": False, "differentiable": False,
                           "fused": None, "params": ids})
        state = {index[p]: {k: v.clone() for k, v in st.items()} for p, st in self.state.items() if p in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        """Restores :meth:`state_dict` output (or a ``torch.optim.Adam`` one)."""
        groups = state_dict.get("param_groups")
        if not isinstance(groups, list) or len(groups) != len(self.param_groups):
            raise ValueError(f"Adam state has {len(groups) if isinstance(groups, list) else groups!r} param groups; "
                             f"this optimizer has {len(self.param_groups)}")
        params = [p for g in self.param_groups for p in g["params"]]
        for group, saved in zip(self.param_groups, groups):
            if len(saved.get("params", [])) != len(group["params"]):
                raise ValueError(f"Adam state: a param group of {len(saved.get('params', []))} parameters, "
                                 f"expected {len(group['params'])}")
            for key in ("lr", "betas", "eps", "weight_decay"):
                if key in saved:
                    group[key] = tuple(saved[key]) if key == "betas" else saved[key]
        self.state = {}
        for i, st in state_dict.get("state", {}).items():
            p = params[int(i)]
            self.state[p] = {k: torch.as_tensor(v, dtype=torch.float32 if k == "step" else p.dtype).clone()
                             for k, v in st.items() if k in ("step", "exp_avg", "exp_avg_sq")}
        for group in self.param_groups:  # equal counters of a group become one shared counter again
            steps = [self.state[p]["step"] for p in group["params"] if p in self.state]
            if len(steps) == len(group["params"]) and all(bool(t == steps[0]) for t in steps):
                for p in group["params"]:
                    self.state[p]["step"] = steps[0]

    def __repr__(self) -> str:
        return f"rlcore Adam(lr={self.param_groups[0]['lr']}, betas={self.param_groups[0]['betas']})"


def _foreach_adam(params, grads, exp_avgs, exp_avg_sqs, steps, lr, beta1, beta2, eps, wd) -> None:
    """``torch.optim.Adam``'s foreach path for one group (steps already incremented)."""
    if wd:
        grads = torch._foreach_add(grads, params, alpha=wd)
    torch._foreach_lerp_(exp_avgs, grads, 1 - beta1)
    torch._foreach_mul_(exp_avg_sqs, beta2)
    torch._foreach_addcmul_(exp_avg_sqs, grads, grads, 1 - beta2)
    for p, m, v, step in zip(params, exp_avgs, exp_avg_sqs, steps):
        t = float(step)
        bias1, bias2 = 1 - beta1**t, 1 - beta2**t
        denom = (v.sqrt() / (bias2**0.5)).add_(eps)
        p.addcdiv_(m, denom, value=-lr / bias1)

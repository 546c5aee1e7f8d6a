"""The default optimizer of rlcore's torch policies: ``torch.optim.Adam``, fused where torch can.

:func:`adam` returns a plain ``torch.optim.Adam``, so ``torch.optim.lr_scheduler``, optimizer
hooks, ``state_dict``/``load_state_dict`` and users' ``optimizer_fn`` expectations all hold. It
passes ``fused=True`` when every parameter is a floating-point CPU or CUDA tensor: torch's default
for CPU tensors is a Python loop over the parameters, which PPO's hundreds of small minibatch steps
per iteration feel (measured on PPO's two 4-64-64 networks, one thread: about 0.3-0.4 ms per step
with the default, 0.2-0.3 ms with ``foreach=True``, 0.07 ms fused).

Costs kept on purpose (against rlcore's former hand-written Adam on torch's private kernel): the
first ``torch.optim`` optimizer of a process imports ``torch._dynamo`` (0.85-1.1 s here), once in
every process that builds a policy with a loss; and a step with its zero_grad costs about 0.05 ms
more, about 10% of a PPO iteration of ``bench/learning.py``.

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

from typing import Any, Iterable

import torch

#: Devices whose fused Adam kernel torch has shipped for several releases.
_FUSED_DEVICES = ("cpu", "cuda")


def adam(params: Iterable[torch.Tensor], lr: float, **kwargs: Any) -> torch.optim.Adam:
    """``torch.optim.Adam(params, lr=lr, **kwargs)``, with ``fused=True`` unless ``kwargs`` choose
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
    return torch.optim.Adam(params, lr=lr, **kwargs)


__all__ = ["adam"]

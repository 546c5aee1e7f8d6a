"""``ray.rllib.agents``: ``Trainer`` and ``with_common_config``, as RLlib 1.x exported them.

``with_common_config`` is :func:`rlcore.trainer_config.with_common_config`; ``Trainer`` is
:class:`rlcore.trainer.Trainer`, loaded on first use (it imports Ray Tune).

Examples:
    >>> from rllib_compat.agents import with_common_config
    >>> cfg = with_common_config({"lr": 0.01})
    >>> cfg["lr"], cfg["num_workers"]
    (0.01, 2)
"""

from typing import Any

from rlcore.trainer_config import with_common_config


def __getattr__(name: str) -> Any:
    if name == "Trainer":
        from rlcore.trainer import Trainer

        return Trainer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Trainer", "with_common_config"]

"""``ray.rllib.agents.trainer``: the Trainer base class and the common config, from :mod:`rlcore.trainer`.

Examples:
    >>> from rllib_compat.agents.trainer import Trainer, COMMON_CONFIG, with_common_config
    >>> import rlcore.trainer, rlcore.trainer_config
    >>> Trainer is rlcore.trainer.Trainer, COMMON_CONFIG is rlcore.trainer_config.COMMON_CONFIG
    (True, True)
    >>> with_common_config({"lr": 0.5})["lr"]
    0.5
"""

from rlcore.models.catalog import MODEL_DEFAULTS
from rlcore.trainer import Trainer
from rlcore.trainer_config import COMMON_CONFIG, deep_update, with_common_config

__all__ = ["COMMON_CONFIG", "MODEL_DEFAULTS", "Trainer", "deep_update", "with_common_config"]

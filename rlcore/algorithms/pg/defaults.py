"""PG's defaults over ``COMMON_CONFIG``, in a module of their own.

Policies read them at construction time (their ``get_default_config``); keeping them apart from
the trainer module lets a rollout worker build its policy without importing the trainer (and with
it Ray Tune, pandas and pyarrow: about 100 MB and 0.7 s per worker process).
"""

from __future__ import annotations

from typing import Any, Dict

from rlcore.trainer_config import with_common_config

__all__ = ["DEFAULT_CONFIG"]

# fmt: off
#: PG's defaults over ``COMMON_CONFIG``.
DEFAULT_CONFIG: Dict[str, Any] = with_common_config({
    # No remote workers by default.
    "num_workers": 0,
    # Learning rate.
    "lr": 0.0004,
})
# fmt: on

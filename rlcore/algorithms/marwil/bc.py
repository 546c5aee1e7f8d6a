"""BC: behaviour cloning, MARWIL with ``beta = 0`` (RLlib 1.x ``agents/marwil/bc.py``).

Examples:
    >>> BC_DEFAULT_CONFIG["beta"], BC_DEFAULT_CONFIG["postprocess_inputs"], BC_DEFAULT_CONFIG["input_evaluation"]
    (0.0, False, [])
    >>> validate_config(dict(BC_DEFAULT_CONFIG, beta=0.5))
    Traceback (most recent call last):
    ...
    ValueError: config key 'beta' = 0.5: behavioral cloning needs beta = 0.0 (use MARWIL for beta > 0)
"""

from __future__ import annotations

from typing import Any, Dict

from rlcore.algorithms.marwil.marwil import DEFAULT_CONFIG as MARWIL_CONFIG
from rlcore.algorithms.marwil.marwil import MARWILTrainer
from rlcore.algorithms.marwil.marwil import validate_config as validate_marwil_config
from rlcore.trainer_config import merge_config

__all__ = ["BC_DEFAULT_CONFIG", "BCTrainer", "validate_config"]

#: BC's defaults: MARWIL's with no advantages, no postprocessing, no reward estimation.
BC_DEFAULT_CONFIG: Dict[str, Any] = merge_config(MARWIL_CONFIG, {
    # No need to calculate advantages (or do anything else with the rewards).
    "beta": 0.0,
    # Advantages (calculated during postprocessing) are not important for behavioral cloning.
    "postprocess_inputs": False,
    # No reward estimation.
    "input_evaluation": [],
})


def validate_config(config: Dict[str, Any]) -> None:
    """MARWIL's checks, and ``beta`` must be 0."""
    validate_marwil_config(config)
    if config["beta"] != 0.0:
        raise ValueError(f"config key 'beta' = {config['beta']!r}: behavioral cloning needs beta = 0.0 "
                         "(use MARWIL for beta > 0)")


BCTrainer = MARWILTrainer.with_updates(name="BC", default_config=BC_DEFAULT_CONFIG, validate_config=validate_config)

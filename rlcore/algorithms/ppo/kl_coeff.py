"""KLCoeffMixin: PPO's adaptive KL penalty coefficient, adjusted toward ``kl_target`` after each train step.

``update_kl(sampled_kl)`` multiplies the coefficient by 1.5 when the measured KL exceeds twice the
target and by 0.5 when it is below half of it (RLlib 1.x). The coefficient is part of the
policy state, so a restored trainer continues with the same penalty. :class:`TFKLCoeffMixin`
keeps it in a ``tf.Variable`` for traced TF losses.

Examples:
    >>> class P(KLCoeffMixin):
    ...     def get_state(self): return KLCoeffMixin.get_state(self)
    >>> p = object.__new__(P); KLCoeffMixin.__init__(p, {"kl_coeff": 0.2, "kl_target": 0.01})
    >>> p.update_kl(0.05), p.update_kl(0.001), p.update_kl(0.01)
    (0.30000000000000004, 0.15000000000000002, 0.15000000000000002)
"""

from __future__ import annotations

from typing import Any, Dict

from rlcore.algorithms.tf_mixins import tf_scalar_var

__all__ = ["KLCoeffMixin", "TFKLCoeffMixin"]

_STATE_KEY = "_kl_coeff"


class KLCoeffMixin:
    """Mixin: ``kl_coeff`` (a float), ``kl_target`` and ``update_kl``; call ``__init__(policy, config)``."""

    def __init__(self, config: Dict[str, Any]):
        self.kl_coeff_val = float(config["kl_coeff"])
        self.kl_target = float(config["kl_target"])
        self._set_kl_coeff(self.kl_coeff_val)

    def _set_kl_coeff(self, value: float) -> None:
        self.kl_coeff = value

    def update_kl(self, sampled_kl: float) -> float:
        """Adapts the coefficient to one measured KL; returns the new coefficient."""
        sampled_kl = float(sampled_kl)
        if sampled_kl > 2.0 * self.kl_target:
            self.kl_coeff_val *= 1.5
        elif sampled_kl < 0.5 * self.kl_target:
            self.kl_coeff_val *= 0.5
        self._set_kl_coeff(self.kl_coeff_val)
        return self.kl_coeff_val

    def get_state(self) -> Dict[str, Any]:
        sup = super()
        state = dict(sup.get_state()) if hasattr(sup, "get_state") else {}
        state[_STATE_KEY] = self.kl_coeff_val
        return state

    def set_state(self, state: Dict[str, Any]) -> None:
        sup = super()
        if hasattr(sup, "set_state"):
            sup.set_state({k: v for k, v in state.items() if k != _STATE_KEY})
        if _STATE_KEY in state:
            self.kl_coeff_val = float(state[_STATE_KEY])
            self._set_kl_coeff(self.kl_coeff_val)


class TFKLCoeffMixin(KLCoeffMixin):
    """``KLCoeffMixin`` whose ``kl_coeff`` is a ``tf.Variable`` (read by traced losses)."""

    def _set_kl_coeff(self, value: float) -> None:
        tf_scalar_var(self, "kl_coeff", value)

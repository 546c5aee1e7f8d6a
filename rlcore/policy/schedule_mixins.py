"""Schedule mixins: a policy's learning rate and entropy coefficient following the global timestep.

RLlib 1.x keeps ``LearningRateSchedule`` and ``EntropyCoeffSchedule`` in its torch and TF policy
modules; here they are framework-free (they set torch ``param_groups`` or a Keras optimizer's
``learning_rate``) and re-exported from both. Mix them in ahead of the policy class and call their
``__init__`` in ``before_init``/``before_loss_init``; ``on_global_var_update`` does the rest.

Examples:
    >>> class P(EntropyCoeffSchedule):
    ...     pass
    >>> p = object.__new__(P); EntropyCoeffSchedule.__init__(p, 0.01, None)
    >>> p.entropy_coeff
    0.01
"""

from __future__ import annotations

from typing import Any, Dict

from rlcore.policy.schedules import PiecewiseSchedule

__all__ = ["LearningRateSchedule", "EntropyCoeffSchedule", "start_schedules"]


class LearningRateSchedule:
    """Mixin: the optimizers' learning rate follows ``lr_schedule`` over the global timestep.

    Call ``LearningRateSchedule.__init__(policy, lr, lr_schedule)`` (e.g. in ``before_init``).

    Examples:
        >>> class P(LearningRateSchedule):
        ...     _optimizers = []
        >>> p = object.__new__(P); LearningRateSchedule.__init__(p, 0.1, [[0, 0.1], [100, 0.0]])
        >>> p.on_global_var_update({"timestep": 50}) or p.cur_lr
        0.05
    """

    def __init__(self, lr: float, lr_schedule: Any):
        self.cur_lr = float(lr)
        self._lr_schedule = None if lr_schedule is None else PiecewiseSchedule(lr_schedule, outside_value=lr_schedule[-1][-1])

    def on_global_var_update(self, global_vars: Dict[str, Any]) -> None:
        sup = super()
        if hasattr(sup, "on_global_var_update"):
            sup.on_global_var_update(global_vars)
        if self._lr_schedule is not None and "timestep" in global_vars:
            self.cur_lr = self._lr_schedule.value(global_vars["timestep"])
            self._set_optimizer_lr(self.cur_lr)

    def _set_optimizer_lr(self, lr: float) -> None:
        built = self.__dict__.get("_built_optimizers", ())  # torch: built on first use (it takes cur_lr then)
        for opt in (built or ()) if "_built_optimizers" in self.__dict__ else getattr(self, "_optimizers", []):
            if hasattr(opt, "param_groups"):
                for g in opt.param_groups:
                    g["lr"] = lr
            elif hasattr(opt, "learning_rate"):
                opt.learning_rate.assign(lr)


class EntropyCoeffSchedule:
    """Mixin: ``self.entropy_coeff`` follows ``entropy_coeff_schedule`` over the global timestep.

    On a TensorFlow policy (``config["framework"]`` tf/tf2/tfe) ``entropy_coeff`` is a float32
    ``tf.Variable`` (traced losses read its current value); otherwise a float.

    Examples:
        >>> class P(EntropyCoeffSchedule):
        ...     pass
        >>> p = object.__new__(P); EntropyCoeffSchedule.__init__(p, 0.01, [[0, 0.01], [10, 0.0]])
        >>> p.on_global_var_update({"timestep": 5}) or p.entropy_coeff
        0.005
    """

    def __init__(self, entropy_coeff: float, entropy_coeff_schedule: Any):
        self._entropy_coeff_schedule = None if entropy_coeff_schedule is None else PiecewiseSchedule(
            entropy_coeff_schedule, outside_value=entropy_coeff_schedule[-1][-1])
        self.entropy_coeff = float(entropy_coeff)
        if _is_tf_policy(self):
            # A tf.Variable, so a loss traced with eager_tracing sees every new value.
            import tensorflow as tf

            self.entropy_coeff = tf.Variable(float(entropy_coeff), trainable=False, dtype=tf.float32,
                                             name="entropy_coeff")

    def on_global_var_update(self, global_vars: Dict[str, Any]) -> None:
        sup = super()
        if hasattr(sup, "on_global_var_update"):
            sup.on_global_var_update(global_vars)
        if self._entropy_coeff_schedule is not None and "timestep" in global_vars:
            value = self._entropy_coeff_schedule.value(global_vars["timestep"])
            if isinstance(self.entropy_coeff, float):
                self.entropy_coeff = value
            else:
                self.entropy_coeff.assign(value)


def start_schedules(policy: Any, obs_space: Any, action_space: Any, config: Dict[str, Any]) -> None:
    """``after_init`` hook: sets the scheduled learning rate and entropy coefficient to their values
    at timestep 0 (the schedules' first point, not the constant ``lr``/``entropy_coeff``)."""
    policy.on_global_var_update({"timestep": 0})


def _is_tf_policy(policy: Any) -> bool:
    config = getattr(policy, "config", None)
    return isinstance(config, dict) and config.get("framework") in ("tf", "tf2", "tfe")

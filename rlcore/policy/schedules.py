"""Schedules: a value that changes with the global timestep (learning rates, epsilon, noise scale).

A schedule maps a timestep ``t`` to a float with ``value(t)`` (also ``schedule(t)``). ``t`` may be
a Python or numpy number, or a TensorFlow tensor (inside a ``tf.function``-traced policy), in which
case the result is a float32 tensor built from TF ops. RLlib 1.x names and constructor arguments.

Examples:
    >>> LinearSchedule(schedule_timesteps=100, final_p=0.1, initial_p=1.0).value(50)
    0.55
    >>> PiecewiseSchedule([(0, 1.0), (10, 0.0)], outside_value=0.0).value(5)
    0.5
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

__all__ = [
    "Schedule",
    "ConstantSchedule",
    "LinearSchedule",
    "PiecewiseSchedule",
    "ExponentialSchedule",
    "PolynomialSchedule",
    "linear_interpolation",
    "from_config",
]


def _is_tf_tensor(t: Any) -> bool:
    return type(t).__module__.startswith("tensorflow")


def _tf():
    import tensorflow as tf

    return tf


class Schedule:
    """Base class: subclasses implement ``_value`` (Python numbers) and ``_tf_value`` (TF tensors).

    Args:
        framework: accepted for RLlib compatibility (``"torch"``, ``"tf"``, ...); the schedule
            picks its maths from the type of ``t`` instead.

    Examples:
        >>> ConstantSchedule(0.3)(1000)
        0.3
    """

    def __init__(self, framework: str | None = None):
        self.framework = framework

    def value(self, t: Any) -> Any:
        """The scheduled value at timestep ``t`` (a float, or a TF tensor for a TF ``t``)."""
        if _is_tf_tensor(t):
            tf = _tf()
            return self._tf_value(tf.cast(t, tf.float32))
        return float(self._value(float(t)))

    def __call__(self, t: Any) -> Any:
        return self.value(t)

    def _value(self, t: float) -> float:
        raise NotImplementedError

    def _tf_value(self, t: Any) -> Any:
        raise NotImplementedError


class ConstantSchedule(Schedule):
    """Always ``value``.

    Examples:
        >>> ConstantSchedule(value=2.0).value(7)
        2.0
    """

    def __init__(self, value: float, framework: str | None = None):
        super().__init__(framework)
        self._v = float(value)

    def _value(self, t: float) -> float:
        return self._v

    def _tf_value(self, t: Any) -> Any:
        return _tf().constant(self._v, dtype=_tf().float32)


class PolynomialSchedule(Schedule):
    """``final_p + (initial_p - final_p) * (1 - t / schedule_timesteps) ** power``, then ``final_p``.

    Args:
        schedule_timesteps: timesteps over which to go from ``initial_p`` to ``final_p`` (> 0).
        final_p: value at and after ``schedule_timesteps``.
        initial_p: value at ``t = 0``.
        power: the polynomial's power (2.0 by default, 1.0 is linear).

    Examples:
        >>> PolynomialSchedule(10, final_p=0.0, initial_p=1.0, power=2.0).value(5)
        0.25
        >>> PolynomialSchedule(10, final_p=0.0, initial_p=1.0).value(50)
        0.0
    """

    def __init__(
        self,
        schedule_timesteps: int,
        final_p: float,
        framework: str | None = None,
        initial_p: float = 1.0,
        power: float = 2.0,
    ):
        super().__init__(framework)
        if not schedule_timesteps or schedule_timesteps <= 0:
            raise ValueError(f"schedule_timesteps={schedule_timesteps!r}: expected a positive number of timesteps")
        self.schedule_timesteps = float(schedule_timesteps)
        self.final_p = float(final_p)
        self.initial_p = float(initial_p)
        self.power = float(power)

    def _value(self, t: float) -> float:
        frac = 1.0 - min(t, self.schedule_timesteps) / self.schedule_timesteps
        return self.final_p + (self.initial_p - self.final_p) * frac**self.power

    def _tf_value(self, t: Any) -> Any:
        tf = _tf()
        frac = 1.0 - tf.minimum(t, self.schedule_timesteps) / self.schedule_timesteps
        return self.final_p + (self.initial_p - self.final_p) * tf.pow(frac, self.power)


class LinearSchedule(PolynomialSchedule):
    """Linear interpolation from ``initial_p`` to ``final_p`` over ``schedule_timesteps``.

    Examples:
        >>> s = LinearSchedule(schedule_timesteps=10, final_p=0.0, initial_p=1.0)
        >>> [round(s.value(t), 2) for t in (0, 5, 10, 20)]
        [1.0, 0.5, 0.0, 0.0]
    """

    def __init__(self, schedule_timesteps: int, final_p: float, framework: str | None = None, initial_p: float = 1.0):
        super().__init__(schedule_timesteps, final_p, framework=framework, initial_p=initial_p, power=1.0)


class ExponentialSchedule(Schedule):
    """``initial_p * decay_rate ** (t / schedule_timesteps)``.

    Args:
        schedule_timesteps: timesteps over which the value is multiplied by ``decay_rate`` once.
        initial_p: value at ``t = 0``.
        decay_rate: factor per ``schedule_timesteps`` (in (0, 1] to decay).

    Examples:
        >>> ExponentialSchedule(10, initial_p=1.0, decay_rate=0.5).value(20)
        0.25
    """

    def __init__(
        self,
        schedule_timesteps: int,
        framework: str | None = None,
        initial_p: float = 1.0,
        decay_rate: float = 0.1,
    ):
        super().__init__(framework)
        if not schedule_timesteps or schedule_timesteps <= 0:
            raise ValueError(f"schedule_timesteps={schedule_timesteps!r}: expected a positive number of timesteps")
        self.schedule_timesteps = float(schedule_timesteps)
        self.initial_p = float(initial_p)
        self.decay_rate = float(decay_rate)

    def _value(self, t: float) -> float:
        return self.initial_p * self.decay_rate ** (t / self.schedule_timesteps)

    def _tf_value(self, t: Any) -> Any:
        return self.initial_p * _tf().pow(self.decay_rate, t / self.schedule_timesteps)


def linear_interpolation(left: float, right: float, alpha: float) -> float:
    """``left + alpha * (right - left)``.

    Examples:
        >>> linear_interpolation(0.0, 10.0, 0.3)
        3.0
    """
    return left + alpha * (right - left)


class PiecewiseSchedule(Schedule):
    """Interpolates between ``(timestep, value)`` endpoints; ``outside_value`` after the last one.

    Args:
        endpoints: ``[(t0, v0), (t1, v1), ...]`` with increasing ``t``.
        framework: see :class:`Schedule`.
        interpolation: ``f(left, right, alpha)``; linear by default.
        outside_value: value outside the endpoints; ``None`` makes such a ``t`` an error.

    Examples:
        >>> s = PiecewiseSchedule([(0, 0.0), (10, 1.0), (20, 0.5)], outside_value=0.5)
        >>> [s.value(t) for t in (5, 15, 100)]
        [0.5, 0.75, 0.5]
    """

    def __init__(
        self,
        endpoints: Sequence[tuple[int, float]],
        framework: str | None = None,
        interpolation: Callable[[float, float, float], float] = linear_interpolation,
        outside_value: float | None = None,
    ):
        super().__init__(framework)
        pts = [(float(t), float(v)) for t, v in endpoints]
        if not pts:
            raise ValueError("endpoints=[]: expected at least one (timestep, value) pair")
        ts = [t for t, _ in pts]
        if ts != sorted(ts):
            raise ValueError(f"endpoints={list(endpoints)!r}: expected increasing timesteps")
        self.endpoints = pts
        self.interpolation = interpolation
        self.outside_value = outside_value

    def _value(self, t: float) -> float:
        for (lt, lv), (rt, rv) in zip(self.endpoints[:-1], self.endpoints[1:]):
            if lt <= t < rt:
                return self.interpolation(lv, rv, (t - lt) / (rt - lt))
        if len(self.endpoints) == 1 and t == self.endpoints[0][0]:
            return self.endpoints[0][1]
        if self.outside_value is None:
            raise ValueError(f"timestep {t} lies outside the schedule's endpoints {self.endpoints} and outside_value is None")
        return float(self.outside_value)

    def _tf_value(self, t: Any) -> Any:
        tf = _tf()
        out = tf.constant(
            float(self.outside_value) if self.outside_value is not None else float("nan"), dtype=tf.float32
        )
        # Walk backwards so the first matching segment wins, as in _value.
        for (lt, lv), (rt, rv) in reversed(list(zip(self.endpoints[:-1], self.endpoints[1:]))):
            alpha = (t - lt) / (rt - lt)
            inside = tf.logical_and(t >= lt, t < rt)
            out = tf.where(inside, self.interpolation(lv, rv, alpha), out)
        return out


_BY_NAME = {
    "ConstantSchedule": ConstantSchedule,
    "LinearSchedule": LinearSchedule,
    "PiecewiseSchedule": PiecewiseSchedule,
    "ExponentialSchedule": ExponentialSchedule,
    "PolynomialSchedule": PolynomialSchedule,
}


def from_config(config: Any, framework: str | None = None) -> Schedule:
    """Builds a schedule from a Schedule, a number (constant), a list of endpoints or a ``{"type":...}`` dict.

    Examples:
        >>> from_config(0.5).value(10)
        0.5
        >>> from_config([[0, 1.0], [10, 0.0]]).value(5)
        0.5
        >>> from_config({"type": "LinearSchedule", "schedule_timesteps": 4, "final_p": 0.0}).value(2)
        0.5
    """
    if isinstance(config, Schedule):
        return config
    if isinstance(config, (int, float)) and not isinstance(config, bool):
        return ConstantSchedule(config, framework=framework)
    if isinstance(config, (list, tuple)):
        return PiecewiseSchedule(config, framework=framework, outside_value=config[-1][-1])
    if isinstance(config, dict):
        kw = dict(config)
        typ = kw.pop("type", None)
        cls = _BY_NAME.get(typ) if isinstance(typ, str) else typ
        if not (isinstance(cls, type) and issubclass(cls, Schedule)):
            raise ValueError(f"schedule type={typ!r}: expected one of {sorted(_BY_NAME)} or a Schedule subclass")
        kw.setdefault("framework", framework)
        return cls(**kw)
    raise TypeError(f"schedule config={config!r}: expected a number, a list of (t, value) pairs, a dict or a Schedule")


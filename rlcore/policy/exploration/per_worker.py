"""Per-worker explorations (Ape-X style): each rollout worker explores with its own constant amount.

Worker ``i`` of ``N`` (``i >= 1``) uses ``0.4 ** (1 + 7 * (i - 1) / (N - 1))`` (``0.4`` when
``N == 1``) as its epsilon (PerWorkerEpsilonGreedy) or noise scale (PerWorkerGaussianNoise,
PerWorkerOrnsteinUhlenbeckNoise); the local worker (``i == 0``) with remote workers present
uses 0 (pure exploitation). Without remote workers (``N == 0``) the usual schedule applies.

Examples:
    >>> [round(per_worker_value(i, 3), 4) for i in (0, 1, 2, 3)]
    [0.0, 0.4, 0.0162, 0.0007]
"""

from __future__ import annotations

from rlcore.policy.exploration.epsilon_greedy import EpsilonGreedy
from rlcore.policy.exploration.exploration import register_exploration
from rlcore.policy.exploration.gaussian_noise import GaussianNoise
from rlcore.policy.exploration.ornstein_uhlenbeck_noise import OrnsteinUhlenbeckNoise
from rlcore.policy.schedules import ConstantSchedule, PiecewiseSchedule

__all__ = ["PerWorkerEpsilonGreedy", "PerWorkerGaussianNoise", "PerWorkerOrnsteinUhlenbeckNoise", "per_worker_value"]


def per_worker_value(worker_index: int, num_workers: int) -> float:
    """The constant epsilon / noise scale of one worker (see the module docstring)."""
    if worker_index == 0:
        return 0.0
    exponent = 1.0 if num_workers <= 1 else 1.0 + 7.0 * (worker_index - 1) / (num_workers - 1)
    return 0.4**exponent


def _constant(value: float, framework: str) -> PiecewiseSchedule:
    # A one-segment piecewise schedule keeps GaussianNoise's "endpoints" logic working.
    return PiecewiseSchedule([(0, value), (1, value)], outside_value=value, framework=framework)


@register_exploration
class PerWorkerEpsilonGreedy(EpsilonGreedy):
    """EpsilonGreedy with a constant per-worker epsilon when there are remote workers.

    Examples:
        >>> import gymnasium as gym
        >>> PerWorkerEpsilonGreedy(gym.spaces.Discrete(2), framework="torch", num_workers=2,
        ...                        worker_index=1).epsilon_schedule.value(0)
        0.4
    """

    def __init__(self, action_space, **kwargs):
        super().__init__(action_space, **kwargs)
        if self.num_workers > 0:
            self.epsilon_schedule = ConstantSchedule(per_worker_value(self.worker_index, self.num_workers),
                                                     framework=self.framework)


@register_exploration
class PerWorkerGaussianNoise(GaussianNoise):
    """GaussianNoise with a constant per-worker scale when there are remote workers."""

    def __init__(self, action_space, **kwargs):
        super().__init__(action_space, **kwargs)
        if self.num_workers > 0:
            self.scale_schedule = _constant(per_worker_value(self.worker_index, self.num_workers), self.framework)


@register_exploration
class PerWorkerOrnsteinUhlenbeckNoise(OrnsteinUhlenbeckNoise):
    """OrnsteinUhlenbeckNoise with a constant per-worker scale when there are remote workers."""

    def __init__(self, action_space, **kwargs):
        super().__init__(action_space, **kwargs)
        if self.num_workers > 0:
            self.scale_schedule = _constant(per_worker_value(self.worker_index, self.num_workers), self.framework)

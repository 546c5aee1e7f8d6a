"""SoftQ: sample from a Boltzmann (softmax) distribution over Q-values at a temperature.

The action distribution's inputs (Q-values or logits) are divided by ``temperature`` and the
action is sampled from the categorical distribution they define; ``explore=False`` takes the
argmax. Lower temperatures are greedier.

Examples:
    >>> import gymnasium as gym
    >>> SoftQ(gym.spaces.Discrete(3), framework="torch", temperature=0.5).temperature
    0.5
"""

from __future__ import annotations

from rlcore.policy.exploration.exploration import register_exploration
from rlcore.policy.exploration.stochastic_sampling import StochasticSampling

__all__ = ["SoftQ"]


@register_exploration
class SoftQ(StochasticSampling):
    """Boltzmann exploration; see the module docstring.

    Args:
        action_space: a Discrete or MultiDiscrete space.
        temperature: the softmax temperature (> 0).
        **kwargs: forwarded to :class:`StochasticSampling`.
    """

    def __init__(self, action_space, *, temperature: float = 1.0, **kwargs):
        import gymnasium.spaces as S

        if not isinstance(action_space, (S.Discrete, S.MultiDiscrete)):
            raise ValueError(f"action space {action_space!r}: SoftQ needs a Discrete or MultiDiscrete action space")
        if temperature <= 0:
            raise ValueError(f"temperature={temperature!r}: expected > 0")
        super().__init__(action_space, **kwargs)
        self.temperature = float(temperature)

    def _tempered(self, action_distribution):
        if self.temperature == 1.0:
            return action_distribution
        return type(action_distribution)(action_distribution.inputs / self.temperature, action_distribution.model)

    def _torch_action(self, action_distribution, timestep, explore):
        return super()._torch_action(self._tempered(action_distribution), timestep, explore)

    def _tf_action(self, action_distribution, timestep, explore):
        return super()._tf_action(self._tempered(action_distribution), timestep, explore)

"""Exploration strategies (RLlib 1.x ``rllib.utils.exploration``): how actions are drawn from a distribution."""

from rlcore.policy.exploration.epsilon_greedy import EpsilonGreedy
from rlcore.policy.exploration.exploration import Exploration, from_config, register_exploration
from rlcore.policy.exploration.gaussian_noise import GaussianNoise
from rlcore.policy.exploration.ornstein_uhlenbeck_noise import OrnsteinUhlenbeckNoise
from rlcore.policy.exploration.parameter_noise import ParameterNoise
from rlcore.policy.exploration.per_worker import (
    PerWorkerEpsilonGreedy,
    PerWorkerGaussianNoise,
    PerWorkerOrnsteinUhlenbeckNoise,
)
from rlcore.policy.exploration.random import Random
from rlcore.policy.exploration.soft_q import SoftQ
from rlcore.policy.exploration.stochastic_sampling import StochasticSampling

__all__ = [
    "Exploration",
    "EpsilonGreedy",
    "GaussianNoise",
    "OrnsteinUhlenbeckNoise",
    "ParameterNoise",
    "PerWorkerEpsilonGreedy",
    "PerWorkerGaussianNoise",
    "PerWorkerOrnsteinUhlenbeckNoise",
    "Random",
    "SoftQ",
    "StochasticSampling",
    "from_config",
    "register_exploration",
]

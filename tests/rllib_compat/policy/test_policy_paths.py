"""Every RLlib 1.x policy / exploration / schedule import path gives the very rlcore object."""

import importlib
import warnings

import pytest

PAIRS = [
    ("rllib_compat.policy.policy", "Policy", "rlcore.policy.policy"),
    ("rllib_compat.policy.policy", "LEARNER_STATS_KEY", "rlcore.policy.policy"),
    ("rllib_compat.policy.torch_policy", "TorchPolicy", "rlcore.policy.torch_policy"),
    ("rllib_compat.policy.torch_policy", "LearningRateSchedule", "rlcore.policy.schedule_mixins"),
    ("rllib_compat.policy.torch_policy", "EntropyCoeffSchedule", "rlcore.policy.schedule_mixins"),
    ("rllib_compat.policy.tf_policy", "TFPolicy", "rlcore.policy.tf_policy"),
    ("rllib_compat.policy.tf_policy", "LearningRateSchedule", "rlcore.policy.schedule_mixins"),
    ("rllib_compat.policy.policy_template", "build_policy_class", "rlcore.policy.policy_template"),
    ("rllib_compat.policy.tf_policy_template", "build_tf_policy", "rlcore.policy.tf_policy_template"),
    ("rllib_compat.policy.torch_policy_template", "build_torch_policy", "rlcore.policy.torch_policy_template"),
    ("rllib_compat.policy.view_requirement", "ViewRequirement", "rlcore.data.view_requirement"),
    ("rllib_compat.policy.rnn_sequencing", "chop_into_sequences", "rlcore.policy.rnn_sequencing"),
    ("rllib_compat.policy.rnn_sequencing", "pad_batch_to_sequences_of_same_size", "rlcore.policy.rnn_sequencing"),
    ("rllib_compat.utils.exploration", "Exploration", "rlcore.policy.exploration.exploration"),
    ("rllib_compat.utils.exploration", "EpsilonGreedy", "rlcore.policy.exploration.epsilon_greedy"),
    ("rllib_compat.utils.exploration", "StochasticSampling", "rlcore.policy.exploration.stochastic_sampling"),
    ("rllib_compat.utils.exploration", "GaussianNoise", "rlcore.policy.exploration.gaussian_noise"),
    ("rllib_compat.utils.exploration", "OrnsteinUhlenbeckNoise", "rlcore.policy.exploration.ornstein_uhlenbeck_noise"),
    ("rllib_compat.utils.exploration", "Random", "rlcore.policy.exploration.random"),
    ("rllib_compat.utils.exploration.exploration", "Exploration", "rlcore.policy.exploration.exploration"),
    ("rllib_compat.utils.exploration.epsilon_greedy", "EpsilonGreedy", "rlcore.policy.exploration.epsilon_greedy"),
    ("rllib_compat.utils.exploration.stochastic_sampling", "StochasticSampling",
     "rlcore.policy.exploration.stochastic_sampling"),
    ("rllib_compat.utils.exploration.gaussian_noise", "GaussianNoise", "rlcore.policy.exploration.gaussian_noise"),
    ("rllib_compat.utils.exploration.ornstein_uhlenbeck_noise", "OrnsteinUhlenbeckNoise",
     "rlcore.policy.exploration.ornstein_uhlenbeck_noise"),
    ("rllib_compat.utils.exploration.random", "Random", "rlcore.policy.exploration.random"),
    ("rllib_compat.utils.exploration", "PerWorkerEpsilonGreedy", "rlcore.policy.exploration.per_worker"),
    ("rllib_compat.utils.exploration", "SoftQ", "rlcore.policy.exploration.soft_q"),
    ("rllib_compat.utils.exploration.per_worker_epsilon_greedy", "PerWorkerEpsilonGreedy",
     "rlcore.policy.exploration.per_worker"),
    ("rllib_compat.utils.exploration.per_worker_gaussian_noise", "PerWorkerGaussianNoise",
     "rlcore.policy.exploration.per_worker"),
    ("rllib_compat.utils.exploration.per_worker_ornstein_uhlenbeck_noise", "PerWorkerOrnsteinUhlenbeckNoise",
     "rlcore.policy.exploration.per_worker"),
    ("rllib_compat.utils.exploration.soft_q", "SoftQ", "rlcore.policy.exploration.soft_q"),
    ("rllib_compat.utils.schedules", "Schedule", "rlcore.policy.schedules"),
    ("rllib_compat.utils.schedules", "ConstantSchedule", "rlcore.policy.schedules"),
    ("rllib_compat.utils.schedules", "LinearSchedule", "rlcore.policy.schedules"),
    ("rllib_compat.utils.schedules", "PiecewiseSchedule", "rlcore.policy.schedules"),
    ("rllib_compat.utils.schedules", "ExponentialSchedule", "rlcore.policy.schedules"),
    ("rllib_compat.utils.schedules", "PolynomialSchedule", "rlcore.policy.schedules"),
    ("rllib_compat.utils.schedules.schedule", "Schedule", "rlcore.policy.schedules"),
    ("rllib_compat.utils.schedules.constant_schedule", "ConstantSchedule", "rlcore.policy.schedules"),
    ("rllib_compat.utils.schedules.linear_schedule", "LinearSchedule", "rlcore.policy.schedules"),
    ("rllib_compat.utils.schedules.piecewise_schedule", "PiecewiseSchedule", "rlcore.policy.schedules"),
    ("rllib_compat.utils.schedules.exponential_schedule", "ExponentialSchedule", "rlcore.policy.schedules"),
    ("rllib_compat.utils.schedules.polynomial_schedule", "PolynomialSchedule", "rlcore.policy.schedules"),
]


@pytest.mark.parametrize("old_path,name,new_path", PAIRS)
def test_same_object_and_no_warning(old_path, name, new_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        old = importlib.import_module(old_path)
    assert getattr(old, name) is getattr(importlib.import_module(new_path), name)
    assert name in old.__all__


def test_importing_the_policy_layer_pulls_in_no_framework():
    import subprocess
    import sys

    code = ("import sys, rlcore.policy.policy, rlcore.policy.torch_policy, rlcore.policy.tf_policy, "
            "rlcore.policy.policy_template, rlcore.policy.exploration, rllib_compat.policy.tf_policy_template; "
            "bad = [m for m in ('torch', 'tensorflow', 'ray') if m in sys.modules]; print(bad); sys.exit(bool(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr

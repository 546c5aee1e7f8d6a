"""Tiny DQN/SimpleQ configs for fast tests (CartPole, one process, small nets and batches, seeded)."""

import pytest


def _tiny(framework: str, tmp_path=None, **overrides):
    config = {
        "env": "CartPole-v1", "framework": framework, "eager_tracing": framework != "torch", "num_workers": 0,
        "seed": 0, "min_iter_time_s": 0, "timesteps_per_iteration": 32, "learning_starts": 16,
        "train_batch_size": 8, "buffer_size": 500, "rollout_fragment_length": 4, "target_network_update_freq": 16,
        "model": {"fcnet_hiddens": [16]}, "log_sys_usage": False,
    }
    config.update(overrides)
    return config


@pytest.fixture
def tiny_config():
    """``tiny_config(framework, **overrides) -> config`` (add ``hiddens`` for DQN)."""
    return _tiny

"""Shared pieces of the policy tests: spaces, a fixed batch and the seed's policy-gradient loss."""

import gymnasium as gym
import numpy as np
import pytest

from rlcore.data.sample_batch import SampleBatch

OBS_SPACE = gym.spaces.Box(-1.0, 1.0, (4,), dtype=np.float32)
ACT_SPACE = gym.spaces.Discrete(2)
SMALL_MODEL = {"fcnet_hiddens": [16]}


def fixed_batch(n: int = 64, seed: int = 0) -> SampleBatch:
    """Observations, actions and rewards where action 1 is good when obs[0] > 0."""
    rng = np.random.default_rng(seed)
    obs = rng.uniform(-1, 1, (n, 4)).astype(np.float32)
    actions = rng.integers(0, 2, n)
    rewards = np.where((obs[:, 0] > 0) == (actions == 1), 1.0, -1.0).astype(np.float32)
    return SampleBatch({"obs": obs, "actions": actions, "rewards": rewards})


def torch_pg_loss(policy, model, dist_class, train_batch):
    """The seed's policy_gradient_loss written for torch."""
    import torch

    logits, _ = model.from_batch(train_batch)
    action_dist = dist_class(logits, model)
    return -torch.mean(action_dist.logp(train_batch["actions"]) * train_batch["rewards"])


def tf_pg_loss(policy, model, dist_class, train_batch):
    """The seed's policy_gradient_loss, with tf from try_import_tf()."""
    from rlcore.framework import try_import_tf

    _, tf, _ = try_import_tf()
    logits, _ = model.from_batch(train_batch)
    action_dist = dist_class(logits, model)
    return -tf.reduce_mean(action_dist.logp(train_batch["actions"]) * train_batch["rewards"])


@pytest.fixture
def batch():
    return fixed_batch()


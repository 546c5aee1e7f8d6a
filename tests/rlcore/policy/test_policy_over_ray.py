"""Weights and gradients cross Ray as numpy: a remote worker computes gradients, the driver applies them."""

import numpy as np
import pytest

from tests.rlcore.policy.conftest import ACT_SPACE, OBS_SPACE, SMALL_MODEL, fixed_batch, torch_pg_loss


def _policy():
    import torch

    from rlcore.policy.torch_policy_template import build_torch_policy

    torch.manual_seed(0)
    return build_torch_policy("RayPG", loss_fn=torch_pg_loss)(OBS_SPACE, ACT_SPACE, {"lr": 0.05, "model": SMALL_MODEL})


@pytest.mark.ray
def test_remote_gradients_applied_on_the_driver_equal_local_learning(ray_session):
    ray = ray_session

    @ray.remote
    def remote_gradients(weights, batch):
        policy = _policy()
        policy.set_weights(weights)  # arrays from the object store are read-only
        grads, info = policy.compute_gradients(batch)
        return grads, info

    learner, reference = _policy(), _policy()
    reference.set_weights(learner.get_weights())
    batch = fixed_batch()
    grads, info = ray.get(remote_gradients.remote(learner.get_weights(), batch), timeout=120)
    assert all(isinstance(g, np.ndarray) for g in grads)
    assert "learner_stats" in info
    learner.apply_gradients(grads)
    reference.learn_on_batch(batch)
    for k, v in learner.get_weights().items():
        np.testing.assert_allclose(v, reference.get_weights()[k], rtol=1e-5, atol=1e-7)

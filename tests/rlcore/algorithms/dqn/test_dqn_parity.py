"""The same DQN loss in every framework mode: TF traced == TF eager on the same batch and weights,
and torch == TF on weights set identically (each layer's weights a function of its shape)."""

import gymnasium as gym
import numpy as np
import pytest

OBS = gym.spaces.Box(-2.0, 2.0, (4,), np.float32)
ACT = gym.spaces.Discrete(3)
OPTIONS = [dict(dueling=False, double_q=False, num_atoms=1), dict(dueling=True, double_q=True, num_atoms=1),
           dict(dueling=True, double_q=True, num_atoms=11, v_min=-3.0, v_max=3.0),
           dict(dueling=False, double_q=False, num_atoms=5, v_min=-2.0, v_max=4.0)]


def _config(framework, **options):
    return {"framework": framework, "eager_tracing": framework == "tf2-traced", "hiddens": [8], "n_step": 2,
            "gamma": 0.9, "model": {"fcnet_hiddens": [16]}, **options}


def _batch(n=24, seed=0):
    rng = np.random.default_rng(seed)
    return {"obs": rng.uniform(-1, 1, (n, 4)).astype(np.float32), "actions": rng.integers(0, 3, n),
            "rewards": rng.normal(size=n).astype(np.float32), "new_obs": rng.uniform(-1, 1, (n, 4)).astype(np.float32),
            "dones": rng.random(n) < 0.3, "weights": rng.uniform(0.2, 1.0, n).astype(np.float32)}


def _td(policy, b):
    return policy.compute_td_error(b["obs"], b["actions"], b["rewards"], b["new_obs"], b["dones"], b["weights"])


def _f(shape):
    """A fixed weight matrix [in, out] (or vector [out]) that depends only on the shape."""
    if len(shape) == 1:
        return 0.05 * np.cos(np.arange(shape[0]) * 0.9).astype(np.float32)
    i, o = np.meshgrid(np.arange(shape[0]), np.arange(shape[1]), indexing="ij")
    return (0.4 * np.sin(1.3 * i + 0.7 * o + 0.1 * shape[0]) / np.sqrt(shape[0])).astype(np.float32)


def _set_torch(model):
    import torch

    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.ndim == 2 and name.endswith("weight"):  # nn.Linear keeps [out, in]
                p.copy_(torch.from_numpy(_f((p.shape[1], p.shape[0])).T.copy()))
            else:
                p.copy_(torch.from_numpy(_f(tuple(p.shape))))


def _set_tf(model):
    for v in model.variables():
        v.assign(_f(tuple(v.shape)))


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: f"duel{int(o['dueling'])}-atoms{o['num_atoms']}")
def test_tf_traced_equals_eager(options):
    from rlcore.algorithms.dqn import DQNTFPolicy
    from rlcore.data import SampleBatch

    traced = DQNTFPolicy(OBS, ACT, _config("tf2-traced", **options) | {"framework": "tf2"})
    eager = DQNTFPolicy(OBS, ACT, _config("tf2", **options))
    eager.set_weights(traced.get_weights())
    batch = SampleBatch(_batch())
    grads_t, fetches_t = traced.compute_gradients(batch)
    grads_e, fetches_e = eager.compute_gradients(batch)
    st, se = fetches_t["learner_stats"], fetches_e["learner_stats"]
    assert traced.trace_counts["learn"] >= 1 and eager._eager_tracing is False
    np.testing.assert_allclose(st["td_error"], se["td_error"], rtol=1e-5, atol=1e-6)
    for key in ("mean_td_error", "mean_q", "min_q", "max_q"):
        assert st[key] == pytest.approx(se[key], rel=1e-5, abs=1e-6)
    for gt, ge in zip(grads_t, grads_e):
        np.testing.assert_allclose(gt, ge, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: f"duel{int(o['dueling'])}-atoms{o['num_atoms']}")
def test_torch_and_tf_losses_agree_on_the_same_weights(options):
    from rlcore.algorithms.dqn import DQNTFPolicy, DQNTorchPolicy

    torch_policy = DQNTorchPolicy(OBS, ACT, _config("torch", **options))
    tf_policy = DQNTFPolicy(OBS, ACT, _config("tf2", **options))
    for model in (torch_policy.model, torch_policy.target_model):
        _set_torch(model)
    for model in (tf_policy.model, tf_policy.target_model):
        _set_tf(model)
    b = _batch(seed=3)
    td_torch, td_tf = _td(torch_policy, b), _td(tf_policy, b)
    assert np.ptp(td_torch) > 0.01  # a real comparison, not two constant vectors
    np.testing.assert_allclose(td_torch, td_tf, rtol=1e-4, atol=1e-5)
    q_torch = torch_policy.compute_actions(b["obs"], explore=False)[2]["action_dist_inputs"]
    q_tf = tf_policy.compute_actions(b["obs"], explore=False)[2]["action_dist_inputs"]
    np.testing.assert_allclose(q_torch, q_tf, rtol=1e-4, atol=1e-5)

"""AsyncPPOTorchPolicy / AsyncPPOTFPolicy: torch == TF (eager and traced) with V-trace and GAE, the
target network, the KL coefficient update, the surrogate against numpy, learning on a fixed batch."""

import functools

import gymnasium as gym
import numpy as np
import pytest

from rlcore.algorithms.appo.appo import DEFAULT_CONFIG
from rlcore.algorithms.appo.appo_tf_policy import AsyncPPOTFPolicy
from rlcore.algorithms.appo.appo_torch_policy import AsyncPPOTorchPolicy
from rlcore.policy.tf_policy import TFPolicy
from rlcore.policy.torch_policy import TorchPolicy

OBS = gym.spaces.Box(-1.0, 1.0, (4,), np.float32)
ACT = gym.spaces.Discrete(2)
FRAGMENT = 20
MODEL = {"fcnet_hiddens": [16], "vf_share_layers": True}
FRAMEWORKS = [("torch", False), ("tf2", False), ("tf2", True)]  # (framework, eager_tracing)


def make_policy(framework, tracing=False, **overrides):
    cls = AsyncPPOTorchPolicy if framework == "torch" else AsyncPPOTFPolicy
    cfg = dict(DEFAULT_CONFIG, framework=framework, eager_tracing=tracing, model=MODEL,
               rollout_fragment_length=FRAGMENT)
    cfg.update(overrides)
    return cls(OBS, ACT, cfg)


def torch_to_tf_weights(w):
    return {"fc_1/kernel": w["_hidden_layers.0._model.0.weight"].T, "fc_1/bias": w["_hidden_layers.0._model.0.bias"],
            "fc_out/kernel": w["_logits._model.0.weight"].T, "fc_out/bias": w["_logits._model.0.bias"],
            "value_out/kernel": w["_value_branch._model.0.weight"].T,
            "value_out/bias": w["_value_branch._model.0.bias"]}


def perturbed(weights, scale=0.2, seed=0):
    rng = np.random.default_rng(seed)
    return {k: (v + scale * rng.normal(size=v.shape)).astype(v.dtype) for k, v in weights.items()}


def load(policy, framework, old, new):
    """Target network <- ``old`` (torch layout), model <- ``new``: a learner some steps past its target."""
    convert = (lambda w: w) if framework == "torch" else torch_to_tf_weights
    policy.set_weights(convert(old))  # the model and, through the mixin, the target network
    base = TorchPolicy if framework == "torch" else TFPolicy
    base.set_weights(policy, convert(new))  # the model only


@functools.lru_cache(maxsize=None)
def _cartpole_sample():
    """60 CartPole rows (3 envs x fragments of 20) with GAE columns and the sampling weights."""
    from rlcore.sampling.rollout_worker import RolloutWorker

    cfg = dict(DEFAULT_CONFIG, framework="torch", vtrace=False, model=MODEL, rollout_fragment_length=FRAGMENT)
    worker = RolloutWorker(env_creator=lambda ctx: gym.make("CartPole-v1"), policy_spec=AsyncPPOTorchPolicy,
                           policy_config=cfg, rollout_fragment_length=FRAGMENT, num_envs=3, seed=5)
    try:
        for _ in range(3):
            batch = worker.sample()
        return batch, worker.get_policy().get_weights()
    finally:
        worker.stop()


@pytest.fixture
def cartpole_batch():
    """``(batch, weights)``: copies of the sample, made once per process (seeded), so the tests share
    no instance and ``make test`` may spread them over its workers."""
    batch, weights = _cartpole_sample()
    return batch.copy(), {k: v.copy() for k, v in weights.items()}


@pytest.mark.parametrize("vtrace", [True, False])
@pytest.mark.parametrize("framework, tracing", FRAMEWORKS[1:])
def test_tf_loss_matches_torch(cartpole_batch, framework, tracing, vtrace):
    batch, weights = cartpole_batch
    old, new = perturbed(weights, seed=1), perturbed(weights, seed=2)
    overrides = dict(vtrace=vtrace, use_kl_loss=True, kl_coeff=0.3, grad_clip=None)
    torch_policy = make_policy("torch", **overrides)
    load(torch_policy, "torch", old, new)
    tf_policy = make_policy(framework, tracing, **overrides)
    load(tf_policy, framework, old, new)
    t = torch_policy.compute_gradients(batch)[1]["learner_stats"]
    f = tf_policy.compute_gradients(batch)[1]["learner_stats"]
    expected = {"cur_lr", "policy_loss", "entropy", "entropy_coeff", "var_gnorm", "vf_loss", "vf_explained_var",
                "total_loss", "grad_gnorm", "kl", "KL_Coeff"} | ({"mean_IS", "var_IS"} if vtrace else set())
    assert set(t) == set(f) == expected
    for key in t:
        assert f[key] == pytest.approx(t[key], rel=5e-4, abs=1e-5), key
    assert t["kl"] > 1e-4  # the perturbed model is away from its target / the behaviour policy
    if vtrace:
        assert t["var_IS"] > 0.0  # behaviour (sampling weights) != target network


def test_surrogate_matches_numpy_with_gae(cartpole_batch):
    import torch

    batch, weights = cartpole_batch
    policy = make_policy("torch", vtrace=False, clip_param=0.2)
    policy.set_weights(perturbed(weights, scale=0.5, seed=3))
    with torch.no_grad():
        logits, _ = policy.model({"obs": torch.from_numpy(batch["obs"])})
    logits = logits.numpy().astype(np.float64)
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    b = batch["action_dist_inputs"].astype(np.float64)
    blogp = b - np.log(np.exp(b).sum(1, keepdims=True))
    rows = np.arange(batch.count)
    ratio = np.exp(logp[rows, batch["actions"]] - blogp[rows, batch["actions"]])
    adv = batch["advantages"].astype(np.float64)
    expected = -np.mean(np.minimum(adv * ratio, adv * np.clip(ratio, 0.8, 1.2)))
    stats = policy.compute_gradients(batch)[1]["learner_stats"]
    assert stats["policy_loss"] == pytest.approx(expected, rel=1e-4)
    assert "kl" not in stats and "mean_IS" not in stats  # use_kl_loss off, vtrace off (RLlib 1.x)


@pytest.mark.parametrize("framework, tracing", FRAMEWORKS)
def test_target_network_follows_update_target(cartpole_batch, framework, tracing):
    batch, _ = cartpole_batch
    policy = make_policy(framework, tracing, vtrace=True, lr=0.01)

    def target_equals_model():
        if framework == "torch":
            own, target = policy.model.state_dict(), policy.target_model.state_dict()
            return all(np.array_equal(own[k].numpy(), target[k].numpy()) for k in own)
        return all(np.array_equal(a.numpy(), b.numpy())
                   for a, b in zip(policy.model.variables(), policy.target_model.variables()))

    assert target_equals_model()  # after_init: the target starts as the model
    stats = policy.learn_on_batch(batch)["learner_stats"]
    assert not target_equals_model()
    assert stats["mean_IS"] == pytest.approx(1.0, abs=1e-3)  # target == behaviour before the step
    policy.update_target()
    assert target_equals_model()


@pytest.mark.parametrize("framework, tracing", FRAMEWORKS)
def test_update_kl_reaches_the_loss(cartpole_batch, framework, tracing):
    batch, _ = cartpole_batch
    policy = make_policy(framework, tracing, use_kl_loss=True, kl_coeff=1.0, kl_target=0.01)
    assert policy.update_kl(0.1) == pytest.approx(1.5)  # > 2 * target: x1.5
    assert policy.update_kl(0.001) == pytest.approx(0.75)  # < target / 2: x0.5
    assert policy.update_kl(0.01) == pytest.approx(0.75)
    stats = policy.learn_on_batch(batch)["learner_stats"]
    assert stats["KL_Coeff"] == pytest.approx(0.75)
    restored = make_policy(framework, tracing, use_kl_loss=True, kl_coeff=1.0)
    restored.set_state(policy.get_state())
    assert restored.kl_coeff_val == pytest.approx(0.75)


@pytest.mark.parametrize("vtrace", [True, False])
@pytest.mark.parametrize("framework, tracing", FRAMEWORKS)
def test_learning_reduces_the_loss(cartpole_batch, framework, tracing, vtrace):
    batch, weights = cartpole_batch
    policy = make_policy(framework, tracing, vtrace=vtrace, lr=0.01)
    policy.set_weights(weights if framework == "torch" else torch_to_tf_weights(weights))
    grads, info = policy.compute_gradients(batch)
    assert all(np.abs(g).sum() > 0 for g in grads)
    before = info["learner_stats"]["total_loss"]
    for _ in range(30):
        policy.learn_on_batch(batch)
    # The clipped surrogate saturates on a fixed batch: a tenth of the loss is a clear decrease.
    assert policy.compute_gradients(batch)[1]["learner_stats"]["total_loss"] < before - 0.1 * abs(before)

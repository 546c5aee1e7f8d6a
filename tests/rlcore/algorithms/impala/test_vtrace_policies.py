"""VTraceTorchPolicy / VTraceTFPolicy: the loss against numpy, torch == TF (eager and traced) on the
same batch and weights, gradients, learning on a fixed batch, vtrace False, action spaces, options."""

import functools

import gymnasium as gym
import numpy as np
import pytest

from rlcore.algorithms.impala.impala import DEFAULT_CONFIG
from rlcore.algorithms.impala.vtrace_tf_policy import VTraceTFPolicy
from rlcore.algorithms.impala.vtrace_torch_policy import VTraceTorchPolicy
from rlcore.data.sample_batch import SampleBatch
from rlcore.policy.utils import to_numpy

OBS = gym.spaces.Box(-1.0, 1.0, (4,), np.float32)
ACT = gym.spaces.Discrete(2)
FRAGMENT = 20
MODEL = {"fcnet_hiddens": [16], "vf_share_layers": True}
FRAMEWORKS = [("torch", False), ("tf2", False), ("tf2", True)]  # (framework, eager_tracing)


def make_policy(framework, tracing=False, cls=None, obs_space=OBS, action_space=ACT, **overrides):
    cls = cls or (VTraceTorchPolicy if framework == "torch" else VTraceTFPolicy)
    cfg = dict(DEFAULT_CONFIG, framework=framework, eager_tracing=tracing, model=MODEL,
               rollout_fragment_length=FRAGMENT)
    cfg.update(overrides)
    return cls(obs_space, action_space, cfg)


def torch_to_tf_weights(torch_weights):
    """The default fully connected net (shared value layers): torch names/layout -> Keras."""
    w = torch_weights
    return {"fc_1/kernel": w["_hidden_layers.0._model.0.weight"].T, "fc_1/bias": w["_hidden_layers.0._model.0.bias"],
            "fc_out/kernel": w["_logits._model.0.weight"].T, "fc_out/bias": w["_logits._model.0.bias"],
            "value_out/kernel": w["_value_branch._model.0.weight"].T,
            "value_out/bias": w["_value_branch._model.0.bias"]}


@functools.lru_cache(maxsize=None)
def _cartpole_sample():
    """60 CartPole rows (3 envs x fragments of 20) with GAE columns, sampled by a torch policy."""
    from rlcore.sampling.rollout_worker import RolloutWorker

    cfg = dict(DEFAULT_CONFIG, framework="torch", vtrace=False, model=MODEL, rollout_fragment_length=FRAGMENT)
    worker = RolloutWorker(env_creator=lambda ctx: gym.make("CartPole-v1"), policy_spec=VTraceTorchPolicy,
                           policy_config=cfg, rollout_fragment_length=FRAGMENT, num_envs=3, seed=3)
    try:
        batch = worker.sample()
        for _ in range(3):  # reach episode ends inside fragments
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


def reference_loss(policy, batch, vtrace):
    """The IMPALA loss recomputed in float64 numpy from the torch model's outputs: the V-trace
    recursion per segment (segment ends at episode ends and fragment cuts; cut fragments bootstrap
    from V(new_obs))."""
    import torch

    with torch.no_grad():
        logits, _ = policy.model({"obs": torch.from_numpy(batch["obs"])})
        values = policy.model.value_function().numpy().astype(np.float64)
        policy.model({"obs": torch.from_numpy(batch["new_obs"])})
        next_values = policy.model.value_function().numpy().astype(np.float64)
    logits = logits.numpy().astype(np.float64)
    logp_all = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    n = len(values)
    logp = logp_all[np.arange(n), batch["actions"]]
    entropy = -(np.exp(logp_all) * logp_all).sum(1)
    gamma = policy.config["gamma"]
    if vtrace:
        ratio = np.exp(logp - batch["action_logp"].astype(np.float64))
        rho, c = np.minimum(1.0, ratio), np.minimum(1.0, ratio)
        vs, adv = np.zeros(n), np.zeros(n)
        for t in reversed(range(n)):
            end = batch["dones"][t] or t == n - 1 or batch["unroll_id"][t + 1] != batch["unroll_id"][t] \
                or batch["eps_id"][t + 1] != batch["eps_id"][t]
            if end:
                v_next = 0.0 if batch["terminateds"][t] else next_values[t]
                vs_next, disc = v_next, gamma
            else:
                v_next, vs_next, disc = values[t + 1], vs[t + 1], gamma
            vs[t] = values[t] + rho[t] * (batch["rewards"][t] + disc * v_next - values[t]) \
                + (0.0 if end else disc * c[t] * (vs[t + 1] - values[t + 1]))
            adv[t] = rho[t] * (batch["rewards"][t] + disc * vs_next - values[t])
    else:
        vs, adv = batch["value_targets"].astype(np.float64), batch["advantages"].astype(np.float64)
    return {"policy_loss": -np.mean(logp * adv), "vf_loss": 0.5 * np.mean((values - vs) ** 2),
            "entropy": np.mean(entropy)}


@pytest.mark.parametrize("vtrace", [True, False])
def test_torch_loss_matches_numpy(cartpole_batch, vtrace):
    batch, weights = cartpole_batch
    assert batch["terminateds"].any(), "the fixture should hold episode ends inside fragments"
    policy = make_policy("torch", vtrace=vtrace)
    policy.set_weights(weights)
    expected = reference_loss(policy, batch, vtrace)
    _, info = policy.compute_gradients(batch)
    stats = info["learner_stats"]
    for key, value in expected.items():
        assert stats[key] == pytest.approx(value, rel=1e-4, abs=1e-5), key


@pytest.mark.parametrize("vtrace", [True, False])
@pytest.mark.parametrize("framework, tracing", FRAMEWORKS[1:])
def test_tf_loss_and_gradients_match_torch(cartpole_batch, framework, tracing, vtrace):
    batch, weights = cartpole_batch
    torch_policy = make_policy("torch", vtrace=vtrace, grad_clip=None)
    torch_policy.set_weights(weights)
    tf_policy = make_policy(framework, tracing, vtrace=vtrace, grad_clip=None)
    tf_policy.set_weights(torch_to_tf_weights(weights))
    torch_grads, torch_info = torch_policy.compute_gradients(batch)
    tf_grads, tf_info = tf_policy.compute_gradients(batch)
    t, f = torch_info["learner_stats"], tf_info["learner_stats"]
    assert set(t) == set(f) == {"cur_lr", "policy_loss", "entropy", "entropy_coeff", "var_gnorm", "vf_loss",
                                "vf_explained_var", "total_loss", "grad_gnorm"}
    for key in t:
        assert f[key] == pytest.approx(t[key], rel=2e-4, abs=1e-5), key
    # The value head's bias gradient: same in both frameworks.
    names = list(torch_policy.get_weights())
    t_bias = torch_grads[names.index("_value_branch._model.0.bias")]
    f_bias = tf_grads[list(tf_policy.get_weights()).index("value_out/bias")]
    np.testing.assert_allclose(f_bias, t_bias, rtol=1e-3, atol=1e-5)
    if tracing:
        assert tf_policy.trace_counts["learn"] <= 2  # the dummy batch's layout and the real one's


@pytest.mark.parametrize("framework, tracing", FRAMEWORKS)
def test_gradients_reach_every_weight_and_learning_reduces_the_loss(cartpole_batch, framework, tracing):
    batch, weights = cartpole_batch
    policy = make_policy(framework, tracing, lr=0.01)
    policy.set_weights(weights if framework == "torch" else torch_to_tf_weights(weights))
    grads, info = policy.compute_gradients(batch)
    assert all(np.abs(g).sum() > 0 for g in grads)
    before = info["learner_stats"]["total_loss"]
    for _ in range(30):
        policy.learn_on_batch(batch)
    _, info = policy.compute_gradients(batch)
    assert info["learner_stats"]["total_loss"] < 0.7 * before


@pytest.mark.parametrize("framework, tracing", FRAMEWORKS)
@pytest.mark.parametrize("action_space", [gym.spaces.MultiDiscrete([3, 2]),
                                          gym.spaces.Box(-1.0, 1.0, (2,), np.float32)], ids=["multidiscrete", "box"])
def test_action_spaces(framework, tracing, action_space):
    policy = make_policy(framework, tracing, action_space=action_space, model={"fcnet_hiddens": [8]})
    rng = np.random.default_rng(0)
    n = 2 * FRAGMENT
    obs = rng.uniform(-1, 1, (n, 4)).astype(np.float32)
    actions, _, extra = policy.compute_actions(obs)
    batch = SampleBatch({"obs": obs, "new_obs": obs[::-1].copy(), "actions": actions,
                         "rewards": rng.normal(size=n).astype(np.float32), "dones": np.zeros(n, bool),
                         "action_logp": extra["action_logp"] - 0.1, **{k: v for k, v in extra.items()
                                                                        if k != "action_logp"}})
    grads, info = policy.compute_gradients(batch)
    stats = info["learner_stats"]
    assert all(np.isfinite(v) for v in stats.values())
    assert stats["policy_loss"] != 0.0 and all(np.abs(g).sum() > 0 for g in grads)


@pytest.mark.parametrize("framework, tracing", FRAMEWORKS)
def test_rmsprop_and_schedules(cartpole_batch, framework, tracing):
    batch, _ = cartpole_batch
    policy = make_policy(framework, tracing, opt_type="rmsprop", lr_schedule=[[0, 0.01], [100, 0.001]],
                         entropy_coeff_schedule=[[0, 0.1], [100, 0.0]])
    opt = policy._optimizers[0]
    assert type(opt).__name__ == "RMSprop"
    policy.on_global_var_update({"timestep": 50})
    stats = policy.learn_on_batch(batch)["learner_stats"]
    assert stats["cur_lr"] == pytest.approx(0.0055, rel=1e-5)
    assert stats["entropy_coeff"] == pytest.approx(0.05, rel=1e-5)


def test_optimizer_and_layout_errors():
    with pytest.raises(ValueError, match="opt_type='sgd': expected 'adam' or 'rmsprop'"):
        make_policy("torch", opt_type="sgd")
    with pytest.raises(ValueError, match="recurrent models"):
        make_policy("torch", model={"fcnet_hiddens": [8], "use_lstm": True, "lstm_cell_size": 8})
    policy = make_policy("torch", vtrace=False)
    policy.config["vtrace"] = True
    n = FRAGMENT + 3
    obs = np.zeros((n, 4), np.float32)
    actions, _, extra = policy.compute_actions(obs)
    batch = SampleBatch({"obs": obs, "new_obs": obs, "actions": actions, "rewards": np.zeros(n, np.float32),
                         "dones": np.zeros(n, bool), **extra})
    with pytest.raises(ValueError, match=f"23 rows and no eps_id/unroll_id columns: expected a multiple of "
                                         f"rollout_fragment_length={FRAGMENT}"):
        policy.learn_on_batch(batch)


def test_vtrace_false_postprocesses_with_gae_and_vtrace_true_does_not(cartpole_batch):
    batch, _ = cartpole_batch
    raw = SampleBatch({k: v for k, v in batch.items() if k not in ("advantages", "value_targets")})
    with_gae = make_policy("torch", vtrace=False).postprocess_trajectory(raw.copy())
    without = make_policy("torch", vtrace=True).postprocess_trajectory(raw.copy())
    assert "advantages" in with_gae and "value_targets" in with_gae
    assert "advantages" not in without
    assert to_numpy(with_gae["advantages"]).shape == (raw.count,)

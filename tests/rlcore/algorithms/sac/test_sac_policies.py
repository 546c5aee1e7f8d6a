"""SAC policies (issue #15): squashed-Gaussian logp, action bounds, soft target updates, torch/TF
loss and learn-step parity on the same weights, TF traced == eager, twin_q and discrete paths."""

import gymnasium as gym
import numpy as np
import pytest

from rlcore.algorithms.sac import SACTFPolicy, SACTorchPolicy
from tests.rlcore.algorithms.sac.lockstep import assert_lockstep_updates_equal, assert_losses_reach_only_their_optimizer, \
    assert_tf_learns_as_torch, per_loss_backward, plain_autograd

OBS = gym.spaces.Box(-1.0, 1.0, (3,), np.float32)
BOX = gym.spaces.Box(np.array([-2.0, 0.0], np.float32), np.array([2.0, 5.0], np.float32))
SMALL = {"Q_model": {"fcnet_hiddens": [16]}, "policy_model": {"fcnet_hiddens": [16]}}


def _policy(framework, action_space=BOX, **overrides):
    cfg = dict(SMALL, **overrides)
    if framework == "torch":
        return SACTorchPolicy(OBS, action_space, cfg)
    return SACTFPolicy(OBS, action_space, dict(cfg, eager_tracing=framework == "tf2-traced"))


def _batch(action_space, n=16, seed=0):
    rng = np.random.default_rng(seed)
    if isinstance(action_space, gym.spaces.Discrete):
        actions = rng.integers(0, action_space.n, n)
    else:
        actions = rng.uniform(action_space.low, action_space.high, (n, *action_space.shape)).astype(np.float32)
    return {"obs": rng.normal(size=(n, 3)).astype(np.float32), "new_obs": rng.normal(size=(n, 3)).astype(np.float32),
            "actions": actions, "rewards": rng.normal(size=n).astype(np.float32),
            "dones": rng.random(n) < 0.2, "weights": np.ones(n, np.float32)}


def _reference_logp(y, mean, log_std, low, high):
    """float64 density of y = low + (tanh(u) + 1) / 2 * (high - low), u ~ N(mean, exp(log_std))."""
    y, mean, log_std = (np.asarray(a, np.float64) for a in (y, mean, log_std))
    z = 2.0 * (y - low) / (high - low) - 1.0
    u = np.arctanh(z)
    std = np.exp(log_std)
    log_normal = -0.5 * ((u - mean) / std) ** 2 - log_std - 0.5 * np.log(2 * np.pi)
    log_jacobian = np.log1p(-np.tanh(u) ** 2) + np.log((high - low) / 2.0)
    return np.sum(log_normal - log_jacobian, axis=-1)


@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_squashed_gaussian_logp_matches_float64_reference(framework):
    rng = np.random.default_rng(1)
    low, high = np.array([-2.0, 0.0]), np.array([2.0, 5.0])
    mean, log_std = rng.normal(size=(64, 2)), rng.uniform(-1.5, 0.5, (64, 2))
    y = low + (high - low) * rng.uniform(0.02, 0.98, (64, 2))
    inputs = np.concatenate([mean, log_std], -1).astype(np.float32)
    if framework == "torch":
        import torch

        from rlcore.models.torch.torch_action_dist import TorchSquashedGaussian as SG

        dist = SG(torch.tensor(inputs), low=low, high=high)
        logp = dist.logp(torch.tensor(y, dtype=torch.float32)).numpy()
        sample = dist.sample().numpy()
        sampled_logp = dist.sampled_action_logp().numpy()
    else:
        import tensorflow as tf

        from rlcore.models.tf.tf_action_dist import SquashedGaussian as SG

        dist = SG(tf.constant(inputs), low=low, high=high)
        logp = dist.logp(tf.constant(y, tf.float32)).numpy()
        sample = dist.sample().numpy()
        sampled_logp = dist.sampled_action_logp().numpy()
    expected = _reference_logp(y.astype(np.float32), mean.astype(np.float32), log_std.astype(np.float32), low, high)
    np.testing.assert_allclose(logp, expected, rtol=1e-4, atol=1e-4)
    assert np.all(sample >= low) and np.all(sample <= high)
    inside = np.all((sample > low + 1e-3) & (sample < high - 1e-3), axis=-1)  # away from float32 saturation
    np.testing.assert_allclose(sampled_logp[inside], _reference_logp(sample, mean, log_std, low, high)[inside],
                               rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("framework", ["torch", "tf2"])
@pytest.mark.parametrize("normalize", [True, False])
def test_actions_stay_in_the_actor_bounds(framework, normalize):
    policy = _policy(framework, normalize_actions=normalize)
    obs = np.random.default_rng(0).normal(scale=10.0, size=(200, 3)).astype(np.float32)  # pushes the mean far out
    low, high = (-np.ones(2), np.ones(2)) if normalize else (BOX.low, BOX.high)
    for explore in (True, False):
        actions, _, _ = policy.compute_actions(obs, explore=explore)
        assert actions.shape == (200, 2)
        assert np.all(actions >= low) and np.all(actions <= high)
    if not normalize:  # the whole Box is reachable, not just [-1, 1]
        assert np.any(actions[:, 1] > 1.0)


def _numpy_trainables(policy):
    return [np.array(v.detach().numpy() if hasattr(v, "detach") else v.numpy()) for v in policy.model.trainable_variables()]


def _target_trainables(policy):
    return [np.array(v.detach().numpy() if hasattr(v, "detach") else v.numpy())
            for v in policy.target_model.trainable_variables()]


@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_soft_target_update_matches_tau_exactly(framework):
    policy = _policy(framework, tau=0.3)
    assert all(np.array_equal(a, b) for a, b in zip(_numpy_trainables(policy), _target_trainables(policy)))
    policy.learn_on_batch(_batch(BOX))
    online, target = _numpy_trainables(policy), _target_trainables(policy)
    assert any(not np.array_equal(a, b) for a, b in zip(online, target))
    policy.update_target()  # the plan's call: tau from the config
    for o, t, new in zip(online, target, _target_trainables(policy)):
        np.testing.assert_array_equal(new, 0.3 * o + (1.0 - 0.3) * t)


def _torch_tf_pairs(torch_policy, tf_policy):
    """``[(torch parameter, TF variable)]`` of the two models, in TF's order."""
    tf_vars = tf_policy.model.trainable_variables()
    named = torch_policy.model.trainable_variables(as_dict=True)  # torch lists the module's own log_alpha first
    torch_vars = [v for k, v in named.items() if k != "log_alpha"] + [named["log_alpha"]]
    assert len(tf_vars) == len(torch_vars)
    return list(zip(torch_vars, tf_vars))


def _copy_torch_to_tf(torch_policy, tf_policy):
    for pv, tv in _torch_tf_pairs(torch_policy, tf_policy):
        value = pv.detach().numpy()
        tv.assign(value.T if value.ndim == 2 else value)
    tf_policy.update_target(tau=1.0)


def _losses(policy, batch, framework):
    if framework == "torch":
        import torch

        from rlcore.algorithms.sac.sac_torch_policy import actor_critic_loss

        with torch.no_grad():
            train_batch = policy._prepare_train_batch(batch)
            return [float(x) for x in actor_critic_loss(policy, policy.model, policy.dist_class, train_batch)]
    from rlcore.algorithms.sac.sac_tf_policy import actor_critic_loss

    columns = {k: policy._tensor(np.asarray(v)) for k, v in batch.items()}
    return [float(x) for x in actor_critic_loss(policy, policy.model, policy.dist_class, columns)]


@pytest.mark.parametrize("action_space", [BOX, gym.spaces.Discrete(3)], ids=["box", "discrete"])
def test_torch_and_tf_losses_agree_on_the_same_weights(action_space):
    torch_policy = _policy("torch", action_space, _deterministic_loss=True)
    tf_policy = _policy("tf2", action_space, _deterministic_loss=True)
    _copy_torch_to_tf(torch_policy, tf_policy)
    batch = _batch(action_space)
    torch_losses, tf_losses = _losses(torch_policy, batch, "torch"), _losses(tf_policy, batch, "tf2")
    assert len(torch_losses) == 4  # actor, two critics, alpha
    np.testing.assert_allclose(torch_losses, tf_losses, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("action_space", [BOX, gym.spaces.Discrete(3)], ids=["box", "discrete"])
def test_tf_learn_steps_move_the_weights_as_torch_s_do(action_space):
    """TF2's traced learn step (the trainer's) changes every variable as torch's does on the same
    weights and batches: its gradients, its three Adam optimizers (actor, critics, alpha) and the
    variables each one steps. With the torch learning tests (test_sac_trainer.py) this covers the
    TF2 learning of the continuous case, whose own learning run the suite no longer makes."""
    import torch

    torch.manual_seed(0)  # the initial weights (copied to TF): a fixed, reproducible comparison
    torch_policy = _policy("torch", action_space, _deterministic_loss=True)
    tf_policy = _policy("tf2-traced", action_space, _deterministic_loss=True)
    _copy_torch_to_tf(torch_policy, tf_policy)
    assert_tf_learns_as_torch(torch_policy, tf_policy, lambda: _torch_tf_pairs(torch_policy, tf_policy),
                              [_batch(action_space, seed=seed) for seed in range(4)])


@pytest.mark.parametrize("action_space", [BOX, gym.spaces.Discrete(3)], ids=["box", "discrete"])
def test_tf_traced_learn_step_equals_eager(action_space):
    eager = _policy("tf2", action_space, _deterministic_loss=True)
    traced = _policy("tf2-traced", action_space, _deterministic_loss=True)
    traced.set_weights(eager.get_weights())
    for seed in range(2):
        batch = _batch(action_space, seed=seed)
        a, b = eager.learn_on_batch(batch), traced.learn_on_batch(batch)
        for key in ("actor_loss", "critic_loss", "alpha_loss", "mean_q"):
            np.testing.assert_allclose(a["learner_stats"][key], b["learner_stats"][key], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(a["td_error"], b["td_error"], rtol=1e-5, atol=1e-6)
    for k, v in eager.get_weights().items():
        np.testing.assert_allclose(v, traced.get_weights()[k], rtol=1e-5, atol=1e-6)
    assert traced.trace_counts["learn"] <= 2  # the dummy-batch check and the first learn step, not every step


@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_twin_q_off_has_one_critic(framework):
    policy = _policy(framework, twin_q=False)
    assert policy.model.twin_q_net is None
    out = policy.learn_on_batch(_batch(BOX))
    assert np.isfinite(out["learner_stats"]["critic_loss"]) and out["td_error"].shape == (16,)
    n_groups = len(policy._optimizers) if framework == "torch" else len(policy._optimizer_groups)
    assert n_groups == 3  # actor, critic, alpha


@pytest.mark.parametrize("framework", ["torch", "tf2", "tf2-traced"])
def test_discrete_sac_learns_on_a_batch(framework):
    policy = _policy(framework, gym.spaces.Discrete(3), initial_alpha=0.5)
    stats = policy.learn_on_batch(_batch(gym.spaces.Discrete(3)))["learner_stats"]
    assert stats["target_entropy"] == pytest.approx(0.98 * np.log(3), rel=1e-6)
    log_alpha = policy.model.log_alpha
    alpha_after = float(np.exp(log_alpha.detach().numpy() if hasattr(log_alpha, "detach") else log_alpha.numpy()))
    assert alpha_after != pytest.approx(0.5, abs=1e-9)  # the alpha optimizer stepped
    actions, _, extra = policy.compute_actions(np.zeros((8, 3), np.float32))
    assert set(np.unique(actions)) <= {0, 1, 2} and extra["action_logp"].shape == (8,)


@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_state_round_trip_keeps_every_optimizer(framework):
    policy = _policy(framework)
    policy.learn_on_batch(_batch(BOX))
    state = policy.get_state()
    fresh = _policy(framework)
    fresh.set_state(state)
    for k, v in policy.get_weights().items():
        np.testing.assert_array_equal(v, fresh.get_weights()[k])
    assert len(state["_optimizer_variables"]) == len(fresh.get_state()["_optimizer_variables"])


@pytest.mark.parametrize("twin_q", [True, False])
def test_torch_frozen_critics_in_the_actor_loss_change_no_bit_of_the_update(twin_q, monkeypatch):
    # The actor loss reads the critics with their weights frozen (no weight gradients recorded);
    # the critic optimizers drop those gradients anyway, so the step equals plain autograd's.
    from rlcore.algorithms.sac import sac_torch_policy

    fast, plain = _policy("torch", twin_q=twin_q), _policy("torch", twin_q=twin_q)
    assert_lockstep_updates_equal(fast, plain, [_batch(BOX, seed=s) for s in range(3)], "action_model", "q_net",
                                  plain_autograd(monkeypatch, sac_torch_policy))
    assert all(p.requires_grad for p in fast.model.parameters())


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_torch_in_place_activations_change_no_bit_of_the_update(activation):
    # InPlaceFC overwrites each linear output with its activation; the same policy whose layers
    # apply the out-of-place function must step to the same weights, bit for bit.
    import torch

    from rlcore.algorithms.sac.sac_torch_model import InPlaceFC

    hidden = {"fcnet_hiddens": [16, 16], "fcnet_activation": activation}
    fast, plain = (_policy("torch", Q_model=hidden, policy_model=hidden) for _ in range(2))
    in_place, out_of_place = getattr(torch, activation + "_"), getattr(torch, activation)
    layers = [m for model in (plain.model, plain.target_model) for m in model.modules() if isinstance(m, InPlaceFC)]
    hidden_layers = [m for m in layers if m._act_fn is in_place]
    assert len(hidden_layers) == 2 * 3 * 2  # model and target, 3 networks, 2 hidden layers each
    for m in hidden_layers:
        m.__dict__["_act_fn"] = out_of_place
    assert_lockstep_updates_equal(fast, plain, [_batch(BOX, seed=s) for s in range(3)], "action_model", "q_net")


@pytest.mark.parametrize("action_space, overrides", [
    (BOX, {}), (BOX, {"twin_q": False}), (BOX, {"grad_clip": 0.05, "n_step": 3}), (gym.spaces.Discrete(3), {}),
], ids=["box", "single-q", "grad-clip", "discrete"])
def test_torch_single_backward_over_all_losses_changes_no_bit_of_the_update(action_space, overrides, monkeypatch):
    # SummedBackward: one backward pass for the actor, critic(s) and alpha losses, exact because
    # no loss reaches another optimizer's parameters; the weights after 3 updates equal those of
    # one backward pass per loss, bit for bit.
    fast, plain = (_policy("torch", action_space, **overrides) for _ in range(2))
    batches = [dict(_batch(action_space, seed=s), weights=np.linspace(0.5, 1.5, 16, dtype=np.float32))
               for s in range(3)]
    assert_losses_reach_only_their_optimizer(fast, batches[0])
    assert_lockstep_updates_equal(fast, plain, batches, "action_model", "q_net",
                                  per_loss_backward(monkeypatch, SACTorchPolicy))
    np.testing.assert_array_equal(fast.model.log_alpha.detach().numpy(), plain.model.log_alpha.detach().numpy())
    assert float(fast.model.log_alpha.detach()) != 0.0  # the alpha loss stepped too


def _shifted_q_policy(action_space, shift, **overrides):
    """A torch SAC policy whose model (and target model) is a SACTorchModel subclass adding
    ``shift`` to both Q networks' outputs through ``get_q_values`` / ``get_twin_q_values``."""
    from rlcore.algorithms.sac.sac_torch_model import SACTorchModel
    from rlcore.algorithms.sac.sac_torch_policy import sac_dist_class, sac_model_kwargs

    class ShiftedQ(SACTorchModel):
        def get_q_values(self, model_out, actions=None):
            return super().get_q_values(model_out, actions) + shift

        def get_twin_q_values(self, model_out, actions=None):
            return super().get_twin_q_values(model_out, actions) + shift

    def make_model(policy, obs_space, act_space, config):
        kwargs = sac_model_kwargs(act_space, config)
        policy.target_model = ShiftedQ(obs_space, act_space, None, config["model"], "target", **kwargs)
        return ShiftedQ(obs_space, act_space, None, config["model"], "sac_model", **kwargs), \
            sac_dist_class(act_space, config, "torch")

    cls = SACTorchPolicy.with_updates(make_model_and_action_dist=make_model)
    return cls(OBS, action_space, dict(SMALL, **overrides))


@pytest.mark.parametrize("action_space", [BOX, gym.spaces.Discrete(3)], ids=["box", "discrete"])
@pytest.mark.parametrize("twin_q", [True, False])
def test_torch_loss_calls_a_subclass_q_override(action_space, twin_q):
    # The loss reads both critics through one obs||action input only for models that keep
    # SACTorchModel's Q methods; a subclass overriding get_q_values / get_twin_q_values gets them
    # called (RLlib 1.x's loss calls them), for the critic, the actor loss and the target.
    import torch

    from rlcore.algorithms.sac.sac_torch_policy import _reads_q_as_sac_model

    shift = 0.75
    base, shifted = _policy("torch", action_space, twin_q=twin_q), _shifted_q_policy(action_space, shift, twin_q=twin_q)
    assert _reads_q_as_sac_model(base.model) and not _reads_q_as_sac_model(shifted.model)
    shifted.set_weights(base.get_weights())
    batch = dict(_batch(action_space, seed=4), dones=np.zeros(16, bool))
    stats, td = [], []
    for policy in (base, shifted):
        torch.manual_seed(3)
        result = policy.learn_on_batch(batch)
        stats.append(result["learner_stats"])
        td.append(result["td_error"])
    # the critic reads Q + shift; the target r + gamma (min Q' + shift - alpha logp) moves by gamma * shift
    np.testing.assert_allclose(stats[1]["mean_q"], stats[0]["mean_q"] + shift, rtol=0, atol=1e-5)
    gamma = base.config["gamma"]
    td_base, td_shifted = td
    q_minus_target_moves = shift * (1.0 - gamma)  # |q - y| with q + shift and y + gamma * shift
    assert np.all(np.abs(td_shifted - td_base) <= q_minus_target_moves + 1e-5)
    assert np.abs(td_shifted - td_base).max() > 0.5 * q_minus_target_moves
    # the actor loss reads Q + shift (Box: min over the critics; discrete: the expectation under pi)
    np.testing.assert_allclose(stats[1]["actor_loss"] - stats[0]["actor_loss"], -shift, rtol=0, atol=1e-5)


def test_torch_subclass_keeping_the_q_methods_takes_the_shared_input_path():
    # A subclass that overrides something else (the policy head) keeps the one-input Q path.
    from rlcore.algorithms.sac.sac_torch_model import SACTorchModel
    from rlcore.algorithms.sac.sac_torch_policy import _reads_q_as_sac_model

    class OwnHead(SACTorchModel):
        def get_policy_output(self, model_out):
            return super().get_policy_output(model_out)

    class OwnQ(OwnHead):
        def _q(self, net, model_out, actions):
            return super()._q(net, model_out, actions)

    kwargs = dict(policy_model_config={"fcnet_hiddens": [4]}, q_model_config={"fcnet_hiddens": [4]})
    assert _reads_q_as_sac_model(OwnHead(OBS, BOX, None, {}, "m", **kwargs))
    assert not _reads_q_as_sac_model(OwnQ(OBS, BOX, None, {}, "m", **kwargs))

"""TorchPolicy through build_torch_policy: acting, learning, state, export, hooks."""

import numpy as np
import pytest
import torch

from rlcore.models.catalog import ModelCatalog
from rlcore.models.torch.torch_action_dist import TorchCategorical
from rlcore.models.torch.fcnet import FullyConnectedNetwork
from rlcore.policy.policy import LEARNER_STATS_KEY
from rlcore.policy.torch_policy import TorchPolicy
from rlcore.policy.torch_policy_template import build_torch_policy
from tests.rlcore.policy.conftest import ACT_SPACE, OBS_SPACE, SMALL_MODEL, fixed_batch, torch_pg_loss

PGTorch = build_torch_policy("PGTorch", loss_fn=torch_pg_loss)


def make(config=None, cls=PGTorch):
    torch.manual_seed(0)
    return cls(OBS_SPACE, ACT_SPACE, dict({"lr": 0.05, "model": SMALL_MODEL}, **(config or {})))


def loss_value(policy, batch):
    from rlcore.policy.train_batch import convert_columns

    with torch.no_grad():
        return float(torch_pg_loss(policy, policy.model, policy.dist_class, convert_columns(batch, torch.as_tensor)))


def test_build_torch_policy_gives_a_torch_policy_with_catalog_model():
    p = make()
    assert isinstance(p, TorchPolicy)
    assert isinstance(p.model, FullyConnectedNetwork)
    assert p.dist_class is TorchCategorical or issubclass(p.dist_class, TorchCategorical)
    assert p.config["framework"] == "torch" and p.config["lr"] == 0.05


def test_compute_actions_returns_numpy_actions_and_extra_fetches():
    p = make()
    obs = fixed_batch(8)["obs"]
    actions, state_out, extra = p.compute_actions(obs)
    assert isinstance(actions, np.ndarray) and actions.shape == (8,) and set(actions) <= {0, 1}
    assert state_out == []
    assert set(extra) == {"action_prob", "action_logp", "action_dist_inputs", "vf_preds"}
    assert extra["action_dist_inputs"].shape == (8, 2) and extra["vf_preds"].shape == (8,)
    np.testing.assert_allclose(extra["action_prob"], np.exp(extra["action_logp"]), rtol=1e-6)
    logp = p.compute_log_likelihoods(actions, obs)
    np.testing.assert_allclose(logp, extra["action_logp"], rtol=1e-5, atol=1e-6)


def test_explore_false_is_deterministic_argmax():
    p = make()
    obs = fixed_batch(16)["obs"]
    a1, _, e1 = p.compute_actions(obs, explore=False)
    a2, _, _ = p.compute_actions(obs, explore=False)
    np.testing.assert_array_equal(a1, a2)
    np.testing.assert_array_equal(a1, e1["action_dist_inputs"].argmax(1))
    np.testing.assert_array_equal(e1["action_logp"], np.zeros(16, np.float32))


def test_action_logp_batch_takes_the_native_kernel_for_the_plain_categorical(monkeypatch):
    """TorchCategorical itself: one categorical_logp call, within float32 roundings of its torch
    logp; a subclass (here: with a temperature) keeps its own logp."""
    import functools

    from rlcore import _backend

    calls = []
    kernel = _backend.categorical_logp
    monkeypatch.setattr(_backend, "categorical_logp", lambda *a: calls.append(1) or kernel(*a))
    p = make()
    p.dist_class = TorchCategorical
    rng = np.random.default_rng(0)
    inputs, actions = rng.normal(0, 3, (50, 2)).astype(np.float32), rng.integers(0, 2, 50)
    got = p.action_logp_batch(inputs, actions)
    want = TorchCategorical(torch.from_numpy(inputs)).logp(torch.from_numpy(actions)).numpy()
    assert calls == [1] and got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-6)
    p.dist_class = functools.partial(TorchCategorical, temperature=2.0)
    hot = p.action_logp_batch(inputs, actions)
    want = TorchCategorical(torch.from_numpy(inputs), temperature=2.0).logp(torch.from_numpy(actions)).numpy()
    assert calls == [1]
    np.testing.assert_array_equal(hot, want)


def test_compute_single_action_unbatches():
    p = make()
    action, state, extra = p.compute_single_action(fixed_batch(1)["obs"][0], explore=False)
    assert np.ndim(action) == 0 and state == [] and extra["action_dist_inputs"].shape == (2,)


def test_learn_on_batch_lowers_the_seed_loss_on_a_fixed_batch(batch):
    p = make()
    before = loss_value(p, batch)
    for _ in range(20):
        out = p.learn_on_batch(batch)
    assert LEARNER_STATS_KEY in out
    assert loss_value(p, batch) < before - 0.1


def test_learn_on_batch_does_exactly_one_step_with_config_lr(batch):
    p = make({"lr": 0.0})
    w0 = p.get_weights()
    p.learn_on_batch(batch)
    for k, v in p.get_weights().items():
        np.testing.assert_array_equal(v, w0[k])
    assert p._optimizers[0].param_groups[0]["lr"] == 0.0
    assert p._optimizers[0].state_dict()["state"][0]["step"].item() == 1.0


def test_grad_clip_reports_gnorm_and_bounds_the_update(batch):
    p = make({"grad_clip": 1e-3})
    stats = p.learn_on_batch(batch)[LEARNER_STATS_KEY]
    assert stats["grad_gnorm"] > 1e-3
    grads, _ = p.compute_gradients(batch)
    assert np.sqrt(sum(float((g**2).sum()) for g in grads)) <= 1e-3 + 1e-6


def test_compute_then_apply_gradients_equals_learn_on_batch(batch):
    a, b = make(), make()
    b.set_weights(a.get_weights())
    grads, info = a.compute_gradients(batch)
    assert all(isinstance(g, np.ndarray) for g in grads) and LEARNER_STATS_KEY in info
    a.apply_gradients(grads)
    b.learn_on_batch(batch)
    for k, v in a.get_weights().items():
        np.testing.assert_allclose(v, b.get_weights()[k], rtol=1e-6, atol=1e-7)


def test_apply_gradients_checks_the_count():
    with pytest.raises(ValueError, match="expected"):
        make().apply_gradients([np.zeros(1)])


def test_state_round_trip_gives_identical_actions(tmp_path, batch):
    p = make()
    for _ in range(3):
        p.learn_on_batch(batch)
    p.on_global_var_update({"timestep": 123})
    state = p.get_state()
    from rlcore.policy.policy_state import packb, unpackb

    weights = unpackb(packb(p.get_weights()))  # msgpack-able, exactly
    assert weights.keys() == p.get_weights().keys()
    for k, v in p.get_weights().items():
        np.testing.assert_array_equal(weights[k], v)
    assert state["global_timestep"] == 123 and state["_optimizer_variables"]
    path = p.export_checkpoint(str(tmp_path))
    q = make()
    q.import_checkpoint(path)
    assert q.global_timestep == 123
    obs = fixed_batch(32, seed=5)["obs"]
    np.testing.assert_array_equal(p.compute_actions(obs, explore=False)[0], q.compute_actions(obs, explore=False)[0])
    np.testing.assert_allclose(p.compute_actions(obs)[2]["action_dist_inputs"],
                               q.compute_actions(obs)[2]["action_dist_inputs"])
    # The optimizer state came along too: one more step keeps both identical.
    p.learn_on_batch(batch)
    q.learn_on_batch(batch)
    for k, v in p.get_weights().items():
        np.testing.assert_allclose(v, q.get_weights()[k], rtol=1e-6, atol=1e-7)


def test_set_weights_accepts_read_only_arrays_and_rejects_wrong_keys():
    p, q = make(), make()
    w = {k: v for k, v in p.get_weights().items()}
    for v in w.values():
        v.setflags(write=False)
    q.set_weights(w)
    w.pop(next(iter(w)))
    with pytest.raises(ValueError, match="missing keys"):
        q.set_weights(w)


def test_export_model_writes_loadable_torchscript(tmp_path):
    p = make()
    path = p.export_model(str(tmp_path))
    loaded = torch.jit.load(path)
    obs = torch.as_tensor(fixed_batch(5)["obs"])
    with torch.no_grad():
        (out,) = loaded(obs)
    np.testing.assert_allclose(out.numpy(), p.compute_actions(obs.numpy())[2]["action_dist_inputs"], rtol=1e-5)


def test_hooks_are_called_with_rllib_signatures(batch):
    calls = []

    def stats_fn(policy, train_batch):
        calls.append("stats")
        return {"mean_reward": train_batch["rewards"].mean()}

    def postprocess_fn(policy, sample_batch, other_agent_batches=None, episode=None):
        calls.append("postprocess")
        sample_batch["rewards"] = sample_batch["rewards"] * 2
        return sample_batch

    def extra_action_out_fn(policy, input_dict, state_batches, model, action_dist):
        return {"logits_sum": action_dist.inputs.sum(-1)}

    def optimizer_fn(policy, config):
        calls.append("optimizer")
        return torch.optim.SGD(policy.model.parameters(), lr=config["lr"])

    def before_init(policy, obs_space, action_space, config):
        calls.append("before_init")
        policy.marker = config["lr"]

    def after_init(policy, obs_space, action_space, config):
        calls.append("after_init")

    P = build_torch_policy("Hooked", loss_fn=torch_pg_loss, stats_fn=stats_fn, postprocess_fn=postprocess_fn,
                           extra_action_out_fn=extra_action_out_fn, optimizer_fn=optimizer_fn,
                           before_init=before_init, after_init=after_init,
                           extra_learn_fetches_fn=lambda policy: {"td_error": np.zeros(2)},
                           get_default_config=lambda: {"lr": 0.5})
    p = P(OBS_SPACE, ACT_SPACE, {"model": SMALL_MODEL})
    assert calls[:2] == ["before_init", "optimizer"] and calls[-1] == "after_init" and "stats" in calls
    assert p.marker == 0.5 and isinstance(p._optimizers[0], torch.optim.SGD)
    _, _, extra = p.compute_actions(batch["obs"][:3])
    assert extra["logits_sum"].shape == (3,)
    post = p.postprocess_trajectory(batch.copy())
    np.testing.assert_array_equal(post["rewards"], batch["rewards"] * 2)
    out = p.learn_on_batch(batch)
    assert out[LEARNER_STATS_KEY]["mean_reward"] == pytest.approx(float(batch["rewards"].mean()))
    assert out["td_error"].shape == (2,)


def test_broken_loss_fails_at_construction():
    def bad_loss(policy, model, dist_class, train_batch):
        return train_batch["no_such_column"]

    with pytest.raises(KeyError, match="no_such_column"):
        build_torch_policy("Bad", loss_fn=bad_loss)(OBS_SPACE, ACT_SPACE, {"model": SMALL_MODEL})


def test_with_updates_and_mixins():
    class Mixin:
        def hello(self):
            return "hi"

    P2 = PGTorch.with_updates(name="PG2", mixins=[Mixin], get_default_config=lambda: {"lr": 0.25})
    p = P2(OBS_SPACE, ACT_SPACE, {"model": SMALL_MODEL})
    assert P2.__name__ == "PG2" and p.hello() == "hi" and p.config["lr"] == 0.25
    assert type(p).__mro__[1] is Mixin


def test_make_model_and_action_distribution_fn():
    def make_model(policy, obs_space, action_space, config):
        return FullyConnectedNetwork(obs_space, action_space, 2, dict(config["model"], fcnet_hiddens=[8]), "m")

    def action_distribution_fn(policy, model, obs_batch, *, explore=True, is_training=False, **kw):
        logits, state = model({"obs": obs_batch}, [], None)
        return logits * 0.0, TorchCategorical, state

    P = build_torch_policy("MM", loss_fn=torch_pg_loss, make_model=make_model,
                           action_distribution_fn=action_distribution_fn)
    p = P(OBS_SPACE, ACT_SPACE, {"model": SMALL_MODEL})
    assert p.model.num_outputs == 2
    _, _, extra = p.compute_actions(fixed_batch(4)["obs"])
    np.testing.assert_allclose(extra["action_prob"], 0.5, rtol=1e-6)


def test_on_global_var_update_drives_exploration_schedule():
    p = make({"exploration_config": {"type": "EpsilonGreedy", "initial_epsilon": 1.0, "final_epsilon": 0.0,
                                     "epsilon_timesteps": 100}})
    p.on_global_var_update({"timestep": 1000})
    obs = fixed_batch(64)["obs"]
    greedy = p.compute_actions(obs, explore=False)[0]
    np.testing.assert_array_equal(p.compute_actions(obs)[0], greedy)
    assert p.get_exploration_info()["cur_epsilon"] == 0.0
    p.on_global_var_update({"timestep": 0})
    assert (p.compute_actions(obs)[0] != greedy).any()


def test_custom_model_and_action_dist_by_name():
    class HalfCategorical(TorchCategorical):
        pass

    class TinyModel(FullyConnectedNetwork):
        pass

    ModelCatalog.register_custom_model("c2_tiny_model", TinyModel)
    ModelCatalog.register_custom_action_dist("c2_half_cat", HalfCategorical)
    p = make({"model": {"custom_model": "c2_tiny_model", "custom_action_dist": "c2_half_cat", "fcnet_hiddens": [8]}})
    assert type(p.model).__name__ == "TinyModel"
    assert p.dist_class is HalfCategorical or issubclass(p.dist_class, HalfCategorical)
    with pytest.raises(ValueError, match="c2_tiny_model"):
        make({"model": {"custom_model": "no_such_model"}})


def test_unsupported_space_error_names_the_space():
    import gymnasium as gym

    with pytest.raises(ValueError, match="Box"):
        PGTorch(OBS_SPACE, gym.spaces.Box(-1, 1, (2, 3)), {"model": SMALL_MODEL})


def test_view_requirements_have_rllib_defaults():
    vr = make().view_requirements
    assert vr["prev_actions"].data_col == "actions" and vr["prev_actions"].shift == -1
    assert vr["new_obs"].shift == 1 and not vr["new_obs"].used_for_compute_actions


def test_learning_rate_schedule_mixin():
    from rlcore.policy.torch_policy import LearningRateSchedule

    def before_init(policy, obs_space, action_space, config):
        LearningRateSchedule.__init__(policy, config["lr"], [[0, 0.1], [100, 0.0]])

    P = build_torch_policy("LR", loss_fn=torch_pg_loss, mixins=[LearningRateSchedule], before_init=before_init)
    p = P(OBS_SPACE, ACT_SPACE, {"model": SMALL_MODEL, "lr": 0.1})
    p.on_global_var_update({"timestep": 50})
    assert p.global_timestep == 50
    assert p._optimizers[0].param_groups[0]["lr"] == pytest.approx(0.05)


@pytest.mark.parametrize("space", [
    __import__("gymnasium").spaces.Box(-2.0, 2.0, (2,), dtype=np.float32),
    __import__("gymnasium").spaces.MultiDiscrete([2, 3]),
    __import__("gymnasium").spaces.Tuple([__import__("gymnasium").spaces.Discrete(3),
                                          __import__("gymnasium").spaces.Box(-1.0, 1.0, (2,), dtype=np.float32)]),
], ids=["box", "multidiscrete", "tuple"])
def test_other_action_spaces(space):
    p = PGTorch(OBS_SPACE, space, {"model": SMALL_MODEL})
    obs = fixed_batch(4)["obs"]
    actions, _, extra = p.compute_actions(obs)
    single, _, _ = p.compute_single_action(obs[0], clip_actions=True)
    if isinstance(space, __import__("gymnasium").spaces.Tuple):
        assert [np.shape(a) for a in actions] == [(4,), (4, 2)]
        assert space.contains((int(single[0]), np.asarray(single[1], np.float32)))
    else:
        assert np.shape(actions)[0] == 4 and space.contains(np.asarray(single, dtype=space.dtype))
    np.testing.assert_allclose(p.compute_log_likelihoods(actions, obs), extra["action_logp"], rtol=1e-4, atol=1e-5)


def test_remaining_template_hooks(batch):
    from rlcore.data.view_requirement import ViewRequirement

    calls = []

    def make_model_and_action_dist(policy, obs_space, action_space, config):
        calls.append("make_model_and_action_dist")
        model = FullyConnectedNetwork(obs_space, action_space, 2, dict(config["model"], fcnet_hiddens=[8]), "m")
        return model, TorchCategorical

    def extra_grad_process_fn(policy, optimizer, loss):
        calls.append("extra_grad_process")
        return {"loss_seen": loss.item()}

    def compute_gradients_fn(policy, train_batch):
        calls.append("compute_gradients_fn")
        return TorchPolicy.compute_gradients(policy, train_batch)

    def apply_gradients_fn(policy, gradients):
        calls.append("apply_gradients_fn")
        TorchPolicy.apply_gradients(policy, gradients)

    def before_loss_init(policy, obs_space, action_space, config):
        calls.append("before_loss_init")

    def divisibility(policy):
        return 8

    P = build_torch_policy(
        "MoreHooks", loss_fn=torch_pg_loss, make_model_and_action_dist=make_model_and_action_dist,
        extra_grad_process_fn=extra_grad_process_fn, compute_gradients_fn=compute_gradients_fn,
        apply_gradients_fn=apply_gradients_fn, before_loss_init=before_loss_init,
        view_requirements_fn=lambda policy: {"my_col": ViewRequirement(used_for_compute_actions=False)},
        get_batch_divisibility_req=divisibility)
    p = P(OBS_SPACE, ACT_SPACE, {"model": SMALL_MODEL})
    assert calls[0] == "make_model_and_action_dist" and "before_loss_init" in calls
    assert p.dist_class is TorchCategorical and "my_col" in p.view_requirements and p.batch_divisibility_req == 8
    calls.clear()
    out = p.learn_on_batch(batch)
    assert calls == ["compute_gradients_fn", "extra_grad_process", "apply_gradients_fn"]
    assert np.isfinite(out[LEARNER_STATS_KEY]["loss_seen"])


def test_action_sampler_fn_bypasses_the_distribution():
    def action_sampler_fn(policy, model, obs_batch, state_batches, explore=True, timestep=None):
        n = obs_batch.shape[0]
        return torch.ones(n, dtype=torch.int64), torch.full((n,), -0.5)

    P = build_torch_policy("Sampler", loss_fn=torch_pg_loss, action_sampler_fn=action_sampler_fn)
    p = P(OBS_SPACE, ACT_SPACE, {"model": SMALL_MODEL})
    actions, _, extra = p.compute_actions(fixed_batch(3)["obs"])
    assert actions.tolist() == [1, 1, 1] and extra["action_logp"].tolist() == [-0.5] * 3
    assert "action_dist_inputs" not in extra
    np.testing.assert_allclose(extra["action_prob"], np.exp(-0.5), rtol=1e-6)


def test_two_optimizers_each_step_their_own_loss(batch):
    def loss_fn(policy, model, dist_class, train_batch):
        logits, _ = model.from_batch(train_batch)
        pi_loss = -torch.mean(dist_class(logits, model).logp(train_batch["actions"]) * train_batch["rewards"])
        vf_loss = torch.mean((model.value_function() - train_batch["rewards"]) ** 2)
        return [pi_loss, vf_loss]

    def optimizer_fn(policy, config):
        value_params = [p for n, p in policy.model.named_parameters() if "value" in n]
        other = [p for n, p in policy.model.named_parameters() if "value" not in n]
        return [torch.optim.SGD(other, lr=0.1), torch.optim.SGD(value_params, lr=0.1)]

    P = build_torch_policy("TwoOpt", loss_fn=loss_fn, optimizer_fn=optimizer_fn)
    p = P(OBS_SPACE, ACT_SPACE, {"model": dict(SMALL_MODEL, vf_share_layers=False)})
    assert len(p._optimizers) == 2
    before = p.get_weights()
    p.learn_on_batch(batch)
    after = p.get_weights()
    assert all(not np.allclose(before[k], after[k]) for k in before)
    with pytest.raises(ValueError, match="2 losses but the policy has 1 optimizers"):
        build_torch_policy("TwoLossOneOpt", loss_fn=loss_fn)(OBS_SPACE, ACT_SPACE, {"model": SMALL_MODEL})


def test_learning_runs_in_train_mode_and_acting_in_eval_mode():
    """A dropout model: learning sees dropout (train mode), acting after learning does not."""
    modes = []

    def loss(policy, model, dist_class, train_batch):
        modes.append(model.training)
        return torch_pg_loss(policy, model, dist_class, train_batch)

    class DropoutFC(FullyConnectedNetwork):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.drop = torch.nn.Dropout(0.9)

        def forward(self, input_dict, state, seq_lens):
            logits, state = super().forward(input_dict, state, seq_lens)
            return self.drop(logits), state

    ModelCatalog.register_custom_model("dropout_fc_mode_test", DropoutFC)
    p = make({"model": dict(SMALL_MODEL, custom_model="dropout_fc_mode_test")},
             cls=build_torch_policy("DropPG", loss_fn=loss))
    batch = fixed_batch(32)
    obs = batch["obs"]
    for _ in range(2):
        p.learn_on_batch(batch)
        assert p.model.training
        _, _, e1 = p.compute_actions(obs, explore=False)
        assert not p.model.training
        _, _, e2 = p.compute_actions(obs, explore=False)
        np.testing.assert_array_equal(e1["action_dist_inputs"], e2["action_dist_inputs"])
    p.compute_gradients(batch)
    assert modes[-3:] == [True, True, True]  # (an earlier call: the loss check at construction)


def test_mode_switch_reaches_every_submodule_and_custom_train_overrides():
    """The policy's train/eval switch sets every submodule's flag as nn.Module.train does, and a
    submodule whose class overrides ``train`` has its own ``train`` called for its subtree."""
    calls = []

    class Frozen(torch.nn.Module):  # e.g. a frozen encoder that stays in eval mode
        def __init__(self):
            super().__init__()
            self.inner = torch.nn.Dropout(0.5)

        def train(self, mode=True):
            calls.append(mode)
            return super().train(False)

    class Holder:
        model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Sequential(torch.nn.Dropout(0.5)), Frozen())

    h = Holder()
    TorchPolicy.set_training(h, False)
    assert [m.training for m in h.model.modules()] == [False] * 6 and calls == [False]
    TorchPolicy.set_training(h, True)
    assert [m.training for m in h.model.modules()] == [True, True, True, True, False, False] and calls == [False, True]


@pytest.mark.parametrize("max_norm", [0.01, 1.0, 1e6])
def test_grad_clip_matches_torch_clip_grad_norm(max_norm):
    torch.manual_seed(0)
    params = [torch.nn.Parameter(torch.zeros(s)) for s in [(4, 3), (3,), (2, 2)]]
    grads = [torch.randn(p.shape) for p in params]
    twins = [torch.nn.Parameter(torch.zeros(p.shape)) for p in params]
    for p, t, g in zip(params, twins, grads):
        p.grad, t.grad = g.clone(), g.clone()
    from rlcore.policy.torch_policy import _clip_grad_norm

    norm = _clip_grad_norm(params, max_norm)
    assert norm == pytest.approx(float(torch.nn.utils.clip_grad_norm_(twins, max_norm)), rel=1e-6)
    for p, t in zip(params, twins):
        torch.testing.assert_close(p.grad, t.grad)
    mixed = [torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))]
    mixed[0].grad, mixed[1].grad = torch.tensor([3.0, 0.0]), torch.tensor([0.0, 4.0], dtype=torch.float64)
    assert _clip_grad_norm(mixed, 1.0) == pytest.approx(5.0)  # dtypes differ: torch's own clip
    assert mixed[1].grad.tolist() == pytest.approx([0.0, 0.8])


def test_hook_keywords_are_looked_up_once_per_function(batch, monkeypatch):
    """``action_distribution_fn`` gets only the keywords it accepts, its signature read once."""
    import inspect

    seen = []

    def dist_fn(policy, model, obs_batch, explore=True, is_training=False):
        seen.append((explore, is_training))
        logits, _ = model({"obs": obs_batch})
        return logits, TorchCategorical, []

    p = make(cls=build_torch_policy("DistFnPG", loss_fn=torch_pg_loss, action_distribution_fn=dist_fn))
    p.compute_actions(batch["obs"][:2], explore=False)
    counted = []
    real = inspect.signature
    monkeypatch.setattr(inspect, "signature", lambda fn, *a, **k: counted.append(fn) or real(fn, *a, **k))
    for _ in range(3):
        p.compute_actions(batch["obs"][:2], explore=True)
    assert counted == [] and seen[-3:] == [(True, False)] * 3

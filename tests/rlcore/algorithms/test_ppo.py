"""PPO: the loss against a numpy computation, KL adaptation, schedules, state, config checks, the plan."""

import inspect

import gymnasium as gym
import numpy as np
import pytest

from rlcore.algorithms.ppo import PPOTFPolicy, PPOTorchPolicy, UpdateKL, execution_plan, validate_config
from rlcore.algorithms.ppo.ppo import DEFAULT_CONFIG
from rlcore.data.sample_batch import SampleBatch
from rlcore.policy.utils import to_numpy

OBS = gym.spaces.Box(-1.0, 1.0, (4,), np.float32)
ACT = gym.spaces.Discrete(2)
POLICIES = {"torch": PPOTorchPolicy, "tf2": PPOTFPolicy}


def make_policy(framework, **config):
    cfg = dict(DEFAULT_CONFIG, framework=framework, eager_tracing=framework == "tf2", model={"fcnet_hiddens": [8]})
    cfg.update(config)
    return POLICIES[framework](OBS, ACT, cfg)


def train_batch(n=32, seed=0):
    rng = np.random.default_rng(seed)
    old_logits = rng.normal(0, 1, (n, 2)).astype(np.float32)
    actions = rng.integers(0, 2, n)
    old_logp = old_logits[np.arange(n), actions] - np.log(np.exp(old_logits).sum(1))
    return SampleBatch({
        "obs": rng.uniform(-1, 1, (n, 4)).astype(np.float32), "actions": actions,
        "action_dist_inputs": old_logits, "action_logp": old_logp.astype(np.float32),
        "vf_preds": rng.normal(0, 0.5, n).astype(np.float32), "advantages": rng.normal(0, 1, n).astype(np.float32),
        "value_targets": rng.normal(0, 1, n).astype(np.float32)})


def model_outputs(policy, obs):
    logits, _ = policy.model({"obs": obs})
    values = policy.model.value_function()
    return to_numpy(logits).astype(np.float64), to_numpy(values).astype(np.float64)


def numpy_ppo_loss(batch, logits, values, cfg, kl_coeff, entropy_coeff):
    def log_softmax(x):
        return x - np.log(np.exp(x).sum(1, keepdims=True))

    n = len(batch["actions"])
    logp_all, old_all = log_softmax(logits), log_softmax(batch["action_dist_inputs"].astype(np.float64))
    ratio = np.exp(logp_all[np.arange(n), batch["actions"]] - batch["action_logp"])
    adv = batch["advantages"]
    surrogate = np.minimum(adv * ratio, adv * np.clip(ratio, 1 - cfg["clip_param"], 1 + cfg["clip_param"]))
    kl = (np.exp(old_all) * (old_all - logp_all)).sum(1)
    entropy = -(np.exp(logp_all) * logp_all).sum(1)
    old_v, targets = batch["vf_preds"], batch["value_targets"]
    vf_clipped = old_v + np.clip(values - old_v, -cfg["vf_clip_param"], cfg["vf_clip_param"])
    vf_loss = np.maximum((values - targets) ** 2, (vf_clipped - targets) ** 2)
    total = np.mean(-surrogate + kl_coeff * kl + cfg["vf_loss_coeff"] * vf_loss - entropy_coeff * entropy)
    return {"total_loss": total, "policy_loss": np.mean(-surrogate), "vf_loss": np.mean(vf_loss), "kl": np.mean(kl),
            "entropy": np.mean(entropy)}


@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_loss_matches_numpy(framework):
    cfg = {"clip_param": 0.2, "vf_clip_param": 0.1, "vf_loss_coeff": 0.5, "kl_coeff": 0.3, "entropy_coeff": 0.05}
    policy = make_policy(framework, **cfg)
    batch = train_batch()
    logits, values = model_outputs(policy, batch["obs"])
    expected = numpy_ppo_loss(batch, logits, values, cfg, kl_coeff=0.3, entropy_coeff=0.05)
    # compute_gradients evaluates the loss at the current weights without changing them.
    _, info = policy.compute_gradients(batch)
    stats = info["learner_stats"]
    for key, value in expected.items():
        assert stats[key] == pytest.approx(value, rel=1e-4, abs=1e-5), key
    assert stats["cur_kl_coeff"] == pytest.approx(0.3) and stats["entropy_coeff"] == pytest.approx(0.05)


@pytest.fixture(scope="module", params=["torch", "tf2"])
def kl_policy(request):
    """One policy (kl_coeff 0.2, kl_target 0.01) per framework for the update_kl cases, and its
    state as built: each case starts from it (a TF2 policy's build and traces cost ~0.5 s each)."""
    policy = make_policy(request.param, kl_coeff=0.2, kl_target=0.01)
    return policy, policy.get_state()


@pytest.mark.parametrize("sampled_kl, expected", [(0.05, 0.3), (0.001, 0.1), (0.01, 0.2), (0.02, 0.2), (0.005, 0.2)])
def test_update_kl(kl_policy, sampled_kl, expected):
    policy, built = kl_policy
    policy.set_state(built)
    assert policy.kl_coeff_val == pytest.approx(0.2)
    assert policy.update_kl(sampled_kl) == pytest.approx(expected)
    _, info = policy.compute_gradients(train_batch())
    assert info["learner_stats"]["cur_kl_coeff"] == pytest.approx(expected)


@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_kl_coeff_and_optimizer_survive_get_set_state(framework):
    policy = make_policy(framework)
    policy.update_kl(1.0)
    policy.learn_on_batch(train_batch())
    other = make_policy(framework)
    other.set_state(policy.get_state())
    assert other.kl_coeff_val == pytest.approx(0.3)
    batch = train_batch(seed=1)
    assert policy.learn_on_batch(batch)["learner_stats"] == pytest.approx(other.learn_on_batch(batch)["learner_stats"])


@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_entropy_and_lr_schedules_reach_the_loss(framework):
    policy = make_policy(framework, entropy_coeff_schedule=[[0, 0.1], [100, 0.0]], lr_schedule=[[0, 1e-3], [100, 1e-5]])
    batch = train_batch()
    first = policy.learn_on_batch(batch)["learner_stats"]
    policy.on_global_var_update({"timestep": 50})
    second = policy.learn_on_batch(batch)["learner_stats"]
    assert first["entropy_coeff"] == pytest.approx(0.1) and second["entropy_coeff"] == pytest.approx(0.05)
    assert first["cur_lr"] == pytest.approx(1e-3) and second["cur_lr"] == pytest.approx(0.000505, rel=1e-4)


@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_vf_share_layers_and_no_critic(framework):
    shared = make_policy(framework, model={"fcnet_hiddens": [8], "vf_share_layers": True})
    separate = make_policy(framework)
    assert len(shared.get_weights()) < len(separate.get_weights())
    no_critic = make_policy(framework, use_critic=False, use_gae=False, batch_mode="complete_episodes")
    stats = no_critic.learn_on_batch(train_batch())["learner_stats"]
    assert stats["vf_loss"] == 0.0


def _value_branch_grads(policy, batch):
    """The largest |gradient| of each value-branch variable, and the learner stats of ``batch``."""
    grads, info = policy.compute_gradients(batch)
    names = list(policy.get_weights())  # in the order of the gradients (the model's variables)
    assert len(names) == len(grads)
    return [float(np.abs(g).max()) for name, g in zip(names, grads) if "value" in name], info["learner_stats"]


@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_use_gae_switches_the_value_loss(framework):
    """RLlib 1.x gates the value loss and its clipping by use_gae, not use_critic: with use_gae=False
    (complete episodes) the critic gives the baseline but the loss neither counts nor trains it."""
    cfg = {"clip_param": 0.2, "vf_clip_param": 0.1, "vf_loss_coeff": 0.5, "kl_coeff": 0.3, "entropy_coeff": 0.05}
    batch = train_batch()
    off = make_policy(framework, use_gae=False, use_critic=True, batch_mode="complete_episodes", **cfg)
    value_grads, stats = _value_branch_grads(off, batch)
    assert len(value_grads) == 4 and max(value_grads) == 0.0
    assert stats["vf_loss"] == 0.0 and stats["vf_explained_var"] == 0.0
    logits, values = model_outputs(off, batch["obs"])
    expected = numpy_ppo_loss(batch, logits, values, cfg, kl_coeff=0.3, entropy_coeff=0.05)
    assert stats["total_loss"] == pytest.approx(expected["total_loss"] - cfg["vf_loss_coeff"] * expected["vf_loss"],
                                                rel=1e-4, abs=1e-5)

    on = make_policy(framework, **cfg)  # use_gae=True (the default): the clipped value loss
    value_grads, stats = _value_branch_grads(on, batch)
    assert len(value_grads) == 4 and min(value_grads) > 0.0
    logits, values = model_outputs(on, batch["obs"])
    expected = numpy_ppo_loss(batch, logits, values, cfg, kl_coeff=0.3, entropy_coeff=0.05)
    assert stats["vf_loss"] == pytest.approx(expected["vf_loss"], rel=1e-4)
    unclipped = np.mean((values - batch["value_targets"]) ** 2)
    assert abs(unclipped - expected["vf_loss"]) > 1e-3  # the clipping matters for this batch


@pytest.mark.parametrize("overrides, message", [
    ({"sgd_minibatch_size": 8000}, "sgd_minibatch_size=8000: expected a value <= train_batch_size (4000)"),
    ({"entropy_coeff": -0.1}, "entropy_coeff=-0.1: expected a value >= 0.0"),
    ({"use_gae": False}, "batch_mode='truncate_episodes' needs use_gae=True"),
    ({"num_sgd_iter": 0}, "num_sgd_iter=0: expected an int >= 1"),
    ({"use_critic": False, "batch_mode": "complete_episodes"}, "use_gae=True needs use_critic=True"),
])
def test_validate_config_errors(overrides, message):
    config = dict(DEFAULT_CONFIG, **overrides)
    with pytest.raises(ValueError) as err:
        validate_config(config)
    assert message in str(err.value)


def test_top_level_vf_share_layers_moves_into_model():
    config = dict(DEFAULT_CONFIG, vf_share_layers=True, model=dict(DEFAULT_CONFIG["model"]))
    validate_config(config)
    assert config["model"]["vf_share_layers"] is True and config["vf_share_layers"] is None
    assert DEFAULT_CONFIG["model"]["vf_share_layers"] is False


def test_update_kl_op_reads_the_learner_stats():
    class FakeWorker:
        def __init__(self, policy):
            self.policy = policy

        def foreach_trainable_policy(self, fn):
            return [fn(self.policy, "default_policy")]

    class FakeWorkers:
        def __init__(self, policy):
            self.worker = FakeWorker(policy)

        def local_worker(self):
            return self.worker

    policy = make_policy("torch")
    item = ("batch", {"default_policy": {"learner_stats": {"kl": 1.0}}})
    assert UpdateKL(FakeWorkers(policy))(item) is item
    assert policy.kl_coeff == pytest.approx(0.3)
    fetches = {"default_policy": {"learner_stats": {"kl": 1e-6}}}  # RLlib's form, after lambda t: t[1]
    assert UpdateKL(FakeWorkers(policy))(fetches) is fetches
    assert policy.kl_coeff == pytest.approx(0.15)
    with pytest.raises(ValueError, match="have no 'kl'"):
        UpdateKL(FakeWorkers(policy))({"default_policy": {"learner_stats": {}}})


def test_execution_plan_is_short():
    source = inspect.getsource(execution_plan)
    body = [line for line in source.splitlines()[2:] if line.strip() and not line.strip().startswith(("#", '"""'))]
    assert len(body) < 40


@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_trainer_iteration(framework, small_config):
    from rlcore.algorithms.ppo import PPOTrainer

    trainer = PPOTrainer(config=small_config(framework, train_batch_size=400, rollout_fragment_length=100,
                                             num_envs_per_worker=2, sgd_minibatch_size=64, num_sgd_iter=2))
    try:
        result = trainer.train()
        stats = result["info"]["learner"]["default_policy"]
        stats = stats.get("learner_stats", stats)
        assert {"cur_kl_coeff", "cur_lr", "total_loss", "policy_loss", "vf_loss", "vf_explained_var", "kl", "entropy",
                "entropy_coeff"} <= set(stats)
        assert result["timesteps_total"] == 400 and result["info"]["num_steps_trained"] == 400
        # UpdateKL ran: the coefficient moved by the measured KL.
        assert trainer.get_policy().kl_coeff_val != 0.2 or 0.005 <= stats["kl"] <= 0.02
        explained = trainer.train_exec_impl.explain()
        for stage in ("ConcatBatches", "StandardizeFields", "TrainOneStep", "UpdateKL"):
            assert stage in explained, explained
    finally:
        trainer.stop()


@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_trainer_checkpoint_keeps_kl_coeff_and_weights(framework, small_config, tmp_path):
    from rlcore.algorithms.ppo import PPOTrainer

    config = small_config(framework, train_batch_size=200, rollout_fragment_length=100, num_envs_per_worker=2,
                          sgd_minibatch_size=50, num_sgd_iter=2, kl_target=1e-12)
    trainer, restored = PPOTrainer(config=config), PPOTrainer(config=config)
    try:
        trainer.train()
        coeff = trainer.get_policy().kl_coeff_val
        assert coeff == pytest.approx(0.3)  # any kl the update makes is far above the tiny target: 0.2 * 1.5
        saved = trainer.save(str(tmp_path))
        restored.restore(saved)
        assert restored.get_policy().kl_coeff_val == pytest.approx(coeff)
        a, b = trainer.get_policy().get_weights(), restored.get_policy().get_weights()
        assert all(np.array_equal(a[k], b[k]) for k in a)
        assert restored.train()["timesteps_total"] == 400
    finally:
        trainer.stop()
        restored.stop()


@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_recurrent_model_trains_on_valid_rows(framework, small_config):
    from rlcore.algorithms.ppo import PPOTrainer

    config = small_config(framework, train_batch_size=200, rollout_fragment_length=50, num_envs_per_worker=2,
                          sgd_minibatch_size=100, num_sgd_iter=2,
                          model={"fcnet_hiddens": [16], "use_lstm": True, "lstm_cell_size": 8, "max_seq_len": 10})
    trainer = PPOTrainer(config=config)
    try:
        stats = trainer.train()["info"]["learner"]["default_policy"]
        stats = stats.get("learner_stats", stats)
        assert np.isfinite(stats["total_loss"]) and stats["entropy"] == pytest.approx(np.log(2), abs=0.05)
    finally:
        trainer.stop()


def _loss_and_grads(policy, batch, path):
    """The loss, its statistics and the parameter gradients through one path of the torch loss."""
    from rlcore.algorithms.ppo import ppo_torch_policy as ptp

    policy.set_training(True)
    train = policy._prepare_train_batch(batch)
    logits, _ = policy.model.from_batch(train)
    if path == "fused":
        total = ptp._fused_categorical_loss(policy, policy.model, logits, train)
    else:
        total = ptp._generic_loss(policy, policy.model, policy.dist_class, logits, train)
    params = list(policy.model.parameters())
    for p in params:
        p.grad = None
    total.backward()
    grads = [np.zeros(tuple(p.shape)) if p.grad is None else to_numpy(p.grad).copy() for p in params]
    return total.item(), policy._loss_stats.numpy().copy(), grads


@pytest.mark.parametrize("model", [{"fcnet_hiddens": [8]}, {"fcnet_hiddens": [8], "vf_share_layers": True},
                                   {"fcnet_hiddens": [8], "use_lstm": True, "lstm_cell_size": 4, "max_seq_len": 4}])
def test_torch_fused_loss_equals_the_autograd_graph(model):
    """The compiled-core loss gives the generic graph's loss, statistics and parameter gradients
    (clipped ratios and value errors included; the LSTM case averages over valid rows only)."""
    cfg = {"clip_param": 0.1, "vf_clip_param": 0.2, "vf_loss_coeff": 0.5, "kl_coeff": 0.3, "entropy_coeff": 0.05}
    policy = make_policy("torch", model=model, **cfg)
    batch = train_batch(n=24, seed=3)
    if model.get("use_lstm"):
        batch["seq_lens"] = np.array([4, 3, 4, 1, 4, 2, 4, 2], np.int32)  # 24 valid rows, 8 sequences of <= 4
        batch["state_in_0"] = np.zeros((8, 4), np.float32)
        batch["state_in_1"] = np.zeros((8, 4), np.float32)
    fused = _loss_and_grads(policy, batch, "fused")
    generic = _loss_and_grads(policy, batch, "generic")
    assert fused[0] == pytest.approx(generic[0], rel=1e-5)
    np.testing.assert_allclose(fused[1], generic[1], rtol=1e-4, atol=1e-6)
    for got, want in zip(fused[2], generic[2]):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    assert any(np.abs(g).max() > 1e-3 for g in fused[2])


def test_torch_loss_takes_the_generic_graph_for_other_distributions(monkeypatch):
    """A subclass of TorchCategorical (a user's distribution) builds the loss from torch ops."""
    from rlcore.algorithms.ppo import fused_loss
    from rlcore.models.torch.torch_action_dist import TorchCategorical

    fused_policy, generic_policy = make_policy("torch"), make_policy("torch")
    generic_policy.set_weights(fused_policy.get_weights())
    batch = train_batch()
    want = fused_policy.compute_gradients(batch)[1]["learner_stats"]

    def refuse(*args, **kwargs):
        raise AssertionError("the fused loss was called for a custom distribution")

    monkeypatch.setattr(fused_loss, "ppo_categorical_loss", refuse)
    generic_policy.dist_class = type("UserCategorical", (TorchCategorical,), {})
    got = generic_policy.compute_gradients(batch)[1]["learner_stats"]
    assert got == pytest.approx(want, rel=1e-5, abs=1e-6)


def test_fused_loss_refuses_a_second_derivative():
    """Its gradients are precomputed: create_graph=True cannot silently give zero curvature."""
    import torch

    from rlcore.algorithms.ppo.fused_loss import ppo_categorical_loss

    z, v = torch.zeros(2, 2, requires_grad=True), torch.zeros(2, requires_grad=True)
    total, _ = ppo_categorical_loss(
        z, v, actions=torch.tensor([0, 1]), logp_old=torch.full((2,), -0.7), logits_old=torch.zeros(2, 2),
        advantages=torch.ones(2), vf_preds=torch.zeros(2), value_targets=torch.ones(2), weights=None,
        clip_param=0.3, kl_coeff=0.2, entropy_coeff=0.0, vf_loss_coeff=1.0, vf_clip_param=10.0)
    (grad,) = torch.autograd.grad(total, z, create_graph=True)
    with pytest.raises(RuntimeError):
        grad.sum().backward()

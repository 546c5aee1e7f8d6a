"""DDPG/TD3 policies (issue #15): action bounds with exploration noise, soft target updates,
torch/TF loss and learn-step parity, policy_delay, smooth_target_policy, config validation; the
trainer's plan (torch, TF2) and seeded learning tests on Pendulum with step budgets (DDPG torch,
TD3 torch and TF2)."""


import gymnasium as gym
import numpy as np
import pytest

from rlcore.algorithms.ddpg import DEFAULT_CONFIG, TD3_DEFAULT_CONFIG, DDPGTFPolicy, DDPGTorchPolicy, validate_config
from tests.rlcore.algorithms.sac.lockstep import assert_lockstep_updates_equal, assert_losses_reach_only_their_optimizer, \
    assert_tf_learns_as_torch, per_loss_backward, plain_autograd

OBS = gym.spaces.Box(-1.0, 1.0, (3,), np.float32)
BOX = gym.spaces.Box(np.array([-2.0, 0.0], np.float32), np.array([2.0, 5.0], np.float32))
SMALL = {"actor_hiddens": [16], "critic_hiddens": [16]}
TD3 = {"twin_q": True, "policy_delay": 2, "smooth_target_policy": True}


def _policy(framework, **overrides):
    cfg = dict(SMALL, **overrides)
    if framework == "torch":
        return DDPGTorchPolicy(OBS, BOX, cfg)
    return DDPGTFPolicy(OBS, BOX, dict(cfg, eager_tracing=framework == "tf2-traced"))


def _batch(n=16, seed=0):
    rng = np.random.default_rng(seed)
    return {"obs": rng.normal(size=(n, 3)).astype(np.float32), "new_obs": rng.normal(size=(n, 3)).astype(np.float32),
            "actions": rng.uniform(BOX.low, BOX.high, (n, 2)).astype(np.float32),
            "rewards": rng.normal(size=n).astype(np.float32), "dones": rng.random(n) < 0.2,
            "weights": np.ones(n, np.float32)}


def _np(v):
    return np.array(v.detach().numpy() if hasattr(v, "detach") else v.numpy())


@pytest.mark.parametrize("framework", ["torch", "tf2"])
@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("noise", ["OrnsteinUhlenbeckNoise", "GaussianNoise"])
def test_noisy_actions_stay_in_the_actor_bounds(framework, normalize, noise):
    scale = {"stddev": 3.0} if noise == "GaussianNoise" else {"ou_base_scale": 3.0}
    policy = _policy(framework, normalize_actions=normalize,
                     exploration_config={"type": noise, "random_timesteps": 50, **scale})
    low, high = (-np.ones(2), np.ones(2)) if normalize else (BOX.low, BOX.high)
    obs = np.random.default_rng(0).normal(size=(100, 3)).astype(np.float32)
    for _ in range(3):  # random warm-up steps, then noise on the actor's actions
        actions, _, _ = policy.compute_actions(obs, explore=True)
        assert np.all(actions >= low) and np.all(actions <= high)
    assert policy.exploration.action_space.high.tolist() == high.tolist()


@pytest.mark.parametrize("framework", ["torch", "tf2", "tf2-traced"])
@pytest.mark.parametrize("noise", ["OrnsteinUhlenbeckNoise", "GaussianNoise"])
def test_exploration_noise_is_drawn_afresh_at_every_step(framework, noise):
    # A draw made once (e.g. a constant baked into a trace) passes the bounds test above: the
    # actions would still move from step to step, by the annealed scale or the OU process's decay,
    # but always in the same direction. Fresh draws change direction about half the time (OU: one
    # process over the action's dimensions, shared by the batch's rows, as in RLlib 1.x).
    scale = {"stddev": 0.1} if noise == "GaussianNoise" else {"ou_base_scale": 0.1}
    policy = _policy(framework, exploration_config={"type": noise, "random_timesteps": 0, **scale})
    obs = np.random.default_rng(1).normal(size=(4, 3)).astype(np.float32)
    greedy = [policy.compute_actions(obs, explore=False)[0] for _ in range(2)]
    np.testing.assert_array_equal(greedy[0], greedy[1])
    steps = np.stack([policy.compute_actions(obs, explore=True)[0][0] for _ in range(41)])  # row 0, 41 steps
    assert np.all(steps != greedy[0][0])
    moves = np.sign(np.diff(steps, axis=0))  # 40 moves x 2 dims
    same_direction = np.mean(moves[1:] == moves[:-1])
    assert same_direction < 0.75, same_direction


@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_soft_target_update_matches_tau_exactly(framework):
    policy = _policy(framework, tau=0.25)
    policy.learn_on_batch(_batch())
    online = [_np(v) for v in policy.model.trainable_variables()]
    target = [_np(v) for v in policy.target_model.trainable_variables()]
    policy.update_target()
    for o, t, new in zip(online, target, (_np(v) for v in policy.target_model.trainable_variables())):
        np.testing.assert_array_equal(new, 0.25 * o + (1.0 - 0.25) * t)


def _torch_and_tf(framework, **extra):
    """A torch policy and a TF one (``framework``) with the torch one's weights and target networks."""
    tp, fp = _policy("torch", **extra), _policy(framework, **extra)
    for tv, pv in zip(fp.model.trainable_variables(), tp.model.trainable_variables()):
        value = pv.detach().numpy()
        tv.assign(value.T if value.ndim == 2 else value)
    fp.update_target(tau=1.0)
    return tp, fp


@pytest.mark.parametrize("extra", [{}, {"twin_q": True, "use_huber": True}], ids=["ddpg", "twin-huber"])
def test_torch_and_tf_losses_agree_on_the_same_weights(extra):
    import torch

    from rlcore.algorithms.ddpg.ddpg_tf_policy import ddpg_actor_critic_loss as tf_loss
    from rlcore.algorithms.ddpg.ddpg_torch_policy import ddpg_actor_critic_loss as torch_loss

    tp, fp = _torch_and_tf("tf2", **extra)
    batch = _batch()
    with torch.no_grad():
        expected = [float(x) for x in torch_loss(tp, tp.model, tp.dist_class, tp._prepare_train_batch(batch))]
    got = [float(x) for x in tf_loss(fp, fp.model, fp.dist_class, {k: fp._tensor(np.asarray(v)) for k, v in batch.items()})]
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("extra", [{}, {"twin_q": True, "policy_delay": 2, "use_huber": True}],
                         ids=["ddpg", "twin-delay-huber"])
def test_tf_learn_steps_move_the_weights_as_torch_s_do(extra):
    """TF2's traced learn step (the trainer's) changes every variable as torch's does on the same
    weights and batches: gradients, the actor's and critics' Adam optimizers and the variables each
    steps, the actor's delay. With the torch learning test (DDPG) and the TF2 one (TD3) below this
    covers DDPG's TF2 learning, whose own learning run the suite no longer makes. (TD3's target
    smoothing draws noise: test_target_smoothing_with_zero_clip_equals_no_smoothing.)"""
    import torch

    torch.manual_seed(0)  # the initial weights (copied to TF): a fixed, reproducible comparison
    tp, fp = _torch_and_tf("tf2-traced", **extra)
    assert_tf_learns_as_torch(tp, fp, lambda: list(zip(tp.model.trainable_variables(), fp.model.trainable_variables())),
                              [_batch(seed=seed) for seed in range(4)])


@pytest.mark.parametrize("framework", ["torch", "tf2", "tf2-traced"])
def test_policy_delay_steps_the_actor_every_second_update(framework):
    policy = _policy(framework, **TD3)
    actor = lambda: [_np(v) for v in policy.model.policy_variables()]  # noqa: E731
    critic = lambda: [_np(v) for v in policy.model.q_variables()]  # noqa: E731
    changed = []
    for i in range(4):
        a0, c0 = actor(), critic()
        policy.learn_on_batch(_batch(seed=i))
        changed.append((any(not np.array_equal(x, y) for x, y in zip(a0, actor())),
                        all(not np.array_equal(x, y) for x, y in zip(c0, critic()))))
    assert changed == [(True, True), (False, True), (True, True), (False, True)]


@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_target_smoothing_with_zero_clip_equals_no_smoothing(framework):
    plain = _policy(framework, twin_q=True)
    smooth = _policy(framework, twin_q=True, smooth_target_policy=True, target_noise=0.5, target_noise_clip=0.0)
    smooth.set_weights(plain.get_weights())
    batch = _batch()
    a = plain.learn_on_batch(batch)["learner_stats"]["critic_loss"]
    b = smooth.learn_on_batch(batch)["learner_stats"]["critic_loss"]
    noisy = _policy(framework, twin_q=True, smooth_target_policy=True, target_noise=0.5, target_noise_clip=0.5)
    noisy.set_weights(plain.get_weights())
    c = noisy.learn_on_batch(batch)["learner_stats"]["critic_loss"]
    assert a == pytest.approx(b, rel=1e-6) and c != pytest.approx(a, rel=1e-6)


@pytest.mark.parametrize("bad, message", [
    ({"policy_delay": 0}, "policy_delay=0: expected an int >= 1"),
    ({"tau": 0.0}, "tau=0.0: expected a number in (0, 1]"),
    ({"actor_hiddens": [0]}, "actor_hiddens=[0]: expected a list of positive ints"),
    ({"exploration_config": {"type": "EpsilonGreedy"}}, "exploration_config.type='EpsilonGreedy'"),
    ({"target_noise_clip": -1.0}, "target_noise_clip=-1.0"),
    ({"train_batch_size": 10, "buffer_size": 5}, "train_batch_size=10: expected a value <= buffer_size (5)"),
])
def test_validate_config_names_key_value_and_expectation(bad, message):
    with pytest.raises(ValueError) as err:
        validate_config(dict(DEFAULT_CONFIG, **bad))
    assert message in str(err.value)


def test_td3_defaults_are_1x():
    assert (TD3_DEFAULT_CONFIG["twin_q"], TD3_DEFAULT_CONFIG["policy_delay"], TD3_DEFAULT_CONFIG["smooth_target_policy"],
            TD3_DEFAULT_CONFIG["tau"], TD3_DEFAULT_CONFIG["l2_reg"], TD3_DEFAULT_CONFIG["train_batch_size"],
            TD3_DEFAULT_CONFIG["learning_starts"], TD3_DEFAULT_CONFIG["prioritized_replay"]) == \
        (True, 2, True, 5e-3, 0.0, 100, 10000, False)
    assert TD3_DEFAULT_CONFIG["exploration_config"]["random_timesteps"] == 10000
    assert DEFAULT_CONFIG["exploration_config"]["type"] == "OrnsteinUhlenbeckNoise"


def _pendulum(framework, tmp_path, **overrides):
    # CI-sized DDPG/TD3: [64, 64] networks, batch 64, lr 3e-3, gamma 0.95, soft target updates with
    # tau 0.08 every 4 steps (target_network_update_freq 3; about tau 0.02 every step: 1 - 0.98**4 =
    # 0.078, with a quarter of the updates, which cost more than a learn step in TF2), 500 random
    # steps (learns within ~2750 steps); one torch / TF thread so that a seeded run is the same run
    # whatever the machine's load.
    config = {"env": "Pendulum-v1", "framework": framework, "eager_tracing": framework != "torch", "seed": 0,
              "no_done_at_end": True, "min_iter_time_s": 0, "metrics_smoothing_episodes": 5,
              "framework_threads_for_driver": 1, "log_sys_usage": False, "gamma": 0.95, "tau": 0.08,
              "target_network_update_freq": 3,
              "actor_hiddens": [64, 64], "critic_hiddens": [64, 64], "actor_lr": 3e-3, "critic_lr": 3e-3,
              "train_batch_size": 64, "learning_starts": 500, "timesteps_per_iteration": 250,
              "exploration_config": {"random_timesteps": 500}, "logger_config": {"logdir": str(tmp_path)}}
    config.update(overrides)
    return config


@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_ddpg_trainer_runs_its_plan(framework, tmp_path):
    from rlcore.algorithms.ddpg import DDPGTrainer

    trainer = DDPGTrainer(config=_pendulum(framework, tmp_path, learning_starts=32, timesteps_per_iteration=64,
                                           train_batch_size=16, exploration_config={"random_timesteps": 32}))
    try:
        result = trainer.train()
        stats = result["info"]["learner"]["default_policy"]
        assert result["timesteps_total"] >= 64 and np.isfinite(stats["critic_loss"])
        assert result["info"]["num_target_updates"] > 0 and trainer.local_replay_buffer.alpha == 0.6  # prioritized
    finally:
        trainer.stop()


@pytest.mark.slow
@pytest.mark.parametrize("algo, framework", [("DDPG", "torch"), ("TD3", "torch"), ("TD3", "tf2")])
def test_pendulum_beats_random_within_3000_steps(algo, framework, tmp_path, train_for):
    # RLlib's criteria are -320 within 30k steps (DDPG) and -900 within 100k steps (TD3)
    # (tuned_examples/ddpg/pendulum-{ddpg,td3}.yaml, run by the benchmark). CI: the small config
    # above with each algorithm's defaults otherwise (DDPG: OU noise, prioritized replay; TD3: twin
    # Q, delayed actor, target smoothing, Gaussian noise), a 5-episode mean > -700 within 3000
    # steps; random actions score -1256 +- 120 over 5 episodes. Seeded, single-threaded: reached
    # at 2250 (DDPG), 2000 (TD3 TF2) and 2750 (TD3 torch) steps. DDPG in TF2 (a run of 10-16 s, much
    # of it tracing): TD3's TF2 run learns with the same TF2 policy class and plan; DDPG's own TF2
    # learn step is test_tf_learn_steps_move_the_weights_as_torch_s_do[ddpg], its TF2 plan
    # test_ddpg_trainer_runs_its_plan[tf2], its TF2 noise test_noisy_actions_stay_in_the_actor_bounds.
    from rlcore.algorithms.ddpg import DDPGTrainer, TD3Trainer

    trainer_cls = {"DDPG": DDPGTrainer, "TD3": TD3Trainer}[algo]
    result = train_for(trainer_cls(config=_pendulum(framework, tmp_path)), -700, 3000)
    assert result["episode_reward_mean"] > -700, (result["episode_reward_mean"], result["timesteps_total"])


@pytest.mark.parametrize("extra", [{}, TD3, {"l2_reg": 1e-2}], ids=["ddpg", "td3", "l2_reg"])
def test_torch_frozen_critic_in_the_actor_loss_changes_no_bit_of_the_update(extra, monkeypatch):
    # The actor loss reads the critic with its weights frozen (no weight gradients recorded); the
    # critic optimizer zeroes those gradients before the critic loss's backward pass anyway, so
    # the steps equal plain autograd's (4 steps: TD3's actor steps every second update).
    from rlcore.algorithms.ddpg import ddpg_torch_policy

    fast, plain = _policy("torch", **extra), _policy("torch", **extra)
    assert_lockstep_updates_equal(fast, plain, [_batch(seed=s) for s in range(4)], "policy_model", "q_model",
                                  plain_autograd(monkeypatch, ddpg_torch_policy))
    assert all(p.requires_grad for p in fast.model.parameters())


@pytest.mark.parametrize("extra", [{}, TD3, {"l2_reg": 0.01, "use_huber": True, "grad_clip": 0.05}],
                         ids=["ddpg", "td3", "l2-huber-clip"])
def test_torch_single_backward_over_both_losses_changes_no_bit_of_the_update(extra, monkeypatch):
    # SummedBackward: one backward pass for the actor and critic losses, exact because neither
    # loss reaches the other optimizer's parameters; 4 updates (TD3: 2 delayed actor steps) equal
    # one backward pass per loss, bit for bit.
    fast, plain = _policy("torch", **extra), _policy("torch", **extra)
    assert_losses_reach_only_their_optimizer(fast, _batch())
    assert_lockstep_updates_equal(fast, plain, [_batch(seed=s) for s in range(4)], "policy_model", "q_model",
                                  per_loss_backward(monkeypatch, DDPGTorchPolicy))

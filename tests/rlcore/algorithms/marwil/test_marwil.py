"""MARWIL and BC (issue #16): trained only from files a PPO run wrote, they reach a CartPole
evaluation return on the live env (torch and TF2, seeded); the loss matches RLlib 1.x's formula."""

import numpy as np
import pytest

from rlcore.offline import JsonReader

#: RLlib 1.x's MARWIL/BC test criterion (evaluation episode_reward_mean > 70).
MIN_REWARD = 70.0
#: The training budget, the runs' only bound: iterations of 500 rows, an evaluation every 10th (the
#: seeded runs, torch and TF2, pass at the first). No clock: its end on a loaded machine could only
#: fail a run still within its budget.
MAX_ITERATIONS = 30


@pytest.fixture(scope="module")
def expert_data(ppo_expert_json):
    """~4000 steps of complete episodes a PPO expert (return >= 150) wrote (tests/rlcore/conftest.py)."""
    return ppo_expert_json


def _learns(cls, framework, data, **extra):
    config = dict(env="CartPole-v1", framework=framework, eager_tracing=True, num_workers=0, seed=0,
                  min_iter_time_s=0, log_sys_usage=False, input=data, lr=1e-3, train_batch_size=500,
                  rollout_fragment_length=500, evaluation_interval=10, evaluation_num_episodes=5,
                  evaluation_config={"input": "sampler"}, **extra)
    trainer = cls(config=config)
    best, result = -1.0, {}
    try:
        for _ in range(MAX_ITERATIONS):
            result = trainer.train()
            if "evaluation" in result:
                best = max(best, result["evaluation"]["episode_reward_mean"])
                if best > MIN_REWARD:
                    break
    finally:
        trainer.stop()
    return best, result


@pytest.mark.slow
@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_marwil_learns_from_ppo_files(expert_data, framework):
    from rlcore.algorithms.marwil import MARWILTrainer

    best, result = _learns(MARWILTrainer, framework, expert_data, input_evaluation=["is", "wis"])
    assert best > MIN_REWARD, (best, result["training_iteration"])
    stats = result["info"]["learner"]["default_policy"]
    stats = stats.get("learner_stats", stats)
    assert {"policy_loss", "vf_loss", "vf_explained_var", "moving_average_sqd_adv_norm"} <= set(stats)
    assert set(result["off_policy_estimator"]) == {"is", "wis"}


@pytest.mark.slow
@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_bc_learns_from_ppo_files(expert_data, framework):
    from rlcore.algorithms.marwil import BCTrainer

    best, result = _learns(BCTrainer, framework, expert_data)
    assert best > MIN_REWARD, (best, result["training_iteration"])
    assert result["off_policy_estimator"] == {}


def test_marwil_loss_matches_the_1x_formula(expert_data):
    import torch

    from rlcore.algorithms.marwil import MARWILTrainer
    from rlcore.algorithms.marwil.marwil_torch_policy import marwil_loss
    from rlcore.sampling.postprocessing import compute_advantages

    trainer = MARWILTrainer(config=dict(env="CartPole-v1", framework="torch", num_workers=0, input=expert_data,
                                        log_sys_usage=False))
    try:
        policy = trainer.get_policy()
        batch = JsonReader(expert_data).next().split_by_episode()[0]
        assert batch["terminateds"][-1] or batch["truncateds"][-1]
        post = policy.postprocess_trajectory(batch.copy())
        returns = compute_advantages(batch.copy(), 0.0 if batch["terminateds"][-1] else
                                     policy._value(obs=batch["new_obs"][-1]), 0.99, use_gae=False,
                                     use_critic=False)["advantages"]
        assert np.allclose(post["advantages"], returns, atol=1e-4)
        train_batch = policy._prepare_train_batch(post)
        with torch.no_grad():
            logits, _ = policy.model.from_batch(train_batch)
            values = policy.model.value_function().numpy()
            logp = policy.dist_class(logits, policy.model).logp(train_batch["actions"]).numpy()
            adv = returns - values
            c = np.sqrt(100.0 + 1e-8 * (np.mean(adv ** 2) - 100.0))
            expected_p = -np.mean(np.exp(adv / c) * logp)
            expected = expected_p + 0.5 * np.mean(adv ** 2)
            total = marwil_loss(policy, policy.model, policy.dist_class, train_batch)
        assert np.isclose(policy.p_loss.item(), expected_p, rtol=1e-4)
        assert np.isclose(total.item(), expected, rtol=1e-4)
    finally:
        trainer.stop()


def test_config_checks():
    from rlcore.algorithms.marwil import BCTrainer, MARWILTrainer

    with pytest.raises(ValueError, match="config key 'beta' = 1.5"):
        MARWILTrainer(config={"env": "CartPole-v1", "framework": "torch", "beta": 1.5})
    with pytest.raises(ValueError, match="behavioral cloning needs beta = 0.0"):
        BCTrainer(config={"env": "CartPole-v1", "framework": "torch", "beta": 0.5})
    with pytest.raises(ValueError, match="config key 'postprocess_inputs' = False"):
        MARWILTrainer(config={"env": "CartPole-v1", "framework": "torch", "input": "x.json",
                              "postprocess_inputs": False})


@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_the_moving_average_is_saved_and_restored_with_the_policy(expert_data, tmp_path, framework):
    """``c^2`` moves while learning; a checkpoint holds it and a new trainer restored from it starts
    from the learned value, not from moving_average_sqd_adv_norm_start."""
    from rlcore.algorithms.marwil import MARWILTrainer

    config = dict(env="CartPole-v1", framework=framework, num_workers=0, seed=0, min_iter_time_s=0,
                  log_sys_usage=False, input=expert_data, train_batch_size=500, rollout_fragment_length=500,
                  moving_average_sqd_adv_norm_start=100.0, moving_average_sqd_adv_norm_update_rate=0.05)
    trainer = MARWILTrainer(config=config)
    try:
        for _ in range(2):
            trainer.train()
        learned = trainer.get_policy().get_state()["moving_average_sqd_adv_norm"]
        checkpoint = trainer.save(str(tmp_path / "ckpt"))
    finally:
        trainer.stop()
    assert abs(learned - 100.0) > 1.0, learned
    restored = MARWILTrainer(config=config)
    try:
        policy = restored.get_policy()
        assert np.isclose(float(policy._moving_average_sqd_adv_norm), 100.0)
        restored.restore(checkpoint)
        assert np.isclose(float(policy._moving_average_sqd_adv_norm), learned, rtol=1e-6)
        assert np.isclose(policy.get_state()["moving_average_sqd_adv_norm"], learned, rtol=1e-6)
    finally:
        restored.stop()

"""Old ``ray.rllib.agents.{pg,a3c,ppo}`` paths give the very rlcore objects, and old code runs on them."""

import importlib

import pytest

PATHS = [
    ("agents.pg", "PGTrainer", "rlcore.algorithms.pg.pg", "PGTrainer"),
    ("agents.pg", "DEFAULT_CONFIG", "rlcore.algorithms.pg.pg", "DEFAULT_CONFIG"),
    ("agents.pg", "PGTFPolicy", "rlcore.algorithms.pg.pg_tf_policy", "PGTFPolicy"),
    ("agents.pg", "PGTorchPolicy", "rlcore.algorithms.pg.pg_torch_policy", "PGTorchPolicy"),
    ("agents.pg.pg", "PGTrainer", "rlcore.algorithms.pg.pg", "PGTrainer"),
    ("agents.pg.pg_tf_policy", "pg_tf_loss", "rlcore.algorithms.pg.pg_tf_policy", "pg_tf_loss"),
    ("agents.pg.pg_torch_policy", "pg_torch_loss", "rlcore.algorithms.pg.pg_torch_policy", "pg_torch_loss"),
    ("agents.pg.utils", "post_process_advantages", "rlcore.algorithms.pg.utils", "post_process_advantages"),
    ("agents.a3c", "A3CTrainer", "rlcore.algorithms.a3c.a3c", "A3CTrainer"),
    ("agents.a3c", "A2CTrainer", "rlcore.algorithms.a2c.a2c", "A2CTrainer"),
    ("agents.a3c", "DEFAULT_CONFIG", "rlcore.algorithms.a3c.a3c", "DEFAULT_CONFIG"),
    ("agents.a3c", "A3CTFPolicy", "rlcore.algorithms.a3c.a3c_tf_policy", "A3CTFPolicy"),
    ("agents.a3c", "A3CTorchPolicy", "rlcore.algorithms.a3c.a3c_torch_policy", "A3CTorchPolicy"),
    ("agents.a3c.a2c", "A2C_DEFAULT_CONFIG", "rlcore.algorithms.a2c.a2c", "A2C_DEFAULT_CONFIG"),
    ("agents.a3c.a3c_torch_policy", "ValueNetworkMixin", "rlcore.algorithms.torch_mixins", "TorchValueNetworkMixin"),
    ("agents.ppo", "PPOTrainer", "rlcore.algorithms.ppo.ppo", "PPOTrainer"),
    ("agents.ppo", "DEFAULT_CONFIG", "rlcore.algorithms.ppo.ppo", "DEFAULT_CONFIG"),
    ("agents.ppo", "PPOTFPolicy", "rlcore.algorithms.ppo.ppo_tf_policy", "PPOTFPolicy"),
    ("agents.ppo", "PPOTorchPolicy", "rlcore.algorithms.ppo.ppo_torch_policy", "PPOTorchPolicy"),
    ("agents.ppo.ppo", "UpdateKL", "rlcore.algorithms.ppo.ppo", "UpdateKL"),
    ("agents.ppo.ppo", "warn_about_bad_reward_scales", "rlcore.algorithms.ppo.ppo", "warn_about_bad_reward_scales"),
    ("agents.ppo.ppo_tf_policy", "KLCoeffMixin", "rlcore.algorithms.ppo.kl_coeff", "TFKLCoeffMixin"),
    ("agents.ppo.ppo_tf_policy", "ValueNetworkMixin", "rlcore.algorithms.tf_mixins", "TFValueNetworkMixin"),
    ("agents.ppo.ppo_torch_policy", "KLCoeffMixin", "rlcore.algorithms.ppo.kl_coeff", "KLCoeffMixin"),
    ("agents.ppo.ppo_torch_policy", "ppo_surrogate_loss", "rlcore.algorithms.ppo.ppo_torch_policy",
     "ppo_surrogate_loss"),
]


@pytest.mark.parametrize("old_module, name, new_module, new_name", PATHS)
def test_old_path_is_the_rlcore_object(old_module, name, new_module, new_name):
    old = getattr(importlib.import_module(f"rllib_compat.{old_module}"), name)
    assert old is getattr(importlib.import_module(new_module), new_name)


def test_rllib_style_custom_policy_and_trainer():
    """RLlib 1.x user code: a PPO variant via with_updates, trained one iteration on the compat objects."""
    from rllib_compat.agents.ppo import DEFAULT_CONFIG, PPOTrainer
    from rllib_compat.agents.ppo.ppo_torch_policy import PPOTorchPolicy, ppo_surrogate_loss

    calls = []

    def loss(policy, model, dist_class, train_batch):
        calls.append(train_batch.count)
        return ppo_surrogate_loss(policy, model, dist_class, train_batch)

    MyPolicy = PPOTorchPolicy.with_updates(name="MyPolicy", loss_fn=loss)
    MyTrainer = PPOTrainer.with_updates(name="MyPPO", default_policy=MyPolicy, get_policy_class=None)
    config = DEFAULT_CONFIG.copy()
    config.update({"framework": "torch", "num_workers": 0, "train_batch_size": 200, "rollout_fragment_length": 100,
                   "sgd_minibatch_size": 100, "num_sgd_iter": 2, "model": {"fcnet_hiddens": [16]}})
    trainer = MyTrainer(config=config, env="CartPole-v0")
    try:
        result = trainer.train()
    finally:
        trainer.stop()
    assert result["timesteps_total"] == 200 and calls.count(100) >= 4

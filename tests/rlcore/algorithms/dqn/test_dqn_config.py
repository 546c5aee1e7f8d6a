"""DQN and SimpleQ configs: RLlib 1.x defaults, validation errors naming key/value/expectation,
calculate_rr_weights, the registry names."""

import pytest

from rlcore.algorithms.dqn import DEFAULT_CONFIG, SIMPLE_Q_DEFAULT_CONFIG, calculate_rr_weights, validate_config

# RLlib 1.x's DQN defaults (shared/reference/rllib_api.md, DQN row).
DQN_1X = {"num_atoms": 1, "v_min": -10.0, "v_max": 10.0, "noisy": False, "sigma0": 0.5, "dueling": True,
          "hiddens": [256], "double_q": True, "n_step": 1, "timesteps_per_iteration": 1000,
          "target_network_update_freq": 500, "buffer_size": 50000, "replay_sequence_length": 1,
          "prioritized_replay": True, "prioritized_replay_alpha": 0.6, "prioritized_replay_beta": 0.4,
          "final_prioritized_replay_beta": 0.4, "prioritized_replay_beta_annealing_timesteps": 20000,
          "prioritized_replay_eps": 1e-6, "compress_observations": False, "before_learn_on_batch": None,
          "training_intensity": None, "lr": 5e-4, "lr_schedule": None, "adam_epsilon": 1e-8, "grad_clip": 40,
          "learning_starts": 1000, "rollout_fragment_length": 4, "train_batch_size": 32, "num_workers": 0,
          "worker_side_prioritization": False, "min_iter_time_s": 1}


def test_dqn_defaults_are_rllib_1x():
    assert {k: DEFAULT_CONFIG[k] for k in DQN_1X} == DQN_1X
    assert DEFAULT_CONFIG["exploration_config"] == {"type": "EpsilonGreedy", "initial_epsilon": 1.0,
                                                    "final_epsilon": 0.02, "epsilon_timesteps": 10000}
    assert DEFAULT_CONFIG["evaluation_config"] == {"explore": False}


def test_simple_q_has_no_rainbow_keys():
    assert "dueling" not in SIMPLE_Q_DEFAULT_CONFIG and "prioritized_replay" not in SIMPLE_Q_DEFAULT_CONFIG
    assert SIMPLE_Q_DEFAULT_CONFIG["buffer_size"] == 50000 and SIMPLE_Q_DEFAULT_CONFIG["learning_starts"] == 1000


@pytest.mark.parametrize("key, value, message", [
    ("n_step", 0, "n_step=0: expected an int >= 1"),
    ("num_atoms", 2.5, "num_atoms=2.5: expected an int >= 1"),
    ("hiddens", [64, -1], r"hiddens=\[64, -1\]: expected a list of positive ints"),
    ("buffer_size", 0, "buffer_size=0: expected an int >= 1"),
    ("train_batch_size", 60000, r"train_batch_size=60000: expected a value <= buffer_size \(50000\)"),
    ("prioritized_replay_eps", 0.0, "prioritized_replay_eps=0.0: expected a number > 0"),
    ("training_intensity", -1, "training_intensity=-1: expected a number > 0"),
    ("adam_epsilon", 0, "adam_epsilon=0: expected a value > 0"),
    ("before_learn_on_batch", "not callable", "before_learn_on_batch='not callable': expected None or fn"),
    ("v_min", 20.0, r"v_min=20.0: expected a value < v_max \(10.0\)"),
])
def test_validation_errors_name_key_value_and_expectation(key, value, message):
    config = dict(DEFAULT_CONFIG, **{key: value})
    if key == "v_min":
        config["num_atoms"] = 51
    with pytest.raises(ValueError, match=message):
        validate_config(config)


def test_cross_key_rules():
    with pytest.raises(ValueError, match="worker_side_prioritization=True: expected prioritized_replay=True"):
        validate_config(dict(DEFAULT_CONFIG, worker_side_prioritization=True, prioritized_replay=False))
    with pytest.raises(ValueError, match="ParameterNoise.*noisy=True"):
        validate_config(dict(DEFAULT_CONFIG, noisy=True, exploration_config={"type": "ParameterNoise"}))
    config = dict(DEFAULT_CONFIG, n_step=7, exploration_config={"type": "ParameterNoise"})
    validate_config(config)
    assert config["rollout_fragment_length"] == 7  # raised to n_step (1.x)
    assert config["batch_mode"] == "complete_episodes"


@pytest.mark.parametrize("config, weights", [
    ({"training_intensity": None}, [1, 1]),
    ({"training_intensity": 0}, [1, 1]),
    ({"training_intensity": 64, "train_batch_size": 32, "rollout_fragment_length": 4}, [1, 8.0]),
    ({"training_intensity": 1000.0, "train_batch_size": 250, "rollout_fragment_length": 1}, [1, 4.0]),
])
def test_calculate_rr_weights(config, weights):
    assert calculate_rr_weights(config) == weights


def test_registry_and_compat_names():
    from rllib_compat.agents import dqn as compat
    from rlcore.algorithms.dqn import DQNTrainer, SimpleQTrainer
    from rlcore.registry import get_trainer_class

    assert get_trainer_class("DQN") is DQNTrainer and get_trainer_class("SimpleQ") is SimpleQTrainer
    assert compat.DQNTrainer is DQNTrainer and compat.DEFAULT_CONFIG is DEFAULT_CONFIG


def test_trainer_refuses_a_bad_key_value(tiny_config):
    from rlcore.algorithms.dqn import DQNTrainer

    with pytest.raises(ValueError, match="n_step=0"):
        DQNTrainer(config=tiny_config("torch", n_step=0))

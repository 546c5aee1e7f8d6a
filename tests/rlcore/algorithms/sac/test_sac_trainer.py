"""SACTrainer (issue #15): config validation, the replay plan, seeded learning tests (Pendulum in
torch, discrete CartPole in torch and TF2) and a CLI ``-f`` run of the tuned Pendulum example."""

import pathlib

import numpy as np
import pytest

from rlcore.algorithms.sac import DEFAULT_CONFIG, SACTrainer, validate_config

ROOT = pathlib.Path(__file__).resolve().parents[4]


@pytest.mark.parametrize("bad, message", [
    ({"tau": 1.5}, "tau=1.5: expected a number in (0, 1]"),
    ({"initial_alpha": 0.0}, "initial_alpha=0.0: expected a number > 0"),
    ({"target_entropy": "high"}, "target_entropy='high': expected 'auto' or a number"),
    ({"optimization": {"actor_learning_rate": 1e-3}}, "optimization has no 'critic_learning_rate'"),
    ({"Q_model": {"fcnet_hiddens": [0]}}, "Q_model.fcnet_hiddens=[0]: expected a list of positive ints"),
    ({"policy_model": {"hiddens": [8]}}, "policy_model has keys ['hiddens']"),
    ({"n_step": 0}, "n_step=0: expected an int >= 1"),
    ({"use_state_preprocessor": True}, "use_state_preprocessor=True: not supported"),
    ({"worker_side_prioritization": True}, "worker_side_prioritization=True: expected prioritized_replay=True"),
])
def test_validate_config_names_key_value_and_expectation(bad, message):
    with pytest.raises(ValueError) as err:
        validate_config(dict(DEFAULT_CONFIG, **bad))
    assert message in str(err.value)


def test_validate_config_raises_fragments_to_n_step():
    config = dict(DEFAULT_CONFIG, n_step=3)
    validate_config(config)
    assert config["rollout_fragment_length"] == 3


#: Random actions on Pendulum-v1 (200 seeded episodes): mean return -1256, 5-episode means -1256 +- 120
#: (best of 40: -1057). The CI criteria below are a 5-episode mean above -700, over 4 sd above that.
RANDOM_PENDULUM_5_EPISODE_MEAN = -1256.0


def _pendulum(framework, tmp_path, **overrides):
    # CI-sized SAC: [64, 64] networks, batch 64, lr 3e-3, gamma 0.95, soft target updates with tau
    # 0.08 every 4 steps (target_network_update_freq 3; about tau 0.02 every step: 1 - 0.98**4 = 0.078,
    # with a quarter of the updates, which cost more than a learn step in TF2), learns within ~2000
    # steps; one torch / TF thread so that a seeded run is the same run whatever the machine's load.
    config = {"env": "Pendulum-v1", "framework": framework, "eager_tracing": framework != "torch", "seed": 0,
              "no_done_at_end": True, "min_iter_time_s": 0, "metrics_smoothing_episodes": 5,
              "framework_threads_for_driver": 1, "log_sys_usage": False, "gamma": 0.95, "tau": 0.08,
              "target_network_update_freq": 3,
              "Q_model": {"fcnet_hiddens": [64, 64]}, "policy_model": {"fcnet_hiddens": [64, 64]},
              "learning_starts": 256, "timesteps_per_iteration": 250, "train_batch_size": 64,
              "optimization": {"actor_learning_rate": 3e-3, "critic_learning_rate": 3e-3, "entropy_learning_rate": 3e-3},
              "logger_config": {"logdir": str(tmp_path)}}
    config.update(overrides)
    return config


@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_plan_trains_with_soft_target_updates_and_priorities(framework, tmp_path):
    trainer = SACTrainer(config=_pendulum(framework, tmp_path, learning_starts=32, timesteps_per_iteration=64,
                                          train_batch_size=16, prioritized_replay=True, tau=0.5))
    try:
        policy = trainer.get_policy()
        result = trainer.train()
        stats = result["info"]["learner"]["default_policy"]
        assert result["timesteps_total"] >= 64 and np.isfinite(stats["critic_loss"])
        assert result["info"]["num_target_updates"] > 0 and trainer.local_replay_buffer.alpha == 0.6
        online = [v.detach().numpy() if hasattr(v, "detach") else v.numpy() for v in policy.model.trainable_variables()]
        target = [v.detach().numpy() if hasattr(v, "detach") else v.numpy()
                  for v in policy.target_model.trainable_variables()]
        assert any(not np.array_equal(a, b) for a, b in zip(online, target))  # soft (tau=0.5) updates lag behind
    finally:
        trainer.stop()


@pytest.mark.slow
@pytest.mark.parametrize("framework", ["torch"])
def test_sac_pendulum_beats_random_within_2500_steps(framework, tmp_path, train_for):
    # RLlib's criterion is -250 within 10k steps (tuned_examples/sac/pendulum-sac.yaml, run by
    # bench/continuous.py); CI: the small config above, a 5-episode mean > -700 within 2500 steps
    # (random: -1256 +- 120). Seeded, single-threaded: reached at about 2000 steps in both frameworks.
    # TF2 (its run took 10-20 s, half of it tracing): the discrete run below learns in TF2 end to end;
    # the continuous learn step is test_sac_policies' test_tf_learn_steps_move_the_weights_as_torch_s_do
    # (TF2's changes = torch's on the same weights), the TF2 plan
    # test_plan_trains_with_soft_target_updates_and_priorities[tf2].
    result = train_for(SACTrainer(config=_pendulum(framework, tmp_path)), -700, 2500)
    assert result["episode_reward_mean"] > -700, (result["episode_reward_mean"], result["timesteps_total"])


@pytest.mark.slow
@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_discrete_sac_cartpole_beats_random_within_3000_steps(framework, tmp_path, small_config, train_for):
    # RLlib's criterion is 150 within 100k steps (tuned_examples/sac/cartpole-sac.yaml). CI: a
    # 10-episode mean > 75 within 3000 steps (random actions: about 22). Seeded, single-threaded:
    # reached at about 2000 steps in both frameworks.
    config = small_config(framework, gamma=0.95, target_network_update_freq=32, tau=1.0, train_batch_size=32,
                          learning_starts=500, timesteps_per_iteration=500, metrics_smoothing_episodes=10,
                          framework_threads_for_driver=1, log_sys_usage=False,
                          Q_model={"fcnet_hiddens": [64, 64]}, policy_model={"fcnet_hiddens": [64, 64]},
                          optimization={"actor_learning_rate": 0.005, "critic_learning_rate": 0.005,
                                        "entropy_learning_rate": 0.0001},
                          logger_config={"logdir": str(tmp_path)})
    config.pop("model")
    result = train_for(SACTrainer(config=config), 75, 3000)
    assert result["episode_reward_mean"] > 75, (result["episode_reward_mean"], result["timesteps_total"])


def test_cli_runs_the_tuned_pendulum_example(tmp_path, capsys):
    import yaml

    from rlcore.cli import main

    data = yaml.safe_load((ROOT / "tuned_examples" / "sac" / "pendulum-sac.yaml").read_text())
    data["pendulum-sac"]["stop"] = {"training_iteration": 2}
    spec = tmp_path / "short.yaml"
    spec.write_text(yaml.safe_dump(data))
    argv = ["train", "-f", str(spec), "--torch", "--local-dir", str(tmp_path),
            "--config", '{"timesteps_per_iteration": 100, "learning_starts": 50, "train_batch_size": 32, '
                        '"Q_model": {"fcnet_hiddens": [16]}, "policy_model": {"fcnet_hiddens": [16]}, '
                        '"min_iter_time_s": 0, "seed": 0, "log_sys_usage": false}']
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "iter    2" in out and "timesteps       200" in out
    assert (tmp_path / "pendulum-sac").is_dir()

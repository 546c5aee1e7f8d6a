"""Learning: DQN reaches 150 and SimpleQ 100 on CartPole-v1 (100-episode mean), seeded, torch and TF2,
each in under a minute; the tuned YAMLs run through ``rlcore train -f``."""

import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[4]

# The tuned YAML's n_step/gamma for DQN, a smaller net and a faster epsilon decay (cheaper CI criterion).
COMMON = dict(timesteps_per_iteration=1000, learning_starts=500, target_network_update_freq=500, lr=1e-3,
              model={"fcnet_hiddens": [64]}, log_sys_usage=False,
              exploration_config={"type": "EpsilonGreedy", "initial_epsilon": 1.0, "final_epsilon": 0.02,
                                  "epsilon_timesteps": 5000})


@pytest.mark.slow
@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_dqn_reaches_150(framework, small_config, train_until):
    from rlcore.algorithms.dqn import DQNTrainer

    config = small_config(framework, **COMMON, n_step=3, gamma=0.95, hiddens=[64])
    result = train_until(DQNTrainer(config=config), 150, max_seconds=55)
    assert result["episode_reward_mean"] >= 150, result["episode_reward_mean"]


@pytest.mark.slow
@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_simple_q_reaches_100(framework, small_config, train_until):
    from rlcore.algorithms.dqn import SimpleQTrainer

    result = train_until(SimpleQTrainer(config=small_config(framework, **COMMON)), 100, max_seconds=55)
    assert result["episode_reward_mean"] >= 100, result["episode_reward_mean"]


@pytest.mark.parametrize("name", ["cartpole-dqn", "cartpole-simpleq"])
def test_tuned_yaml_runs_through_the_cli(name, tmp_path, capsys):
    import yaml

    from rlcore.cli import main

    data = yaml.safe_load((ROOT / "tuned_examples" / "dqn" / f"{name}.yaml").read_text())
    data[name]["stop"] = {"training_iteration": 2}  # a short run of the file's settings
    spec = tmp_path / "short.yaml"
    spec.write_text(yaml.safe_dump(data))
    argv = ["train", "-f", str(spec), "--torch", "--local-dir", str(tmp_path),
            "--config", '{"timesteps_per_iteration": 100, "min_iter_time_s": 0, "learning_starts": 50, "seed": 0, '
                        '"log_sys_usage": false}']
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "iter    2" in out and "timesteps       200" in out
    assert (tmp_path / name).is_dir()

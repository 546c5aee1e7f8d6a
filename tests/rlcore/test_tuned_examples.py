"""tuned_examples/: RLlib 1.x's tuned YAMLs parse, name known algorithms and keep a stop criterion;
``--config`` given with ``-f`` updates each experiment's config; PPO's trains from its file."""

import argparse
import pathlib

import pytest

from rlcore.cli import create_parser, experiments_from_args, main
from rlcore.registry import get_trainer_class

ROOT = pathlib.Path(__file__).resolve().parents[2]
YAMLS = sorted((ROOT / "tuned_examples").rglob("*.yaml"))


def _args(argv: list) -> argparse.Namespace:
    return create_parser().parse_args(argv)


def test_the_cartpole_examples_ship():
    names = {p.relative_to(ROOT / "tuned_examples").as_posix() for p in YAMLS}
    assert {"ppo/cartpole-ppo.yaml", "pg/cartpole-pg.yaml", "a3c/cartpole-a2c.yaml", "a3c/cartpole-a3c.yaml"} <= names


@pytest.mark.parametrize("path", YAMLS, ids=[p.name for p in YAMLS])
def test_each_example_parses_and_names_a_known_algorithm(path):
    experiments = experiments_from_args(_args(["train", "-f", str(path)]))
    assert experiments
    for exp in experiments.values():
        get_trainer_class(exp["run"])  # raises for an unknown name
        assert exp["stop"] and exp["config"]["env"].startswith(("CartPole", "Pendulum"))


def test_config_flag_updates_each_experiment_of_a_file():
    path = ROOT / "tuned_examples" / "ppo" / "cartpole-ppo.yaml"
    exp = experiments_from_args(_args(["train", "-f", str(path), "--torch", "--config", '{"num_workers": 0, "lr": 0.01}']))
    config = exp["cartpole-ppo"]["config"]
    assert config["num_workers"] == 0 and config["lr"] == 0.01 and config["framework"] == "torch"
    assert config["num_sgd_iter"] == 6 and config["model"]["fcnet_hiddens"] == [32]  # the file's values stay


def test_ppo_trains_from_its_tuned_example(tmp_path, capsys):
    path = ROOT / "tuned_examples" / "ppo" / "cartpole-ppo.yaml"
    argv = ["train", "-f", str(path), "--torch", "--local-dir", str(tmp_path),
            "--config", '{"num_workers": 0, "train_batch_size": 400, "sgd_minibatch_size": 100, "num_sgd_iter": 1, '
                        '"seed": 0, "log_sys_usage": false}']
    # a 2-iteration run of the file's settings (the stop criterion of 150 is the benchmark's)
    import yaml

    spec = tmp_path / "short.yaml"
    data = yaml.safe_load(path.read_text())
    data["cartpole-ppo"]["stop"] = {"training_iteration": 2}
    spec.write_text(yaml.safe_dump(data))
    argv[2] = str(spec)
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "iter    2" in out and "timesteps       800" in out
    assert (tmp_path / "cartpole-ppo").is_dir()

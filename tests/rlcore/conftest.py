"""Fixtures shared by the tests under tests/rlcore (the test-wide ones are in tests/conftest.py)."""

import pytest

#: The expert's training budget: 50 iterations of 2000 steps (the seeded run reaches 150 in 11).
EXPERT_MAX_TIMESTEPS = 100_000


@pytest.fixture(scope="session")
def ppo_expert_json(tmp_path_factory):
    """Offline data of a CartPole expert, written once per session (issue #16's tests read it).

    PPO (torch, seeded) is trained to a mean return of 150 (within EXPERT_MAX_TIMESTEPS, else an
    error; no clock, which on a loaded machine could end the run early with a weaker expert), then
    a PPO run with its weights, ``lr=0`` and ``output`` writes two train batches (~4000 steps) of complete episodes as
    JSON lines, rotating files at 200 kB (so the directory holds several files). Everything goes
    under pytest's temporary directory, never the working tree or ``~/ray_results``.

    Returns:
        The output directory (a str).
    """
    from rlcore.algorithms.ppo import PPOTrainer

    base = dict(env="CartPole-v1", framework="torch", num_workers=0, seed=0, min_iter_time_s=0, log_sys_usage=False,
                model={"fcnet_hiddens": [64, 64]}, num_envs_per_worker=8, rollout_fragment_length=250,
                train_batch_size=2000, sgd_minibatch_size=128, num_sgd_iter=6, lr=3e-4, vf_loss_coeff=0.01)
    logs = tmp_path_factory.mktemp("ppo_expert_logs")
    trainer = PPOTrainer(config=base, logger_creator=_logger_in(logs))
    try:
        result = trainer.train()
        while result["episode_reward_mean"] < 150 and result["timesteps_total"] < EXPERT_MAX_TIMESTEPS:
            result = trainer.train()
        weights = trainer.get_weights()
    finally:
        trainer.stop()
    assert result["episode_reward_mean"] >= 150, (result["episode_reward_mean"], result["timesteps_total"])
    out = tmp_path_factory.mktemp("ppo_expert_json")
    writer = PPOTrainer(config=dict(base, output=str(out), lr=0.0, batch_mode="complete_episodes",
                                    rollout_fragment_length=100, output_max_file_size=200_000),
                        logger_creator=_logger_in(logs))
    try:
        writer.set_weights(weights)
        for _ in range(2):
            writer.train()
    finally:
        writer.stop()
    return str(out)


def _logger_in(directory):
    """A ``logger_creator`` keeping a trainer's result files in a new folder under ``directory``."""
    import tempfile

    from rlcore.trial_logger import TrialLogger

    def creator(config):
        return TrialLogger(tempfile.mkdtemp(prefix="PPO_", dir=directory), tensorboard=False)

    return creator

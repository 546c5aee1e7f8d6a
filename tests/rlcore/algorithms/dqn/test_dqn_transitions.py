"""What DQN learns from: every replayed CartPole row is one real env step, and the bootstrap mask
tells a time limit (bootstrapped) from a fall (not), as SB3's DQN does with its time-limit handling.

Each replayed row is replayed in CartPole's own dynamics (state = ``obs``, step ``actions``) and
must give its ``new_obs``, ``rewards`` and ``terminateds``; the rows cut by a 12-step
``TimeLimit`` must carry the last observation of their episode (not the next episode's first),
``dones`` and not ``terminateds``, and the loss must mask with ``terminateds``.
"""

import gymnasium as gym
import numpy as np
import pytest


@pytest.fixture
def short_cartpole():
    from rlcore.env.registry import register_env

    name = "CartPole-12-steps-for-dqn-transitions"
    register_env(name, lambda env_config: gym.make("CartPole-v1", max_episode_steps=12))
    return name


def _replayed_rows(tiny_config, env_name, batches):
    from rlcore.algorithms.dqn import DQNTrainer
    from rlcore.algorithms.dqn.common import done_column

    trainer = DQNTrainer(config=tiny_config("torch", env=env_name, hiddens=[16], prioritized_replay=False,
                                            timesteps_per_iteration=200, train_batch_size=64))
    try:
        trainer.train()
        replayed = [trainer.local_replay_buffer.replay().policy_batches["default_policy"] for _ in range(batches)]
        mask = done_column(trainer.get_policy().config, replayed[0])
    finally:
        trainer.stop()
    cols = ("obs", "actions", "rewards", "new_obs", "dones", "terminateds", "truncateds")
    return {k: np.concatenate([np.asarray(b[k]) for b in replayed]) for k in cols}, mask


def test_replayed_rows_are_env_steps_and_time_limits_bootstrap(tiny_config, short_cartpole):
    rows, mask = _replayed_rows(tiny_config, short_cartpole, batches=8)
    env = gym.make("CartPole-v1").unwrapped
    env.reset(seed=0)
    for i in range(len(rows["rewards"])):
        env.state, env.steps_beyond_terminated = np.asarray(rows["obs"][i], np.float64), None
        new_obs, reward, terminated, _, _ = env.step(int(rows["actions"][i]))
        assert np.allclose(rows["new_obs"][i], new_obs, atol=1e-5), (i, rows["obs"][i], rows["new_obs"][i], new_obs)
        assert rows["rewards"][i] == reward and bool(rows["terminateds"][i]) == terminated, i
    truncated, terminated = rows["truncateds"].astype(bool), rows["terminateds"].astype(bool)
    assert truncated.any() and terminated.any(), (truncated.sum(), terminated.sum())
    assert not (truncated & terminated).any()
    assert np.array_equal(rows["dones"].astype(bool), truncated | terminated)
    assert mask == "terminateds"

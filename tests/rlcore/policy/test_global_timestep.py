"""RLlib 1.x: every action a policy computes advances its global_timestep (until the trainer sets
it from the global counter), so exploration schedules move with Trainer.compute_action too."""

import numpy as np
import pytest


@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_compute_actions_advance_global_timestep(framework):
    from rlcore.algorithms.ppo import PPOTrainer

    trainer = PPOTrainer(config={"env": "CartPole-v1", "framework": framework, "num_workers": 0,
                                 "eager_tracing": framework != "torch", "model": {"fcnet_hiddens": [8]}})
    try:
        policy = trainer.get_policy()
        start = policy.global_timestep
        trainer.compute_action(np.zeros(4, np.float32))
        policy.compute_actions(np.zeros((3, 4), np.float32))
        assert policy.global_timestep == start + 4
        policy.on_global_var_update({"timestep": 100})
        assert policy.global_timestep == 100
    finally:
        trainer.stop()

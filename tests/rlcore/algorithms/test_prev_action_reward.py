"""use_lstm with lstm_use_prev_action / lstm_use_prev_reward trains (RLlib 1.x), torch and TF2:
the sampler feeds prev_actions/prev_rewards, and bootstrapping a cut fragment's value gives the
model the fragment's last action and reward as the previous ones (1.x's postprocess_ppo_gae)."""

import numpy as np
import pytest


@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_ppo_with_an_lstm_reading_prev_action_and_reward_trains(framework, small_config):
    from rlcore.algorithms.ppo import PPOTrainer
    from rlcore.sampling.postprocessing import policy_values

    config = small_config(framework, train_batch_size=200, sgd_minibatch_size=50, rollout_fragment_length=100,
                          num_sgd_iter=2, model={"fcnet_hiddens": [16], "use_lstm": True, "lstm_cell_size": 8,
                                                 "lstm_use_prev_action": True, "lstm_use_prev_reward": True,
                                                 "max_seq_len": 10})
    trainer = PPOTrainer(config=config)
    try:
        result = trainer.train()
        assert result["timesteps_total"] == 200 and np.isfinite(result["info"]["learner"]["default_policy"]["vf_loss"])
        policy = trainer.get_policy()
        batch = trainer.workers.local_worker().sample()
        assert {"prev_actions", "prev_rewards"} <= set(batch)
        rows = np.array([batch.count - 1])
        got = policy_values(policy, batch, rows)
        states = [np.asarray(batch[f"state_out_{i}"])[rows] for i in range(2)]
        want = policy.value_batch(batch["new_obs"][rows], states, prev_actions=batch["actions"][rows],
                                  prev_rewards=batch["rewards"][rows])
        other = policy.value_batch(batch["new_obs"][rows], states, prev_actions=1 - batch["actions"][rows],
                                   prev_rewards=batch["rewards"][rows] + 5.0)
        np.testing.assert_allclose(got, want, rtol=1e-5)
        assert not np.allclose(got, other)  # the previous action and reward really reach the model
    finally:
        trainer.stop()

"""PG: returns postprocessing (batched and per fragment), the loss, and one trainer iteration."""

import gymnasium as gym
import numpy as np
import pytest

from rlcore.algorithms.pg import PGTFPolicy, PGTorchPolicy, post_process_advantages
from rlcore.algorithms.pg.pg import DEFAULT_CONFIG, get_policy_class
from rlcore.data.sample_batch import SampleBatch
from rlcore.policy.utils import to_numpy

OBS = gym.spaces.Box(-1.0, 1.0, (4,), np.float32)
ACT = gym.spaces.Discrete(2)
POLICIES = {"torch": PGTorchPolicy, "tf2": PGTFPolicy}


def make_policy(framework):
    return POLICIES[framework](OBS, ACT, dict(DEFAULT_CONFIG, framework=framework, model={"fcnet_hiddens": [8]}))


@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_batched_returns_equal_per_fragment_returns(framework):
    policy = make_policy(framework)
    rewards = np.arange(1.0, 7.0, dtype=np.float32)
    seg_lens = np.array([2, 3, 1])
    batch = SampleBatch({"obs": np.zeros((6, 4), np.float32), "rewards": rewards,
                         "terminateds": np.array([False, True, False, False, False, False])})
    batched = policy.postprocess_fragments(batch.copy(), seg_lens, [None] * 3)["advantages"]
    start, expected = 0, []
    for n in seg_lens:
        fragment = SampleBatch({"rewards": rewards[start:start + n]})
        expected.extend(post_process_advantages(policy, fragment)["advantages"].tolist())
        start += n
    g = DEFAULT_CONFIG["gamma"]
    assert expected[:2] == pytest.approx([1 + g * 2, 2])
    assert batched.tolist() == pytest.approx(expected)


@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_loss_is_mean_logp_times_return(framework):
    policy = make_policy(framework)
    rng = np.random.default_rng(0)
    batch = SampleBatch({"obs": rng.uniform(-1, 1, (16, 4)).astype(np.float32), "actions": rng.integers(0, 2, 16),
                         "advantages": rng.normal(0, 1, 16).astype(np.float32)})
    logits, _ = policy.model({"obs": batch["obs"]})
    logits = to_numpy(logits).astype(np.float64)
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    expected = -np.mean(logp[np.arange(16), batch["actions"]] * batch["advantages"])
    _, info = policy.compute_gradients(batch)
    assert info["learner_stats"]["policy_loss"] == pytest.approx(expected, rel=1e-4)


def test_defaults_and_policy_choice():
    assert DEFAULT_CONFIG["num_workers"] == 0 and DEFAULT_CONFIG["lr"] == 0.0004
    assert get_policy_class({"framework": "torch"}) is PGTorchPolicy
    assert get_policy_class({"framework": "tf2"}) is PGTFPolicy


def test_trainer_iteration(small_config):
    from rlcore.algorithms.pg import PGTrainer

    trainer = PGTrainer(config=small_config("torch", train_batch_size=200, rollout_fragment_length=50,
                                            num_envs_per_worker=2))
    try:
        result = trainer.train()
        assert result["timesteps_total"] == 200 and result["info"]["num_steps_trained"] == 200
        stats = result["info"]["learner"]["default_policy"]
        assert "policy_loss" in stats.get("learner_stats", stats)
    finally:
        trainer.stop()

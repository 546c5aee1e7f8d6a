"""A3C/A2C: the actor-critic loss against numpy, batched GAE = per-fragment GAE, config checks, plans."""

import gymnasium as gym
import numpy as np
import pytest

from rlcore.algorithms.a3c import A3CTFPolicy, A3CTorchPolicy, validate_config
from rlcore.algorithms.a3c.a3c import DEFAULT_CONFIG
from rlcore.data.sample_batch import SampleBatch
from rlcore.policy.utils import to_numpy
from rlcore.sampling.postprocessing import compute_gae_for_sample_batch
from rlcore.sampling.sampler import segment_lengths

OBS = gym.spaces.Box(-1.0, 1.0, (4,), np.float32)
ACT = gym.spaces.Discrete(2)
POLICIES = {"torch": A3CTorchPolicy, "tf2": A3CTFPolicy}


def make_policy(framework, **config):
    cfg = dict(DEFAULT_CONFIG, framework=framework, eager_tracing=framework == "tf2", model={"fcnet_hiddens": [8]})
    cfg.update(config)
    return POLICIES[framework](OBS, ACT, cfg)


@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_loss_matches_numpy(framework):
    policy = make_policy(framework, vf_loss_coeff=0.5, entropy_coeff=0.01)
    rng = np.random.default_rng(0)
    n = 16
    batch = SampleBatch({"obs": rng.uniform(-1, 1, (n, 4)).astype(np.float32), "actions": rng.integers(0, 2, n),
                         "advantages": rng.normal(0, 1, n).astype(np.float32),
                         "value_targets": rng.normal(0, 1, n).astype(np.float32)})
    logits, _ = policy.model({"obs": batch["obs"]})
    logits, values = to_numpy(logits).astype(np.float64), to_numpy(policy.model.value_function()).astype(np.float64)
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    pi_err = -np.sum(logp[np.arange(n), batch["actions"]] * batch["advantages"])
    vf_err = 0.5 * np.sum((values - batch["value_targets"]) ** 2)
    entropy = -np.sum(np.exp(logp) * logp)
    _, info = policy.compute_gradients(batch)
    stats = info["learner_stats"]
    assert stats["policy_loss"] == pytest.approx(pi_err, rel=1e-4)
    assert stats["vf_loss"] == pytest.approx(vf_err, rel=1e-4)
    assert stats["policy_entropy"] == pytest.approx(entropy, rel=1e-4)
    assert {"cur_lr", "entropy_coeff", "vf_explained_var", "grad_gnorm"} <= set(stats)


@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_batched_gae_equals_per_fragment_gae(framework):
    from rlcore.sampling.rollout_worker import RolloutWorker

    config = dict(DEFAULT_CONFIG, framework=framework, eager_tracing=framework == "tf2", model={"fcnet_hiddens": [8]},
                  **{"lambda": 0.95})
    worker = RolloutWorker(env_creator=lambda ctx: gym.make("CartPole-v1"), policy_spec=POLICIES[framework],
                           policy_config=config, rollout_fragment_length=30, num_envs=2, seed=1)
    try:
        batch = worker.sample()
        policy = worker.get_policy()
        start, advantages, targets = 0, [], []
        for n in segment_lengths(batch).tolist():
            fragment = batch.slice(start, start + n).copy()
            start += n
            out = compute_gae_for_sample_batch(policy, fragment)
            advantages.extend(out["advantages"].tolist())
            targets.extend(out["value_targets"].tolist())
        assert batch.count == 60
        assert batch["advantages"].tolist() == pytest.approx(advantages, rel=1e-4, abs=1e-4)
        assert batch["value_targets"].tolist() == pytest.approx(targets, rel=1e-4, abs=1e-4)
        # Fragments cut by the fragment length bootstrap from V(new_obs), not 0.
        last = batch.count - 1
        if not batch["terminateds"][last]:
            v_last = policy.value_batch(batch["new_obs"][last:])[0]
            assert batch["value_targets"][last] == pytest.approx(batch["rewards"][last] + config["gamma"] * v_last,
                                                                 rel=1e-4)
    finally:
        worker.stop()


@pytest.mark.parametrize("overrides, message", [
    ({"entropy_coeff": -1.0}, "entropy_coeff=-1.0: expected a value >= 0.0"),
    ({"use_critic": False}, "use_gae=True needs use_critic=True"),
])
def test_validate_config_errors(overrides, message):
    with pytest.raises(ValueError) as err:
        validate_config(dict(DEFAULT_CONFIG, **overrides))
    assert message in str(err.value)


@pytest.mark.parametrize("microbatch_size", [None, 100])
def test_a2c_iteration(microbatch_size, small_config):
    from rlcore.algorithms.a2c import A2CTrainer

    trainer = A2CTrainer(config=small_config("torch", train_batch_size=200, rollout_fragment_length=25,
                                             num_envs_per_worker=2, microbatch_size=microbatch_size))
    try:
        result = trainer.train()
        assert result["info"]["num_steps_trained"] == 200
        stats = result["info"]["learner"]["default_policy"]
        assert "vf_loss" in stats.get("learner_stats", stats)
        if microbatch_size:
            assert "apply_grad_time_ms" in result["timers"] and "learn_time_ms" not in result["timers"]
        else:
            assert "learn_time_ms" in result["timers"]
    finally:
        trainer.stop()


def test_a3c_without_remote_workers_runs_locally(small_config):
    from rlcore.algorithms.a3c import A3CTrainer

    trainer = A3CTrainer(config=small_config("torch", rollout_fragment_length=25, num_envs_per_worker=2,
                                             timesteps_per_iteration=100))
    try:
        result = trainer.train()
        assert result["timesteps_total"] >= 100
        assert result["info"]["num_steps_trained"] == result["timesteps_total"]
    finally:
        trainer.stop()


@pytest.mark.parametrize("framework", ["torch", "tf2"])
def test_microbatch_gradients_sum_to_the_full_batch_gradient(framework):
    """A2C's microbatching is exact: the loss is a sum over rows, and AverageGradients sums."""
    from rlcore.ops.train import AverageGradients

    policy = make_policy(framework, grad_clip=None)
    rng = np.random.default_rng(1)
    n = 20
    batch = SampleBatch({"obs": rng.uniform(-1, 1, (n, 4)).astype(np.float32), "actions": rng.integers(0, 2, n),
                         "advantages": rng.normal(0, 1, n).astype(np.float32),
                         "value_targets": rng.normal(0, 1, n).astype(np.float32)})
    full, _ = policy.compute_gradients(batch)
    halves = [(policy.compute_gradients(batch.slice(i, i + 10))[0], 10) for i in (0, 10)]
    summed, count = AverageGradients()(halves)
    assert count == n
    for a, b in zip(full, summed):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.ray
@pytest.mark.parametrize("setting", ["ignore_worker_failures", "recreate_failed_workers", None])
def test_async_plan_recovers_from_a_dead_worker(ray_session, small_config, setting):
    """A worker killed under the async-gradients plan: dropped or recreated and the iteration
    retried with the plan rebuilt (counters kept); without either setting the error is raised."""
    from rlcore.algorithms.a3c import A3CTrainer

    config = small_config("torch", num_workers=2, num_envs_per_worker=1, rollout_fragment_length=10,
                          timesteps_per_iteration=40, model={"fcnet_hiddens": [16]})
    if setting:
        config[setting] = True
    trainer = A3CTrainer(config=config)
    try:
        first = trainer.train()
        victim = trainer.workers.remote_workers()[0]
        ray_session.kill(victim)
        if setting is None:
            with pytest.raises(Exception, match="(?i)died|actor") as failure:
                for _ in range(3):
                    trainer.train()
            assert "config['ignore_worker_failures']" in " ".join(getattr(failure.value, "__notes__", []))
            return
        second = trainer.train()
        assert second["timesteps_total"] > first["timesteps_total"]  # the counters went on
        assert victim not in trainer.workers.remote_workers()
        assert len(trainer.workers.remote_workers()) == (1 if setting == "ignore_worker_failures" else 2)
        assert trainer.train()["timesteps_total"] > second["timesteps_total"]
    finally:
        trainer.stop()

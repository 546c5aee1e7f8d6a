"""APPO: RLlib 1.x defaults and config checks, UpdateTargetAndKL, and IMPALA's plan with target and KL updates."""

import pytest

from rlcore.algorithms.appo import DEFAULT_CONFIG, APPOTrainer, UpdateTargetAndKL, get_policy_class, validate_config
from rlcore.algorithms.impala import DEFAULT_CONFIG as IMPALA_CONFIG
from rlcore.dataflow import LocalIterator, SharedMetrics

WAIT_S = 60


def plan_config(small_config, framework="torch", **overrides):
    settings = dict(rollout_fragment_length=50, train_batch_size=100, timesteps_per_iteration=500,
                    model={"fcnet_hiddens": [16]}, log_sys_usage=False)
    settings.update(overrides)
    return small_config(framework, **settings)


def test_defaults_are_rllib_1x_values():
    expected = dict(vtrace=False, use_critic=True, use_gae=True, clip_param=0.4, use_kl_loss=False, kl_coeff=1.0,
                    kl_target=0.01, replay_buffer_num_slots=100, num_gpus=0, rollout_fragment_length=50,
                    train_batch_size=500, min_iter_time_s=10, num_sgd_iter=1, minibatch_buffer_size=1,
                    learner_queue_size=16, learner_queue_timeout=300, broadcast_interval=1, lr=0.0005,
                    vf_loss_coeff=0.5, entropy_coeff=0.01, grad_clip=40.0, opt_type="adam")
    expected["lambda"] = 1.0
    assert {k: DEFAULT_CONFIG[k] for k in expected} == expected
    assert set(IMPALA_CONFIG) <= set(DEFAULT_CONFIG)


@pytest.mark.parametrize("overrides, message", [
    (dict(clip_param=0.0), "clip_param=0.0: expected a number > 0.0"),
    (dict(kl_coeff=-1.0), "kl_coeff=-1.0: expected a number >= 0.0"),
    (dict(use_kl_loss="yes"), "use_kl_loss='yes': expected a bool"),
    (dict(use_gae=True, use_critic=False), "use_gae=True needs use_critic=True"),
    (dict(use_gae=False), "batch_mode='truncate_episodes' with vtrace=False needs use_gae=True"),
    (dict(vtrace=True, batch_mode="complete_episodes"), "expected 'truncate_episodes' when vtrace=True"),
    (dict(replay_proportion=1.0, replay_buffer_num_slots=0), "needs replay_buffer_num_slots > 0"),
])
def test_validate_config_names_key_value_and_expectation(overrides, message):
    with pytest.raises(ValueError, match=message):
        validate_config(dict(DEFAULT_CONFIG, **overrides))


def test_policy_class_follows_framework():
    assert get_policy_class({"framework": "torch"}).__name__ == "AsyncPPOTorchPolicy"
    assert get_policy_class({"framework": "tf2"}).__name__ == "AsyncPPOTFPolicy"


class SpyPolicy:
    def __init__(self):
        self.targets, self.kls = 0, []

    def update_target(self):
        self.targets += 1

    def update_kl(self, kl):
        self.kls.append(kl)


class SpyWorkers:
    def __init__(self, policy):
        self.policy = policy

    def local_worker(self):
        return self

    def foreach_trainable_policy(self, fn):
        return [fn(self.policy, "default_policy")]


@pytest.mark.parametrize("use_kl_loss", [True, False])
def test_update_target_and_kl_every_num_sgd_iter_times_minibatch_buffer_size_learner_steps(use_kl_loss):
    policy = SpyPolicy()
    op = UpdateTargetAndKL(SpyWorkers(policy), dict(num_sgd_iter=3, minibatch_buffer_size=2, use_kl_loss=use_kl_loss))
    stats = [{"default_policy": {"kl": float(i)}} for i in range(13)]

    def sample(item):
        from rlcore.dataflow import get_metrics

        get_metrics().counters["num_steps_sampled"] += 10
        return item

    it = LocalIterator(lambda t: iter(stats), SharedMetrics()).for_each(sample).for_each(op)
    assert it.take(13) == stats
    counters = it.shared_metrics.get().counters
    assert policy.targets == 2 and counters["num_target_updates"] == 2
    assert counters["last_target_update_ts"] == 120  # num_steps_sampled at the 12th learner step
    assert policy.kls == ([5.0, 11.0] if use_kl_loss else [])


@pytest.mark.parametrize("vtrace", [False, True])
def test_plan_without_workers_updates_the_target_after_learner_steps(small_config, vtrace):
    trainer = APPOTrainer(config=plan_config(small_config, vtrace=vtrace, use_kl_loss=True))
    try:
        policy = trainer.get_policy()
        kl_before = policy.kl_coeff_val
        results = [trainer.train() for _ in range(2)]
    finally:
        trainer.stop()
    info = results[-1]["info"]
    learner_steps = info["num_steps_trained"] // 100
    assert learner_steps > 0 and info["num_target_updates"] == learner_steps
    assert 0 < info["last_target_update_ts"] <= info["num_steps_sampled"]
    assert "kl" in info["learner"]["default_policy"]
    assert policy.kl_coeff_val != kl_before  # update_kl moved the coefficient (x1.5 or x0.5 unless within target)


@pytest.mark.ray
def test_plan_with_a_remote_worker(ray_session, small_config):
    # One remote worker (one process to start, not two): the APPO parts (target and KL updates
    # after learner steps, weight broadcast) do not depend on the worker count; gathering from
    # two workers through the same plan is covered by test_impala.py's 2-worker runs.
    trainer = APPOTrainer(config=plan_config(small_config, num_workers=1, vtrace=True))
    try:
        results = [trainer.train() for _ in range(2)]
    finally:
        trainer.stop()
    info = results[-1]["info"]
    assert results[-1]["num_healthy_workers"] == 1
    assert 0 < info["num_steps_trained"] <= info["num_steps_sampled"]
    assert info["num_target_updates"] == info["num_steps_trained"] // 100
    assert info["num_weight_broadcasts"] > 0

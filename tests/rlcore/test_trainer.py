"""Trainer: train loop, result dict, checkpoints, evaluation, acting, hooks, env resolution, Tune."""

import csv
import glob
import os

import numpy as np
import pytest

from rlcore.checkpoints import CheckpointError
from rlcore.trainer import Trainer, build_trainer, with_common_config

FAST = {"num_workers": 0, "log_sys_usage": False, "rollout_fragment_length": 20, "train_batch_size": 20}


def make_trainer_class(name="CountTrainer", **overrides):
    """A tiny trainer: random actions, 'learning' adds the batch size to every weight.

    Everything is defined locally so Ray Tune ships the classes by value to its trial actor.
    """
    from rlcore.data.concat import concat_samples
    from rlcore.dataflow import from_items, get_metrics
    from rlcore.policy.policy import Policy
    from rlcore.sampling.metrics import collect_metrics

    class CountPolicy(Policy):
        def __init__(self, observation_space, action_space, config):
            super().__init__(observation_space, action_space, config)
            self.w = np.zeros(3, np.float32)
            self.rng = np.random.default_rng(0)

        def compute_actions(self, obs_batch, state_batches=None, explore=None, **kw):
            if explore is False:
                return np.ones(len(obs_batch), np.int64), [], {"explore": np.zeros(len(obs_batch))}
            return self.rng.integers(0, 2, len(obs_batch)), [], {"explore": np.ones(len(obs_batch))}

        def learn_on_batch(self, samples):
            self.w += samples.count
            return {"learner_stats": {"w0": float(self.w[0])}}

        def get_weights(self):
            return {"w": self.w.copy()}

        def set_weights(self, weights):
            self.w = np.array(weights["w"], np.float32)

    def plan(workers, config):
        def train_step(_):
            batch = concat_samples(workers.sample())
            metrics = get_metrics()
            metrics.counters["num_steps_sampled"] += batch.count
            info = workers.local_worker().learn_on_batch(batch)
            metrics.counters["num_steps_trained"] += batch.count
            workers.sync_weights(global_vars={"timestep": metrics.counters["num_steps_sampled"]})
            result = collect_metrics(workers.local_worker(), workers.remote_workers())
            result.update(timesteps_this_iter=batch.count, timesteps_total=metrics.counters["num_steps_sampled"],
                          info={"learner": info, **metrics.counters})
            return result

        return from_items([0], num_shards=1, repeat=True, backend="inprocess").gather_sync().for_each(train_step)

    kwargs = dict(default_config=with_common_config({}), default_policy=CountPolicy, execution_plan=plan)
    kwargs.update(overrides)
    return build_trainer(name, **kwargs)


@pytest.fixture(scope="module")
def CountTrainer():
    return make_trainer_class()


def test_train_standalone_returns_rllib_result(CountTrainer):
    import ray

    ray_was_up = ray.is_initialized()
    t = CountTrainer(config=FAST, env="CartPole-v1")
    try:
        r1, r2 = t.train(), t.train()
    finally:
        t.stop()
    assert (r1["training_iteration"], r2["training_iteration"]) == (1, 2)
    assert (r1["timesteps_total"], r2["timesteps_total"]) == (20, 40)
    assert ray_was_up or not ray.is_initialized(), "num_workers=0 must not start Ray"
    assert r2["info"]["num_steps_trained"] == 40
    assert r2["info"]["learner"]["default_policy"]["learner_stats"]["w0"] == 40.0
    for key in ("episode_reward_mean", "episodes_this_iter", "time_this_iter_s", "time_total_s", "done", "timers"
                if "timers" in r2 else "date"):
        assert key in r2
    assert r2["episodes_total"] == r1["episodes_this_iter"] + r2["episodes_this_iter"]
    if not ray_was_up:
        assert not ray.is_initialized(), "num_workers=0 must not start Ray"


def test_config_errors_surface_at_construction(CountTrainer):
    with pytest.raises(ValueError, match="unknown config key 'rollout_fragment_lenght'; did you mean 'rollout_fragment_length'"):
        CountTrainer(config={**FAST, "rollout_fragment_lenght": 5}, env="CartPole-v1")
    with pytest.raises(TypeError, match="config key 'train_batch_size' = '20' has type str; expected int"):
        CountTrainer(config={**FAST, "train_batch_size": "20"}, env="CartPole-v1")
    with pytest.raises(ValueError, match="unknown config key 'evaluation_config.exploree'; did you mean 'explore'"):
        CountTrainer(config={**FAST, "evaluation_config": {"exploree": False}}, env="CartPole-v1")


@pytest.mark.parametrize("env, message", [
    ("CartPole-v9", "env 'CartPole-v9' is neither a name registered with register_env nor a gymnasium id. Close matches: CartPole-v1"),
    (42, "env=42: expected a registered name"),
])
def test_unknown_env_is_one_clear_error(CountTrainer, env, message):
    with pytest.raises((ValueError, TypeError)) as err:
        CountTrainer(config=FAST, env=env)
    assert message in str(err.value)


def test_env_by_registered_name_and_class(CountTrainer):
    import gymnasium as gym

    from rlcore.env import register_env

    class ShortCartPole(gym.Wrapper):
        def __init__(self, env_config):
            super().__init__(gym.make("CartPole-v1", max_episode_steps=int(env_config.get("steps", 5))))

    register_env("short_cartpole_for_trainer_test", lambda ctx: ShortCartPole(ctx))
    for env in ("short_cartpole_for_trainer_test", ShortCartPole):
        t = CountTrainer(config={**FAST, "env_config": {"steps": 5}}, env=env)
        try:
            r = t.train()
        finally:
            t.stop()
        assert r["episode_len_mean"] <= 5.0


def test_save_restore_identical_weights_and_counters(CountTrainer, tmp_path):
    t = CountTrainer(config=FAST, env="CartPole-v1")
    t.train(), t.train()
    saved = t.save(str(tmp_path / "ck"))
    weights, state = t.get_weights(), (t.iteration, t._timesteps_total, t._episodes_total)
    t.train()
    t.stop()
    assert os.path.isfile(tmp_path / "ck" / "checkpoint-2")
    for path in (saved, str(tmp_path / "ck"), str(tmp_path / "ck" / "checkpoint-2")):
        t2 = CountTrainer(config=FAST, env="CartPole-v1")
        try:
            t2.restore(path)
            np.testing.assert_array_equal(t2.get_weights()["default_policy"]["w"], weights["default_policy"]["w"])
            assert (t2.iteration, t2._timesteps_total, t2._episodes_total) == state
            r = t2.train()
        finally:
            t2.stop()
        assert r["training_iteration"] == 3 and r["timesteps_total"] == 60
        assert r["info"]["num_steps_trained"] == 60


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"),
    (b"\xc1\xc1garbage", "is corrupt or not an rlcore trainer checkpoint"),
    (b"\x81\xa1a\x01", "is corrupt or not an rlcore trainer checkpoint"),
])
def test_corrupt_checkpoint_is_one_clear_error(CountTrainer, tmp_path, content, message):
    (tmp_path / "checkpoint-1").write_bytes(content)
    t = CountTrainer(config=FAST, env="CartPole-v1")
    try:
        with pytest.raises(CheckpointError) as err:
            t.restore(str(tmp_path / "checkpoint-1"))
    finally:
        t.stop()
    assert message in str(err.value) and "\n" not in str(err.value)


def test_missing_or_foreign_checkpoint(CountTrainer, tmp_path):
    t = CountTrainer(config=FAST, env="CartPole-v1")
    other = make_trainer_class("OtherTrainer")(config=FAST, env="CartPole-v1")
    try:
        with pytest.raises(CheckpointError, match="does not exist"):
            t.restore(str(tmp_path / "nope"))
        with pytest.raises(CheckpointError, match="holds no 'checkpoint-<iteration>' file"):
            t.restore(str(tmp_path))
        other.train()
        other.save(str(tmp_path / "other"))
        with pytest.raises(CheckpointError, match="was written by OtherTrainer, not CountTrainer"):
            t.restore(str(tmp_path / "other"))
    finally:
        t.stop(), other.stop()


def test_compute_action_and_actions(CountTrainer):
    t = CountTrainer(config=FAST, env="CartPole-v1")
    try:
        obs = np.zeros(4, np.float32)
        assert t.compute_action(obs, explore=False) == 1
        action, state, extra = t.compute_action(obs, full_fetch=True, explore=False)
        assert action == 1 and state == [] and extra["explore"] == 0
        assert t.compute_actions({"a": obs, "b": obs + 1}, explore=False) == {"a": 1, "b": 1}
        with pytest.raises(ValueError, match="policy_id='nope': no such policy"):
            t.compute_action(obs, policy_id="nope")
    finally:
        t.stop()


def test_evaluation_runs_episodes_without_exploration(CountTrainer):
    cfg = {**FAST, "evaluation_interval": 2, "evaluation_num_episodes": 3, "evaluation_config": {"gamma": 0.5}}
    t = CountTrainer(config=cfg, env="CartPole-v1")
    try:
        r1, r2 = t.train(), t.train()
        eval_policy = t.evaluation_workers.local_worker().get_policy()
        np.testing.assert_array_equal(eval_policy.w, t.get_policy().w)
    finally:
        t.stop()
    assert "evaluation" not in r1
    assert r2["evaluation"]["episodes_this_iter"] >= 3
    assert eval_policy.config["explore"] is False and eval_policy.config["in_evaluation"] is True
    assert eval_policy.config["gamma"] == 0.5 and t.config["gamma"] == 0.99
    # explore=False always pushes right: CartPole episodes end within a few dozen steps.
    assert r2["evaluation"]["episode_len_mean"] < 20


def test_callbacks_on_train_result_may_change_result(CountTrainer):
    from rlcore.sampling.callbacks import DefaultCallbacks

    class Tag(DefaultCallbacks):
        def on_train_result(self, *, trainer, result, **kwargs):
            result["tagged_by"] = trainer._name

    t = CountTrainer(config={**FAST, "callbacks": Tag}, env="CartPole-v1")
    try:
        assert t.train()["tagged_by"] == "CountTrainer"
    finally:
        t.stop()


def test_hooks_order_mixins_policy_class_and_with_updates():
    calls = []

    class Mixin:
        def hello(self):
            return "mixin"

    base = make_trainer_class()
    T = base.with_updates(
        name="Hooked", mixins=[Mixin],
        validate_config=lambda c: calls.append("validate"),
        get_policy_class=lambda c: calls.append("policy") or None,
        before_init=lambda t: calls.append("before"),
        after_init=lambda t: calls.append(("after", t.workers is not None, t.train_exec_impl is not None)))
    t = T(config=FAST, env="CartPole-v1")
    try:
        assert calls == ["validate", "policy", "before", ("after", True, True)]
        assert T.__name__ == "Hooked" and t.hello() == "mixin" and isinstance(t, Trainer)
        assert type(t.get_policy()).__name__ == "CountPolicy"
        assert "Hooked" in repr(t)
    finally:
        t.stop()


def test_trainer_without_policy_is_an_error():
    T = build_trainer("NoPolicy")
    with pytest.raises(ValueError, match="NoPolicy has no policy class"):
        T(config=FAST, env="CartPole-v1")


def test_export_policy_checkpoint(CountTrainer, tmp_path):
    t = CountTrainer(config=FAST, env="CartPole-v1")
    try:
        t.train()
        path = t.export_policy_checkpoint(str(tmp_path))
        fresh = t.get_policy()
        fresh.set_weights({"w": np.zeros(3, np.float32)})
        fresh.import_checkpoint(path)
        assert fresh.w[0] == 20.0
    finally:
        t.stop()


def test_explain_of_the_plan(CountTrainer):
    t = CountTrainer(config=FAST, env="CartPole-v1")
    try:
        text = t.train_exec_impl.explain()
    finally:
        t.stop()
    assert "for_each" in text


def test_default_execution_plan_uses_rlcore_ops():
    from rlcore.trainer import default_execution_plan

    T = make_trainer_class("DefaultPlan", execution_plan=default_execution_plan)
    t = T(config=FAST, env="CartPole-v1")
    try:
        r = t.train()
    finally:
        t.stop()
    assert r["timesteps_total"] >= 20 and r["info"]["num_steps_trained"] >= 20


@pytest.mark.ray
def test_remote_workers_sample_sync_and_restore(ray_session, tmp_path):
    T = make_trainer_class("RemoteCount")
    t = T(config={**FAST, "num_workers": 1, "num_cpus_per_worker": 0.5}, env="CartPole-v1")
    try:
        t.train()
        remote = t.workers.remote_workers()[0]
        w_remote = ray_session.get(remote.get_weights.remote(), timeout=60)
        assert w_remote["default_policy"]["w"][0] == 20.0
        t.save(str(tmp_path))
        t.train()
        t.restore(str(tmp_path))
        w_remote = ray_session.get(remote.get_weights.remote(), timeout=60)
        assert w_remote["default_policy"]["w"][0] == 20.0 and t.iteration == 1
    finally:
        t.stop()


@pytest.mark.ray
def test_tune_run_reports_checkpoints_and_restores(ray_session, tmp_path):
    from ray import tune

    T = make_trainer_class("TuneCount")
    analysis = tune.run(
        T, config={**FAST, "env": "CartPole-v1"}, stop={"training_iteration": 2},
        storage_path=str(tmp_path), checkpoint_config=tune.CheckpointConfig(checkpoint_frequency=1, checkpoint_at_end=True),
        verbose=0, resources_per_trial=None)
    trial = analysis.trials[0]
    assert trial.status == "TERMINATED"
    assert trial.last_result["training_iteration"] == 2 and trial.last_result["timesteps_total"] == 40
    # Tune's logger callbacks fill the trial folder under storage_path, once; the trainer, which Tune
    # gave a storage, writes none of those files into its own working directory.
    assert trial.path.startswith(str(tmp_path))
    with open(os.path.join(trial.path, "progress.csv"), newline="") as f:
        assert [row["training_iteration"] for row in csv.DictReader(f)] == ["1", "2"]
    with open(os.path.join(trial.path, "result.json")) as f:
        assert len(f.readlines()) == 2
    assert len(glob.glob(os.path.join(trial.path, "events.out.tfevents.*"))) == 1
    workdir = trial.storage.trial_working_directory
    assert os.path.isdir(workdir) and not {"progress.csv", "result.json", "params.json"} & set(os.listdir(workdir))
    assert not glob.glob(os.path.join(workdir, "events.out.tfevents.*"))
    ckpt = trial.checkpoint
    assert ckpt is not None and os.path.isfile(os.path.join(ckpt.path, "checkpoint-2"))
    t = T(config=FAST, env="CartPole-v1")
    try:
        t.restore(ckpt.path)
        assert t.iteration == 2 and t._timesteps_total == 40
        assert t.get_weights()["default_policy"]["w"][0] == 40.0
        r = t.train()
    finally:
        t.stop()
    assert r["training_iteration"] == 3 and r["timesteps_total"] == 60


@pytest.mark.ray
@pytest.mark.slow
def test_tune_run_ppo_trainer_checkpoint_restore_identical(ray_session, tmp_path):
    """Criterion 2: tune.run(PPOTrainer) through real Tune; restore gives identical weights and counters."""
    from ray import tune

    from rlcore.checkpoints import read_checkpoint
    from rlcore.policy.policy_state import unpackb

    import rllib_compat.agents.ppo as ppo
    config = {"env": "CartPole-v0", "framework": "torch", "num_workers": 0, "log_sys_usage": False, "seed": 1,
              "train_batch_size": 200, "rollout_fragment_length": 100, "sgd_minibatch_size": 100, "num_sgd_iter": 2,
              "model": {"fcnet_hiddens": [16]}}
    analysis = tune.run(ppo.PPOTrainer, config=config, stop={"training_iteration": 2}, storage_path=str(tmp_path),
                        checkpoint_config=tune.CheckpointConfig(checkpoint_at_end=True), verbose=0)
    trial = analysis.trials[0]
    assert trial.status == "TERMINATED"
    last = trial.last_result
    assert last["training_iteration"] == 2 and last["timesteps_total"] == 400
    assert "episode_reward_mean" in last and "default_policy" in last["info"]["learner"]
    saved = read_checkpoint(trial.checkpoint.path)
    saved_weights = unpackb(saved["worker"])["state"]["default_policy"]["weights"]

    trainer = ppo.PPOTrainer(config=config)
    try:
        trainer.restore(trial.checkpoint.path)
        weights = trainer.get_weights()["default_policy"]
        assert sorted(weights) == sorted(saved_weights)
        for name in weights:
            np.testing.assert_array_equal(weights[name], saved_weights[name])
        assert (trainer.iteration, trainer._timesteps_total) == (2, 400)
        r = trainer.train()
    finally:
        trainer.stop()
    assert r["training_iteration"] == 3 and r["timesteps_total"] == 600 and r["info"]["num_steps_trained"] == 600


@pytest.mark.ray
def test_evaluation_on_remote_workers(ray_session):
    T = make_trainer_class("RemoteEval")
    cfg = {**FAST, "evaluation_num_workers": 1, "evaluation_num_episodes": 2, "num_cpus_per_worker": 0.5}
    t = T(config=cfg, env="CartPole-v1")
    try:
        assert t.config["evaluation_interval"] == 1
        r = t.train()
        (remote,) = t.evaluation_workers.remote_workers()
        w = ray_session.get(remote.get_weights.remote(), timeout=60)
        explore = ray_session.get(remote.apply.remote(lambda wk: wk.get_policy().config["explore"]), timeout=60)
    finally:
        t.stop()
    assert r["evaluation"]["episodes_this_iter"] >= 2 and r["evaluation"]["episode_len_mean"] < 20
    assert w["default_policy"]["w"][0] == 20.0 and explore is False

"""Issue #12 done-when 1: every name issue #12 item 2 lists, imported from its RLlib 1.x path and called.

One test per 1.x module path; each calls what it imports and checks the result. The deeper
behaviour of each piece is tested next to it (tests/rllib_compat/utils/, evaluation/,
tests/rlcore/models/test_repeated.py, tests/rlcore/test_rollout.py, test_trainer_resources.py).
"""

import logging
import math
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

FAST_PG = {"env": "CartPole-v1", "num_workers": 0, "rollout_fragment_length": 20, "train_batch_size": 20,
           "log_sys_usage": False, "seed": 0, "model": {"fcnet_hiddens": [8]}}


@pytest.fixture(scope="module")
def pg_trainer():
    """A small torch PG trainer built through the 1.x path, trained one iteration."""
    from rllib_compat.agents.pg import PGTrainer

    trainer = PGTrainer(config={**FAST_PG, "framework": "torch"})
    trainer.train()
    yield trainer
    trainer.stop()


def test_test_utils_check_framework_iterator_learning_and_single_action(pg_trainer):
    from rllib_compat.utils.test_utils import (
        check,
        check_compute_single_action,
        check_learning_achieved,
        framework_iterator,
    )

    check({"a": [1.0, np.array([2.0, 3.0])]}, {"a": [1.0, np.array([2.0, 3.0000001])]})
    check(np.array([1.0]), np.array([2.0]), false=True)
    with pytest.raises(AssertionError):
        check([1, 2], [1, 3])
    config = {}
    seen = [(fw, config["framework"]) for fw in framework_iterator(config)]
    assert seen == [("tf2", "tf2"), ("torch", "torch")]
    assert list(framework_iterator({}, frameworks=("tf", "tfe"), session=True)) == [("tf2", None)]

    class Trial:
        last_result = {"episode_reward_mean": 20.0}

    class Results:
        trials = [Trial()]

    check_learning_achieved(Results(), 10.0)
    with pytest.raises(ValueError, match="`stop-reward` of 30.0 not reached"):
        check_learning_achieved(Results(), 30.0)
    check_compute_single_action(pg_trainer)
    check_compute_single_action(pg_trainer, include_prev_action_reward=True)


def test_annotations_override_public_developer():
    from rllib_compat.policy import Policy
    from rllib_compat.utils.annotations import DeveloperAPI, PublicAPI, override

    @PublicAPI
    class MyPolicy(Policy):
        @override(Policy)
        def compute_actions(self, obs_batch, state_batches=None, **kwargs):
            return np.ones(len(obs_batch), np.int64), [], {}

        @DeveloperAPI
        def helper(self):
            return 7

    p = MyPolicy(gym.spaces.Box(-1, 1, (2,)), gym.spaces.Discrete(2), {})
    assert p.compute_single_action(np.zeros(2, np.float32))[0] == 1 and p.helper() == 7

    def compute_actionz(self):
        return None

    with pytest.raises(NameError, match=r"compute_actionz does not override any method of Policy \(closest names: \['compute_actions'"):
        override(Policy)(compute_actionz)


def test_deprecation_warning_and_deprecated_value(caplog):
    from rllib_compat.utils.deprecation import DEPRECATED_VALUE, deprecation_warning

    assert DEPRECATED_VALUE == -1
    with caplog.at_level(logging.WARNING, logger="rllib_compat.utils.deprecation"):
        deprecation_warning("old_key", "new_key")
    assert "DeprecationWarning: `old_key` has been deprecated. Use `new_key` instead." in caplog.text
    with pytest.raises(ValueError, match="`old_key` has been deprecated"):
        deprecation_warning("old_key", error=True)


def test_typing_aliases_annotate_a_real_function():
    import typing

    from rllib_compat.utils import typing as rl_typing

    def loss(policy, model, dist_class, train_batch: rl_typing.SampleBatchType) -> rl_typing.TensorType:
        return 0.0

    assert loss(None, None, None, None) == 0.0
    assert rl_typing.TrainerConfigDict is dict and rl_typing.PolicyID is str and rl_typing.ModelWeights is dict
    assert typing.get_origin(rl_typing.MultiAgentDict) is dict
    assert set(rl_typing.__all__) >= {"TensorType", "TrainerConfigDict", "ModelConfigDict", "AgentID", "EnvType",
                                      "ResultDict", "ModelGradients", "SampleBatchType", "TensorStructType"}


def test_torch_ops():
    import torch
    from rllib_compat.utils.torch_ops import (
        FLOAT_MAX,
        FLOAT_MIN,
        convert_to_non_torch_type,
        convert_to_torch_tensor,
        explained_variance,
        huber_loss,
        one_hot,
        reduce_mean_ignore_inf,
        sequence_mask,
        softmax_cross_entropy_with_logits,
    )

    assert FLOAT_MIN == -3.4e38 and FLOAT_MAX == 3.4e38
    masked = torch.tensor([[1.0, 2.0]]) + torch.tensor([[0.0, FLOAT_MIN]])
    assert torch.softmax(masked, -1).tolist() == [[1.0, 0.0]]
    t = convert_to_torch_tensor({"obs": np.ones((2, 2)), "a": [np.array([1, 2])]})
    assert t["obs"].dtype == torch.float32 and t["a"][0].dtype == torch.int64
    assert sequence_mask(torch.tensor([2, 0]), 3, time_major=True).tolist() == [[True, False], [True, False],
                                                                              [False, False]]
    assert sequence_mask(torch.tensor([1, 2]), dtype=torch.float32).tolist() == [[1.0, 0.0], [1.0, 1.0]]
    assert convert_to_non_torch_type({"x": torch.tensor(1.5)}) == {"x": 1.5}
    assert float(explained_variance(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 2.0, 3.0]))) == 1.0
    assert huber_loss(torch.tensor([0.5, 2.0])).tolist() == [0.125, 1.5]
    assert one_hot(torch.tensor([2]), gym.spaces.Discrete(3)).tolist() == [[0, 0, 1]]
    assert float(reduce_mean_ignore_inf(torch.tensor([2.0, float("-inf"), 4.0]), 0)) == 3.0
    ce = softmax_cross_entropy_with_logits(torch.tensor([[0.0, math.log(3.0)]]), torch.tensor([[0.0, 1.0]]))
    assert abs(float(ce[0]) - math.log(4.0 / 3.0)) < 1e-6


def test_tf_ops():
    import tensorflow as tf
    from rllib_compat._absent import AbsentFeatureError
    from rllib_compat.utils.tf_ops import (
        convert_to_non_tf_type,
        explained_variance,
        get_placeholder,
        huber_loss,
        make_tf_callable,
        one_hot,
        reduce_mean_ignore_inf,
        scope_vars,
    )

    assert huber_loss(tf.constant([0.5, 2.0])).numpy().tolist() == [0.125, 1.5]
    assert one_hot(tf.constant([1]), gym.spaces.Discrete(2)).numpy().tolist() == [[0.0, 1.0]]
    assert float(reduce_mean_ignore_inf(tf.constant([2.0, tf.float32.min, 4.0]), 0)) == 3.0
    assert float(explained_variance(tf.constant([1.0, 2.0]), tf.constant([1.0, 2.0]))) == 1.0
    assert convert_to_non_tf_type([tf.constant(2.0)]) == [np.float32(2.0)]
    doubled = make_tf_callable(None)(lambda x: x * 2)
    assert doubled(tf.constant(3.0)).numpy() == 6.0
    with pytest.raises(AbsentFeatureError, match="tf_ops.get_placeholder .RLlib 1.x. does not exist"):
        get_placeholder(space=gym.spaces.Box(-1, 1, (2,)))
    with pytest.raises(AbsentFeatureError, match="instead, call make_tf_callable\\(None\\)"):
        make_tf_callable(object())
    with pytest.raises(AbsentFeatureError, match="model.variables"):
        scope_vars("default_policy")


def test_framework_try_imports():
    from rllib_compat._absent import AbsentFeatureError
    from rllib_compat.utils.framework import try_import_tf, try_import_tfp, try_import_torch

    tf1, tf, tfv = try_import_tf()
    if tf is not None:  # tensorflow is an optional extra
        assert tfv == 2 and tf1.executing_eagerly() and tf1.get_variable("v", shape=[2]).shape == (2,)
        with pytest.raises(AbsentFeatureError, match="tf1.Session .RLlib 1.x. does not exist"):
            tf1.Session()
    torch, nn = try_import_torch()
    if torch is not None:
        assert issubclass(nn.Linear, nn.Module) and torch.zeros(2).shape == (2,)
    tfp = try_import_tfp()
    assert tfp is None or hasattr(tfp, "distributions")
    if tfp is None:
        with pytest.raises(ImportError, match="tensorflow_probability is not installed"):
            try_import_tfp(error=True)


def test_space_utils():
    from rllib_compat.utils.spaces.space_utils import (
        clip_action,
        flatten_space,
        flatten_to_single_ndarray,
        get_base_struct_from_space,
        unbatch,
        unsquash_action,
    )

    space = gym.spaces.Tuple([gym.spaces.Discrete(2), gym.spaces.Dict({"b": gym.spaces.Box(-1, 1, (2,))})])
    assert [type(s).__name__ for s in flatten_space(space)] == ["Discrete", "Box"]
    struct = get_base_struct_from_space(space)
    assert isinstance(struct, tuple) and isinstance(struct[1], dict) and struct[0] == gym.spaces.Discrete(2)
    assert flatten_to_single_ndarray((1, {"b": np.array([0.5, 0.25])})).tolist() == [1.0, 0.5, 0.25]
    rows = unbatch((np.array([0, 1]), {"b": np.array([[0.1, 0.2], [0.3, 0.4]])}))
    assert len(rows) == 2 and rows[1][0] == 1 and rows[1][1]["b"].tolist() == [0.3, 0.4]
    clipped = clip_action((1, {"b": np.array([3.0, -3.0])}), space)
    assert clipped[1]["b"].tolist() == [1.0, -1.0]
    assert unsquash_action(np.array([0.0]), gym.spaces.Box(2.0, 4.0, (1,))).tolist() == [3.0]


def test_repeated_space_values_and_preprocessor():
    from rllib_compat.models.preprocessors import RepeatedValuesPreprocessor, get_preprocessor
    from rllib_compat.models.repeated_values import RepeatedValues
    from rllib_compat.utils.spaces.repeated import Repeated

    space = Repeated(gym.spaces.Box(-1.0, 1.0, (2,)), max_len=3)
    assert space.contains([np.zeros(2, np.float32)]) and not space.contains([np.zeros(2, np.float32)] * 4)
    prep = get_preprocessor(space)(space)
    assert isinstance(prep, RepeatedValuesPreprocessor)
    row = prep.transform([np.array([0.5, 0.5], np.float32)])
    assert row.tolist() == [1.0, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0]
    rv = RepeatedValues(row[1:].reshape(1, 3, 2), row[:1], 3)
    assert [[x.tolist() for x in r] for r in rv.unbatch_all()] == [[[0.5, 0.5]]]


def test_from_config():
    from rllib_compat.utils.exploration import EpsilonGreedy, Exploration
    from rllib_compat.utils.from_config import from_config
    from rllib_compat.utils.schedules import PiecewiseSchedule, Schedule

    schedule = from_config(Schedule, {"type": "PiecewiseSchedule", "endpoints": [(0, 1.0), (4, 0.0)],
                                      "framework": None})
    assert isinstance(schedule, PiecewiseSchedule) and schedule(2) == 0.5
    explore = from_config(Exploration, {"type": "EpsilonGreedy"}, action_space=gym.spaces.Discrete(2),
                          framework="torch", policy_config={}, model=None, num_workers=0, worker_index=0)
    assert isinstance(explore, EpsilonGreedy)
    with pytest.raises(ValueError, match="string specifier 'NoSuchSchedule'"):
        from_config(Schedule, "NoSuchSchedule")


@pytest.mark.ray
def test_actors_task_pool(ray_session):
    from rllib_compat.utils.actors import TaskPool

    @ray_session.remote
    class Echo:
        def ping(self, x):
            return x

    actors = [Echo.remote(), Echo.remote()]
    pool = TaskPool()
    for i, actor in enumerate(actors):
        pool.add(actor, actor.ping.remote(i))
    assert pool.count == 2
    got = {}
    while pool.count:
        for actor, ref in pool.completed(blocking_wait=True):
            got[actors.index(actor)] = ray_session.get(ref, timeout=30)
    assert got == {0: 0, 1: 1}


def test_models_utils():
    from rllib_compat.models.utils import get_activation_fn, get_filter_config, get_initializer

    assert get_filter_config((42, 42, 3)) == [[16, [4, 4], 2], [32, [4, 4], 2], [256, [11, 11], 1]]
    import torch
    assert get_activation_fn("relu", framework="torch") is torch.nn.ReLU
    w = torch.empty(4, 4)
    get_initializer("xavier_uniform", framework="torch")(w)
    bound = math.sqrt(6.0 / 8.0)
    assert float(w.abs().max()) <= bound and float(w.abs().max()) > 0


def test_sample_batch_builders():
    from rllib_compat.agents.callbacks import DefaultCallbacks
    from rllib_compat.evaluation.sample_batch_builder import MultiAgentSampleBatchBuilder, SampleBatchBuilder
    from rllib_compat.examples.policy.random_policy import RandomPolicy

    builder = SampleBatchBuilder()
    for t in range(4):
        builder.add_values(t=t, eps_id=7, obs=np.full(2, t, np.float64), actions=t % 2, rewards=float(t),
                           dones=t == 3)
    batch = builder.build_and_reset()
    assert batch.count == 4 and batch["obs"].dtype == np.float32 and batch["rewards"].tolist() == [0, 1, 2, 3]
    policy = RandomPolicy(gym.spaces.Box(-1, 1, (2,)), gym.spaces.Discrete(2), {})
    ma = MultiAgentSampleBatchBuilder({"p": policy}, clip_rewards=True, callbacks=DefaultCallbacks())
    for t in range(3):
        ma.add_values("a1", "p", t=t, eps_id=1, obs=np.zeros(2), actions=0, rewards=-5.0, dones=t == 2)
    ma.count = 3
    out = ma.build_and_reset()
    assert out.env_steps() == 3 and ma.count == 0 and not ma.has_pending_agent_data()
    rows = out.policy_batches["p"]
    assert rows["rewards"].tolist() == [-1.0, -1.0, -1.0] and rows["agent_id"].tolist() == ["a1"] * 3


def test_rollout_module(pg_trainer, capsys):
    from rllib_compat.rollout import RolloutSaver, keep_going, rollout

    assert keep_going(0, 5, 0, 0) and not keep_going(5, 5, 0, 0)
    with RolloutSaver() as saver:
        episodes = rollout(pg_trainer, "CartPole-v1", num_steps=0, num_episodes=2, saver=saver)
    assert len(episodes) == 2 and all(e["done"] for e in episodes)
    assert saver.total_steps == sum(e["length"] for e in episodes) == sum(len(r) for r in saver.rollouts)
    assert capsys.readouterr().out.count("episode ") == 2


def test_names_policy_agents_env_models():
    from rllib_compat.agents import with_common_config
    from rllib_compat.agents.registry import get_agent_class, get_trainer_class
    from rllib_compat.env.multi_agent_env import ENV_STATE
    from rllib_compat.models.tf.tf_action_dist import ActionDistribution
    from rllib_compat.policy import Policy

    class Zero(Policy):
        def compute_actions(self, obs_batch, state_batches=None, **kwargs):
            return np.zeros(len(obs_batch), np.int64), [], {}

    assert Zero(gym.spaces.Box(-1, 1, (1,)), gym.spaces.Discrete(2), {}).compute_actions(np.zeros((3, 1)))[0].tolist() \
        == [0, 0, 0]
    config = with_common_config({"lr": 0.123})
    assert config["lr"] == 0.123 and config["rollout_fragment_length"] == 200
    assert get_agent_class("PPO") is get_trainer_class("PPO") and get_agent_class("PPO").__name__ == "PPO"
    assert ENV_STATE == "state"

    class Uniform(ActionDistribution):
        def sample(self):
            return np.zeros(len(self.inputs), np.int64)

        @staticmethod
        def required_model_output_shape(action_space, model_config):
            return 2

    dist = Uniform(np.zeros((4, 2)), None)
    assert dist.sample().tolist() == [0, 0, 0, 0] and Uniform.required_model_output_shape(None, {}) == 2


def test_tf_policy_loss_initialized():
    from rllib_compat.agents.pg import PGTFPolicy
    from rllib_compat.policy.tf_policy import TFPolicy

    config = {**__import__("rllib_compat.agents.pg", fromlist=["DEFAULT_CONFIG"]).DEFAULT_CONFIG,
              "framework": "tf2", "model": {"fcnet_hiddens": [4]}}
    policy = PGTFPolicy(gym.spaces.Box(-1, 1, (2,)), gym.spaces.Discrete(2), config)
    assert isinstance(policy, TFPolicy) and policy.loss_initialized() is True
    evaluating = PGTFPolicy(gym.spaces.Box(-1, 1, (2,)), gym.spaces.Discrete(2), {**config, "in_evaluation": True})
    assert evaluating.loss_initialized() is False


def test_trainer_save_to_object_and_restore_from_object(pg_trainer):
    from rllib_compat.agents.pg import PGTrainer

    blob = pg_trainer.save_to_object()
    assert isinstance(blob, bytes) and len(blob) > 100
    other = PGTrainer(config={**FAST_PG, "framework": "torch", "seed": 5})
    try:
        assert other.iteration == 0
        other.restore_from_object(blob)
        assert other.iteration == pg_trainer.iteration == 1
        for name, weights in pg_trainer.get_policy().get_weights().items():
            np.testing.assert_array_equal(other.get_policy().get_weights()[name], weights)
    finally:
        other.stop()


def test_trainer_default_resource_request_1x_view():
    from rllib_compat.agents.pg import PGTrainer

    request = PGTrainer.default_resource_request({"num_workers": 3, "num_cpus_per_worker": 0.5,
                                                  "evaluation_num_workers": 1, "memory_per_worker": 1024})
    assert request.to_json() == {
        "cpu": 1, "gpu": 0, "memory": 0, "object_store_memory": 0, "extra_cpu": 2.0, "extra_gpu": 0,
        "extra_memory": 4096, "extra_object_store_memory": 0, "custom_resources": {}, "extra_custom_resources": {}}
    assert request.cpu_total() == 3.0 and request.required_resources["CPU"] == 3.0
    assert request.bundles[1:] == [{"CPU": 0.5, "memory": 1024.0}] * 4


def test_import_paths_import_no_framework():
    code = ("import sys\n"
            "import rllib_compat.utils, rllib_compat.utils.test_utils, rllib_compat.utils.annotations, "
            "rllib_compat.utils.deprecation, rllib_compat.utils.typing, rllib_compat.utils.framework, "
            "rllib_compat.utils.spaces.space_utils, rllib_compat.utils.spaces.repeated, rllib_compat.utils.from_config, "
            "rllib_compat.utils.actors, rllib_compat.models.utils, rllib_compat.models.repeated_values, "
            "rllib_compat.evaluation.sample_batch_builder, rllib_compat.rollout, rllib_compat.policy, "
            "rllib_compat.agents, rllib_compat.agents.registry, rllib_compat.env.multi_agent_env\n"
            "print(sorted({'torch', 'tensorflow'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"

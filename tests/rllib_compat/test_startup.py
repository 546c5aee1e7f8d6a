"""RLlib 1.x programs start unmodified: top-level names, env resolution, filters, model sizes.

The programs use 1.x import paths only (``ray.rllib`` renamed to ``rllib_compat``; ``ray.tune``
and gym-style envs as 1.x users wrote them).
"""

import importlib
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

import rllib_compat
from rllib_compat.examples.policy.random_policy import RandomPolicy

TOP_LEVEL = [
    ("Policy", "rllib_compat.policy.policy"),
    ("TFPolicy", "rllib_compat.policy.tf_policy"),
    ("TorchPolicy", "rllib_compat.policy.torch_policy"),
    ("RolloutWorker", "rllib_compat.evaluation.rollout_worker"),
    ("SampleBatch", "rllib_compat.policy.sample_batch"),
    ("BaseEnv", "rllib_compat.env.base_env"),
    ("MultiAgentEnv", "rllib_compat.env.multi_agent_env"),
    ("VectorEnv", "rllib_compat.env.vector_env"),
]


@pytest.mark.parametrize("name, path", TOP_LEVEL, ids=[n for n, _ in TOP_LEVEL])
def test_top_level_name_is_the_object_of_its_1x_module_path(name, path):
    assert getattr(rllib_compat, name) is getattr(importlib.import_module(path), name)
    assert name in rllib_compat.__all__ and name in dir(rllib_compat)


def test_an_unknown_top_level_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="module 'rllib_compat' has no attribute 'PolicyClient'"):
        rllib_compat.PolicyClient  # noqa: B018  (not a top-level name of 1.x either)


def test_top_level_names_work():
    from rlcore.env import make_base_env

    from rllib_compat import (BaseEnv, MultiAgentEnv, Policy, RolloutWorker, SampleBatch, TFPolicy, TorchPolicy,
                              VectorEnv)
    from rllib_compat.env.multi_agent_env import make_multi_agent

    worker = RolloutWorker(env_creator=lambda ctx: gym.make("CartPole-v1"), policy_spec=RandomPolicy,
                           rollout_fragment_length=10)
    batch = worker.sample()
    assert isinstance(batch, SampleBatch) and batch.count == 10
    assert SampleBatch({"obs": np.zeros((3, 2))}).count == 3
    assert issubclass(TFPolicy, Policy) and issubclass(TorchPolicy, Policy)
    assert isinstance(BaseEnv.to_base_env(make_base_env("CartPole-v1", num_envs=2)), BaseEnv)  # 1.x's protocol
    assert issubclass(make_multi_agent("CartPole-v1"), MultiAgentEnv)
    vector = VectorEnv.vectorize_gym_envs(make_env=lambda i: gym.make("CartPole-v1"), num_envs=2)
    assert vector.num_envs == 2


def test_import_rllib_compat_imports_no_framework_and_starts_no_ray():
    code = ("import sys, rllib_compat; "
            "print(sorted(m for m in ('torch', 'tensorflow', 'ray') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stderr


#: A 1.x-style dotted env class path (1.x examples named e.g. ray.rllib.examples.env.random_env.RandomEnv).
CARTPOLE_CLASS = "gymnasium.envs.classic_control.cartpole.CartPoleEnv"


class HalfFilter:
    """A 1.x-style custom observation filter class (1.x configs passed the class itself)."""

    def __new__(cls, shape):
        from rllib_compat.utils.filter import NoFilter

        class Half(NoFilter):
            def __call__(self, x, update=True):
                return np.asarray(x, np.float32) / 2

        return Half()


def test_trainer_with_dotted_env_and_a_callable_observation_filter():
    from rllib_compat.agents.trainer import with_common_config
    from rllib_compat.agents.trainer_template import build_trainer

    seen = []

    class Recording(RandomPolicy):
        def compute_actions(self, obs_batch, state_batches=None, **kw):
            seen.append(np.asarray(obs_batch).copy())
            return super().compute_actions(obs_batch, state_batches, **kw)

    trainer_cls = build_trainer("StartupTrainer", default_config=with_common_config({}), default_policy=Recording)
    trainer = trainer_cls(config={"env": CARTPOLE_CLASS, "env_config": {"sutton_barto_reward": True},
                                  "num_workers": 0, "observation_filter": HalfFilter, "rollout_fragment_length": 200,
                                  "train_batch_size": 200, "log_sys_usage": False, "seed": 0})
    try:
        result = trainer.train()
        obs_filter = trainer.workers.local_worker().filters["default_policy"]
    finally:
        trainer.stop()
    # env_config reached CartPoleEnv(**env_config): Sutton-Barto rewards are 0 per step and -1 at the end.
    assert result["episodes_this_iter"] > 0 and result["episode_reward_max"] == -1.0
    assert type(obs_filter).__name__ == "Half"
    assert np.abs(np.concatenate(seen)[:, 2]).max() <= 0.2095 / 2 + 1e-6  # pole angle, halved by the filter


def test_make_multi_agent_before_the_env_is_registered_with_ray_tune():
    from ray.tune.registry import register_env  # as 1.x programs registered envs

    from rllib_compat.env.multi_agent_env import make_multi_agent

    MultiCorridor = make_multi_agent("startup_late_cartpole")  # 1.x: module-level, before register_env
    register_env("startup_late_cartpole", lambda config: gym.make("CartPole-v1"))
    env = MultiCorridor({"num_agents": 2})
    obs, _ = env.reset(seed=0)
    assert sorted(obs) == [0, 1] and env.observation_space.shape == (4,)


def test_keras_custom_model_sized_by_a_gymnasium_discrete_n():
    from rllib_compat.models import ModelCatalog
    from rllib_compat.models.tf.tf_modelv2 import TFModelV2
    from rllib_compat.utils.framework import try_import_tf

    tf1, tf, tfv = try_import_tf()

    class KerasModel(TFModelV2):
        def __init__(self, obs_space, action_space, num_outputs, model_config, name):
            super().__init__(obs_space, action_space, num_outputs, model_config, name)
            inputs = tf.keras.layers.Input(shape=obs_space.shape, name="observations")
            logits = tf.keras.layers.Dense(num_outputs, name="startup_logits")(inputs)
            value = tf.keras.layers.Dense(1, name="startup_value")(inputs)
            self.base_model = tf.keras.Model(inputs, [logits, value])

        def forward(self, input_dict, state, seq_lens):
            logits, self._value = self.base_model(input_dict["obs"])
            return logits, state

        def value_function(self):
            return tf.reshape(self._value, [-1])

    ModelCatalog.register_custom_model("startup_keras_model", KerasModel)
    try:
        action_space = gym.spaces.Discrete(3)
        assert isinstance(action_space.n, np.integer)  # what Keras 3 refuses as Dense units
        model = ModelCatalog.get_model_v2(gym.spaces.Box(-1, 1, (4,), np.float32), action_space, action_space.n,
                                          {"custom_model": "startup_keras_model"}, framework="tf2")
        logits, _ = model({"obs": np.zeros((2, 4), np.float32)}, [], None)
        assert tuple(logits.shape) == (2, 3)
    finally:
        ModelCatalog._custom_models.pop("startup_keras_model")

"""Issue #19 item 1: Dict/Tuple observations reach custom models structured (RLlib 1.x).

``ModelV2.__call__`` hands ``forward`` ``input_dict["obs"]`` restored to the observation space's
structure (Discrete parts one-hot, Box parts in their shape, Repeated parts as RepeatedValues) and
the flat rows as ``obs_flat``: the parametric-actions pattern (``obs["action_mask"]``) and the
centralized-critic pattern (``obs["own_obs"]``) work, in torch and TF2 (eager and traced), under
``use_lstm`` too. Batched Dict/Tuple values given to a policy built on the raw space are encoded
in the framework, also inside the traced compute-actions graph.
"""

import gymnasium as gym
import numpy as np
import pytest

from rlcore.algorithms.pg import PGTrainer
from rlcore.models import ModelCatalog
from rlcore.models.repeated import Repeated, RepeatedValues

N_ACTIONS = 4
FRAMEWORKS = [("torch", False), ("tf2", False), ("tf2", True)]


class MaskEnv(gym.Env):
    """Parametric actions: two of four actions are allowed each step (reward 1), the others cost -1."""

    def __init__(self, config=None):
        self.observation_space = gym.spaces.Dict({
            "action_mask": gym.spaces.Box(0.0, 1.0, (N_ACTIONS,), np.float32),
            "real_obs": gym.spaces.Box(-1.0, 1.0, (2,), np.float32),
        })
        self.action_space = gym.spaces.Discrete(N_ACTIONS)
        self._rng = np.random.default_rng(0)

    def _obs(self):
        self.mask = np.zeros(N_ACTIONS, np.float32)
        self.mask[self._rng.choice(N_ACTIONS, 2, replace=False)] = 1.0
        return {"action_mask": self.mask, "real_obs": self._rng.uniform(-1, 1, 2).astype(np.float32)}

    def reset(self, *, seed=None, options=None):
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        self.t = 0
        return self._obs(), {}

    def step(self, action):
        reward = 1.0 if self.mask[action] == 1.0 else -1.0
        self.t += 1
        return self._obs(), reward, self.t >= 10, False, {}


def _masking_model(fw, seen):
    """The 1.x parametric-actions model: logits from ``obs["real_obs"]``, masked with ``obs["action_mask"]``."""
    if fw == "torch":
        import torch

        from rlcore.models.torch.torch_modelv2 import TorchModelV2

        class TorchMask(TorchModelV2, torch.nn.Module):
            def __init__(self, obs_space, action_space, num_outputs, model_config, name):
                TorchModelV2.__init__(self, obs_space, action_space, num_outputs, model_config, name)
                torch.nn.Module.__init__(self)
                self.logits, self.value = torch.nn.Linear(2, num_outputs), torch.nn.Linear(2, 1)

            def forward(self, input_dict, state, seq_lens):
                obs = input_dict["obs"]
                seen.append((sorted(obs), tuple(obs["action_mask"].shape), tuple(input_dict["obs_flat"].shape[1:])))
                self._real = obs["real_obs"]
                inf_mask = torch.clamp(torch.log(obs["action_mask"]), min=-1e9)
                return self.logits(self._real) + inf_mask, state

            def value_function(self):
                return self.value(self._real).squeeze(1)

        return TorchMask
    import tensorflow as tf

    from rlcore.models.tf.tf_modelv2 import TFModelV2

    class TFMask(TFModelV2):
        def __init__(self, obs_space, action_space, num_outputs, model_config, name):
            super().__init__(obs_space, action_space, num_outputs, model_config, name)
            self.logits, self.value = tf.keras.layers.Dense(num_outputs), tf.keras.layers.Dense(1)
            self.logits.build((None, 2)), self.value.build((None, 2))

        def forward(self, input_dict, state, seq_lens):
            obs = input_dict["obs"]
            seen.append((sorted(obs), tuple(obs["action_mask"].shape[1:]), tuple(input_dict["obs_flat"].shape[1:])))
            self._real = obs["real_obs"]
            inf_mask = tf.maximum(tf.math.log(obs["action_mask"]), -1e9)
            return self.logits(self._real) + inf_mask, state

        def value_function(self):
            return tf.squeeze(self.value(self._real), 1)

    return TFMask


def _trainer(fw, tracing, model, **extra):
    return PGTrainer(config={"framework": fw, "eager_tracing": tracing, "num_workers": 0, "seed": 0,
                             "rollout_fragment_length": 40, "train_batch_size": 40, "lr": 0.01,
                             "model": model, **extra}, env=MaskEnv)


@pytest.mark.parametrize("fw,tracing", FRAMEWORKS)
def test_parametric_actions_model_reads_the_action_mask_from_input_dict_obs(fw, tracing):
    seen = []
    name = f"mask_model_{fw}_{tracing}"
    ModelCatalog.register_custom_model(name, _masking_model(fw, seen))
    trainer = _trainer(fw, tracing, {"custom_model": name})
    try:
        result = trainer.train()
        # Every sampled action was allowed: the model masked the others out of the distribution.
        assert result["episode_reward_mean"] == pytest.approx(10.0)
        batch = trainer.workers.local_worker().sample()
        assert batch["obs"].shape[1] == N_ACTIONS + 2  # flat rows in the batch, as in RLlib
        mask = batch["obs"][:, :N_ACTIONS]
        assert np.all(mask[np.arange(batch.count), batch["actions"]] == 1.0)
        # Trainer.compute_action preprocesses the raw Dict observation and the model masks it too.
        env = MaskEnv()
        obs, _ = env.reset(seed=3)
        for _ in range(20):
            assert env.mask[trainer.compute_action(obs)] == 1.0
            obs, *_ = env.step(0)
        assert seen and all(keys == ["action_mask", "real_obs"] and flat == (N_ACTIONS + 2,)
                            for keys, _, flat in seen)
    finally:
        trainer.cleanup()


NESTED = gym.spaces.Dict({
    "own_obs": gym.spaces.Box(-1.0, 1.0, (2, 3), np.float32),
    "other": gym.spaces.Tuple([gym.spaces.Discrete(3), gym.spaces.MultiDiscrete([2, 2])]),
    "items": Repeated(gym.spaces.Box(-1.0, 1.0, (2,), np.float32), max_len=3),
})


def _recording_model(fw, seen):
    """A centralized-critic-style model that records what ``forward`` received."""
    if fw == "torch":
        import torch

        from rlcore.models.torch.torch_modelv2 import TorchModelV2

        class TorchRecord(TorchModelV2, torch.nn.Module):
            def __init__(self, obs_space, action_space, num_outputs, model_config, name):
                TorchModelV2.__init__(self, obs_space, action_space, num_outputs, model_config, name)
                torch.nn.Module.__init__(self)
                self.out = torch.nn.Linear(6, num_outputs)

            def forward(self, input_dict, state, seq_lens):
                seen.append(input_dict)
                self._x = input_dict["obs"]["own_obs"].reshape(-1, 6)
                return self.out(self._x), state

            def value_function(self):
                return self._x.sum(1)

        return TorchRecord
    import tensorflow as tf

    from rlcore.models.tf.tf_modelv2 import TFModelV2

    class TFRecord(TFModelV2):
        def __init__(self, obs_space, action_space, num_outputs, model_config, name):
            super().__init__(obs_space, action_space, num_outputs, model_config, name)
            self.out = tf.keras.layers.Dense(num_outputs)
            self.out.build((None, 6))

        def forward(self, input_dict, state, seq_lens):
            seen.append(input_dict)
            self._x = tf.reshape(input_dict["obs"]["own_obs"], [-1, 6])
            return self.out(self._x), state

        def value_function(self):
            return tf.reduce_sum(self._x, 1)

    return TFRecord


def _as_numpy(x):
    return x.detach().numpy() if hasattr(x, "detach") else np.asarray(x)


@pytest.mark.parametrize("fw", ["torch", "tf2"])
def test_nested_dict_tuple_and_repeated_parts_are_restored_from_the_flat_rows(fw):
    prep = ModelCatalog.get_preprocessor_for_space(NESTED)
    seen = []
    model = ModelCatalog.get_model_v2(prep.observation_space, gym.spaces.Discrete(2), 2, {}, framework=fw,
                                      model_interface=None, default_model=_recording_model(fw, seen))
    raw = [{"own_obs": np.full((2, 3), 0.5, np.float32), "other": (2, np.array([1, 0])),
            "items": [np.array([0.25, -0.25], np.float32)]},
           {"own_obs": np.zeros((2, 3), np.float32), "other": (0, np.array([0, 1])), "items": []}]
    flat = prep.transform_batch(raw)
    model({"obs": flat})
    obs, obs_flat = seen[-1]["obs"], seen[-1]["obs_flat"]
    assert np.array_equal(_as_numpy(obs_flat), flat)
    assert _as_numpy(obs["own_obs"]).shape == (2, 2, 3) and _as_numpy(obs["own_obs"])[0].tolist() == [[0.5] * 3] * 2
    discrete, multi = obs["other"]
    assert _as_numpy(discrete).tolist() == [[0, 0, 1], [1, 0, 0]]
    assert _as_numpy(multi).tolist() == [[0, 1, 1, 0], [1, 0, 0, 1]]
    assert isinstance(obs["items"], RepeatedValues) and [len(r) for r in obs["items"].unbatch_all()] == [1, 0]
    assert _as_numpy(obs["items"].values).shape == (2, 3, 2)


def _feature_model(fw, seen):
    """A feature model for ``use_lstm``: features from ``obs["real_obs"]`` and ``obs["action_mask"]``."""
    if fw == "torch":
        import torch

        from rlcore.models.torch.torch_modelv2 import TorchModelV2

        class TorchFeatures(TorchModelV2, torch.nn.Module):
            def __init__(self, obs_space, action_space, num_outputs, model_config, name):
                TorchModelV2.__init__(self, obs_space, action_space, num_outputs, model_config, name)
                torch.nn.Module.__init__(self)
                self.num_outputs = 8
                self.fc = torch.nn.Linear(N_ACTIONS + 2, 8)

            def forward(self, input_dict, state, seq_lens):
                obs = input_dict["obs"]
                seen.append(sorted(obs))
                return torch.tanh(self.fc(torch.cat([obs["real_obs"], obs["action_mask"]], 1))), state

        return TorchFeatures
    import tensorflow as tf

    from rlcore.models.tf.tf_modelv2 import TFModelV2

    class TFFeatures(TFModelV2):
        def __init__(self, obs_space, action_space, num_outputs, model_config, name):
            super().__init__(obs_space, action_space, num_outputs, model_config, name)
            self.num_outputs = 8
            self.fc = tf.keras.layers.Dense(8, activation="tanh")
            self.fc.build((None, N_ACTIONS + 2))

        def forward(self, input_dict, state, seq_lens):
            obs = input_dict["obs"]
            seen.append(sorted(obs))
            return self.fc(tf.concat([obs["real_obs"], obs["action_mask"]], 1)), state

    return TFFeatures


@pytest.mark.parametrize("fw,tracing", FRAMEWORKS)
def test_lstm_wrapped_custom_model_gets_the_structured_obs(fw, tracing):
    seen = []
    name = f"features_{fw}_{tracing}"
    ModelCatalog.register_custom_model(name, _feature_model(fw, seen))
    trainer = _trainer(fw, tracing, {"custom_model": name, "use_lstm": True, "lstm_cell_size": 8, "max_seq_len": 5})
    try:
        result = trainer.train()
        assert result["info"]["num_steps_trained"] == 40
        assert seen and all(keys == ["action_mask", "real_obs"] for keys in seen)
        state = trainer.get_policy().get_initial_state()
        assert [s.shape for s in state] == [(8,), (8,)]
    finally:
        trainer.cleanup()


@pytest.mark.parametrize("fw,tracing", FRAMEWORKS)
def test_builtin_model_on_a_raw_nested_space_takes_batched_structures(fw, tracing):
    """A policy built on the raw Dict space: batched Dict/Tuple arrays are encoded in the model
    (inside the traced graph too) and act exactly as the preprocessed rows do."""
    from rlcore.algorithms.pg import PGTFPolicy, PGTorchPolicy

    space = gym.spaces.Dict({"a": gym.spaces.Box(-1.0, 1.0, (2,), np.float32),
                             "b": gym.spaces.Tuple([gym.spaces.Discrete(3), gym.spaces.Box(0.0, 1.0, (2, 2), np.float32)])})
    cls = PGTorchPolicy if fw == "torch" else PGTFPolicy
    policy = cls(space, gym.spaces.Discrete(2), {"model": {"fcnet_hiddens": [8]}, "eager_tracing": tracing})
    space.seed(0)
    rows = [space.sample() for _ in range(5)]
    batched = {"a": np.stack([r["a"] for r in rows]),
               "b": (np.array([r["b"][0] for r in rows]), np.stack([r["b"][1] for r in rows]))}
    flat = ModelCatalog.get_preprocessor_for_space(space).transform_batch(rows)
    _, _, from_struct = policy.compute_actions(batched, explore=False)
    _, _, from_flat = policy.compute_actions(flat, explore=False)
    np.testing.assert_allclose(from_struct["action_dist_inputs"], from_flat["action_dist_inputs"], rtol=1e-5, atol=1e-7)
    single, _, extra = policy.compute_single_action(rows[0], explore=False)
    np.testing.assert_allclose(extra["action_dist_inputs"], from_flat["action_dist_inputs"][0], rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="observation has no key 'b'"):
        policy.compute_actions({"a": batched["a"]})


@pytest.mark.parametrize("fw,tracing", FRAMEWORKS)
def test_batched_tuple_observations_with_rnn_state(fw, tracing):
    """A recurrent policy on a raw Tuple space: the batch size comes from the structure's leaves."""
    from rlcore.algorithms.pg import PGTFPolicy, PGTorchPolicy

    space = gym.spaces.Tuple([gym.spaces.Discrete(3), gym.spaces.Box(0.0, 1.0, (2,), np.float32),
                              gym.spaces.Box(0.0, 1.0, (2,), np.float32)])
    cls = PGTorchPolicy if fw == "torch" else PGTFPolicy
    policy = cls(space, gym.spaces.Discrete(2), {"eager_tracing": tracing,
                                                 "model": {"fcnet_hiddens": [8], "use_lstm": True, "lstm_cell_size": 4}})
    obs = (np.array([0, 2]), np.zeros((2, 2), np.float32), np.ones((2, 2), np.float32))
    actions, state, _ = policy.compute_actions(obs, [np.zeros((2, 4), np.float32)] * 2)
    assert actions.shape == (2,) and [s.shape for s in state] == [(2, 4), (2, 4)]

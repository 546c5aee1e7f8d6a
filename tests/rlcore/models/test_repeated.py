"""Repeated observation spaces: the space, its preprocessor, RepeatedValues, and a worker end to end."""

import gymnasium as gym
import numpy as np
import pytest

from rlcore.models import ModelCatalog
from rlcore.models.modelv2 import restore_original_dimensions
from rlcore.models.preprocessors import get_preprocessor
from rlcore.models.repeated import Repeated, RepeatedValues, RepeatedValuesPreprocessor, unpack_repeated

BOX2 = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)


# -- the space ----------------------------------------------------------------------------------


def test_space_contains_and_sample():
    space = Repeated(gym.spaces.Discrete(3), max_len=2, seed=1)
    samples = [space.sample() for _ in range(50)]
    assert all(1 <= len(s) <= 2 and space.contains(s) for s in samples)
    assert {len(s) for s in samples} == {1, 2}
    assert space.contains([]) and space.contains((0, 2)) and space.contains(np.array([1]))
    assert not space.contains([0, 1, 2]) and not space.contains([3]) and not space.contains(0)


def test_space_seed_reproduces_samples_of_a_dict_child():
    def child():
        return gym.spaces.Dict({"pos": gym.spaces.Box(-1.0, 1.0, (2,)), "kind": gym.spaces.Discrete(4)})

    a, b = Repeated(child(), 3, seed=7), Repeated(child(), 3, seed=7)
    for _ in range(5):
        sa, sb = a.sample(), b.sample()
        assert len(sa) == len(sb)
        for x, y in zip(sa, sb):
            assert x["kind"] == y["kind"] and np.array_equal(x["pos"], y["pos"])


def test_space_equality_repr_and_bad_arguments():
    assert Repeated(BOX2, 3) == Repeated(BOX2, 3) and Repeated(BOX2, 3) != Repeated(BOX2, 4)
    assert repr(Repeated(gym.spaces.Discrete(2), 5)) == "Repeated(Discrete(2), 5)"
    assert Repeated(BOX2, 2).is_np_flattenable is False
    with pytest.raises(ValueError, match="max_len=-1 must be a positive int"):
        Repeated(BOX2, -1)
    with pytest.raises(ValueError, match="max_len=True"):
        Repeated(BOX2, True)
    with pytest.raises(TypeError, match="child_space=3 must be a gymnasium space"):
        Repeated(3, 2)


# -- the preprocessor ---------------------------------------------------------------------------


def test_preprocessor_is_chosen_for_repeated_spaces():
    space = Repeated(BOX2, 3)
    assert get_preprocessor(space) is RepeatedValuesPreprocessor
    prep = ModelCatalog.get_preprocessor_for_space(space)
    assert type(prep) is RepeatedValuesPreprocessor and prep.shape == (7,)
    obs_space = prep.observation_space
    assert obs_space.original_space is space and obs_space.shape == (7,)
    assert obs_space.low[0] == 0.0 and obs_space.high[0] == 3.0
    assert obs_space.low[1:].tolist() == [-1.0] * 6 and obs_space.high[1:].tolist() == [1.0] * 6


def test_preprocessor_layout_length_then_items_zero_padded():
    prep = RepeatedValuesPreprocessor(Repeated(BOX2, 3))
    out = prep.transform([np.array([0.5, -0.5], np.float32), np.array([0.25, 1.0], np.float32)])
    assert out.dtype == np.float32
    assert out.tolist() == [2.0, 0.5, -0.5, 0.25, 1.0, 0.0, 0.0]
    assert prep.transform([]).tolist() == [0.0] * 7
    batch = prep.transform_batch([[np.ones(2, np.float32)], []])
    assert batch.shape == (2, 7) and batch[:, 0].tolist() == [1.0, 0.0]


def test_preprocessor_one_hot_and_dict_children():
    discrete = RepeatedValuesPreprocessor(Repeated(gym.spaces.Discrete(3), 2))
    assert discrete.transform([2, 0]).tolist() == [2.0, 0, 0, 1, 1, 0, 0]
    child = gym.spaces.Dict({"kind": gym.spaces.Discrete(2), "pos": BOX2})
    prep = RepeatedValuesPreprocessor(Repeated(child, 2))
    assert prep.shape == (1 + 2 * 4,)
    row = prep.transform([{"pos": np.array([0.5, 0.25], np.float32), "kind": 1}])
    assert row.tolist() == [1.0, 0.0, 1.0, 0.5, 0.25, 0.0, 0.0, 0.0, 0.0]


def test_preprocessor_errors_name_the_value_and_the_limit():
    prep = RepeatedValuesPreprocessor(Repeated(gym.spaces.Discrete(2), 1))
    with pytest.raises(ValueError, match=r"has 2 items; Repeated\(Discrete\(2\), 1\) allows at most max_len=1"):
        prep.transform([0, 1])
    with pytest.raises(ValueError, match="must be a list, got int"):
        prep.transform(1)
    with pytest.raises(ValueError, match="needs a Repeated space"):
        RepeatedValuesPreprocessor(BOX2)


# -- RepeatedValues and unpacking ---------------------------------------------------------------


def test_repeated_values_unbatch_uses_the_lengths():
    values = np.arange(12.0).reshape(2, 3, 2)
    rv = RepeatedValues(values, np.array([2.0, 0.0]), 3)
    rows = rv.unbatch_all()
    assert [len(r) for r in rows] == [2, 0]
    assert [x.tolist() for x in rows[0]] == [[0.0, 1.0], [2.0, 3.0]]
    assert rv.unbatch_all() is rows  # cached
    assert "max_len=3" in repr(rv)


def test_repeated_values_lengths_are_rounded_and_clipped():
    rv = RepeatedValues(np.zeros((3, 2, 1)), np.array([1.6, -3.0, 9.0]), 2)
    assert [len(r) for r in rv.unbatch_all()] == [2, 0, 2]


def test_unpack_repeated_box_child_keeps_item_shape():
    space = Repeated(gym.spaces.Box(0.0, 1.0, (2, 2)), 2)
    rows = RepeatedValuesPreprocessor(space).transform_batch([[np.full((2, 2), 0.5, np.float32)]])
    rv = unpack_repeated(rows, space)
    assert rv.values.shape == (1, 2, 2, 2) and rv.lengths.tolist() == [1.0]
    assert rv.unbatch(0)[0].tolist() == [[0.5, 0.5], [0.5, 0.5]]
    with pytest.raises(ValueError, match="width 3 do not match"):
        unpack_repeated(np.zeros((1, 3)), space)


def test_restore_original_dimensions_repeated_inside_a_dict_and_a_dict_inside_repeated():
    inner = gym.spaces.Dict({"kind": gym.spaces.Discrete(2), "pos": BOX2})
    space = gym.spaces.Dict({"items": Repeated(inner, 2), "self": BOX2})
    prep = ModelCatalog.get_preprocessor_for_space(space)
    raw = {"items": [{"kind": 1, "pos": np.array([0.5, 0.25], np.float32)}], "self": np.array([0.1, 0.2], np.float32)}
    out = restore_original_dimensions(prep.transform_batch([raw, raw]), prep.observation_space)
    assert out["self"].shape == (2, 2)
    items = out["items"]
    assert isinstance(items, RepeatedValues) and items.lengths.tolist() == [1.0, 1.0]
    assert items.values["kind"].shape == (2, 2, 2) and items.values["pos"].shape == (2, 2, 2)
    first = items.unbatch(1)[0]
    assert first["kind"].tolist() == [0.0, 1.0] and first["pos"].tolist() == [0.5, 0.25]


def test_restore_original_dimensions_in_each_framework(fw, to_np):
    space = Repeated(BOX2, 3)
    prep = RepeatedValuesPreprocessor(space)
    rows = prep.transform_batch([[np.array([0.5, 0.25], np.float32)], []])
    if fw == "torch":
        import torch

        obs = torch.as_tensor(rows)
    else:
        import tensorflow as tf

        obs = tf.constant(rows)
    rv = restore_original_dimensions(obs, prep.observation_space, fw)
    assert isinstance(rv, RepeatedValues) and tuple(rv.values.shape) == (2, 3, 2)
    assert to_np(rv.lengths).tolist() == [1.0, 0.0]
    assert [len(r) for r in rv.unbatch_all()] == [1, 0] and to_np(rv.unbatch(0)[0]).tolist() == [0.5, 0.25]


# -- a rollout worker end to end ----------------------------------------------------------------


class ListEnv(gym.Env):
    """Observations: lists of 0..4 two-float items (length t % 5), reward = action."""

    def __init__(self, config=None):
        self.observation_space = Repeated(BOX2, max_len=4)
        self.action_space = gym.spaces.Discrete(2)
        self.t = 0

    def _obs(self):
        return [np.full(2, 0.1 * (i + 1), np.float32) for i in range(self.t % 5)]

    def reset(self, *, seed=None, options=None):
        self.t = 0
        return self._obs(), {}

    def step(self, action):
        self.t += 1
        return self._obs(), float(action), False, self.t >= 7, {}


def _pooling_model(fw, seen):
    """A custom model that needs RepeatedValues: it masks the padded items by ``lengths``."""
    if fw == "torch":
        import torch

        from rlcore.models.torch.torch_modelv2 import TorchModelV2

        class TorchPool(TorchModelV2, torch.nn.Module):
            def __init__(self, obs_space, action_space, num_outputs, model_config, name):
                TorchModelV2.__init__(self, obs_space, action_space, num_outputs, model_config, name)
                torch.nn.Module.__init__(self)
                self.logits, self.value = torch.nn.Linear(2, num_outputs), torch.nn.Linear(2, 1)

            def forward(self, input_dict, state, seq_lens):
                obs = input_dict["obs"]
                seen.append((type(obs), [len(r) for r in obs.unbatch_all()], tuple(input_dict["obs_flat"].shape)))
                mask = (torch.arange(obs.max_len)[None, :] < obs.lengths[:, None]).float()
                self._pooled = (obs.values * mask[..., None]).sum(1)
                return self.logits(self._pooled), state

            def value_function(self):
                return self.value(self._pooled).squeeze(1)

        return TorchPool
    import tensorflow as tf

    from rlcore.models.tf.tf_modelv2 import TFModelV2

    class TFPool(TFModelV2):
        def __init__(self, obs_space, action_space, num_outputs, model_config, name):
            super().__init__(obs_space, action_space, num_outputs, model_config, name)
            self.logits, self.value = tf.keras.layers.Dense(num_outputs), tf.keras.layers.Dense(1)

        def forward(self, input_dict, state, seq_lens):
            obs = input_dict["obs"]
            if tf.executing_eagerly():
                seen.append((type(obs), [len(r) for r in obs.unbatch_all()], tuple(input_dict["obs_flat"].shape)))
            else:  # traced: record the type only
                seen.append((type(obs), None, None))
            lengths = tf.cast(obs.lengths[:, None], tf.int32)
            mask = tf.cast(tf.range(obs.max_len)[None, :] < lengths, tf.float32)
            self._pooled = tf.reduce_sum(obs.values * mask[..., None], 1)
            return self.logits(self._pooled), state

        def value_function(self):
            return tf.squeeze(self.value(self._pooled), 1)

    return TFPool


@pytest.mark.parametrize("fw,tracing", [("torch", False), ("tf2", False), ("tf2", True)])
def test_rollout_worker_feeds_repeated_values_to_a_custom_model(fw, tracing):
    from rlcore.sampling import RolloutWorker

    if fw == "torch":
        from rlcore.algorithms.pg import PGTorchPolicy as policy_cls
    else:
        from rlcore.algorithms.pg import PGTFPolicy as policy_cls
    seen = []
    name = f"repeated_pool_{fw}_{tracing}"
    ModelCatalog.register_custom_model(name, _pooling_model(fw, seen))
    worker = RolloutWorker(env_creator=ListEnv, policy_spec=policy_cls,
                           policy_config={"framework": fw, "eager_tracing": tracing, "model": {"custom_model": name}},
                           rollout_fragment_length=10, num_envs=2, seed=0)
    try:
        seen.clear()
        batch = worker.sample()
        assert batch.count == 20 and batch["obs"].shape == (20, 9)
        # Column 0 is each list's length: the env's t % 5, per env, from reset.
        assert batch["obs"][:6, 0].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 0.0]
        assert seen and all(kind is RepeatedValues for kind, _, _ in seen)
        eager = [(lengths, flat) for _, lengths, flat in seen if lengths is not None]
        if not tracing or fw == "torch":
            # Sampling steps both envs together: step k sees two lists of length k % 5.
            assert eager[:3] == [([0, 0], (2, 9)), ([1, 1], (2, 9)), ([2, 2], (2, 9))]
        stats = worker.learn_on_batch(batch)
        assert np.isfinite(stats["default_policy"]["learner_stats"]["policy_loss"])
    finally:
        worker.stop()

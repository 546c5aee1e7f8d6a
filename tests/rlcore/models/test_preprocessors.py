"""Preprocessors: one-hot, Tuple/Dict flattening, images, RAM, and the choice per space."""

import gymnasium as gym
import numpy as np
import pytest

from rlcore.models import ModelCatalog
from rlcore.models.preprocessors import (
    AtariRamPreprocessor,
    DictFlatteningPreprocessor,
    FlattenPreprocessor,
    GenericPixelPreprocessor,
    NoPreprocessor,
    OneHotPreprocessor,
    TupleFlatteningPreprocessor,
    get_preprocessor,
    resize_image,
)

D, B = gym.spaces.Discrete, gym.spaces.Box


@pytest.mark.parametrize(
    "space,cls,shape",
    [
        (D(4), OneHotPreprocessor, (4,)),
        (gym.spaces.MultiDiscrete([2, 3]), OneHotPreprocessor, (5,)),
        (gym.spaces.Tuple([D(2), B(0, 1, (3,))]), TupleFlatteningPreprocessor, (5,)),
        (gym.spaces.Dict({"a": D(2), "b": gym.spaces.Tuple([D(3), B(0, 1, (2, 2))])}), DictFlatteningPreprocessor, (9,)),
        (B(0, 255, (210, 160, 3), np.uint8), GenericPixelPreprocessor, (84, 84, 3)),
        (B(0, 255, (128,), np.uint8), AtariRamPreprocessor, (128,)),
        (B(-1, 1, (128,), np.float32), NoPreprocessor, (128,)),
        (gym.spaces.MultiBinary(4), FlattenPreprocessor, (4,)),
        (B(-1, 1, (2, 3)), NoPreprocessor, (2, 3)),
    ],
)
def test_preprocessor_choice_and_shape(space, cls, shape):
    p = ModelCatalog.get_preprocessor_for_space(space)
    assert type(p) is cls and p.shape == shape
    out = p.transform(space.sample())
    assert out.shape == shape
    assert p.observation_space.shape == shape


@pytest.mark.parametrize(
    "space,obs,expected",
    [
        (D(3, start=1), 3, [0, 0, 1]),
        (gym.spaces.MultiDiscrete([2, 3]), [1, 0], [0, 1, 1, 0, 0]),
        (gym.spaces.Tuple([D(2), B(-5, 5, (2,))]), (0, np.array([3.0, -4.0])), [1, 0, 3, -4]),
        (gym.spaces.Dict({"z": D(2), "a": B(0, 9, (1,))}), {"z": 1, "a": np.array([7.0])}, [7, 0, 1]),
    ],
)
def test_transform_values(space, obs, expected):
    np.testing.assert_allclose(get_preprocessor(space)(space).transform(obs), expected)


def test_original_space_is_kept():
    space = gym.spaces.Tuple([D(2), D(3)])
    assert ModelCatalog.get_preprocessor_for_space(space).observation_space.original_space is space


def test_one_hot_batch_matches_rows_and_rejects_out_of_range():
    p = OneHotPreprocessor(gym.spaces.MultiDiscrete([3, 2]))
    batch = np.array([[2, 1], [0, 0]])
    np.testing.assert_allclose(p.transform_batch(batch), np.stack([p.transform(r) for r in batch]))
    with pytest.raises(ValueError, match="outside"):
        p.transform([3, 0])


@pytest.mark.parametrize(
    "options,shape,value",
    [
        ({"dim": 42, "grayscale": True, "zero_mean": False}, (42, 42, 1), 200 / 255),
        ({"dim": 84, "grayscale": False, "zero_mean": True}, (84, 84, 3), (200 - 128) / 128),
    ],
)
def test_pixel_options(options, shape, value):
    space = B(0, 255, (210, 160, 3), np.uint8)
    p = ModelCatalog.get_preprocessor_for_space(space, options)
    out = p.transform(np.full((210, 160, 3), 200, np.uint8))
    assert out.shape == shape and out.dtype == np.float32
    np.testing.assert_allclose(out, value, rtol=1e-6)


def test_pixel_crop_removes_atari_score_rows():
    frame = np.zeros((210, 160, 3), np.uint8)
    frame[:25] = 255  # only the cropped band is bright
    p = GenericPixelPreprocessor(B(0, 255, (210, 160, 3), np.uint8), {"zero_mean": False})
    assert p.transform(frame).max() == 0.0


def test_resize_preserves_constant_images_and_interpolates():
    np.testing.assert_allclose(resize_image(np.full((7, 5, 2), 3.0), 4, 9), 3.0)
    np.testing.assert_allclose(resize_image(np.array([[0.0, 1.0]]), 1, 2), [[0.0, 1.0]])


def test_wrong_structure_raises_a_clear_error():
    p = get_preprocessor(gym.spaces.Dict({"a": D(2)}))(gym.spaces.Dict({"a": D(2)}))
    with pytest.raises(ValueError, match="expected keys"):
        p.transform({"b": 1})


def test_check_shape_names_the_space():
    p = OneHotPreprocessor(D(2))
    with pytest.raises(ValueError, match="Discrete"):
        p.check_shape(5)


def test_custom_preprocessor_by_name():
    class Twice(NoPreprocessor):
        def transform(self, observation):
            return 2 * np.asarray(observation)

    ModelCatalog.register_custom_preprocessor("twice", Twice)
    try:
        p = ModelCatalog.get_preprocessor_for_space(B(0, 1, (2,)), {"custom_preprocessor": "twice"})
        np.testing.assert_allclose(p.transform([1.0, 2.0]), [2.0, 4.0])
    finally:
        ModelCatalog._custom_preprocessors.pop("twice")


def test_get_preprocessor_reads_env_observation_space():
    env = gym.make("CartPole-v1")
    assert ModelCatalog.get_preprocessor(env).shape == (4,)
    env.close()

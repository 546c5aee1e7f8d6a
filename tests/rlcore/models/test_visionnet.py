"""VisionNetwork (torch and TF2): default filters per image size, explicit filters, value head."""

import gymnasium as gym
import numpy as np
import pytest

from rlcore.models import ModelCatalog
from rlcore.models.conv_filters import FILTERS_42x42, FILTERS_84x84, check_filters, get_filter_config


@pytest.mark.parametrize("shape,filters", [((84, 84, 4), FILTERS_84x84), ((42, 42, 1), FILTERS_42x42)])
def test_default_filters_follow_rllib(shape, filters):
    assert get_filter_config(shape) == filters


@pytest.mark.parametrize("bad", [[[16, [8, 8]]], [[16, "x", 2]], []])
def test_bad_filters_are_value_errors(bad):
    with pytest.raises(ValueError, match="conv_filters"):
        check_filters(bad)


@pytest.mark.parametrize(
    "shape,cfg",
    [
        ((84, 84, 1), {}),
        ((42, 42, 3), {"vf_share_layers": False}),
        ((10, 10, 2), {"post_fcnet_hiddens": [7]}),
        ((16, 12, 3), {"conv_filters": [[4, 3, 2], [8, [3, 2], 2], [6, [4, 3], 1]]}),
    ],
)
def test_image_observations_pick_the_vision_network(fw, to_np, shape, cfg):
    obs_space = gym.spaces.Box(0, 1, shape, np.float32)
    m = ModelCatalog.get_model_v2(obs_space, gym.spaces.Discrete(5), 5, cfg, framework=fw)
    assert type(m).__name__ == "VisionNetwork"
    out, _ = m({"obs": np.random.default_rng(0).random((3,) + shape, dtype=np.float32)})
    assert to_np(out).shape == (3, 5)
    assert to_np(m.value_function()).shape == (3,)


def test_torch_and_tf_conv_stacks_have_the_same_parameter_count():
    space = gym.spaces.Box(0, 1, (42, 42, 3), np.float32)
    sizes = [
        sum(int(np.prod(v.shape)) for v in ModelCatalog.get_model_v2(space, gym.spaces.Discrete(4), 4, {}, framework=f).trainable_variables())
        for f in ("torch", "tf2")
    ]
    assert sizes[0] == sizes[1]


def test_unknown_image_size_without_filters_is_a_clear_error(fw):
    with pytest.raises(ValueError, match="conv_filters"):
        ModelCatalog.get_model_v2(gym.spaces.Box(0, 1, (64, 64, 3)), gym.spaces.Discrete(2), 2, {}, framework=fw)

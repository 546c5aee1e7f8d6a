"""A custom model that reads ``model_config["custom_model_config"]`` itself (its constructor takes
no such keywords) is built as RLlib 1.x built it: without the keywords, with a warning."""

import logging

import gymnasium as gym
import pytest

import torch

from rllib_compat.models import ModelCatalog  # noqa: E402
from rllib_compat.models.torch.torch_modelv2 import TorchModelV2  # noqa: E402

OBS, ACT = gym.spaces.Box(-1, 1, (3,)), gym.spaces.Discrete(2)


class ReadsItsConfig(TorchModelV2, torch.nn.Module):
    def __init__(self, obs_space, action_space, num_outputs, model_config, name):
        TorchModelV2.__init__(self, obs_space, action_space, num_outputs, model_config, name)
        torch.nn.Module.__init__(self)
        self.hidden = model_config["custom_model_config"]["hidden"]
        self.layer = torch.nn.Linear(3, self.hidden)


class TakesKeywords(ReadsItsConfig):
    def __init__(self, obs_space, action_space, num_outputs, model_config, name, hidden=1):
        super().__init__(obs_space, action_space, num_outputs, model_config, name)
        self.keyword_hidden = hidden


class BrokenInside(ReadsItsConfig):
    def __init__(self, obs_space, action_space, num_outputs, model_config, name, **kwargs):
        super().__init__(obs_space, action_space, num_outputs, model_config, name)
        len(5)  # a TypeError of the model's own


def build(cls, name):
    ModelCatalog.register_custom_model(name, cls)
    return ModelCatalog.get_model_v2(OBS, ACT, 2, {"custom_model": name, "custom_model_config": {"hidden": 5}},
                                     framework="torch")


def test_a_model_without_the_keywords_reads_them_from_its_model_config(caplog):
    with caplog.at_level(logging.WARNING, logger="rlcore.models.catalog"):
        model = build(ReadsItsConfig, "h7_reads_its_config")
    assert model.hidden == 5 and model.layer.out_features == 5
    assert "ReadsItsConfig does not take the custom_model_config keys ['hidden']" in caplog.text


def test_a_model_taking_the_keywords_gets_them_without_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="rlcore.models.catalog"):
        model = build(TakesKeywords, "h7_takes_keywords")
    assert model.keyword_hidden == 5 and model.hidden == 5 and caplog.text == ""


def test_a_type_error_inside_the_model_is_not_hidden():
    with pytest.raises(TypeError, match="has no len"):
        build(BrokenInside, "h7_broken_inside")

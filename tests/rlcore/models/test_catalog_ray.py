"""ModelCatalog on Ray: a model / distribution registered in the driver is found by name in a worker."""

import sys

import gymnasium as gym
import numpy as np
import pytest

from rlcore.models import ActionDistribution, ModelCatalog


class Always(ActionDistribution):
    """A test distribution registered by name."""

    @staticmethod
    def required_model_output_shape(action_space, model_config):
        return 3


def build_in_worker():
    """Runs in a Ray worker: the names are unknown to that process's catalog."""
    from rlcore.models import ModelCatalog as Catalog

    assert "ray_test_model" not in Catalog._custom_models
    model = Catalog.get_model_v2(gym.spaces.Box(-1, 1, (2,)), gym.spaces.Discrete(2), 2,
                                 {"custom_model": "ray_test_model", "fcnet_hiddens": [4]}, framework="torch")
    dist_cls, n = Catalog.get_action_dist(gym.spaces.Discrete(2), {"custom_action_dist": "ray_test_dist"})
    return type(model).__name__, dist_cls.__name__, n


@pytest.mark.ray
def test_registered_names_reach_ray_workers(ray_session):
    from rlcore.models.torch.fcnet import FullyConnectedNetwork

    ray = ray_session
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        ModelCatalog.register_custom_model("ray_test_model", FullyConnectedNetwork)
        ModelCatalog.register_custom_action_dist("ray_test_dist", Always)
        result = ray.get(ray.remote(build_in_worker).remote(), timeout=120)
    finally:
        ray.cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
        ModelCatalog._custom_models.pop("ray_test_model", None)
        ModelCatalog._custom_action_dists.pop("ray_test_dist", None)
    assert result == ("FullyConnectedNetwork", "Always", 3)
    assert np.isfinite(result[2])

"""TorchTargetNetworkMixin's soft update equals RLlib 1.x's per-tensor
``tau * model + (1 - tau) * target`` bit for bit, through learning steps, weight loads, tensors
given new storage, tied weights and tensors sharing memory."""

import gymnasium as gym
import numpy as np
import pytest
import torch

from rlcore.algorithms.sac import SACTorchPolicy
from rlcore.algorithms.torch_mixins import TorchTargetNetworkMixin

TAU = 0.005


def _reference(model, target, tau):
    """RLlib 1.x's soft update, per tensor: ``{name: tau * model + (1 - tau) * target}``."""
    own, tgt = model.state_dict(), target.state_dict()
    return {k: (tau * own[k] + (1 - tau) * v) if v.is_floating_point() else own[k].clone() for k, v in tgt.items()}


def _assert_target_is(target, expected):
    state = target.state_dict()
    assert state.keys() == expected.keys()
    for k, v in expected.items():
        assert torch.equal(state[k], v), k


class _Pair(TorchTargetNetworkMixin):
    def __init__(self, make):
        self.model, self.target_model = make(), make()


def _batchnorm_net():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2).double())


def test_sac_soft_updates_between_learn_steps_equal_the_per_tensor_formula():
    obs = gym.spaces.Box(-1.0, 1.0, (3,), np.float32)
    policy = SACTorchPolicy(obs, gym.spaces.Box(-2.0, 2.0, (1,), np.float32),
                            {"Q_model": {"fcnet_hiddens": [16]}, "policy_model": {"fcnet_hiddens": [16]}})
    rng = np.random.default_rng(0)
    for step in range(3):
        n = 32
        policy.learn_on_batch({"obs": rng.normal(size=(n, 3)).astype(np.float32),
                               "new_obs": rng.normal(size=(n, 3)).astype(np.float32),
                               "actions": rng.uniform(-2, 2, (n, 1)).astype(np.float32),
                               "rewards": rng.normal(size=n).astype(np.float32), "dones": rng.random(n) < 0.2,
                               "weights": np.ones(n, np.float32)})
        expected = _reference(policy.model, policy.target_model, TAU)
        assert any(not torch.equal(v, policy.target_model.state_dict()[k]) for k, v in expected.items())
        policy.update_target(tau=TAU)
        _assert_target_is(policy.target_model, expected)


def test_integer_buffers_are_copied_and_float64_tensors_updated_too():
    pair = _Pair(_batchnorm_net)
    pair.model.train()
    with torch.no_grad():
        pair.model[1].running_mean.add_(1.0)
        pair.model[1].num_batches_tracked.add_(7)
        pair.model[2].weight.mul_(3.0)
    expected = _reference(pair.model, pair.target_model, 0.3)
    pair.update_target(tau=0.3)
    _assert_target_is(pair.target_model, expected)
    assert int(pair.target_model[1].num_batches_tracked) == 7


def test_a_tensor_given_new_storage_is_updated_in_its_new_storage():
    pair = _Pair(lambda: torch.nn.Linear(3, 2))
    pair.update_target(tau=0.5)
    pair.model.weight.data = torch.full((2, 3), 4.0)
    pair.target_model.weight.data = torch.full((2, 3), 2.0)
    expected = _reference(pair.model, pair.target_model, 0.5)
    pair.update_target(tau=0.5)
    _assert_target_is(pair.target_model, expected)


def test_loaded_weights_are_the_ones_updated():
    pair = _Pair(lambda: torch.nn.Linear(3, 2))
    pair.update_target(tau=0.5)
    plan = pair._soft_update_cache
    pair.model.load_state_dict({"weight": torch.ones(2, 3), "bias": torch.zeros(2)})  # copies in place
    expected = _reference(pair.model, pair.target_model, 0.5)
    pair.update_target(tau=0.5)
    assert pair._soft_update_cache is plan
    _assert_target_is(pair.target_model, expected)


def test_a_tensor_under_two_names_moves_once():
    def tied():
        net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 2))
        net[1].weight = net[0].weight
        return net

    pair = _Pair(tied)
    with torch.no_grad():
        pair.model[0].weight.fill_(2.0)
    expected = _reference(pair.model, pair.target_model, 0.25)
    pair.update_target(tau=0.25)
    assert pair.target_model[1].weight is pair.target_model[0].weight
    _assert_target_is(pair.target_model, expected)


@pytest.mark.parametrize("tau", [0.0, 1.5, -0.1])
def test_tau_out_of_range_is_named(tau):
    pair = _Pair(lambda: torch.nn.Linear(2, 1))
    with pytest.raises(ValueError, match=f"tau={tau!r}: expected None or a value in"):
        pair.update_target(tau=tau)


def test_distinct_tensors_over_the_same_memory_update_per_tensor():
    class Aliased(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.arange(4.0))
            self.register_buffer("w_view", self.w.data.view(2, 2))  # another tensor over w's memory

    pair = _Pair(Aliased)
    with torch.no_grad():
        pair.model.w.mul_(3.0)
    expected = _reference(pair.model, pair.target_model, 0.25)
    pair.update_target(tau=0.25)
    assert pair._soft_update_cache.aliased
    _assert_target_is(pair.target_model, expected)

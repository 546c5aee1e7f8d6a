"""TorchCategorical's sampled_action_logp reads the drawn index directly: same values as logp."""

import pytest
import torch

from rlcore.models.torch.torch_action_dist import TorchCategorical


@pytest.mark.parametrize("low", [0, 3])
@pytest.mark.parametrize("deterministic", [False, True])
def test_sampled_logp_is_logp_of_the_returned_actions(low, deterministic):
    torch.manual_seed(0)
    dist = TorchCategorical(torch.randn(64, 5), low=low)
    actions = dist.deterministic_sample() if deterministic else dist.sample()
    assert actions.dtype == torch.int64
    assert int(actions.min()) >= low and int(actions.max()) <= low + 4
    torch.testing.assert_close(dist.sampled_action_logp(), dist.logp(actions), rtol=0, atol=0)
    assert dist.sampled_action_logp().shape == (64,)


def test_a_replaced_last_sample_gets_its_own_logp():
    torch.manual_seed(1)
    dist = TorchCategorical(torch.randn(8, 3))
    drawn = dist.sample()
    dist.last_sample = (drawn + 1) % 3
    torch.testing.assert_close(dist.sampled_action_logp(), dist.logp(dist.last_sample), rtol=0, atol=0)
    assert not torch.equal(dist.sampled_action_logp(), dist.logp(drawn))


def test_a_subclass_logp_is_honoured():
    class Shifted(TorchCategorical):
        def logp(self, x):
            return super().logp(x) - 1.0

    torch.manual_seed(2)
    dist = Shifted(torch.randn(4, 3))
    actions = dist.sample()
    torch.testing.assert_close(dist.sampled_action_logp(), TorchCategorical.logp(dist, actions) - 1.0)


def test_sampled_logp_before_any_sample_is_an_error():
    with pytest.raises(ValueError, match="sample"):
        TorchCategorical(torch.zeros(1, 2)).sampled_action_logp()

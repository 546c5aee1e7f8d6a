"""Model tests run under torch and TF2: the ``fw`` fixture names the framework, ``to_np`` converts."""

import numpy as np
import pytest


@pytest.fixture(params=["torch", "tf2"])
def fw(request):
    """The framework under test (skipped when it is not installed); seeds its RNG."""
    if request.param == "torch":
        import torch
        torch.manual_seed(0)
    else:
        import tensorflow as tf
        tf.random.set_seed(0)
    return request.param


@pytest.fixture
def to_np():
    """Converts a torch or TF tensor to numpy."""

    def convert(t):
        if hasattr(t, "detach"):
            return t.detach().cpu().numpy()
        return np.asarray(t)

    return convert

"""examples/embed_sampler.py: the hand-written PPO loop over VectorSampler learns CartPole."""

import importlib.util
from pathlib import Path

import torch

MAX_ENV_STEPS = 40000


def test_embedded_ppo_learns_cartpole():
    path = Path(__file__).resolve().parents[2] / "examples" / "embed_sampler.py"
    spec = importlib.util.spec_from_file_location("embed_sampler_example", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    # The bound is a step budget (the seeded run needs 11264 steps, 11 iterations); the example's
    # only stop is a clock, here a net under pytest's 300 s timeout, not the criterion (50 s was,
    # and on a loaded machine could end a run still within its budget).
    result = example.train(target=150.0, seed=0, max_seconds=240.0, verbose=False)
    assert result["mean_return"] >= 150.0 and result["env_steps"] <= MAX_ENV_STEPS, result
    assert torch.get_num_threads() == 1  # the example applies the product's driver default

"""examples/embed_sampler.py: the hand-written PPO loop over VectorSampler learns CartPole."""

import importlib.util
from pathlib import Path

import torch


def test_embedded_ppo_learns_cartpole():
    path = Path(__file__).resolve().parents[2] / "examples" / "embed_sampler.py"
    spec = importlib.util.spec_from_file_location("embed_sampler_example", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    result = example.train(target=150.0, seed=0, max_seconds=50.0, verbose=False)
    assert result["mean_return"] >= 150.0, result
    assert torch.get_num_threads() == 1  # the example applies the product's driver default

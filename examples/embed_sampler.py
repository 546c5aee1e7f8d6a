"""Embedding rlcore's sampler in your own training loop: a hand-written PPO on CartPole.

No Trainer, no Policy class, no Ray: a torch actor-critic is a plain callable
``obs_batch -> (actions, extras)``, :class:`rlcore.sampling.VectorSampler` steps 8 envs as one
batch through the compiled collector, and :func:`rlcore.sampling.compute_advantages_segments`
computes GAE for every episode fragment in one kernel call (terminated fragments bootstrap 0,
truncated or cut ones the value of their final observation). :func:`rlcore.threads.apply_thread_config`
gives torch the thread count a Trainer would (one intra-op thread for a driver with one CPU).

Usage: ``python examples/embed_sampler.py [--target 150] [--seed 0]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch import nn

from rlcore.sampling import VectorSampler, bootstrap_values, compute_advantages_segments
from rlcore.threads import apply_thread_config


class ActorCritic(nn.Module):
    def __init__(self, obs_dim: int, n_actions: int, hidden: int = 64):
        super().__init__()
        self.pi = nn.Sequential(nn.Linear(obs_dim, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                                nn.Linear(hidden, n_actions))
        self.vf = nn.Sequential(nn.Linear(obs_dim, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                                nn.Linear(hidden, 1))

    @torch.no_grad()
    def act(self, obs: np.ndarray):
        """The sampler's policy: numpy observations in, numpy actions and extras out."""
        x = torch.from_numpy(obs)
        dist = torch.distributions.Categorical(logits=self.pi(x))
        actions = dist.sample()
        return actions.numpy(), {"action_logp": dist.log_prob(actions).numpy(),
                                 "vf_preds": self.vf(x).squeeze(-1).numpy()}

    @torch.no_grad()
    def value(self, obs: np.ndarray) -> np.ndarray:
        return self.vf(torch.from_numpy(obs)).squeeze(-1).numpy()


def train(target: float = 150.0, seed: int = 0, max_seconds: float = 120.0, verbose: bool = True) -> dict:
    """Trains until the mean return of the last 20 episodes reaches ``target``; returns a summary."""
    apply_thread_config({"framework": "torch"})  # the driver's defaults, as a Trainer sets them
    torch.manual_seed(seed)
    model = ActorCritic(4, 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    sampler = VectorSampler("CartPole-v1", model.act, num_envs=8, rollout_fragment_length=128, seed=seed)
    returns: list[float] = []
    steps, start, it = 0, time.perf_counter(), 0
    while time.perf_counter() - start < max_seconds:
        batch, seg_lens = sampler.sample_with_segments()
        steps += batch.count
        returns += [m.episode_reward for m in sampler.get_metrics()]
        compute_advantages_segments(batch, seg_lens, bootstrap_values(batch, seg_lens, model.value),
                                    gamma=0.99, lambda_=0.95)
        obs = torch.from_numpy(batch["obs"])
        actions = torch.from_numpy(batch["actions"])
        old_logp = torch.from_numpy(batch["action_logp"])
        adv = torch.from_numpy(batch["advantages"])
        adv = (adv - adv.mean()) / (adv.std() + 1e-8)
        targets = torch.from_numpy(batch["value_targets"])
        for _ in range(4):  # epochs of minibatch SGD on the clipped surrogate
            for idx in torch.randperm(batch.count).split(256):
                dist = torch.distributions.Categorical(logits=model.pi(obs[idx]))
                ratio = torch.exp(dist.log_prob(actions[idx]) - old_logp[idx])
                surrogate = torch.min(ratio * adv[idx], ratio.clamp(0.8, 1.2) * adv[idx])
                vf_loss = (model.vf(obs[idx]).squeeze(-1) - targets[idx]).pow(2).mean()
                loss = -surrogate.mean() + 0.5 * vf_loss - 0.01 * dist.entropy().mean()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        it += 1
        mean20 = float(np.mean(returns[-20:])) if returns else 0.0
        if verbose:
            print(f"iter {it:3d}  steps {steps:7d}  mean return (last 20) {mean20:6.1f}  "
                  f"{steps / (time.perf_counter() - start):7.0f} steps/s")
        if len(returns) >= 20 and mean20 >= target:
            break
    sampler.close()
    return {"iterations": it, "env_steps": steps, "mean_return": mean20, "seconds": time.perf_counter() - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=float, default=150.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(train(args.target, args.seed))


if __name__ == "__main__":
    main()

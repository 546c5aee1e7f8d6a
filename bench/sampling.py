"""Sampling throughput against the ceiling of the env and the policy themselves, same run.

CartPole-v1, a torch MLP 64-64 (tanh) policy, 1 torch thread:

- ``rlcore`` rows: ``RolloutWorker.sample()`` with ``num_workers=0`` at 1, 8 and 64 envs (the
  policy is a ``build_torch_policy`` policy: exploration, action distribution and the
  ``action_logp``/``vf_preds``/... extras included), and 2 Ray workers with 8 envs each;
- ``VectorSampler + bare policy`` rows: the embeddable sampler with that same bare forward+sample
  callable as its policy, which isolates the sampler's own cost from the Policy class's;
- ``ceiling``: a bare loop over the same vector env: numpy obs -> torch forward of the same
  model -> ``torch.distributions.Categorical(logits).sample()`` -> numpy -> ``env.step``, with no
  collection at all (the loop one writes by hand; the goals are against it);
- ``tight``: the same loop sampling with the Gumbel-max draw rlcore's ``TorchCategorical`` uses
  (about 100 µs cheaper per call than ``torch.distributions``), so ``ratio_tight`` is rlcore's own
  overhead over env + forward + the cheapest exact sample.

Prints a table and writes ``bench/results/sampling.json``. Goals: >= 0.8x the ceiling at 8 and 64
envs, >= 0.7x at 1 env, and 2 workers >= 1.6x the one-process ceiling at 8 envs.

Usage: ``python bench/sampling.py [--seconds 3] [--no-ray]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from rlcore.env import EnvContext, make_base_env, make_env_creator  # noqa: E402
from rlcore.policy.torch_policy_template import build_torch_policy  # noqa: E402
from rlcore.sampling import RolloutWorker, VectorSampler, WorkerSet  # noqa: E402

CONFIG = {"model": {"fcnet_hiddens": [64, 64], "fcnet_activation": "tanh"}, "framework": "torch", "seed": 0}


def _pg_loss(policy, model, dist_class, train_batch):
    logits, _ = model.from_batch(train_batch)
    return -(dist_class(logits, model).logp(train_batch["actions"]) * train_batch["rewards"]).mean()


BenchPolicy = build_torch_policy(name="BenchPolicy", loss_fn=_pg_loss)


def _timed(fn, seconds: float) -> float:
    """Steps per second of ``fn() -> steps`` over about ``seconds`` (after one warm-up call)."""
    fn()
    steps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        steps += fn()
    return steps / (time.perf_counter() - t0)


def dist_sample(logits: torch.Tensor) -> torch.Tensor:
    """The textbook categorical sample."""
    return torch.distributions.Categorical(logits=logits).sample()


def gumbel_sample(logits: torch.Tensor) -> torch.Tensor:
    """The Gumbel-max draw of ``rlcore.models.torch.TorchCategorical.sample``."""
    e = torch.empty_like(logits).exponential_().clamp_min_(torch.finfo(logits.dtype).tiny)
    return torch.argmax(logits - e.log_(), dim=-1)


def ceiling(num_envs: int, model: torch.nn.Module, seconds: float, draw=dist_sample) -> float:
    """The bare loop: no collection, no bookkeeping."""
    env = make_base_env(make_env_creator("CartPole-v1"), EnvContext({}), num_envs, seed=0)
    obs, _ = env.reset(seed=0)
    state = {"obs": obs}

    def run(n_steps: int = 200) -> int:
        o = state["obs"]
        with torch.no_grad():
            for _ in range(n_steps):
                logits, _ = model({"obs": torch.from_numpy(o)}, [], None)
                actions = draw(logits).numpy()
                o = env.step(actions).obs
        state["obs"] = o
        return n_steps * num_envs

    rate = _timed(run, seconds)
    env.close()
    return rate


def bare_policy(model: torch.nn.Module, draw=gumbel_sample):
    """numpy obs -> forward -> categorical sample -> numpy actions (what the tight loop does)."""

    def act(obs: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            logits, _ = model({"obs": torch.from_numpy(obs)}, [], None)
            return draw(logits).numpy()

    return act


def vector_sampler(num_envs: int, model: torch.nn.Module, seconds: float) -> float:
    sampler = VectorSampler("CartPole-v1", bare_policy(model), num_envs=num_envs,
                            rollout_fragment_length=max(1, 1000 // num_envs), seed=0)
    rate = _timed(lambda: sampler.sample().count, seconds)
    sampler.close()
    return rate


def local_worker(num_envs: int, seconds: float) -> tuple[float, torch.nn.Module]:
    worker = RolloutWorker(env_creator=make_env_creator("CartPole-v1"), policy_spec=BenchPolicy,
                           num_envs=num_envs, rollout_fragment_length=max(1, 1000 // num_envs),
                           policy_config=CONFIG, seed=0)
    rate = _timed(lambda: worker.sample().count, seconds)
    model = worker.get_policy().model
    worker.stop()
    return rate, model


def ray_workers(num_envs: int, seconds: float) -> float:
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True,
             object_store_memory=200 * 1024 * 1024)
    try:
        ws = WorkerSet(env_creator=make_env_creator("CartPole-v1"), policy_class=BenchPolicy,
                       trainer_config={**CONFIG, "num_envs_per_worker": num_envs, "rollout_fragment_length": 250,
                                       "num_cpus_per_worker": 1},
                       num_workers=2)
        rate = _timed(lambda: sum(b.count for b in ws.sample()), seconds)
        ws.stop()
        return rate
    finally:
        ray.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--no-ray", action="store_true")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "sampling.json"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = []
    ceilings, tights = {}, {}

    def row(case: str, rate: float, n: int, goal: float) -> dict:
        return {"case": case, "steps_per_s": rate, "ceiling": ceilings[n], "ratio": rate / ceilings[n],
                "tight": tights[n], "ratio_tight": rate / tights[n], "goal": goal}

    for n in (1, 8, 64):
        rate, model = local_worker(n, args.seconds)
        ceilings[n] = ceiling(n, model, args.seconds)
        tights[n] = ceiling(n, model, args.seconds, draw=gumbel_sample)
        bare = vector_sampler(n, model, args.seconds)
        rows.append(row(f"num_workers=0, {n} envs", rate, n, 0.7 if n == 1 else 0.8))
        rows.append(row(f"VectorSampler+bare, {n} envs", bare, n, 0.7 if n == 1 else 0.8))
    if not args.no_ray:
        rows.append(row("2 Ray workers x 8 envs", ray_workers(8, args.seconds), 8, 1.6))
    print(f"{'case':30} {'steps/s':>10} {'ceiling':>10} {'ratio':>7} {'tight':>10} {'ratio':>7} {'goal':>6}")
    for r in rows:
        print(f"{r['case']:30} {r['steps_per_s']:10.0f} {r['ceiling']:10.0f} {r['ratio']:7.2f}"
              f" {r['tight']:10.0f} {r['ratio_tight']:7.2f} {r['goal']:6.1f}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": platform.platform(), "seconds_per_case": args.seconds, "rows": rows}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

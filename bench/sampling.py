"""Sampling throughput against the ceiling of the env and the policy themselves, same run.

CartPole-v1, a torch MLP 64-64 (tanh) policy, torch threads as the product sets them (rlcore.threads):

- ``rlcore`` rows: ``RolloutWorker.sample()`` with ``num_workers=0`` at 1, 8 and 64 envs (the
  policy is a ``build_torch_policy`` policy: exploration, action distribution and the
  ``action_logp``/``vf_preds``/... extras included), and 2 Ray workers with 8 envs each;
- ``VectorSampler + bare policy`` rows: the embeddable sampler with that same bare forward+sample
  callable as its policy, which isolates the sampler's own cost from the Policy class's;
- ``ceiling``: a bare loop over the same vector env: numpy obs -> torch forward of the same
  model -> ``torch.distributions.Categorical(logits).sample()`` -> numpy -> ``env.step``, with no
  collection at all (the loop one writes by hand; the goals are against it). The bare loops call
  the model's ``forward({"obs": t, "obs_flat": t}, [], None)`` directly (the MLP itself, none of
  ``ModelV2.__call__``'s input handling or output checks), so the ceiling is at least as tight as
  the worker (``--model-call call`` goes through ``model({"obs": obs}, [], None)``, the looser
  ceiling of earlier stops);
- ``tight``: the same loop sampling with the Gumbel-max draw rlcore's ``TorchCategorical`` uses
  (about 100 µs cheaper per call than ``torch.distributions``), so ``ratio_tight`` is rlcore's own
  overhead over env + forward + the cheapest exact sample;
- ``vector_entry_point`` rows: the same at 8 and 64 envs with ``gym_env_vectorize_mode:
  vector_entry_point`` (gymnasium's ``CartPoleVectorEnv``), against ceilings over that same env;
- algorithm rows: the local worker of ``PPOTrainer``, ``A2CTrainer`` and ``DQNTrainer`` with
  ``fcnet_hiddens [64, 64]`` at 1, 8 and 64 envs: the algorithm's real policy (value
  predictions, logp, distribution inputs, exploration) against the tight ceiling over that policy's
  own model, median ratio of ``--pairs`` alternating measurements (the machine is noisy); DQN's
  tight ceiling is its model's forward, its Q head and an argmax, with the worker's current
  epsilon applied in numpy (the cheapest exact epsilon-greedy action);
- ``fragment 1`` rows (``--cases frag1``): the same workers at 1 env with
  ``rollout_fragment_length: 1``, so each ``sample()`` call holds one env step (what SAC/DDPG-style
  plans do every step): the per-call fixed cost, against the same tight ceiling;
- multi-agent rows: ``RolloutWorker.sample()`` on ``make_multi_agent("CartPole-v1")`` with 8
  agents on 2 policies (agent i -> policy i % 2), 1 and 8 envs, in agent steps per second, against
  a bare loop over the same envs (per step: one forward + Gumbel draw per policy over its agents,
  one ``step`` per env with the action dicts).

Prints a table and writes ``bench/results/sampling.json``. Goals: >= 0.8x the ceiling at 8 and 64
envs, >= 0.7x at 1 env, and 2 workers >= 1.6x the one-process ceiling at 8 envs.

``--clock cpu`` times every case in this thread's CPU time instead of wall time: on a loaded
machine the ratios then do not depend on how the other processes' load falls on the two halves of
a pair (the 2 Ray workers row measures the driver's thread only: use wall time for it).

Usage: ``python bench/sampling.py [--seconds 3] [--no-ray] [--cases single,vep,ma,ray] [--clock wall|cpu]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
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


#: The clock of every measurement (``--clock``): wall time, or this thread's CPU time (torch runs
#: one intra-op thread here), which a loaded machine's time slicing does not stretch.
CLOCKS = {"wall": time.perf_counter, "cpu": time.thread_time}
_clock = CLOCKS["wall"]


def _timed(fn, seconds: float) -> float:
    """Steps per second of ``fn() -> steps`` over about ``seconds`` of the clock (after one warm-up call)."""
    fn()
    steps, t0 = 0, _clock()
    while _clock() - t0 < seconds:
        steps += fn()
    return steps / (_clock() - t0)


def dist_sample(logits: torch.Tensor) -> torch.Tensor:
    """The textbook categorical sample."""
    return torch.distributions.Categorical(logits=logits).sample()


def gumbel_sample(logits: torch.Tensor) -> torch.Tensor:
    """The Gumbel-max draw of ``rlcore.models.torch.TorchCategorical.sample``."""
    e = torch.empty_like(logits).exponential_().clamp_min_(torch.finfo(logits.dtype).tiny)
    return torch.argmax(logits - e.log_(), dim=-1)


def greedy_q_draw(model: torch.nn.Module, epsilon: float, seed: int = 0):
    """DQN's cheapest exact action from the Q model's output: its Q head, argmax, and with
    probability ``epsilon`` a uniformly random action (drawn in numpy).

    The head's action scores have the greedy action's argmax: with ``dueling`` the Q-values are
    the state value plus the centred scores (the same argmax per row); with ``num_atoms > 1`` the
    scores are already the expected Q-values.
    """
    rng = np.random.default_rng(seed)
    n_actions = int(model.action_space.n)

    def draw(model_out: torch.Tensor) -> torch.Tensor:
        actions = torch.argmax(model.get_q_value_distributions(model_out)[0], dim=-1).numpy()
        if epsilon > 0:
            rand = rng.random(len(actions)) < epsilon
            if rand.any():
                actions = np.where(rand, rng.integers(0, n_actions, len(actions)), actions)
        return torch.from_numpy(actions)

    return draw


#: How the bare loops call the model: "forward" (default) through ``model.forward({"obs": t,
#: "obs_flat": t}, [], None)``, the MLP itself with none of ``ModelV2.__call__``'s handling (so the
#: ceiling is at least as tight as any call the worker can make), "call" through
#: ``model({"obs": obs}, [], None)`` (the looser ceiling of earlier stops).
MODEL_CALL = "forward"


def forward_fn(model: torch.nn.Module):
    """``obs tensor -> model output`` for the bare loops, as :data:`MODEL_CALL` says."""
    if MODEL_CALL == "call":
        return lambda obs: model({"obs": obs}, [], None)[0]
    forward = model.forward
    return lambda obs: forward({"obs": obs, "obs_flat": obs}, [], None)[0]


def ceiling(num_envs: int, model: torch.nn.Module, seconds: float, draw=dist_sample, mode: str = "sync") -> float:
    """The bare loop: no collection, no bookkeeping (``draw`` maps the model's output to actions)."""
    env = make_base_env(make_env_creator("CartPole-v1"), EnvContext({}), num_envs, seed=0, vectorize_mode=mode)
    obs, _ = env.reset(seed=0)
    state = {"obs": obs}
    forward = forward_fn(model)

    def run(n_steps: int = 200) -> int:
        o = state["obs"]
        with torch.no_grad():
            for _ in range(n_steps):
                logits = forward(torch.from_numpy(o))
                actions = draw(logits).numpy()
                o = env.step(actions).obs
        state["obs"] = o
        return n_steps * num_envs

    rate = _timed(run, seconds)
    env.close()
    return rate


def bare_policy(model: torch.nn.Module, draw=gumbel_sample):
    """numpy obs -> forward -> categorical sample -> numpy actions (what the tight loop does)."""

    forward = forward_fn(model)

    def act(obs: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            logits = forward(torch.from_numpy(obs))
            return draw(logits).numpy()

    return act


def vector_sampler(num_envs: int, model: torch.nn.Module, seconds: float) -> float:
    sampler = VectorSampler("CartPole-v1", bare_policy(model), num_envs=num_envs,
                            rollout_fragment_length=max(1, 1000 // num_envs), seed=0)
    rate = _timed(lambda: sampler.sample().count, seconds)
    sampler.close()
    return rate


def local_worker(num_envs: int, seconds: float, mode: str = "sync") -> tuple[float, torch.nn.Module]:
    worker = RolloutWorker(env_creator=make_env_creator("CartPole-v1"), policy_spec=BenchPolicy,
                           num_envs=num_envs, rollout_fragment_length=max(1, 1000 // num_envs),
                           policy_config={**CONFIG, "gym_env_vectorize_mode": mode}, seed=0)
    rate = _timed(lambda: worker.sample().count, seconds)
    model = worker.get_policy().model
    worker.stop()
    return rate, model


NUM_AGENTS = 8


def _multi_agent_env(ctx=None):
    from rlcore.env import make_multi_agent

    return make_multi_agent("CartPole-v1")({"num_agents": NUM_AGENTS})


def multi_agent_worker(num_envs: int, seconds: float) -> tuple[float, dict]:
    """Agent steps per second of a 2-policy multi-agent RolloutWorker."""
    import gymnasium as gym

    space = (gym.spaces.Box(-np.inf, np.inf, (4,), np.float32), gym.spaces.Discrete(2))
    worker = RolloutWorker(env_creator=_multi_agent_env, policy_spec={f"p{k}": (BenchPolicy, *space, {}) for k in (0, 1)},
                           policy_mapping_fn=lambda agent_id: f"p{agent_id % 2}", num_envs=num_envs,
                           rollout_fragment_length=max(1, 200 // num_envs), policy_config=CONFIG, seed=0)
    rate = _timed(lambda: worker.sample().agent_steps(), seconds)
    models = {pid: p.model for pid, p in worker.policy_map.items()}
    worker.stop()
    return rate, models


def multi_agent_ceiling(num_envs: int, models: dict, seconds: float) -> float:
    """The bare multi-agent loop: group agents per policy, one forward + draw each, step every env."""
    envs = [_multi_agent_env() for _ in range(num_envs)]
    state = {"obs": [env.reset(seed=i)[0] for i, env in enumerate(envs)]}
    forwards = {pid: forward_fn(model) for pid, model in models.items()}

    def run(n_steps: int = 50) -> int:
        obs_all, rows = state["obs"], 0
        with torch.no_grad():
            for _ in range(n_steps):
                groups = {"p0": [], "p1": []}
                for i, obs in enumerate(obs_all):
                    for agent_id in obs:
                        groups[f"p{agent_id % 2}"].append((i, agent_id))
                actions = [dict() for _ in envs]
                for pid, members in groups.items():
                    if not members:
                        continue
                    batch = np.stack([obs_all[i][a] for i, a in members])
                    logits = forwards[pid](torch.from_numpy(batch))
                    for (i, a), act in zip(members, gumbel_sample(logits).numpy()):
                        actions[i][a] = act
                    rows += len(members)
                for i, env in enumerate(envs):
                    obs, _, terms, truncs, _ = env.step(actions[i])
                    if terms["__all__"] or truncs["__all__"]:
                        obs, _ = env.reset()
                    else:  # an agent that ended acts no more
                        obs = {a: o for a, o in obs.items() if not (terms.get(a) or truncs.get(a))}
                    obs_all[i] = obs
        state["obs"] = obs_all
        return rows

    return _timed(run, seconds)


ALGORITHMS = {"PPO": "rlcore.algorithms.ppo:PPOTrainer", "A2C": "rlcore.algorithms.a2c:A2CTrainer",
              "DQN": "rlcore.algorithms.dqn:DQNTrainer"}


def _temp_logger(config: dict):
    """A trial folder in a temporary directory (not ~/ray_results), without TensorBoard files."""
    import tempfile

    from rlcore.trial_logger import TrialLogger

    return TrialLogger(tempfile.mkdtemp(prefix="rlcore-bench-"), tensorboard=False)


def algorithm_rows(name: str, num_envs: int, seconds: float, pairs: int, fragment: int | None = None) -> dict:
    """An algorithm trainer's local worker (its real policy: value predictions, logp, distribution
    inputs) against the tight ceiling over its own policy model, in ``pairs`` alternating
    measurements; the median ratio and the medians of both rates. ``fragment``: the
    ``rollout_fragment_length`` (default ``1000 // num_envs``; 1 measures the fixed cost of a
    ``sample()`` call, which SAC/DDPG-style plans pay every env step)."""
    import importlib

    module, cls = ALGORITHMS[name].split(":")
    trainer_cls = getattr(importlib.import_module(module), cls)
    trainer = trainer_cls(config={"env": "CartPole-v1", "framework": "torch", "num_workers": 0, "seed": 0,
                                  "num_envs_per_worker": num_envs, "rollout_fragment_length": fragment or max(1, 1000 // num_envs),
                                  "model": {"fcnet_hiddens": [64, 64]}, "log_sys_usage": False},
                            logger_creator=_temp_logger)
    worker = trainer.workers.local_worker()
    policy = worker.get_policy()
    model = policy.model
    rates, tights_ = [], []
    for _ in range(pairs):
        rates.append(_timed(lambda: worker.sample().count, seconds / pairs))
        if name == "DQN":  # a Q model: its head's greedy action, epsilon-greedy at the worker's epsilon now
            draw = greedy_q_draw(model, policy.exploration.get_state()["cur_epsilon"])
        else:
            draw = gumbel_sample
        tights_.append(ceiling(num_envs, model, seconds / pairs, draw=draw))
    trainer.stop()
    ratios = [r / t for r, t in zip(rates, tights_)]
    return {"steps_per_s": statistics.median(rates), "tight": statistics.median(tights_),
            "ratio_tight": statistics.median(ratios)}


def ray_workers(num_envs: int, seconds: float) -> float:
    import ray

    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True,
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
    parser.add_argument("--cases", default="single,vep,ma,algo,ray",
                        help="comma-separated: single (1/8/64 envs), vep (vector_entry_point), ma (multi-agent), "
                             "algo (PPO, A2C and DQN trainers' local workers; or name them: ppo, a2c, dqn), "
                             "frag1 (their sample() at rollout_fragment_length=1, 1 env: the per-call fixed cost), ray")
    parser.add_argument("--pairs", type=int, default=5,
                        help="algo rows: alternating worker / tight-ceiling measurements (median ratio)")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="wall time, or this thread's CPU time (steadier ratios on a loaded machine)")
    parser.add_argument("--model-call", choices=["forward", "call"], default="forward",
                        help="how the bare loops call the model (see MODEL_CALL); 'call' gives the looser "
                             "ceiling of earlier stops, for comparison")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "sampling.json"))
    args = parser.parse_args()
    global _clock, MODEL_CALL
    _clock = CLOCKS[args.clock]
    MODEL_CALL = args.model_call
    from rlcore.threads import apply_thread_config

    apply_thread_config({"framework": "torch"})  # the product's defaults, for the bare loops too
    rows = []
    ceilings, tights = {}, {}

    def row(case: str, rate: float, n: int, goal: float) -> dict:
        return {"case": case, "steps_per_s": rate, "ceiling": ceilings[n], "ratio": rate / ceilings[n],
                "tight": tights[n], "ratio_tight": rate / tights[n], "goal": goal}

    cases = set(args.cases.split(","))
    for n in (1, 8, 64) if "single" in cases or "ray" in cases else ():
        rate, model = local_worker(n, args.seconds)
        ceilings[n] = ceiling(n, model, args.seconds)
        tights[n] = ceiling(n, model, args.seconds, draw=gumbel_sample)
        bare = vector_sampler(n, model, args.seconds)
        rows.append(row(f"num_workers=0, {n} envs", rate, n, 0.7 if n == 1 else 0.8))
        rows.append(row(f"VectorSampler+bare, {n} envs", bare, n, 0.7 if n == 1 else 0.8))
    for n in (8, 64) if "vep" in cases else ():  # gymnasium's own vectorized CartPole, against ceilings over that env
        key = f"vep{n}"
        rate, model = local_worker(n, args.seconds, "vector_entry_point")
        ceilings[key] = ceiling(n, model, args.seconds, mode="vector_entry_point")
        tights[key] = ceiling(n, model, args.seconds, draw=gumbel_sample, mode="vector_entry_point")
        rows.append(row(f"vector_entry_point, {n} envs", rate, key, 0.8))
    for n in (1, 8) if "ma" in cases else ():  # 8 agents on 2 policies per env: agent steps per second
        key = f"ma{n}"
        rate, models = multi_agent_worker(n, args.seconds)
        ceilings[key] = tights[key] = multi_agent_ceiling(n, models, args.seconds)
        rows.append(row(f"multi-agent 2 pol x 8 ag, {n} env{'s' if n > 1 else ''}", rate, key, 0.8))
    for name in [a for a in ALGORITHMS if a.lower() in cases or "algo" in cases]:  # the algorithms' own policies
        for n in (1, 8, 64):
            r = algorithm_rows(name, n, args.seconds, args.pairs)
            rows.append({"case": f"{name} local worker, {n} envs", "steps_per_s": r["steps_per_s"],
                         "ceiling": float("nan"), "ratio": float("nan"), "tight": r["tight"],
                         "ratio_tight": r["ratio_tight"], "goal": 0.7 if n == 1 else 0.8})
    for name in [a for a in ALGORITHMS if "frag1" in cases]:  # the fixed cost of one sample() call
        r = algorithm_rows(name, 1, args.seconds, args.pairs, fragment=1)
        rows.append({"case": f"{name} worker, fragment 1", "steps_per_s": r["steps_per_s"], "ceiling": float("nan"),
                     "ratio": float("nan"), "tight": r["tight"], "ratio_tight": r["ratio_tight"],
                     "goal": float("nan")})
    if not args.no_ray and "ray" in cases:
        rows.append(row("2 Ray workers x 8 envs", ray_workers(8, args.seconds), 8, 1.6))
    print(f"{'case':34} {'steps/s':>10} {'ceiling':>10} {'ratio':>7} {'tight':>10} {'ratio':>7} {'goal':>6}")
    for r in rows:
        print(f"{r['case']:34} {r['steps_per_s']:10.0f} {r['ceiling']:10.0f} {r['ratio']:7.2f}"
              f" {r['tight']:10.0f} {r['ratio_tight']:7.2f} {r['goal']:6.1f}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": platform.platform(), "seconds_per_case": args.seconds, "clock": args.clock,
                               "model_call": args.model_call,
                               "loadavg": os.getloadavg(), "rows": rows}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

"""A CartPole application asking a policy server for actions (RLlib 1.x's ``cartpole_client.py``).

Start ``examples/serving/cartpole_server.py`` first, then::

    python examples/serving/cartpole_client.py --inference-mode local    # policy copy here
    python examples/serving/cartpole_client.py --inference-mode remote   # one request per action
"""

from __future__ import annotations

import argparse
import ssl
import threading
from typing import Iterator

import gymnasium as gym

from rlcore.env.policy_client import PolicyClient


def play(client: PolicyClient, seed: int = 0, stop: threading.Event | None = None, max_episodes: int | None = None,
         off_policy_every: int = 0) -> Iterator[float]:
    """Plays CartPole episodes through ``client`` until ``stop`` is set (or ``max_episodes``),
    yielding each episode's reward. ``off_policy_every``: log a random action every n-th step."""
    env = gym.make("CartPole-v1")
    episodes = 0
    while (stop is None or not stop.is_set()) and (max_episodes is None or episodes < max_episodes):
        obs, _ = env.reset(seed=seed + episodes)
        eid = client.start_episode()
        total, done, t = 0.0, False, 0
        while not done:
            if off_policy_every and t % off_policy_every == 0:
                action = env.action_space.sample()
                client.log_action(eid, obs, action)
            else:
                action = client.get_action(eid, obs)
            obs, reward, terminated, truncated, _ = env.step(action)
            client.log_returns(eid, reward)
            total, done, t = total + reward, terminated or truncated, t + 1
        client.end_episode(eid, obs)
        episodes += 1
        yield total


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", default="http://127.0.0.1:9900")
    parser.add_argument("--inference-mode", default="local", choices=["local", "remote"])
    parser.add_argument("--auth-token", default=None)
    parser.add_argument("--episodes", type=int, default=None, help="stop after this many (default: forever)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ca", default=None, help="https: the PEM certificate to trust (e.g. a self-signed server's)")
    args = parser.parse_args(argv)
    context = ssl.create_default_context(cafile=args.ca) if args.ca else None
    with PolicyClient(args.address, inference_mode=args.inference_mode, update_interval=2.0,
                      auth_token=args.auth_token, ssl_context=context) as client:
        for i, reward in enumerate(play(client, args.seed, max_episodes=args.episodes)):
            print(f"episode {i}: reward {reward}", flush=True)


if __name__ == "__main__":
    main()

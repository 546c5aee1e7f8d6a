"""A PPO trainer fed by a policy server: clients play CartPole (RLlib 1.x's ``cartpole_server.py``).

Run it, then one or more clients (``examples/serving/cartpole_client.py``) in other shells::

    python examples/serving/cartpole_server.py --stop-reward 150
    python examples/serving/cartpole_client.py --inference-mode local
    python examples/serving/cartpole_client.py --inference-mode remote

The trainer has no env (``env: None``): its spaces come from the config, its experiences from
:class:`~rlcore.env.policy_server_input.PolicyServerInput` (``input``). The server binds loopback;
to serve other hosts bind another address with ``--auth-token`` (clients pass the same token),
and with ``--tls-cert`` / ``--tls-key`` so that the token and the traffic are encrypted (clients
then connect to ``https://...``; ``--ca`` names the certificate they trust if it is self-signed).

With ``--num-workers 0`` the trainer's own (local) worker serves on ``port``. With
``--num-workers n`` the n remote workers serve, worker i on ``port + i - 1``, so clients connect
to ``port`` ... ``port + n - 1``, and the input creator returns None for the local worker, which
the trainer does not sample (RLlib 1.x's ``cartpole_server.py`` convention).
"""

from __future__ import annotations

import argparse
import json

import gymnasium as gym
import numpy as np

from rlcore.env.policy_server_input import PolicyServerInput

SERVER_ADDRESS = "127.0.0.1"
SERVER_BASE_PORT = 9900


def make_config(address: str = SERVER_ADDRESS, port: int = SERVER_BASE_PORT, auth_token: str | None = None,
                framework: str = "torch", seed: int | None = 0, tls_cert: str | None = None,
                tls_key: str | None = None, **overrides) -> dict:
    """The trainer config: ``env: None``, CartPole's spaces, and a policy server on each worker the
    trainer samples: the local one on ``port`` with no remote workers, else remote worker i on
    ``port + i - 1`` (RLlib 1.x's convention; ``port=0``: any free port), serving HTTPS with
    ``tls_cert`` / ``tls_key``. ``overrides`` update it."""

    def _input(ioctx):
        if ioctx.worker_index > 0 or ioctx.worker.num_workers == 0:
            offset = ioctx.worker_index - (1 if ioctx.worker_index > 0 else 0)
            return PolicyServerInput(ioctx, address, port + offset if port else 0, auth_token=auth_token,
                                     tls_certfile=tls_cert, tls_keyfile=tls_key)
        return None  # the local worker of a trainer with remote workers: nothing to read

    config = {
        "env": None,
        "observation_space": gym.spaces.Box(-np.inf, np.inf, (4,), np.float32),
        "action_space": gym.spaces.Discrete(2),
        "input": _input,
        "input_evaluation": [],  # the rollouts come from online clients: no off-policy estimation
        "num_workers": 0,
        "framework": framework,
        "seed": seed,
        "rollout_fragment_length": 200,
        "train_batch_size": 1000,
        "sgd_minibatch_size": 128,
        "num_sgd_iter": 10,
        "lr": 3e-4,
        "model": {"fcnet_hiddens": [64, 64]},
        "log_sys_usage": False,
    }
    config.update(overrides)
    return config


def main(argv=None) -> None:
    from rlcore.algorithms.ppo import PPOTrainer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", default=SERVER_ADDRESS)
    parser.add_argument("--port", type=int, default=SERVER_BASE_PORT)
    parser.add_argument("--auth-token", default=None)
    parser.add_argument("--framework", default="torch", choices=["torch", "tf2"])
    parser.add_argument("--stop-reward", type=float, default=150.0)
    parser.add_argument("--stop-iters", type=int, default=200)
    parser.add_argument("--num-workers", type=int, default=0)
    parser.add_argument("--tls-cert", default=None, help="PEM certificate (chain): serve HTTPS")
    parser.add_argument("--tls-key", default=None, help="PEM private key of --tls-cert")
    args = parser.parse_args(argv)
    trainer = PPOTrainer(config=make_config(args.address, args.port, args.auth_token, args.framework,
                                            tls_cert=args.tls_cert, tls_key=args.tls_key,
                                            num_workers=args.num_workers))
    ports = ", ".join(str(args.port + i) for i in range(max(args.num_workers, 1)))
    print(f"serving on {'https' if args.tls_cert else 'http'}://{args.address} port(s) {ports}", flush=True)
    try:
        for _ in range(args.stop_iters):
            result = trainer.train()
            print(json.dumps({k: result.get(k) for k in ("training_iteration", "timesteps_total",
                                                            "episode_reward_mean", "episodes_this_iter")}), flush=True)
            if (result.get("episode_reward_mean") or 0) >= args.stop_reward:
                break
    finally:
        trainer.stop()


if __name__ == "__main__":
    main()

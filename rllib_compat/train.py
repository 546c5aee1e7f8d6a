"""RLlib 1.x import path ``ray.rllib.train``: the ``rllib train`` command's parser and runner.

``create_parser()`` parses 1.x's ``train`` arguments (``--run``, ``--env``, ``--config``, ``--stop``,
``-f``, ``--torch``, ...) with the CLI's own parser (:mod:`rlcore.cli`); ``run(args, parser)`` trains
as ``rllib train`` does (in this process, or through Ray Tune when Ray is asked for).
``python -m rllib_compat.train --run PPO --env CartPole-v1`` works like ``python -m ray.rllib.train``.

Examples:
    >>> from rllib_compat.train import create_parser
    >>> args = create_parser().parse_args(["--run", "PPO", "--env", "CartPole-v1", "--torch"])
    >>> args.run, args.env, args.torch
    ('PPO', 'CartPole-v1', True)
"""

from __future__ import annotations

import argparse
from typing import Any

from rllib_compat._cli import CommandParser

__all__ = ["create_parser", "run"]


def create_parser(parser_creator: Any = None) -> CommandParser:
    """A parser for 1.x's train arguments (``parser_creator`` is accepted and ignored)."""
    return CommandParser("train")


def run(args: argparse.Namespace, parser: Any = None) -> int:
    """Trains as ``rllib train`` with parsed ``args``; returns the exit status."""
    from rlcore.cli import run_train

    return run_train(args)


if __name__ == "__main__":  # python -m rllib_compat.train --run ... (as python -m ray.rllib.train)
    import sys

    from rlcore.cli import main

    sys.exit(main(["train", *sys.argv[1:]]))

"""RLlib 1.x import path ``ray.rllib.rollout``: the rollout function the CLI uses, and its saver.

``rollout(agent, env_name, num_steps, num_episodes=0, saver=None, no_render=True, video_dir=None)``
plays episodes with a (restored) trainer and prints one line per episode; ``RolloutSaver`` records
the steps and writes them with pickle or shelve; ``keep_going`` is the stop rule. They are
:mod:`rlcore.rollout`'s objects, which ``rlcore rollout`` / ``rllib rollout`` run.
``create_parser()`` parses 1.x's ``rollout`` arguments (``CHECKPOINT --run ... --env ... --steps
... --episodes ... --out ...``) with the CLI's own parser, and ``run(args, parser)`` runs them.

Examples:
    >>> from rllib_compat.rollout import rollout, create_parser
    >>> import rlcore.rollout
    >>> rollout is rlcore.rollout.rollout
    True
    >>> args = create_parser().parse_args(["/tmp/ck", "--run", "PPO", "--episodes", "3", "--out", "r.pkl"])
    >>> args.run, args.episodes, args.out
    ('PPO', 3, 'r.pkl')
"""

from __future__ import annotations

import argparse
from typing import Any

from rlcore.rollout import DEFAULT_AGENT_ID, RolloutSaver, keep_going, rollout
from rllib_compat._cli import CommandParser

__all__ = ["DEFAULT_AGENT_ID", "RolloutSaver", "create_parser", "keep_going", "rollout", "run"]


def create_parser(parser_creator: Any = None) -> CommandParser:
    """A parser for 1.x's rollout arguments (``parser_creator`` is accepted and ignored)."""
    return CommandParser("rollout")


def run(args: argparse.Namespace, parser: Any = None) -> int:
    """Runs a parsed rollout (``rlcore rollout``); returns the exit status."""
    from rlcore.cli import run_rollout

    return run_rollout(args)


if __name__ == "__main__":  # python -m rllib_compat.rollout CHECKPOINT --run ... (as python -m ray.rllib.rollout)
    import sys

    from rlcore.cli import main

    sys.exit(main(["rollout", *sys.argv[1:]]))

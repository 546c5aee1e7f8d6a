"""The CLI's parser for one command, as RLlib 1.x's ``train.py`` / ``rollout.py`` modules offered it.

Examples:
    >>> CommandParser("train").parse_args(["--run", "PG", "--env", "CartPole-v1"]).run
    'PG'
"""

from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

__all__ = ["CommandParser"]


class CommandParser:
    """``rlcore``'s argument parser with ``command`` implied (1.x: ``python -m ray.rllib.<command>``)."""

    def __init__(self, command: str):
        from rlcore.cli import create_parser

        self.command = command
        self._parser = create_parser()

    def parse_args(self, args: Optional[Sequence[str]] = None) -> argparse.Namespace:
        """Parses ``args`` (default ``sys.argv[1:]``) as the arguments of the command."""
        return self._parser.parse_args([self.command, *(sys.argv[1:] if args is None else list(args))])

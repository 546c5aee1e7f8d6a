"""The side virtualenv the benchmarks run their peers in (RLlib 2.60, Stable-Baselines3).

The peers are never project dependencies: ``bench/peers_venv.sh`` makes ``.venv-peers`` next to
the project's ``.venv``, and a benchmark runs each peer in a subprocess of that venv's Python,
which prints its figures as one JSON line. Without the venv (or with the peer's module not
importing there) a peer row says why it is missing instead of failing the benchmark.

Examples:
    >>> missing = peer_missing("json")
    >>> missing is None or missing.startswith("not installed")
    True
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
PEERS_PYTHON = ROOT / ".venv-peers" / "bin" / "python"


def peer_missing(module: str) -> Optional[str]:
    """None when ``module`` imports in ``.venv-peers``; else a "not installed (why)" note for the row."""
    if not PEERS_PYTHON.exists():
        return f"not installed (no {PEERS_PYTHON.relative_to(ROOT)}; bench/peers_venv.sh creates it)"
    probe = subprocess.run([str(PEERS_PYTHON), "-c", f"import {module}"], capture_output=True, text=True,
                           timeout=300, cwd=ROOT)
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["no error output"])[-1]
        return f"not installed ({module} does not import in .venv-peers: {last})"
    return None


def run_peer(code: str, args: Sequence[str] = (), timeout: float = 1800) -> Dict[str, Any]:
    """Runs ``code`` (a Python program) in ``.venv-peers`` with ``args`` and returns the JSON object
    on the last line it prints.

    Raises:
        RuntimeError: The program failed or printed no JSON object; the message ends with the
            last lines of its stderr.
    """
    done = subprocess.run([str(PEERS_PYTHON), "-c", code, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)
    lines: List[str] = done.stdout.strip().splitlines()
    if done.returncode == 0 and lines and lines[-1].startswith("{"):
        return json.loads(lines[-1])
    tail = "\n".join(done.stderr.strip().splitlines()[-5:])
    raise RuntimeError(f"the peer program exited with {done.returncode} and no JSON result:\n{tail}")

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


def run_peer(argv: Sequence[Any], timeout: float = 1800, env: Optional[Dict[str, str]] = None,
             cwd: Optional[Path] = None) -> Dict[str, Any]:
    """Runs ``.venv-peers``' Python with ``argv`` (``["-c", code, *args]`` or a script and its
    arguments) and returns the JSON object on the last line it prints that holds one.

    Raises:
        RuntimeError: The program failed or printed no JSON object; the message ends with the
            last lines of its stderr.
        subprocess.TimeoutExpired: It ran longer than ``timeout`` seconds.
    """
    done = subprocess.run([str(PEERS_PYTHON), *map(str, argv)], capture_output=True, text=True, timeout=timeout,
                          cwd=cwd or ROOT, env=env)
    lines: List[str] = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode == 0 and lines:
        return json.loads(lines[-1])
    tail = "\n".join(done.stderr.strip().splitlines()[-5:]) or "(no error output)"
    raise RuntimeError(f"the peer program exited with {done.returncode} and no JSON result:\n{tail}")

"""MixedInput: batches drawn from several sources by weight (RLlib 1.x's ``MixedInput``).

``dist`` maps each source to its probability: ``"sampler"`` (the worker's env, through
``ioctx.default_sampler_input()``), a path/glob/list for a :class:`JsonReader`, or an
``InputReader``. Each ``next()`` picks a source at random (seeded) and returns its next batch.

Examples:
    >>> from rlcore.offline.input_reader import InputReader
    >>> class Const(InputReader):
    ...     def __init__(self, v): self.v = v
    ...     def next(self): return self.v
    >>> m = MixedInput({Const("a"): 0.75, Const("b"): 0.25}, seed=0)
    >>> out = [m.next() for _ in range(400)]
    >>> 250 < out.count("a") < 350
    True
    >>> MixedInput({"sampler": 0.5, "x.json": 0.4})
    Traceback (most recent call last):
    ...
    ValueError: input = {'sampler': 0.5, 'x.json': 0.4}: the probabilities must sum to 1.0, they sum to 0.9
"""

from __future__ import annotations

import random
from typing import Any, Dict, List, Optional

from rlcore.offline.input_reader import InputReader
from rlcore.offline.io_context import IOContext

__all__ = ["MixedInput"]


class MixedInput(InputReader):
    """Mixes sources by probability.

    Args:
        dist: ``{source: probability}``; the probabilities sum to 1.
        ioctx: The worker's context (for ``"sampler"`` and the JSON readers).
        seed: Seeds the source choice (default: config ``seed`` + worker index).

    Raises:
        ValueError: Probabilities that are negative or do not sum to 1, or an empty dict.
    """

    def __init__(self, dist: Dict[Any, float], ioctx: Optional[IOContext] = None, seed: Optional[int] = None):
        from rlcore.offline.json_reader import JsonReader

        if not isinstance(dist, dict) or not dist:
            raise ValueError(f"input = {dist!r}: expected a non-empty dict {{source: probability}}")
        bad = {k: v for k, v in dist.items() if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0}
        if bad:
            raise ValueError(f"input = {dist!r}: probabilities must be numbers >= 0, got {bad!r}")
        total = sum(dist.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"input = {dist!r}: the probabilities must sum to 1.0, they sum to {round(total, 6)}")
        self.ioctx = ioctx or IOContext()
        if seed is None and self.ioctx.config.get("seed") is not None:
            seed = int(self.ioctx.config["seed"]) + self.ioctx.worker_index
        self._rng = random.Random(seed)
        self.choices: List[InputReader] = []
        self.p: List[float] = []
        for source, prob in dist.items():
            if isinstance(source, InputReader):
                reader = source
            elif source == "sampler":
                reader = self.ioctx.default_sampler_input()
            else:
                reader = JsonReader(source, self.ioctx, **_reader_options(self.ioctx.config))
            self.choices.append(reader)
            self.p.append(float(prob))

    def next(self) -> Any:
        """The next batch of a source picked by probability."""
        return self._rng.choices(self.choices, weights=self.p)[0].next()

    def get_metrics(self) -> list:
        """Every source's metrics (the sampler's episodes)."""
        return [m for reader in self.choices for m in reader.get_metrics()]

    def stop(self) -> None:
        """Stops every source."""
        for reader in self.choices:
            reader.stop()


def _reader_options(config: Any) -> Dict[str, Any]:
    """``JsonReader`` keyword options from the config's ``input_config``."""
    opts = dict(config.get("input_config") or {})
    return {k: opts[k] for k in ("allow_pickled_columns", "ignore_corrupt") if k in opts}

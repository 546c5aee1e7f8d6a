"""A ``Stage`` is one node of a pipeline's plan: its label, inputs and live counters.

Every operator adds a stage whose input is the previous one; sources (``from_*``, gathers,
unions) have zero or more inputs. A stage counts the items it emitted and the seconds spent in
its own work (the user function, or fetching from shards for a gather), which is what
``explain()`` prints as a tree, outputs at the top and sources at the leaves.

A gather stage reaches into its parallel plan lazily (``expand``), so ``explain()`` can show the
per-shard stages of a ``ParallelIterator`` summed over shards.

Examples:
    >>> src = Stage("from_range[4, shards=1]")
    >>> top = Stage("for_each(double)", [src])
    >>> src.items, top.items, top.seconds = 4, 4, 0.002
    >>> print(top.render())
    for_each(double)  items=4  time=2.000ms
    └── from_range[4, shards=1]  items=4  time=0.000ms
"""

from __future__ import annotations

from typing import Callable, Iterable, Sequence


class Stage:
    """One node of a plan, with the counters ``explain()`` reports.

    Args:
        label: Human name, e.g. ``"for_each(double)"`` or ``"from_range[4, shards=2]"``.
        inputs: Upstream stages (none for a source, several for a union).
        expand: Called by :meth:`render` to produce extra child stages lazily (used by gathers to
            fetch the stages running on shards).

    Attributes:
        items: Items emitted so far (``NOT_READY`` is not counted).
        seconds: Seconds spent in this stage's own work.

    Examples:
        >>> Stage("filter(odd)").items
        0
    """

    __slots__ = ("label", "inputs", "expand", "items", "seconds", "note")

    def __init__(
        self,
        label: str,
        inputs: Sequence[Stage] = (),
        expand: Callable[[], list[Stage]] | None = None,
        note: str = "",
    ):
        self.label = label
        self.inputs = list(inputs)
        self.expand = expand
        self.items = 0
        self.seconds = 0.0
        self.note = note

    def summary(self) -> str:
        """One line: label, item count, time, and an optional note."""
        line = f"{self.label}  items={self.items}  time={self.seconds * 1e3:.3f}ms"
        return f"{line}  {self.note}" if self.note else line

    def children(self) -> list[Stage]:
        """Inputs plus lazily expanded stages (errors while expanding become a note stage)."""
        extra: list[Stage] = []
        if self.expand is not None:
            try:
                extra = self.expand()
            except Exception as err:  # explain() must not fail because a shard is gone
                extra = [Stage(f"<shard stats unavailable: {type(err).__name__}: {err}>")]
        return self.inputs + extra

    def render(self) -> str:
        """Returns the tree rooted here, one stage per line."""
        lines = [self.summary()]
        _render_children(self.children(), "", lines)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Stage({self.summary()!r})"


def _render_children(children: list[Stage], prefix: str, lines: list[str]) -> None:
    for i, child in enumerate(children):
        last = i == len(children) - 1
        lines.append(prefix + ("└── " if last else "├── ") + child.summary())
        _render_children(child.children(), prefix + ("    " if last else "│   "), lines)


def merge_shard_stages(
    per_shard: Iterable[Sequence[tuple[str, int, float]]], header: str
) -> list[Stage]:
    """Sums per-shard stage stats position by position into one chain under ``header``.

    Args:
        per_shard: For each shard, its stages from source to last as ``(label, items, seconds)``.
        header: Label of the node grouping them (e.g. ``"ParallelIterator[...] shards=2"``).

    Returns:
        ``[header_stage]`` whose chain of inputs is the summed stages, last stage first.

    Examples:
        >>> shards = [[("src", 2, 0.0), ("for_each(f)", 2, 0.001)], [("src", 3, 0.0), ("for_each(f)", 3, 0.001)]]
        >>> print(merge_shard_stages(shards, "ParallelIterator[p]  shards=2")[0].render())
        ParallelIterator[p]  shards=2  items=5  time=2.000ms  (summed over shards)
        └── for_each(f)  items=5  time=2.000ms
            └── src  items=5  time=0.000ms
    """
    shards = [list(s) for s in per_shard]
    length = max((len(s) for s in shards), default=0)
    chain: Stage | None = None
    for pos in range(length):
        rows = [s[pos] for s in shards if len(s) > pos]
        node = Stage(rows[0][0], [chain] if chain is not None else [])
        node.items = sum(r[1] for r in rows)
        node.seconds = sum(r[2] for r in rows)
        chain = node
    head = Stage(header, [chain] if chain is not None else [], note="(summed over shards)")
    if chain is not None:
        head.items, head.seconds = chain.items, sum(n.seconds for n in _walk(chain))
    return [head]


def _walk(stage: Stage) -> list[Stage]:
    out = [stage]
    while stage.inputs:
        stage = stage.inputs[0]
        out.append(stage)
    return out

"""Nested RNN state: model state entries that are dicts, tuples or lists of arrays.

A model's ``get_initial_state()`` is a list of state entries. An entry is usually one array
(an LSTM's ``h`` and ``c``), but RLlib 1.x also let it be a nested structure, e.g.
``[{"h": np.zeros(8), "count": np.zeros(1)}]``, and handed the model its state back in that
structure, batched, at inference and in the loss.

rlcore's sampler, ``SampleBatch`` and compiled collector carry flat numeric columns. So a policy
whose model has nested state flattens it at its own boundary and re-nests it for the model:

* ``Policy.get_initial_state()``, the state batches that ``compute_actions`` takes and returns,
  and the sampled ``state_in_<k>`` / ``state_out_<k>`` columns are the flat *leaves*: entry 0's
  leaves first, then entry 1's, and so on; within an entry, dict keys in sorted order (as
  ``tf.nest`` and dm-tree flatten), tuples and lists in order.
* The model sees its own structure: ``forward`` gets ``state`` as the list of nested entries with
  batched tensors at the leaves, and returns ``state_out`` the same way. In the loss, the
  ``TrainBatch`` holds ``state_in_<i>`` / ``state_out_<i>`` per *model* entry (nested), so
  ``model.from_batch(train_batch)`` and 1.x loss code reading ``train_batch["state_in_0"]`` get
  the dict; ``state_in`` holds the state at each sequence start, as for flat state.

The difference from RLlib 1.x: 1.x kept one (nested) column per model entry in its sample
batches too, so its ``state_in_0`` was the dict; rlcore's sampled batches have one column per
leaf (``state_in_0`` = ``count``, ``state_in_1`` = ``h`` above), and
``Policy.get_initial_state()`` returns the leaves. ``compute_single_action`` accepts the state
either way (flat leaves or the model's nested entries) and returns the leaves.

What is nested: a dict, or a tuple/list that holds an array, a tensor, a dict or another such
container. A tuple/list of plain numbers (``[0.0, 0.0]``, ``[[0.0], [1.0]]``) is one array, as
before. A policy decides once, at construction, whether its model's state is nested; flat state
skips all of this.

Examples:
    >>> import numpy as np
    >>> s = StateStructure.of([{"h": np.zeros(2), "count": np.zeros(1)}])
    >>> [leaf.shape for leaf in s.initial_leaves([{"h": np.zeros(2), "count": np.zeros(1)}])]
    [(1,), (2,)]
    >>> nested = s.nest([np.array([[3.0]]), np.array([[1.0, 2.0]])])
    >>> sorted(nested[0]), nested[0]["count"].tolist()
    (['count', 'h'], [[3.0]])
    >>> StateStructure.of([np.zeros(2), np.zeros(2)]) is None   # flat: nothing to do
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Set

import numpy as np

from rlcore.data.columns import Columns

__all__ = ["StateStructure", "is_nested", "map_state_leaves"]

_SCALARS = (int, float, bool, complex, np.generic)


def _plain_numbers(x: Any) -> bool:
    """Whether ``x`` is a number or a (possibly nested) tuple/list of plain numbers only."""
    if isinstance(x, _SCALARS):
        return True
    return isinstance(x, (list, tuple)) and all(_plain_numbers(v) for v in x)


def is_nested(entry: Any) -> bool:
    """Whether a state entry is a structure (dict, or tuple/list holding arrays/tensors/dicts).

    Examples:
        >>> import numpy as np
        >>> is_nested({"h": np.zeros(2)}), is_nested((np.zeros(2), np.zeros(1))), is_nested([0.0, 1.0])
        (True, True, False)
        >>> is_nested(np.zeros(3))
        False
    """
    if isinstance(entry, Mapping):
        return True
    return isinstance(entry, (list, tuple)) and not _plain_numbers(entry)


def map_state_leaves(fn: Any, entry: Any) -> Any:
    """``fn`` applied to each leaf of one state entry (the entry itself when it is not nested).

    Examples:
        >>> map_state_leaves(len, {"h": [1.0, 2.0], "c": (np.zeros(1), np.zeros((1, 3)))})
        {'h': 2, 'c': (1, 1)}
        >>> map_state_leaves(len, [0.0, 0.0, 0.0])
        3
    """
    if isinstance(entry, Mapping):
        return {k: map_state_leaves(fn, v) for k, v in entry.items()}
    if is_nested(entry):
        items = [map_state_leaves(fn, v) for v in entry]
        if isinstance(entry, tuple):
            return type(entry)(*items) if hasattr(entry, "_fields") else tuple(items)
        return items
    return fn(entry)


def _leaf_count(template: Any) -> int:
    if isinstance(template, Mapping):
        return sum(_leaf_count(template[k]) for k in sorted(template))
    if is_nested(template):
        return sum(_leaf_count(v) for v in template)
    return 1


def _flatten_as(template: Any, value: Any, out: List[Any], where: str) -> None:
    """Appends the leaves of ``value``, walked in the layout of ``template``, to ``out``."""
    if isinstance(template, Mapping):
        if not isinstance(value, Mapping) or set(value) != set(template):
            got = sorted(value) if isinstance(value, Mapping) else type(value).__name__
            raise ValueError(f"{where}: expected a dict with keys {sorted(template)} (the structure of the model's "
                             f"get_initial_state()), got {got}")
        for k in sorted(template):
            _flatten_as(template[k], value[k], out, f"{where}[{k!r}]")
    elif is_nested(template):
        if not isinstance(value, (list, tuple)) or len(value) != len(template):
            got = f"{type(value).__name__} of length {len(value)}" if isinstance(value, (list, tuple)) \
                else type(value).__name__
            raise ValueError(f"{where}: expected a {type(template).__name__} of {len(template)} items (the structure "
                             f"of the model's get_initial_state()), got {got}")
        for i, (t, v) in enumerate(zip(template, value)):
            _flatten_as(t, v, out, f"{where}[{i}]")
    else:
        out.append(value)


def _pack(template: Any, leaves: Iterator[Any]) -> Any:
    """``template``'s structure with the next leaves of ``leaves`` in place of its leaves."""
    if isinstance(template, Mapping):
        packed = {k: _pack(template[k], leaves) for k in sorted(template)}
        return {k: packed[k] for k in template}  # the model's own key order
    if is_nested(template):
        items = [_pack(t, leaves) for t in template]
        if isinstance(template, tuple) and hasattr(template, "_fields"):
            return type(template)(*items)  # a namedtuple
        return type(template)(items) if isinstance(template, tuple) else items
    return next(leaves)


class StateStructure:
    """The layout of a model's nested state: flattens it to leaves and nests leaves back.

    Build it with :meth:`of`, which returns ``None`` for flat state (every entry one array).

    Args:
        templates: the model's ``get_initial_state()`` (one template per state entry).

    Attributes:
        num_entries: how many state entries the model has.
        num_leaves: how many flat leaves (policy-level state tensors) they make.
    """

    def __init__(self, templates: Sequence[Any]):
        self.templates = list(templates)
        self.num_entries = len(self.templates)
        counts = [_leaf_count(t) for t in self.templates]
        self.num_leaves = int(sum(counts))
        # Flat column index range of each model entry: entry i -> leaves [start_i, start_i + counts[i]).
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(int) if counts else []
        self._ranges = [(int(s), int(s) + c) for s, c in zip(starts, counts)]

    @classmethod
    def of(cls, initial_state: Sequence[Any]) -> Optional["StateStructure"]:
        """The structure of ``initial_state``, or ``None`` when every entry is a single array.

        Examples:
            >>> StateStructure.of([(np.zeros(2), np.zeros(3))]).num_leaves
            2
        """
        entries = list(initial_state or [])
        return cls(entries) if any(is_nested(e) for e in entries) else None

    # -- model entries -> leaves -----------------------------------------------------------------
    def flatten(self, state: Sequence[Any], what: str = "state") -> List[Any]:
        """The leaves of a list of model state entries (batched or not), checked against the layout.

        Raises:
            ValueError: the entries do not have the structure of the model's initial state.

        Examples:
            >>> s = StateStructure.of([{"b": np.zeros(1), "a": np.zeros(2)}, np.zeros(3)])
            >>> [x.tolist() for x in s.flatten([{"a": np.ones(2), "b": np.zeros(1)}, np.full(3, 2.0)])]
            [[1.0, 1.0], [0.0], [2.0, 2.0, 2.0]]
        """
        if not isinstance(state, (list, tuple)) or len(state) != self.num_entries:
            got = f"{len(state)} entries" if isinstance(state, (list, tuple)) else type(state).__name__
            raise ValueError(f"{what}: expected a list of {self.num_entries} state entries (as the model's "
                             f"get_initial_state() returns), got {got}")
        out: List[Any] = []
        for i, (t, v) in enumerate(zip(self.templates, state)):
            _flatten_as(t, v, out, f"{what}[{i}]")
        return out

    def initial_leaves(self, initial_state: Sequence[Any]) -> List[np.ndarray]:
        """The model's initial state as flat numpy leaves (``Policy.get_initial_state()``)."""
        return [np.asarray(leaf) for leaf in self.flatten(list(initial_state), "get_initial_state()")]

    def to_leaves(self, state: Sequence[Any]) -> List[Any]:
        """State given either as flat leaves or as the model's nested entries, as flat leaves.

        Examples:
            >>> s = StateStructure.of([{"h": np.zeros(2)}])
            >>> len(s.to_leaves([np.zeros((1, 2))])), len(s.to_leaves([{"h": np.zeros((1, 2))}]))
            (1, 1)
        """
        state = list(state)
        if len(state) == self.num_leaves and not any(isinstance(v, (Mapping, list, tuple)) for v in state):
            return state
        return self.flatten(state, "state_batches")

    # -- leaves -> model entries -----------------------------------------------------------------
    def nest(self, leaves: Sequence[Any]) -> List[Any]:
        """The model's state entries from flat leaves (in :meth:`flatten`'s order).

        Raises:
            ValueError: ``leaves`` is not ``num_leaves`` long.
        """
        if len(leaves) != self.num_leaves:
            raise ValueError(f"got {len(leaves)} state tensors; the model's nested state has {self.num_leaves} leaves "
                             f"in {self.num_entries} entries")
        it = iter(leaves)
        return [_pack(t, it) for t in self.templates]

    def nest_columns(self, columns: Mapping[str, Any]) -> Dict[str, Any]:
        """``columns`` with the flat ``state_in_<k>`` / ``state_out_<k>`` leaf columns replaced by
        one nested column per model entry (``state_in_<i>``, ``state_out_<i>``).

        A prefix whose leaf columns are all absent is left out; some present and some absent is
        an error.

        Examples:
            >>> s = StateStructure.of([{"h": 0, "c": 0}])
            >>> cols = s.nest_columns({"obs": 1, "state_in_0": "C", "state_in_1": "H"})
            >>> cols["state_in_0"], sorted(cols)
            ({'h': 'H', 'c': 'C'}, ['obs', 'state_in_0'])
        """
        out = {k: v for k, v in columns.items()
               if not (isinstance(k, str) and k.startswith((Columns.STATE_IN_PREFIX, Columns.STATE_OUT_PREFIX)))}
        for prefix in (Columns.STATE_IN_PREFIX, Columns.STATE_OUT_PREFIX):
            names = [f"{prefix}{k}" for k in range(self.num_leaves)]
            present = [n in columns for n in names]
            if not any(present):
                continue
            if not all(present):
                missing = [n for n, p in zip(names, present) if not p]
                raise ValueError(f"batch has some {prefix}* leaf columns of the model's nested state but not "
                                 f"{missing}; expected all {self.num_leaves} ({prefix}0..{prefix}{self.num_leaves - 1})")
            for i, entry in enumerate(self.nest([columns[n] for n in names])):
                out[f"{prefix}{i}"] = entry
        return out

    def leaf_columns(self, keys: Iterable[Any]) -> Set[Any]:
        """``keys`` with each model-level ``state_in_<i>`` / ``state_out_<i>`` replaced by its leaf
        columns (which columns to keep when the loss read model-level ones).

        Examples:
            >>> s = StateStructure.of([np.zeros(1), (np.zeros(1), np.zeros(1))])
            >>> sorted(s.leaf_columns({"obs", "state_in_1"}))
            ['obs', 'state_in_1', 'state_in_2']
        """
        out: Set[Any] = set()
        for key in keys:
            prefix = next((p for p in (Columns.STATE_IN_PREFIX, Columns.STATE_OUT_PREFIX)
                           if isinstance(key, str) and key.startswith(p)), None)
            index = key[len(prefix):] if prefix else ""
            if prefix is None or not index.isdigit() or int(index) >= self.num_entries:
                out.add(key)
                continue
            start, stop = self._ranges[int(index)]
            out.update(f"{prefix}{k}" for k in range(start, stop))
        return out

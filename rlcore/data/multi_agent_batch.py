"""MultiAgentBatch: experience of several policies over the same environment steps.

It maps policy id -> :class:`~rlcore.data.sample_batch.SampleBatch` and counts environment steps
separately from agent steps: one env step of a two-agent env is two agent steps, so ``count``
(= ``env_steps()``) is at most ``agent_steps()``. This is RLlib's ``MultiAgentBatch`` (1.x API).

Examples:
    >>> from rlcore.data.sample_batch import SampleBatch
    >>> ma = MultiAgentBatch({"p0": SampleBatch({"obs": [1, 2]}), "p1": SampleBatch({"obs": [3]})}, env_steps=2)
    >>> ma.count, ma.env_steps(), ma.agent_steps()
    (2, 2, 3)
    >>> MultiAgentBatch.concat_samples([ma, ma])
    MultiAgentBatch({'p0': 4, 'p1': 2}, env_steps=4)
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from rlcore.data.columns import Columns
from rlcore.data.sample_batch import DEFAULT_POLICY_ID, SampleBatch

__all__ = ["MultiAgentBatch", "DEFAULT_POLICY_ID"]


class MultiAgentBatch:
    """Per-policy SampleBatches collected over ``env_steps`` environment steps.

    Args:
        policy_batches: Mapping of policy id to its SampleBatch (kept, not copied).
        env_steps: Number of environment steps the batches cover.

    Raises:
        TypeError: If ``policy_batches`` is not a mapping of SampleBatches.
        ValueError: If ``env_steps`` is not a non-negative int.

    Examples:
        >>> ma = MultiAgentBatch({"a": SampleBatch({"t": [0]})}, 1)
        >>> ma.policy_batches["a"].count
        1
        >>> MultiAgentBatch({"a": {"t": [0]}}, 1)
        Traceback (most recent call last):
        ...
        TypeError: MultiAgentBatch: policy_batches['a'] must be a SampleBatch, got dict
    """

    def __init__(self, policy_batches: Mapping[Any, SampleBatch], env_steps: int) -> None:
        if type(policy_batches) is dict and type(env_steps) is int and env_steps >= 0:
            for b in policy_batches.values():  # exact types: checked without isinstance against ABCs
                if type(b) is not SampleBatch:
                    break
            else:
                self.policy_batches = policy_batches
                self.count = env_steps
                return
        if not isinstance(policy_batches, Mapping):
            raise TypeError(
                f"MultiAgentBatch: policy_batches must be a mapping of policy id to SampleBatch, "
                f"got {type(policy_batches).__name__}"
            )
        for pid, b in policy_batches.items():
            if not isinstance(b, SampleBatch):
                raise TypeError(f"MultiAgentBatch: policy_batches[{pid!r}] must be a SampleBatch, got {type(b).__name__}")
        if isinstance(env_steps, bool) or not isinstance(env_steps, (int, np.integer)) or env_steps < 0:
            raise ValueError(f"MultiAgentBatch: env_steps must be a non-negative int, got {env_steps!r}")
        self.policy_batches = policy_batches
        self.count = int(env_steps)

    def env_steps(self) -> int:
        """Environment steps covered (``count``).

        Examples:
            >>> MultiAgentBatch({}, 5).env_steps()
            5
        """
        return self.count

    def agent_steps(self) -> int:
        """Agent steps: the sum of the policy batches' counts.

        Examples:
            >>> MultiAgentBatch({"a": SampleBatch({"x": [1, 2]}), "b": SampleBatch({"x": [3]})}, 2).agent_steps()
            3
        """
        return sum(b.count for b in self.policy_batches.values())

    def __repr__(self) -> str:
        return f"MultiAgentBatch({ {k: b.count for k, b in self.policy_batches.items()} }, env_steps={self.count})"

    __str__ = __repr__

    def as_multi_agent(self) -> MultiAgentBatch:
        """Itself (so code can call ``as_multi_agent()`` on any batch).

        Examples:
            >>> ma = MultiAgentBatch({}, 0); ma.as_multi_agent() is ma
            True
        """
        return self

    @staticmethod
    def wrap_as_needed(policy_batches: Mapping[Any, SampleBatch], env_steps: int) -> SampleBatch | MultiAgentBatch:
        """The plain SampleBatch if the only policy is ``DEFAULT_POLICY_ID``, else a MultiAgentBatch.

        Examples:
            >>> b = SampleBatch({"x": [1]})
            >>> MultiAgentBatch.wrap_as_needed({DEFAULT_POLICY_ID: b}, 1) is b
            True
            >>> MultiAgentBatch.wrap_as_needed({"p": b}, 1)
            MultiAgentBatch({'p': 1}, env_steps=1)
        """
        if len(policy_batches) == 1 and DEFAULT_POLICY_ID in policy_batches:
            return policy_batches[DEFAULT_POLICY_ID]
        return MultiAgentBatch(policy_batches, env_steps)

    @staticmethod
    def concat_samples(samples: Sequence[MultiAgentBatch]) -> MultiAgentBatch:
        """Concatenates per policy (``SampleBatch.concat_samples``) and sums the env steps.

        A policy missing from some batches gets the rows of the batches that have it.

        Raises:
            ValueError: If an element is not a MultiAgentBatch (its index is named), or a policy's
                batches cannot be concatenated (the policy id is named).

        Examples:
            >>> ma = MultiAgentBatch({"p": SampleBatch({"x": [1]})}, 1)
            >>> MultiAgentBatch.concat_samples([ma, MultiAgentBatch({"q": SampleBatch({"x": [2]})}, 3)])
            MultiAgentBatch({'p': 1, 'q': 1}, env_steps=4)
            >>> MultiAgentBatch.concat_samples([ma, SampleBatch({"x": [1]})])
            Traceback (most recent call last):
            ...
            ValueError: MultiAgentBatch.concat_samples: element 1 is a SampleBatch, not a MultiAgentBatch; use SampleBatch.as_multi_agent() first
        """
        per_policy: dict[Any, list[SampleBatch]] = {}
        env_steps = 0
        for i, s in enumerate(samples):
            if not isinstance(s, MultiAgentBatch):
                raise ValueError(
                    f"MultiAgentBatch.concat_samples: element {i} is a {type(s).__name__}, not a MultiAgentBatch; "
                    "use SampleBatch.as_multi_agent() first"
                )
            for pid, b in s.policy_batches.items():
                per_policy.setdefault(pid, []).append(b)
            env_steps += s.count
        out = {}
        for pid, batches in per_policy.items():
            try:
                out[pid] = SampleBatch.concat_samples(batches)
            except ValueError as err:
                raise ValueError(f"MultiAgentBatch.concat_samples: policy {pid!r}: {err}") from err
        return MultiAgentBatch(out, env_steps)

    def copy(self) -> MultiAgentBatch:
        """A deep copy (every policy batch copied).

        Examples:
            >>> ma = MultiAgentBatch({"p": SampleBatch({"x": [1]})}, 1)
            >>> ma.copy().policy_batches["p"]["x"] is ma.policy_batches["p"]["x"]
            False
        """
        return MultiAgentBatch({k: b.copy() for k, b in self.policy_batches.items()}, self.count)

    def size_bytes(self) -> int:
        """Sum of the policy batches' ``size_bytes()``.

        Examples:
            >>> MultiAgentBatch({"p": SampleBatch({"x": np.zeros(3)})}, 3).size_bytes()
            24
        """
        return sum(b.size_bytes() for b in self.policy_batches.values())

    def timeslices(self, k: int) -> list[MultiAgentBatch]:
        """Slices of ``k`` environment steps each, for lockstep replay.

        Rows of all policies are ordered by ``(eps_id, t, agent_index, policy)``; each distinct
        ``(eps_id, t)`` is one env step, and every slice holds the rows of ``k`` consecutive env
        steps (the last may hold fewer). Every policy batch needs ``eps_id`` and ``t`` columns.

        Examples:
            >>> p0 = SampleBatch({"eps_id": [0, 0, 0], "t": [0, 1, 2], "x": [1, 2, 3]})
            >>> p1 = SampleBatch({"eps_id": [0, 0], "t": [0, 2], "x": [4, 5]})
            >>> [(s.count, {k: b["x"].tolist() for k, b in s.policy_batches.items()})
            ...  for s in MultiAgentBatch({"p0": p0, "p1": p1}, 3).timeslices(2)]
            [(2, {'p0': [1, 2], 'p1': [4]}), (1, {'p0': [3], 'p1': [5]})]
        """
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k <= 0:
            raise ValueError(f"MultiAgentBatch.timeslices: k must be a positive int, got {k!r}")
        pids = list(self.policy_batches)
        eps, ts, agent, pol, row = [], [], [], [], []
        for j, pid in enumerate(pids):
            b = self.policy_batches[pid]
            if b.count == 0:
                continue
            for col in (Columns.EPS_ID, Columns.T):
                if col not in b:
                    raise ValueError(f"MultiAgentBatch.timeslices: policy {pid!r} has no {col!r} column")
            if Columns.SEQ_LENS in b:
                raise ValueError(f"MultiAgentBatch.timeslices: policy {pid!r} has 'seq_lens'; RNN batches cannot be timesliced")
            n = b.count
            eps.append(np.asarray(b[Columns.EPS_ID]))
            ts.append(np.asarray(b[Columns.T]))
            agent.append(np.asarray(b[Columns.AGENT_INDEX]) if Columns.AGENT_INDEX in b else np.zeros(n, np.int64))
            pol.append(np.full(n, j))
            row.append(np.arange(n))
        if not eps:
            return []
        eps_a, t_a, ag_a, pol_a, row_a = (np.concatenate(x) for x in (eps, ts, agent, pol, row))
        order = np.lexsort((row_a, pol_a, ag_a, t_a, eps_a))
        eps_s, t_s = eps_a[order], t_a[order]
        new_step = np.ones(order.size, dtype=bool)
        new_step[1:] = (eps_s[1:] != eps_s[:-1]) | (t_s[1:] != t_s[:-1])
        step_id = np.cumsum(new_step) - 1
        n_steps = int(step_id[-1]) + 1
        slice_id = step_id // int(k)
        out = []
        for s in range(-(-n_steps // int(k))):
            sel = order[slice_id == s]
            batches = {}
            for j, pid in enumerate(pids):
                rows = row_a[sel[pol_a[sel] == j]]
                if rows.size:
                    b = self.policy_batches[pid]
                    batches[pid] = b._like({c: (v[rows] if c_rows is not None else v) for c, v, c_rows in _cols(b)})
            out.append(MultiAgentBatch(batches, int(min(k, n_steps - s * k))))
        return out

    def to_bytes(self) -> bytes:
        """Encodes this batch for the wire (:mod:`rlcore.data.codec`).

        Examples:
            >>> ma = MultiAgentBatch({"p": SampleBatch({"x": [1, 2]})}, 2)
            >>> MultiAgentBatch.from_bytes(ma.to_bytes())
            MultiAgentBatch({'p': 2}, env_steps=2)
        """
        from rlcore.data.codec import to_bytes

        return to_bytes(self)

    @staticmethod
    def from_bytes(data: bytes | bytearray | memoryview) -> Any:
        """Decodes what ``to_bytes`` wrote (a MultiAgentBatch or a SampleBatch).

        Examples:
            >>> MultiAgentBatch.from_bytes(MultiAgentBatch({}, 4).to_bytes()).count
            4
        """
        from rlcore.data.codec import from_bytes

        return from_bytes(data)


def _cols(b: SampleBatch):
    """(name, value, rows-or-None) for every column of ``b``."""
    for c, v in b.items():
        shape = getattr(v, "shape", None)
        yield c, v, (None if shape is None or len(shape) == 0 else shape[0])

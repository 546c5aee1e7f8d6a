"""FilterManager: merges the workers' observation-filter buffers into the driver's filters and
pushes the result back (RLlib's ``ray.rllib.utils.filter_manager``), so every observation is
counted exactly once however often filters are synchronized.

Examples:
    >>> FilterManager.synchronize({"p": MeanStdFilter(())}, [])  # no workers: nothing to do
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

from rlcore.sampling.filters import Filter, MeanStdFilter

__all__ = ["FilterManager"]


def _is_actor(worker: Any) -> bool:
    return hasattr(getattr(worker, "get_filters", None), "remote")


class FilterManager:
    """Synchronizes the driver's filters with the workers' (RLlib's ``FilterManager``).

    Workers expose ``get_filters(flush_after=False) -> {policy_id: filter}`` (serializable copies;
    ``flush_after`` clears their buffers) and ``sync_filters({policy_id: filter})``. Workers may be
    Ray actor handles or plain local objects.

    Examples:
        >>> class W:  # a local stand-in for a RolloutWorker
        ...     def __init__(self): self.filters = {"p": MeanStdFilter(())}
        ...     def get_filters(self, flush_after=False):
        ...         out = {k: f.as_serializable() for k, f in self.filters.items()}
        ...         if flush_after:
        ...             for f in self.filters.values(): f.clear_buffer()
        ...         return out
        ...     def sync_filters(self, new):
        ...         for k, f in new.items(): self.filters[k].sync(f)
        >>> w1, w2 = W(), W()
        >>> _ = w1.filters["p"](1.0), w2.filters["p"](3.0)
        >>> local = {"p": MeanStdFilter(())}
        >>> FilterManager.synchronize(local, [w1, w2])
        >>> local["p"].rs.n, float(local["p"].rs.mean), w1.filters["p"].rs.n, w1.filters["p"].buffer.n
        (2, 2.0, 2, 0)
    """

    @staticmethod
    def synchronize(
        local_filters: Mapping[Any, Filter],
        remotes: Sequence[Any],
        update_remote: bool = True,
        timeout_seconds: Optional[float] = 180.0,
    ) -> None:
        """Pulls each worker's buffered changes into ``local_filters`` and pushes the result back.

        For every worker: ``get_filters(flush_after=True)`` (the worker forgets its buffer), then
        ``local.apply_changes(remote, with_buffer=False)`` per policy; then, with ``update_remote``,
        every worker ``sync_filters`` to the merged filters.

        Args:
            local_filters: The driver's filters, by policy id (updated in place).
            remotes: Worker actor handles or local worker objects.
            update_remote: Push the merged filters back to the workers.
            timeout_seconds: Bound on each Ray round trip; ``None`` waits forever.

        A worker actor that fails (dies) while the filters are pulled does not cost the others'
        buffers: theirs, already flushed, are merged into ``local_filters`` before its error is
        raised (nothing is pushed back then; a retry after the caller's recovery pushes).

        Raises:
            TimeoutError: If the workers did not answer within ``timeout_seconds``.
            KeyError: If a worker has no filter for one of the local policy ids.
            ray.exceptions.RayError: A worker actor's failure (after the others' buffers are merged).
        """
        remotes = list(remotes)
        if not remotes:
            return
        actors = [r for r in remotes if _is_actor(r)]
        locals_ = [r for r in remotes if not _is_actor(r)]
        remote_filters = [w.get_filters(flush_after=True) for w in locals_]
        failure = None
        if actors:
            fetched, failure = _get_each([a.get_filters.remote(flush_after=True) for a in actors], timeout_seconds,
                                         "get_filters")
            remote_filters += fetched
        for i, rf in enumerate(remote_filters):
            for k, f in local_filters.items():
                if k not in rf:
                    raise KeyError(f"FilterManager.synchronize: worker {i} has no filter for policy {k!r} (it has {sorted(map(str, rf))})")
                f.apply_changes(rf[k], with_buffer=False)
        if failure is not None:
            raise failure
        if not update_remote:
            return
        copies = {k: v.as_serializable() for k, v in local_filters.items()}
        for w in locals_:
            w.sync_filters({k: v.copy() for k, v in copies.items()})
        if actors:
            import ray

            ref = ray.put(copies)
            _, failure = _get_each([a.sync_filters.remote(ref) for a in actors], timeout_seconds, "sync_filters")
            if failure is not None:
                raise failure


def _get_each(refs: list, timeout_seconds: Optional[float], what: str) -> tuple:
    """``(values of the refs that succeeded, the first failure or None)``, once all have finished."""
    import ray

    _, pending = ray.wait(refs, num_returns=len(refs), timeout=timeout_seconds)
    if pending:
        raise TimeoutError(f"FilterManager.synchronize: {what} on {len(pending)} of {len(refs)} remote worker(s) did "
                           f"not finish within {timeout_seconds} s")
    values, failure = [], None
    for ref in refs:
        try:
            values.append(ray.get(ref, timeout=timeout_seconds))  # finished: returns at once
        except ray.exceptions.RayError as err:
            failure = failure or err
    return values, failure

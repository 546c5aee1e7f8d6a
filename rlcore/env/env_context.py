"""EnvContext: the ``env_config`` dict an env creator receives, plus where the env runs.

An env creator (``register_env(name, creator)``) is called once per sub-env with an
``EnvContext``: a plain ``dict`` holding the user's ``env_config`` entries, carrying as attributes
the rollout worker's index (0 for the local worker), the index of this sub-env inside the
worker's vector (``vector_index``), the number of remote workers, and whether the env runs in its
own Ray actor (``remote``). Creators use these to give each copy its own seed, port or file.
"""

from __future__ import annotations

from typing import Any, Mapping


def _check_index(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"EnvContext {name}={value!r}: expected an int, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"EnvContext {name}={value!r}: expected an int >= 0")
    return value


class EnvContext(dict):
    """The ``env_config`` dict plus ``worker_index``, ``vector_index``, ``num_workers``, ``remote``.

    Args:
        env_config: The user's env config (copied; any mapping, or None for empty).
        worker_index: Index of the rollout worker: 0 for the local worker, 1..n for remote ones.
        vector_index: Index of this sub-env within the worker's ``num_envs`` envs.
        remote: Whether the env runs in its own Ray actor (``remote_worker_envs``).
        num_workers: Number of remote rollout workers of the worker set.

    Examples:
        >>> ctx = EnvContext({"size": 3}, worker_index=1, num_workers=2)
        >>> ctx["size"], ctx.worker_index, ctx.vector_index, ctx.num_workers, ctx.remote
        (3, 1, 0, 2, False)
        >>> c2 = ctx.copy_with_overrides(vector_index=5)
        >>> c2.vector_index, c2.worker_index, dict(c2)
        (5, 1, {'size': 3})
        >>> isinstance(c2, dict)
        True
    """

    def __init__(
        self,
        env_config: Mapping[str, Any] | None = None,
        worker_index: int = 0,
        vector_index: int = 0,
        remote: bool = False,
        num_workers: int = 0,
    ) -> None:
        if env_config is None:
            env_config = {}
        if not isinstance(env_config, Mapping):
            raise TypeError(
                f"EnvContext env_config={env_config!r}: expected a dict (mapping), "
                f"got {type(env_config).__name__}"
            )
        super().__init__(env_config)
        self.worker_index = _check_index("worker_index", worker_index)
        self.vector_index = _check_index("vector_index", vector_index)
        self.num_workers = _check_index("num_workers", num_workers)
        self.remote = bool(remote)

    def copy_with_overrides(
        self,
        env_config: Mapping[str, Any] | None = None,
        worker_index: int | None = None,
        vector_index: int | None = None,
        remote: bool | None = None,
        num_workers: int | None = None,
    ) -> EnvContext:
        """Returns a copy with the given fields replaced (None keeps the current value).

        Args:
            env_config: A new config dict replacing (not updating) this one's entries.
            worker_index: New worker index.
            vector_index: New vector index.
            remote: New remote flag.
            num_workers: New number of workers.

        Returns:
            A new ``EnvContext``; this one is unchanged.

        Examples:
            >>> EnvContext({"a": 1}).copy_with_overrides(env_config={"b": 2}, remote=True).remote
            True
        """
        return EnvContext(
            dict(self) if env_config is None else env_config,
            worker_index=self.worker_index if worker_index is None else worker_index,
            vector_index=self.vector_index if vector_index is None else vector_index,
            remote=self.remote if remote is None else remote,
            num_workers=self.num_workers if num_workers is None else num_workers,
        )

    def __repr__(self) -> str:
        return (
            f"EnvContext({dict.__repr__(self)}, worker_index={self.worker_index}, "
            f"vector_index={self.vector_index}, num_workers={self.num_workers}, remote={self.remote})"
        )

    def __reduce__(self):
        return (
            EnvContext,
            (dict(self), self.worker_index, self.vector_index, self.remote, self.num_workers),
        )

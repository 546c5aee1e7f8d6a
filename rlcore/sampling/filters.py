"""Observation filters: stateful per-policy transforms of observations, synced across workers.

A filter sees every observation a worker feeds its policy. :class:`NoFilter` passes them
through; :class:`MeanStdFilter` standardizes them with running statistics (RLlib's
``observation_filter: "MeanStdFilter"``). Each worker keeps two :class:`RunningStat`\\ s per
filter: ``rs``, the statistics it normalizes with, and ``buffer``, only what it pushed since the
last :meth:`MeanStdFilter.clear_buffer`. :class:`~rlcore.sampling.filter_manager.FilterManager` merges the workers' buffers into
the driver's filters and pushes the result back (RLlib semantics), so every observation is
counted exactly once however often filters are synchronized.

Filters take a single observation or a batch ``[N, *shape]`` (the sampler's vector step) and
push a batch in a constant number of numpy operations (the parallel-variance merge of Chan et
al.), never a Python loop over rows.

Examples:
    >>> import numpy as np
    >>> f = MeanStdFilter((2,))
    >>> out = f(np.array([[1.0, 10.0], [3.0, 30.0]]))
    >>> f.rs.n, f.rs.mean.tolist(), f.buffer.n
    (2, [2.0, 20.0], 2)
    >>> np.round(out, 3).tolist()
    [[-0.707, -0.707], [0.707, 0.707]]
    >>> get_filter("NoFilter", (2,))(np.array([1.0, 2.0])).tolist()
    [1.0, 2.0]
"""

from __future__ import annotations

import difflib
import threading
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

__all__ = [
    "Filter",
    "NoFilter",
    "RunningStat",
    "MeanStdFilter",
    "ConcurrentMeanStdFilter",
    "get_filter",
    "SMALL_NUMBER",
]

#: Added to the standard deviation before dividing (RLlib's ``SMALL_NUMBER``).
SMALL_NUMBER = 1e-6

ShapeLike = Union[None, int, Sequence[int]]


def _as_shape(shape: ShapeLike, what: str = "shape") -> Optional[Tuple[int, ...]]:
    if shape is None:
        return None
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    try:
        out = tuple(int(s) for s in shape)
    except TypeError:
        raise TypeError(f"{what} must be None, an int or a sequence of ints, got {shape!r}") from None
    if any(s < 0 for s in out):
        raise ValueError(f"{what} must have non-negative dimensions, got {out}")
    return out


def _moments(x: np.ndarray, ndim: int) -> Tuple[int, np.ndarray, Optional[np.ndarray]]:
    """``(n, mean, sum of squared deviations)`` of one array (``ndim`` dims) or a batch of them."""
    if x.ndim == ndim:
        return 1, x, None
    n = x.shape[0]
    if n == 0:
        return 0, x, None
    mean = x.mean(axis=0)
    dev = x - mean
    return n, mean, np.einsum("i...,i...->...", dev, dev)


class RunningStat:
    """Running count, mean and sum of squared deviations (Welford) of arrays of one ``shape``.

    ``push`` takes one array of ``shape`` or a batch ``[N, *shape]`` and merges the batch's own
    moments in O(1) numpy operations. ``var`` is the sample variance (``ddof=1``); with a single
    sample it is ``mean ** 2``, as in RLlib.

    Args:
        shape: Shape of one pushed array (``()`` for scalars).

    Examples:
        >>> import numpy as np
        >>> rs = RunningStat(())
        >>> rs.push(np.array([1.0, 2.0, 3.0, 4.0]))   # a batch of four scalars
        >>> rs.push(5.0)                                # one scalar
        >>> rs.n, float(rs.mean), round(float(rs.var), 6)
        (5, 3.0, 2.5)
    """

    def __init__(self, shape: ShapeLike = ()):
        shape = _as_shape(() if shape is None else shape)
        self._n = 0
        self._M = np.zeros(shape, dtype=np.float64)
        self._S = np.zeros(shape, dtype=np.float64)

    @property
    def n(self) -> int:
        """Number of arrays pushed."""
        return self._n

    @property
    def mean(self) -> np.ndarray:
        """Element-wise mean of the pushed arrays."""
        return self._M

    @property
    def var(self) -> np.ndarray:
        """Element-wise sample variance (``ddof=1``); ``mean ** 2`` while ``n <= 1`` (RLlib)."""
        return self._S / (self._n - 1) if self._n > 1 else np.square(self._M)

    @property
    def std(self) -> np.ndarray:
        """Square root of :attr:`var`."""
        return np.sqrt(self.var)

    @property
    def shape(self) -> Tuple[int, ...]:
        """Shape of one pushed array."""
        return self._M.shape

    def push(self, x: Any) -> None:
        """Adds one array of :attr:`shape`, or a batch ``[N, *shape]`` of them.

        Raises:
            ValueError: If ``x`` is neither of :attr:`shape` nor a batch of it.
        """
        x = np.asarray(x, dtype=np.float64)
        if x.shape != self._M.shape and not (x.ndim == self._M.ndim + 1 and x.shape[1:] == self._M.shape):
            raise ValueError(
                f"RunningStat.push: expected an array of shape {self._M.shape} or a batch "
                f"[N, {', '.join(map(str, self._M.shape))}], got shape {x.shape}"
            )
        self._merge(*_moments(x, self._M.ndim))

    def _merge(self, n_b: int, mean_b: np.ndarray, s_b: Optional[np.ndarray]) -> None:
        if n_b == 0:
            return
        n_a = self._n
        n = n_a + n_b
        delta = mean_b - self._M
        self._M = self._M + delta * (n_b / n)
        s_new = self._S + delta * delta * (n_a * n_b / n)
        if s_b is not None:
            s_new = s_new + s_b
        self._S = s_new
        self._n = n

    def update(self, other: "RunningStat") -> None:
        """Merges the statistics of ``other`` into these (the parallel-variance formula).

        Raises:
            ValueError: If the shapes differ.
        """
        if other.shape != self.shape:
            raise ValueError(f"RunningStat.update: shape {other.shape} does not match {self.shape}")
        if other._n == 0:
            return
        self._merge(other._n, other._M, other._S)

    def copy(self) -> "RunningStat":
        """An independent copy."""
        out = RunningStat(self.shape)
        out._n, out._M, out._S = self._n, self._M.copy(), self._S.copy()
        return out

    def get_state(self) -> Dict[str, Any]:
        """Plain state: ``{"n": int, "mean": ndarray, "sum_sq": ndarray}``."""
        return {"n": int(self._n), "mean": self._M.copy(), "sum_sq": self._S.copy()}

    def set_state(self, state: Mapping[str, Any]) -> None:
        """Restores :meth:`get_state` output.

        Raises:
            ValueError: If a key is missing or the arrays do not have the same shape.
        """
        missing = {"n", "mean", "sum_sq"} - set(state)
        if missing:
            raise ValueError(f"RunningStat state is missing {sorted(missing)}; got keys {sorted(state)}")
        mean = np.array(state["mean"], dtype=np.float64)
        s = np.array(state["sum_sq"], dtype=np.float64)
        if mean.shape != s.shape:
            raise ValueError(f"RunningStat state: mean shape {mean.shape} != sum_sq shape {s.shape}")
        self._n, self._M, self._S = int(state["n"]), mean, s

    def __repr__(self) -> str:
        return "(n={}, mean_mean={}, mean_std={})".format(self.n, np.mean(self.mean), np.mean(self.std))


class Filter:
    """Processes observations, possibly statefully (RLlib's ``Filter`` API).

    ``__call__(x, update=True)`` returns the filtered ``x``; the other methods let workers
    exchange state. ``is_concurrent`` says whether the filter may be called from several threads.
    """

    is_concurrent = False

    def __call__(self, x: Any, update: bool = True) -> Any:
        raise NotImplementedError

    def apply_changes(self, other: "Filter", *args: Any, **kwargs: Any) -> None:
        """Updates ``self`` with the new state (the buffer) of ``other``."""
        raise NotImplementedError

    def copy(self) -> "Filter":
        """A new filter with the same state."""
        raise NotImplementedError

    def sync(self, other: "Filter") -> None:
        """Copies all state of ``other`` into ``self``."""
        raise NotImplementedError

    def clear_buffer(self) -> None:
        """Forgets what was pushed since the last clear (the running statistics stay)."""
        raise NotImplementedError

    def reset_buffer(self) -> None:
        """Later RLlib's name for :meth:`clear_buffer`."""
        self.clear_buffer()

    def as_serializable(self) -> "Filter":
        """A copy safe to send to another process."""
        raise NotImplementedError

    def get_state(self) -> Dict[str, Any]:
        """Plain state (str, ints, floats, numpy arrays) for checkpoints; see :meth:`from_state`."""
        raise NotImplementedError

    def set_state(self, state: Mapping[str, Any]) -> None:
        """Restores :meth:`get_state` output into this filter."""
        raise NotImplementedError

    @staticmethod
    def from_state(state: Mapping[str, Any]) -> "Filter":
        """Rebuilds a filter of the recorded ``type`` from :meth:`get_state` output.

        Examples:
            >>> f = MeanStdFilter((3,), clip=5.0)
            >>> f([1.0, 2.0, 3.0])
            array([0., 0., 0.])
            >>> g = Filter.from_state(f.get_state())
            >>> type(g).__name__, g.rs.n, g.clip
            ('MeanStdFilter', 1, 5.0)
        """
        kind = state.get("type") if isinstance(state, Mapping) else None
        cls = _FILTER_CLASSES.get(kind) if isinstance(kind, str) else None
        if cls is None:
            raise ValueError(f"filter state 'type' must be one of {sorted(_FILTER_CLASSES)}, got {kind!r}")
        return cls._from_state(state)


class NoFilter(Filter):
    """The identity filter (RLlib's default ``observation_filter``).

    Examples:
        >>> NoFilter()([1, 2]).tolist()
        [1, 2]
    """

    is_concurrent = True

    def __call__(self, x: Any, update: bool = True) -> Any:
        if isinstance(x, (np.ndarray, dict, tuple)):
            return x
        try:
            return np.asarray(x)
        except Exception as e:  # ragged lists and the like
            raise ValueError(f"NoFilter: cannot convert {type(x).__name__} {x!r:.80} to an array") from e

    def apply_changes(self, other: "Filter", *args: Any, **kwargs: Any) -> None:
        pass

    def copy(self) -> "NoFilter":
        return self

    def sync(self, other: "Filter") -> None:
        pass

    def clear_buffer(self) -> None:
        pass

    def as_serializable(self) -> "NoFilter":
        return self

    def get_state(self) -> Dict[str, Any]:
        return {"type": "NoFilter"}

    def set_state(self, state: Mapping[str, Any]) -> None:
        pass

    @classmethod
    def _from_state(cls, state: Mapping[str, Any]) -> "NoFilter":
        return cls()

    def __repr__(self) -> str:
        return "NoFilter()"


class MeanStdFilter(Filter):
    """Standardizes observations with running mean and standard deviation, then clips.

    ``y = clip((x - mean) / (std + SMALL_NUMBER), -clip, clip)``, where the statistics include
    ``x`` itself when ``update=True``. Floating inputs keep their dtype; integer or bool inputs
    come out as ``float32`` (RLlib cast them back to the integer dtype, truncating the result).

    Args:
        shape: Shape of one observation; ``None`` makes the filter a pass-through (discrete
            observations). Nested (dict/tuple) shapes are not supported.
        demean: Subtract the running mean.
        destd: Divide by the running standard deviation.
        clip: Clip to ``[-clip, clip]``; ``None`` or ``0`` disables clipping.

    Examples:
        >>> import numpy as np
        >>> f = MeanStdFilter(())
        >>> f(1.0), f(3.0)
        (array(0.), array(0.70710628))
        >>> f(np.array([100.0]), update=False)   # a batch of one, clipped; the stats stay
        array([10.])
        >>> f.rs.n
        2
    """

    is_concurrent = False

    def __init__(self, shape: ShapeLike, demean: bool = True, destd: bool = True, clip: Optional[float] = 10.0):
        self.shape = _as_shape(shape)
        if clip is not None and not isinstance(clip, (int, float, np.number)):
            raise TypeError(f"MeanStdFilter clip must be a number or None, got {clip!r}")
        if clip is not None and clip < 0:
            raise ValueError(f"MeanStdFilter clip must be >= 0 (0 or None: no clipping), got {clip!r}")
        self.demean = bool(demean)
        self.destd = bool(destd)
        self.clip = None if clip is None else float(clip)
        self.rs = RunningStat(self.shape or ())
        self.buffer = RunningStat(self.shape or ())

    def clear_buffer(self) -> None:
        self.buffer = RunningStat(self.shape or ())

    def apply_changes(self, other: "MeanStdFilter", with_buffer: bool = False, *args: Any, **kwargs: Any) -> None:
        """Merges ``other.buffer`` into ``self.rs``; with ``with_buffer`` also takes that buffer.

        Examples:
            >>> a = MeanStdFilter(())
            >>> _ = a(1.0), a(2.0)
            >>> b = MeanStdFilter(())
            >>> _ = b(10.0)
            >>> a.apply_changes(b, with_buffer=False)
            >>> a.rs.n, round(float(a.rs.mean), 4), a.buffer.n
            (3, 4.3333, 2)
            >>> a.apply_changes(b, with_buffer=True)
            >>> a.rs.n, float(a.rs.mean), a.buffer.n
            (4, 5.75, 1)
        """
        self._check_peer(other, "apply_changes")
        self.rs.update(other.buffer)
        if with_buffer:
            self.buffer = other.buffer.copy()

    def copy(self) -> "MeanStdFilter":
        other = type(self)(self.shape, self.demean, self.destd, self.clip)
        other.sync(self)
        return other

    def as_serializable(self) -> "MeanStdFilter":
        return self.copy()

    def sync(self, other: "MeanStdFilter") -> None:
        """Copies ``other``'s settings, running statistics and buffer.

        Examples:
            >>> a, b = MeanStdFilter(()), MeanStdFilter(())
            >>> _ = a(1.0), a(2.0), b(10.0)
            >>> a.sync(b)
            >>> a.rs.n, float(a.rs.mean), a.buffer.n
            (1, 10.0, 1)
        """
        self._check_peer(other, "sync")
        self.demean, self.destd, self.clip = other.demean, other.destd, other.clip
        self.rs = other.rs.copy()
        self.buffer = other.buffer.copy()

    def _check_peer(self, other: Any, op: str) -> None:
        if not isinstance(other, MeanStdFilter):
            raise TypeError(f"MeanStdFilter.{op}: expected a MeanStdFilter, got {type(other).__name__}")
        if other.shape != self.shape:
            raise ValueError(f"MeanStdFilter.{op}: other filter has shape {other.shape}, this one {self.shape}")

    def __call__(self, x: Any, update: bool = True) -> Any:
        x = np.asarray(x)
        if self.shape is None:
            return x
        if x.shape != self.shape and not (x.ndim == len(self.shape) + 1 and x.shape[1:] == self.shape):
            raise ValueError(
                f"MeanStdFilter: expected an observation of shape {self.shape} or a batch "
                f"[N, {', '.join(map(str, self.shape))}], got shape {x.shape}"
            )
        out_dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.dtype(np.float32)
        x64 = x.astype(np.float64, copy=False)
        if update:
            moments = _moments(x64, len(self.shape))
            self.rs._merge(*moments)
            self.buffer._merge(*moments)
        # A fresh float64 array, transformed in place (the input is never written).
        y = np.empty(x64.shape, dtype=np.float64)
        if self.demean:
            np.subtract(x64, self.rs.mean, out=y)
        else:
            np.copyto(y, x64)
        if self.destd:
            rs = self.rs
            var = rs._S / (rs._n - 1) if rs._n > 1 else np.square(rs._M)
            np.divide(y, np.sqrt(var) + SMALL_NUMBER, out=y)
        if self.clip:
            np.clip(y, -self.clip, self.clip, out=y)
        return y.astype(out_dtype, copy=False)

    def get_state(self) -> Dict[str, Any]:
        return {
            "type": type(self).__name__,
            "shape": None if self.shape is None else list(self.shape),
            "demean": self.demean,
            "destd": self.destd,
            "clip": self.clip,
            "rs": self.rs.get_state(),
            "buffer": self.buffer.get_state(),
        }

    def set_state(self, state: Mapping[str, Any]) -> None:
        missing = {"shape", "demean", "destd", "clip", "rs", "buffer"} - set(state)
        if missing:
            raise ValueError(f"{type(self).__name__} state is missing {sorted(missing)}; got keys {sorted(state)}")
        shape = _as_shape(state["shape"], "state['shape']")
        if shape != self.shape:
            raise ValueError(f"{type(self).__name__}.set_state: state shape {shape} != filter shape {self.shape}")
        self.demean, self.destd = bool(state["demean"]), bool(state["destd"])
        self.clip = None if state["clip"] is None else float(state["clip"])
        self.rs.set_state(state["rs"])
        self.buffer.set_state(state["buffer"])

    @classmethod
    def _from_state(cls, state: Mapping[str, Any]) -> "MeanStdFilter":
        f = cls(state.get("shape"))
        f.set_state(state)
        return f

    def __repr__(self) -> str:
        return "{}({}, {}, {}, {}, {}, {})".format(
            type(self).__name__, self.shape, self.demean, self.destd, self.clip, self.rs, self.buffer
        )


class ConcurrentMeanStdFilter(MeanStdFilter):
    """A :class:`MeanStdFilter` whose operations hold a lock (for ``sample_async`` threads).

    Pickling drops the lock and the copy gets a new one; :meth:`as_serializable` returns a
    plain :class:`MeanStdFilter`, as in RLlib.

    Examples:
        >>> f = ConcurrentMeanStdFilter((2,))
        >>> f([[1.0, 2.0], [3.0, 4.0]]).shape, f.is_concurrent
        ((2, 2), True)
        >>> type(f.as_serializable()).__name__
        'MeanStdFilter'
    """

    is_concurrent = True

    def __init__(self, *args: Any, **kwargs: Any):
        self._lock = threading.RLock()
        super().__init__(*args, **kwargs)

    def __call__(self, x: Any, update: bool = True) -> Any:
        with self._lock:
            return super().__call__(x, update)

    def apply_changes(self, other: "MeanStdFilter", with_buffer: bool = False, *args: Any, **kwargs: Any) -> None:
        with self._lock:
            super().apply_changes(other, with_buffer)

    def sync(self, other: "MeanStdFilter") -> None:
        with self._lock:
            super().sync(other)

    def clear_buffer(self) -> None:
        with self._lock:
            super().clear_buffer()

    def copy(self) -> "ConcurrentMeanStdFilter":
        with self._lock:
            return super().copy()

    def as_serializable(self) -> MeanStdFilter:
        with self._lock:
            other = MeanStdFilter(self.shape, self.demean, self.destd, self.clip)
            other.sync(self)
            return other

    def get_state(self) -> Dict[str, Any]:
        with self._lock:
            return super().get_state()

    def set_state(self, state: Mapping[str, Any]) -> None:
        with self._lock:
            super().set_state(state)

    def __getstate__(self) -> Dict[str, Any]:
        d = dict(self.__dict__)
        d.pop("_lock", None)
        return d

    def __setstate__(self, d: Dict[str, Any]) -> None:
        self.__dict__.update(d)
        self._lock = threading.RLock()


_FILTER_CLASSES: Dict[str, Any] = {
    "NoFilter": NoFilter,
    "MeanStdFilter": MeanStdFilter,
    "ConcurrentMeanStdFilter": ConcurrentMeanStdFilter,
}


def get_filter(filter_config: Union[str, Callable[[Any], Filter]], shape: ShapeLike) -> Filter:
    """Makes the filter named by ``observation_filter`` for observations of ``shape``.

    ``"MeanStdFilter"`` and ``"ConcurrentMeanStdFilter"`` are made with ``clip=None`` (as RLlib's
    ``get_filter``); a class or any callable is called as ``filter_config(shape)``.

    Raises:
        ValueError: For an unknown name (naming the closest valid one).
        TypeError: For anything that is neither a name nor callable.

    Examples:
        >>> get_filter("MeanStdFilter", (4,))
        MeanStdFilter((4,), True, True, None, (n=0, mean_mean=0.0, mean_std=0.0), (n=0, mean_mean=0.0, mean_std=0.0))
        >>> get_filter("MeanStd", (4,))
        Traceback (most recent call last):
        ...
        ValueError: unknown observation_filter 'MeanStd': expected one of ['ConcurrentMeanStdFilter', 'MeanStdFilter', 'NoFilter'] or a Filter class (did you mean 'MeanStdFilter'?)
    """
    if isinstance(filter_config, str):
        if filter_config == "NoFilter":
            return NoFilter()
        if filter_config in ("MeanStdFilter", "ConcurrentMeanStdFilter"):
            return _FILTER_CLASSES[filter_config](shape, clip=None)
        close = difflib.get_close_matches(filter_config, list(_FILTER_CLASSES), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(
            f"unknown observation_filter {filter_config!r}: expected one of {sorted(_FILTER_CLASSES)} "
            f"or a Filter class{hint}"
        )
    if callable(filter_config):
        return filter_config(shape)
    raise TypeError(
        f"observation_filter must be a filter name or a Filter class, got {type(filter_config).__name__} {filter_config!r}"
    )

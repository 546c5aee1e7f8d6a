"""Pure-numpy twin of every function and class of the compiled core ``rlcore._core``.

Same names, signatures, results and errors as the native module (``rlcore/_core.pyi``). It is the
readable specification of each kernel and the oracle of the parity tests; ``RLCORE_PUREPYTHON=1``
makes it the live implementation. Clarity beats speed here: loops stay loops.

Each twin states *what* its kernel computes, never *how* the kernel computes it: no block scans,
unrolled groups or tree descents copied from ``csrc/``, so a slip in the native code cannot be
mirrored here. Floating-point results therefore agree with the native ones to rounding, not bit
for bit; indices and flags agree exactly.

Examples:
    >>> import numpy as np
    >>> from rlcore import _reference as ref
    >>> ref.discount_cumsum(np.array([1, 1, 1], np.float32), 0.5)
    array([1.75, 1.5 , 1.  ], dtype=float32)
"""

from __future__ import annotations

import math
import numpy as np

from rlcore._checks import (
    COLLECTOR_COLUMNS,
    JSON_MAX_DEPTH,
    _array,
    _categorical_logp_args,
    _collector_args,
    _collector_spec,
    _distinct_env_ids,
    _env_ids,
    _extras_list,
    _f32,
    _flags,
    _ppo_shapes,
    _rows,
    _segments,
    json_numbers,
)


# --- return kernels -------------------------------------------------------------------------------


def discount_cumsum(x: np.ndarray, gamma: float) -> np.ndarray:
    """``y[t] = x[t] + gamma * y[t+1]`` computed backwards over a float32 array."""
    x = _f32("x", x)
    out = np.empty_like(x)
    acc = 0.0
    for t in range(len(x) - 1, -1, -1):
        acc = float(x[t]) + gamma * acc
        out[t] = acc
    return out


def compute_gae(rewards, values, terminateds, seg_lens, bootstrap_values, gamma, lambda_):
    """GAE per segment; see ``rlcore/_core.pyi``."""
    rewards = _f32("rewards", rewards)
    n = len(rewards)
    values = _f32("values", values, n)
    terminateds = _flags("terminateds", terminateds, n)
    seg_lens = _segments(seg_lens, n)
    bootstrap_values = _f32("bootstrap_values", bootstrap_values)
    if len(bootstrap_values) != len(seg_lens):
        raise ValueError(
            f"bootstrap_values has {len(bootstrap_values)} entries, expected {len(seg_lens)} (one per segment)"
        )
    adv = np.empty(n, np.float32)
    end = n
    for s in range(len(seg_lens) - 1, -1, -1):
        start = end - int(seg_lens[s])
        next_value, acc = float(bootstrap_values[s]), 0.0
        for t in range(end - 1, start - 1, -1):
            if terminateds[t]:
                next_value, acc = 0.0, 0.0
            delta = float(rewards[t]) + gamma * next_value - float(values[t])
            acc = delta + gamma * lambda_ * acc
            adv[t] = acc
            next_value = float(values[t])
        end = start
    return adv, adv + values


def vtrace(log_rhos, discounts, rewards, values, bootstrap_value, clip_rho_threshold=1.0, clip_pg_rho_threshold=1.0):
    """V-trace targets, time-major; see ``rlcore/_core.pyi``."""
    log_rhos = _array("log_rhos", log_rhos, (np.dtype(np.float32),), (1, 2))
    shape = log_rhos.shape
    for name, arr in (("discounts", discounts), ("rewards", rewards), ("values", values)):
        _array(name, arr, (np.dtype(np.float32),), (1, 2))
        if arr.shape != shape:
            raise ValueError(f"{name} has shape {arr.shape}, expected {shape} (as log_rhos)")
    bootstrap_value = _array("bootstrap_value", bootstrap_value, (np.dtype(np.float32),))
    if bootstrap_value.size != (shape[1] if len(shape) == 2 else 1):
        raise ValueError(f"bootstrap_value has shape {bootstrap_value.shape}, expected {shape[1:] or (1,)}")
    T, B = shape[0], (shape[1] if len(shape) == 2 else 1)
    val = values.reshape(T, B).astype(np.float64)
    disc = discounts.reshape(T, B).astype(np.float64)
    rew = rewards.reshape(T, B).astype(np.float64)
    boot = bootstrap_value.reshape(B).astype(np.float64)
    rhos = np.exp(log_rhos.reshape(T, B).astype(np.float64))
    rho_clip = math.inf if clip_rho_threshold is None else float(clip_rho_threshold)
    pg_clip = math.inf if clip_pg_rho_threshold is None else float(clip_pg_rho_threshold)
    v_next = np.concatenate([val[1:], boot[None]])  # V(x[t+1]), the bootstrap after the last row
    deltas = np.minimum(rho_clip, rhos) * (rew + disc * v_next - val)
    cs = np.minimum(1.0, rhos)
    # The paper's definition (Espeholt et al. 2018, eq. 1), summed directly rather than recursively:
    # vs[t] = V(x[t]) + sum_{s >= t} (prod_{t <= i < s} disc[i] c[i]) delta[s].
    vs = np.empty_like(val)
    for t in range(T):
        correction, weight = np.zeros(B), np.ones(B)
        for s in range(t, T):
            correction += weight * deltas[s]
            weight = weight * disc[s] * cs[s]
        vs[t] = val[t] + correction
    vs_next = np.concatenate([vs[1:], boot[None]])
    pg = np.minimum(pg_clip, rhos) * (rew + disc * vs_next - val)
    return vs.astype(np.float32).reshape(shape), pg.astype(np.float32).reshape(shape)


def adjust_nstep(n_step, gamma, rewards, terminateds, seg_lens):
    """n-step returns within segments; see ``rlcore/_core.pyi``."""
    if not isinstance(n_step, (int, np.integer)) or isinstance(n_step, bool) or n_step < 1:
        raise ValueError(f"n_step must be an int >= 1, got {n_step!r}")
    rewards = _f32("rewards", rewards)
    n = len(rewards)
    terminateds = _flags("terminateds", terminateds, n)
    seg_lens = _segments(seg_lens, n)
    out_r = np.empty(n, np.float32)
    nxt = np.empty(n, np.int64)
    horizon = np.empty(n, np.int64)
    start = 0
    for length in seg_lens.tolist():
        end = start + length
        for i in range(start, end):
            # steps from row i: n_step, or up to the segment's end, or up to the first terminated row
            h = min(n_step, end - i)
            terminated_ahead = np.flatnonzero(terminateds[i:i + h])
            if len(terminated_ahead):
                h = int(terminated_ahead[0]) + 1
            out_r[i] = sum(gamma**j * float(rewards[i + j]) for j in range(h))
            nxt[i], horizon[i] = i + h - 1, h
        start = end
    return out_r, nxt, terminateds[nxt], horizon


# --- loss kernels ---------------------------------------------------------------------------------


def _min_grad(a, b, da, db):
    """d min(a, b) by torch's rule: the smaller operand's derivative, the half sum on a tie."""
    return np.where(a < b, da, np.where(a > b, db, 0.5 * (da + db)))


def _max_grad(a, b, da, db):
    """d max(a, b) by torch's rule, as ``max(a, b) = -min(-a, -b)``: the larger's, or the half sum."""
    return _min_grad(-a, -b, da, db)


def _clip_grad(x, low, high):
    """d clip(x, low, high) / dx by torch's rule: 1 on the closed range ``[low, high]``, else 0."""
    return ((x >= low) & (x <= high)).astype(np.float64)


def _log_softmax(z):
    """Row log-probabilities ``z - logsumexp(z)`` and probabilities of float64 logits ``[N, K]``."""
    m = z.max(1, keepdims=True)
    logp = z - (m + np.log(np.exp(z - m).sum(1, keepdims=True)))
    return logp, np.exp(logp)


def categorical_logp(logits, actions):
    """Log-probabilities of ``actions`` under the softmax of each row of ``logits``; see ``rlcore/_core.pyi``."""
    _categorical_logp_args(logits, actions)
    n, k = logits.shape
    bad = np.flatnonzero((actions < 0) | (actions >= k))
    if len(bad):
        raise ValueError(f"actions[{bad[0]}] = {actions[bad[0]]} is outside [0, {k}) (the number of logits)")
    z = logits.astype(np.float64)
    m = z.max(1) if n else np.zeros(0)
    return ((z[np.arange(n), actions] - m) - np.log(np.exp(z - m[:, None]).sum(1))).astype(np.float32)


def ppo_categorical_loss(logits, logits_old, actions, logp_old, advantages, values, vf_preds, value_targets,
                         weights, clip_param, kl_coeff, entropy_coeff, vf_loss_coeff, vf_clip_param):
    """PPO's categorical loss, statistics and gradients; see ``rlcore/_core.pyi``.

    The forward pass states each term; the backward pass takes the derivative of a row's loss
    with respect to the log-probabilities, then through ``logp = z - logsumexp(z)``.
    """
    _ppo_shapes(logits, logits_old, actions, logp_old, advantages, values, vf_preds, value_targets, weights)
    n, k = logits.shape
    bad = np.flatnonzero((actions < 0) | (actions >= k))
    if len(bad):
        raise ValueError(f"actions[{bad[0]}] = {actions[bad[0]]} is outside [0, {k}) (the number of logits)")
    w = np.ones(n) / n if weights is None else weights.astype(np.float64)  # 1/n each (none when n = 0)
    rows = np.arange(n)
    logp, p = _log_softmax(logits.astype(np.float64))
    logp_old_all, p_old = _log_softmax(logits_old.astype(np.float64))
    adv = advantages.astype(np.float64)
    low, high = 1.0 - clip_param, 1.0 + clip_param

    # forward (0 log 0 = 0)
    kl = np.where(p_old > 0, p_old * (logp_old_all - logp), 0.0).sum(1)
    entropy = -np.where(p > 0, p * logp, 0.0).sum(1)
    ratio = np.exp(logp[rows, actions] - logp_old.astype(np.float64))
    clipped = np.clip(ratio, low, high)
    surrogate = np.minimum(adv * ratio, adv * clipped)
    per_row = kl_coeff * kl - surrogate - entropy_coeff * entropy

    # backward, first to the log-probabilities: dKL/dlogp = -p_old, dH/dlogp = -p (logp + 1) and
    # d surrogate/dlogp[action] = ratio * d surrogate/d ratio
    d_surrogate = _min_grad(adv * ratio, adv * clipped, adv, adv * _clip_grad(ratio, low, high))
    d_logp = -kl_coeff * p_old + entropy_coeff * np.where(p > 0, p * (logp + 1.0), 0.0)
    d_logp[rows, actions] -= ratio * d_surrogate
    d_logits = d_logp - p * d_logp.sum(1, keepdims=True)  # d logp[i] / d z[j] = [i == j] - p[j]

    stats = np.zeros(6)
    grad_values = None
    if values is not None:
        v, v_old, t = values.astype(np.float64), vf_preds.astype(np.float64), value_targets.astype(np.float64)
        v_clipped = v_old + np.clip(v - v_old, -vf_clip_param, vf_clip_param)
        squares = (v - t) ** 2, (v_clipped - t) ** 2
        vf_loss = np.maximum(*squares)
        d_v = _max_grad(*squares, 2.0 * (v - t), 2.0 * (v_clipped - t) * _clip_grad(v - v_old, -vf_clip_param, vf_clip_param))
        grad_values = (w * vf_loss_coeff * d_v).astype(np.float32)
        per_row = per_row + vf_loss_coeff * vf_loss
        stats[2] = (w * vf_loss).sum()
        if n:
            with np.errstate(divide="ignore", invalid="ignore"):  # 0/0 is NaN and x/0 is -1, as in C
                explained = 1.0 - np.var(t - v) / np.var(t)
            stats[5] = -1.0 if explained < -1.0 else explained
    stats[0] = (w * per_row).sum()
    stats[1] = -(w * surrogate).sum()
    stats[3] = (w * kl).sum()
    stats[4] = (w * entropy).sum()
    return stats, (w[:, None] * d_logits).astype(np.float32), grad_values


# --- replay kernels -------------------------------------------------------------------------------
#
# The native trees keep partial sums / minima in an 8-ary tree (csrc/btree.h) and search it by descent; the twin
# keeps only the leaves and answers every query from them directly, so a slip in the tree logic
# cannot hide behind a twin that shares it.


class _SegmentTree:
    """``capacity`` float64 leaves; every reduction and search reads the leaves themselves."""

    _neutral = 0.0  # an unset leaf and the reduction of no leaves; ``_reduce(leaves)`` is per subclass

    def __init__(self, capacity):
        if not isinstance(capacity, (int, np.integer)) or isinstance(capacity, bool) or capacity < 1:
            raise ValueError(f"capacity must be an int >= 1, got {capacity!r}")
        self._capacity = int(capacity)
        self._leaves = np.full(self._capacity, self._neutral, np.float64)

    @property
    def capacity(self):
        return self._capacity

    def __len__(self):
        return self._capacity

    def _index(self, idx):
        if not isinstance(idx, (int, np.integer)) or isinstance(idx, bool):
            raise TypeError(f"idx must be an int, got {type(idx).__name__}")
        if not 0 <= idx < self._capacity:
            raise IndexError(f"idx {idx} out of range [0, {self._capacity})")
        return int(idx)

    def __getitem__(self, idx):
        return float(self._leaves[self._index(idx)])

    def __setitem__(self, idx, value):
        self.update(np.array([self._index(idx)], np.int64), np.array([value], np.float64))

    def _idxs(self, idxs, name="idxs"):
        idxs = _array(name, idxs, (np.dtype(np.int64),), 1)
        if len(idxs) and (idxs.min() < 0 or idxs.max() >= self._capacity):
            raise IndexError(f"{name} out of range [0, {self._capacity})")
        return idxs

    def update(self, idxs, values):
        idxs = self._idxs(idxs)
        values = _array("values", values, (np.dtype(np.float64),), 1)
        if len(values) != len(idxs):
            raise ValueError(f"values has {len(values)} entries, expected {len(idxs)} (as idxs)")
        self._check_values(values)
        for i, v in zip(idxs.tolist(), values.tolist()):  # in order: the last write of an index wins
            self._leaves[i] = v

    def _check_values(self, values):
        if np.isnan(values).any():
            raise ValueError("values must not be NaN")

    def get(self, idxs):
        return self._leaves[self._idxs(idxs)]  # fancy indexing: a new array

    def reduce(self, start=0, end=None):
        end = self._capacity if end is None else end
        if not (0 <= start <= end <= self._capacity):
            raise ValueError(f"range [{start}, {end}) is not within [0, {self._capacity}]")
        return self._reduce(self._leaves[start:end])


class SumSegmentTree(_SegmentTree):
    """Sum tree; see ``rlcore/_core.pyi``."""

    _neutral = 0.0

    @staticmethod
    def _reduce(leaves):
        return math.fsum(leaves.tolist())  # the correctly rounded sum: no summation order to share

    def _check_values(self, values):
        if not np.isfinite(values).all() or (values < 0).any():
            raise ValueError("values of a SumSegmentTree must be finite and >= 0")

    def sum(self, start=0, end=None):
        return self.reduce(start, end)

    def find_prefixsum_idx(self, prefixsums):
        """The highest ``i`` with ``sum(leaves[:i]) <= p``: the smallest ``i`` with ``cumsum[i] > p``.

        Such a leaf has mass (its prefix sum exceeds the one before it). When ``p`` reaches the total
        there is none, and the answer is the last leaf with mass (0 when every leaf is empty).
        """
        prefixsums = _array("prefixsums", prefixsums, (np.dtype(np.float64),), 1)
        if not np.isfinite(prefixsums).all() or (prefixsums < 0).any():
            raise ValueError("prefixsums must be finite and >= 0")
        cumsum = np.cumsum(self._leaves)  # cumsum[i] = sum(leaves[:i + 1])
        idxs = np.searchsorted(cumsum, prefixsums, side="right")  # how many prefix sums are <= p
        with_mass = np.flatnonzero(self._leaves > 0.0)
        last_with_mass = int(with_mass[-1]) if len(with_mass) else 0
        return np.where(idxs < self._capacity, idxs, last_with_mass).astype(np.int64)

    def sample(self, uniforms):
        """``(find_prefixsum_idx(uniforms * total), leaf mass / total)``; see ``rlcore/_core.pyi``."""
        uniforms = _array("uniforms", uniforms, (np.dtype(np.float64),), 1)
        if not ((uniforms >= 0.0) & (uniforms < 1.0)).all():
            raise ValueError("uniforms must be in [0, 1)")
        total = self.sum()
        idxs = self.find_prefixsum_idx(uniforms * total)
        probs = self._leaves[idxs] / total if total > 0.0 else np.zeros(len(idxs))
        return idxs, probs


class MinSegmentTree(_SegmentTree):
    """Min tree; see ``rlcore/_core.pyi``."""

    _neutral = math.inf

    @staticmethod
    def _reduce(leaves):
        return float(leaves.min(initial=math.inf))

    def min(self, start=0, end=None):
        return self.reduce(start, end)


def ring_insert(dest, src, start):
    """Copies rows of ``src`` into ``dest`` from ``start``, wrapping; see ``rlcore/_core.pyi``."""
    for name, arr in (("dest", dest), ("src", src)):
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"{name} must be a numpy array, got {type(arr).__name__}")
        if arr.dtype.hasobject:
            raise TypeError(f"{name} must not be an object array")
        if arr.ndim < 1:
            raise ValueError(f"{name} must have at least one dimension")
        if not arr.flags.c_contiguous:
            raise ValueError(f"{name} must be C-contiguous (use np.ascontiguousarray)")
    if src.dtype != dest.dtype:
        raise TypeError(f"src has dtype {src.dtype}, expected {dest.dtype} (as dest)")
    if src.shape[1:] != dest.shape[1:]:
        raise ValueError(f"src rows have shape {src.shape[1:]}, expected {dest.shape[1:]} (as dest)")
    if not dest.flags.writeable:
        raise ValueError("dest must be writable")
    cap = len(dest)
    if cap == 0:
        raise ValueError("dest must have at least one row")
    if isinstance(start, bool) or not isinstance(start, (int, np.integer)) or not 0 <= start < cap:
        raise ValueError(f"start must be an int in [0, {cap}), got {start!r}")
    n = len(src)
    for j in range(max(0, n - cap), n):
        dest[(start + j) % cap] = src[j]
    return int((start + n) % cap)


# --- fused prioritized-replay steps (rlcore/_core.pyi: replay_add, replay_sample, replay_update) ---


def _tree_pair(sum_tree, min_tree):
    if not isinstance(sum_tree, SumSegmentTree) or not isinstance(min_tree, MinSegmentTree):
        raise TypeError("sum_tree and min_tree must both be given")
    if sum_tree.capacity != min_tree.capacity:
        raise ValueError(
            f"sum_tree has capacity {sum_tree.capacity} but min_tree has {min_tree.capacity}; they must be equal")


def _check_int(name, value, low):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    return int(value)


class ReplayRecords:
    """``capacity`` rows of fixed-shape numeric fields, each row one record of ``stride`` bytes:
    the fields by decreasing alignment, each at a multiple of its alignment, the record padded to a
    multiple of the largest; ``columns`` are the fields as ``(capacity,) + row_shape`` views of one
    zeroed block whose records start on a 64-byte boundary; ``names`` (None, or one distinct str per
    field) lets :func:`replay_add` read a dict of sources and :func:`replay_sample` fill a dict."""

    def __init__(self, capacity, dtypes, row_shapes, names=None):
        capacity = _check_int("capacity", capacity, 1)
        dtypes, row_shapes = list(dtypes), [tuple(s) for s in row_shapes]
        if not dtypes or len(row_shapes) != len(dtypes):
            raise ValueError(
                f"dtypes and row_shapes must have the same length >= 1, got {len(dtypes)} and {len(row_shapes)}")
        dts = []
        for f, (dt, shape) in enumerate(zip(dtypes, row_shapes)):
            dt = np.dtype(dt)
            if dt.kind not in "biufc" or dt.subdtype is not None:
                raise TypeError(f"dtypes[{f}] must be a plain numeric dtype, got {dt}")
            if any(isinstance(x, bool) or not isinstance(x, (int, np.integer)) or x < 0 for x in shape):
                raise ValueError(f"row_shapes[{f}] must be a tuple of ints >= 0, got {shape!r}")
            dts.append(dt)
        if names is not None:
            names = tuple(names)
            if len(names) != len(dts) or not all(type(x) is str for x in names) or len(set(names)) != len(dts):
                raise ValueError(f"names must be {len(dts)} distinct str (one per field), got {names!r}")
        self.names = names
        sizes = [dt.itemsize * math.prod(shape) for dt, shape in zip(dts, row_shapes)]
        offsets, pos = [0] * len(dts), 0
        for f in sorted(range(len(dts)), key=lambda i: -dts[i].alignment):
            pos = -(-pos // dts[f].alignment) * dts[f].alignment
            offsets[f] = pos
            pos += sizes[f]
        align = max(dt.alignment for dt in dts)
        self.capacity, self.stride, self.offsets = capacity, max(align, -(-pos // align) * align), tuple(offsets)
        self._block = np.zeros(capacity * self.stride + 64, np.uint8)
        shift = (-self._block.ctypes.data) % 64
        self.columns = [
            np.ndarray((capacity,) + shape, dt, buffer=self._block, offset=shift + off,
                       strides=(self.stride,) + tuple(dt.itemsize * math.prod(shape[d + 1:]) for d in range(len(shape))))
            for dt, shape, off in zip(dts, row_shapes, offsets)]

    @property
    def nbytes(self):
        return self.capacity * self.stride


def replay_add(dests, srcs, start, sum_tree=None, min_tree=None, value=0.0):
    """Writes every column of ``srcs`` into ``dests`` from row ``start``, wrapping, and sets the trees'
    leaves of the rows kept to ``value``; returns the rows in ``srcs``, or -1 (nothing written)
    when a column does not fit as is. With ``dests`` a :class:`ReplayRecords` with ``names`` and
    ``srcs`` a dict, the sources are the dict's own entries under the names (-1 for other keys)."""
    records = isinstance(dests, ReplayRecords)
    misfit = False
    if records and isinstance(srcs, dict) and dests.names is not None:
        misfit = len(srcs) != len(dests.names) or any(k not in srcs for k in dests.names)
        srcs = [None if misfit else dict.__getitem__(srcs, k) for k in dests.names]
    if records:
        dests = dests.columns
    if len(srcs) != len(dests):
        what = "the records' fields" if records else "as dests"
        raise ValueError(f"srcs has {len(srcs)} columns, expected {len(dests)} ({what})")
    if len(dests) == 0:
        raise ValueError("dests must hold at least one column")
    for c, dest in enumerate(dests if not records else ()):  # records' fields are the right dests
        if not isinstance(dest, np.ndarray) or dest.dtype.hasobject or dest.ndim < 1:
            raise TypeError(f"dests[{c}] must be a numeric numpy array with at least one dimension")
        if not dest.flags.c_contiguous or not dest.flags.writeable:
            raise ValueError(f"dests[{c}] must be a writable C-contiguous array")
        if c == 0 and len(dest) == 0:
            raise ValueError("dests must have at least one row")
        if len(dest) != len(dests[0]):
            raise ValueError(f"dests[{c}] has {len(dest)} rows, expected {len(dests[0])} (as dests[0])")
    cap = len(dests[0])
    if isinstance(start, bool) or not isinstance(start, (int, np.integer)) or not 0 <= start < cap:
        raise ValueError(f"start must be an int in [0, {cap}), got {start!r}")
    trees = sum_tree is not None or min_tree is not None
    if trees:
        _tree_pair(sum_tree, min_tree)
        if sum_tree.capacity != cap:
            raise ValueError(f"the trees have capacity {sum_tree.capacity}, expected {cap} (the rows of dests)")
        if not (0.0 <= value < math.inf):
            raise ValueError(f"value must be finite and >= 0, got {value!r}")
    fits = all(isinstance(s, np.ndarray) and s.dtype == d.dtype and s.shape[1:] == d.shape[1:]
               and s.ndim == d.ndim and s.flags.c_contiguous for d, s in zip(dests, srcs))
    if misfit or not fits or len({len(s) for s in srcs}) != 1:
        return -1
    n = len(srcs[0])
    kept = np.arange(max(0, n - cap), n, dtype=np.int64)  # only the last `cap` rows survive
    slots = (start + kept) % cap
    for dest, src in zip(dests, srcs):
        dest[slots] = src[kept]
    if trees and len(slots):
        sum_tree.update(slots, np.full(len(slots), float(value)))
        min_tree.update(slots, np.full(len(slots), float(value)))
    return n


def replay_sample(sum_tree, min_tree, uniforms, beta, columns=None, rng=None, out=None, attrs=None):
    """Proportional sampling with importance weights: for each uniform ``u`` the slot
    ``find_prefixsum_idx(u * total)`` and its weight ``(P(i) / P_min) ** -beta`` (float32), where
    ``P(i)`` is the slot's leaf over the total and ``P_min`` the min tree's minimum over the total.
    With ``columns`` (numeric C-contiguous arrays of ``capacity`` rows, or a :class:`ReplayRecords`
    of ``capacity`` rows) also the list of each column's rows at those slots, as new arrays. With
    ``rng`` (a ``numpy.random.Generator``) ``uniforms`` is their number k, drawn as ``rng.random(k)``
    once every argument is checked. With ``out`` (a dict; ``columns`` a :class:`ReplayRecords` with
    ``names``) the rows are set as ``out[names[f]]``, then ``out["weights"]`` and
    ``out["batch_indexes"]`` (the slots), as ``dict`` sets items, and ``out`` is returned; ``out`` may be
    a subclass of dict instead: a new instance, ``out.__new__(out)`` with its ``__dict__`` a copy of
    ``attrs`` (a dict) unless that is None, is made once every argument is checked and filled."""
    _tree_pair(sum_tree, min_tree)
    if not (0.0 <= beta < math.inf):
        raise ValueError(f"beta must be finite and >= 0, got {beta!r}")
    if rng is not None:
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        k = _check_int("uniforms", uniforms, 1)
    names = None
    make = isinstance(out, type)
    if out is not None:
        if not (isinstance(out, dict) or (make and issubclass(out, dict))):
            raise TypeError(f"out must be a dict or a subclass of dict, got {out!r}")
        if not isinstance(columns, ReplayRecords) or columns.names is None:
            raise ValueError("out needs columns to be a ReplayRecords with names")
        names = columns.names
    if attrs is not None:
        if not make:
            raise ValueError("attrs needs out to be a subclass of dict")
        if not isinstance(attrs, dict):
            raise TypeError(f"attrs must be a dict, got {type(attrs).__name__}")
    cap = sum_tree.capacity
    if isinstance(columns, ReplayRecords):
        if columns.capacity != cap:
            raise ValueError(f"columns has capacity {columns.capacity}, expected {cap} (the trees' capacity)")
        columns = columns.columns
    elif columns is not None:
        for c, col in enumerate(columns):
            if not isinstance(col, np.ndarray) or col.dtype.hasobject or col.ndim < 1:
                raise TypeError(f"columns[{c}] must be a numeric numpy array with at least one dimension")
            if len(col) != cap:
                raise ValueError(f"columns[{c}] has {len(col)} rows, expected {cap} (the trees' capacity)")
            if not col.flags.c_contiguous:
                raise ValueError(f"columns[{c}] must be C-contiguous (use np.ascontiguousarray)")
    if rng is None:
        uniforms = _array("uniforms", uniforms, (np.dtype(np.float64),), 1)
        if not ((uniforms >= 0.0) & (uniforms < 1.0)).all():
            raise ValueError("uniforms must be in [0, 1)")
    total = sum_tree.sum()
    if not total > 0.0:
        raise ValueError("cannot sample: the sum tree has no mass (every leaf is 0)")
    if make:  # before anything is drawn
        made = out.__new__(out)
        if attrs is not None:
            made.__dict__ = dict(attrs)
        out = made
    if rng is not None:
        uniforms = rng.random(k)
    slots = sum_tree.find_prefixsum_idx(uniforms * total)
    p = sum_tree.get(slots) / total
    p_min = min_tree.min() / total
    weights = ((p / p_min) ** -float(beta)).astype(np.float32)
    if columns is None:
        return slots, weights
    rows = []
    for col in columns:  # each a new array owning its rows, as the native gather makes them
        row = np.empty((len(slots),) + col.shape[1:], col.dtype)
        for j, i in enumerate(slots.tolist()):
            row[j] = col[i]
        rows.append(row)
    if out is None:
        return slots, weights, rows
    for name, col in zip(names, rows):
        dict.__setitem__(out, name, col)
    dict.__setitem__(out, "weights", weights)
    dict.__setitem__(out, "batch_indexes", slots)
    return out


class ReplayPriorityStats:
    """A prioritized buffer's largest priority and number of priority updates; see
    ``rlcore/_core.pyi``."""

    def __init__(self, max_priority=1.0, num_updates=0):
        self.reset(max_priority, num_updates)

    def reset(self, max_priority, num_updates):
        if not (0.0 < max_priority < math.inf):
            raise ValueError(f"max_priority must be finite and > 0, got {max_priority!r}")
        self.num_updates = _check_int("num_updates", num_updates, 0)
        self.max_priority = float(max_priority)

    def record(self, priority, n):
        n = _check_int("n", n, 0)
        if not (0.0 <= priority < math.inf):
            raise ValueError(f"priority must be finite and >= 0, got {priority!r}")
        self.max_priority = max(self.max_priority, float(priority))
        self.num_updates += n


def replay_update(sum_tree, min_tree, idxs, priorities, alpha, first, num, eps=None, stats=None):
    """Sets leaves ``idxs`` of both trees to ``priorities ** alpha`` and returns the largest priority
    (0.0 for none), or -1.0 (nothing written) unless ``idxs`` is a 1-D int64 array, ``priorities`` a
    1-D float64 array of its length with every entry finite and > 0, and every index a live slot:
    ``(idx - first) % capacity < num``. With ``eps`` (finite, > 0) ``priorities`` are TD errors
    (float64 or float32) and the priorities ``|td| + eps`` in float64. With ``stats`` (a
    :class:`ReplayPriorityStats`) a write is recorded there: ``stats.record(top, len(idxs))``."""
    if stats is not None and not isinstance(stats, ReplayPriorityStats):
        raise TypeError(f"stats must be None or a ReplayPriorityStats, got {type(stats).__name__}")
    _tree_pair(sum_tree, min_tree)
    if not (0.0 <= alpha < math.inf):
        raise ValueError(f"alpha must be finite and >= 0, got {alpha!r}")
    if eps is not None and not (0.0 < eps < math.inf):
        raise ValueError(f"eps must be finite and > 0, got {eps!r}")
    cap = sum_tree.capacity
    if not (0 <= first < cap and 0 <= num <= cap):
        raise ValueError(f"first must be in [0, {cap}) and num in [0, {cap}], got {first} and {num}")
    dtypes = (np.float64,) if eps is None else (np.float64, np.float32)
    if not (isinstance(idxs, np.ndarray) and idxs.ndim == 1 and idxs.dtype == np.int64 and idxs.flags.c_contiguous
            and isinstance(priorities, np.ndarray) and priorities.ndim == 1 and priorities.dtype in dtypes
            and priorities.flags.c_contiguous and len(priorities) == len(idxs)):
        return -1.0
    if eps is not None:
        priorities = np.abs(priorities.astype(np.float64)) + float(eps)
    valid = np.isfinite(priorities) & (priorities > 0) & (idxs >= 0) & (idxs < cap)
    if not valid.all() or ((idxs - first) % cap >= num).any():
        return -1.0
    leaves = priorities ** float(alpha)
    sum_tree.update(idxs, leaves)
    min_tree.update(idxs, leaves)
    top = float(priorities.max(initial=0.0))
    if stats is not None and len(idxs):
        stats.record(top, len(idxs))
    return top


def replay_slots(start, n, capacity):
    """The ring slots (int64) of the rows kept when ``n`` rows are written from ``start`` into
    ``capacity`` rows: the last ``min(n, capacity)`` of them."""
    capacity = _check_int("capacity", capacity, 1)
    n = _check_int("n", n, 0)
    if isinstance(start, bool) or not isinstance(start, (int, np.integer)) or not 0 <= start < capacity:
        raise ValueError(f"start must be an int in [0, {capacity}), got {start!r}")
    return (int(start) + np.arange(n - min(n, capacity), n, dtype=np.int64)) % capacity


class ReplayRing:
    """The write position and row count of a ring of ``capacity`` rows and the :class:`ReplayRecords`
    :meth:`add` writes; see ``rlcore/_core.pyi`` for the contract."""

    def __init__(self, capacity, dict_types=(dict,)):
        self.capacity = _check_int("capacity", capacity, 1)
        dict_types = tuple(dict_types)
        for t in dict_types:
            if not (isinstance(t, type) and issubclass(t, dict)):
                raise TypeError(f"dict_types must hold dict and subclasses of dict, got {t!r}")
        self.dict_types = dict_types
        self.pos, self.size, self.records = 0, 0, None

    def reset(self, pos, size, records=None):
        cap = self.capacity
        if _check_int("pos", pos, 0) >= cap:
            raise ValueError(f"pos must be an int in [0, {cap}), got {pos!r}")
        size = _check_int("size", size, 0)
        if size > cap:
            raise ValueError(f"size must be an int in [0, {cap}], got {size!r}")
        if records is not None and not (isinstance(records, ReplayRecords) and records.capacity == cap):
            raise TypeError(f"records must be None or a ReplayRecords of capacity {cap}, got {records!r}")
        self.pos, self.size, self.records = int(pos), size, records

    def advance(self, n):
        n = _check_int("n", n, 0)
        start = self.pos
        self.pos = (start + n) % self.capacity
        self.size = min(self.capacity, self.size + n)
        return start

    def add(self, srcs, sum_tree=None, min_tree=None, value=0.0):
        records = self.records
        if records is None:
            return None
        if type(srcs) is list:
            if len(srcs) != len(records.columns):
                raise ValueError(f"srcs has {len(srcs)} columns, expected {len(records.columns)} (the records' fields)")
        elif records.names is None or type(srcs) not in (dict,) + self.dict_types:
            return None
        start = self.pos
        n = replay_add(records, srcs, start, sum_tree, min_tree, value)
        if n < 0:
            return None
        slots = replay_slots(start, n, self.capacity)
        self.advance(n)
        return n, slots



class PrioritizedReplayCore:
    """A prioritized buffer's ``add``, ``sample`` and ``update_td_errors`` for input that fits as is,
    else the subclass's ``_add_general`` / ``_sample_general`` / ``_update_general``; its attributes
    (``_storage``, ``_ring``, ``_sum``, ``_min``, ``_stats``, ``_rng``, ``alpha``, ``beta``, ``eps``,
    ``_items``, ``_added_count``, ``_sampled_count``, ``_batch_type``, ``_batch_attrs``) are set by the
    subclass; see ``rlcore/_core.pyi``."""

    def _check_ready(self):
        if getattr(self, "_ring", None) is None or getattr(self, "_stats", None) is None:
            raise TypeError(f"{type(self).__name__}: _ring and _stats must be set before the buffer is used")

    def _write_exact(self, batch):
        leaf = self._stats.max_priority ** float(self.alpha)
        records = self._ring.records
        if records is not None and records.names is not None:  # every column numeric: write_exact is ring.add
            return self._ring.add(batch, self._sum, self._min, leaf)
        return self._storage.write_exact(batch, self._sum, self._min, leaf)

    def add(self, batch, *, unit_lens=None, priorities=None):
        self._check_ready()
        if priorities is None and unit_lens is None and not self._items:
            added = self._write_exact(batch)
            if added is not None:
                self._added_count += added[0]
                return added[1]
        return self._add_general(batch, unit_lens, priorities)

    def _add_exact(self, batch):
        self._check_ready()
        added = self._write_exact(batch)
        if added is None:
            return -1
        self._added_count += added[0]
        return added[0]

    def sample(self, n, beta=None):
        self._check_ready()
        b = self.beta if beta is None else beta
        if (type(n) is int and n >= 1 and not self._items and self._ring.size > 0
                and type(b) is float and 0.0 <= b < math.inf):
            records = self._storage.sample_records
            if records is not None:
                out = replay_sample(self._sum, self._min, n, b, records, self._rng, self._batch_type,
                                    self._batch_attrs)
                self._sampled_count += n
                return out
        return self._sample_general(n, beta)

    def update_td_errors(self, idxes, td_errors):
        self._check_ready()
        if (not self._items and type(idxes) is np.ndarray and type(td_errors) is np.ndarray
                and replay_update(self._sum, self._min, idxes, td_errors, self.alpha, 0, self._ring.size, self.eps,
                                  self._stats) >= 0.0):
            return
        self._update_general(idxes, td_errors)

# --- trajectory collection -----------------------------------------------------------------------

class TrajectoryCollector:
    """Per-env row lists cut into fragments; see ``rlcore/_core.pyi`` for the contract."""

    def __init__(
        self,
        num_envs,
        obs_shape,
        obs_dtype=np.float32,
        action_shape=(),
        action_dtype=np.int64,
        extras=None,
        fragment_length=200,
        batch_mode="truncate_episodes",
        eps_id_start=0,
        unroll_id_start=0,
    ):
        _collector_args(num_envs, fragment_length, batch_mode)
        self.num_envs, self.fragment_length, self.batch_mode = int(num_envs), int(fragment_length), batch_mode
        self._specs = specs = _collector_spec(obs_shape, obs_dtype, action_shape, action_dtype, extras, COLLECTOR_COLUMNS)
        self.extra_names = tuple(specs)[2:]
        self._next_eps, self._next_unroll = int(eps_id_start), int(unroll_id_start)
        n = self.num_envs
        self._cur_obs = [None] * n  # the observation the next action is taken from
        self._eps = np.full(n, -1, np.int64)
        self._t = np.zeros(n, np.int64)
        self._rows = [[] for _ in range(n)]  # uncut rows: dicts
        self._ready = [[] for _ in range(n)]  # cut rows, in order
        self._awaiting = np.ones(n, np.bool_)

    @property
    def ready_rows(self):
        return sum(len(r) for r in self._ready)

    @property
    def pending_rows(self):
        return sum(len(r) for r in self._rows)

    @property
    def awaiting_reset(self):
        return self._awaiting.copy()

    def _rows_of(self, name, arr, n, spec_name):
        return _rows(name, arr, n, *self._specs[spec_name])

    def reset(self, obs, env_ids=None, eps_ids=None):
        env_ids = _env_ids(env_ids, self.num_envs)
        obs = self._rows_of("obs", obs, len(env_ids), "obs")
        if eps_ids is not None:
            _rows("eps_ids", eps_ids, len(env_ids), (), np.dtype(np.int64))
        for i in env_ids:
            if not self._awaiting[i] and self._t[i] > 0:
                raise ValueError(f"env {i} has an episode in progress; end it (truncateds=True) before reset")
        for k, i in enumerate(env_ids):
            if eps_ids is None:
                self._start(i, obs[k], self._next_eps)
                self._next_eps += 1
            else:
                self._start(i, obs[k], int(eps_ids[k]))

    def _start(self, i, obs, eps):
        self._cur_obs[i] = obs.copy()
        self._eps[i] = eps
        self._t[i] = 0
        self._awaiting[i] = False

    def add_envs(self, count):
        if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
            raise ValueError(f"count must be an int >= 1, got {count!r}")
        count = int(count)
        self.num_envs += count
        self._cur_obs += [None] * count
        self._eps = np.concatenate([self._eps, np.full(count, -1, np.int64)])
        self._t = np.concatenate([self._t, np.zeros(count, np.int64)])
        self._rows += [[] for _ in range(count)]
        self._ready += [[] for _ in range(count)]
        self._awaiting = np.concatenate([self._awaiting, np.ones(count, np.bool_)])
        return self.num_envs

    def append(self, actions, rewards, terminateds, truncateds, new_obs, extras=(), next_obs=None, env_ids=None,
               skip=None):
        if skip is not None and env_ids is not None:
            raise ValueError("give env_ids or skip, not both")
        skipped = _flags("skip", skip, self.num_envs) if skip is not None else np.zeros(self.num_envs, np.bool_)
        rows_for = range(self.num_envs) if env_ids is None else _distinct_env_ids(env_ids, self.num_envs).tolist()
        n = len(rows_for)
        actions = self._rows_of("actions", actions, n, "actions")
        rewards = _array("rewards", rewards, (np.dtype(np.float32), np.dtype(np.float64)), 1, n)
        terminateds = _flags("terminateds", terminateds, n)
        truncateds = _flags("truncateds", truncateds, n)
        new_obs = self._rows_of("new_obs", new_obs, n, "obs")
        extras = _extras_list(extras, self.extra_names)
        extras = [self._rows_of(f"extras[{k!r}]", a, n, k) for k, a in zip(self.extra_names, extras)]
        if next_obs is not None:
            next_obs = self._rows_of("next_obs", next_obs, n, "obs")
        waiting = [i for i in rows_for if self._awaiting[i] and not skipped[i]]
        if waiting:
            raise ValueError(f"envs {waiting} await reset() before append()")
        for k, i in enumerate(rows_for):
            if skipped[i]:
                continue
            done = bool(terminateds[k] or truncateds[k])
            row = {
                "obs": self._cur_obs[i],
                "new_obs": new_obs[k].copy(),
                "actions": actions[k].copy(),
                "rewards": np.float32(rewards[k]),
                "terminateds": bool(terminateds[k]),
                "truncateds": bool(truncateds[k]),
                "eps_id": self._eps[i],
                "t": self._t[i],
                "env_id": i,
                **{name: a[k].copy() for name, a in zip(self.extra_names, extras)},
            }
            self._rows[i].append(row)
            self._t[i] += 1
            self._cur_obs[i] = row["new_obs"]
            row["_seg_end"] = done
            if done:
                self._awaiting[i] = True
            if (done and self.batch_mode == "complete_episodes") or (
                self.batch_mode == "truncate_episodes" and len(self._rows[i]) == self.fragment_length
            ):
                self._cut(i)
            if done and next_obs is not None:
                self._start(i, next_obs[k], self._next_eps)
                self._next_eps += 1
        return self.ready_rows

    def _cut(self, i):
        if not self._rows[i]:
            return
        self._rows[i][-1]["_seg_end"] = True
        for row in self._rows[i]:
            row["unroll_id"] = self._next_unroll
        self._next_unroll += 1
        self._ready[i].extend(self._rows[i])
        self._rows[i] = []

    def cut(self, env_ids=None):
        for i in _env_ids(env_ids, self.num_envs):
            self._cut(int(i))
        return self.ready_rows

    def pop(self):
        rows = [row for env_rows in self._ready for row in env_rows]
        self._ready = [[] for _ in range(self.num_envs)]
        out = {}
        for name in ("obs", "new_obs", "actions", *self.extra_names):
            shape, dtype = self._specs["obs" if name == "new_obs" else name]
            out[name] = np.array([r[name] for r in rows], dtype).reshape(len(rows), *shape)
        out["rewards"] = np.array([r["rewards"] for r in rows], np.float32)
        for name in ("terminateds", "truncateds"):
            out[name] = np.array([r[name] for r in rows], np.bool_)
        out["dones"] = out["terminateds"] | out["truncateds"]
        for name in ("eps_id", "t", "env_id", "unroll_id"):
            out[name] = np.array([r[name] for r in rows], np.int64)
        ends = np.flatnonzero([r["_seg_end"] for r in rows])
        seg_lens = np.diff(np.concatenate([[-1], ends])).astype(np.int64)
        return out, seg_lens




# --- episode limits of one vector step ------------------------------------------------------------


def episode_step(terminateds, truncateds, ep_len, horizon=0, soft_horizon=False, no_done_at_end=False,
                 rewards=None, ep_reward=None, waiting=None):
    """The stored flags and episode ends of one vector step (``rlcore/_core.pyi``)."""
    def flags(name, x, n=None):  # one bool per env
        x = np.asarray(x, np.bool_)
        if x.ndim != 1:
            raise ValueError(f"flags must be 1-D, one per env, got shape {x.shape}")
        if n is not None and len(x) != n:
            raise ValueError(f"{name} has {len(x)} entries, expected {n} (one per env)")
        return x

    term = flags("terminateds", terminateds)
    n = len(term)
    trunc = flags("truncateds", truncateds, n)
    if (rewards is None) != (ep_reward is None):
        raise ValueError("give rewards and ep_reward together (or neither)")
    if horizon < 0:
        raise ValueError(f"horizon must be >= 0 (0: none), got {horizon}")
    _array("ep_len", ep_len, (np.dtype(np.int64),), 1, n)
    live = np.ones(n, np.bool_) if waiting is None else ~flags("waiting", waiting, n)
    if rewards is not None:
        if not (isinstance(rewards, np.ndarray) and rewards.dtype in (np.float32, np.float64)):
            rewards = np.asarray(rewards, np.float64)
        _array("rewards", rewards, (rewards.dtype,), 1, n)
        _array("ep_reward", ep_reward, (np.dtype(np.float64),), 1, n)
        ep_reward[live] += rewards[live]  # an env waiting for its reset adds nothing
        ep_len[live] += 1
    reset = soft = None
    if horizon > 0:  # an episode the env did not end is cut (truncated) at the horizon
        hits = (np.asarray(ep_len) >= horizon) & ~(term | trunc)
        trunc = trunc | hits
        if not soft_horizon:
            reset = hits
        elif hits.any():
            soft = hits
    if no_done_at_end:  # every episode end is a truncation
        trunc, term = term | trunc, np.zeros(n, np.bool_)
    done = (term | trunc) & live
    return term.copy(), trunc.copy(), done, reset, soft, int(np.count_nonzero(done))


# --- JSON lines -----------------------------------------------------------------------------------


def json_line_arrays(line, loads):
    """One JSON object line with its rectangular lists of numbers as arrays; see ``rlcore/_core.pyi``."""
    if not isinstance(line, bytes):
        raise TypeError(f"line must be bytes, got {type(line).__name__}")
    if not line.lstrip(b" \t\r\n").startswith(b"{"):
        return None
    try:
        data = loads(line.decode("utf-8"))
    except ValueError:
        return None
    return _json_arrays(data, 0) if isinstance(data, dict) else None


def _json_arrays(obj, depth):
    out = {}
    for key, value in obj.items():
        if isinstance(value, list):
            value = json_numbers(value)
        elif isinstance(value, dict) and depth + 1 < JSON_MAX_DEPTH:
            value = _json_arrays(value, depth + 1)
        out[key] = value
    return out


# --- the rows' entries of per-step lists (the sampler's infos column) --------------------------


def gather_step_rows(steps, env_ids, offsets):
    """Each popped row's entry of its vector step's per-env list (see ``rlcore/_core.pyi``)."""
    steps = list(steps)
    env_ids = _array("env_ids", env_ids, (np.dtype(np.int64),), 1)
    offsets = _array("offsets", offsets, (np.dtype(np.int64),), 1)
    n = len(offsets)
    out = np.empty(len(env_ids), dtype=object)
    counts = np.zeros(n, np.int64)
    for j, e in enumerate(env_ids.tolist()):
        if not 0 <= e < n:
            raise IndexError(f"env_ids[{j}] = {e}: expected an env index in [0, {n})")
        s = int(offsets[e] + counts[e])
        if not 0 <= s < len(steps):
            raise IndexError(f"row {j} (env {e}) is step {s} of the {len(steps)} steps given")
        try:
            out[j] = steps[s][e]
        except (IndexError, KeyError, TypeError) as err:
            raise IndexError(f"row {j}: step {s}'s entries have none for env {e} ({err})") from err
        counts[e] += 1
    return out, counts

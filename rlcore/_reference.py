"""Pure-numpy twin of every function and class of the compiled core ``rlcore._core``.

Same names, signatures, results and errors as the native module (``rlcore/_core.pyi``). It is the
readable specification of each kernel and the oracle of the parity tests; ``RLCORE_PUREPYTHON=1``
makes it the live implementation. Clarity beats speed here: loops stay loops.

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
    _array,
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
    lr = log_rhos.reshape(T, B).astype(np.float64)
    disc = discounts.reshape(T, B).astype(np.float64)
    rew = rewards.reshape(T, B).astype(np.float64)
    val = values.reshape(T, B).astype(np.float64)
    boot = bootstrap_value.reshape(-1).astype(np.float64)
    rho_clip = math.inf if clip_rho_threshold is None else float(clip_rho_threshold)
    pg_clip = math.inf if clip_pg_rho_threshold is None else float(clip_pg_rho_threshold)
    vs = np.empty_like(val)
    pg = np.empty_like(val)
    for b in range(val.shape[1]):
        acc = 0.0  # vs[t+1] - V(x[t+1])
        vs_next = boot[b]
        for t in range(T - 1, -1, -1):
            rho = math.exp(lr[t, b])
            v_next = boot[b] if t == T - 1 else val[t + 1, b]
            delta = min(rho_clip, rho) * (rew[t, b] + disc[t, b] * v_next - val[t, b])
            acc = delta + disc[t, b] * min(1.0, rho) * acc
            vs[t, b] = val[t, b] + acc
            pg[t, b] = min(pg_clip, rho) * (rew[t, b] + disc[t, b] * vs_next - val[t, b])
            vs_next = vs[t, b]
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
    for length in seg_lens:
        end = start + int(length)
        for i in range(start, end):
            acc, j = 0.0, 0
            while True:
                acc += gamma**j * float(rewards[i + j])
                if terminateds[i + j] or j + 1 == n_step or i + j + 1 == end:
                    break
                j += 1
            out_r[i], nxt[i], horizon[i] = acc, i + j, j + 1
        start = end
    return out_r, nxt, terminateds[nxt].copy(), horizon


# --- loss kernels ---------------------------------------------------------------------------------


def _min_grad(a, b, da, db):
    """d min(a, b) by torch's rule: the smaller operand's derivative, the half sum on a tie."""
    return np.where(a < b, da, np.where(a > b, db, 0.5 * (da + db)))


def ppo_categorical_loss(logits, logits_old, actions, logp_old, advantages, values, vf_preds, value_targets,
                         weights, clip_param, kl_coeff, entropy_coeff, vf_loss_coeff, vf_clip_param):
    """PPO's categorical loss, statistics and gradients; see ``rlcore/_core.pyi``."""
    _ppo_shapes(logits, logits_old, actions, logp_old, advantages, values, vf_preds, value_targets, weights)
    n, k = logits.shape
    bad = np.flatnonzero((actions < 0) | (actions >= k))
    if len(bad):
        raise ValueError(f"actions[{bad[0]}] = {actions[bad[0]]} is outside [0, {k}) (the number of logits)")
    w = np.full(n, 1.0 / n) if weights is None else weights.astype(np.float64)
    z, z_old = logits.astype(np.float64), logits_old.astype(np.float64)
    p, lse = _softmax(z)
    p_old, lse_old = _softmax(z_old)
    logp, logp_old_all = z - lse, z_old - lse_old
    kl = np.where(p_old > 0, p_old * (logp_old_all - logp), 0.0).sum(1)
    entropy = -np.where(p > 0, p * logp, 0.0).sum(1)
    adv = advantages.astype(np.float64)
    rows = np.arange(n)
    ratio = np.exp(logp[rows, actions] - logp_old.astype(np.float64))
    low, high = 1.0 - clip_param, 1.0 + clip_param
    s_raw, s_clipped = adv * ratio, adv * np.clip(ratio, low, high)
    surrogate = np.minimum(s_raw, s_clipped)
    c = _min_grad(s_raw, s_clipped, adv, np.where((ratio >= low) & (ratio <= high), adv, 0.0))
    onehot = np.zeros_like(p)
    onehot[rows, actions] = 1.0
    grad = (kl_coeff * (p - p_old) - (c * ratio)[:, None] * (onehot - p)
            + entropy_coeff * np.where(p > 0, p * (logp + entropy[:, None]), 0.0))
    per_row = kl_coeff * kl - surrogate - entropy_coeff * entropy
    stats = np.zeros(6)
    grad_values = None
    if values is not None:
        v, v_old, t = values.astype(np.float64), vf_preds.astype(np.float64), value_targets.astype(np.float64)
        err, delta = v - t, v - v_old
        err_clipped = v_old + np.clip(delta, -vf_clip_param, vf_clip_param) - t
        l1, l2 = err * err, err_clipped * err_clipped
        in_range = (delta >= -vf_clip_param) & (delta <= vf_clip_param)
        grad_values = (w * vf_loss_coeff * _min_grad(l2, l1, 2.0 * err, 2.0 * err_clipped * in_range)).astype(np.float32)
        per_row = per_row + vf_loss_coeff * np.maximum(l1, l2)
        stats[2] = (w * np.maximum(l1, l2)).sum()
        if n:
            with np.errstate(divide="ignore", invalid="ignore"):  # 0/0 is NaN and x/0 is -1, as in C
                explained = 1.0 - np.var(t - v) / np.var(t)
            stats[5] = -1.0 if explained < -1.0 else explained
    stats[0] = (w * per_row).sum()
    stats[1] = -(w * surrogate).sum()
    stats[3] = (w * kl).sum()
    stats[4] = (w * entropy).sum()
    return stats, (w[:, None] * grad).astype(np.float32), grad_values


def _softmax(z):
    """Row softmax and log-sum-exp (shifted by the row maximum), as the kernel computes them."""
    m = z.max(1, keepdims=True)
    e = np.exp(z - m)
    s = e.sum(1, keepdims=True)
    return e / s, m + np.log(s)


# --- replay kernels -------------------------------------------------------------------------------


SCAN_LEAVES = 8  # leaves scanned at the bottom of a prefix-sum search (csrc: RL_SCAN_LEAVES)


class _SegmentTree:
    """Binary tree over ``capacity`` leaves stored in an array: node ``k`` has children ``2k, 2k+1``."""

    _neutral = 0.0  # and a static ``_op(a, b)``: defined by SumSegmentTree / MinSegmentTree

    def __init__(self, capacity):
        if not isinstance(capacity, (int, np.integer)) or isinstance(capacity, bool) or capacity < 1:
            raise ValueError(f"capacity must be an int >= 1, got {capacity!r}")
        self._capacity = int(capacity)
        self._size = 1 << (self._capacity - 1).bit_length()
        self._tree = np.full(2 * self._size, self._neutral, np.float64)

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
        return float(self._tree[self._size + self._index(idx)])

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
        for i, v in zip(idxs, values):
            k = self._size + int(i)
            self._tree[k] = v
            k //= 2
            while k >= 1:
                self._tree[k] = self._op(self._tree[2 * k], self._tree[2 * k + 1])
                k //= 2

    def _check_values(self, values):
        if np.isnan(values).any():
            raise ValueError("values must not be NaN")

    def get(self, idxs):
        return self._tree[self._size + self._idxs(idxs)].copy()

    def reduce(self, start=0, end=None):
        end = self._capacity if end is None else end
        if not (0 <= start <= end <= self._capacity):
            raise ValueError(f"range [{start}, {end}) is not within [0, {self._capacity}]")
        result = self._neutral
        lo, hi = start + self._size, end + self._size
        while lo < hi:
            if lo & 1:
                result = self._op(result, self._tree[lo])
                lo += 1
            if hi & 1:
                hi -= 1
                result = self._op(result, self._tree[hi])
            lo //= 2
            hi //= 2
        return float(result)


class SumSegmentTree(_SegmentTree):
    """Sum tree; see ``rlcore/_core.pyi``."""

    _neutral = 0.0

    @staticmethod
    def _op(a, b):
        return a + b

    def _check_values(self, values):
        if not np.isfinite(values).all() or (values < 0).any():
            raise ValueError("values of a SumSegmentTree must be finite and >= 0")

    def sum(self, start=0, end=None):
        return self.reduce(start, end)

    def find_prefixsum_idx(self, prefixsums):
        prefixsums = _array("prefixsums", prefixsums, (np.dtype(np.float64),), 1)
        if not np.isfinite(prefixsums).all() or (prefixsums < 0).any():
            raise ValueError("prefixsums must be finite and >= 0")
        out = np.empty(len(prefixsums), np.int64)
        tree, size = self._tree, self._size
        block = min(size, SCAN_LEAVES)  # the descent stops at nodes covering one cache line of leaves
        first_block = size // block
        for q, p in enumerate(prefixsums.tolist()):
            k = 1
            while k < first_block:
                left = float(tree[2 * k])
                if p < left or tree[2 * k + 1] <= 0.0:
                    k = 2 * k
                else:
                    p -= left
                    k = 2 * k + 1
            start = (k - first_block) * block
            pick, last_with_mass = None, 0
            for j in range(block):
                leaf = float(tree[size + start + j])
                if leaf > 0.0:
                    if p < leaf:
                        pick = j
                        break
                    last_with_mass = j
                    p -= leaf
            out[q] = min(start + (last_with_mass if pick is None else pick), self._capacity - 1)
        return out


    def sample(self, uniforms):
        """``(find_prefixsum_idx(uniforms * total), leaf mass / total)``; see ``rlcore/_core.pyi``."""
        uniforms = _array("uniforms", uniforms, (np.dtype(np.float64),), 1)
        if not ((uniforms >= 0.0) & (uniforms < 1.0)).all():
            raise ValueError("uniforms must be in [0, 1)")
        total = float(self._tree[1])
        idxs = self.find_prefixsum_idx(uniforms * total)
        probs = self._tree[self._size + idxs] / total if total > 0.0 else np.zeros(len(idxs))
        return idxs, probs


class MinSegmentTree(_SegmentTree):
    """Min tree; see ``rlcore/_core.pyi``."""

    _neutral = math.inf

    @staticmethod
    def _op(a, b):
        return a if a < b else b

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
    if not isinstance(start, (int, np.integer)) or not 0 <= start < cap:
        raise ValueError(f"start must be an int in [0, {cap}), got {start!r}")
    n = len(src)
    for j in range(max(0, n - cap), n):
        dest[(start + j) % cap] = src[j]
    return int((start + n) % cap)


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

    def append(self, actions, rewards, terminateds, truncateds, new_obs, extras=(), next_obs=None, env_ids=None):
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
        waiting = [i for i in rows_for if self._awaiting[i]]
        if waiting:
            raise ValueError(f"envs {waiting} await reset() before append()")
        for k, i in enumerate(rows_for):
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



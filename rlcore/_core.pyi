"""Type stub of the compiled core ``rlcore._core`` (built from ``csrc/_core.pyx``).

Every name here has a pure-numpy twin of the same name and behaviour in ``rlcore/_reference.py``;
import them from ``rlcore._backend``, which picks the live one. Kernels are strict: a wrong dtype,
shape, a non-contiguous array or mismatched lengths raise ``TypeError``/``ValueError`` naming the
argument; nothing is silently cast or copied.
"""

from typing import Any, Callable, Mapping, Sequence

import numpy as np
from numpy.typing import DTypeLike, NDArray

f32 = NDArray[np.float32]
f64 = NDArray[np.float64]
i64 = NDArray[np.int64]
flag = NDArray[np.bool_] | NDArray[np.uint8]

# --- return kernels ----------------------------------------------------------------------------

def discount_cumsum(x: f32, gamma: float) -> f32:
    """``y[t] = sum_k gamma**k * x[t+k]`` over the whole 1-D float32 array."""

def compute_gae(
    rewards: f32,
    values: f32,
    terminateds: flag,
    seg_lens: i64,
    bootstrap_values: f32,
    gamma: float,
    lambda_: float,
) -> tuple[f32, f32]:
    """GAE over consecutive segments (episode fragments) of one batch.

    ``seg_lens`` (int64, sums to ``len(rewards)``) splits the rows into segments. Inside a
    segment ``V(s_{t+1}) = values[t+1]``; after a segment's last row it is ``0`` if that row is
    terminated, else ``bootstrap_values[segment]`` (the value of its final observation: truncated or
    cut). A terminated row inside a segment also ends the recursion there.
    Returns ``(advantages, value_targets)`` with ``value_targets = advantages + values``.
    ``lambda_=1`` with ``values=0`` gives discounted returns with bootstrapping.
    """

def vtrace(
    log_rhos: f32,
    discounts: f32,
    rewards: f32,
    values: f32,
    bootstrap_value: f32,
    clip_rho_threshold: float | None = 1.0,
    clip_pg_rho_threshold: float | None = 1.0,
) -> tuple[f32, f32]:
    """V-trace targets (Espeholt et al. 2018), time-major: arrays ``[T]`` or ``[T, B]``,
    ``bootstrap_value`` of shape ``[]``/``[1]`` or ``[B]``. ``None`` disables a clip.
    Returns ``(vs, pg_advantages)``."""

def adjust_nstep(
    n_step: int, gamma: float, rewards: f32, terminateds: flag, seg_lens: i64
) -> tuple[f32, i64, NDArray[np.bool_], i64]:
    """n-step returns within segments. Returns ``(rewards_n, next_index, terminateds_n, horizon)``:
    ``rewards_n[i] = sum_{j<h} gamma**j r[i+j]`` with ``h = horizon[i] <= n_step`` steps, stopping
    at a terminated row or the segment end; ``next_index[i] = i + h - 1`` is the row whose
    ``new_obs`` to bootstrap from (``new_obs[next_index]``), ``terminateds_n[i] =
    terminateds[next_index[i]]`` and the bootstrap discount is ``gamma ** horizon``."""

# --- replay kernels ----------------------------------------------------------------------------

class _SegmentTree:
    def __init__(self, capacity: int) -> None: ...
    @property
    def capacity(self) -> int: ...
    def __len__(self) -> int: ...
    def __getitem__(self, idx: int) -> float: ...
    def __setitem__(self, idx: int, value: float) -> None: ...
    def update(self, idxs: i64, values: f64) -> None:
        """Sets leaves ``idxs`` to ``values`` (last write wins for a repeated index)."""
    def get(self, idxs: i64) -> f64:
        """Reads leaves ``idxs``."""
    def reduce(self, start: int = 0, end: int | None = None) -> float:
        """Sum (or min) over leaves ``[start, end)``; ``end=None`` means capacity."""

class SumSegmentTree(_SegmentTree):
    """Sum tree over ``capacity`` leaves, all 0 at start: an 8-ary tree (a node's 8 children are one
    64-byte line; 1M leaves take 7 levels above them, see ``csrc/btree.h``)."""
    def sum(self, start: int = 0, end: int | None = None) -> float: ...
    def find_prefixsum_idx(self, prefixsums: f64) -> i64:
        """For each ``p`` (finite, >= 0): the highest ``i`` with ``sum(leaves[:i]) <= p``, never a
        leaf of zero mass while the total is positive. At each node the descent takes the first child
        whose running sum exceeds ``p`` (the last child with mass when ``p`` reaches the node's
        mass); the twin answers from the leaves' cumulative sum."""

    def sample(self, uniforms: f64) -> tuple[i64, f64]:
        """Proportional sampling for uniforms in ``[0, 1)``: ``(find_prefixsum_idx(u * sum()),
        leaf mass / sum())``, the indices and probabilities prioritized replay needs, in one call."""

class MinSegmentTree(_SegmentTree):
    """Min tree over ``capacity`` leaves, all ``+inf`` at start."""
    def min(self, start: int = 0, end: int | None = None) -> float: ...

class ReplayRecords:
    """A ring of ``capacity`` rows whose fixed-shape numeric fields (one per ``dtypes`` /
    ``row_shapes`` entry) are stored together, one record of ``stride`` bytes per row: the fields by
    decreasing alignment (stable), each at a multiple of its dtype's alignment, the record padded to
    a multiple of the largest alignment (CartPole's obs, new_obs, actions, rewards, dones: 45 bytes
    of fields, a 48-byte record). The block is zeroed and its records start on a 64-byte boundary.
    ``columns`` are the fields as strided ``(capacity,) + row_shape`` numpy views of the block (read
    and written like any array). As ``dests`` of :func:`replay_add` and ``columns`` of
    :func:`replay_sample`, a sampled row's fields come from one or two cache lines instead of one
    line per column. ``names`` (None, or one distinct str per field; ``ValueError`` otherwise) lets
    :func:`replay_add` read a dict of sources by name and :func:`replay_sample` set its results in a
    dict. ``TypeError`` for a dtype that is not plain numeric (bool, int, uint, float,
    complex), ``ValueError`` for a bad capacity, row shape or unequal lengths, each naming it."""

    capacity: int
    stride: int
    columns: list[np.ndarray]
    offsets: tuple[int, ...]
    names: tuple[str, ...] | None

    def __init__(self, capacity: int, dtypes: Sequence[Any], row_shapes: Sequence[tuple[int, ...]],
                 names: Sequence[str] | None = None) -> None: ...
    @property
    def nbytes(self) -> int:
        """``capacity * stride``."""

class ReplayRing:
    """The write position ``pos`` and row count ``size`` of a ring of ``capacity`` rows (the one
    place a replay storage keeps them) and the :class:`ReplayRecords` of its numeric columns
    (``records``, None until :meth:`reset` sets them). ``dict_types`` (dict and subclasses of dict;
    ``TypeError`` otherwise) are the batch types whose own dict entries are their columns.
    ``ValueError`` for a capacity < 1."""

    capacity: int
    pos: int
    size: int
    records: ReplayRecords | None
    dict_types: tuple[type, ...]

    def __init__(self, capacity: int, dict_types: Sequence[type] = (dict,)) -> None: ...
    def reset(self, pos: int, size: int, records: ReplayRecords | None = None) -> None:
        """Sets ``pos`` (in ``[0, capacity)``), ``size`` (in ``[0, capacity]``) and ``records`` (None or
        a ReplayRecords of ``capacity`` rows): ``ValueError`` / ``TypeError`` naming the argument."""
    def advance(self, n: int) -> int:
        """Moves past ``n`` rows (an int >= 0) written from ``pos``: ``pos`` becomes
        ``(pos + n) % capacity`` and ``size`` ``min(capacity, size + n)``; returns the old ``pos``."""
    def add(
        self,
        srcs: list[np.ndarray] | dict[str, np.ndarray],
        sum_tree: SumSegmentTree | None = None,
        min_tree: MinSegmentTree | None = None,
        value: float = 0.0,
    ) -> tuple[int, i64] | None:
        """``replay_add(records, srcs, pos, sum_tree, min_tree, value)`` and :meth:`advance` past its
        rows, in one call: ``(n, slots)`` with ``n`` the rows of ``srcs`` and ``slots`` the ring rows
        kept (``replay_slots(pos, n, capacity)`` of the old ``pos``). ``srcs`` is a list of one array
        per field (in the records' order; ``ValueError`` for another length), or, when the records
        have ``names``, a batch of one of ``dict_types`` (exactly, or ``dict``) read by name. None,
        with nothing written or moved, when there are no records, ``srcs`` is of another type, or a
        source does not fit as is (as ``replay_add``'s -1). Bad trees or ``value`` raise as in
        ``replay_add``."""

def replay_add(
    dests: Sequence[np.ndarray] | ReplayRecords,
    srcs: Sequence[np.ndarray] | dict[str, np.ndarray],
    start: int,
    sum_tree: SumSegmentTree | None = None,
    min_tree: MinSegmentTree | None = None,
    value: float = 0.0,
) -> int:
    """One prioritized-replay add: ``ring_insert(dests[c], srcs[c], start)`` for every column and, when
    the trees are given (same capacity as ``dests``' rows), every kept row's leaf set to ``value``
    (finite, >= 0) in both. Returns the number of rows in ``srcs``, or -1 with nothing written when a
    column does not fit as is (another dtype or row shape, not C-contiguous, unequal row counts):
    the caller's general path then casts or raises. ``dests`` must be numeric, writable and
    C-contiguous with equal row counts, or a :class:`ReplayRecords` (``srcs`` then holds one array per
    field, in its order; or, when the records have ``names``, ``srcs`` may be a dict whose keys are
    exactly the names: its own entries are read, as ``dict`` reads them, and other keys give -1).
    Sources are read through numpy's C API; a batch under 4096 rows is written without releasing
    the GIL. The parent nodes of all written leaves are recomputed one
    tree level at a time for both trees together, so their cache misses overlap."""

def replay_sample(
    sum_tree: SumSegmentTree,
    min_tree: MinSegmentTree,
    uniforms: f64,
    beta: float,
    columns: Sequence[np.ndarray] | ReplayRecords | None = None,
    rng: np.random.Generator | None = None,
    out: dict | type[dict] | None = None,
    attrs: dict | None = None,
) -> tuple[i64, NDArray[np.float32]] | tuple[i64, NDArray[np.float32], list[np.ndarray]] | dict:
    """Proportional sampling with importance weights in one call: for uniforms in ``[0, 1)`` the slots
    ``find_prefixsum_idx(u * total)`` and float32 weights ``(P(i) / P_min) ** -beta`` (``P(i)`` the
    slot's leaf over the total, ``P_min`` the min tree's minimum over the total; so in ``(0, 1]``),
    raised in float32 (within 2 float32 ulps of the float64 power rounded once).
    With ``columns`` (numeric C-contiguous arrays of ``capacity`` rows; ``TypeError`` /
    ``ValueError`` naming ``columns[c]`` otherwise) also the list of ``col[slots]`` as new arrays:
    the lines of every column's rows are prefetched before the weights are computed, then copied.
    ``columns`` may be a :class:`ReplayRecords` of ``capacity`` rows: its fields' rows, one record
    per sampled row. With ``rng`` (a ``numpy.random.Generator``; ``TypeError`` otherwise)
    ``uniforms`` is their number k (an int >= 1), drawn from ``rng`` as ``rng.random(k)`` draws them
    (the same values, and ``rng`` advanced alike) once every argument is checked, under the bit
    generator's lock. With ``out`` (a dict, ``TypeError`` otherwise; ``columns`` must then be a
    :class:`ReplayRecords` with ``names``, ``ValueError`` otherwise) the rows are set as
    ``out[names[f]]``, then ``out["weights"]`` and ``out["batch_indexes"]`` (the slots), as ``dict``
    sets items (not through a subclass's ``__setitem__``), and ``out`` is returned. ``out`` may be a
    subclass of dict instead (``TypeError`` for anything else): a new instance is made once every
    argument is checked, as ``out.__new__(out)`` (no ``__init__``) with its ``__dict__`` a copy of
    ``attrs`` unless that is None (``attrs``: a dict, ``TypeError`` otherwise, and only with a type
    ``out``, ``ValueError`` otherwise), filled and returned. Outputs are made
    through numpy's C API; fewer than 1024 rows are sampled without releasing the GIL. Raises
    ``ValueError`` when the sum tree has no mass."""

def replay_update(
    sum_tree: SumSegmentTree,
    min_tree: MinSegmentTree,
    idxs: i64,
    priorities: np.ndarray,
    alpha: float,
    first: int,
    num: int,
    eps: float | None = None,
    stats: ReplayPriorityStats | None = None,
) -> float:
    """One priority update: leaves ``idxs`` of both trees set to ``priorities ** alpha``; returns the
    largest priority (0.0 for none). Returns -1.0 with nothing written unless ``idxs`` is a 1-D int64
    array and ``priorities`` a 1-D float64 array of its length, every priority finite and > 0 and
    every index a live slot, ``(idx - first) % capacity < num`` (the caller then raises its error);
    both arrays C-contiguous and in native byte order.
    With ``eps`` (finite, > 0, else ``ValueError``) ``priorities`` holds TD errors (float64 or
    float32) and each priority is ``|td| + eps`` computed in float64. The leaves are within 1 ulp of
    numpy's ``priorities ** alpha`` (4 at a time with libmvec's AVX2 pow where the build links it).
    With ``stats`` (a :class:`ReplayPriorityStats`, ``TypeError`` otherwise) a write of k >= 1
    priorities is recorded there in the same call, as ``stats.record(largest, k)``."""

class ReplayPriorityStats:
    """A prioritized buffer's largest priority so far (``max_priority``, finite and > 0; new rows'
    priority) and its number of priority updates (``num_updates``, >= 0): the one place they are
    kept. ``ValueError`` naming the argument for other values."""

    max_priority: float
    num_updates: int

    def __init__(self, max_priority: float = 1.0, num_updates: int = 0) -> None: ...
    def reset(self, max_priority: float, num_updates: int) -> None:
        """Sets both."""
    def record(self, priority: float, n: int) -> None:
        """Raises ``max_priority`` to ``priority`` (finite, >= 0) when larger and adds ``n`` (an int
        >= 0) to ``num_updates``."""

class PrioritizedReplayCore:
    """The base of a prioritized replay buffer (``rlcore.data.replay_buffers.PrioritizedReplayBuffer``):
    the attributes its operations read, kept here (one place each; a subclass sets them), and
    ``add``, ``_add_exact``, ``sample`` and ``update_td_errors`` each in one call for input that fits
    as is. What does not fit is handed, unchanged, to the subclass's ``_add_general(batch, unit_lens,
    priorities)``, ``_sample_general(n, beta)`` or ``_update_general(idxes, td_errors)``, whose
    results are returned. Any operation before ``_ring`` and ``_stats`` are set raises ``TypeError``."""

    _storage: Any  # sample_records (a ReplayRecords or None) and write_exact(batch, sum, min, leaf)
    _ring: ReplayRing
    _sum: SumSegmentTree
    _min: MinSegmentTree
    _stats: ReplayPriorityStats
    _rng: np.random.Generator
    alpha: float
    beta: float
    eps: float
    _items: bool  # units are items: every operation goes to the general paths
    _added_count: int
    _sampled_count: int
    _batch_type: type  # a subclass of dict: sample's output type
    _batch_attrs: dict  # a copy of it is each sampled batch's __dict__

    def add(self, batch: Mapping[str, Any], *, unit_lens: Any = None, priorities: Any = None) -> i64:
        """Without ``unit_lens``, ``priorities`` or ``_items``: the storage's ``write_exact(batch, _sum,
        _min, _stats.max_priority ** alpha)`` (``_ring.add`` when the records have names, every column
        being numeric), adding the rows to ``_added_count`` and returning the slots; else, or when that
        declines (None), ``_add_general``."""
    def _add_exact(self, batch: Mapping[str, Any]) -> int:
        """``add``'s one call alone: the rows added, or -1 with nothing added (no general path)."""
    def sample(self, n: int, beta: float | None = None) -> dict:
        """With ``n`` an int >= 1, ``beta`` (``self.beta`` when None) a finite float >= 0, timesteps, a
        non-empty ring and ``_storage.sample_records`` not None: ``replay_sample(_sum, _min, n, beta,
        records, _rng, _batch_type, _batch_attrs)``, adding ``n`` to ``_sampled_count``; else
        ``_sample_general(n, beta)`` with ``beta`` as given."""
    def update_td_errors(self, idxes: Any, td_errors: Any) -> None:
        """With timesteps and both arguments numpy arrays (not subclasses): ``replay_update(_sum, _min,
        idxes, td_errors, alpha, 0, _ring.size, eps, _stats)``; else, or when that declines (-1),
        ``_update_general(idxes, td_errors)``."""

def replay_slots(start: int, n: int, capacity: int) -> i64:
    """The ring slots of the rows kept when ``n`` rows are written from ``start`` into ``capacity``
    rows: the last ``min(n, capacity)`` of them, ``(start + j) % capacity`` for ``j`` in
    ``range(max(0, n - capacity), n)``. ``ValueError`` for a capacity < 1, n < 0 or a start outside
    ``[0, capacity)``."""

def json_line_arrays(line: bytes, loads: Callable[[bytes], Any]) -> dict | None:
    """The JSON object on one line (UTF-8 bytes; whitespace around it is fine) as ``loads`` would
    return it, except that every list value, at any depth of objects up to ``JSON_MAX_DEPTH``, is
    ``rlcore._checks.json_numbers`` of it: the numpy array (bool, int64 or float64) of a rectangular
    list of numbers and booleans, else the list. ``NaN``, ``Infinity`` and ``-Infinity`` read as
    floats, as ``json.loads`` reads them. None when the line is not one JSON object (or ``loads``
    raises ``ValueError`` on a part of it): the caller then parses it with ``loads`` for the error.
    The compiled kernel reads those lists of numbers itself, straight into their arrays, and hands
    only the other values' text to ``loads``."""

# --- episode limits of one vector step ---------------------------------------------------------

def episode_step(
    terminateds: Any,
    truncateds: Any,
    ep_len: i64,
    horizon: int = 0,
    soft_horizon: bool = False,
    no_done_at_end: bool = False,
    rewards: Any = None,
    ep_reward: f64 | None = None,
    waiting: Any = None,
) -> tuple[flag, flag, flag, flag | None, flag | None, int]:
    """One vector step's episode limits (``rlcore.sampling.step_rules.EpisodeLimits``), one entry
    per env, fused with the sampler's episode bookkeeping.

    With ``rewards`` (float64 or float32; others converted) and ``ep_reward`` (float64): first adds
    each env's reward to ``ep_reward`` and 1 to ``ep_len`` (int64), in place, except for envs
    ``waiting`` for their reset. Then per env, from the env's flags (bool or uint8; others
    converted as ``np.asarray(x, bool)``): a ``horizon`` > 0 truncates an episode the env did not
    end once its length (``ep_len``) reaches it; ``no_done_at_end`` stores every end as a
    truncation. An env ``waiting`` ends no episode.

    Returns ``(terminateds, truncateds, done, reset, soft, n_done)``: new bool arrays of the stored
    flags and the episode ends; ``reset`` the envs the horizon cut (an array with a hard horizon,
    else None); ``soft`` those it cut with ``soft_horizon`` (None if none); ``n_done`` the number
    of ends."""

def gather_step_rows(steps: Sequence[Sequence[Any]], env_ids: i64, offsets: i64) -> tuple[np.ndarray, i64]:
    """Each popped row's entry of its vector step's per-env list (the sampler's ``infos`` column).

    ``steps`` holds one sequence per vector step (an entry per env); row ``j`` of env
    ``e = env_ids[j]`` is that env's ``k``-th row here (rows of one env in time order), so it came
    from ``steps[offsets[e] + k][e]``. Returns the object array of those entries and the rows per
    env (int64, one per entry of ``offsets``). ``env_ids`` and ``offsets`` are 1-D C-contiguous
    int64 arrays (``TypeError`` / ``ValueError`` otherwise); an env id outside
    ``[0, len(offsets))``, a step outside ``steps`` or a step without an entry for its env raises
    ``IndexError`` naming the row."""

# --- loss kernels ------------------------------------------------------------------------------

def categorical_logp(logits: f32, actions: i64) -> f32:
    """``(z[a] - max(z)) - log(sum(exp(z - max(z))))`` for every row ``z`` of ``logits`` and its
    action ``a``: the log-probability of each action under a categorical distribution over ``K``
    logits (``logits`` ``[N, K]``, ``K >= 1``; ``actions`` ``[N]`` int64 in ``[0, K)``),
    computed in float64 and returned as float32 (within a few roundings of torch's float32
    ``log_softmax(logits).gather(actions)``). Raises ``ValueError`` naming the first action
    outside ``[0, K)``.
    """

def ppo_categorical_loss(
    logits: f32,
    logits_old: f32,
    actions: i64,
    logp_old: f32,
    advantages: f32,
    values: f32 | None,
    vf_preds: f32 | None,
    value_targets: f32 | None,
    weights: f32 | None,
    clip_param: float,
    kl_coeff: float,
    entropy_coeff: float,
    vf_loss_coeff: float,
    vf_clip_param: float,
) -> tuple[f64, f32, f32 | None]:
    """PPO's loss for a categorical policy, its statistics and its gradient, in one pass.

    Per row (RLlib 1.x): ``kl_coeff * KL(old || new) - min(A r, A clip(r, 1 - clip_param,
    1 + clip_param)) - entropy_coeff * H``, plus ``vf_loss_coeff * max((V - T)^2, (V_old +
    clip(V - V_old, +-vf_clip_param) - T)^2)`` when ``values`` is given, with ``r`` the ratio of the
    new to the old probability of the action; the total is the mean over rows, or the sum weighted
    by ``weights`` (which then sum to 1). ``logits``/``logits_old`` are ``[N, K]``, ``actions`` are
    int64 in ``[0, K)``, the rest ``[N]``; ``vf_preds`` and ``value_targets`` go with ``values``.
    Returns ``(stats, grad_logits, grad_values)``: ``stats`` is float64 ``[total, policy_loss,
    vf_loss, kl, entropy, explained_variance]`` (weighted means; the explained variance
    ``max(-1, 1 - Var[T - V] / Var[T])`` is over all rows; both 0 without ``values``) and the
    gradients are those of the total (``grad_values`` is ``None`` without ``values``). The min and
    max take torch's derivative rule (the half sum on a tie), so the gradients are the ones
    autograd computes through the same formulas.
    """

def ring_insert(dest: np.ndarray, src: np.ndarray, start: int) -> int:
    """Copies the rows of ``src`` into ``dest`` from row ``start`` on, wrapping around; returns the
    next write position ``(start + len(src)) % len(dest)``. Same dtype, same row shape, both
    C-contiguous, ``dest`` writable; object arrays are refused."""

# --- trajectory collection ---------------------------------------------------------------------

class TrajectoryCollector:
    """Preallocated columnar trajectory buffers for ``num_envs`` environments stepping together.

    One :meth:`append` per vector step stores every env's row; rows are cut into fragments of
    ``fragment_length`` rows per env (``batch_mode="truncate_episodes"``) or at episode ends
    (``"complete_episodes"``), and :meth:`pop` returns every ready row as columns.
    """

    num_envs: int
    fragment_length: int
    batch_mode: str
    extra_names: tuple[str, ...]
    def __init__(
        self,
        num_envs: int,
        obs_shape: Sequence[int],
        obs_dtype: DTypeLike = np.float32,
        action_shape: Sequence[int] = (),
        action_dtype: DTypeLike = np.int64,
        extras: Mapping[str, tuple[Sequence[int], DTypeLike]] | None = None,
        fragment_length: int = 200,
        batch_mode: str = "truncate_episodes",
        eps_id_start: int = 0,
        unroll_id_start: int = 0,
    ) -> None: ...
    @property
    def ready_rows(self) -> int:
        """Rows cut into fragments and waiting for :meth:`pop`."""
    @property
    def pending_rows(self) -> int:
        """Rows appended but not yet cut."""
    @property
    def awaiting_reset(self) -> NDArray[np.bool_]:
        """Per env: whether it needs :meth:`reset` (or ``next_obs``) before its next append."""
    def reset(self, obs: np.ndarray, env_ids: i64 | None = None, eps_ids: i64 | None = None) -> None:
        """Starts new episodes on ``env_ids`` (all envs by default) from first observations ``obs``;
        their episode ids are ``eps_ids`` (int64, one per env) if given, else the next ones of the
        collector's own counter (which starts at ``eps_id_start``)."""
    def add_envs(self, count: int) -> int:
        """Adds ``count`` envs (slots) after the last one, each awaiting :meth:`reset`; returns the
        new ``num_envs``. Stored rows are kept."""
    def append(
        self,
        actions: np.ndarray,
        rewards: np.ndarray,
        terminateds: flag,
        truncateds: flag,
        new_obs: np.ndarray,
        extras: Sequence[np.ndarray] | Mapping[str, np.ndarray] = (),
        next_obs: np.ndarray | None = None,
        env_ids: i64 | None = None,
        skip: flag | None = None,
    ) -> int:
        """Appends one row per env; returns :attr:`ready_rows`. ``new_obs`` is each env's true
        successor observation (the final one for an env whose episode ended); ``next_obs``, if
        given, holds the first observation of the next episode for envs that ended (other rows
        are ignored), else those envs wait for :meth:`reset`. Rewards may be float32 or float64.
        With ``env_ids`` (distinct int64 env indices, any order) every input has one row per
        listed env instead, row ``k`` for env ``env_ids[k]``; the other envs are left as they are.
        With ``skip`` (bool per env) the rows of the skipped envs are ignored (no row; such an env
        may await its reset)."""
    def cut(self, env_ids: i64 | None = None) -> int:
        """Cuts every in-progress fragment now (a cut segment bootstraps); returns ready rows."""
    def pop(self) -> tuple[dict[str, np.ndarray], i64]:
        """Returns ``(columns, seg_lens)`` of every ready row, env by env in time order.

        Columns: ``obs``, ``new_obs``, ``actions``, ``rewards`` (float32), ``terminateds``,
        ``truncateds``, ``dones`` (bool), ``eps_id``, ``t``, ``env_id``, ``unroll_id`` (int64)
        and every extra. ``seg_lens`` splits the rows into segments: one env, one episode, one
        fragment each.
        """

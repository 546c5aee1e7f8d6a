"""V-trace glue between the policies' train batches and the compiled kernel ``rlcore._core.vtrace``.

V-trace (Espeholt et al. 2018) targets carry no gradient: the value targets ``vs`` and the policy
gradient advantages are computed here, on the compiled core (one kernel call per loss), from
detached numpy arrays; the losses keep their autograd graph for ``logp``, values and entropy.

**Layout.** RLlib 1.x reshapes a train batch to time-major ``[T, B]`` with ``T =
rollout_fragment_length`` (``make_time_major``), sets ``discounts = gamma * (1 - dones)``, drops each
fragment's last row and bootstraps from its value. Here the kernel runs over the batch's rows in
order (``[N]``, which is ``[T, B]`` flattened column by column) with every *segment* end folded in:

- a segment ends at a done row, where ``eps_id``/``unroll_id``/``env_id``/``agent_index`` change,
  and at the batch end (a batch without id columns is cut every ``rollout_fragment_length`` rows,
  1.x's assumption);
- a segment end gets discount 0; when the episode did not terminate there (cut at the fragment
  length, or truncated by a time limit with ``bootstrap_truncated``), ``gamma * V(new_obs)`` of the
  current model is added to its reward, which is exactly V-trace's bootstrap
  (``delta = rho (r + gamma V(x') - V(x))`` and ``vs' = V(x')``).

On a batch of whole ``T``-row fragments this equals the kernel on 1.x's time-major ``[T, B]``
arrays with ``bootstrap_value = V(last new_obs)`` (tested), keeps every row (no dropped last
timestep: RLlib's later ``vtrace_drop_last_ts=False``, with the right bootstrap), and stays
correct for any concatenation order or episode-length fragments.

Examples:
    >>> import numpy as np
    >>> ends, boot_rows = segment_layout(4, 2, dones=np.array([0, 1, 0, 0], bool),
    ...                                  terminals=np.array([0, 1, 0, 0], bool))
    >>> ends.tolist(), boot_rows.tolist()
    ([False, True, False, True], [3])
    >>> vs, adv = vtrace_targets(np.zeros(4, np.float32), np.zeros(4, np.float32), np.ones(4, np.float32),
    ...                          np.zeros(4, np.float32), ends, boot_rows, np.array([10.0], np.float32), gamma=0.5)
    >>> vs.tolist(), adv.tolist()
    ([1.5, 1.0, 4.0, 6.0], [1.5, 1.0, 4.0, 6.0])
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple

import numpy as np

from rlcore import _backend
from rlcore.data.columns import Columns

__all__ = ["ID_COLUMNS", "segment_layout", "vtrace_targets", "time_major", "layout_columns", "check_not_recurrent",
           "postprocess_vtrace_or_gae", "VTracePostprocessing", "check_opt_type"]

#: Columns whose change between two rows starts a new segment (when the batch has them).
ID_COLUMNS = (Columns.EPS_ID, Columns.UNROLL_ID, Columns.ENV_ID, Columns.AGENT_INDEX)


def _flags(name: str, x: Any, n: int) -> np.ndarray:
    arr = np.asarray(x).reshape(-1).astype(np.bool_, copy=False)
    if len(arr) != n:
        raise ValueError(f"{name} has {len(arr)} rows, expected {n}")
    return arr


def segment_layout(n: int, fragment_length: int, dones: Any, terminals: Any,
                   ids: Sequence[Any] = ()) -> Tuple[np.ndarray, np.ndarray]:
    """Where the batch's segments end, and which ends bootstrap.

    Args:
        n: rows of the batch.
        fragment_length: ``rollout_fragment_length``; cuts the batch every that many rows when
            no ``ids`` are given (then ``n`` must be a multiple of it).
        dones: per row, the episode ended (terminated or truncated).
        terminals: per row, the episode ended without bootstrapping (terminated; also truncated
            when ``bootstrap_truncated`` is off). Must imply ``dones``.
        ids: id columns (``eps_id``, ``unroll_id``, ...); a change between rows ``t`` and
            ``t + 1`` ends a segment at ``t``.

    Returns:
        ``(ends, boot_rows)``: bool ``[n]`` and the int64 rows that end a segment without a
        terminal (they bootstrap from ``V(new_obs)``).

    Examples:
        >>> ends, rows = segment_layout(6, 3, np.zeros(6, bool), np.zeros(6, bool))
        >>> ends.astype(int).tolist(), rows.tolist()
        ([0, 0, 1, 0, 0, 1], [2, 5])
        >>> segment_layout(5, 3, np.zeros(5, bool), np.zeros(5, bool))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: the train batch has 5 rows and no eps_id/unroll_id columns: ... rollout_fragment_length=3 ...
    """
    n = int(n)
    dones = _flags("dones", dones, n)
    terminals = _flags("terminals", terminals, n)
    ends = dones | terminals
    if n:
        ends[-1] = True
    if ids:
        for col in ids:
            col = np.asarray(col).reshape(-1)
            if len(col) != n:
                raise ValueError(f"an id column has {len(col)} rows, expected {n}")
            ends[:-1] |= col[1:] != col[:-1]
    else:
        if not isinstance(fragment_length, (int, np.integer)) or fragment_length < 1:
            raise ValueError(f"rollout_fragment_length={fragment_length!r}: expected an int >= 1")
        if n % fragment_length:
            raise ValueError(f"the train batch has {n} rows and no eps_id/unroll_id columns: expected a multiple of "
                             f"rollout_fragment_length={fragment_length} (whole fragments)")
        ends[fragment_length - 1::fragment_length] = True
    return ends, np.flatnonzero(ends & ~terminals).astype(np.int64)


def vtrace_targets(behaviour_logp: np.ndarray, target_logp: np.ndarray, rewards: np.ndarray, values: np.ndarray,
                   ends: np.ndarray, boot_rows: np.ndarray, boot_values: np.ndarray, *, gamma: float,
                   clip_rho_threshold: Optional[float] = 1.0,
                   clip_pg_rho_threshold: Optional[float] = 1.0) -> Tuple[np.ndarray, np.ndarray]:
    """V-trace value targets ``vs`` and policy-gradient advantages: one kernel call.

    Args:
        behaviour_logp: ``log mu(a|x)`` of the actions under the behaviour policy ``[N]``.
        target_logp: ``log pi(a|x)`` under the target policy ``[N]`` (detached).
        rewards: ``[N]`` rewards.
        values: ``[N]`` values ``V(x)`` of the current model (detached).
        ends: bool ``[N]``, segment ends (:func:`segment_layout`).
        boot_rows: the segment ends that bootstrap.
        boot_values: ``V(new_obs)`` at ``boot_rows``.
        gamma: the discount.
        clip_rho_threshold: ``rho_bar`` (None: no clipping).
        clip_pg_rho_threshold: the policy gradient's ``rho`` clip (None: no clipping).

    Returns:
        ``(vs, pg_advantages)``, float32 ``[N]``.

    Examples:
        >>> z = np.zeros(2, np.float32)
        >>> vtrace_targets(z, np.log([2.0, 2.0]).astype(np.float32), np.ones(2, np.float32), z,
        ...                np.array([False, True]), np.zeros(0, np.int64), z[:0], gamma=1.0)[1].tolist()
        [2.0, 1.0]
    """
    f32 = np.float32
    rewards = np.array(rewards, dtype=f32).reshape(-1)  # a copy: the bootstraps are added below
    n = len(rewards)
    log_rhos = (np.asarray(target_logp, f32).reshape(-1) - np.asarray(behaviour_logp, f32).reshape(-1))
    ends = _flags("ends", ends, n)
    boot_rows = np.asarray(boot_rows, np.int64).reshape(-1)
    boot_values = np.asarray(boot_values, f32).reshape(-1)
    if len(boot_values) != len(boot_rows):
        raise ValueError(f"boot_values has {len(boot_values)} entries, expected {len(boot_rows)} (one per boot row)")
    rewards[boot_rows] += f32(gamma) * boot_values
    discounts = np.where(ends, f32(0.0), f32(gamma)).astype(f32)
    return _backend.vtrace(np.ascontiguousarray(log_rhos), discounts, rewards,
                           np.ascontiguousarray(values, dtype=f32).reshape(-1), np.zeros(1, f32),
                           clip_rho_threshold, clip_pg_rho_threshold)


def time_major(x: np.ndarray, fragment_length: int, drop_last: bool = False) -> np.ndarray:
    """RLlib 1.x's ``make_time_major`` on numpy: ``[B * T, ...]`` rows to ``[T, B, ...]``.

    Examples:
        >>> time_major(np.arange(6), 3).tolist(), time_major(np.arange(6), 3, drop_last=True).tolist()
        ([[0, 3], [1, 4], [2, 5]], [[0, 3], [1, 4]])
    """
    x = np.asarray(x)
    if len(x) % fragment_length:
        raise ValueError(f"{len(x)} rows: expected a multiple of rollout_fragment_length={fragment_length}")
    out = np.swapaxes(x.reshape((len(x) // fragment_length, fragment_length) + x.shape[1:]), 0, 1)
    return out[:-1] if drop_last else out


def layout_columns(policy: Any, train_batch: Any) -> Tuple[Any, Any, list]:
    """The train-batch columns :func:`segment_layout` reads: ``(dones, terminals, id columns)``.

    ``terminals`` is ``terminateds`` when the policy bootstraps truncated episodes
    (``bootstrap_truncated``, rlcore's default) and the batch has them, else ``dones`` (RLlib 1.x).
    Values are the batch's tensors; ``in`` tests record which columns a traced loss needs.
    """
    dones = train_batch[Columns.DONES]
    bootstrap_truncated = policy.config.get("bootstrap_truncated", True)
    terminals = train_batch[Columns.TERMINATEDS] if bootstrap_truncated and Columns.TERMINATEDS in train_batch \
        else dones
    ids = [train_batch[k] for k in ID_COLUMNS if k in train_batch]
    return dones, terminals, ids


def check_not_recurrent(policy: Any) -> None:
    """V-trace bootstraps with ``V(new_obs)`` of a feed-forward model: recurrent models are refused
    clearly (an RNN would need its state after the last step)."""
    if policy.is_recurrent():
        raise ValueError(f"{type(policy).__name__} with vtrace=True: recurrent models (model.use_lstm / "
                         "use_attention) are not supported; use vtrace=False or a feed-forward model")


def postprocess_vtrace_or_gae(policy: Any, sample_batch: Any, other_agent_batches: Any = None,
                              episode: Any = None) -> Any:
    """The policies' ``postprocess_fn`` (RLlib 1.x APPO's): GAE advantages when ``vtrace`` is off,
    nothing with V-trace (its targets are computed in the loss).

    Examples:
        >>> class P: config = {"vtrace": True}
        >>> sorted(postprocess_vtrace_or_gae(P(), {"rewards": np.ones(2)}))
        ['rewards']
    """
    if policy.config["vtrace"]:
        return sample_batch
    from rlcore.sampling.postprocessing import compute_gae_for_sample_batch

    return compute_gae_for_sample_batch(policy, sample_batch, other_agent_batches, episode)


class VTracePostprocessing:
    """Mixin ahead of a framework ``ValueNetworkMixin``: the sampler's batched postprocessing of
    :func:`postprocess_vtrace_or_gae` (one GAE kernel call per sample when ``vtrace`` is off, only
    the exploration's postprocessing when it is on).
    """

    fragment_postprocess_fn = staticmethod(postprocess_vtrace_or_gae)

    def postprocess_fragments(self, batch: Any, seg_lens: np.ndarray, episodes: list) -> Any:
        """Batched :func:`postprocess_vtrace_or_gae` over a sample's fragments."""
        if not self.config["vtrace"]:
            return super().postprocess_fragments(batch, seg_lens, episodes)
        exploration = getattr(self, "exploration", None)
        return batch if exploration is None else exploration.postprocess_trajectory(self, batch)


def check_opt_type(config: Any) -> None:
    """``opt_type`` must be ``"adam"`` or ``"rmsprop"`` (checked when a policy is built).

    Examples:
        >>> check_opt_type({"opt_type": "sgd"})
        Traceback (most recent call last):
        ...
        ValueError: opt_type='sgd': expected 'adam' or 'rmsprop'
    """
    if config["opt_type"] not in ("adam", "rmsprop"):
        raise ValueError(f"opt_type={config['opt_type']!r}: expected 'adam' or 'rmsprop'")

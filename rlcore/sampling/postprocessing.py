"""Advantage and return postprocessing of sample batches, on the compiled return kernels.

:func:`compute_advantages` is RLlib's (one trajectory fragment and its ``last_r``);
:func:`compute_advantages_segments` does a whole batch of episode fragments in one kernel call,
bootstrapping each fragment from 0 when it ended terminated and from the value of its final
observation otherwise (truncated by a time limit, or cut at ``rollout_fragment_length``).

Examples:
    >>> import numpy as np
    >>> batch = {"rewards": np.array([1.0, 1.0, 1.0]), "vf_preds": np.zeros(3, np.float32)}
    >>> out = compute_advantages(batch, last_r=0.0, gamma=0.5, lambda_=1.0)
    >>> out["advantages"].tolist(), out["value_targets"].tolist()
    ([1.75, 1.5, 1.0], [1.75, 1.5, 1.0])
"""

from __future__ import annotations

from typing import Any, Mapping, MutableMapping, Optional, Sequence

import numpy as np

from rlcore import _backend
from rlcore.data.columns import Columns


class Postprocessing:
    """Names of the columns postprocessing adds (RLlib's ``Postprocessing``)."""

    ADVANTAGES = Columns.ADVANTAGES
    VALUE_TARGETS = Columns.VALUE_TARGETS


def _f32(batch: MutableMapping, key: str) -> np.ndarray:
    if key not in batch:
        raise KeyError(f"the batch has no column {key!r} (it has {sorted(batch)})")
    return np.ascontiguousarray(batch[key], dtype=np.float32).reshape(-1)


def discount_cumsum(x: np.ndarray, gamma: float) -> np.ndarray:
    """``y[t] = x[t] + gamma * y[t+1]``, computed in float32 by the compiled kernel.

    Examples:
        >>> [round(float(v), 2) for v in discount_cumsum(np.array([1.0, 2.0, 3.0]), 0.9)]
        [5.23, 4.7, 3.0]
    """
    return _backend.discount_cumsum(np.ascontiguousarray(x, dtype=np.float32), float(gamma))


def _check_flags(use_gae: bool, use_critic: bool, batch: MutableMapping) -> None:
    if use_gae and not use_critic:
        raise ValueError("use_gae=True needs use_critic=True (GAE needs value predictions)")
    if use_critic and Columns.VF_PREDS not in batch:
        raise KeyError(f"use_critic=True needs a {Columns.VF_PREDS!r} column; the batch has {sorted(batch)}")


def compute_advantages(
    rollout: MutableMapping,
    last_r: float,
    gamma: float = 0.9,
    lambda_: float = 1.0,
    use_gae: bool = True,
    use_critic: bool = True,
) -> MutableMapping:
    """Adds ``advantages`` and ``value_targets`` to one trajectory fragment (RLlib semantics).

    Args:
        rollout: A batch of one trajectory fragment with ``rewards`` (and ``vf_preds`` when
            ``use_critic``).
        last_r: The value to bootstrap from after the last row: 0 for a terminated episode,
            else the value of the final observation.
        gamma: Discount factor.
        lambda_: GAE parameter.
        use_gae: Generalized advantage estimation; else plain discounted returns.
        use_critic: Subtract ``vf_preds`` from the returns (and use it for GAE).

    Returns:
        The same ``rollout``, with float32 ``advantages`` and ``value_targets``.
    """
    _check_flags(use_gae, use_critic, rollout)
    rewards = _f32(rollout, Columns.REWARDS)
    n = len(rewards)
    values = _f32(rollout, Columns.VF_PREDS) if use_critic else np.zeros(n, np.float32)
    if len(values) != n:
        raise ValueError(f"{Columns.VF_PREDS!r} has {len(values)} rows, {Columns.REWARDS!r} has {n}")
    seg = np.array([n], np.int64)
    boot = np.array([last_r], np.float32)
    _fill(rollout, rewards, values, np.zeros(n, np.bool_), seg, boot, gamma, lambda_, use_gae, use_critic)
    return rollout


def compute_advantages_segments(
    batch: MutableMapping,
    seg_lens: np.ndarray,
    last_values: np.ndarray,
    gamma: float = 0.99,
    lambda_: float = 1.0,
    use_gae: bool = True,
    use_critic: bool = True,
    bootstrap_truncated: bool = True,
) -> MutableMapping:
    """Adds ``advantages``/``value_targets`` to a batch of consecutive episode fragments at once.

    A fragment whose last row is terminated bootstraps 0; any other (truncated, or cut
    mid-episode) bootstraps ``last_values[fragment]``, the value of its final ``new_obs``. With
    ``bootstrap_truncated=False`` a truncated episode also bootstraps 0 (RLlib 1.x's rule: every
    ``done`` is an end).

    Args:
        batch: Rows of several fragments with ``rewards``, ``terminateds`` (or RLlib's ``dones``,
            read as terminated) and, with ``use_critic``, ``vf_preds``.
        seg_lens: int64 lengths of the fragments (the collector's ``seg_lens``).
        last_values: One bootstrap value per fragment.
        gamma, lambda_, use_gae, use_critic: As in :func:`compute_advantages`.
        bootstrap_truncated: Whether a truncated episode bootstraps (see above).

    Examples:
        >>> batch = {"rewards": np.ones(4, np.float32), "vf_preds": np.zeros(4, np.float32),
        ...          "terminateds": np.array([False, True, False, False])}
        >>> out = compute_advantages_segments(batch, np.array([2, 2]), np.array([9.0, 10.0]), gamma=0.5)
        >>> out["advantages"].tolist()
        [1.5, 1.0, 4.0, 6.0]
    """
    _check_flags(use_gae, use_critic, batch)
    rewards = _f32(batch, Columns.REWARDS)
    n = len(rewards)
    values = _f32(batch, Columns.VF_PREDS) if use_critic else np.zeros(n, np.float32)
    terminateds = _ends(batch, bootstrap_truncated)
    if terminateds is None:
        terminateds = np.zeros(n, np.bool_)
    seg = np.ascontiguousarray(seg_lens, dtype=np.int64)
    boot = np.ascontiguousarray(last_values, dtype=np.float32).reshape(-1)
    _fill(batch, rewards, values, terminateds, seg, boot, gamma, lambda_, use_gae, use_critic)
    return batch


def _ends(batch: Mapping, bootstrap_truncated: bool) -> Optional[np.ndarray]:
    """The rows after which nothing is bootstrapped: ``terminateds`` (or, with
    ``bootstrap_truncated=False`` or no ``terminateds`` column, ``dones``); None without either."""
    key = Columns.TERMINATEDS if bootstrap_truncated and Columns.TERMINATEDS in batch else Columns.DONES
    if key not in batch:
        if Columns.TERMINATEDS not in batch:
            return None
        return np.asarray(batch[Columns.TERMINATEDS], np.bool_) | np.asarray(batch[Columns.TRUNCATEDS], np.bool_)
    return np.ascontiguousarray(batch[key], dtype=np.bool_)


def _fill(batch, rewards, values, terminateds, seg, boot, gamma, lambda_, use_gae, use_critic) -> None:
    if use_gae:
        adv, targets = _backend.compute_gae(rewards, values, terminateds, seg, boot, float(gamma), float(lambda_))
    else:
        zeros = np.zeros_like(rewards)
        returns, _ = _backend.compute_gae(rewards, zeros, terminateds, seg, boot, float(gamma), 1.0)
        adv = returns - values if use_critic else returns
        targets = returns if use_critic else zeros
    batch[Postprocessing.ADVANTAGES] = adv
    batch[Postprocessing.VALUE_TARGETS] = targets


def policy_values(policy: Any, batch: MutableMapping, rows: np.ndarray) -> np.ndarray:
    """The policy's value estimates V(new_obs) at ``rows`` of ``batch`` (one batched call).

    Uses ``policy.value_batch(obs, state_batches)`` when the policy has it, else the ``vf_preds``
    that ``compute_actions(..., explore=False)`` returns. Recurrent policies get the
    ``state_out_*`` of those rows as their state.
    """
    if len(rows) == 0:
        return np.zeros(0, np.float32)
    obs = np.asarray(batch[Columns.NEXT_OBS])[rows]
    states = []
    i = 0
    while f"{Columns.STATE_OUT_PREFIX}{i}" in batch:
        states.append(np.asarray(batch[f"{Columns.STATE_OUT_PREFIX}{i}"])[rows])
        i += 1
    from rlcore.data.trajectory_views import next_step_views

    views = next_step_views(policy, batch, rows)  # a model's own views, one step on
    # A model that reads the previous action/reward (shift -1, the sampler's native columns) gets
    # this row's action and reward with new_obs
    prev = {}
    if Columns.PREV_ACTIONS in batch and Columns.PREV_ACTIONS not in views:
        prev["prev_actions"] = np.asarray(batch[Columns.ACTIONS])[rows]
    if Columns.PREV_REWARDS in batch and Columns.PREV_REWARDS not in views:
        prev["prev_rewards"] = np.asarray(batch[Columns.REWARDS], np.float32)[rows]
    value_batch = getattr(policy, "value_batch", None)
    if value_batch is not None:
        return np.asarray(value_batch(obs, states or None, **prev, **({"views": views} if views else {})),
                          np.float32).reshape(-1)
    _, _, extra = policy.compute_actions(obs, state_batches=states or None, explore=False,
                                         prev_action_batch=prev.get("prev_actions"),
                                         prev_reward_batch=prev.get("prev_rewards"),
                                         **({"input_views": views} if views else {}))
    if Columns.VF_PREDS not in extra:
        raise KeyError(f"{type(policy).__name__} returns no {Columns.VF_PREDS!r} from compute_actions and has no "
                       "value_batch(obs, state_batches): it cannot bootstrap truncated fragments")
    return np.asarray(extra[Columns.VF_PREDS], np.float32).reshape(-1)


def _gae_settings(policy: Any) -> tuple:
    config = getattr(policy, "config", {}) or {}
    return (config.get("gamma", 0.99), config.get("lambda", 1.0), config.get("use_gae", True),
            config.get("use_critic", True), config.get("bootstrap_truncated", True))


def compute_gae_for_sample_batch(policy: Any, sample_batch: MutableMapping, other_agent_batches: Any = None,
                                 episode: Any = None) -> MutableMapping:
    """RLlib's ``postprocess_fn`` for actor-critic policies, for one trajectory fragment.

    ``last_r`` is 0 when the fragment's last row is terminated and V(its ``new_obs``) otherwise
    (truncated by a time limit, or cut at ``rollout_fragment_length``); RLlib 1.x bootstrapped 0
    on any ``done``, time limits included: ``bootstrap_truncated: False`` restores that rule.
    Settings come from ``policy.config``: ``gamma``, ``lambda``, ``use_gae``, ``use_critic``,
    ``bootstrap_truncated``.
    """
    n = len(sample_batch[Columns.REWARDS])
    seg = np.array([n], np.int64)
    return compute_gae_for_fragments(policy, sample_batch, seg)


def compute_gae_for_fragments(policy: Any, batch: MutableMapping, seg_lens: np.ndarray,
                              episodes: Optional[Sequence[Any]] = None,
                              last_values: Optional[np.ndarray] = None) -> MutableMapping:
    """:func:`compute_gae_for_sample_batch` for every fragment of a batch at once.

    One value call over the final ``new_obs`` of the fragments that need bootstrapping and one
    GAE kernel call: a policy's ``postprocess_fragments`` can be exactly this. ``last_values``
    (one per fragment: the value of its final ``new_obs``, e.g. from the forward pass that
    computed the rows' ``vf_preds``) replaces that value call; fragments that end terminated
    bootstrap 0 either way.
    """
    gamma, lambda_, use_gae, use_critic, bootstrap_truncated = _gae_settings(policy)
    seg_lens = np.ascontiguousarray(seg_lens, dtype=np.int64)
    last = seg_lens.cumsum() - 1
    ends = _ends(batch, bootstrap_truncated)
    open_mask = ~ends[last] if len(last) and ends is not None else np.ones(len(last), np.bool_)
    boot = np.zeros(len(seg_lens), np.float32)
    if use_critic and last_values is not None:
        given = np.asarray(last_values, np.float32).reshape(-1)
        if len(given) != len(seg_lens):
            raise ValueError(f"last_values has {len(given)} entries, expected {len(seg_lens)} (one per fragment)")
        boot[open_mask] = given[open_mask]
    elif use_critic and open_mask.any():
        boot[open_mask] = policy_values(policy, batch, last[open_mask])
    return compute_advantages_segments(batch, seg_lens, boot, gamma, lambda_, use_gae, use_critic,
                                       bootstrap_truncated)

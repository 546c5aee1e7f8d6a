"""Dummy batch: a small fake trajectory a template policy runs its loss on at construction.

RLlib 1.x builds every template policy's loss once on a dummy batch, so a broken ``loss_fn``,
``postprocess_fn`` or ``stats_fn`` fails when the policy is built, not hours into training. The
batch holds ``batch_size`` rows of sampled observations, the policy's own (deterministic)
actions and extra outputs, zero rewards, one episode, and RNN states when the model has them.

Examples:
    >>> import gymnasium as gym, numpy as np
    >>> from rlcore.policy.policy import Policy
    >>> class Zero(Policy):
    ...     def compute_actions(self, obs_batch, state_batches=None, **kw):
    ...         return np.zeros(len(obs_batch), np.int64), [], {"vf_preds": np.zeros(len(obs_batch), np.float32)}
    >>> b = make_dummy_batch(Zero(gym.spaces.Box(-1, 1, (3,)), gym.spaces.Discrete(2), {}), batch_size=4)
    >>> b["obs"].shape, b["actions"].tolist(), sorted(b)[:4]
    ((4, 3), [0, 0, 0, 0], ['actions', 'agent_index', 'dones', 'eps_id'])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rlcore.data.columns import Columns
from rlcore.data.sample_batch import SampleBatch

__all__ = ["make_dummy_batch", "flatten_to_single_ndarray"]


def _stack_samples(space: Any, n: int) -> Any:
    import gymnasium.spaces as S

    if isinstance(space, S.Tuple):
        return tuple(_stack_samples(s, n) for s in space.spaces)
    if isinstance(space, S.Dict):
        return {k: _stack_samples(s, n) for k, s in space.spaces.items()}
    return np.stack([np.asarray(space.sample()) for _ in range(n)])


def _zeros_like(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _zeros_like(v) for k, v in x.items()}
    if isinstance(x, tuple):
        return tuple(_zeros_like(v) for v in x)
    return np.zeros_like(x)


def flatten_to_single_ndarray(x: Any) -> np.ndarray:
    """Nested (Tuple/Dict) batched actions as one ``[B, sum of sizes]`` array (RLlib 1.x's helper).

    Integer leaves stay int64 when all leaves are integers; otherwise everything is float32.

    Examples:
        >>> flatten_to_single_ndarray((np.array([1, 2]), np.array([[0.5, 0.5], [1.0, 2.0]]))).tolist()
        [[1.0, 0.5, 0.5], [2.0, 1.0, 2.0]]
        >>> flatten_to_single_ndarray(np.array([3, 4])).tolist()
        [3, 4]
        >>> flatten_to_single_ndarray({"a": (np.array([1]), np.array([[2, 3]])), "b": np.array([4])}).tolist()
        [[1, 2, 3, 4]]
    """
    if isinstance(x, np.ndarray):
        return x
    if not isinstance(x, (dict, tuple, list)):
        return np.asarray(x)
    leaves = [flatten_to_single_ndarray(v) for v in (x.values() if isinstance(x, dict) else x)]
    flat = [v.reshape(v.shape[0], -1) for v in leaves]
    dtype = np.int64 if all(v.dtype.kind in "iu" for v in flat) else np.float32
    return np.concatenate([v.astype(dtype) for v in flat], axis=1)


def make_dummy_batch(policy: Any, batch_size: int = 32) -> SampleBatch:
    """A ``SampleBatch`` of ``batch_size`` fake steps of one episode, acted by ``policy``.

    Args:
        policy: a built policy (``compute_actions`` and ``get_initial_state`` are used).
        batch_size: number of rows.
    """
    C = Columns
    obs = _stack_samples(policy.observation_space, batch_size)
    if not isinstance(obs, np.ndarray):  # a raw Dict/Tuple space: batches hold the preprocessed rows
        from rlcore.models.modelv2 import flatten_structured_obs

        obs = flatten_structured_obs(obs, policy.observation_space)
    if isinstance(obs, np.ndarray) and obs.dtype == np.float64:
        obs = obs.astype(np.float32)
    init = [np.asarray(s) for s in policy.get_initial_state()]
    state_in = [np.repeat(s[None], batch_size, axis=0) for s in init]
    prev_actions = _zeros_like(_stack_samples(policy.action_space, batch_size))
    if not isinstance(prev_actions, np.ndarray):
        prev_actions = None  # nested (Tuple/Dict) actions: models get no prev_actions column
    prev_rewards = np.zeros(batch_size, np.float32)
    views = _zero_views(policy, obs, prev_actions, batch_size)
    actions, state_out, extra = policy.compute_actions(
        obs, state_in or None, prev_action_batch=prev_actions, prev_reward_batch=prev_rewards, explore=False,
        **({"input_views": views} if views else {}))
    cols = {
        C.OBS: obs,
        C.NEXT_OBS: obs,
        C.ACTIONS: flatten_to_single_ndarray(actions),
        C.REWARDS: np.zeros(batch_size, np.float32),
        C.PREV_REWARDS: prev_rewards,
        C.DONES: np.zeros(batch_size, bool),
        C.EPS_ID: np.zeros(batch_size, np.int64),
        C.UNROLL_ID: np.zeros(batch_size, np.int64),
        C.AGENT_INDEX: np.zeros(batch_size, np.int64),
        C.T: np.arange(batch_size, dtype=np.int64),
    }
    if prev_actions is not None:
        cols[C.PREV_ACTIONS] = prev_actions
    for i, (s_in, s_out) in enumerate(zip(state_in, state_out)):
        cols[f"{C.STATE_IN_PREFIX}{i}"] = s_in
        cols[f"{C.STATE_OUT_PREFIX}{i}"] = np.asarray(s_out)
    cols.update(views)
    for k, v in extra.items():
        cols.setdefault(k, v)
    return SampleBatch(cols)


def _zero_views(policy: Any, obs: np.ndarray, actions: Any, batch_size: int) -> dict:
    """Zero batches of the model's own trajectory views (what an episode's first step sees)."""
    from rlcore.data.trajectory_views import model_views

    rows = {Columns.OBS: obs, Columns.ACTIONS: actions, Columns.REWARDS: np.zeros(batch_size, np.float32)}
    out = {}
    for v in model_views(policy):
        col = rows[v.data_col]
        if col is None:
            continue
        shape = (batch_size,) + (() if v.squeeze else (len(v.shifts),)) + col.shape[1:]
        out[v.name] = np.zeros(shape, col.dtype)
    return out

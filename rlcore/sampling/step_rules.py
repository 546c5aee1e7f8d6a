"""The per-step rules both samplers apply: episode limits (horizon) and reward clipping.

The single-agent :class:`~rlcore.sampling.sampler.VectorSampler` and the
:class:`~rlcore.sampling.multi_agent_sampler.MultiAgentSampler` apply RLlib 1.x's worker settings
through this one module, on arrays with one entry per env:

- :class:`EpisodeLimits`: ``horizon``, ``soft_horizon`` and ``no_done_at_end``. The envs never
  see a horizon; the sampler truncates the episode and resets that env itself (a soft horizon ends
  the episode for learning and metrics but leaves the env running).
- :func:`clip_rewards`: ``clip_rewards`` (``True``: the sign; a number ``c``: into ``[-c, c]``).

Examples:
    >>> import numpy as np
    >>> limits = EpisodeLimits(horizon=3)
    >>> out = limits.apply(np.array([False, True, False]), np.zeros(3, bool), np.array([3, 2, 1]))
    >>> out.terminateds.tolist(), out.truncateds.tolist(), out.reset.tolist()
    ([False, True, False], [True, False, False], [True, False, False])
    >>> clip_rewards(np.array([-3.0, 0.5, 2.0]), 1.0).tolist()
    [-1.0, 0.5, 1.0]
"""

from __future__ import annotations

from typing import Any, NamedTuple, Optional

import numpy as np

from rlcore._backend import episode_step

__all__ = ["EpisodeLimits", "LimitOutcome", "clip_rewards", "check_clip_rewards"]


def check_clip_rewards(clip: Any) -> Any:
    """Validates a ``clip_rewards`` setting: None/False (off), True (sign) or a number > 0.

    Examples:
        >>> check_clip_rewards(None), check_clip_rewards(True), check_clip_rewards(5)
        (None, True, 5.0)
        >>> check_clip_rewards("yes")
        Traceback (most recent call last):
        ...
        ValueError: clip_rewards='yes': expected None, False, True (clip to the sign) or a number > 0
    """
    if clip is None or clip is False:
        return None
    if clip is True:
        return True
    if isinstance(clip, (int, float, np.integer, np.floating)) and clip > 0:
        return float(clip)
    raise ValueError(f"clip_rewards={clip!r}: expected None, False, True (clip to the sign) or a number > 0")


def clip_rewards(rewards: np.ndarray, clip: Any) -> np.ndarray:
    """Rewards as stored for learning: unchanged, their sign (``clip=True``) or in ``[-clip, clip]``.

    Args:
        rewards: One reward per row.
        clip: A setting accepted by :func:`check_clip_rewards`.

    Returns:
        ``rewards`` itself when ``clip`` is off, else a new array of the same dtype.

    Examples:
        >>> clip_rewards(np.array([-2.0, 0.0, 3.0]), True).tolist()
        [-1.0, 0.0, 1.0]
    """
    clip = check_clip_rewards(clip)
    if clip is None:
        return rewards
    if clip is True:
        return np.sign(rewards)
    return np.clip(rewards, -clip, clip)


class LimitOutcome(NamedTuple):
    """What :meth:`EpisodeLimits.apply` decided for one vector step (arrays of one entry per env).

    Attributes:
        terminateds: Stored ``terminateds`` (False everywhere with ``no_done_at_end``).
        truncateds: Stored ``truncateds`` (the horizon and ``no_done_at_end`` add to them).
        done: The episode ends here (for learning, callbacks and metrics).
        reset: The sampler must reset the env itself: the horizon cut an episode the env did not end.
        soft: A soft horizon ended the episode while the env goes on (RNN state and previous
            action/reward carry over, as RLlib 1.x's ``soft_reset``).
    """

    terminateds: np.ndarray
    truncateds: np.ndarray
    done: np.ndarray
    reset: np.ndarray
    soft: Optional[np.ndarray]


_NO_RESETS: dict = {}


def _no_resets(n: int) -> np.ndarray:
    """A shared read-only all-False mask of ``n`` envs."""
    mask = _NO_RESETS.get(n)
    if mask is None:
        mask = _NO_RESETS[n] = np.zeros(n, np.bool_)
        mask.flags.writeable = False
    return mask


class EpisodeLimits:
    """RLlib 1.x's ``horizon``, ``soft_horizon`` and ``no_done_at_end``, for arrays of envs.

    Args:
        horizon: End an episode after this many steps (None: only the env ends episodes). The
            cut is a truncation: learning bootstraps from the value of the last observation.
        soft_horizon: With ``horizon``: end the episode for learning and metrics, but do not
            reset the env.
        no_done_at_end: Store every episode end as a truncation (never ``terminated``), so every
            episode end bootstraps.

    Raises:
        ValueError: ``horizon`` is not None or an int >= 1, or ``soft_horizon`` without a horizon.

    Examples:
        >>> EpisodeLimits(horizon=0)
        Traceback (most recent call last):
        ...
        ValueError: horizon=0: expected None or an int >= 1
    """

    def __init__(self, horizon: Optional[int] = None, soft_horizon: bool = False, no_done_at_end: bool = False):
        if horizon is not None and (isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer))
                                    or horizon < 1):
            raise ValueError(f"horizon={horizon!r}: expected None or an int >= 1")
        if soft_horizon and horizon is None:
            raise ValueError("soft_horizon=True needs a horizon (an int >= 1): without one no episode is cut")
        self.horizon = None if horizon is None else int(horizon)
        self.soft_horizon = bool(soft_horizon)
        self.no_done_at_end = bool(no_done_at_end)

    @property
    def needs_reset(self) -> bool:
        """Whether the sampler may have to reset envs itself (a hard horizon)."""
        return self.horizon is not None and not self.soft_horizon

    def apply(self, terminateds: np.ndarray, truncateds: np.ndarray, lengths: np.ndarray) -> LimitOutcome:
        """The stored flags and episode ends of one vector step.

        Args:
            terminateds: What the envs said, one flag per env.
            truncateds: What the envs said, one flag per env.
            lengths: Each env's episode length including this step (int64; 0 for an env that
                had no live episode in this step: it never reaches the horizon).

        Returns:
            A :class:`LimitOutcome`.

        Examples:
            >>> out = EpisodeLimits(horizon=2, soft_horizon=True, no_done_at_end=True).apply(
            ...     np.array([True, False]), np.array([False, False]), np.array([1, 2]))
            >>> out.terminateds.tolist(), out.truncateds.tolist(), out.reset.tolist(), out.soft.tolist()
            ([False, False], [True, True], [False, False], [False, True])
        """
        term, trunc, done, reset, soft, _ = episode_step(terminateds, truncateds, lengths, self.horizon or 0,
                                                         self.soft_horizon, self.no_done_at_end)
        return LimitOutcome(term, trunc, done, _no_resets(len(done)) if reset is None else reset, soft)

    def step(self, rewards: np.ndarray, terminateds: np.ndarray, truncateds: np.ndarray, ep_reward: np.ndarray,
             ep_len: np.ndarray, waiting: Optional[np.ndarray] = None) -> tuple:
        """One vector step of a sampler: adds ``rewards`` to each env's episode return
        ``ep_reward`` (float64) and 1 to its length ``ep_len`` (int64), both in place, then
        :meth:`apply` with those lengths, in one native call. Envs ``waiting`` for their reset
        (this step's rows are no transition) add nothing and end no episode.

        Returns:
            The fields of :meth:`apply`'s :class:`LimitOutcome` and the number of envs whose
            episode ends here, as the plain tuple ``(terminateds, truncateds, done, reset, soft,
            n_done)`` the kernel returns (a sampler's every step, without the named tuple);
            ``reset`` is None without a hard horizon.

        Examples:
            >>> ret, lens = np.zeros(2), np.array([0, 4])
            >>> term, trunc, done, reset, soft, n_done = EpisodeLimits(horizon=5).step(
            ...     np.array([1.0, 2.0]), np.zeros(2, bool), np.zeros(2, bool), ret, lens)
            >>> ret.tolist(), lens.tolist(), trunc.tolist(), reset.tolist(), n_done
            ([1.0, 2.0], [1, 5], [False, True], [False, True], 1)
        """
        return episode_step(terminateds, truncateds, ep_len, self.horizon or 0, self.soft_horizon,
                            self.no_done_at_end, rewards, ep_reward, waiting)

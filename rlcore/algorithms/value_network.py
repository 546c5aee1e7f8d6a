"""ValueNetworkMixin: an actor-critic policy's value estimates, and its batched GAE postprocessing.

The mixin gives a policy ``value_batch(obs, state_batches)`` (values of a batch of observations,
no gradient; framework mixins implement ``_values_np``), RLlib 1.3+'s ``_value(**input_dict)``
(one observation) and ``postprocess_fragments(batch, seg_lens, episodes)``: the rollout worker
calls it once per sample, and it runs one value forward over every open fragment's final
``new_obs`` and one GAE kernel call
(:func:`~rlcore.sampling.postprocessing.compute_gae_for_fragments`). The per-fragment form is
:func:`~rlcore.sampling.postprocessing.compute_gae_for_sample_batch`, the templates'
``postprocess_fn``. Settings come from the policy config: ``gamma``, ``lambda``, ``use_gae``,
``use_critic``.

Examples:
    >>> import numpy as np
    >>> from rlcore.data.sample_batch import SampleBatch
    >>> class P(ValueNetworkMixin):
    ...     config = {"gamma": 0.5, "lambda": 1.0, "use_gae": True, "use_critic": True}
    ...     def _values_np(self, obs, state_batches):
    ...         return np.full(len(obs), 8.0, np.float32)
    >>> b = SampleBatch({"obs": np.zeros((3, 1)), "new_obs": np.zeros((3, 1)), "rewards": np.ones(3, np.float32),
    ...                  "vf_preds": np.zeros(3, np.float32), "terminateds": np.array([False, True, False])})
    >>> P().postprocess_fragments(b, np.array([2, 1]), [None, None])["advantages"].tolist()
    [1.5, 1.0, 5.0]
    >>> P()._value(obs=np.zeros(1))
    8.0
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np

from rlcore.data.columns import Columns
from rlcore.sampling.postprocessing import compute_gae_for_fragments, compute_gae_for_sample_batch

__all__ = ["ValueNetworkMixin"]


class ValueNetworkMixin:
    """Mixin: ``value_batch``, ``_value`` and batched GAE ``postprocess_fragments``.

    ``__init__`` takes RLlib's ``(obs_space, action_space, config)`` and needs nothing.
    """

    #: The per-fragment function ``postprocess_fragments`` equals (run on each fragment after the
    #: exploration's postprocessing); the sampler batches only a template built with exactly it.
    fragment_postprocess_fn = staticmethod(compute_gae_for_sample_batch)

    def __init__(self, obs_space: Any = None, action_space: Any = None, config: Optional[Dict[str, Any]] = None):
        pass

    def _values_np(self, obs: np.ndarray, state_batches: List[np.ndarray],
                   inputs_extra: Optional[Dict[str, np.ndarray]] = None) -> np.ndarray:
        raise NotImplementedError

    def value_batch(self, obs: Any, state_batches: Optional[List[Any]] = None, prev_actions: Any = None,
                    prev_rewards: Any = None, views: Optional[Dict[str, Any]] = None) -> np.ndarray:
        """Float32 values of a batch of observations (recurrent policies: with their state; models
        that read them: with the previous actions and rewards, and their own trajectory views)."""
        extra = {k: np.asarray(v) for k, v in (views or {}).items()}
        if prev_actions is not None:
            extra[Columns.PREV_ACTIONS] = np.asarray(prev_actions)
        if prev_rewards is not None:
            extra[Columns.PREV_REWARDS] = np.asarray(prev_rewards, np.float32)
        states = [np.asarray(s) for s in (state_batches or [])]
        return np.asarray(self._values_np(np.asarray(obs), states, *([extra] if extra else [])),
                          np.float32).reshape(-1)

    def _value(self, **input_dict: Any) -> float:
        """The value of one observation: ``obs=`` plus ``state_in_i=`` rows, without batch dimension."""
        states, i = [], 0
        while f"{Columns.STATE_IN_PREFIX}{i}" in input_dict:
            states.append(np.asarray(input_dict[f"{Columns.STATE_IN_PREFIX}{i}"])[None])
            i += 1
        return float(self.value_batch(np.asarray(input_dict[Columns.OBS])[None], states)[0])

    def postprocess_fragments(self, batch: Any, seg_lens: np.ndarray, episodes: List[Any],
                              last_values: Optional[np.ndarray] = None) -> Any:
        """GAE over a whole sampled batch of consecutive fragments (one value forward, one kernel call).

        Args:
            batch: the worker's batch, fragments back to back.
            seg_lens: the length of each fragment.
            episodes: one episode per fragment (unused here).
            last_values: the value of each fragment's final ``new_obs``, when the worker computed
                them with the rows' ``vf_preds`` (then no value forward here).

        Returns:
            ``batch`` with ``advantages`` and ``value_targets``.
        """
        exploration = getattr(self, "exploration", None)
        if exploration is not None:
            batch = exploration.postprocess_trajectory(self, batch)
        return compute_gae_for_fragments(self, batch, seg_lens, episodes, last_values)

"""Framework-free pieces of the Q-learning policies: n-step postprocessing and TD-error fetches.

- :func:`adjust_nstep`: RLlib 1.x's in-place n-step adjustment of a batch of consecutive
  fragments, on the compiled ``adjust_nstep`` kernel (one call for the whole batch):
  ``rewards[i]`` becomes ``sum_{j<h} gamma**j r[i+j]``, ``new_obs[i]`` and the done flags those of
  row ``i + h - 1``, where ``h <= n_step`` stops at a terminal row or the fragment's end.
- :func:`postprocess_nstep_and_prio`: the policies' ``postprocess_fn``: n-step, a ``weights``
  column of ones when absent, and with ``worker_side_prioritization`` the initial priorities
  ``|td_error| + prioritized_replay_eps`` from the policy's ``compute_td_error``.
- :class:`NStepPostprocessing`: the same over a whole sample with one kernel call
  (``postprocess_fragments``, which the rollout worker uses when the policy's postprocessing is
  exactly this function).
- :class:`TDErrorFetches`: moves the per-row ``td_error`` the loss reports out of the learner
  stats into the fetches next to them (``info["td_error"]``, RLlib 1.x's layout), where the plan's
  priority update reads it.

The bootstrap mask is ``terminateds`` when ``bootstrap_truncated`` (rlcore's default) and the batch
has them, else ``dones`` (RLlib 1.x: every done bootstraps 0).

Examples:
    >>> import numpy as np
    >>> b = {"rewards": np.ones(4, np.float32), "dones": np.array([0, 0, 0, 1], bool),
    ...      "new_obs": np.arange(4.0)[:, None]}
    >>> adjust_nstep(2, 0.5, b, seg_lens=[4])
    >>> b["rewards"].tolist(), b["new_obs"][:, 0].tolist(), b["dones"].tolist()
    ([1.5, 1.5, 1.5, 1.0], [1.0, 2.0, 3.0, 3.0], [False, False, True, True])
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from rlcore.data.columns import Columns

__all__ = ["PRIO_WEIGHTS", "adjust_nstep", "build_q_model", "q_options", "done_column", "postprocess_nstep_and_prio", "NStepPostprocessing",
           "TDErrorFetches"]

#: The importance-weight column (ones unless replayed from a prioritized buffer).
PRIO_WEIGHTS = "weights"


def done_column(config: Dict[str, Any], batch: Any) -> str:
    """The column masking the bootstrap: ``terminateds`` with ``bootstrap_truncated`` when present, else ``dones``.

    Examples:
        >>> done_column({"bootstrap_truncated": True}, {"dones": 0, "terminateds": 0}), done_column({}, {"dones": 0})
        ('terminateds', 'dones')
    """
    if config.get("bootstrap_truncated", True) and Columns.TERMINATEDS in batch:
        return Columns.TERMINATEDS
    return Columns.DONES


def adjust_nstep(n_step: int, gamma: float, batch: Any, seg_lens: Optional[Sequence[int]] = None) -> None:
    """N-step adjustment of ``batch`` in place (see the module docstring).

    Args:
        n_step: Steps per return (>= 1).
        gamma: Discount.
        batch: A mapping with ``rewards``, ``new_obs`` and ``dones`` (``terminateds``/``truncateds``
            too, when present: all done flags move with ``new_obs``).
        seg_lens: Rows per fragment (default: the whole batch is one fragment). A sum also stops
            after a ``dones`` row (an episode's end); the bootstrap mask is then taken from there.
    """
    from rlcore._backend import adjust_nstep as kernel

    n = len(batch[Columns.REWARDS])
    if n == 0:
        return
    seg = np.ascontiguousarray([n] if seg_lens is None else seg_lens, dtype=np.int64)
    stops = np.asarray(batch[Columns.DONES], np.bool_)
    rewards_n, nxt, _, _ = kernel(int(n_step), float(gamma), np.asarray(batch[Columns.REWARDS], np.float32), stops, seg)
    batch[Columns.REWARDS] = rewards_n
    batch[Columns.NEXT_OBS] = np.asarray(batch[Columns.NEXT_OBS])[nxt]
    for col in (Columns.DONES, Columns.TERMINATEDS, Columns.TRUNCATEDS):
        if col in batch:
            batch[col] = np.asarray(batch[col])[nxt]


def postprocess_nstep_and_prio(policy: Any, batch: Any, other_agent_batches: Any = None, episode: Any = None,
                               seg_lens: Optional[Sequence[int]] = None) -> Any:
    """The Q policies' ``postprocess_fn`` (see the module docstring); returns ``batch``."""
    cfg = policy.config
    if cfg.get("n_step", 1) > 1:
        adjust_nstep(cfg["n_step"], cfg["gamma"], batch, seg_lens)
    if PRIO_WEIGHTS not in batch:
        batch[PRIO_WEIGHTS] = np.ones_like(np.asarray(batch[Columns.REWARDS], np.float32))
    if len(batch[Columns.REWARDS]) > 0 and cfg.get("worker_side_prioritization"):
        td = policy.compute_td_error(batch[Columns.OBS], batch[Columns.ACTIONS], batch[Columns.REWARDS],
                                     batch[Columns.NEXT_OBS], batch[done_column(cfg, batch)], batch[PRIO_WEIGHTS])
        batch[PRIO_WEIGHTS] = (np.abs(np.asarray(td, np.float64)) + cfg["prioritized_replay_eps"]).astype(np.float32)
    return batch


class NStepPostprocessing:
    """Mixin: ``postprocess_fragments`` runs :func:`postprocess_nstep_and_prio` over a whole sample."""

    #: The per-fragment function this batches (the sampler batches only a template built with it).
    fragment_postprocess_fn = staticmethod(postprocess_nstep_and_prio)

    def postprocess_fragments(self, batch: Any, seg_lens: np.ndarray, episodes: List[Any]) -> Any:
        """N-step over consecutive fragments (lengths ``seg_lens``) with one kernel call."""
        return postprocess_nstep_and_prio(self, batch, seg_lens=seg_lens)


class TDErrorFetches:
    """Mixin: after ``learn_on_batch`` the loss's per-row ``td_error`` is a fetch next to
    ``learner_stats`` (``info["td_error"]``), not a learner statistic."""

    def learn_on_batch(self, postprocessed_batch: Any) -> Dict[str, Any]:
        from rlcore.policy.policy import LEARNER_STATS_KEY

        fetches = super().learn_on_batch(postprocessed_batch)
        stats = fetches.get(LEARNER_STATS_KEY, {})
        if "td_error" in stats:
            fetches["td_error"] = np.asarray(stats.pop("td_error"), np.float32)
        return fetches


def q_options(config: Dict[str, Any]) -> Dict[str, Any]:
    """The Q-head options of a config; keys SimpleQ's config lacks get SimpleQ's values.

    Examples:
        >>> q_options({})["dueling"], q_options({"dueling": True, "hiddens": [8]})["hiddens"]
        (False, [8])
    """
    return {
        "hiddens": list(config.get("hiddens") or []),
        "dueling": bool(config.get("dueling", False)),
        "double_q": bool(config.get("double_q", False)),
        "num_atoms": int(config.get("num_atoms", 1)),
        "v_min": float(config.get("v_min", -10.0)),
        "v_max": float(config.get("v_max", 10.0)),
        "noisy": bool(config.get("noisy", False)),
        "sigma0": float(config.get("sigma0", 0.5)),
        "n_step": int(config.get("n_step", 1)),
    }


def build_q_model(obs_space: Any, action_space: Any, config: Dict[str, Any], name: str, framework: str,
             interface: type) -> Any:
    """One Q model of the torch or TF policies (``interface``: the framework's Q head class).

    With ``hiddens`` the base network ends in its last hidden layer (``no_final_linear``) and the
    Q head follows; without, the base network's ``num_actions * num_atoms`` outputs are the
    action scores. ``add_layer_norm`` follows a ``ParameterNoise`` exploration (RLlib 1.x).
    """
    from rlcore.models.catalog import ModelCatalog

    opts = q_options(config)
    model_config = dict(config["model"])
    if opts["hiddens"]:
        num_outputs = ([256] + list(model_config.get("fcnet_hiddens") or []))[-1]
        model_config["no_final_linear"] = True
    else:
        num_outputs = int(action_space.n) * opts["num_atoms"]
    exploration = (config.get("exploration_config") or {}).get("type")
    return ModelCatalog.get_model_v2(
        obs_space, action_space, num_outputs, model_config, framework=framework, name=name, model_interface=interface,
        q_hiddens=opts["hiddens"], dueling=opts["dueling"], num_atoms=opts["num_atoms"], use_noisy=opts["noisy"],
        v_min=opts["v_min"], v_max=opts["v_max"], sigma0=opts["sigma0"],
        add_layer_norm=exploration in ("ParameterNoise", "rlcore.policy.exploration.ParameterNoise"))

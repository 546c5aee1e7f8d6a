"""Policy: maps observations to actions and learns from batches of experience (RLlib 1.x API).

A ``Policy(observation_space, action_space, config)`` is what a rollout worker asks for actions
and what a learner trains. The loop it serves::

    actions, state_outs, extra = policy.compute_actions(obs_batch, state_batches)
    batch = policy.postprocess_trajectory(episode_fragment)      # e.g. advantages
    stats = policy.learn_on_batch(train_batch)["learner_stats"]
    worker.set_weights(policy.get_weights())

This base class is framework-free: it holds the spaces, config, global timestep, exploration and
view requirements, and implements everything that can be written in terms of the abstract
methods (``compute_single_action``, ``learn_on_batch`` via gradients, state and checkpoints).
``TorchPolicy`` and ``TFPolicy`` implement the rest.

Examples:
    >>> import gymnasium as gym, numpy as np
    >>> class Always0(Policy):
    ...     def compute_actions(self, obs_batch, state_batches=None, **kw):
    ...         return np.zeros(len(obs_batch), dtype=np.int64), [], {}
    ...     def get_weights(self): return {}
    ...     def set_weights(self, weights): pass
    >>> p = Always0(gym.spaces.Box(-1, 1, (2,)), gym.spaces.Discrete(2), {})
    >>> p.compute_single_action(np.zeros(2, np.float32))[0]
    np.int64(0)
    >>> p.is_recurrent(), p.num_state_tensors()
    (False, 0)
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from rlcore.data.columns import Columns
from rlcore.data.sample_batch import DEFAULT_POLICY_ID
from rlcore.data.view_requirement import ViewRequirement
from rlcore.models.state_structure import map_state_leaves
from rlcore.policy import policy_state
from rlcore.policy.exploration.exploration import Exploration
from rlcore.policy.exploration.exploration import from_config as exploration_from_config

__all__ = ["Policy", "LEARNER_STATS_KEY", "DEFAULT_POLICY_ID"]

#: Key of the learner statistics in ``learn_on_batch``'s result (RLlib's ``LEARNER_STATS_KEY``).
LEARNER_STATS_KEY = "learner_stats"


def _unbatch(x: Any) -> Any:
    """Row 0 of a (possibly nested) batched structure."""
    if isinstance(x, dict):
        return {k: _unbatch(v) for k, v in x.items()}
    if isinstance(x, (tuple, list)):
        return type(x)(_unbatch(v) for v in x)
    return x[0]


def clip_action(action: Any, space: Any) -> Any:
    """Clips an action (possibly nested) to the bounds of the Box components of ``space``.

    Examples:
        >>> import gymnasium as gym, numpy as np
        >>> clip_action(np.array([2.0, -3.0]), gym.spaces.Box(-1.0, 1.0, (2,))).tolist()
        [1.0, -1.0]
    """
    import gymnasium.spaces as S

    if isinstance(space, S.Tuple):
        return tuple(clip_action(a, s) for a, s in zip(action, space.spaces))
    if isinstance(space, S.Dict):
        return {k: clip_action(action[k], s) for k, s in space.spaces.items()}
    if isinstance(space, S.Box):
        return np.clip(action, space.low, space.high)
    return action


# rlcore's own ``postprocess_trajectory`` functions (base classes and templates) carry the
# ``postprocess_fn`` they run after the exploration's (None: nothing) in an attribute, which
# survives the by-value pickling that sends a template-made policy class to a Ray worker. The
# sampler skips or batches only these: a user's override is unmarked, and a wrapper made with
# functools.wraps (which copies the attribute) is told apart by its ``__wrapped__``
# (rlcore.sampling.trajectory_postprocessor).
_MARK = "_rlcore_postprocess_fn"
_UNKNOWN = object()


def known_postprocessing(fn: Callable, postprocess_fn: Optional[Callable] = None) -> Callable:
    """Marks ``fn`` as a ``postprocess_trajectory`` that runs the exploration's postprocessing and
    then ``postprocess_fn`` (None: nothing else); returns ``fn``.

    Only rlcore's own implementations are marked: the sampler may then skip them (no
    ``postprocess_fn``) or replace them by a policy's batched ``postprocess_fragments``.

    Examples:
        >>> def mine(self, batch, other_agent_batches=None, episode=None):
        ...     return batch
        >>> known_postprocessing(mine) is mine, postprocess_fn_of(mine), postprocess_fn_of(len) is _UNKNOWN
        (True, None, True)
    """
    setattr(fn, _MARK, postprocess_fn)
    return fn


def postprocess_fn_of(fn: Callable) -> Any:
    """The ``postprocess_fn`` a marked ``postprocess_trajectory`` runs, or ``_UNKNOWN`` (user code)."""
    if "__wrapped__" in getattr(fn, "__dict__", {}):
        return _UNKNOWN  # a user's wrapper around one of ours
    return getattr(fn, _MARK, _UNKNOWN)


class Policy:
    """Base class of every policy; see the module docstring.

    Args:
        observation_space: the (preprocessed) observation space.
        action_space: the action space.
        config: the policy config (a dict; ``framework``, ``exploration_config``, ``model``, ...).

    Attributes:
        global_timestep: the timestep used by schedules (set by ``on_global_var_update``).
        exploration: the :class:`Exploration` (built by subclasses via ``_create_exploration``).
        view_requirements: ``{name: ViewRequirement}`` of the inputs this policy needs.
        dist_class: the action distribution class (template policies).
    """

    def __init__(self, observation_space: Any, action_space: Any, config: Dict[str, Any]):
        if not isinstance(config, dict):
            raise TypeError(f"config={config!r}: expected a dict")
        self.observation_space = observation_space
        self.action_space = action_space
        self.action_space_struct = action_space
        self.config = config
        self.framework = config.get("framework")
        self.global_timestep = 0
        self.dist_class = None
        self.exploration: Optional[Exploration] = None
        self.view_requirements: Dict[str, ViewRequirement] = self._get_default_view_requirements()

    # -- acting --------------------------------------------------------------------------------
    def compute_actions(
        self,
        obs_batch: Any,
        state_batches: Optional[List[Any]] = None,
        prev_action_batch: Any = None,
        prev_reward_batch: Any = None,
        info_batch: Any = None,
        episodes: Any = None,
        explore: Optional[bool] = None,
        timestep: Optional[int] = None,
        **kwargs: Any,
    ) -> Tuple[Any, List[Any], Dict[str, Any]]:
        """Computes actions for a batch of observations.

        Returns:
            ``(actions, state_outs, extra_fetches)``: numpy actions (nested for Tuple/Dict
            spaces), a list of numpy RNN state batches, and a dict of numpy columns
            (``action_logp``, ``action_prob``, ``action_dist_inputs``, ``vf_preds``, ...).
        """
        raise NotImplementedError

    def compute_single_action(
        self,
        obs: Any,
        state: Optional[List[Any]] = None,
        prev_action: Any = None,
        prev_reward: Any = None,
        info: Any = None,
        episode: Any = None,
        clip_actions: bool = False,
        explore: Optional[bool] = None,
        timestep: Optional[int] = None,
        **kwargs: Any,
    ) -> Tuple[Any, List[Any], Dict[str, Any]]:
        """Batch-of-one ``compute_actions``: returns ``(action, state_out, extra)`` unbatched."""
        # A nested state entry (the model's own layout; rlcore.models.state_structure) is batched leaf by leaf.
        state_batch = [map_state_leaves(_batch_leaf, s) for s in state] if state else None
        prev_a = None if prev_action is None else _batch_one(prev_action)
        prev_r = None if prev_reward is None else np.asarray([prev_reward], dtype=np.float32)
        actions, state_out, extra = self.compute_actions(
            _batch_one(obs), state_batch, prev_action_batch=prev_a, prev_reward_batch=prev_r,
            info_batch=[info] if info is not None else None, episodes=[episode] if episode is not None else None,
            explore=explore, timestep=timestep, **kwargs)
        action = _unbatch(actions)
        if clip_actions:
            action = clip_action(action, self.action_space)
        return action, [s[0] for s in state_out], {k: v[0] for k, v in extra.items()}

    def compute_actions_from_input_dict(self, input_dict: Dict[str, Any], explore: Optional[bool] = None,
                                        timestep: Optional[int] = None, episodes: Any = None, **kwargs: Any):
        """Trajectory-view entry point: unpacks ``obs``, ``state_in_*``, ``prev_*`` and calls
        ``compute_actions``; every other entry (a model's own views) goes in as ``input_views``."""
        state_keys = sorted((k for k in input_dict if k.startswith(Columns.STATE_IN_PREFIX)),
                            key=lambda k: int(k[len(Columns.STATE_IN_PREFIX):]))
        known = {Columns.OBS, Columns.PREV_ACTIONS, Columns.PREV_REWARDS, Columns.INFOS, Columns.SEQ_LENS,
                 "is_training", *state_keys}
        views = {k: v for k, v in input_dict.items() if k not in known and not k.startswith(Columns.STATE_OUT_PREFIX)}
        if views:
            kwargs["input_views"] = views
        return self.compute_actions(
            input_dict[Columns.OBS], [input_dict[k] for k in state_keys] or None,
            prev_action_batch=input_dict.get(Columns.PREV_ACTIONS),
            prev_reward_batch=input_dict.get(Columns.PREV_REWARDS),
            info_batch=input_dict.get(Columns.INFOS), episodes=episodes, explore=explore, timestep=timestep, **kwargs)

    def compute_log_likelihoods(self, actions: Any, obs_batch: Any, state_batches: Optional[List[Any]] = None,
                                prev_action_batch: Any = None, prev_reward_batch: Any = None) -> np.ndarray:
        """Log-likelihood of ``actions`` under the current policy, one per row (numpy)."""
        raise NotImplementedError

    # -- learning ------------------------------------------------------------------------------
    def postprocess_trajectory(self, sample_batch: Any, other_agent_batches: Any = None, episode: Any = None) -> Any:
        """Edits one episode fragment before it is used for training (e.g. adds advantages).

        Args:
            sample_batch: One agent's rows of one episode since the last cut.
            other_agent_batches: ``{agent_id: (policy, batch)}`` of the other agents of the same
                episode and cut (``{}`` for a single agent), before their own postprocessing.
            episode: The :class:`~rlcore.sampling.episode.Episode` the rows belong to.
        """
        return sample_batch

    known_postprocessing(postprocess_trajectory)

    def learn_on_batch(self, samples: Any) -> Dict[str, Any]:
        """One update on ``samples``; returns ``{"learner_stats": {...}, ...}``."""
        grads, info = self.compute_gradients(samples)
        self.apply_gradients(grads)
        return info

    def compute_gradients(self, postprocessed_batch: Any) -> Tuple[Any, Dict[str, Any]]:
        """Gradients of the loss on a batch: ``(list of numpy arrays, info dict)``."""
        raise NotImplementedError

    def apply_gradients(self, gradients: Any) -> None:
        """Applies gradients (as returned by :meth:`compute_gradients`) with the optimizer."""
        raise NotImplementedError

    # -- weights, state, checkpoints ------------------------------------------------------------
    def get_weights(self) -> Dict[str, np.ndarray]:
        """Model weights as ``{name: numpy array}`` (msgpack-able with :mod:`policy_state`)."""
        raise NotImplementedError

    def set_weights(self, weights: Dict[str, np.ndarray]) -> None:
        """Sets the weights returned by :meth:`get_weights`."""
        raise NotImplementedError

    def get_state(self) -> Dict[str, Any]:
        """Weights, global timestep and exploration state (subclasses add optimizer state)."""
        state: Dict[str, Any] = {"weights": self.get_weights(), "global_timestep": int(self.global_timestep)}
        if self.exploration is not None:
            state["exploration"] = self.exploration.get_state()
        return state

    def set_state(self, state: Dict[str, Any]) -> None:
        """Restores what :meth:`get_state` returned."""
        if not isinstance(state, dict) or "weights" not in state:
            raise ValueError(f"policy state: expected a dict with a 'weights' key, got {type(state).__name__}"
                             f" with keys {sorted(state) if isinstance(state, dict) else None}")
        self.set_weights(state["weights"])
        self.global_timestep = int(state.get("global_timestep", 0))
        if self.exploration is not None and "exploration" in state:
            self.exploration.set_state(state["exploration"])

    def get_exploration_info(self) -> Dict[str, Any]:
        """The exploration's state (RLlib 1.x name)."""
        return self.exploration.get_state() if self.exploration is not None else {}

    def export_checkpoint(self, export_dir: str, filename_prefix: str = "policy_state") -> str:
        """Writes :meth:`get_state` as msgpack to ``export_dir/<filename_prefix>.msgpack``; returns the path.

        ``Policy.import_checkpoint`` (or ``set_state(policy_state.load_state(path))``) reads it back.
        """
        return policy_state.save_state(self.get_state(), export_dir, f"{filename_prefix}.msgpack")

    def import_checkpoint(self, path: str) -> None:
        """Restores a state written by :meth:`export_checkpoint` (a file or its directory)."""
        import os

        if os.path.isdir(path):
            path = os.path.join(path, "policy_state.msgpack")
        self.set_state(policy_state.load_state(path))

    def export_model(self, export_dir: str) -> None:
        """Writes the model in the framework's serving format (TorchScript / SavedModel)."""
        raise NotImplementedError

    def import_model_from_h5(self, import_file: str) -> None:
        """Loads Keras weights (``.weights.h5``, ``.h5``, ``.keras``) into the policy's model
        (RLlib 1.x): ``self.model.import_from_h5(import_file)``.

        Raises:
            NotImplementedError: the policy has no model, or its model cannot load Keras files
                (torch models; see ``ModelV2.import_from_h5``).
        """
        model = getattr(self, "model", None)
        if model is None or not hasattr(model, "import_from_h5"):
            raise NotImplementedError(f"{type(self).__name__} has no ModelV2 to import {import_file!r} into")
        model.import_from_h5(import_file)

    # -- recurrence, global vars -----------------------------------------------------------------
    def get_initial_state(self) -> List[np.ndarray]:
        """Initial RNN state, one array per state tensor, without a batch dimension."""
        return []

    def num_state_tensors(self) -> int:
        """Number of RNN state tensors."""
        return len(self.get_initial_state())

    def is_recurrent(self) -> bool:
        """Whether the policy carries RNN state."""
        return self.num_state_tensors() > 0

    def on_global_var_update(self, global_vars: Dict[str, Any]) -> None:
        """Takes ``global_vars["timestep"]`` as the global timestep (schedules follow it)."""
        if "timestep" in global_vars:
            self.global_timestep = int(global_vars["timestep"])

    # -- helpers for subclasses -------------------------------------------------------------------
    def _create_exploration(self) -> Exploration:
        """Builds ``config["exploration_config"]`` (default StochasticSampling) once."""
        if self.exploration is None:
            self.exploration = exploration_from_config(
                self.config.get("exploration_config") or {"type": "StochasticSampling"},
                action_space=self.action_space, framework=self.framework or "torch", policy_config=self.config,
                model=getattr(self, "model", None), num_workers=self.config.get("num_workers", 0),
                worker_index=self.config.get("worker_index", 0))
        return self.exploration

    def _get_default_view_requirements(self) -> Dict[str, ViewRequirement]:
        """The RLlib 1.x default views: obs, new_obs, actions, rewards, dones, prev_*, ids, t, infos."""
        C = Columns
        return {
            C.OBS: ViewRequirement(space=self.observation_space),
            C.NEXT_OBS: ViewRequirement(data_col=C.OBS, shift=1, space=self.observation_space,
                                        used_for_compute_actions=False),
            C.ACTIONS: ViewRequirement(space=self.action_space, used_for_compute_actions=False),
            C.PREV_ACTIONS: ViewRequirement(data_col=C.ACTIONS, shift=-1, space=self.action_space),
            C.REWARDS: ViewRequirement(used_for_compute_actions=False),
            C.PREV_REWARDS: ViewRequirement(data_col=C.REWARDS, shift=-1),
            C.DONES: ViewRequirement(used_for_compute_actions=False),
            C.INFOS: ViewRequirement(used_for_compute_actions=False),
            C.EPS_ID: ViewRequirement(used_for_compute_actions=False),
            C.UNROLL_ID: ViewRequirement(used_for_compute_actions=False),
            C.AGENT_INDEX: ViewRequirement(used_for_compute_actions=False),
            C.T: ViewRequirement(used_for_compute_actions=False),
        }

    def _update_state_view_requirements(self, max_seq_len: int) -> None:
        """Adds ``state_in_i``/``state_out_i`` views for each RNN state tensor."""
        for i, s in enumerate(self.get_initial_state()):
            import gymnasium as gym

            space = gym.spaces.Box(-1.0, 1.0, shape=np.asarray(s).shape)
            self.view_requirements[f"{Columns.STATE_IN_PREFIX}{i}"] = ViewRequirement(
                data_col=f"{Columns.STATE_OUT_PREFIX}{i}", shift=-1, space=space, batch_repeat_value=max_seq_len)
            self.view_requirements[f"{Columns.STATE_OUT_PREFIX}{i}"] = ViewRequirement(space=space,
                                                                                      used_for_training=True)


def _batch_leaf(x: Any) -> np.ndarray:
    """One state leaf with a batch dimension of 1."""
    return np.asarray(x)[None]


def _batch_one(x: Any) -> Any:
    """Adds a batch dimension of 1 to a (possibly nested) item."""
    if isinstance(x, dict):
        return {k: _batch_one(v) for k, v in x.items()}
    if isinstance(x, tuple):
        return tuple(_batch_one(v) for v in x)
    return np.asarray([x])

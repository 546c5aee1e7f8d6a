"""Exploration: how a policy turns an action distribution into the actions it takes.

A policy holds one ``Exploration`` (built from ``config["exploration_config"]``) and, on every
``compute_actions`` call, hands it the action distribution of the forward pass:
``actions, logp = exploration.get_exploration_action(action_distribution=d, timestep=t,
explore=e)``. Subclasses implement one method per framework (``_torch_action`` and
``_tf_action``), so the same class serves torch and TensorFlow 2 (eager and ``tf.function``).
``explore=False`` is always the deterministic action with a log-likelihood of 0.

Examples:
    >>> import gymnasium as gym
    >>> e = from_config({"type": "StochasticSampling"}, action_space=gym.spaces.Discrete(2),
    ...                 framework="torch", policy_config={}, model=None)
    >>> type(e).__name__, e.get_state()
    ('StochasticSampling', {'last_timestep': 0})
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["Exploration", "from_config", "register_exploration"]

_REGISTRY: dict[str, type] = {}


def register_exploration(cls: type) -> type:
    """Class decorator: makes ``cls`` known to ``from_config`` under its class name.

    Examples:
        >>> @register_exploration
        ... class MyExploration(Exploration):
        ...     pass
        >>> "MyExploration" in _REGISTRY
        True
    """
    _REGISTRY[cls.__name__] = cls
    return cls


def _framework_of(framework: str | None) -> str:
    if framework in (None, "torch"):
        return "torch"
    if framework in ("tf", "tf2", "tfe"):
        return "tf2"
    raise ValueError(f"framework={framework!r}: expected 'torch', 'tf', 'tf2' or 'tfe'")


class Exploration:
    """Base class of the exploration strategies (RLlib 1.x ``rllib.utils.exploration.Exploration``).

    Args:
        action_space: the policy's action space.
        framework: ``"torch"`` or ``"tf"``/``"tf2"``/``"tfe"``.
        policy_config: the policy's config dict.
        model: the policy's model (may be ``None``).
        num_workers: number of rollout workers of the trainer.
        worker_index: this worker's index (0 for the local worker).

    Examples:
        >>> import gymnasium as gym
        >>> Exploration(gym.spaces.Discrete(3), framework="tf").framework
        'tf2'
    """

    def __init__(
        self,
        action_space: Any,
        *,
        framework: str | None = "torch",
        policy_config: dict | None = None,
        model: Any = None,
        num_workers: int = 0,
        worker_index: int = 0,
    ):
        self.action_space = action_space
        self.framework = _framework_of(framework)
        self.policy_config = policy_config or {}
        self.model = model
        self.num_workers = num_workers
        self.worker_index = worker_index
        self.last_timestep = 0

    # -- the per-step hooks -------------------------------------------------------------------
    def before_compute_actions(self, *, timestep: Any = None, explore: Any = None, tf_sess: Any = None, **kwargs) -> None:
        """Called eagerly by the policy before each forward pass; records the timestep."""
        if timestep is not None:
            self.last_timestep = int(timestep)

    def get_exploration_action(self, *, action_distribution: Any, timestep: Any, explore: bool = True) -> tuple[Any, Any]:
        """Returns ``(actions, logp)`` as tensors of the policy's framework.

        Args:
            action_distribution: the distribution built from the model's outputs.
            timestep: the global timestep (an int, or a TF tensor inside ``tf.function``).
            explore: whether to explore (``False`` means the deterministic action).
        """
        if self.framework == "torch":
            return self._torch_action(action_distribution, timestep, explore)
        return self._tf_action(action_distribution, timestep, explore)

    def _torch_action(self, action_distribution: Any, timestep: Any, explore: bool) -> tuple[Any, Any]:
        raise NotImplementedError

    def _tf_action(self, action_distribution: Any, timestep: Any, explore: bool) -> tuple[Any, Any]:
        raise NotImplementedError

    def on_episode_start(self, policy: Any = None, *, environment: Any = None, episode: Any = None, tf_sess: Any = None) -> None:
        """Called at the start of an episode (no-op by default)."""

    def on_episode_end(self, policy: Any = None, *, environment: Any = None, episode: Any = None, tf_sess: Any = None) -> None:
        """Called at the end of an episode (no-op by default)."""

    def postprocess_trajectory(self, policy: Any, sample_batch: Any, tf_sess: Any = None) -> Any:
        """Lets the exploration edit a trajectory; returns the batch unchanged by default."""
        return sample_batch

    def get_exploration_optimizer(self, optimizers: list) -> list:
        """Returns the optimizers to use, possibly adding the exploration's own."""
        return optimizers

    def get_exploration_loss(self, policy_loss: Any, train_batch: Any) -> Any:
        """Returns the loss, possibly extended with an exploration term."""
        return policy_loss

    # -- state --------------------------------------------------------------------------------
    def get_state(self, sess: Any = None) -> dict:
        """A msgpack-able dict with the exploration's state."""
        return {"last_timestep": int(self.last_timestep)}

    def set_state(self, state: dict, sess: Any = None) -> None:
        """Restores what :meth:`get_state` returned."""
        self.last_timestep = int(state.get("last_timestep", 0))

    def get_info(self, sess: Any = None) -> dict:
        """RLlib 1.x name of :meth:`get_state`."""
        return self.get_state(sess)


def _resolve_type(typ: Any) -> type:
    if isinstance(typ, type):
        return typ
    if not isinstance(typ, str):
        raise TypeError(f"exploration_config['type']={typ!r}: expected a class name, a dotted path or a class")
    if typ in _REGISTRY:
        return _REGISTRY[typ]
    if "." in typ or ":" in typ:
        mod_name, _, cls_name = typ.replace(":", ".").rpartition(".")
        try:
            return getattr(importlib.import_module(mod_name), cls_name)
        except (ImportError, AttributeError) as err:
            raise ValueError(f"exploration_config['type']={typ!r}: cannot import it ({err})") from err
    raise ValueError(f"exploration_config['type']={typ!r}: unknown exploration; known: {sorted(_REGISTRY)}")


def from_config(config: dict | None, *, action_space: Any, framework: str | None, policy_config: dict | None = None,
                model: Any = None, num_workers: int = 0, worker_index: int = 0) -> Exploration:
    """Builds the exploration named by ``config["type"]`` with the remaining keys as kwargs.

    Examples:
        >>> import gymnasium as gym
        >>> e = from_config({"type": "EpsilonGreedy", "initial_epsilon": 0.5},
        ...                 action_space=gym.spaces.Discrete(2), framework="torch")
        >>> e.epsilon_schedule.value(0)
        0.5
    """
    from rlcore.policy import exploration as _pkg  # noqa: F401  (registers the built-in classes)

    kw = dict(config or {"type": "StochasticSampling"})
    cls = _resolve_type(kw.pop("type", "StochasticSampling"))
    if not (isinstance(cls, type) and issubclass(cls, Exploration)):
        raise TypeError(f"exploration_config['type']={cls!r}: expected an Exploration subclass")
    try:
        return cls(action_space, framework=framework, policy_config=policy_config, model=model,
                   num_workers=num_workers, worker_index=worker_index, **kw)
    except TypeError as err:
        raise TypeError(f"exploration_config={config!r}: bad arguments for {cls.__name__} ({err})") from err

"""ParameterNoise: explore by adding Gaussian noise to the model's weights (Plappert et al. 2018).

RLlib 1.x's ``ParameterNoise`` for Discrete action spaces (DQN), torch and TF2:

- while exploring, the model's weights (all but LayerNorm's) carry noise ``N(0, stddev)``; an
  ``explore=False`` call takes it off first, the next exploring call puts it back;
- the actions come from a sub-exploration over the (noisy) Q-values: by default epsilon-greedy
  with epsilon 1 for ``random_timesteps`` steps, then 0.01;
- after each trajectory (:meth:`postprocess_trajectory`) the noise scale adapts: the KL between the
  softmax of the noisy and the noise-free Q-values of its observations is compared with
  ``delta = -log(1 - eps + eps / num_actions)``: ``stddev *= 1.01`` when below, ``/= 1.01``
  above; new noise is drawn for the next trajectory.

The sampler gives no per-episode hook to explorations here, so noise is redrawn per postprocessed
trajectory (an episode with ``batch_mode="complete_episodes"``, which DQN switches to).

Examples:
    >>> import gymnasium as gym, torch
    >>> model = torch.nn.Linear(2, 3)
    >>> e = ParameterNoise(gym.spaces.Discrete(3), framework="torch", model=model, initial_stddev=0.5)
    >>> w = model.weight.detach().clone()
    >>> e.before_compute_actions(timestep=0, explore=True)
    >>> bool(torch.equal(w, model.weight))
    False
    >>> e.before_compute_actions(timestep=0, explore=False)  # noise off again, up to float32 rounding
    >>> bool(torch.allclose(w, model.weight, atol=1e-6)), e.get_state()["cur_stddev"]
    (True, 0.5)
"""

from __future__ import annotations

from typing import Any, List, Optional

import numpy as np

from rlcore.policy.exploration.exploration import Exploration, from_config, register_exploration

__all__ = ["ParameterNoise"]


@register_exploration
class ParameterNoise(Exploration):
    """Parameter-space noise; see the module docstring.

    Args:
        action_space: A Discrete space.
        initial_stddev: The noise's initial standard deviation.
        random_timesteps: Timesteps of purely random actions of the default sub-exploration.
        sub_exploration: The exploration config that picks actions from the noisy outputs.
        **kwargs: Forwarded to :class:`Exploration` (``model`` is required).

    Raises:
        ValueError: For a non-Discrete action space or no model.
    """

    def __init__(self, action_space: Any, *, initial_stddev: float = 1.0, random_timesteps: int = 10000,
                 sub_exploration: Optional[dict] = None, **kwargs: Any):
        import gymnasium.spaces as S

        super().__init__(action_space, **kwargs)
        if not isinstance(action_space, S.Discrete):
            raise ValueError(f"action space {action_space!r}: ParameterNoise supports Discrete action spaces (DQN)")
        if self.model is None:
            raise ValueError("ParameterNoise needs the policy's model (its weights get the noise); got model=None")
        if not initial_stddev > 0:
            raise ValueError(f"initial_stddev={initial_stddev!r}: expected a value > 0")
        self.stddev = float(initial_stddev)
        self.random_timesteps = int(random_timesteps)
        if sub_exploration is None:
            sub_exploration = {"type": "EpsilonGreedy", "epsilon_schedule": {
                "type": "PiecewiseSchedule",
                "endpoints": [(0, 1.0), (self.random_timesteps + 1, 1.0), (self.random_timesteps + 2, 0.01)],
                "outside_value": 0.01}}
        self.sub_exploration = from_config(sub_exploration, action_space=action_space, framework=self.framework,
                                           policy_config=self.policy_config, model=self.model,
                                           num_workers=self.num_workers, worker_index=self.worker_index)
        self._noise: Optional[List[np.ndarray]] = None
        self._applied = False

    # -- the noisy variables ------------------------------------------------------------------
    def _variables(self) -> List[Any]:
        """The model's trainable weights except LayerNorm's."""
        if self.framework == "torch":
            return [p for name, p in self.model.named_parameters() if "LayerNorm" not in name and p.requires_grad]
        return [v for name, v in self.model.trainable_variables(as_dict=True).items()
                if "LayerNorm" not in name and "layer_norm" not in name]

    def _add(self, sign: float) -> None:
        variables = self._variables()
        if self._noise is None:
            self._noise = [np.random.normal(0.0, self.stddev, tuple(v.shape)).astype(np.float32) for v in variables]
        if self.framework == "torch":
            import torch

            with torch.no_grad():
                for v, n in zip(variables, self._noise):
                    v.add_(torch.from_numpy(n) * sign)
        else:
            for v, n in zip(variables, self._noise):
                v.assign_add(n * sign)

    def before_compute_actions(self, *, timestep: Any = None, explore: Any = None, tf_sess: Any = None,
                               **kwargs: Any) -> None:
        """Puts the noise on for exploring calls and takes it off for greedy ones."""
        super().before_compute_actions(timestep=timestep, explore=explore)
        self.sub_exploration.before_compute_actions(timestep=timestep, explore=explore)
        if explore and not self._applied:
            self._add(1.0)
            self._applied = True
        elif not explore and self._applied:
            self._add(-1.0)
            self._applied = False

    def get_exploration_action(self, *, action_distribution: Any, timestep: Any, explore: bool = True):
        return self.sub_exploration.get_exploration_action(action_distribution=action_distribution,
                                                           timestep=timestep, explore=explore)

    # -- adapting the noise ---------------------------------------------------------------------
    def postprocess_trajectory(self, policy: Any, sample_batch: Any, tf_sess: Any = None) -> Any:
        """Adapts ``stddev`` from this trajectory's noisy vs noise-free Q-values; draws new noise."""
        from rlcore.data.columns import Columns

        noisy = sample_batch.get(Columns.ACTION_DIST_INPUTS) if hasattr(sample_batch, "get") else None
        if noisy is not None and len(noisy) > 0:
            saved = policy.global_timestep
            _, _, extra = policy.compute_actions(np.asarray(sample_batch[Columns.OBS]), explore=False)
            policy.global_timestep = saved  # a measurement, not experience
            clean = np.asarray(extra[Columns.ACTION_DIST_INPUTS], np.float64)
            p_noisy, p_clean = _softmax(np.asarray(noisy, np.float64)), _softmax(clean)
            distance = float(np.nanmean(np.sum(p_clean * (np.log(p_clean + 1e-12) - np.log(p_noisy + 1e-12)), -1)))
            eps = float(self.sub_exploration.get_state().get("cur_epsilon", 0.01))
            n = self.action_space.n
            delta = -np.log(1.0 - eps + eps / n)
            self.stddev = self.stddev * 1.01 if distance <= delta else self.stddev / 1.01
        if self._applied:
            self._add(-1.0)
            self._applied = False
        self._noise = None  # the next exploring call draws new noise at the new scale
        return sample_batch

    def get_state(self, sess: Any = None) -> dict:
        """``cur_stddev`` and ``last_timestep``."""
        return {"cur_stddev": float(self.stddev), "last_timestep": int(self.last_timestep)}

    def set_state(self, state: dict, sess: Any = None) -> None:
        """Restores :meth:`get_state` (the noise scale)."""
        super().set_state(state)
        self.stddev = float(state.get("cur_stddev", self.stddev))


def _softmax(x: np.ndarray) -> np.ndarray:
    z = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=-1, keepdims=True)

"""RandomPolicy: actions sampled from the action space; learns nothing (RLlib's examples policy).

Useful as a baseline, to drive envs in tests and examples, and as the smallest complete Policy.

Examples:
    >>> import gymnasium as gym, numpy as np
    >>> policy = RandomPolicy(gym.spaces.Box(-1, 1, (3,)), gym.spaces.Discrete(4), {"seed": 0})
    >>> actions, state, extra = policy.compute_actions(np.zeros((5, 3), np.float32))
    >>> actions.shape, bool(((0 <= actions) & (actions < 4)).all()), state, extra
    ((5,), True, [], {})
"""

from __future__ import annotations

from typing import Any, Dict

import numpy as np

from rlcore.policy.policy import Policy


class RandomPolicy(Policy):
    """Samples each action from ``action_space`` (seeded by ``config["seed"]`` when given)."""

    def __init__(self, observation_space: Any, action_space: Any, config: Dict[str, Any]):
        super().__init__(observation_space, action_space, config)
        seed = config.get("seed")
        self.action_space.seed(None if seed is None else int(seed) + 7919 * int(config.get("worker_index", 0)))

    def compute_actions(self, obs_batch, state_batches=None, prev_action_batch=None, prev_reward_batch=None,
                        info_batch=None, episodes=None, explore=None, timestep=None, **kwargs):
        n = len(obs_batch)
        actions = [self.action_space.sample() for _ in range(n)]
        return (np.asarray(actions) if n else np.zeros((0, *self.action_space.shape), self.action_space.dtype)), [], {}

    def learn_on_batch(self, samples: Any) -> Dict[str, Any]:
        return {"learner_stats": {}}

    def compute_gradients(self, postprocessed_batch: Any):
        return [], {"learner_stats": {}}

    def apply_gradients(self, gradients: Any) -> None:
        """Nothing to apply: the policy has no parameters."""

    def get_weights(self) -> Dict[str, np.ndarray]:
        return {}

    def set_weights(self, weights: Dict[str, np.ndarray]) -> None:
        """Nothing to set: the policy has no parameters."""

"""Off-policy estimators: the value of the current policy from data another policy logged.

As RLlib 1.x's ``rllib/offline/{off_policy_estimator,is_estimator,wis_estimator}.py``: an
estimator sees each episode of every batch a worker reads (``input_evaluation``), and leaves one
:class:`OffPolicyEstimate` per episode in the worker's metrics; ``summarize_episodes`` averages
them per estimator into ``result["off_policy_estimator"]``. With ``p_t = prod_{i<=t} pi(a_i|s_i)
/ mu(a_i|s_i)`` (``mu`` = the logged ``action_prob``, ``pi`` = the current policy):

- ``is`` (step-wise importance sampling): ``V_prev = sum_t gamma^t r_t``, ``V_step_IS = sum_t
  p_t gamma^t r_t``, ``V_gain_est = V_step_IS / max(1e-8, V_prev)``.
- ``wis`` (step-wise weighted IS): ``p_t`` divided by its running mean ``w_t`` over all episodes
  seen so far at step ``t``: ``V_step_WIS = sum_t p_t / w_t gamma^t r_t``. As in 1.x, WIS's
  sums run over ``t < count - 1`` (the episode's last step left out).

A user's estimator subclasses :class:`OffPolicyEstimator` and implements ``estimate(batch)``;
give its class in ``input_evaluation``.

Examples:
    >>> import numpy as np
    >>> from rlcore.data.sample_batch import SampleBatch
    >>> class Half:  # a policy that gives every logged action probability 0.5
    ...     def compute_log_likelihoods(self, actions, obs_batch, **kw):
    ...         return np.log(np.full(len(actions), 0.5))
    >>> ep = SampleBatch({"obs": np.zeros((3, 1)), "actions": np.zeros(3, np.int64), "rewards": np.ones(3),
    ...                   "action_prob": np.full(3, 0.25), "eps_id": np.zeros(3, np.int64)})
    >>> est = ImportanceSampling(Half(), gamma=1.0)
    >>> est.process(ep)
    >>> m = est.get_metrics()[0]
    >>> m.estimator_name, m.metrics["V_prev"], m.metrics["V_step_IS"]
    ('is', 3.0, 14.0)
"""

from __future__ import annotations

import abc
import collections
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from rlcore.data.multi_agent_batch import MultiAgentBatch

__all__ = ["OffPolicyEstimate", "OffPolicyEstimator", "ImportanceSampling", "WeightedImportanceSampling",
           "ImportanceSamplingEstimator", "WeightedImportanceSamplingEstimator", "make_estimators"]

#: One estimate: the estimator's name and its metrics (RLlib 1.x's namedtuple).
OffPolicyEstimate = collections.namedtuple("OffPolicyEstimate", ["estimator_name", "metrics"])


class OffPolicyEstimator(abc.ABC):
    """Base of off-policy estimators (RLlib 1.x's ``OffPolicyEstimator``).

    Args:
        policy: The policy to evaluate (``compute_log_likelihoods``).
        gamma: The discount.
    """

    def __init__(self, policy: Any, gamma: float):
        self.policy = policy
        self.gamma = float(gamma)
        self.new_estimates: List[OffPolicyEstimate] = []

    @classmethod
    def create(cls, ioctx: Any) -> "OffPolicyEstimator":
        """The estimator of a worker's only policy, with the config's ``gamma``.

        Raises:
            ValueError: The worker has several policies (multi-agent estimation is not supported).
        """
        worker = ioctx.worker
        keys = list(worker.policy_map)
        if len(keys) != 1:
            raise ValueError(f"input_evaluation: off-policy estimation needs one policy, the worker has {keys}; set "
                             "input_evaluation=[]")
        return cls(worker.get_policy(keys[0]), ioctx.config.get("gamma", 0.99))

    @abc.abstractmethod
    def estimate(self, batch: Any) -> OffPolicyEstimate:
        """The estimate of one episode (or an episode's fragment); subclasses implement it."""

    def action_prob(self, batch: Any) -> np.ndarray:
        """The current policy's probability of each logged action (float64)."""
        states = [batch[k] for k in sorted(k for k in batch if k.startswith("state_in_"))]
        logp = self.policy.compute_log_likelihoods(
            actions=batch["actions"], obs_batch=batch["obs"], state_batches=states or None,
            prev_action_batch=batch.get("prev_actions"), prev_reward_batch=batch.get("prev_rewards"))
        return np.exp(np.asarray(logp, np.float64)).reshape(-1)

    def check_can_estimate_for(self, batch: Any) -> None:
        """Raises ``ValueError`` for a multi-agent batch or one without ``action_prob``."""
        if isinstance(batch, MultiAgentBatch):
            raise ValueError("input_evaluation: off-policy estimation of multi-agent batches is not supported; set "
                             "input_evaluation=[]")
        if "action_prob" not in batch:
            raise ValueError(f"input_evaluation: off-policy estimation needs the logged 'action_prob' column; the "
                             f"input has {sorted(batch)} (log with a stochastic policy, or set input_evaluation=[])")

    def process(self, batch: Any) -> None:
        """Estimates every episode of ``batch`` (kept for :meth:`get_metrics`)."""
        self.check_can_estimate_for(batch)
        for episode in _episodes(batch):
            self.new_estimates.append(self.estimate(episode))

    def get_metrics(self) -> List[OffPolicyEstimate]:
        """The estimates made since the last call."""
        out, self.new_estimates = self.new_estimates, []
        return out


def _episodes(batch: Any) -> list:
    return batch.split_by_episode() if "eps_id" in batch else [batch]


def _bounds(batch: Any) -> List[Tuple[int, int]]:
    if "eps_id" not in batch:
        return [(0, batch.count)]
    eps = np.asarray(batch["eps_id"])
    cuts = (np.flatnonzero(eps[1:] != eps[:-1]) + 1).tolist()
    edges = [0, *cuts, len(eps)]
    return list(zip(edges[:-1], edges[1:]))


class _StepwiseIS(OffPolicyEstimator):
    """Shared by IS and WIS: one probability pass over the whole batch, then per episode."""

    def process(self, batch: Any) -> None:
        self.check_can_estimate_for(batch)
        new_prob = self.action_prob(batch)
        old_prob = np.asarray(batch["action_prob"], np.float64)
        rewards = np.asarray(batch["rewards"], np.float64)
        for a, b in _bounds(batch):
            self.new_estimates.append(self._estimate(rewards[a:b], old_prob[a:b], new_prob[a:b]))

    def estimate(self, batch: Any) -> OffPolicyEstimate:
        self.check_can_estimate_for(batch)
        return self._estimate(np.asarray(batch["rewards"], np.float64), np.asarray(batch["action_prob"], np.float64),
                              self.action_prob(batch))

    @abc.abstractmethod
    def _estimate(self, rewards: np.ndarray, old_prob: np.ndarray, new_prob: np.ndarray) -> OffPolicyEstimate:
        """The estimate of one episode's rewards, logged and current action probabilities."""


class ImportanceSampling(_StepwiseIS):
    """Step-wise importance sampling (``"is"``; https://arxiv.org/pdf/1511.03722.pdf)."""

    def _estimate(self, rewards: np.ndarray, old_prob: np.ndarray, new_prob: np.ndarray) -> OffPolicyEstimate:
        p = np.cumprod(new_prob / old_prob)
        disc = self.gamma ** np.arange(len(rewards))
        v_prev = float(np.sum(rewards * disc))
        v_is = float(np.sum(p * rewards * disc))
        return OffPolicyEstimate("is", {"V_prev": v_prev, "V_step_IS": v_is, "V_gain_est": v_is / max(1e-8, v_prev)})


class WeightedImportanceSampling(_StepwiseIS):
    """Step-wise weighted importance sampling (``"wis"``): ratios normalised by their running
    per-step mean over every episode seen."""

    def __init__(self, policy: Any, gamma: float):
        super().__init__(policy, gamma)
        self.filter_values: List[float] = []
        self.filter_counts: List[float] = []

    def _estimate(self, rewards: np.ndarray, old_prob: np.ndarray, new_prob: np.ndarray) -> OffPolicyEstimate:
        n = max(0, len(rewards) - 1)  # RLlib 1.x: the last step is left out
        p = np.cumprod(new_prob[:n] / old_prob[:n])
        for t, v in enumerate(p.tolist()):
            if t >= len(self.filter_values):
                self.filter_values.append(v)
                self.filter_counts.append(1.0)
            else:
                self.filter_values[t] += v
                self.filter_counts[t] += 1.0
        w = np.asarray(self.filter_values[:n]) / np.asarray(self.filter_counts[:n]) if n else np.zeros(0)
        disc = self.gamma ** np.arange(n)
        v_prev = float(np.sum(rewards[:n] * disc))
        v_wis = float(np.sum(p / w * rewards[:n] * disc)) if n else 0.0
        return OffPolicyEstimate("wis", {"V_prev": v_prev, "V_step_WIS": v_wis,
                                         "V_gain_est": v_wis / max(1e-8, v_prev)})


#: RLlib 1.x's class names.
ImportanceSamplingEstimator = ImportanceSampling
WeightedImportanceSamplingEstimator = WeightedImportanceSampling

_BY_NAME: Dict[str, type] = {"is": ImportanceSampling, "wis": WeightedImportanceSampling}


def make_estimators(input_evaluation: Sequence[Any], ioctx: Any) -> Tuple[List[OffPolicyEstimator], bool]:
    """The estimators of ``input_evaluation`` and whether ``"simulation"`` is asked for.

    Raises:
        ValueError: An unknown method, naming it and the choices.

    Examples:
        >>> make_estimators(["simulation"], None)
        ([], True)
        >>> make_estimators(["iss"], None)
        Traceback (most recent call last):
        ...
        ValueError: config key 'input_evaluation' has 'iss': expected 'is', 'wis', 'simulation' or an OffPolicyEstimator subclass
    """
    if isinstance(input_evaluation, str):
        input_evaluation = [input_evaluation]
    estimators: List[OffPolicyEstimator] = []
    simulate = False
    for method in input_evaluation:
        if method == "simulation":
            simulate = True
        elif isinstance(method, str) and method in _BY_NAME:
            estimators.append(_BY_NAME[method].create(ioctx))
        elif isinstance(method, type) and issubclass(method, OffPolicyEstimator):
            estimators.append(method.create(ioctx))
        else:
            raise ValueError(f"config key 'input_evaluation' has {method!r}: expected 'is', 'wis', 'simulation' or an "
                             "OffPolicyEstimator subclass")
    return estimators, simulate


def check_input_evaluation(value: Any) -> Optional[List[Any]]:
    """Validates the config value (a list of methods; a single method string is accepted).

    Raises:
        ValueError: An unknown method.
    """
    make_estimators([m for m in ([value] if isinstance(value, str) else value or []) if not _needs_ioctx(m)], None)
    return value


def _needs_ioctx(method: Any) -> bool:
    return (isinstance(method, str) and method in _BY_NAME) or (isinstance(method, type)
                                                                 and issubclass(method, OffPolicyEstimator))

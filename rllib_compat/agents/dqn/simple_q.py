"""``ray.rllib.agents.dqn.simple_q``: the same objects as :mod:`rlcore.algorithms.dqn.simple_q`.

Examples:
    >>> from rllib_compat.agents.dqn.simple_q import SimpleQTrainer
    >>> import rlcore.algorithms.dqn.simple_q
    >>> SimpleQTrainer is rlcore.algorithms.dqn.simple_q.SimpleQTrainer
    True
"""

from rlcore.algorithms.dqn.simple_q import DEFAULT_CONFIG, SimpleQTrainer, execution_plan, get_policy_class

__all__ = ["DEFAULT_CONFIG", "SimpleQTrainer", "execution_plan", "get_policy_class"]

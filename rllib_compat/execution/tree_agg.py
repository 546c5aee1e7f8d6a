"""``ray.rllib.execution.tree_agg``: the same objects as :mod:`rlcore.ops.tree_agg`.

Examples:
    >>> from rllib_compat.execution.tree_agg import gather_experiences_tree_aggregation
    >>> import rlcore.ops
    >>> gather_experiences_tree_aggregation is rlcore.ops.gather_experiences_tree_aggregation
    True
"""

from rlcore.ops.tree_agg import AggregatorWorker, gather_experiences_tree_aggregation

__all__ = ["AggregatorWorker", "gather_experiences_tree_aggregation"]

"""``ray.rllib.agents.pg.utils``: the same objects as :mod:`rlcore.algorithms.pg.utils`.

Examples:
    >>> from rllib_compat.agents.pg.utils import post_process_advantages
    >>> import rlcore.algorithms.pg.utils
    >>> post_process_advantages is rlcore.algorithms.pg.utils.post_process_advantages
    True
"""

from rlcore.algorithms.pg.utils import post_process_advantages

__all__ = ["post_process_advantages"]

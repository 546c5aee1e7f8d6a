"""RLlib 1.x import path ``ray.rllib.models.repeated_values``: ``RepeatedValues`` of :mod:`rlcore.models.repeated`.

What a model receives in ``input_dict["obs"]`` for a ``Repeated`` observation space:
``values`` (``[B, max_len, ...]``), ``lengths`` (``[B]``), ``max_len``, and ``unbatch_all()``.

Examples:
    >>> import numpy as np
    >>> from rllib_compat.models.repeated_values import RepeatedValues
    >>> rv = RepeatedValues(np.zeros((2, 3, 1)), np.array([3.0, 1.0]), max_len=3)
    >>> [len(row) for row in rv.unbatch_all()]
    [3, 1]
"""

from rlcore.models.repeated import RepeatedValues

__all__ = ["RepeatedValues"]

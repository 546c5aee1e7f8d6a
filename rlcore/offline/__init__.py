"""Offline data: where a rollout worker's experiences come from when they do not come from its
own sampler (RLlib 1.x's ``rllib.offline``).

The ``input`` config takes ``"sampler"`` (the default: the worker samples its env) or a callable
``input_creator(ioctx) -> InputReader``; the worker then returns ``reader.next()`` from
``sample()``. :class:`~rlcore.env.policy_server_input.PolicyServerInput` is such a reader.
Reading files (``JsonReader``, ``MixedInput``, ``ShuffledInput``), writers and off-policy
estimators are issue #16.

Examples:
    >>> from rlcore.offline import InputReader, IOContext
    >>> IOContext(config={"gamma": 0.9}, worker_index=1).worker_index
    1
"""

from rlcore.offline.input_reader import InputReader
from rlcore.offline.io_context import IOContext

__all__ = ["IOContext", "InputReader"]

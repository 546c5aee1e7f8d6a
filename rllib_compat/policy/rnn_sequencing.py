"""RLlib 1.x import path ``ray.rllib.policy.rnn_sequencing``: the same objects as :mod:`rlcore.policy.rnn_sequencing`.

Examples:
    >>> from rllib_compat.policy.rnn_sequencing import chop_into_sequences
    >>> import rlcore.policy.rnn_sequencing
    >>> chop_into_sequences is rlcore.policy.rnn_sequencing.chop_into_sequences
    True
"""

from rlcore.policy.rnn_sequencing import chop_into_sequences, pad_batch_to_sequences_of_same_size

__all__ = ["chop_into_sequences", "pad_batch_to_sequences_of_same_size"]

"""RLlib 1.x import path ``ray.rllib.policy.sample_batch``: the same objects as :mod:`rlcore.data`.

Examples:
    >>> from rllib_compat.policy.sample_batch import SampleBatch, DEFAULT_POLICY_ID
    >>> import rlcore.data
    >>> SampleBatch is rlcore.data.SampleBatch, DEFAULT_POLICY_ID
    (True, 'default_policy')
"""

from rlcore.data.multi_agent_batch import MultiAgentBatch
from rlcore.data.concat import concat_samples
from rlcore.data.sample_batch import DEFAULT_POLICY_ID, SampleBatch

__all__ = ["SampleBatch", "MultiAgentBatch", "DEFAULT_POLICY_ID", "concat_samples"]

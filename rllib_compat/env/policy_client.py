"""RLlib 1.x import path ``ray.rllib.env.policy_client``: :class:`rlcore.env.policy_client.PolicyClient`.

The wire is msgpack, never pickle (1.x pickled): a 1.x client and an rlcore server do not talk.

Examples:
    >>> from rllib_compat.env.policy_client import PolicyClient, Commands
    >>> import rlcore.env.policy_client
    >>> PolicyClient is rlcore.env.policy_client.PolicyClient, Commands.GET_ACTION.value
    (True, 'GET_ACTION')
"""

from rlcore.env.policy_client import PolicyClient
from rlcore.env.serving_protocol import Commands

__all__ = ["Commands", "PolicyClient"]

"""RLlib 1.x import path ``ray.rllib.env.policy_server_input``:
:class:`rlcore.env.policy_server_input.PolicyServerInput`.

Examples:
    >>> from rllib_compat.env.policy_server_input import PolicyServerInput
    >>> import rlcore.env.policy_server_input
    >>> PolicyServerInput is rlcore.env.policy_server_input.PolicyServerInput
    True
"""

from rlcore.env.policy_server_input import PolicyServerInput

__all__ = ["PolicyServerInput"]

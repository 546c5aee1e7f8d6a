"""RLlib 1.x import path ``ray.rllib.utils.spaces``: ``repeated`` (the ``Repeated`` space) and ``space_utils``."""

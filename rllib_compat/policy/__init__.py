"""RLlib 1.x import path ray.rllib.policy, re-exporting rlcore objects."""

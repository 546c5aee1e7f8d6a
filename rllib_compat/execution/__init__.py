"""RLlib 1.x import path ray.rllib.execution, re-exporting rlcore objects."""

"""RLlib 1.x import path ray.rllib.utils, re-exporting rlcore objects."""

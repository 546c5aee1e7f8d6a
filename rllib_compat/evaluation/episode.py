"""``ray.rllib.evaluation.episode``."""

from rlcore.sampling.episode import Episode, MultiAgentEpisode

__all__ = ["Episode", "MultiAgentEpisode"]

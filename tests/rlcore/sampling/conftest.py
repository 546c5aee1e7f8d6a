"""Fixtures of the sampling tests."""

import pytest


@pytest.fixture
def made_episodes(monkeypatch):
    """The Episode objects the episode book makes while the test runs, in order."""
    import rlcore.sampling.episode_book as episode_book
    from rlcore.sampling.episode import Episode

    made = []

    class Counted(Episode):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(episode_book, "Episode", Counted)
    return made

"""EpisodeBook's episodes by id (open/close: an Episode object only when read) and EpisodeMap."""

from __future__ import annotations

import pytest

from rlcore.sampling.callbacks import DefaultCallbacks
from rlcore.sampling.episode_book import EpisodeBook, EpisodeMap

KEY = ("agent0", "default_policy")


def test_open_and_close_keep_the_metrics_without_an_episode_object(made_episodes):
    made = made_episodes
    book = EpisodeBook(eps_id_start=5)
    ids = [book.open(i) for i in range(3)]
    perf = {"mean_env_wait_ms": 1.0}
    book.close(ids[0], 0, length=4, total_reward=2.5, perf_stats=perf)
    book.close(ids[2], 2, length=7, total_reward=-1.0, perf_stats=perf)
    assert ids == [5, 6, 7] and book.next_id == 8 and made == []
    metrics = book.drain_metrics()
    assert [(m.episode_length, m.episode_reward, m.agent_rewards) for m in metrics] == [
        (4, 2.5, {KEY: 2.5}), (7, -1.0, {KEY: -1.0})]
    assert all(m.perf_stats is perf and m.custom_metrics == {} and m.hist_data == {} and m.media == {} for m in metrics)
    assert metrics[0].custom_metrics is not metrics[1].custom_metrics


def test_get_makes_the_episode_of_an_open_or_a_closed_episode(made_episodes):
    made = made_episodes
    book = EpisodeBook()
    running, closed = book.open(3), book.open(4)
    book.close(closed, 4, length=2, total_reward=1.5)
    ep = book.get(running)
    assert (ep.episode_id, ep.env_index, ep.length, ep.total_reward) == (running, 3, 0, 0.0)
    assert book.get(running) is ep and made == [ep] and not getattr(ep, "_done", False)
    old = book.get(closed)
    metrics = book.drain_metrics()[0]
    assert (old.episode_id, old.env_index, old.length, old.total_reward, old._done) == (closed, 4, 2, 1.5, True)
    assert dict(old.agent_rewards) == {KEY: 1.5}
    # the episode and its metrics share their dicts: what postprocessing writes is reported
    old.custom_metrics["x"] = 1
    old.hist_data["h"] = [1]
    assert metrics.custom_metrics == {"x": 1} and metrics.hist_data == {"h": [1]} and metrics.media is old.media
    # an episode made while running ends through it: its metrics are its own dicts
    ep.custom_metrics["y"] = 2
    book.close(running, 3, length=9, total_reward=4.0)
    (last,) = book.drain_metrics()
    assert ep._done and (ep.length, ep.total_reward, dict(ep.agent_rewards)) == (9, 4.0, {KEY: 4.0})
    assert (last.episode_length, last.episode_reward, last.custom_metrics) == (9, 4.0, {"y": 2})
    assert book.get(12345) is None and len(made_episodes) == 2


def test_release_forgets_finished_episodes_and_returns_them(made_episodes):
    made = made_episodes
    book = EpisodeBook()
    a, b, c = book.open(0), book.open(1), book.open(2)
    book.close(a, 0, 3, 1.0)
    ep_b = book.get(b)
    book.close(b, 1, 4, 2.0)
    released = book.release([a, b, c])
    assert set(released) == {a, b} and released[b] is ep_b and released[a][0] == 0
    assert released[a][1].episode_length == 3
    assert book.get(a) is None and book.get(b) is None and book.get(c).episode_id == c
    assert book.release() == {}


def test_held_makes_every_episode_the_book_holds(made_episodes):
    made = made_episodes
    book = EpisodeBook()
    a, b = book.open(0), book.open(1)
    book.close(a, 0, 2, 0.5)
    held = book.held()
    assert sorted(held) == [a, b] and held[a]._done and held[a].length == 2 and len(made_episodes) == 2
    assert book.release() == {a: held[a]} and list(book.held()) == [b]


def test_episode_map_makes_an_episode_only_when_read(made_episodes):
    made = made_episodes
    book = EpisodeBook()
    live, ended, made_before = book.open(0), book.open(1), book.open(2)
    ep_before = book.get(made_before)
    book.close(ended, 1, 5, 3.0)
    episodes = EpisodeMap(book, [live, ended, made_before, live], book.release([ended]))
    assert list(episodes) == [live, ended, made_before] and len(episodes) == 3 and made == [ep_before]
    assert episodes.made() == [ep_before]
    with pytest.raises(KeyError):
        episodes[99]
    assert episodes.get(99) is None and len(made_episodes) == 1
    old = episodes[ended]
    assert (old.length, old.total_reward, old._done) == (5, 3.0, True) and episodes[ended] is old
    assert book.get(ended) is None  # released: made for the map only
    now = episodes[live]
    assert book.get(live) is now and episodes.made() == [now, old, ep_before]


def test_callbacks_still_get_episode_objects():
    class End(DefaultCallbacks):
        def on_episode_end(self, *, episode, **kwargs):
            episode.custom_metrics["len"] = episode.length

    book = EpisodeBook(End())
    ep = book.begin(0)
    ep.length = 6
    book.end(ep, 0)
    assert book.drain_metrics()[0].custom_metrics == {"len": 6}

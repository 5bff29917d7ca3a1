"""bench/make_interactions.py: the synthetic listening data has the shape its README promises.

A tiny instance of each regime (well under a second each): heavy-tailed play counts, a popular
head and a long tail, listeners of few and of many items, artists as items, the same data for
the same arguments, and a CSV that the evaluation's reader takes.
"""

import functools
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import make_interactions  # type: ignore[import-not-found]  # noqa: E402 - bench/ is not a package; mypy does not check it

USERS, TRACKS = 1500, 4000


@functools.cache  # the tests only read it
def world(regime: str = "default", seed: int = 0) -> make_interactions.World:
    return make_interactions.generate(users=USERS, tracks=TRACKS, seed=seed, regime=regime)


@pytest.mark.parametrize("regime", sorted(make_interactions.REGIMES))
def test_play_counts_are_heavy_tailed(regime):
    plays = world(regime).plays
    assert plays.min() >= 1
    assert np.mean(plays <= 3) > 0.6  # most pairs are a few plays
    assert plays.max() >= 100  # and a few are hundreds
    assert np.mean(plays) > 1.5 * np.median(plays)


@pytest.mark.parametrize("regime", sorted(make_interactions.REGIMES))
def test_popularity_is_skewed(regime):
    w = world(regime)
    listeners = np.bincount(w.tracks, minlength=len(w.track_names))
    ranked = np.sort(listeners)[::-1]
    head = ranked[: max(1, ranked.size // 100)]
    # The top 1% of items take several times 1% of the pairs (far more outside "niche");
    # most items are rarely played.
    assert head.sum() / w.users.size > (0.04 if regime == "niche" else 0.1)
    assert np.median(listeners) < listeners.mean()


def test_popular_regime_has_a_head_most_listeners_touch_and_niche_does_not():
    def reach_of_top(w, n):
        listeners = np.bincount(w.tracks, minlength=len(w.track_names))
        top = np.argsort(-listeners)[:n]
        return np.unique(w.users[np.isin(w.tracks, top)]).size / w.n_users

    assert reach_of_top(world("popular-heavy"), 100) > 0.7
    assert (
        reach_of_top(world("niche"), 100)
        < reach_of_top(world("default"), 100)
        < reach_of_top(world("popular-heavy"), 100)
    )


def test_listeners_have_a_long_tail_of_sizes():
    per_user = np.bincount(world().users, minlength=USERS)
    assert np.mean(per_user < 5) > 0.05  # many light listeners
    assert per_user.max() > 5 * np.median(per_user)  # and a few heavy ones


def test_artists_mode_makes_each_item_an_artist():
    w = world("artists")
    assert w.items == "artists"
    assert len(w.track_names) == len(w.artist_names)
    assert np.array_equal(w.track_artist, np.arange(len(w.artist_names)))
    tracks = make_interactions.generate(users=200, tracks=TRACKS, seed=0, regime="artists", items="tracks")
    assert tracks.items == "tracks" and len(tracks.track_names) == TRACKS


def test_tracks_mode_groups_tracks_under_artists():
    w = world()
    artists_per_listener = [np.unique(w.track_artist[w.tracks[w.users == u]]).size for u in range(200)]
    tracks_per_listener = np.bincount(w.users, minlength=USERS)[:200]
    # Favourite artists: listeners play several tracks of the same artist.
    assert np.sum(artists_per_listener) < 0.9 * np.sum(tracks_per_listener)


def test_same_arguments_same_data_and_another_seed_differs():
    a, b, c = world(seed=3), world(seed=3), world(seed=4)
    assert np.array_equal(a.users, b.users) and np.array_equal(a.tracks, b.tracks)
    assert np.array_equal(a.plays, b.plays)
    assert not (a.tracks.size == c.tracks.size and np.array_equal(a.tracks, c.tracks))


def test_the_csv_reads_back_through_the_evaluation_reader(tmp_path):
    from recommendations import evaluation

    w = make_interactions.generate(users=60, tracks=500, seed=0, regime="artists")
    out = tmp_path / "interactions.csv"
    rows = make_interactions.write_csv(w, out, seed=0, now=datetime(2026, 1, 1, tzinfo=UTC))
    data = evaluation.load_csv(out)
    assert data.bad_rows == 0
    assert data.plays.nnz == rows
    assert data.plays.sum() == w.plays.sum()

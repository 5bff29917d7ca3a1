"""Taste profiles: what a user likes, and what a group present in a room likes.

A user's taste is read fresh from their history, favorites and likes (reactions in rooms),
kept in the shared cache for a few seconds (as JSON, recommendations/codec.py), so a new
favorite shows within the minute. A group's taste is read per request, in one query.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import connections, router
from django.db.models import CharField, F, IntegerField, Value, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from accounts.models import User
from core.reads import CompiledRead
from music.models import FavoriteTrack, Genre, ListeningEvent
from recommendations import codec, engine, served
from rooms.models import Reaction

logger = logging.getLogger(__name__)

SEED_PARAMS = engine.SeedParams()
# How much of a user's history a request reads: their latest listens and favorites.
HISTORY_EVENTS = 500
FAVORITES = 200
# ... and their latest likes (reactions to a play in a room).
LIKES = 200
# A liked track counts like this many plays heard today, on top of its listens: more than a
# listen (1), less than a favorite (SEED_PARAMS.favorite, 4).
LIKE_WEIGHT = 2.0
# "Heard in the last day" is never recommended again (unless nothing else is left).
RECENT = timedelta(days=1)
# Chosen favourite genres weigh this share of everything else a user has (all of it when new).
CHOSEN_SHARE = 0.15


def taste_seconds() -> int:
    """How long a computed taste is reused: fresh activity shows after at most this."""
    return int(getattr(settings, "RECOMMENDATIONS_TASTE_SECONDS", 30))


def _feature_weights(
    track_ids: np.ndarray, weights: np.ndarray, pair_tracks: np.ndarray, pair_features: np.ndarray
) -> dict[int, float]:
    """Sum over tracks of weight x feature, as {feature pk: weight}."""
    if not track_ids.size or not pair_tracks.size:
        return {}
    order = np.argsort(track_ids)
    sorted_ids = track_ids[order]
    pos = np.searchsorted(sorted_ids, pair_tracks)
    pos = np.minimum(pos, sorted_ids.size - 1)
    hit = sorted_ids[pos] == pair_tracks
    features, inverse = np.unique(pair_features[hit], return_inverse=True)
    totals = np.bincount(inverse, weights=weights[order][pos[hit]], minlength=features.size)
    return dict(zip(features.tolist(), totals.tolist(), strict=True))


# --- A user's taste ------------------------------------------------------------------------------


@dataclass
class Taste:
    """What a user (or a group) likes, read from listens, favorites and chosen genres."""

    seed_ids: np.ndarray  # track pks, strongest first
    seed_weights: np.ndarray
    # {genre pk: weight} by where it comes from: "history", "favorites", "likes", "chosen".
    genres: dict[str, dict[int, float]] = field(default_factory=dict)
    artists: dict[str, dict[int, float]] = field(default_factory=dict)
    excluded: set[int] = field(default_factory=set)  # favorites and the last day's listens
    known: set[int] = field(default_factory=set)  # every track in the history read

    def genre_vector(self) -> dict[int, float]:
        return _merge(self.genres)

    def artist_vector(self) -> dict[int, float]:
        return _merge(self.artists)

    def source_of_genre(self, genre: int) -> str:
        """Where most of this genre's weight comes from (for the wording of reasons)."""
        return max(self.genres, key=lambda source: self.genres[source].get(genre, 0.0), default="history")

    def source_of_artist(self, artist: int) -> str:
        return max(self.artists, key=lambda source: self.artists[source].get(artist, 0.0), default="history")

    @property
    def is_empty(self) -> bool:
        return not self.seed_ids.size and not any(self.genres.values())

    def to_cache(self) -> dict:
        return {
            "seed_ids": codec.array_out(self.seed_ids),
            "seed_weights": codec.array_out(self.seed_weights),
            "genres": codec.weights_out(self.genres),
            "artists": codec.weights_out(self.artists),
            "excluded": sorted(int(t) for t in self.excluded),
            "known": sorted(int(t) for t in self.known),
        }

    @classmethod
    def from_cache(cls, value) -> Taste:
        """Raises one of codec.UNREADABLE for a value to_cache() did not write."""
        return cls(
            seed_ids=codec.array_in(value["seed_ids"]),
            seed_weights=codec.array_in(value["seed_weights"]),
            genres=codec.weights_in(value["genres"]),
            artists=codec.weights_in(value["artists"]),
            excluded={int(t) for t in value["excluded"]},
            known={int(t) for t in value["known"]},
        )


def _merge(parts: dict[str, dict[int, float]]) -> dict[int, float]:
    merged: dict[int, float] = defaultdict(float)
    for weights in parts.values():
        for key, value in weights.items():
            merged[key] += value
    return dict(merged)


def _seeds_from_rows(
    track_ids: np.ndarray,
    plays: np.ndarray,
    ages_days: np.ndarray,
    favorite_ids: np.ndarray,
    like_ids: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per distinct track: (track pks, total weight, history weight, favorite weight, like weight).
    A track liked in several plays counts as liked once, like a favorite."""
    if like_ids is None:
        like_ids = np.zeros(0, np.int64)
    all_ids = np.r_[track_ids, favorite_ids, like_ids].astype(np.int64)
    if not all_ids.size:
        empty = np.zeros(0)
        return empty.astype(np.int64), empty, empty, empty, empty
    tracks, inverse = np.unique(all_ids, return_inverse=True)
    n_fav = favorite_ids.size
    n = track_ids.size
    summed_plays = np.bincount(inverse[:n], weights=plays, minlength=tracks.size)
    youngest = np.full(tracks.size, np.inf)
    np.minimum.at(youngest, inverse[:n], ages_days)
    listened = summed_plays > 0
    history = np.zeros(tracks.size)
    history[listened] = engine.seed_weights(summed_plays[listened], youngest[listened], SEED_PARAMS)
    favorite = np.zeros(tracks.size)
    favorite[inverse[n : n + n_fav]] = SEED_PARAMS.favorite
    liked = np.zeros(tracks.size)
    liked[inverse[n + n_fav :]] = LIKE_WEIGHT
    return tracks, history + favorite + liked, history, favorite, liked


def _genre_ids(names: list[str]) -> list[int]:
    names = [str(n).strip().lower() for n in names if str(n).strip()]
    if not names:
        return []
    return list(Genre.objects.filter(name__in=names).values_list("pk", flat=True))


@dataclass
class _History:
    """Listens, favorites and likes read for a taste, with their tracks' genres and artists."""

    users: np.ndarray  # per listen: user key (str)
    tracks: np.ndarray
    plays: np.ndarray
    ages_days: np.ndarray
    favorite_users: np.ndarray
    favorite_tracks: np.ndarray
    like_users: np.ndarray
    like_tracks: np.ndarray
    genre_pairs: tuple[np.ndarray, np.ndarray]
    artist_pairs: tuple[np.ndarray, np.ndarray]

    def for_user(self, user: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        mine = self.users == user
        return (
            self.tracks[mine],
            self.plays[mine],
            self.ages_days[mine],
            self.favorite_tracks[self.favorite_users == user],
            self.like_tracks[self.like_users == user],
        )


def _like_rows(likes):
    # A reaction's own `kind` is "like": it marks the row.
    return (
        Reaction.objects.filter(pk__in=likes, kind=Reaction.Kind.LIKE)
        .order_by()
        .annotate(plays=Value(0, IntegerField()))
        .values_list("kind", "user_id", "track_id", "plays", "created_at")
    )


def _history_rows(events, favorites, likes):
    """The given listens, favorites and likes (querysets of pks) as one UNION, marked by kind
    (a favorite's or like's "plays" are 0, its time when it was made): (kind, user, track, plays, when)."""
    kind = CharField()
    listen_rows = (
        ListeningEvent.objects.filter(pk__in=events)
        .order_by()
        .annotate(kind=Value("listen", kind))
        .values_list("kind", "user_id", "track_id", "play_count", "listened_at")
    )
    favorite_rows = (
        FavoriteTrack.objects.filter(pk__in=favorites)
        .order_by()
        .annotate(kind=Value("favorite", kind), plays=Value(0, IntegerField()))
        .values_list("kind", "user_id", "track_id", "plays", "added_at")
    )
    return listen_rows.union(favorite_rows, _like_rows(likes), all=True)


def _user_history_rows(user_id):
    listens = ListeningEvent.objects.filter(user_id=user_id).order_by("-listened_at")
    favorites = FavoriteTrack.objects.filter(user_id=user_id).order_by("-added_at")
    likes = Reaction.objects.filter(user_id=user_id, kind=Reaction.Kind.LIKE).order_by("-created_at")
    if not connections[router.db_for_read(ListeningEvent)].features.supports_slicing_ordering_in_compound:
        return _history_rows(
            listens.values("pk")[:HISTORY_EVENTS], favorites.values("pk")[:FAVORITES], likes.values("pk")[:LIKES]
        )
    # PostgreSQL takes the latest rows straight from the (user, time) index; the form above
    # (for SQLite) looks each one up again by its random primary key, a page read apiece once
    # the history is no longer in memory.
    kind = CharField()
    listen_rows = listens.annotate(kind=Value("listen", kind)).values_list(
        "kind", "user_id", "track_id", "play_count", "listened_at"
    )[:HISTORY_EVENTS]
    favorite_rows = favorites.annotate(kind=Value("favorite", kind), plays=Value(0, IntegerField())).values_list(
        "kind", "user_id", "track_id", "plays", "added_at"
    )[:FAVORITES]
    like_rows = likes.annotate(plays=Value(0, IntegerField())).values_list(
        "kind", "user_id", "track_id", "plays", "created_at"
    )[:LIKES]
    return listen_rows.union(favorite_rows, like_rows, all=True)


# One user's latest listens and favorites: the first read of every request for that user.
_USER_HISTORY = CompiledRead(_user_history_rows, "uuid", model=ListeningEvent)


def _group_history_rows(user_ids, per_user: int = 100):
    events = (
        ListeningEvent.objects.filter(user_id__in=user_ids)
        .annotate(rank=Window(RowNumber(), partition_by=[F("user_id")], order_by=F("listened_at").desc()))
        .filter(rank__lte=per_user)
        .values("pk")
    )
    favorites = (
        FavoriteTrack.objects.filter(user_id__in=user_ids)
        .annotate(rank=Window(RowNumber(), partition_by=[F("user_id")], order_by=F("added_at").desc()))
        .filter(rank__lte=per_user // 2)
        .values("pk")
    )
    likes = (
        Reaction.objects.filter(user_id__in=user_ids, kind=Reaction.Kind.LIKE)
        .annotate(rank=Window(RowNumber(), partition_by=[F("user_id")], order_by=F("created_at").desc()))
        .filter(rank__lte=per_user // 2)
        .values("pk")
    )
    return _history_rows(events, favorites, likes)


# Each person's latest listens and favorites, for a group (a window function per person).
_GROUP_HISTORY = CompiledRead(_group_history_rows, "uuid[]", model=ListeningEvent)


def _read_history(rows) -> _History:
    """Rows of _history_rows, with their tracks' features (looked up, not queried)."""
    now = timezone.now()
    names: dict = {}
    listens = [row for row in rows if row[0] == "listen"]
    favs = [row for row in rows if row[0] == "favorite"]
    likes = [row for row in rows if row[0] == "like"]

    def user_keys(column) -> np.ndarray:
        return np.asarray([names.get(u) or names.setdefault(u, str(u)) for u in column], dtype=object)

    if listens:
        _, l_users, l_tracks, l_plays, l_moments = zip(*listens, strict=True)
    else:
        l_users, l_tracks, l_plays, l_moments = (), (), (), ()
    tracks = np.asarray(l_tracks, dtype=np.int64)
    favorite_tracks = np.asarray([row[2] for row in favs], dtype=np.int64)
    like_tracks = np.asarray([row[2] for row in likes], dtype=np.int64)
    genre_t, genre_g, artist_t, artist_a = served.track_features(np.r_[tracks, favorite_tracks, like_tracks])
    return _History(
        users=user_keys(l_users),
        tracks=tracks,
        plays=np.asarray(l_plays, dtype=np.float64),
        ages_days=np.asarray([(now - moment).total_seconds() for moment in l_moments], dtype=np.float64) / 86400.0,
        favorite_users=user_keys([row[1] for row in favs]),
        favorite_tracks=favorite_tracks,
        like_users=user_keys([row[1] for row in likes]),
        like_tracks=like_tracks,
        genre_pairs=(genre_t, genre_g),
        artist_pairs=(artist_t, artist_a),
    )


def _chosen_weights(genres: dict[str, dict[int, float]], chosen_genre_ids: list[int]) -> dict[int, float]:
    """Chosen (or declared) genres weigh CHOSEN_SHARE of everything else, all of it when there is nothing else."""
    if not chosen_genre_ids:
        return {}
    rest = sum(sum(part.values()) for part in genres.values())
    each = (CHOSEN_SHARE * rest if rest > 0 else 1.0) / len(chosen_genre_ids)
    return {genre: each for genre in chosen_genre_ids}


def _taste_key(user_id) -> str:
    return f"rec:taste:{user_id}"


def user_taste(user: User) -> Taste:
    """The user's taste from their latest listens, favorites, likes and chosen genres (cached briefly)."""
    key = _taste_key(user.pk)
    cached = cache.get(key)
    if cached is not None:
        try:
            return Taste.from_cache(cached)
        except codec.UNREADABLE:
            logger.warning("Cached taste %s is unreadable; computing it again", key)
    history = _read_history(_USER_HISTORY(user.pk))
    track_ids, plays, ages, favorite_ids, like_ids = history.for_user(str(user.pk))
    tracks, total, from_history, from_favorites, from_likes = _seeds_from_rows(
        track_ids, plays, ages, favorite_ids, like_ids
    )
    genre_t, genre_g = history.genre_pairs
    artist_t, artist_a = history.artist_pairs
    genres = {
        "history": _feature_weights(tracks, from_history, genre_t, genre_g),
        "favorites": _feature_weights(tracks, from_favorites, genre_t, genre_g),
        "likes": _feature_weights(tracks, from_likes, genre_t, genre_g),
    }
    artists = {
        "history": _feature_weights(tracks, from_history, artist_t, artist_a),
        "favorites": _feature_weights(tracks, from_favorites, artist_t, artist_a),
        "likes": _feature_weights(tracks, from_likes, artist_t, artist_a),
    }
    chosen = _chosen_weights(genres, _genre_ids(user.favorite_genres or []))
    if chosen:
        genres["chosen"] = chosen
    order = np.argsort(-total, kind="stable")[: SEED_PARAMS.max_seeds]
    recent = track_ids[ages < RECENT.total_seconds() / 86400.0]
    taste = Taste(
        seed_ids=tracks[order],
        seed_weights=total[order].astype(np.float32),
        genres=genres,
        artists=artists,
        excluded={int(t) for t in favorite_ids.tolist()} | {int(t) for t in recent.tolist()},
        known={int(t) for t in track_ids.tolist()} | {int(t) for t in like_ids.tolist()},
    )
    cache.set(key, taste.to_cache(), timeout=taste_seconds())
    return taste


def group_taste(*, user_ids: list, extra_tracks: list[int], declared_genre_ids: list[int]) -> Taste:
    """What a group likes: each person's latest listens and favorites, each person counting once.

    `extra_tracks` (a room's current and queued tracks) count as one more person. One query
    for any group size: each person's latest rows come from a window function.
    """
    history = _read_history(_GROUP_HISTORY(user_ids) if user_ids else [])
    # Each person's weights are scaled to sum to one, so a heavy listener is one voice.
    track_parts, weight_parts = [], []
    people_present = (
        set(history.users.tolist()) | set(history.favorite_users.tolist()) | set(history.like_users.tolist())
    )
    for person in sorted(people_present):
        person_tracks, total, _, _, _ = _seeds_from_rows(*history.for_user(person))
        if total.sum() > 0:
            track_parts.append(person_tracks)
            weight_parts.append(total / total.sum())
    people = len(track_parts)
    tracks: np.ndarray
    weights: np.ndarray
    if extra_tracks:
        extra = np.asarray(extra_tracks, dtype=np.int64)
        track_parts.append(extra)
        weight_parts.append(np.full(extra.size, 1.0 / extra.size))
    if track_parts:
        tracks, inverse = np.unique(np.concatenate(track_parts), return_inverse=True)
        weights = np.bincount(inverse, weights=np.concatenate(weight_parts), minlength=tracks.size)
    else:
        tracks, weights = np.zeros(0, dtype=np.int64), np.zeros(0)
    # The room's own tracks need their features too; the people's came with their history.
    extra_t, extra_g, extra_at, extra_a = served.track_features(
        np.setdiff1d(tracks, np.r_[history.tracks, history.favorite_tracks, history.like_tracks])
    )
    genre_t, genre_g = np.r_[history.genre_pairs[0], extra_t], np.r_[history.genre_pairs[1], extra_g]
    artist_t, artist_a = np.r_[history.artist_pairs[0], extra_at], np.r_[history.artist_pairs[1], extra_a]
    genres = {"room": _feature_weights(tracks, weights, genre_t, genre_g)}
    declared = _chosen_weights(genres, declared_genre_ids)
    if declared:
        genres["declared"] = declared
    order = np.argsort(-weights, kind="stable")[: SEED_PARAMS.max_seeds]
    return Taste(
        seed_ids=tracks[order],
        seed_weights=(weights[order] * max(people + (1 if extra_tracks else 0), 1)).astype(np.float32),
        genres=genres,
        artists={"room": _feature_weights(tracks, weights, artist_t, artist_a)},
    )

"""Taste profiles: what a user likes, what a group present in a room likes, what each room plays.

A user's taste is read fresh from their history, favorites and likes (reactions in rooms),
cached for a few seconds, so a new favorite shows within the minute. The room index holds
every open room's profile
(declared genres, current and queued tracks, recent plays) as sparse matrices; it is built
in one pass, kept in the shared cache, and each server process decodes it once per version.

What goes into the shared cache is JSON (core/redis_guard.py; never a pickle, which would
let anyone who can write to Redis run code here): arrays travel as their raw bytes in base64
with dtype and shape, numbers and booleans only. A cached value that does not decode is a miss.
"""

from __future__ import annotations

import base64
import io
import logging
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import scipy.sparse as sp
from django.conf import settings
from django.core.cache import cache
from django.db import connections, router
from django.db.models import CharField, F, IntegerField, Value, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from accounts.models import User
from core.background import enqueue
from music.models import FavoriteTrack, Genre, ListeningEvent, Track
from recommendations import engine
from recommendations.models import ModelBuild, RoomTaste, unpack_floats, unpack_ints
from recommendations.reads import CompiledRead
from rooms.models import PlaybackState, QueueItem, Reaction, Room

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


def _room_index_seconds() -> int:
    """The room index is rebuilt when older than this."""
    return int(getattr(settings, "RECOMMENDATIONS_ROOM_INDEX_SECONDS", 60))


INDEX_KEY = "rec:room-index"
INDEX_VERSION_KEY = "rec:room-index:version"
INDEX_REFRESH_LOCK = "rec:room-index:refreshing"


# --- Cache encoding ----------------------------------------------------------------------------

# Booleans, signed and unsigned integers, floats: arrays of anything else (objects) never travel.
_ARRAY_KINDS = "biuf"


def _array_out(array: np.ndarray) -> dict:
    array = np.ascontiguousarray(array)
    if array.dtype.kind not in _ARRAY_KINDS:
        raise TypeError(f"arrays of {array.dtype} are not cached")
    return {"dtype": array.dtype.str, "shape": list(array.shape), "data": base64.b64encode(array.tobytes()).decode()}


def _array_in(value: dict) -> np.ndarray:
    dtype = np.dtype(str(value["dtype"]))
    if dtype.kind not in _ARRAY_KINDS:
        raise ValueError(f"arrays of {dtype} are not cached")
    shape = [int(n) for n in value["shape"]]
    return np.frombuffer(bytearray(base64.b64decode(value["data"], validate=True)), dtype=dtype).reshape(shape)


def _csr_out(matrix: sp.csr_matrix) -> dict:
    matrix = matrix.tocsr()
    return {
        "shape": [int(n) for n in matrix.shape],
        "data": _array_out(matrix.data),
        "indices": _array_out(matrix.indices),
        "indptr": _array_out(matrix.indptr),
    }


def _csr_in(value: dict) -> sp.csr_matrix:
    parts = (_array_in(value["data"]), _array_in(value["indices"]), _array_in(value["indptr"]))
    rows, cols = value["shape"]
    return sp.csr_matrix(parts, shape=(int(rows), int(cols)))


def _weights_out(parts: dict[str, dict[int, float]]) -> dict[str, list[list]]:
    # JSON object keys are strings; pairs keep the feature pks integers.
    return {source: [[int(k), float(v)] for k, v in weights.items()] for source, weights in parts.items()}


def _weights_in(value: dict) -> dict[str, dict[int, float]]:
    return {str(source): {int(k): float(v) for k, v in pairs} for source, pairs in value.items()}


# Whatever a hand-made or truncated cache value can raise while being decoded.
_UNREADABLE = (KeyError, TypeError, ValueError, AttributeError)


# --- Track features ----------------------------------------------------------------------------


def _gather(indptr: np.ndarray, values: np.ndarray, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For CSR-like (indptr, values): (row position repeated, value) of the given rows, vectorized."""
    starts, ends = indptr[positions], indptr[positions + 1]
    counts = ends - starts
    if not counts.sum():
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    offsets = np.repeat(starts - np.cumsum(np.r_[0, counts[:-1]]), counts) + np.arange(counts.sum())
    return np.repeat(positions, counts), values[offsets]


@dataclass
class CatalogFeatures:
    """Every track's genres and artists, as sorted arrays: what requests look features up in.

    Built by the precompute and stored with its ModelBuild; each process decodes it once per
    build (about 10 MB for 200,000 tracks). Tracks added since are looked up in the database.
    """

    build_id: int | None
    max_listeners: int
    track_pks: np.ndarray  # sorted
    genre_indptr: np.ndarray
    genre_ids: np.ndarray
    artist_indptr: np.ndarray
    artist_ids: np.ndarray

    @classmethod
    def from_pairs(cls, track_pks, genre_pairs, artist_pairs, *, build_id=None, max_listeners=0) -> CatalogFeatures:
        track_pks = np.unique(np.asarray(track_pks, dtype=np.int64))
        parts = []
        for pair_t, pair_f in (genre_pairs, artist_pairs):
            order = np.lexsort((pair_f, pair_t))
            pair_t, pair_f = pair_t[order], pair_f[order]
            inside = np.isin(pair_t, track_pks)
            counts = np.bincount(np.searchsorted(track_pks, pair_t[inside]), minlength=track_pks.size)
            parts.append((np.r_[0, np.cumsum(counts)].astype(np.int64), pair_f[inside].astype(np.int64)))
        (g_ptr, g_ids), (a_ptr, a_ids) = parts
        return cls(build_id, max_listeners, track_pks, g_ptr, g_ids, a_ptr, a_ids)

    @classmethod
    def empty(cls, build_id=None, max_listeners=0) -> CatalogFeatures:
        zero = np.zeros(0, np.int64)
        return cls(build_id, max_listeners, zero, np.zeros(1, np.int64), zero, np.zeros(1, np.int64), zero)

    def encode(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            track_pks=self.track_pks,
            genre_indptr=self.genre_indptr,
            genre_ids=self.genre_ids,
            artist_indptr=self.artist_indptr,
            artist_ids=self.artist_ids,
        )
        return buffer.getvalue()

    @classmethod
    def decode(cls, data: bytes, *, build_id, max_listeners) -> CatalogFeatures:
        with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as arrays:
            return cls(build_id, max_listeners, **{name: arrays[name] for name in arrays.files})

    def lookup(self, track_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(track, genre) and (track, artist) pairs of the tracks it knows, and the ids it does not."""
        ids = np.unique(np.asarray(track_ids, dtype=np.int64))
        if not self.track_pks.size:
            empty = np.zeros(0, np.int64)
            return empty, empty, empty, empty, ids
        position = np.minimum(np.searchsorted(self.track_pks, ids), self.track_pks.size - 1)
        known = self.track_pks[position] == ids
        rows_g, genres = _gather(self.genre_indptr, self.genre_ids, position[known])
        rows_a, artists = _gather(self.artist_indptr, self.artist_ids, position[known])
        return self.track_pks[rows_g], genres, self.track_pks[rows_a], artists, ids[~known]


class _CatalogMemo:
    def __init__(self):
        self.lock = threading.Lock()
        self.value: CatalogFeatures | None = None
        self.checked = 0.0

    def clear(self) -> None:
        with self.lock:
            self.value, self.checked = None, 0.0


_catalog_memo = _CatalogMemo()
# How often a process asks whether a newer build exists (seconds).
CATALOG_CHECK_SECONDS = 60


def catalog() -> CatalogFeatures:
    """The latest build's catalog features and figures; one small query a minute, one load per build."""
    with _catalog_memo.lock:
        if _catalog_memo.value is not None and time.monotonic() - _catalog_memo.checked < CATALOG_CHECK_SECONDS:
            return _catalog_memo.value
    latest = (
        ModelBuild.objects.filter(status=ModelBuild.Status.DONE)
        .order_by("-started_at", "-pk")
        .values_list("pk", "max_listeners")
        .first()
    )
    current = _catalog_memo.value
    if latest is None:
        value = CatalogFeatures.empty()
    elif current is not None and current.build_id == latest[0]:
        value = current
    else:
        blob = ModelBuild.objects.filter(pk=latest[0]).values_list("catalog", flat=True).first()
        if blob:
            # A BinaryField reads as bytes or memoryview, by backend; bytes(b) is b itself for bytes.
            value = CatalogFeatures.decode(bytes(blob), build_id=latest[0], max_listeners=latest[1])
        else:
            value = CatalogFeatures.empty(latest[0], latest[1])
    with _catalog_memo.lock:
        _catalog_memo.value, _catalog_memo.checked = value, time.monotonic()
    return value


def track_features(track_ids) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(track, genre) and (track, artist) pairs of these tracks, as four int arrays.

    From the catalog features; only tracks newer than the last build cost a query (one,
    joining both many-to-many tables: g x a rows per track cost less than two queries).
    """
    genre_t, genre_g, artist_t, artist_a, missing = catalog().lookup(track_ids)
    if not missing.size:
        return genre_t, genre_g, artist_t, artist_a
    rows = Track.objects.filter(pk__in=missing.tolist()).order_by().values_list("pk", "genres", "credits__artist")
    genre_pairs, artist_pairs = set(), set()
    for track_id, genre, artist in rows:
        if genre is not None:
            genre_pairs.add((track_id, genre))
        if artist is not None:
            artist_pairs.add((track_id, artist))
    genres = np.asarray(sorted(genre_pairs), dtype=np.int64).reshape(-1, 2)
    artists = np.asarray(sorted(artist_pairs), dtype=np.int64).reshape(-1, 2)
    return (
        np.r_[genre_t, genres[:, 0]],
        np.r_[genre_g, genres[:, 1]],
        np.r_[artist_t, artists[:, 0]],
        np.r_[artist_a, artists[:, 1]],
    )


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
            "seed_ids": _array_out(self.seed_ids),
            "seed_weights": _array_out(self.seed_weights),
            "genres": _weights_out(self.genres),
            "artists": _weights_out(self.artists),
            "excluded": sorted(int(t) for t in self.excluded),
            "known": sorted(int(t) for t in self.known),
        }

    @classmethod
    def from_cache(cls, value) -> Taste:
        """Raises one of _UNREADABLE for a value to_cache() did not write."""
        return cls(
            seed_ids=_array_in(value["seed_ids"]),
            seed_weights=_array_in(value["seed_weights"]),
            genres=_weights_in(value["genres"]),
            artists=_weights_in(value["artists"]),
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
    genre_t, genre_g, artist_t, artist_a = track_features(np.r_[tracks, favorite_tracks, like_tracks])
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
        except _UNREADABLE:
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
    extra_t, extra_g, extra_at, extra_a = track_features(
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


# --- The room index ------------------------------------------------------------------------------

# A room's profile: declared genres, the current track, the queue (earlier items weigh more)
# and its recent plays, each part with this total weight before the row is made unit length.
DECLARED_WEIGHT = 1.0
CURRENT_WEIGHT = 1.0
QUEUE_WEIGHT = 1.0
RECENT_WEIGHT = 2.0


@dataclass
class RoomIndex:
    version: str
    built_at: float
    room_ids: list[str]
    private: np.ndarray  # bool per room
    playing: np.ndarray  # bool per room
    genres: sp.csr_matrix  # rooms x genre pk, unit rows
    artists: sp.csr_matrix  # rooms x artist pk, unit rows
    declared: sp.csr_matrix  # rooms x genre pk, 1 where declared
    genre_names: dict[int, str]
    position: dict[str, int] = field(default_factory=dict)

    def __post_init__(self):
        self.position = {room_id: i for i, room_id in enumerate(self.room_ids)}

    def to_cache(self) -> dict:
        return {
            "version": self.version,
            "built_at": self.built_at,
            "room_ids": [str(room_id) for room_id in self.room_ids],
            "private": _array_out(self.private),
            "playing": _array_out(self.playing),
            "genres": _csr_out(self.genres),
            "artists": _csr_out(self.artists),
            "declared": _csr_out(self.declared),
            "genre_names": [[int(pk), str(name)] for pk, name in self.genre_names.items()],
        }

    @classmethod
    def from_cache(cls, value) -> RoomIndex:
        """Raises one of _UNREADABLE for a value to_cache() did not write."""
        return cls(
            version=str(value["version"]),
            built_at=float(value["built_at"]),
            room_ids=[str(room_id) for room_id in value["room_ids"]],
            private=_array_in(value["private"]),
            playing=_array_in(value["playing"]),
            genres=_csr_in(value["genres"]),
            artists=_csr_in(value["artists"]),
            declared=_csr_in(value["declared"]),
            genre_names={int(pk): str(name) for pk, name in value["genre_names"]},
        )


def _normalized_parts(
    rows: np.ndarray, cols: np.ndarray, weights: np.ndarray, n_rows: int, total: float
) -> sp.csr_matrix | None:
    """Sparse rows scaled so each room's part sums to `total`."""
    if not rows.size:
        return None
    m = sp.csr_matrix((weights.astype(np.float64), (rows, cols)), shape=(n_rows, int(cols.max()) + 1))
    sums = np.asarray(m.sum(axis=1)).ravel()
    scale = np.divide(total, sums, out=np.zeros_like(sums), where=sums > 0)
    return sp.csr_matrix(sp.diags(scale) @ m)


def _add(parts: list, width: int) -> sp.csr_matrix:
    resized = []
    for part in parts:
        if part is not None:
            part = part.tocsr()
            part.resize((part.shape[0], width))
            resized.append(part)
    total = resized[0]
    for part in resized[1:]:
        total = total + part
    return engine.normalize_rows(total)


def room_index_build() -> RoomIndex:
    """Every open room's profile, from a handful of bulk queries."""
    rooms = list(
        Room.objects.filter(closed_at__isnull=True).order_by("-created_at", "pk").values_list("pk", "is_private")
    )
    room_ids = [str(pk) for pk, _ in rooms]
    position = {room_id: i for i, room_id in enumerate(room_ids)}
    n = len(room_ids)

    def pos(room_id) -> int:
        return position.get(str(room_id), -1)

    declared = [
        (pos(r), g)
        for r, g in Room.genres.through.objects.filter(room__closed_at__isnull=True)
        .order_by()
        .values_list("room_id", "genre_id")
    ]
    states = list(
        PlaybackState.objects.filter(room__closed_at__isnull=True, track__isnull=False)
        .order_by()
        .values_list("room_id", "track_id", "status")
    )
    queue = list(
        QueueItem.objects.filter(room__closed_at__isnull=True).order_by().values_list("room_id", "track_id", "position")
    )
    tastes = list(
        RoomTaste.objects.filter(room__closed_at__isnull=True).values_list(
            "room_id", "genre_ids", "genre_weights", "artist_ids", "artist_weights"
        )
    )
    playing = np.zeros(n, dtype=bool)
    for room_id, _, status in states:
        if pos(room_id) >= 0 and status == PlaybackState.Status.PLAYING:
            playing[pos(room_id)] = True

    # Current and queued tracks: (room, track, weight) with one feature lookup for all.
    entries = [(pos(r), t, 1.0, "current") for r, t, _ in states] + [
        (pos(r), t, 1.0 / (1.0 + p / 5.0), "queue") for r, t, p in queue
    ]
    entries = [e for e in entries if e[0] >= 0]
    genre_t, genre_g, artist_t, artist_a = track_features([e[1] for e in entries])
    genre_parts: list[sp.csr_matrix | None] = []
    artist_parts: list[sp.csr_matrix | None] = []
    dec = np.asarray([d for d in declared if d[0] >= 0], dtype=np.int64).reshape(-1, 2)
    genre_parts.append(_normalized_parts(dec[:, 0], dec[:, 1], np.ones(len(dec)), n, DECLARED_WEIGHT))
    for kind, total in (("current", CURRENT_WEIGHT), ("queue", QUEUE_WEIGHT)):
        chosen = [e for e in entries if e[3] == kind]
        if not chosen:
            continue
        e_rooms = np.asarray([e[0] for e in chosen], dtype=np.int64)
        e_tracks = np.asarray([e[1] for e in chosen], dtype=np.int64)
        e_weights = np.asarray([e[2] for e in chosen], dtype=np.float64)
        for pair_t, pair_f, parts in ((genre_t, genre_g, genre_parts), (artist_t, artist_a, artist_parts)):
            if not pair_t.size:
                continue
            # Join entries to their tracks' features: for each entry, each feature of its track.
            order = np.argsort(pair_t, kind="stable")
            starts = np.searchsorted(pair_t[order], e_tracks, side="left")
            ends = np.searchsorted(pair_t[order], e_tracks, side="right")
            counts = ends - starts
            rows = np.repeat(e_rooms, counts)
            weights = np.repeat(e_weights, counts)
            idx = np.repeat(starts - np.cumsum(np.r_[0, counts[:-1]]), counts) + np.arange(counts.sum())
            parts.append(_normalized_parts(rows, pair_f[order][idx], weights, n, total))
    if tastes:
        t_rows, t_gen, t_gw, t_art, t_aw = [], [], [], [], []
        for room_id, g_ids, g_w, a_ids, a_w in tastes:
            p = pos(room_id)
            if p < 0:
                continue
            g = unpack_ints(g_ids)
            a = unpack_ints(a_ids)
            t_rows.append((p, g.size, a.size))
            t_gen.append(g)
            t_gw.append(unpack_floats(g_w))
            t_art.append(a)
            t_aw.append(unpack_floats(a_w))
        if t_rows:
            positions = np.asarray([r[0] for r in t_rows])
            genre_parts.append(
                _normalized_parts(
                    np.repeat(positions, [r[1] for r in t_rows]),
                    np.concatenate(t_gen),
                    np.concatenate(t_gw),
                    n,
                    RECENT_WEIGHT,
                )
            )
            artist_parts.append(
                _normalized_parts(
                    np.repeat(positions, [r[2] for r in t_rows]),
                    np.concatenate(t_art),
                    np.concatenate(t_aw),
                    n,
                    RECENT_WEIGHT,
                )
            )
    genre_width = max([p.shape[1] for p in genre_parts if p is not None], default=1)
    artist_width = max([p.shape[1] for p in artist_parts if p is not None], default=1)
    genres = _add([p for p in genre_parts if p is not None] or [sp.csr_matrix((n, 1))], genre_width)
    artists = _add([p for p in artist_parts if p is not None] or [sp.csr_matrix((n, 1))], artist_width)
    declared_m = sp.csr_matrix(
        (np.ones(len(dec), dtype=np.float32), (dec[:, 0], dec[:, 1])),
        shape=(n, max(genre_width, int(dec[:, 1].max(initial=0)) + 1)),
    )
    used = set(genres.indices.tolist()) | set(declared_m.indices.tolist())
    return RoomIndex(
        version=uuid.uuid4().hex,
        built_at=time.time(),
        room_ids=room_ids,
        private=np.asarray([p for _, p in rooms], dtype=bool),
        playing=playing,
        genres=genres,
        artists=artists,
        declared=declared_m,
        genre_names=dict(Genre.objects.filter(pk__in=used).values_list("pk", "name")),
    )


class _Memo:
    """This process's decoded copy of something shared, checked against a version in the cache."""

    def __init__(self):
        self.lock = threading.Lock()
        self.version: str | None = None
        self.value = None
        self.at = 0.0

    def clear(self) -> None:
        with self.lock:
            self.version, self.value, self.at = None, None, 0.0


_index_memo = _Memo()


def room_index_store(index: RoomIndex) -> None:
    # Kept well past the refresh period: a stale index is better than building one in a request.
    timeout = max(_room_index_seconds() * 10, 600)
    cache.set(INDEX_KEY, index.to_cache(), timeout=timeout)
    cache.set(INDEX_VERSION_KEY, index.version, timeout=timeout)
    with _index_memo.lock:
        _index_memo.version, _index_memo.value = index.version, index


def room_index() -> RoomIndex:
    """The current room index: this process's copy, the shared one, or (missing) built now.

    When it is older than a minute a refresh is queued (once, whoever notices
    first); requests keep using the copy they have meanwhile.
    """
    version = cache.get(INDEX_VERSION_KEY)
    index = None
    if version is not None and version == _index_memo.version:
        index = _index_memo.value
    elif version is not None:
        blob = cache.get(INDEX_KEY)
        if blob is not None:
            try:
                index = RoomIndex.from_cache(blob)
            except _UNREADABLE:
                logger.warning("The cached room index is unreadable; building it again")
            else:
                with _index_memo.lock:
                    _index_memo.version, _index_memo.value = index.version, index
    if index is None:
        index = room_index_build()
        room_index_store(index)
    elif time.time() - index.built_at > _room_index_seconds() and cache.add(
        INDEX_REFRESH_LOCK, "1", _room_index_seconds()
    ):
        # By name: the tasks import services, which import this module. If the broker does not
        # take it, the lock expires and a later request asks again; this one serves what it has.
        enqueue("recommendations.tasks.refresh_room_index")
    return index


def model_changed() -> None:
    """After a recompute (in the job that ran it): room tastes changed, so the room index is
    rebuilt now, and requests swap to it without paying for the build."""
    room_index_store(room_index_build())


def reset_memos() -> None:
    """Tests: forget this process's copies."""
    _index_memo.clear()
    _catalog_memo.clear()

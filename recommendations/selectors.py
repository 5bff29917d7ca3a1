"""Reads: rooms and tracks for a user, tracks for a room's queue, each with a score and reasons.

A request reads, it does not train: the learned parts (track and user neighbours, popular
lists, room tastes) come from the precompute's tables; what changes by the second (the
user's latest listens and favorites, who is online, bans, memberships, queues) is read
fresh and combined with them here.

Requests answer in a few milliseconds (bench/recommendations.py), so the hot reads are
`reads.CompiledRead`s (the ORM's SQL, compiled once per process) returning plain values, and
results are cards (TrackCard, RoomCard) that serializers.py renders without model instances.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Generic, NamedTuple, TypeVar

import numpy as np
import scipy.sparse as sp
from django.conf import settings
from django.db.models import BinaryField, CharField, IntegerField, UUIDField, Value
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.models import User
from core.errors import Forbidden, NotFound
from music.models import Artist, ListeningEvent, Track, TrackArtist, UploadShare
from music.selectors import track_visible_q
from recommendations import engine, profiles
from recommendations.models import (
    TrackList,
    TrackNeighbors,
    UserNeighbors,
    unpack_counts,
    unpack_floats,
    unpack_ints,
    unpack_uuids,
)
from recommendations.reads import CompiledRead
from rooms import access as room_access
from rooms import presence
from rooms import selectors as room_selectors
from rooms.models import Membership, PlaybackState, QueueItem, Room
from social.models import Friendship

BLEND = engine.BlendParams()
# Room ranking: each part is in [0, 1]; playing now breaks ties between rooms of equal fit.
ROOM_WEIGHTS = {"taste": 0.5, "friends": 0.2, "similar": 0.15, "live": 0.1, "playing": 0.05}
# Live listeners at which the "live" part is full.
LIVE_FULL = 30
# The kind of the rows of _access_rows that name a friend.
FRIEND = "friend"
# A friend (or similar person) who is a member but not online counts this much.
MEMBER_ONLY = 0.3
# Candidates per request: item-to-item neighbours kept, tracks per favourite artist, per genre list.
CF_POOL = 200
ARTIST_TRACKS = 60
GENRE_TRACKS = 40
POPULAR_TRACKS = 40
# A room's suggestions leave out what it played this recently.
ROOM_RECENT = timedelta(hours=4)
# How many people present are asked about their taste for a room's suggestions.
GROUP_SIZE = 30


def _presence_seconds() -> float:
    """Presence is read for every live room at once and reused this long in a process."""
    return float(getattr(settings, "RECOMMENDATIONS_PRESENCE_SECONDS", 5.0))


_Card = TypeVar("_Card")


@dataclass
class Recommendation(Generic[_Card]):
    item: _Card  # a RoomCard or a TrackCard
    score: float
    reasons: list[str] = field(default_factory=list)


# --- People ----------------------------------------------------------------------------------


class _LiveMemo:
    def __init__(self):
        self.lock = threading.Lock()
        self.at = 0.0
        self.counts: dict[str, int] = {}
        # The counts laid out on one room index (its version, the vector), made once per both.
        self.vector: tuple[str, np.ndarray] | None = None

    def clear(self) -> None:
        with self.lock:
            self.at, self.counts, self.vector = 0.0, {}, None


_live = _LiveMemo()


def live_counts() -> dict[str, int]:
    """{room id: online listeners} of every live room; reread after a few seconds at most.

    Counting every live room costs a pass over all of presence (thousands of rooms), so a
    process reuses the counts briefly instead of paying that on each request.
    """
    with _live.lock:
        if time.monotonic() - _live.at < _presence_seconds():
            return _live.counts
    counts = presence.live_rooms()
    with _live.lock:
        _live.at, _live.counts, _live.vector = time.monotonic(), counts, None
    return counts


def _live_vector(index: profiles.RoomIndex) -> tuple[dict[str, int], np.ndarray]:
    """live_counts(), and the same as a vector over the index's rooms (read-only: shared)."""
    counts = live_counts()
    with _live.lock:
        if _live.counts is counts and _live.vector is not None and _live.vector[0] == index.version:
            return counts, _live.vector[1]
    live = np.zeros(len(index.room_ids))
    for room_id, count in counts.items():  # once per index and presence read, not per request
        p = index.position.get(room_id)
        if p is not None:
            live[p] = count
    live.setflags(write=False)
    with _live.lock:
        if _live.counts is counts:
            _live.vector = (index.version, live)
    return counts, live


def reset_memos() -> None:
    """Tests: forget this process's cached presence, ranked lists and room index."""
    _live.clear()
    _lists.clear()
    profiles.reset_memos()


# --- Wording -----------------------------------------------------------------------------------


def _and(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


_SOURCE_WORDS = {
    "history": "like your history",
    "favorites": "like your favorites",
    "likes": "like tracks you liked in rooms",
    "room": "like this room's music",
    "declared": "like this room's music",
}


def _genre_reason(names: list[str], source: str, *, verb: str = "Plays") -> str:
    """ "Plays jazz and bebop, like your history", or without a verb "Jazz, like your favorites"."""
    listed = _and(names)
    subject = f"{verb} {listed}" if verb else listed[:1].upper() + listed[1:]
    if source == "chosen":
        count = ("one", "two", "three")[min(len(names), 3) - 1]
        return f"{subject}, {count} of your favorite genres"
    return f"{subject}, {_SOURCE_WORDS.get(source, _SOURCE_WORDS['history'])}"


# --- What results show --------------------------------------------------------------------------


@dataclass(eq=False)
class TrackCard:
    """What TrackBase shows of a track, read as plain values (recommendations.serializers
    renders it; no model instances or prefetches)."""

    pk: int
    spotify_id: str
    name: str
    album: str
    duration_ms: int
    image_url: str
    audio_url: str
    origin: str
    artists: list[tuple[int, str]] = field(default_factory=list)  # (artist pk, name) in credit order
    genres: list[tuple[int, str]] = field(default_factory=list)  # (genre pk, name) by name


class Owner(NamedTuple):
    pk: uuid.UUID
    username: str
    display_name: str
    avatar: str  # the file's name in storage, "" when none


@dataclass(eq=False)
class RoomCard:
    """What the Room schema shows of a recommended room (the caller has no role in it)."""

    pk: uuid.UUID
    name: str
    description: str
    is_private: bool
    queue_policy: str
    playback_policy: str
    autoplay: bool
    skip_share: float
    queue_order: str
    created_at: datetime
    member_count: int
    owner: Owner
    now_playing: TrackCard | None
    genres: list[str] = field(default_factory=list)


_TRACK_COLUMNS = ("id", "spotify_id", "name", "album", "duration_ms", "image_url", "audio_url", "origin")
_ROOM_COLUMNS = (
    "pk",
    "name",
    "description",
    "is_private",
    "queue_policy",
    "playback_policy",
    "autoplay",
    "skip_share",
    "queue_order",
    "created_at",
    "member_count",
    "owner_id",
    "owner__username",
    "owner__display_name",
    "owner__avatar",
    "playback__status",
)


_TRACKS = CompiledRead(
    lambda track_ids: Track.objects.filter(pk__in=track_ids).order_by().values_list(*_TRACK_COLUMNS),
    "int[]",
    model=Track,
)


def _details_rows(track_ids, artist_ids):
    number = IntegerField()
    credits = (
        TrackArtist.objects.filter(track_id__in=track_ids)
        .annotate(rec_kind=Value(0, number))
        .values_list("rec_kind", "track_id", "position", "artist_id", "artist__name")
    )
    genres = (
        Track.genres.through.objects.filter(track_id__in=track_ids)
        .annotate(rec_kind=Value(1, number), rec_position=Value(0, number))
        # django-stubs do not see annotations on an auto-created through model's queryset.
        .values_list("rec_kind", "track_id", "rec_position", "genre_id", "genre__name")  # type: ignore[misc]
    )
    named = (
        Artist.objects.filter(pk__in=artist_ids)
        .annotate(rec_kind=Value(2, number), rec_track=Value(0, number), rec_position=Value(0, number))
        .values_list("rec_kind", "rec_track", "rec_position", "pk", "name")
    )
    return credits.order_by().union(genres.order_by(), named.order_by(), all=True)


# Tracks' credits (kind 0: track, position, artist, name) and genres (1: track, 0, genre, name),
# and artists' names (2: 0, 0, artist, name).
_DETAILS = CompiledRead(_details_rows, "int[]", "int[]", model=Track)


def _track_cards(track_ids) -> dict[int, TrackCard]:
    """{pk: TrackCard} without artists and genres (see _fill_cards); one query."""
    return {row[0]: TrackCard(*row) for row in _TRACKS(sorted(set(track_ids)))}


def _fill_cards(cards, *, artist_ids=frozenset()) -> dict[int, str]:
    """Gives each card its artists (credit order) and genres (by name), and returns the names of
    `artist_ids` ({pk: name}, for reasons): one query for all of it, a UNION of the three."""
    by_track: dict[int, list[TrackCard]] = {}
    for card in cards:
        by_track.setdefault(card.pk, []).append(card)
    if not by_track and not artist_ids:
        return {}
    credits: dict[int, list[tuple[int, int, str]]] = {}
    genres: dict[int, list[tuple[int, str]]] = {}
    names: dict[int, str] = {}
    for kind, track_id, position, ref, name in _DETAILS(sorted(by_track), sorted(artist_ids)):
        if kind == 0:
            credits.setdefault(track_id, []).append((position, ref, name))
        elif kind == 1:
            genres.setdefault(track_id, []).append((ref, name))
        else:
            names[ref] = name
    for track_id, same in by_track.items():
        track_artists = [(ref, name) for _, ref, name in sorted(credits.get(track_id, []), key=lambda c: c[0])]
        track_genres = sorted(genres.get(track_id, []), key=lambda g: g[1])
        for card in same:
            card.artists, card.genres = track_artists, track_genres
    return names


# --- Rooms for a user ----------------------------------------------------------------------------


def _vector(weights: dict[int, float], width: int) -> np.ndarray:
    v = np.zeros(max(width, 1), dtype=np.float64)
    if weights:
        keys = np.fromiter(weights.keys(), dtype=np.int64, count=len(weights))
        values = np.fromiter(weights.values(), dtype=np.float64, count=len(weights))
        inside = keys < width
        v[keys[inside]] = values[inside]
    # Not np.linalg.norm: on a vector that is a BLAS call, whose thread pool then spins on every
    # core for a while after each request (measured: more CPU than the request itself).
    norm = math.sqrt(float(np.square(v).sum()))
    return v / norm if norm > 0 else v


def _access_rows(user_id, now):
    kind = CharField()
    # Rows: (room or user id, kind, None, None), and one ("similar") row with the precompute's
    # neighbours of the user (None, "similar", packed ids, packed scores), first: it fixes the
    # column types of the UNION.
    blob = [Cast(Value(None), BinaryField()), Cast(Value(None), BinaryField())]
    accepted = Friendship.Status.ACCEPTED
    similar = (
        UserNeighbors.objects.filter(user_id=user_id)
        .annotate(rec_ref=Cast(Value(None), UUIDField()), kind=Value("similar", kind))
        .values_list("rec_ref", "kind", "neighbor_ids", "scores")
    )
    # The rooms app's facts about the user's rooms (rooms.access: role, banned, invited), then friends.
    rooms = [
        rows.order_by()
        .annotate(rec_ids=blob[0], rec_scores=blob[1])
        .values_list("access_room", "access_kind", "rec_ids", "rec_scores")
        for rows in room_access.user_room_rows(user_id, now)
    ]
    friends = [
        Friendship.objects.filter(**{mine: user_id, "status": accepted})
        .order_by()
        .annotate(kind=Value(FRIEND, kind), rec_ids=blob[0], rec_scores=blob[1])
        .values_list(theirs, "kind", "rec_ids", "rec_scores")
        for mine, theirs in (("from_user_id", "to_user_id"), ("to_user_id", "from_user_id"))
    ]
    return similar.order_by().union(*rooms, *friends, all=True)


_ACCESS = CompiledRead(_access_rows, "uuid", "datetime", model=Membership)


def _room_access(user: User) -> tuple[room_access.UserRooms, set[str], dict[str, float]]:
    """What the user's rooms and people are, fresh, in one query: their rooms (roles, bans and
    open invitations: rooms.access's batched form), their accepted friends' ids (whoever
    asked), and {user id: similarity} of the people whose histories are most like theirs (the
    precompute's neighbours)."""
    rooms = room_access.UserRooms()
    friends: set[str] = set()
    similar: dict[str, float] = {}
    for ref, what, ids, scores in _ACCESS(user.pk, timezone.now()):
        if what == "similar":
            similar = dict(zip(map(str, unpack_uuids(ids)), unpack_floats(scores).tolist(), strict=True))
        elif what == FRIEND:
            friends.add(str(ref))
        else:
            rooms.add(ref, what)
    return rooms, friends, similar


_MEMBERSHIPS = CompiledRead(
    lambda user_ids: Membership.objects.filter(user_id__in=user_ids).order_by().values_list("room_id", "user_id"),
    "uuid[]",
    model=Membership,
)


def _people_present(people: set[str], live: dict[str, int]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """({room id: people online there}, {room id: people who are members}) for a few people.

    Opening a room's socket joins the room (chat.consumers), so whoever is online in a room
    is a member: the rooms to look at are the people's memberships, and presence is read for
    those of them that are live only.
    """
    members: dict[str, set[str]] = {}
    if not people:
        return {}, members
    # Closed rooms are not in the index, and _room_cards reads whether a room is open now.
    for room_id, user_id in _MEMBERSHIPS(sorted(people)):
        members.setdefault(str(room_id), set()).add(str(user_id))
    watched = [room_id for room_id in members if room_id in live]
    online = presence.online_members(watched) if watched else {}
    return {room_id: members[room_id] & users for room_id, users in online.items() if members[room_id] & users}, members


def room_recommendations(*, user: User, limit: int) -> list[Recommendation[RoomCard]]:
    """Rooms the user may see and is not banned from, best first; rooms they belong to are left
    out. Each item is a RoomCard."""
    index = profiles.room_index()
    n = len(index.room_ids)
    if not n:
        return []
    taste = profiles.user_taste(user)
    access, friends, similar = _room_access(user)
    # Rooms the user may join (rooms.access) and has not: their own rooms are left out.
    allowed = access.join_mask(index.private, index.position)
    allowed[_positions(index, access.roles)] = False

    user_genres = _vector(taste.genre_vector(), index.genres.shape[1])
    user_artists = _vector(taste.artist_vector(), index.artists.shape[1])
    taste_part = 0.75 * (index.genres @ user_genres) + 0.25 * (index.artists @ user_artists)

    live_by_room, live = _live_vector(index)
    similar = {k: v for k, v in similar.items() if k not in friends}
    online_people, member_people = _people_present(friends | set(similar), live_by_room)
    signals = {name: np.zeros(n) for name in ("friends_online", "friends_member", "similar_online", "similar_member")}
    for present, kind in ((online_people, "online"), (member_people, "member")):
        for room_id, here in present.items():  # the few rooms where these people are
            p = index.position.get(room_id)
            if p is None:
                continue
            if kind == "member":
                here = here - online_people.get(room_id, set())
            signals[f"friends_{kind}"][p] = len(here & friends)
            signals[f"similar_{kind}"][p] = sum(similar.get(person, 0.0) for person in here)

    parts = {
        "taste": taste_part,
        "friends": 1.0 - np.exp(-(signals["friends_online"] + MEMBER_ONLY * signals["friends_member"])),
        "similar": 1.0 - np.exp(-2.0 * (signals["similar_online"] + MEMBER_ONLY * signals["similar_member"])),
        "live": np.minimum(1.0, np.log1p(live) / math.log1p(LIVE_FULL)),
        "playing": index.playing.astype(np.float64),
    }
    score = sum(ROOM_WEIGHTS[name] * part for name, part in parts.items())
    score = np.where(allowed, score, -np.inf)
    order = np.argsort(-score, kind="stable")
    order = order[np.isfinite(score[order])].tolist()
    excluded = set(access.roles)
    rooms: dict[str, RoomCard] = {}
    chosen: list[int] = []
    start = 0
    while len(chosen) < limit and start < len(order):
        # Usually one round: the index already left out what the user may not see, and this
        # only catches what changed within the last minute.
        batch = order[start : start + (limit + 3 if not start else 2 * limit)]
        start += len(batch)
        cards = _room_cards([index.room_ids[p] for p in batch], access=access)
        for p in batch:
            room_id = index.room_ids[p]
            if room_id in cards and room_id not in excluded and len(chosen) < limit:
                rooms[room_id] = cards[room_id]
                chosen.append(p)

    def friends_at(p: int, kind: str) -> list[str]:
        room_id = index.room_ids[p]
        found = online_people.get(room_id, set()) if kind == "online" else member_people.get(room_id, set())
        if kind == "member":
            found = found - online_people.get(room_id, set())
        return sorted(found & friends)

    lone_friends = {
        ids[0] for p in chosen for ids in (friends_at(p, "online"), friends_at(p, "member")) if len(ids) == 1
    }
    names = {str(pk): name for pk, name in _display_names(lone_friends).items()}
    top_artists = {p: _best_matches(index.artists, p, user_artists, 0.05) for p in chosen}
    # What the rooms play and the artists the reasons name, in one read.
    playing = {room.now_playing for room in rooms.values() if room.now_playing is not None}
    artist_names = _fill_cards(playing, artist_ids={a for found in top_artists.values() for a in found})

    results = []
    for p in chosen:  # at most `limit` rooms, explained from what was already read
        room_id = index.room_ids[p]
        reasons = []
        genres_hit = _best_matches(index.genres, p, user_genres, 0.02)
        if genres_hit:
            source = taste.source_of_genre(genres_hit[0])
            reasons.append(_genre_reason([index.genre_names.get(g, "") for g in genres_hit], source))
        elif top_artists[p]:
            source = taste.source_of_artist(top_artists[p][0])
            reasons.append(_genre_reason([artist_names[a] for a in top_artists[p] if a in artist_names], source))
        for kind, one, many in (
            ("online", "Your friend {} is listening", "{} friends listening"),
            ("member", "Your friend {} is a member", "{} friends are members"),
        ):
            found = friends_at(p, kind)
            if len(found) == 1:
                reasons.append(one.format(names.get(found[0], "")))
            elif found:
                reasons.append(many.format(len(found)))
        similar_here = len((online_people.get(room_id, set()) - friends) & set(similar))
        if similar_here == 1:
            reasons.append("1 listener with taste like yours is here")
        elif similar_here:
            reasons.append(f"{similar_here} listeners with taste like yours are here")
        elif signals["similar_member"][p] > 0:
            reasons.append("Members with taste like yours")
        if live[p] > 0:
            reasons.append(f"Live now: {_plural(int(live[p]), 'listener', 'listeners')}")
        elif index.playing[p]:
            reasons.append("Playing now")
        if room_id in access.invited:
            reasons.append("You're invited")
        declared = sorted(index.genre_names.get(int(g), "") for g in _row(index.declared, p)[0])
        if not reasons:
            reasons.append(f"Plays {_and(declared[:2])}" if declared else "A room you haven't tried yet")
        room = rooms[room_id]
        room.genres = declared
        results.append(Recommendation(item=room, score=round(float(score[p]), 4), reasons=reasons))
    return results


_ROOMS = CompiledRead(
    lambda room_ids: (
        room_selectors.with_listing(Room.objects.filter(pk__in=room_ids, closed_at__isnull=True))
        .prefetch_related(None)
        .order_by()
        .values_list(*_ROOM_COLUMNS, *(f"playback__track__{name}" for name in _TRACK_COLUMNS))
    ),
    "uuid[]",
    model=Room,
)


def _room_cards(room_ids: list[str], *, access: room_access.UserRooms) -> dict[str, RoomCard]:
    """{room id: RoomCard} of these rooms that are open and that the caller may join
    (`RoomAccess.can_join`), read now (the index may be a minute old). One query: each room comes with its owner, member count and
    what it plays now; the tracks' artists and genres are left to _fill_cards, the room's
    genres to the index."""
    cards = {}
    for row in _ROOMS(room_ids):
        room = dict(zip(_ROOM_COLUMNS, row[: len(_ROOM_COLUMNS)], strict=True))
        room_id = str(room["pk"])
        if not access.access(room_id, is_private=room["is_private"]).can_join:
            continue
        track = row[len(_ROOM_COLUMNS) :]
        status = room.pop("playback__status")  # None: the room has no playback state yet
        playing = track[0] is not None and status != PlaybackState.Status.IDLE
        owner = Owner(
            room.pop("owner_id"),
            room.pop("owner__username"),
            room.pop("owner__display_name"),
            room.pop("owner__avatar"),
        )
        cards[room_id] = RoomCard(**room, owner=owner, now_playing=TrackCard(*track) if playing else None)
    return cards


def _positions(index: profiles.RoomIndex, room_ids) -> np.ndarray:
    return np.asarray([index.position[r] for r in room_ids if r in index.position], dtype=np.int64)


def _row(matrix: sp.csr_matrix, p: int) -> tuple[np.ndarray, np.ndarray]:
    """(column indices, values) of one row of a CSR matrix, as views (scipy's row slicing
    builds a new matrix, which costs more than the rest of the row's use)."""
    start, end = matrix.indptr[p], matrix.indptr[p + 1]
    return matrix.indices[start:end], matrix.data[start:end]


def _best_matches(matrix: sp.csr_matrix, p: int, user: np.ndarray, threshold: float, count: int = 2) -> list[int]:
    """The (at most `count`) features of room `p`'s row that add most to its match with the user."""
    indices, data = _row(matrix, p)
    if not indices.size:
        return []
    contrib = data * user[indices]
    top = np.argsort(-contrib, kind="stable")[:count]
    return [int(indices[i]) for i in top if contrib[i] > threshold]


def _display_names(user_ids) -> dict:
    if not user_ids:
        return {}
    return {
        pk: (display or username)
        for pk, display, username in User.objects.filter(pk__in=list(user_ids)).values_list(
            "pk", "display_name", "username"
        )
    }


# --- Tracks --------------------------------------------------------------------------------------


@dataclass
class _Scored:
    track_ids: np.ndarray
    scores: np.ndarray
    parts: dict  # raw cf, genre, artist, popularity per candidate
    # Per candidate: the seed (track pk) that contributed most to its co-listening score, or -1.
    best_seed: np.ndarray
    genre_pairs: tuple[np.ndarray, np.ndarray]
    artist_pairs: tuple[np.ndarray, np.ndarray]


_NEIGHBORS = CompiledRead(
    lambda track_ids: (
        TrackNeighbors.objects.filter(track_id__in=track_ids)
        .order_by()
        .values_list("track_id", "neighbor_ids", "scores", "neighbor_listeners")
    ),
    "int[]",
    model=TrackNeighbors,
)
# Newest first: the tracks with little history, which co-listening cannot reach yet.
_ARTIST_TRACKS = CompiledRead(
    lambda artist_ids: (
        TrackArtist.objects.filter(artist_id__in=artist_ids)
        .order_by("-track_id")
        .values_list("track_id", flat=True)[:ARTIST_TRACKS]
    ),
    "int[]",
    model=TrackArtist,
)
_LISTS = CompiledRead(
    lambda keys: TrackList.objects.filter(key__in=keys).order_by().values_list("key", "track_ids", "scores"),
    "str[]",
    model=TrackList,
)


class _ListsMemo:
    def __init__(self):
        self.lock = threading.Lock()
        self.build_id: int | None = None
        self.lists: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def clear(self) -> None:
        with self.lock:
            self.build_id, self.lists = None, {}


_lists = _ListsMemo()


def _track_lists(keys: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{key: (track pks, scores)} of the ranked lists asked for that exist.

    The lists change only with a build, so a process reads them all once per build (when its
    catalog() moves to that build, as the catalog features do); before any build they are
    read each time."""
    build_id = profiles.catalog().build_id
    if build_id is None:
        return {key: (unpack_ints(ids), unpack_floats(scores)) for key, ids, scores in _LISTS(keys)}
    with _lists.lock:
        if _lists.build_id == build_id:
            return {key: _lists.lists[key] for key in keys if key in _lists.lists}
    rows = TrackList.objects.values_list("key", "track_ids", "scores")
    found = {key: (unpack_ints(ids), unpack_floats(scores)) for key, ids, scores in rows}
    with _lists.lock:
        _lists.build_id, _lists.lists = build_id, found
    return {key: found[key] for key in keys if key in found}


def _neighbor_rows(seeds: np.ndarray) -> tuple[np.ndarray, ...]:
    """The seeds' stored neighbours as (seed position, neighbour pk, similarity, neighbour listeners)
    arrays; one query."""
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64))
    if not seeds.size:
        return empty
    seed_pos = {int(t): i for i, t in enumerate(seeds.tolist())}
    src, dst, val, pop = [], [], [], []
    for track_id, ids, scores, listeners in _NEIGHBORS(
        seeds.tolist()
    ):  # at most max_seeds rows, each decoded by frombuffer
        ids = unpack_ints(ids)
        src.append(np.full(ids.size, seed_pos[int(track_id)], dtype=np.int64))
        dst.append(ids)
        val.append(unpack_floats(scores))
        pop.append(unpack_counts(listeners))
    if not src:
        return empty
    return np.concatenate(src), np.concatenate(dst), np.concatenate(val).astype(np.float64), np.concatenate(pop)


def _top_keys(weights: dict[int, float], count: int) -> list[int]:
    return [key for key, _ in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:count]]


def _score_tracks(
    taste: profiles.Taste,
    *,
    extra_genres: dict[int, float],
    exclude: Callable[[np.ndarray], set[int]],
    drop: Collection[int] = frozenset(),
) -> _Scored | None:
    """Candidates from neighbours, favourite artists, genre lists and the popular list, scored by
    engine.score_items. `exclude(candidates)` names tracks that only come last; `drop` never come."""
    seeds = taste.seed_ids
    weights = taste.seed_weights.astype(np.float64)
    src, dst, val, dst_listeners = _neighbor_rows(seeds)
    cf_ids, cf_inv = np.unique(dst, return_inverse=True)
    cf_total = np.bincount(cf_inv, weights=val * weights[src], minlength=cf_ids.size)
    cf_pool = cf_ids[np.argsort(-cf_total, kind="stable")[:CF_POOL]]

    top_genres = _top_keys(taste.genre_vector(), 3)
    top_artists = _top_keys(taste.artist_vector(), 3)
    artist_tracks = np.zeros(0, np.int64)
    if top_artists:
        artist_tracks = np.asarray([row[0] for row in _ARTIST_TRACKS(top_artists)], dtype=np.int64)
    keys = ["popular", *[f"genre:{g}" for g in top_genres]]
    lists = _track_lists(keys)
    listed = [lists[f"genre:{g}"][0][:GENRE_TRACKS] for g in top_genres if f"genre:{g}" in lists]
    if "popular" in lists:
        popular = lists["popular"][0][:POPULAR_TRACKS]
    else:  # no model yet: Spotify's popularity stands in
        popular = np.asarray(
            Track.objects.order_by("-popularity", "-pk").values_list("pk", flat=True)[:POPULAR_TRACKS], dtype=np.int64
        )
    candidates = np.unique(np.concatenate([cf_pool, artist_tracks, popular, *listed]).astype(np.int64))
    if drop:
        candidates = candidates[~np.isin(candidates, np.fromiter(drop, np.int64, len(drop)))]
    if not candidates.size:
        return None
    universe = np.unique(np.r_[seeds, candidates])
    size = universe.size
    u_seed = np.searchsorted(universe, seeds)
    u_cand = np.searchsorted(universe, candidates)

    # The seeds' neighbour rows, restricted to the universe and renumbered locally. Dense: a few
    # hundred tracks, where numpy's products cost less than building sparse matrices.
    inside = np.isin(dst, universe)
    neighbors = np.zeros((size, size), dtype=np.float32)
    neighbors[u_seed[src[inside]], np.searchsorted(universe, dst[inside])] = val[inside]
    seed_vec = np.zeros((1, size), dtype=np.float32)
    seed_vec[0, u_seed] = weights

    genre_t, genre_g, artist_t, artist_a = profiles.track_features(universe)
    extra_keys = np.fromiter(extra_genres.keys(), np.int64, len(extra_genres))
    genre_cols, g_inv = np.unique(np.r_[genre_g, extra_keys], return_inverse=True)
    artist_cols, a_inv = np.unique(artist_a, return_inverse=True)
    item_genres = np.zeros((size, max(genre_cols.size, 1)), dtype=np.float32)
    item_genres[np.searchsorted(universe, genre_t), g_inv[: genre_t.size]] = 1.0
    item_artists = np.zeros((size, max(artist_cols.size, 1)), dtype=np.float32)
    item_artists[np.searchsorted(universe, artist_t), a_inv] = 1.0
    extra = None
    if extra_genres:
        extra = np.zeros((1, item_genres.shape[1]), dtype=np.float32)
        extra[0, g_inv[genre_t.size :]] = np.fromiter(extra_genres.values(), np.float32, len(extra_genres))
    popularity = np.zeros(size, dtype=np.float32)
    known_ids = np.concatenate([dst, *[ids for ids, _ in lists.values()]]).astype(np.int64)
    known_listeners = np.concatenate([dst_listeners, *[scores for _, scores in lists.values()]]).astype(np.int64)
    popularity[u_cand] = _popularity(candidates, known_ids, known_listeners)

    scores, parts = engine.score_items(
        seed_vec,
        neighbors,
        popularity,
        engine.Catalog(genres=item_genres, artists=item_artists),
        u_cand,
        blend_params=BLEND,
        extra_genres=extra,
    )
    scores = scores[0].astype(np.float64)
    if taste.known:
        known = np.isin(candidates, np.fromiter(taste.known, np.int64, len(taste.known)))
        scores = np.where(known, scores * BLEND.known, scores)
    excluded = exclude(candidates)
    if excluded:
        # Excluded tracks only come after everything else ("unless nothing else is left").
        scores = np.where(np.isin(candidates, np.fromiter(excluded, np.int64, len(excluded))), scores - 1000.0, scores)

    # Which seed gave each candidate most of its co-listening score (for "people who play X").
    contrib = seed_vec[0, u_seed][:, None] * neighbors[np.ix_(u_seed, u_cand)]
    best_local = u_seed[np.argmax(contrib, axis=0)] if u_seed.size else np.zeros(u_cand.size, dtype=np.int64)
    has = contrib.max(axis=0, initial=0.0) > 0
    return _Scored(
        track_ids=candidates,
        scores=scores,
        parts={name: np.asarray(value, dtype=np.float64).reshape(-1) for name, value in parts.items()},
        best_seed=np.where(has, universe[best_local], -1),
        genre_pairs=(genre_t, genre_g),
        artist_pairs=(artist_t, artist_a),
    )


def _popularity(candidates: np.ndarray, known_ids: np.ndarray, known_listeners: np.ndarray) -> np.ndarray:
    """Candidates' popularity in [0, 1]: log listeners over the most listened track's.

    Listener counts come with what was already read (neighbour rows, ranked lists); a track
    known from neither (a new one of a favourite artist) counts as unheard.
    """
    top = math.log1p(profiles.catalog().max_listeners)
    if top <= 0 or not known_ids.size:
        return np.zeros(candidates.size, dtype=np.float32)
    ids, first = np.unique(known_ids, return_index=True)
    position = np.minimum(np.searchsorted(ids, candidates), ids.size - 1)
    counts = np.where(ids[position] == candidates, known_listeners[first][position], 0)
    return (np.log1p(counts.astype(np.float64)) / top).astype(np.float32)


def _track_results(
    scored: _Scored | None,
    taste: profiles.Taste,
    *,
    limit: int,
    context: str,
    visible_uploads: Callable[[list[int]], set[int]],
) -> list[Recommendation[TrackCard]]:
    """The best `limit` of `scored`, explained. Uploaded files come only where
    `visible_uploads(pks)` says the reader may see them (music.selectors.track_visible_q)."""
    if scored is None:
        return []
    ranked = np.argsort(-scored.scores, kind="stable")
    take = limit
    while True:
        order = ranked[:take]
        # The results and the seeds that explain them, in one read (seeds only need their names),
        # then the results' artists and genres in another.
        seeds = {int(scored.best_seed[i]) for i in order.tolist() if scored.best_seed[i] >= 0}
        tracks = _track_cards([*scored.track_ids[order].tolist(), *seeds])
        uploads = [pk for pk, card in tracks.items() if card.origin == Track.Origin.UPLOAD]
        hidden = set(uploads) - visible_uploads(uploads) if uploads else set()
        shown = [i for i in order.tolist() if int(scored.track_ids[i]) in tracks.keys() - hidden][:limit]
        # Rarely more than once: only when others' uploads took places in the first read.
        if len(shown) >= limit or take >= ranked.size:
            break
        take = min(ranked.size, take + limit + len(hidden))
    _fill_cards(tracks[int(scored.track_ids[i])] for i in shown)
    seed_names = {pk: tracks[pk].name for pk in seeds if pk in tracks}
    genre_vec = taste.genre_vector()
    artist_vec = taste.artist_vector()
    cf_top = float(scored.parts["cf"].max(initial=0.0))
    results = []
    for i in shown:  # at most `limit` results, each explained from what was already read
        track = tracks[int(scored.track_ids[i])]
        reasons = []
        cf = float(scored.parts["cf"][i]) / cf_top if cf_top > 0 else 0.0
        seed = int(scored.best_seed[i])
        if cf > 0.05 and seed in seed_names:
            reasons.append(f"People who play {seed_names[seed]} also play this")
        liked_artists = [(pk, name) for pk, name in track.artists if artist_vec.get(pk, 0) > 0]
        if liked_artists and len(reasons) < 2:
            artist, artist_name = max(liked_artists, key=lambda a: artist_vec[a[0]])
            source = "room" if context == "room" else taste.source_of_artist(artist)
            reasons.append(f"By {artist_name}, {_SOURCE_WORDS.get(source, _SOURCE_WORDS['history'])}")
        liked_genres = sorted(
            (g for g in track.genres if genre_vec.get(g[0], 0) > 0), key=lambda g: (-genre_vec[g[0]], g[1])
        )[:2]
        if liked_genres and len(reasons) < 2:
            source = taste.source_of_genre(liked_genres[0][0])
            reasons.append(_genre_reason([name for _, name in liked_genres], source, verb=""))
        # Popularity comes last: named when nothing else explains a track, or next to a lone reason.
        if not reasons or (len(reasons) == 1 and float(scored.parts["popularity"][i]) >= 0.8):
            reasons.append("Popular on TuneWave")
        results.append(Recommendation(item=track, score=round(float(scored.scores[i]), 4), reasons=reasons))
    return results


def track_recommendations(*, user: User, limit: int) -> list[Recommendation[TrackCard]]:
    """Tracks for the user: never a favorite or a track heard in the last day, unless nothing else is left."""
    taste = profiles.user_taste(user)
    scored = _score_tracks(taste, extra_genres=taste.genres.get("chosen", {}), exclude=lambda _: taste.excluded)

    def visible_uploads(pks: list[int]) -> set[int]:
        return set(Track.objects.filter(track_visible_q(user), pk__in=pks).values_list("pk", flat=True))

    return _track_results(scored, taste, limit=limit, context="user", visible_uploads=visible_uploads)


def suggestions_room(*, room_id, user: User) -> uuid.UUID:
    """The pk of a room the user may see (the rooms app's rule) and is not banned from, in one
    query; 404 for any other room or id, 403 for the banned."""
    room, access = room_access.room_with_access(room_id, user)
    if room is None or access is None or not access.can_see:
        raise NotFound("No such room.")
    if access.banned:
        raise Forbidden("You are banned from this room.")
    return room.pk


def _room_music_rows(room_id):
    number = IntegerField()
    queued = QueueItem.objects.filter(room_id=room_id).annotate(rec_kind=Value(0, number))
    playing = PlaybackState.objects.filter(room_id=room_id, track__isnull=False).annotate(
        rec_kind=Value(1, number), rec_position=Value(0, number)
    )
    declared = Room.genres.through.objects.filter(room_id=room_id).annotate(
        rec_kind=Value(2, number), rec_position=Value(0, number)
    )
    return (
        queued.order_by()
        .values_list("rec_kind", "track_id", "position")
        .union(
            playing.order_by().values_list("rec_kind", "track_id", "rec_position"),
            # django-stubs do not see annotations on an auto-created through model's queryset.
            declared.order_by().values_list("rec_kind", "genre_id", "rec_position"),  # type: ignore[misc]
            all=True,
        )
    )


# A room's queue (kind 0: track, position), current track (1: track, 0) and declared genres (2: genre, 0).
_ROOM_MUSIC = CompiledRead(_room_music_rows, "uuid", model=Room)
_LATEST_MEMBERS = CompiledRead(
    lambda room_id: (
        Membership.objects.filter(room_id=room_id).order_by("-joined_at").values_list("user_id", flat=True)[:GROUP_SIZE]
    ),
    "uuid",
    model=Membership,
)
# By track (indexed), not by room (a room_id index would scan): the candidates' recent plays here.
_PLAYED_HERE = CompiledRead(
    lambda track_ids, since, room_id: (
        ListeningEvent.objects.filter(track_id__in=track_ids, listened_at__gte=since, room_id=room_id)
        .order_by()
        .values_list("track_id", flat=True)
    ),
    "int[]",
    "datetime",
    "uuid",
    model=ListeningEvent,
)


def room_people(room_id) -> list[str]:
    """Whose taste a room's suggestions fit: the people online, else its latest members (ids)."""
    online = presence.online_user_ids(room_id)
    if online:
        return sorted(online)[:GROUP_SIZE]
    return [str(row[0]) for row in _LATEST_MEMBERS(room_id)]


def room_suggestions(
    *, room_id, limit: int, drop: Collection[int] = frozenset(), people: list[str] | None = None
) -> list[Recommendation[TrackCard]]:
    """Tracks for the room's queue, fitting the people present (online, else the members) and the
    room's music. Queued and playing tracks and `drop` (track pks: the room's last plays) never
    come; those played here lately come last."""
    if people is None:
        people = room_people(room_id)
    queued: list[tuple[int, int]] = []  # (position, track id)
    current: list[tuple[int, int]] = []
    declared: list[tuple[int, int]] = []  # (0, genre id)
    for kind, ref, position in _ROOM_MUSIC(room_id):
        (queued if kind == 0 else current if kind == 1 else declared).append((position, ref))
    room_tracks = [ref for _, ref in current[:1]] + [ref for _, ref in sorted(queued)]
    taste = profiles.group_taste(
        user_ids=[uuid.UUID(p) for p in people],
        extra_tracks=room_tracks,
        declared_genre_ids=[ref for _, ref in declared],
    )
    since = timezone.now() - ROOM_RECENT

    def played_here(candidates: np.ndarray) -> set[int]:
        return {row[0] for row in _PLAYED_HERE(candidates.tolist(), since, room_id)}

    scored = _score_tracks(
        taste, extra_genres=taste.genres.get("declared", {}), exclude=played_here, drop=set(room_tracks) | set(drop)
    )

    def shared_here(pks: list[int]) -> set[int]:
        # A room hears the uploads queued in it before; others' files stay theirs.
        return set(UploadShare.objects.filter(upload_id__in=pks, room_id=room_id).values_list("upload_id", flat=True))

    return _track_results(scored, taste, limit=limit, context="room", visible_uploads=shared_here)

"""What results show: tracks and rooms read as plain values (cards), with their artists and genres.

recommendations.serializers renders cards without model instances or prefetches; the reads
here are `reads.CompiledRead`s (the ORM's SQL, compiled once per process).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, NamedTuple, TypeVar

from django.db.models import IntegerField, Value

from core.reads import CompiledRead
from music.models import Artist, Track, TrackArtist

_Card = TypeVar("_Card")


@dataclass
class Recommendation(Generic[_Card]):
    item: _Card  # a RoomCard or a TrackCard
    score: float
    reasons: list[str] = field(default_factory=list)


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


TRACK_COLUMNS = ("id", "spotify_id", "name", "album", "duration_ms", "image_url", "audio_url", "origin")
ROOM_COLUMNS = (
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
    lambda track_ids: Track.objects.filter(pk__in=track_ids).order_by().values_list(*TRACK_COLUMNS),
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


def track_cards(track_ids) -> dict[int, TrackCard]:
    """{pk: TrackCard} without artists and genres (see fill_cards); one query."""
    return {row[0]: TrackCard(*row) for row in _TRACKS(sorted(set(track_ids)))}


def fill_cards(cards, *, artist_ids=frozenset()) -> dict[int, str]:
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

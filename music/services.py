"""Writes for the catalog, favorites and listening history."""

import re
import uuid
from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import normalize_genres
from music.models import Artist, FavoriteTrack, Genre, ListeningEvent, Track, TrackArtist

SPOTIFY_ID = re.compile(r"^[0-9A-Za-z]{22}$")


def is_spotify_id(value: str) -> bool:
    return bool(SPOTIFY_ID.match(value or ""))


def local_id() -> str:
    return f"local:{uuid.uuid4().hex}"


def genres_get_or_create(*, names: Iterable[str]) -> list[Genre]:
    """Genre rows for the given names (normalised), creating the missing ones."""
    wanted = normalize_genres(list(names))
    if not wanted:
        return []
    Genre.objects.bulk_create([Genre(name=n[:100]) for n in wanted], ignore_conflicts=True)
    by_name = {g.name: g for g in Genre.objects.filter(name__in=[n[:100] for n in wanted])}
    return [by_name[n[:100]] for n in wanted if n[:100] in by_name]


def artist_store(*, spotify_id: str | None, name: str, genres: list[str] | None = None, image_url: str = "") -> Artist:
    """Finds or creates an artist (by Spotify id, else by exact name among local artists)."""
    artist = None
    if spotify_id:
        artist = Artist.objects.filter(spotify_id=spotify_id).first()
    else:
        artist = Artist.objects.filter(name__iexact=name, spotify_id__startswith="local:").first()
    if artist is None:
        try:
            with transaction.atomic():
                artist = Artist.objects.create(spotify_id=spotify_id or local_id(), name=name[:300])
        except IntegrityError:  # a concurrent store won the race for this Spotify id
            artist = Artist.objects.get(spotify_id=spotify_id)
    changed = []
    if image_url and artist.image_url != image_url:
        artist.image_url = image_url[:500]
        changed.append("image_url")
    if changed:
        artist.save(update_fields=changed)
    if genres:
        artist.genres.add(*genres_get_or_create(names=genres))
    return artist


def track_genres_refresh(*, track: Track) -> None:
    """A track's genres include its artists' genres; adds those the artists gained since."""
    artist_genres = Genre.objects.filter(artists__tracks=track).distinct()
    track.genres.add(*artist_genres)


@transaction.atomic
def track_store(
    *,
    spotify_id: str | None,
    name: str,
    artists: list[dict],
    album: str = "",
    duration_ms: int = 0,
    image_url: str = "",
    audio_url: str = "",
    genres: list[str] | None = None,
    popularity: int = 0,
) -> Track:
    """Creates a track, or returns the stored one with that Spotify id unchanged.

    `artists` is a list of {"name", "spotify_id"?, "genres"?} in credited order. The
    track's genres are the given ones plus its artists' genres.
    """
    if spotify_id:
        existing = Track.objects.filter(spotify_id=spotify_id).first()
        if existing is not None:
            return existing
    track = Track.objects.create(
        spotify_id=spotify_id or local_id(),
        name=name[:300],
        album=album[:300],
        duration_ms=max(0, int(duration_ms or 0)),
        image_url=image_url[:500],
        audio_url=audio_url[:500],
        popularity=max(0, min(100, int(popularity or 0))),
    )
    for position, credit in enumerate(artists):
        artist = artist_store(
            spotify_id=credit.get("spotify_id"),
            name=credit["name"],
            genres=credit.get("genres"),
            image_url=credit.get("image_url", ""),
        )
        TrackArtist.objects.get_or_create(track=track, artist=artist, defaults={"position": position})
    if genres:
        track.genres.add(*genres_get_or_create(names=genres))
    track_genres_refresh(track=track)
    return track


def favorite_add(*, user: User, track: Track) -> tuple[FavoriteTrack, bool]:
    """Adds a favorite; adding it again returns the existing row (one row, no error)."""
    return FavoriteTrack.objects.get_or_create(user=user, track=track)


def favorite_remove(*, user: User, spotify_id: str) -> bool:
    deleted, _ = FavoriteTrack.objects.filter(user=user, track__spotify_id=spotify_id).delete()
    return bool(deleted)


def listening_record(
    *,
    user: User,
    track: Track,
    room_id: uuid.UUID | None = None,
    listened_at: datetime | None = None,
    ms_played: int = 0,
    play_count: int = 1,
    source: str = ListeningEvent.Source.ROOM,
) -> bool:
    """Records one listen; returns False if the same (user, track, moment) is already there.

    Idempotent on purpose: two server processes noticing the same play, or a retried
    task, store one event.
    """
    event = ListeningEvent(
        user=user,
        track=track,
        room_id=room_id,
        listened_at=listened_at or timezone.now(),
        ms_played=max(0, int(ms_played)),
        play_count=max(1, int(play_count)),
        source=source,
    )
    ListeningEvent.objects.bulk_create([event], ignore_conflicts=True)
    # The id is made client-side, so it is in the table only if this insert won.
    return ListeningEvent.objects.filter(pk=event.pk).exists()


def track_for_id(*, spotify_id: str) -> Track:
    """The stored track with that id, or 404."""
    from django.http import Http404

    track = Track.objects.filter(spotify_id=spotify_id).first()
    if track is None:
        raise Http404("No track with that id.")
    return track

"""Reads for the catalog, favorites and history, each a fixed number of queries."""

from datetime import datetime

from django.db.models import Prefetch, QuerySet

from accounts.models import User
from music.models import FavoriteTrack, ListeningEvent, Track, TrackArtist


def track_prefetches(prefix: str = "") -> list:
    """What TrackBase shows, as prefetches for a track reached through `prefix` ("track__")."""
    return [
        Prefetch(f"{prefix}credits", queryset=TrackArtist.objects.select_related("artist").order_by("position")),
        f"{prefix}genres",
    ]


def track_queryset() -> QuerySet[Track]:
    """Tracks with everything TrackBase shows, prefetched."""
    return Track.objects.prefetch_related(*track_prefetches())


def track_find(*, spotify_id: str) -> Track | None:
    return track_queryset().filter(spotify_id=spotify_id).first()


def favorite_list(*, user: User, limit: int, offset: int = 0) -> list[FavoriteTrack]:
    return list(
        FavoriteTrack.objects.filter(user=user)
        .select_related("track")
        .prefetch_related(*track_prefetches("track__"))
        .order_by("-added_at", "-id")[offset : offset + limit]
    )


def history_list(*, user: User, limit: int, before: datetime | None = None) -> list[ListeningEvent]:
    events = ListeningEvent.objects.filter(user=user)
    if before is not None:
        events = events.filter(listened_at__lt=before)
    return list(
        events.select_related("track").prefetch_related(*track_prefetches("track__")).order_by("-listened_at")[:limit]
    )

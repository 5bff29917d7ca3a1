"""Reads for the catalog, favorites and history, each a fixed number of queries."""

from datetime import datetime

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Sum

from accounts.models import User
from music import hooks
from music.models import FavoriteTrack, ListeningEvent, Track, TrackArtist, Upload, UploadShare


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


# --- who may see a track: uploads are seen by their owner and the rooms they were queued in ---


def track_visible_q(user: User | None, *, prefix: str = "") -> Q:
    """A filter for the tracks `user` may see (find in search, open, favorite, queue), for tracks
    reached through `prefix` ("track__"): every track but other people's uploads. An upload is
    seen by its owner and by the members of the rooms it was queued in (UploadShare)."""
    not_upload = ~Q(**{f"{prefix}origin": Track.Origin.UPLOAD})
    if user is None or not user.is_authenticated:
        return not_upload
    shared = UploadShare.objects.filter(
        upload_id=OuterRef(f"{prefix}pk" if not prefix else f"{prefix}id"),
        room_id__in=hooks.member_room_ids(user=user),
    )
    return not_upload | Q(**{f"{prefix}upload__owner": user}) | Q(Exists(shared))


def track_is_visible(*, track: Track, user: User | None) -> bool:
    """`track_visible_q` for one track already loaded (one query for an upload, none otherwise)."""
    if track.origin != Track.Origin.UPLOAD:
        return True
    return Track.objects.filter(track_visible_q(user), pk=track.pk).exists()


def upload_list(*, owner: User, limit: int, offset: int = 0) -> list[Upload]:
    """The owner's uploads, newest first, with what TrackBase shows."""
    return list(
        Upload.objects.filter(owner=owner)
        .select_related("track")
        .prefetch_related(*track_prefetches("track__"))
        .order_by("-created_at", "-pk")[offset : offset + limit]
    )


def upload_count(*, owner: User) -> int:
    return Upload.objects.filter(owner=owner).count()


def upload_used_bytes(*, owner: User) -> int:
    """What the owner's uploads take, in bytes (their quota counts this)."""
    return Upload.objects.filter(owner=owner).aggregate(used=Sum("size_bytes"))["used"] or 0


def upload_get_for_owner(*, owner: User, track_id: str) -> Upload | None:
    """The owner's upload with that track id; None for anyone else's (the caller answers 404)."""
    return (
        Upload.objects.filter(owner=owner, track__spotify_id=track_id)
        .select_related("track")
        .prefetch_related(*track_prefetches("track__"))
        .first()
    )

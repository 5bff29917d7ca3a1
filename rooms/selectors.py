"""Reads for rooms. Every read that takes a room id goes through `room_get_for_user`,
which answers 404 for rooms the caller may not see, so private rooms never leak."""

import uuid

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from music.selectors import track_prefetches
from rooms import presence
from rooms.models import Ban, Invite, Membership, PlaybackState, QueueItem, Room


def _open_invites(user: User):
    return Invite.objects.filter(
        room=OuterRef("pk"), user=user, accepted_at__isnull=True, expires_at__gt=timezone.now()
    )


def visible_rooms(user: User | None) -> QuerySet[Room]:
    """Open rooms this caller may see: public ones, and private ones they belong or are invited to."""
    rooms = Room.objects.filter(closed_at__isnull=True)
    if user is None or not user.is_authenticated:
        return rooms.filter(is_private=False)
    member = Membership.objects.filter(room=OuterRef("pk"), user=user)
    return rooms.filter(Q(is_private=False) | Q(Exists(member)) | Q(Exists(_open_invites(user))))


def with_listing(rooms: QuerySet[Room]) -> QuerySet[Room]:
    """What the Room schema shows, in a fixed number of queries."""
    return (
        rooms.select_related("owner")
        .prefetch_related("genres")
        .annotate(member_count=Count("memberships", distinct=True))
    )


def _uuid_or_404(room_id) -> uuid.UUID:
    try:
        return uuid.UUID(str(room_id))
    except ValueError as exc:
        raise Http404("No such room.") from exc


def room_get_for_user(*, room_id, user: User | None) -> Room:
    room = with_listing(visible_rooms(user)).filter(pk=_uuid_or_404(room_id)).first()
    if room is None:
        raise Http404("No such room.")
    return room


def room_list(
    *,
    user: User | None,
    genre: str | None = None,
    search: str | None = None,
    order: str = "newest",
    limit: int = 20,
    offset: int = 0,
) -> list[Room]:
    rooms = visible_rooms(user)
    if genre:
        rooms = rooms.filter(genres__name=genre.strip().lower())
    if search:
        rooms = rooms.filter(Q(name__icontains=search) | Q(description__icontains=search))
    rooms = with_listing(rooms)
    if order == "live":
        # Only live rooms carry a count; a CASE over them ranks the page in the database.
        live = presence.live_rooms()
        whens = [When(pk=uuid.UUID(room_id), then=Value(count)) for room_id, count in live.items()]
        rooms = rooms.annotate(
            live=Case(*whens, default=Value(0), output_field=IntegerField()) if whens else Value(0)
        ).order_by("-live", "-created_at", "pk")
    else:
        rooms = rooms.order_by("-created_at", "pk")
    return list(rooms[offset : offset + limit])


def room_by_name(*, name: str, user: User | None) -> Room:
    room = with_listing(visible_rooms(user)).filter(name__iexact=name.strip()).first()
    if room is None:
        raise Http404("No room with that name.")
    return room


def rooms_of_user(*, user: User, limit: int, offset: int) -> list[Room]:
    rooms = Room.objects.filter(closed_at__isnull=True, memberships__user=user)
    return list(with_listing(rooms).order_by("-created_at", "pk")[offset : offset + limit])


def membership_of(*, room: Room, user: User | None) -> Membership | None:
    if user is None or not user.is_authenticated:
        return None
    return Membership.objects.filter(room=room, user=user).first()


def is_banned(*, room: Room, user: User) -> bool:
    return Ban.objects.filter(room=room, user=user).exists()


def member_list(*, room: Room, limit: int, offset: int) -> list[Membership]:
    return list(
        Membership.objects.filter(room=room)
        .select_related("user")
        .order_by(
            Case(
                When(role=Membership.Role.OWNER, then=Value(0)),
                When(role=Membership.Role.MODERATOR, then=Value(1)),
                default=Value(2),
            ),
            "joined_at",
            "id",
        )[offset : offset + limit]
    )


def queue_list(*, room: Room) -> list[QueueItem]:
    return list(
        QueueItem.objects.filter(room=room)
        .select_related("added_by", "track")
        .prefetch_related(*track_prefetches("track__"))
        .order_by("position")
    )


def bans_issued(*, user: User, limit: int, offset: int) -> list[Ban]:
    return list(Ban.objects.filter(banned_by=user).select_related("user", "banned_by")[offset : offset + limit])


def bans_received(*, user: User, limit: int, offset: int) -> list[Ban]:
    return list(Ban.objects.filter(user=user).select_related("user", "banned_by")[offset : offset + limit])


def now_playing_tracks(*, room_ids: list) -> dict:
    """{room_id: Track} for the rooms among `room_ids` that are playing or paused."""
    if not room_ids:
        return {}
    states = (
        PlaybackState.objects.filter(room_id__in=room_ids, track__isnull=False)
        .exclude(status=PlaybackState.Status.IDLE)
        .select_related("track")
        .prefetch_related(*track_prefetches("track__"))
    )
    return {str(state.room_id): state.track for state in states}

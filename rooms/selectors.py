"""Reads for rooms. Every read that takes a room id goes through `room_get_for_user`,
which answers 404 for rooms the caller may not see (rooms.access), so private rooms never leak."""

import uuid

from django.db.models import Case, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404

from accounts.models import User
from music.selectors import track_prefetches
from rooms import presence
from rooms.access import rooms_visible_to
from rooms.models import Ban, Membership, PlaybackState, QueueItem, Room


def visible_rooms(user: User | None) -> QuerySet[Room]:
    """Open rooms this caller may see: public ones, and private ones they belong or are
    invited to and are not banned from (`rooms.access.rooms_visible_to`)."""
    return rooms_visible_to(user)


def with_listing(rooms: QuerySet[Room]) -> QuerySet[Room]:
    """What the Room schema shows, in a fixed number of queries.

    The member count is a correlated subquery, not a JOIN + GROUP BY: that way the
    database counts only the rooms on the page, not every visible room before the LIMIT.
    """
    members = (
        Membership.objects.filter(room=OuterRef("pk")).order_by().values("room").annotate(n=Count("pk")).values("n")
    )
    return (
        rooms.select_related("owner")
        .prefetch_related("genres")
        .annotate(member_count=Coalesce(Subquery(members, output_field=IntegerField()), Value(0)))
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
    if order != "live":
        return list(rooms.order_by("-created_at", "pk")[offset : offset + limit])
    # Live first: the live rooms (few) are ranked here by listeners, then the page is filled
    # with the newest idle rooms. Cheaper than ranking every room in SQL by a CASE.
    live = presence.live_rooms()
    live_rooms = sorted(
        rooms.filter(pk__in=[uuid.UUID(room_id) for room_id in live]),
        key=lambda room: (-live[str(room.pk)], -room.created_at.timestamp(), str(room.pk)),
    )
    page = live_rooms[offset : offset + limit]
    idle_offset = max(0, offset - len(live_rooms))
    wanted = limit - len(page)
    if wanted > 0:
        idle = rooms.exclude(pk__in=[room.pk for room in live_rooms]).order_by("-created_at", "pk")
        page += list(idle[idle_offset : idle_offset + wanted])
    return page


def room_by_name(*, name: str, user: User | None) -> Room:
    room = with_listing(visible_rooms(user)).filter(name__iexact=name.strip()).first()
    if room is None:
        raise Http404("No room with that name.")
    return room


def rooms_of_user(*, user: User, limit: int, offset: int) -> list[Room]:
    rooms = Room.objects.filter(closed_at__isnull=True, memberships__user=user)
    return list(with_listing(rooms).order_by("-created_at", "pk")[offset : offset + limit])


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


def member_room_ids(*, user: User) -> QuerySet:
    """Ids of the rooms `user` is a member of, as a subquery (music.hooks: who may see an upload
    shared in a room). A banned user's leftover membership counts for nothing (rooms.access)."""
    return Membership.objects.filter(user=user).exclude(room__bans__user=user).values("room_id")


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

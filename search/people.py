"""Who is listening where: friends listening now (GET /friendships/listening-now) and a
user's `listening_now` on their profile (GET /users/{id}, through accounts.hooks).

"Listening" is presence (rooms/presence.py): a live socket in an open room. Only rooms the
viewer may see are shown (rooms.access), so a friend in a private room the viewer does not
belong to is simply not listed. These live here, not in social or accounts: both sit below
rooms in the app layers (docs/architecture.md), and only rooms knows presence.
"""

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.http import HttpRequest

from accounts.models import User
from music.serializers import TrackBaseSerializer
from rooms import presence
from rooms.access import rooms_visible_to
from rooms.models import Room
from rooms.selectors import now_playing_tracks
from rooms.serializers import RoomSerializer
from social.models import Friendship


def _rooms_of(user_ids: set[str]) -> dict[str, list[str]]:
    """{user id: ids of the rooms where they have a live socket}, busiest room first.
    Two presence round trips, whatever the number of users; {} while presence is unknown."""
    live = presence.live_rooms()
    if not live or not user_ids:
        return {}
    found: dict[str, list[str]] = {}
    for room_id, online in presence.online_members(list(live)).items():
        for user_id in online & user_ids:
            found.setdefault(user_id, []).append(room_id)
    for rooms in found.values():
        rooms.sort(key=lambda room_id: (-live.get(room_id, 0), room_id))
    return found


def _listening(rooms: list[Room], request: HttpRequest | None) -> dict[str, dict]:
    """{room id: {"room": {...}, "track": TrackBase | None}} for these rooms."""
    playing = now_playing_tracks(room_ids=[room.pk for room in rooms])
    context = {"request": request, "now_playing": playing}
    room_serializer = RoomSerializer(context=context)
    track_serializer = TrackBaseSerializer(context=context)
    answers = {}
    for room in rooms:
        track = playing.get(str(room.pk))
        answers[str(room.pk)] = {
            # Room.image_url: the now-playing cover, else the room's own (rooms/serializers.py).
            "room": {"id": str(room.pk), "name": room.name, "image_url": room_serializer.get_image_url(room)},
            "track": track_serializer.to_representation(track) if track is not None else None,
        }
    return answers


def _first_visible(room_ids_by_user: dict[str, list[str]], viewer: User | AnonymousUser | None) -> dict[str, Room]:
    """{user id: the busiest room of theirs the viewer may see}."""
    wanted = {room_id for room_ids in room_ids_by_user.values() for room_id in room_ids}
    if not wanted:
        return {}
    signed_in = viewer if isinstance(viewer, User) else None
    visible = {str(room.pk): room for room in rooms_visible_to(signed_in).filter(pk__in=wanted)}
    chosen = {}
    for user_id, room_ids in room_ids_by_user.items():
        room_id = next((room_id for room_id in room_ids if room_id in visible), None)
        if room_id is not None:
            chosen[user_id] = visible[room_id]
    return chosen


def friends_listening(*, user: User, request: HttpRequest | None = None) -> list[dict]:
    """[{"user": User, "room": {...}, "track": TrackBase | None}] for the caller's friends
    online in a room the caller may see, by username."""
    pairs = Friendship.objects.filter(
        Q(from_user=user) | Q(to_user=user), status=Friendship.Status.ACCEPTED
    ).values_list("from_user_id", "to_user_id")
    friend_ids = {str(b if a == user.pk else a) for a, b in pairs}
    chosen = _first_visible(_rooms_of(friend_ids), user)
    if not chosen:
        return []
    friends = User.objects.filter(pk__in=list(chosen), is_active=True).order_by("username")
    listening = _listening(list({room.pk: room for room in chosen.values()}.values()), request)
    return [{"user": friend, **listening[str(chosen[str(friend.pk)].pk)]} for friend in friends]


def listening_now_of(*, user: User, viewer: User | AnonymousUser, request: HttpRequest | None = None) -> dict | None:
    """`listening_now` on a profile: shown to the user themself, and to others only when the
    user's history is public and the room is one the viewer may see (accounts.hooks)."""
    is_self = isinstance(viewer, User) and viewer.pk == user.pk
    if not (is_self or user.history_public) or not user.is_active:
        return None
    chosen = _first_visible(_rooms_of({str(user.pk)}), viewer)
    room = chosen.get(str(user.pk))
    if room is None:
        return None
    return _listening([room], request)[str(room.pk)]

"""Writes for rooms: the rules of who may do what, in one place.

Views, the admin and (later) the room socket call these. Each function is atomic; queue
and membership changes that race take the room's row lock first.
"""

import functools
import logging
import math
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max
from django.utils import timezone

from accounts.models import User
from accounts.services import oauth_leftovers_prune
from core import metrics
from core.background import enqueue
from core.errors import Conflict, Forbidden, Invalid, NotFound, ServiceUnavailable
from core.reads import CompiledRead
from core.realtime import send_on_commit
from music import uploads
from music.models import Track
from music.services import genres_get_or_create, listening_mark_liked
from music.uploads import upload_share_for_queue
from rooms import events, hooks, presence, room_view
from rooms.access import RoomAccess, may_be_banned, open_invites, room_access
from rooms.models import Ban, Invite, Membership, PlaybackState, QueueItem, Reaction, Room, SkipVote
from social.services import emails_prune, notifications_prune, notify, notify_friends

Role = Membership.Role
logger = logging.getLogger(__name__)


def _locked(room: Room) -> Room:
    """Re-reads the room under its row lock (PostgreSQL; SQLite serialises writers anyway)."""
    return Room.objects.select_for_update().get(pk=room.pk)


_MEMBERSHIP_FIELDS = tuple(field.attname for field in Membership._meta.concrete_fields)


def _membership_rows(room_id, user_id):
    return Membership.objects.filter(room_id=room_id, user_id=user_id).values_list(*_MEMBERSHIP_FIELDS)[:1]


# Compiled once per process (core/reads.py): every chat message reads it (`room_join`).
_MEMBERSHIP_READ = CompiledRead(_membership_rows, "uuid", "uuid", model=Membership)


def _membership(room: Room, user: User) -> Membership | None:
    rows = _MEMBERSHIP_READ(room.pk, user.pk)
    return Membership.from_db(Membership.objects.db, list(_MEMBERSHIP_FIELDS), list(rows[0])) if rows else None


def _require_role(room: Room, user: User, roles: tuple[str, ...], action: str) -> RoomAccess:
    """`roles` is (OWNER,) or (OWNER, MODERATOR): `RoomAccess.is_owner` or `can_moderate`."""
    access = room_access(user, room)
    if not (access.is_owner if roles == (Role.OWNER,) else access.can_moderate):
        who = " or ".join(roles)
        raise Forbidden(f"Only the room's {who} can {action}.")
    return access


def _name_taken(name: str, exclude=None) -> bool:
    rooms = Room.objects.filter(name__iexact=name.strip())
    if exclude is not None:
        rooms = rooms.exclude(pk=exclude.pk)
    return rooms.exists()


@transaction.atomic
def room_create(
    *,
    owner: User,
    name: str,
    description: str = "",
    is_private: bool = False,
    genres: list[str] | None = None,
    queue_policy: str = Room.Policy.MEMBERS,
    playback_policy: str = Room.Policy.MODERATORS,
    autoplay: bool = True,
    skip_share: float = 0.5,
    queue_order: str = Room.QueueOrder.FIFO,
) -> Room:
    name = " ".join(name.split())
    if _name_taken(name):
        raise Conflict("A room with that name already exists.")
    try:
        with transaction.atomic():
            room = Room.objects.create(
                owner=owner,
                name=name,
                description=description,
                is_private=is_private,
                queue_policy=queue_policy,
                playback_policy=playback_policy,
                autoplay=autoplay,
                skip_share=skip_share,
                queue_order=queue_order,
            )
    except IntegrityError as exc:  # the same name, created a moment ago by someone else
        raise Conflict("A room with that name already exists.") from exc
    Membership.objects.create(room=room, user=owner, role=Role.OWNER)
    if genres:
        room.genres.set(genres_get_or_create(names=genres))
    if not is_private:
        notify_friends(
            user=owner,
            kind="friend_room",
            text=f"{owner.name} started a room: {room.name}.",
            data={"room_id": str(room.pk), "user": str(owner.pk)},
        )
    return room


@transaction.atomic
def room_update(*, room: Room, actor: User, data: dict) -> Room:
    _require_role(room, actor, (Role.OWNER,), "change it")
    room = _locked(room)
    if "name" in data:
        data = {**data, "name": " ".join(data["name"].split())}
        if _name_taken(data["name"], exclude=room):
            raise Conflict("A room with that name already exists.")
    genres = data.pop("genres", None) if "genres" in data else None
    for field, value in data.items():
        setattr(room, field, value)
    try:
        with transaction.atomic():
            room.save()
    except IntegrityError as exc:
        raise Conflict("A room with that name already exists.") from exc
    if genres is not None:
        room.genres.set(genres_get_or_create(names=genres))
    if {"autoplay", "queue_order"} & set(data):
        _queue_settings_changed(room)
    send_on_commit(events.room_group(room.pk), events.room_updated(room_id=room.pk))
    return room


@transaction.atomic
def room_delete(*, room: Room, actor: User) -> None:
    _require_role(room, actor, (Role.OWNER,), "delete it")
    room_id = room.pk
    room.delete()
    send_on_commit(events.room_group(room_id), events.room_deleted(room_id=room_id))


@transaction.atomic
def room_close(*, room: Room) -> Room:
    """A moderator's action in the admin: the room disappears and its sockets close."""
    room.closed_at = timezone.now()
    room.save(update_fields=["closed_at"])
    send_on_commit(events.room_group(room.pk), events.room_deleted(room_id=room.pk))
    return room


def _open_invite(room: Room, user: User) -> Invite | None:
    return Invite.objects.filter(open_invites(), room=room, user=user).first()


@transaction.atomic
def room_join(*, room: Room, user: User) -> tuple[Membership, bool]:
    """Joins a room (`RoomAccess.can_join`). Private rooms need an open invite (which this accepts)."""
    access = room_access(user, room)
    if not access.is_open:
        raise NotFound("No such room.")
    if access.banned:
        raise Forbidden("You are banned from this room.")
    if access.is_member:
        existing = _membership(room, user)
        if existing is not None:
            return existing, False
    elif not access.can_join:
        raise NotFound("No such room.")
    try:
        with transaction.atomic():
            membership = Membership.objects.create(room=room, user=user, role=Role.MEMBER)
    except IntegrityError:  # joined twice at once: the first one counts
        return Membership.objects.get(room=room, user=user), False
    if access.invited:
        Invite.objects.filter(open_invites(), room=room, user=user).update(accepted_at=timezone.now())
    _membership_changed(room)
    return membership, True


def _membership_changed(room: Room) -> None:
    """Everyone in the room hears the new member count (the header, the members list)."""
    count = Membership.objects.filter(room=room).count()
    send_on_commit(events.room_group(room.pk), events.room_updated(room_id=room.pk, member_count=count))


@transaction.atomic
def room_leave(*, room: Room, user: User) -> None:
    membership = _membership(room, user)
    if membership is None:
        raise Forbidden("You are not a member of this room.")
    if membership.role == Role.OWNER:
        raise Conflict("The owner cannot leave: hand ownership to another member or delete the room.")
    membership.delete()
    send_on_commit(
        events.user_group(user.pk), events.room_access_revoked(room_id=room.pk, user_id=user.pk, reason="left")
    )
    _membership_changed(room)


@transaction.atomic
def member_role_set(*, room: Room, actor: User, target: User, role: str) -> Membership:
    """Owner: any change, including handing ownership over. Moderator: promote members only."""
    acting = _require_role(room, actor, (Role.OWNER, Role.MODERATOR), "change roles")
    _locked(room)
    membership = _membership(room, target)
    if membership is None:
        raise NotFound("That user is not a member of this room.")
    if membership.role == role:
        return membership
    if membership.role == Role.OWNER:
        raise Forbidden("The owner's role can only change by handing ownership to someone else.")
    if acting.role == Role.MODERATOR and (role != Role.MODERATOR or membership.role != Role.MEMBER):
        raise Forbidden("Moderators can only promote members to moderator.")
    if role == Role.OWNER:
        # Hand-over: the old owner stays on as a moderator.
        Membership.objects.filter(room=room, user=actor).update(role=Role.MODERATOR)
        membership.role = Role.OWNER
        membership.save(update_fields=["role"])
        Room.objects.filter(pk=room.pk).update(owner=target)
    else:
        membership.role = role
        membership.save(update_fields=["role"])
    notify(
        user=target,
        kind="role_changed",
        text=f"You are now {'the owner' if role == Role.OWNER else 'a ' + role} of {room.name}.",
        data={"room_id": str(room.pk), "role": role},
    )
    send_on_commit(
        events.room_group(room.pk), events.member_role_changed(room_id=room.pk, user_id=target.pk, role=role)
    )
    return membership


@transaction.atomic
def invite_create(*, room: Room, actor: User, target: User) -> tuple[Invite, bool]:
    _require_role(room, actor, (Role.OWNER, Role.MODERATOR), "invite people")
    if not target.is_active:
        raise NotFound("No such user.")
    theirs = room_access(target, room)
    if theirs.banned:
        raise Conflict("That user is banned from this room; unban them first.")
    if theirs.role is not None:
        raise Conflict("That user is already a member of this room.")
    existing = _open_invite(room, target)
    if existing is not None:
        return existing, False
    # An expired invite still holds the "one open invite" slot: retire it first.
    Invite.objects.filter(room=room, user=target, accepted_at__isnull=True).delete()
    invite = Invite.objects.create(room=room, user=target, invited_by=actor)
    notify(
        user=target,
        kind="room_invite",
        text=f"{actor.name} invited you to {room.name}.",
        data={"room_id": str(room.pk), "invite_id": str(invite.pk), "invited_by": str(actor.pk)},
    )
    return invite, True


@transaction.atomic
def member_remove(*, room: Room, target: User, reason: str = "removed", note: str = "") -> bool:
    """Takes someone out of a room (admin action, bans). Their sockets there close."""
    deleted, _ = Membership.objects.filter(room=room, user=target).exclude(role=Role.OWNER).delete()
    Invite.objects.filter(room=room, user=target, accepted_at__isnull=True).delete()
    send_on_commit(
        events.user_group(target.pk),
        events.room_access_revoked(room_id=room.pk, user_id=target.pk, reason=reason, note=note),
    )
    if deleted:
        _membership_changed(room)
    return bool(deleted)


@transaction.atomic
def ban_create(*, room: Room, actor: User | None, target: User, reason: str = "") -> Ban:
    """Bans someone (actor None: a site moderator in the admin)."""
    if actor is not None:
        _require_role(room, actor, (Role.OWNER,), "ban people")
    if not may_be_banned(room, target):
        raise Forbidden("The owner cannot be banned from their own room.")
    if Ban.objects.filter(room=room, user=target).exists():
        raise Conflict("That user is already banned from this room.")
    try:
        with transaction.atomic():
            ban = Ban.objects.create(room=room, user=target, banned_by=actor, reason=reason)
    except IntegrityError as exc:
        raise Conflict("That user is already banned from this room.") from exc
    member_remove(room=room, target=target, reason="banned", note=reason)
    notify(
        user=target,
        kind="banned",
        text=f"You were banned from {room.name}." + (f" Reason: {reason}" if reason else ""),
        data={"room_id": str(room.pk), "ban_id": ban.pk},
    )
    return ban


@transaction.atomic
def ban_delete(*, room: Room, actor: User | None, target: User) -> None:
    if actor is not None:
        _require_role(room, actor, (Role.OWNER,), "unban people")
    deleted, _ = Ban.objects.filter(room=room, user=target).delete()
    if not deleted:
        raise NotFound("That user is not banned from this room.")


def queue_check_editor(*, room: Room, user: User) -> RoomAccess:
    return _require_queue_editor(room, user)


def _require_queue_editor(room: Room, user: User) -> RoomAccess:
    access = room_access(user, room)
    if not access.can_queue:
        if room.queue_policy == Room.Policy.MEMBERS:
            raise Forbidden("Only members of this room can change its queue.")
        raise Forbidden("Only the room's owner or moderators can change its queue.")
    return access


@transaction.atomic
def queue_add(*, room: Room, actor: User, track: Track) -> QueueItem:
    """Adds a track in its turn (`queue_order`), before TuneWave's own picks; an idle room
    starts playing it at once."""
    _require_queue_editor(room, actor)
    # An upload: its owner may queue it anywhere (the room's members may then find it), others
    # only in a room it was shared in.
    upload_share_for_queue(track=track, user=actor, room_id=room.pk)
    room = _locked(room)  # racing adds take turns here, so positions never collide
    # TuneWave's pick of the same track gives way to the member's.
    QueueItem.objects.filter(room=room, via=AUTOPLAY, track=track).delete()
    last = QueueItem.objects.filter(room=room).aggregate(last=Max("position"))["last"]
    item = QueueItem.objects.create(room=room, track=track, added_by=actor, position=0 if last is None else last + 1)
    _queue_reorder(room)
    item.position = QueueItem.objects.filter(pk=item.pk).values_list("position", flat=True).first() or 0
    send_on_commit(events.room_group(room.pk), lambda: events.queue_updated(room_id=room.pk))
    state = playback_state_get(room=room)
    if state.status == PlaybackState.Status.IDLE:
        _advance(room=room, expected_version=state.version)
    return item


def _close_gap(room: Room, position: int) -> None:
    """Moves every item after `position` up by one, keeping positions unique at each step.

    Two passes through negative numbers, because a single `position - 1` UPDATE may hit
    the unique (room, position) constraint row by row.
    """
    later = QueueItem.objects.filter(room=room, position__gt=position)
    later.update(position=-(F("position") - 1))
    QueueItem.objects.filter(room=room, position__lt=0).update(position=-F("position"))


@transaction.atomic
def queue_remove(*, room: Room, actor: User, item_id) -> None:
    """The owner and moderators remove any item; a member removes their own additions."""
    access = room_access(actor, room)
    if not access.is_member:
        raise Forbidden("Only members of this room can change its queue.")
    room = _locked(room)
    try:
        item = QueueItem.objects.filter(room=room, pk=uuid.UUID(str(item_id))).first()
    except ValueError:
        item = None
    if item is None:
        raise NotFound("No such item in this room's queue.")
    if not access.can_moderate and (item.added_by_id != actor.pk or item.via == AUTOPLAY):
        raise Forbidden("You can remove only your own additions; the owner and moderators remove any.")
    item.delete()
    _close_gap(room, item.position)
    _queue_reorder(room)
    if item.via == AUTOPLAY:  # another pick takes its place (not the same track)
        _autoplay_top_up(room, extra_drop={item.track_id})
    send_on_commit(events.room_group(room.pk), lambda: events.queue_updated(room_id=room.pk))


@transaction.atomic
def track_withdraw(*, track: Track, reason: str) -> None:
    """`track` is about to be deleted (music.hooks.track_withdrawn: an upload deleted or taken
    down): every room's queue drops it, and a room playing it moves on at once, its new
    `playback.state` saying `reason`. Each room under its own lock, in a fixed order."""
    queued = QueueItem.objects.filter(track=track).values_list("room_id", flat=True)
    playing = PlaybackState.objects.filter(track=track).values_list("room_id", flat=True)
    for room in Room.objects.filter(pk__in={*queued, *playing}).order_by("pk"):
        room = _locked(room)
        removed, _ = QueueItem.objects.filter(room=room, track=track).delete()
        if removed:
            _queue_reorder(room)
        state = PlaybackState.objects.filter(room=room).first()
        if state is not None and state.track_id == track.pk:
            _advance(room=room, expected_version=state.version, reason=reason)
        elif removed:
            _autoplay_top_up(room, extra_drop={track.pk})
        if removed:
            send_on_commit(events.room_group(room.pk), functools.partial(events.queue_updated, room_id=room.pk))


def _queue_pop(room: Room) -> QueueItem | None:
    """Takes the first item off the queue. Caller holds the room lock."""
    item = QueueItem.objects.filter(room=room).order_by("position").select_related("track").first()
    if item is None:
        return None
    item.delete()
    _close_gap(room, item.position)
    return item


# --- turns, autoplay and empty rooms (issue 14; README "What a listener sees") -----------
#
# Queue positions always show the order things will play: members' additions first (in
# arrival order, or taking turns under `round_robin`), then TuneWave's own picks (`via`
# "autoplay"). When a play starts and the queue is left empty, an autoplay room queues its
# next pick; when a play ends with nothing queued at all, it plays a pick at once. Both
# happen in `_advance`, under the room's lock and the playback CAS, so racing processes pick
# once. A room nobody listens to pauses where it is and the next listener resumes it.

AUTOPLAY = "autoplay"
# Autoplay never picks a track of the room's last this-many plays (ROOM_AUTOPLAY_RECENT_PLAYS).
RECENT_PLAYS = 20
# Plays remembered per room (also who played them, for round_robin turns).
PLAYS_KEPT = 50


def _recent_plays_count() -> int:
    return max(0, int(getattr(settings, "ROOM_AUTOPLAY_RECENT_PLAYS", RECENT_PLAYS)))


def _plays_key(room_id) -> str:
    return f"rooms:plays:{room_id}"


def _plays(room_id) -> list[dict]:
    """The room's latest plays, oldest first, as {"track": pk, "by": user id or None}.

    Kept in the cache (Redis in services mode, shared by every process; written under the
    room's lock). If it is lost (a Redis flush), autoplay still never repeats the queue or the
    current track, and plays heard here in the last hours come last (recommendations)."""
    value = cache.get(_plays_key(room_id))
    return [play for play in value if isinstance(play, dict)] if isinstance(value, list) else []


def _play_remember(room_id, *, track_id: int, by) -> None:
    plays = [*_plays(room_id), {"track": int(track_id), "by": str(by) if by else None}]
    cache.set(_plays_key(room_id), plays[-max(PLAYS_KEPT, _recent_plays_count()) :], timeout=None)


def recent_play_ids(room_id) -> list[int]:
    """Track pks of the room's last N plays (N = ROOM_AUTOPLAY_RECENT_PLAYS), the latest last."""
    count = _recent_plays_count()
    return [int(play["track"]) for play in _plays(room_id)[-count:]] if count else []


def _round_robin(room: Room, items: list[QueueItem]) -> list[QueueItem]:
    """Members take turns: next comes the one who played least recently among those with queued
    tracks (never = first; ties: who queued first), each person's additions in their order."""
    last: dict[str, int] = {}
    plays = _plays(room.pk)
    for n, play in enumerate(plays):
        if play.get("by"):
            last[play["by"]] = n
    current = PlaybackState.objects.filter(room=room, track__isnull=False).values_list("added_by_id", flat=True).first()
    if current is not None:
        last[str(current)] = len(plays)
    queues: dict[str, list[QueueItem]] = {}
    for item in items:
        queues.setdefault(str(item.added_by_id) if item.added_by_id else f"item:{item.pk}", []).append(item)
    tick = len(plays) + 1
    order = []
    while queues:
        who = min(queues, key=lambda w: (last.get(w, -1), queues[w][0].added_at, queues[w][0].position))
        order.append(queues[who].pop(0))
        last[who], tick = tick, tick + 1
        if not queues[who]:
            del queues[who]
    return order


def _queue_reorder(room: Room) -> None:
    """Renumbers the queue 0, 1, 2... in playing order. Caller holds the room lock (and passes
    the locked room: its `queue_order` is current)."""
    items = list(QueueItem.objects.filter(room=room).order_by("position"))
    members = sorted((i for i in items if i.via != AUTOPLAY), key=lambda i: (i.added_at, i.position))
    if room.queue_order == Room.QueueOrder.ROUND_ROBIN:
        members = _round_robin(room, members)
    wanted = members + [i for i in items if i.via == AUTOPLAY]
    if [(i.pk, i.position) for i in wanted] == [(i.pk, n) for n, i in enumerate(items)]:
        return
    # Through negative numbers, so no step collides with the unique (room, position).
    for n, item in enumerate(wanted):
        item.position = -(n + 1)
    QueueItem.objects.bulk_update(wanted, ["position"])
    QueueItem.objects.filter(room=room, position__lt=0).update(position=-F("position") - 1)


def _autoplay_picks(room: Room, count: int, extra_drop=frozenset()) -> list:
    """Up to `count` tracks for the room to play by itself (rooms.hooks: recommendations), never
    the current one, a queued one or one of the last N plays. [] if picking fails."""
    current = PlaybackState.objects.filter(room=room).values_list("track_id", flat=True).first()
    drop = {*recent_play_ids(room.pk), *QueueItem.objects.filter(room=room).values_list("track_id", flat=True)}
    drop |= {int(t) for t in extra_drop} | ({current} if current else set())
    try:
        with transaction.atomic():  # a failure rolls back to here, not the caller's transaction
            picks = list(hooks.autoplay_picks(room=room, count=count, drop=drop))
    except Exception:  # noqa: BLE001 - the room goes on (or idles) without a pick
        logger.warning("autoplay: picking a track for room %s failed", room.pk, exc_info=True)
        return []
    # Someone's upload plays only where it was queued (shared) by a person, never by a pick.
    private = set(
        Track.objects.filter(pk__in=[pick.track_id for pick in picks], origin=Track.Origin.UPLOAD)
        .exclude(upload__shares__room_id=room.pk)
        .values_list("pk", flat=True)
    )
    return [pick for pick in picks if pick.track_id not in private]


def _autoplay_enqueue(room: Room, picks: list) -> bool:
    last = QueueItem.objects.filter(room=room).aggregate(last=Max("position"))["last"]
    start = 0 if last is None else last + 1
    for n, pick in enumerate(picks):
        QueueItem.objects.create(
            room=room, track_id=pick.track_id, via=AUTOPLAY, reason=pick.reason[:200], position=start + n
        )
    return bool(picks)


def _autoplay_top_up(room: Room, extra_drop=frozenset()) -> bool:
    """An autoplay room with a track but an empty queue queues its next pick. Under the lock."""
    if not room.autoplay or QueueItem.objects.filter(room=room).exists():
        return False
    if not PlaybackState.objects.filter(room=room, track__isnull=False).exists():
        return False
    return _autoplay_enqueue(room, _autoplay_picks(room, 1, extra_drop))


def _queue_settings_changed(room: Room) -> None:
    """`autoplay` or `queue_order` changed (room_update, under the lock)."""
    if not room.autoplay:
        QueueItem.objects.filter(room=room, via=AUTOPLAY).delete()
    _queue_reorder(room)
    _autoplay_top_up(room)
    send_on_commit(events.room_group(room.pk), lambda: events.queue_updated(room_id=room.pk))


def _empty_key(room_id) -> str:
    return f"rooms:empty-paused:{room_id}"


def _known_empty(room: Room) -> bool:
    """Nobody online in the room, for sure: False while presence is unknown (Redis down)."""
    return presence.online_counts([room.pk]).get(str(room.pk)) == 0


def _pause_empty(state: PlaybackState) -> PlaybackState | None:
    """Pauses where it is, and remembers (by version) that the room paused itself: the next
    listener resumes it; any other change since (a moderator's play, skip...) voids that."""
    position = min(live_position_ms(state), state.track.duration_ms if state.track else 0)
    paused = _cas(state, status=Status.PAUSED, position_ms=position)
    if paused is not None:
        cache.set(_empty_key(state.room_id), paused.version, timeout=None)
    return paused


@transaction.atomic
def playback_pause_if_empty(*, room: Room) -> PlaybackState | None:
    """A listener left: if nobody is online now, a playing room pauses where it is. Nothing
    while presence is unknown. Counted under the room lock, which a joining socket takes after
    marking itself present (playback_resume_on_join), so a join racing the last leave either
    is counted here or finds the room paused and resumes it."""
    room = _locked(room)
    state = PlaybackState.objects.select_related("track").filter(room=room).first()
    if state is None or state.status != Status.PLAYING or not _known_empty(room):
        return None
    return _pause_empty(state)


def playback_pause_on_leave(*, room: Room) -> PlaybackState | None:
    """A listener left (the room's last, as far as their socket could tell): the room pauses if
    nobody is online (`playback_pause_if_empty`). Once that pause committed, and its broadcast
    moved the room's view counter (rooms.room_view), presence is counted again: a listener who
    arrived after the count under the lock, and who may have joined with a view read before the
    pause, gets the room resumed here. A listener arriving after this second count reads the
    moved counter, so no view from before the pause, and resumes the room on their own join."""
    paused = playback_pause_if_empty(room=room)
    if paused is None:
        return None
    if presence.online_counts([room.pk]).get(str(room.pk)):
        return playback_resume_on_join(room=room) or paused
    return paused


@transaction.atomic
def playback_resume_on_join(*, room: Room) -> PlaybackState | None:
    """A listener arrived (socket admitted, already present): a room that paused itself when it
    emptied plays on from where it was (the next track if that one was over); an idle autoplay
    room starts playing its own pick. None when nothing changed."""
    room = _locked(room)
    state = PlaybackState.objects.select_related("track").filter(room=room).first()
    if state is None:
        return None
    if state.status == Status.PAUSED and state.track is not None and cache.get(_empty_key(room.pk)) == state.version:
        cache.delete(_empty_key(room.pk))
        if state.position_ms >= state.track.duration_ms:
            return _advance(room=room, expected_version=state.version)
        return _cas(state, status=Status.PLAYING)
    if state.status == Status.IDLE and room.autoplay:
        # A crowd arriving in a room with nothing to pick would ask the recommender once per
        # join; one ask per version and retry window does (a member's queue add plays at once).
        tried = _autoplay_tried_key(room.pk)
        if cache.get(tried) == state.version:
            return None
        fresh = _advance(room=room, expected_version=state.version)
        if fresh is None or fresh.version == state.version:
            cache.set(tried, state.version, timeout=_autoplay_retry_seconds())
            return None
        return fresh
    return None


def _autoplay_tried_key(room_id) -> str:
    return f"rooms:autoplay-tried:{room_id}"


def _autoplay_retry_seconds() -> float:
    """How long an idle autoplay room that found nothing to play waits before a join asks again."""
    return float(getattr(settings, "ROOM_AUTOPLAY_RETRY_SECONDS", 10))


# --- playback: the sync model (docs/architecture.md, "A skip, step by step") ----------

Status = PlaybackState.Status
# A client's "my player reached the end" counts if the server's clock agrees within this.
END_TOLERANCE_MS = 1500


def playback_state_get(*, room: Room) -> PlaybackState:
    state, _ = PlaybackState.objects.get_or_create(room=room)
    return state


def live_position_ms(state: PlaybackState, now=None) -> int:
    """Where the track is now: position at `updated_at`, plus elapsed time while playing."""
    if state.status != Status.PLAYING:
        return state.position_ms
    now = now or timezone.now()
    elapsed = int((now - state.updated_at).total_seconds() * 1000)
    return state.position_ms + max(0, elapsed)


def _remaining_ms(state: PlaybackState, now=None) -> int | None:
    if state.status != Status.PLAYING or state.track is None:
        return None
    return state.track.duration_ms - live_position_ms(state, now)


def _cas(state: PlaybackState, **changes) -> PlaybackState | None:
    """UPDATE … WHERE version = v. Returns the new state, or None if someone changed it first."""
    now = changes.pop("now", None) or timezone.now()
    if "track_started_at" in changes:  # a new play (or none): votes and reactions start over
        changes["play_version"] = state.version + 1
    won = PlaybackState.objects.filter(pk=state.pk, version=state.version).update(
        version=F("version") + 1, updated_at=now, **changes
    )
    if not won:
        return None
    fresh = PlaybackState.objects.select_related("track", "added_by").get(pk=state.pk)
    _broadcast_state(fresh)
    metrics.playback_changed(status=fresh.status)
    if "track_started_at" in changes and fresh.track_started_at is not None:
        _broadcast_new_play_counts(fresh)
    return fresh


def _broadcast_state(state: PlaybackState) -> None:
    send_on_commit(events.room_group(state.room_id), events.playback_state(state))  # built now: exactly this version
    if state.status == Status.PLAYING and state.track is not None:
        remaining = max(0, state.track.duration_ms - state.position_ms)
        room_id, version = str(state.room_id), state.version

        def schedule():
            # If the broker is down the room's sockets and the next read still advance it.
            # By name: rooms.tasks imports this module.
            enqueue("rooms.playback_advance_if_over", args=[room_id, version], countdown=remaining / 1000 + 0.25)

        transaction.on_commit(schedule)


def _advance(*, room: Room, expected_version: int, reason: str | None = None) -> PlaybackState | None:
    """Moves to the next queued track (or idle) if the state is still `expected_version`.

    Runs under the room's row lock, so the queue pop and the CAS commit together. With an
    empty queue an autoplay room plays its own pick (and queues the next one), so racing
    processes pick once: the loser finds the version moved. `reason`, when given, is what the
    new state says instead of the next item's own reason (why the last play ended early).
    """
    room = _locked(room)
    state = PlaybackState.objects.select_related("track").get(room=room)
    if state.version != expected_version:
        return None
    item = _queue_pop(room)
    queue_changed = item is not None
    picks = []
    if item is None and room.autoplay:
        picks = _autoplay_picks(room, 2)
        if picks:
            first = picks.pop(0)
            item = QueueItem(room=room, track_id=first.track_id, via=AUTOPLAY, reason=first.reason[:200])
    fresh = None
    if item is not None:
        now = timezone.now()
        fresh = _cas(
            state,
            now=now,
            track_id=item.track_id,
            added_by_id=item.added_by_id,
            via=item.via,
            reason=item.reason if reason is None else reason[:200],
            status=Status.PLAYING,
            position_ms=0,
            track_started_at=now,
        )
        if fresh is not None:
            _play_remember(room.pk, track_id=item.track_id, by=item.added_by_id)
            if room.autoplay and not QueueItem.objects.filter(room=room).exists():
                queue_changed |= _autoplay_enqueue(room, picks or _autoplay_picks(room, 1))
    elif state.status == Status.IDLE:
        fresh = state
    else:
        fresh = _cas(
            state,
            track=None,
            added_by=None,
            status=Status.IDLE,
            position_ms=0,
            track_started_at=None,
            via="member",
            reason="" if reason is None else reason[:200],
        )
    if queue_changed:
        send_on_commit(events.room_group(room.pk), lambda: events.queue_updated(room_id=room.pk))
    return fresh


def _require_controller(room: Room, user: User) -> None:
    if not room_access(user, room).can_control_playback:
        raise Forbidden("Only the room's owner or moderators can control playback here.")


@transaction.atomic
def playback_play(*, room: Room, actor: User) -> PlaybackState:
    _require_controller(room, actor)
    state = playback_state_get(room=room)
    if state.status == Status.IDLE:
        return _advance(room=room, expected_version=state.version) or playback_state_get(room=room)
    if state.status == Status.PAUSED:
        return _cas(state, status=Status.PLAYING) or playback_state_get(room=room)
    return state


@transaction.atomic
def playback_pause(*, room: Room, actor: User) -> PlaybackState:
    _require_controller(room, actor)
    state = PlaybackState.objects.select_related("track").get(pk=playback_state_get(room=room).pk)
    if state.status != Status.PLAYING:
        return state
    position = min(live_position_ms(state), state.track.duration_ms if state.track else 0)
    return _cas(state, status=Status.PAUSED, position_ms=position) or playback_state_get(room=room)


@transaction.atomic
def playback_seek(*, room: Room, actor: User, position_ms: int) -> PlaybackState:
    _require_controller(room, actor)
    state = PlaybackState.objects.select_related("track").get(pk=playback_state_get(room=room).pk)
    if state.track is None:
        raise Conflict("Nothing is playing.")
    position = max(0, min(int(position_ms), state.track.duration_ms))
    return _cas(state, position_ms=position) or playback_state_get(room=room)


@transaction.atomic
def playback_skip(*, room: Room, actor: User, version: int | None = None) -> PlaybackState:
    """Skips the current track. With `version`, only if that is still the state (so two
    people pressing skip on the same track advance it once)."""
    _require_controller(room, actor)
    state = playback_state_get(room=room)
    expected = state.version if version is None else version
    return _advance(room=room, expected_version=expected) or playback_state_get(room=room)


@transaction.atomic
def playback_advance_if_over(*, room: Room, version: int | None = None, tolerance_ms: int = 0) -> PlaybackState:
    """The end of a track, noticed by anyone (timer task, a client, a read). Advances once."""
    state = PlaybackState.objects.select_related("track").filter(room=room).first()
    if state is None or (version is not None and state.version != version):
        return state or playback_state_get(room=room)
    remaining = _remaining_ms(state)
    if remaining is None or remaining > tolerance_ms:
        return state
    if _known_empty(room):
        # Nobody is listening: the room pauses at the end instead of playing on to nobody, and the
        # next listener to join moves it on (playback_resume_on_join). Unknown presence: advance.
        locked = _locked(room)  # counted again under the lock, as playback_pause_if_empty does
        state = PlaybackState.objects.select_related("track").get(room=locked)
        if state.status == Status.PLAYING and _known_empty(locked):
            return _pause_empty(state) or playback_state_get(room=room)
        return state
    return _advance(room=room, expected_version=state.version) or playback_state_get(room=room)


def playback_ended(*, room: Room, user: User, version: int) -> PlaybackState:
    """A member's player reached the end of the track of state `version`."""
    if not room_access(user, room).is_member:
        raise Forbidden("Only members can report the end of a track.")
    return playback_advance_if_over(room=room, version=version, tolerance_ms=END_TOLERANCE_MS)


def invites_prune(*, now=None, dry_run: bool = False) -> int:
    """Invites that expired unanswered."""
    rows = Invite.objects.filter(accepted_at__isnull=True, expires_at__lt=now or timezone.now())
    return rows.count() if dry_run else rows.delete()[0]


def prune(*, notification_days: int = 30, email_days: int = 7, dry_run: bool = False) -> dict[str, int]:
    """Data maintenance (manage.py prune and the periodic task). Returns counts per kind."""
    now = timezone.now()
    with transaction.atomic():
        counts = {
            "expired_invites": invites_prune(now=now, dry_run=dry_run),
            "read_notifications": notifications_prune(
                older_than=now - timedelta(days=notification_days), dry_run=dry_run
            ),
            "sent_emails": emails_prune(older_than=now - timedelta(days=email_days), dry_run=dry_run),
            "oauth_leftovers": oauth_leftovers_prune(older_than=now - timedelta(days=1), dry_run=dry_run),
            "upload_leftovers": uploads.leftovers_prune(older_than=now - timedelta(days=1), dry_run=dry_run),
        }
    counts["stale_presence"] = presence.prune_stale(dry_run=dry_run)
    return counts


# --- listeners take part: skip votes and reactions (issue 14; docs/realtime.md) -----------
#
# A play is the current track from its start (`PlaybackState.track_started_at`); pause and
# seek move `version` within it, and `play_version` is the version at which it began. A vote
# or reaction names the version its client last saw: one from `play_version` up to the
# current version counts for this play, anything else is `conflict` (an earlier play, or a
# version the server never had).


def skip_votes_needed(*, skip_share: float, online: int) -> int:
    """ceil(share x listeners online), at least 1. Rounded to 9 places first, so that a share
    of 0.1 with 30 listeners needs 3 (0.1 x 30 is 3.0000000000000004 in floating point)."""
    return max(1, math.ceil(round(skip_share * online, 9)))


def _listeners_online(room: Room) -> int:
    """Distinct users with a live socket in the room; ServiceUnavailable while presence is
    unknown (Redis down): a share of an unknown number cannot be counted."""
    online = presence.online_counts([room.pk]).get(str(room.pk))
    if online is None:
        raise ServiceUnavailable("Who is listening is unknown right now, so skip votes cannot be counted.")
    return online


def _play_for(room: Room, version: int) -> tuple[PlaybackState, datetime, Track]:
    """The room's current play (its state, start and track), if `version` belongs to it."""
    state = PlaybackState.objects.select_related("track").filter(room=room).first()
    if state is None or state.track is None or state.track_started_at is None:
        raise Conflict("Nothing is playing.")
    if not state.play_version <= version <= state.version:
        raise Conflict("The track changed since: that was for an earlier one.")
    return state, state.track_started_at, state.track


def _require_member(room: Room, user: User, action: str) -> None:
    if not room_access(user, room).is_member:
        raise Forbidden(f"Only members of this room can {action}.")


def _vote_count(room_id, started: datetime) -> int:
    return SkipVote.objects.filter(room_id=room_id, play_started_at=started).count()


def _reaction_counts(room_id, started: datetime) -> dict[str, int]:
    counts = dict.fromkeys(Reaction.Kind.values, 0)
    rows = Reaction.objects.filter(room_id=room_id, play_started_at=started)
    for kind, count in rows.values_list("kind").annotate(n=Count("id")).order_by():
        counts[kind] = count
    return counts


def _skip_play(room: Room, state: PlaybackState) -> PlaybackState | None:
    """Advances past the play of `state` once: the playback CAS lets one of racing skips win.
    A pause or seek in between moves the version within the same play: try again at that one."""
    for _ in range(3):
        advanced = _advance(room=room, expected_version=state.version)
        if advanced is not None:
            return advanced
        fresh = PlaybackState.objects.select_related("track").get(room=room)
        if fresh.track_started_at != state.track_started_at:
            return None  # someone else ended this play first
        state = fresh
    return None


def _tally(room: Room, state: PlaybackState, started: datetime, online: int, *, broadcast: bool) -> dict:
    """The play's vote count as a `playback.votes` payload (told to the room if `broadcast`);
    skips the play when the votes reach the share of the listeners online."""
    votes = _vote_count(room.pk, started)
    needed = skip_votes_needed(skip_share=room.skip_share, online=online)
    payload = events.playback_votes(room_id=room.pk, version=state.version, votes=votes, needed=needed)
    if broadcast:
        send_on_commit(events.room_group(room.pk), payload)
    if votes >= needed and online > 0:  # nobody online (the last one left): the room pauses instead
        _skip_play(room, state)
    return payload


@transaction.atomic
def skip_vote(*, room: Room, user: User, version: int) -> tuple[dict, bool]:
    """A member's vote to skip the play of `version`. Returns (the `playback.votes` payload,
    whether the vote was new). One vote per user per play: a second changes nothing (and is
    not told to the room). The vote that reaches the share skips the track, once."""
    _require_member(room, user, "vote to skip")
    online = _listeners_online(room)  # before the lock: Redis may take up to a second
    room = _locked(room)  # racing votes count one after another
    state, started, _ = _play_for(room, version)
    try:
        with transaction.atomic():
            SkipVote.objects.create(room=room, user=user, play_started_at=started)
    except IntegrityError:
        return _tally(room, state, started, online, broadcast=False), False
    # Votes end with their play: the ones of earlier plays only take room.
    SkipVote.objects.filter(room=room).exclude(play_started_at=started).delete()
    return _tally(room, state, started, online, broadcast=True), True


@transaction.atomic
def skip_votes_refresh(*, room: Room) -> dict | None:
    """Someone came or went: if the current play has votes, the room hears the new `needed`,
    and the votes skip the track if they now reach it. None when there is nothing to tell."""
    state = PlaybackState.objects.select_related("track").filter(room=room).first()
    if state is None or state.track_started_at is None or not _vote_count(room.pk, state.track_started_at):
        return None
    online = presence.online_counts([room.pk]).get(str(room.pk))
    if online is None:
        return None
    room = _locked(room)
    state = PlaybackState.objects.select_related("track").get(room=room)
    if state.track_started_at is None:
        return None
    return _tally(room, state, state.track_started_at, online, broadcast=True)


@transaction.atomic
def reaction_add(*, room: Room, user: User, version: int, kind: str = Reaction.Kind.LIKE) -> tuple[dict, bool]:
    """A member's reaction to the play of `version`: once per user, play and kind; a repeat
    changes nothing (idempotent). Returns (the `reaction.counts` payload, whether it was new).
    The listener's listen of this play is marked liked (now if stored, else when it is)."""
    if kind not in Reaction.Kind.values:
        raise Invalid(f"kind must be one of: {', '.join(Reaction.Kind.values)}.", field="kind")
    _require_member(room, user, "react")
    state, started, track = _play_for(room, version)
    try:
        with transaction.atomic():
            Reaction.objects.create(room=room, user=user, track=track, play_started_at=started, kind=kind)
        created = True
    except IntegrityError:
        created = False
    if created and kind == Reaction.Kind.LIKE:
        listening_mark_liked(user=user, track=track, room_id=room.pk, started_at=started)
    payload = events.reaction_counts(room_id=room.pk, version=state.version, counts=_reaction_counts(room.pk, started))
    if created:
        send_on_commit(events.room_group(room.pk), payload)
    return payload, created


def play_liked(*, room_id, user: User, started_at: datetime) -> bool:
    """Whether `user` liked the play that began at `started_at` (whole milliseconds, as the
    socket knows it) in the room: the `liked` of the listen it records."""
    return Reaction.objects.filter(
        room_id=room_id,
        user=user,
        kind=Reaction.Kind.LIKE,
        play_started_at__gte=started_at,
        play_started_at__lt=started_at + timedelta(milliseconds=1),
    ).exists()


def play_counts(*, room: Room) -> list[dict]:
    """What a socket is told on connect, after `playback.state`: the current play's
    `playback.votes` (unless presence is unknown) and `reaction.counts`; nothing when idle."""
    state = PlaybackState.objects.filter(room=room).first()
    tally = play_tally(room=room, state=state)
    if state is None or tally is None:
        return []
    online = presence.online_counts([room.pk]).get(str(room.pk))
    return play_count_frames(
        room_id=room.pk, version=state.version, tally=tally, skip_share=skip_share_of(room), online=online
    )


def join_view(*, room: Room, state: PlaybackState, counter: int | None, settled: bool) -> room_view.RoomView:
    """What a joining socket is told of the room's playback: `state` (after the arrival rules;
    `settled`: they found nothing to do) and its play's counts, read now, and left as this
    process's view of the room (rooms/room_view.py) under `counter`, the view counter read
    before this (None: unknown, and not left)."""
    view = room_view.view_read(
        settled=settled,
        counter=counter or 0,
        state=events.playback_state(state),
        tally=play_tally(room=room, state=state),
        skip_share=skip_share_of(room),
    )
    if counter is not None:
        room_view.views.remember(room.pk, view)
    return view


def play_count_frames(*, room_id, version: int, tally, skip_share: float, online: int | None) -> list[dict]:
    """`play_counts` from what was read: `tally` (`play_tally`), the skip share and the
    listeners online (None: unknown, and no `playback.votes`)."""
    if tally is None:
        return []
    votes, reactions = tally
    frames = []
    if online is not None:
        needed = skip_votes_needed(skip_share=skip_share, online=online)
        frames.append(events.playback_votes(room_id=room_id, version=version, votes=votes, needed=needed))
    frames.append(events.reaction_counts(room_id=room_id, version=version, counts=dict(reactions)))
    return frames


def play_tally(*, room: Room, state: PlaybackState | None) -> tuple[int, dict[str, int]] | None:
    """The play of `state`: (its skip votes, its reactions by kind); None when idle."""
    if state is None or state.track_started_at is None:
        return None
    return _vote_count(room.pk, state.track_started_at), _reaction_counts(room.pk, state.track_started_at)


def skip_share_of(room: Room) -> float:
    """The room's skip share as stored now (`room` may be a remembered copy)."""
    return Room.objects.filter(pk=room.pk).values_list("skip_share", flat=True).first() or room.skip_share


def _broadcast_new_play_counts(state: PlaybackState) -> None:
    """A new play: its counts start at zero; the room hears so after the `playback.state`."""
    room_id, version = state.room_id, state.version

    def votes() -> dict:  # built after commit; skipped (logged) while presence is unknown
        room = Room.objects.get(pk=room_id)
        needed = skip_votes_needed(skip_share=room.skip_share, online=_listeners_online(room))
        return events.playback_votes(room_id=room_id, version=version, votes=0, needed=needed)

    send_on_commit(events.room_group(room_id), votes)
    zero = dict.fromkeys(Reaction.Kind.values, 0)
    send_on_commit(events.room_group(room_id), events.reaction_counts(room_id=room_id, version=version, counts=zero))

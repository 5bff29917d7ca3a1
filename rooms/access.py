"""Who may do what in a room: the one rule, for REST, sockets, recommendations and the admin.

A room is seen, joined and used by these facts about a user: their membership role (owner,
moderator, member, or none), whether they are banned, and whether they hold an open invite
(not accepted, not expired). From them and the room (open or closed, private or public, its
queue and playback policies), `RoomAccess` answers:

- see: an open room that is public, or private and the user is a member or invited, and not
  banned. Everyone else gets a 404 over REST: a private room never shows it exists.
- join (and chat, which joins): an open room the user is not banned from, that is public or
  that they belong or are invited to. The room socket admits exactly these (4403 otherwise).
- queue / control playback: a member (not banned) whose role the room's `queue_policy` /
  `playback_policy` allows: `moderators` (owner and moderators) or `members` (every member).
- moderate (invite, change roles, delete messages): the owner and moderators. Owner only:
  change or delete the room, ban and unban.

A banned user's leftover membership (a join racing the ban) counts for nothing. Roles are not
tied to the room being open: a closed room cannot be reached over REST or a socket at all,
and the admin acts on closed rooms as their owner.

Three forms share the rule: `room_access` (one room, one query), `rooms_visible_to` (a
filter for lists, in SQL) and `UserRooms` (every room of one user, read in one batch, for
recommendations). rooms/tests/test_access.py checks that the three agree with each other and
with the REST and socket outcomes over the permission matrix.
"""

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeGuard

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import CharField, Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from accounts.models import User
from core.cache_batch import Entry, remember_many
from core.reads import CompiledRead
from rooms.models import Ban, Invite, Membership, Room

Role = Membership.Role
Policy = Room.Policy
MODERATING_ROLES = (Role.OWNER, Role.MODERATOR)


@dataclass(frozen=True)
class RoomAccess:
    """What one user may do in one room."""

    is_open: bool
    is_private: bool
    queue_policy: str = Policy.MODERATORS
    playback_policy: str = Policy.MODERATORS
    role: str | None = None  # the membership's role, None for people who are not members
    banned: bool = False
    invited: bool = False  # holds an open invite

    @property
    def is_member(self) -> bool:
        return self.role is not None and not self.banned

    @property
    def is_owner(self) -> bool:
        return self.is_member and self.role == Role.OWNER

    @property
    def can_moderate(self) -> bool:
        return self.is_member and self.role in MODERATING_ROLES

    @property
    def can_see(self) -> bool:
        if not self.is_open:
            return False
        return not self.is_private or ((self.role is not None or self.invited) and not self.banned)

    @property
    def can_join(self) -> bool:
        if not self.is_open or self.banned:
            return False
        return not self.is_private or self.role is not None or self.invited

    @property
    def can_chat(self) -> bool:
        """Sending a message joins the room (chat.services.message_send)."""
        return self.can_join

    @property
    def can_queue(self) -> bool:
        return self.can_moderate or (self.is_member and self.queue_policy == Policy.MEMBERS)

    @property
    def can_control_playback(self) -> bool:
        return self.can_moderate or (self.is_member and self.playback_policy == Policy.MEMBERS)

    @classmethod
    def of(cls, room: Room, *, role: str | None = None, banned: bool = False, invited: bool = False) -> "RoomAccess":
        return cls(
            is_open=room.closed_at is None,
            is_private=room.is_private,
            queue_policy=room.queue_policy,
            playback_policy=room.playback_policy,
            role=role,
            banned=banned,
            invited=invited,
        )


def _signed_in(user: User | None) -> TypeGuard[User]:
    return user is not None and user.is_authenticated


def open_invites(*, now: datetime | None = None) -> Q:
    """Invites that still let their holder in: not accepted, not expired."""
    return Q(accepted_at__isnull=True, expires_at__gt=now or timezone.now())


def _annotations(user: User | uuid.UUID | OuterRef, room_ref="pk", *, now: datetime | None = None, room=None) -> dict:
    """The facts `access_of` reads, for `user` in the room of the outer query's `room_ref`, or
    in `room` (an id) for the users of the outer query (`user=OuterRef("pk")`)."""
    room = OuterRef(room_ref) if room is None else room
    return {
        "access_role": Subquery(Membership.objects.filter(room=room, user=user).values("role")[:1]),
        "access_banned": Exists(Ban.objects.filter(room=room, user=user)),
        "access_invited": Exists(Invite.objects.filter(open_invites(now=now), room=room, user=user)),
    }


def with_access(rooms: QuerySet[Room], user: User | None) -> QuerySet[Room]:
    """The rooms, each annotated with the facts `access_of` reads (no extra query)."""
    if not _signed_in(user):
        return rooms
    return rooms.annotate(**_annotations(user))


def access_of(room: Room) -> RoomAccess:
    """The access of a room read through `with_access` (anonymous callers: no facts)."""
    return RoomAccess.of(
        room,
        role=getattr(room, "access_role", None),
        banned=getattr(room, "access_banned", False),
        invited=getattr(room, "access_invited", False),
    )


def _access_rows(room_id, user_id, now):
    facts = _annotations(user_id, now=now)
    return Room.objects.filter(pk=room_id).order_by().annotate(**facts).values_list(*facts)


# Compiled once per process (core/reads.py): every chat message checks it (`room_join`), and
# the ORM took about 3 ms of CPU building its three subqueries.
_ROOM_ACCESS_READ = CompiledRead(_access_rows, "uuid", "uuid", "datetime", model=Room)


def room_access(user: User | None, room: Room) -> RoomAccess:
    """What `user` may do in `room`, read now in one query (none for anonymous callers)."""
    if not _signed_in(user):
        return RoomAccess.of(room)
    rows = _ROOM_ACCESS_READ(room.pk, user.pk, timezone.now())
    if not rows:  # deleted a moment ago
        return RoomAccess(is_open=False, is_private=room.is_private)
    role, banned, invited = rows[0]
    return RoomAccess.of(room, role=role, banned=bool(banned), invited=bool(invited))


def room_with_access(room_id, user: User | None) -> tuple[Room | None, RoomAccess | None]:
    """An open room by id and what `user` may do there, in one query; (None, None) if there
    is no such open room (or the id is not a UUID)."""
    try:
        pk = uuid.UUID(str(room_id))
    except ValueError:
        return None, None
    room = with_access(Room.objects.filter(pk=pk, closed_at__isnull=True), user).first()
    if room is None:
        return None, None
    return room, access_of(room)


def rooms_visible_to(user: User | None) -> QuerySet[Room]:
    """The rooms `user` may see (`RoomAccess.can_see`), as a filter for list queries."""
    rooms = Room.objects.filter(closed_at__isnull=True)
    if not _signed_in(user):
        return rooms.filter(is_private=False)
    facts = _annotations(user)
    let_in = Q(Exists(Membership.objects.filter(room=OuterRef("pk"), user=user))) | Q(facts["access_invited"])
    return rooms.filter(Q(is_private=False) | (let_in & ~Q(facts["access_banned"])))


def may_be_banned(room: Room, user: User) -> bool:
    """Everyone but the room's owner can be banned from it."""
    return user.pk != room.owner_id


def may_be_removed(role: str) -> bool:
    """Members can be taken out of a room; its owner cannot (they hand it over or delete it)."""
    return role != Role.OWNER


# --- the batched form: every room of one user at once ------------------------------------

BANNED = "banned"
INVITED = "invited"


def user_room_rows(user_id, now: datetime) -> list[QuerySet]:
    """The facts about one user's rooms, as querysets annotated `access_room` (a room id) and
    `access_kind` (their role there, BANNED or INVITED), for a caller to read in one UNION
    with rows of its own (recommendations.selectors); `user_rooms` turns the rows back into
    a `UserRooms`."""
    kind = CharField()
    return [
        Membership.objects.filter(user_id=user_id).annotate(access_room=F("room_id"), access_kind=F("role")),
        Ban.objects.filter(user_id=user_id).annotate(access_room=F("room_id"), access_kind=Value(BANNED, kind)),
        Invite.objects.filter(open_invites(now=now), user_id=user_id).annotate(
            access_room=F("room_id"), access_kind=Value(INVITED, kind)
        ),
    ]


@dataclass
class UserRooms:
    """What one user is in every room: {room id: role}, and the room ids they are banned from
    and invited to (ids as strings)."""

    roles: dict[str, str] = field(default_factory=dict)
    banned: set[str] = field(default_factory=set)
    invited: set[str] = field(default_factory=set)

    @property
    def members(self) -> set[str]:
        return set(self.roles) - self.banned

    def add(self, room_id, kind: str) -> None:
        """One row of `user_room_rows`."""
        room_id = str(room_id)
        if kind == BANNED:
            self.banned.add(room_id)
        elif kind == INVITED:
            self.invited.add(room_id)
        else:
            self.roles[room_id] = kind

    def access(
        self,
        room_id,
        *,
        is_private: bool,
        is_open: bool = True,
        queue_policy: str = Policy.MODERATORS,
        playback_policy: str = Policy.MODERATORS,
    ) -> RoomAccess:
        room_id = str(room_id)
        return RoomAccess(
            is_open=is_open,
            is_private=is_private,
            queue_policy=queue_policy,
            playback_policy=playback_policy,
            role=self.roles.get(room_id),
            banned=room_id in self.banned,
            invited=room_id in self.invited,
        )

    def join_mask(self, is_private: np.ndarray, position: Mapping[str, int]) -> np.ndarray:
        """`can_join` for many open rooms at once: the room at position i is private if
        is_private[i]; `position` maps room ids to positions."""

        def at(room_ids: Iterable[str]) -> np.ndarray:
            return np.fromiter((position[r] for r in room_ids if r in position), dtype=np.int64)

        mask = ~np.asarray(is_private, dtype=bool)
        mask[at(set(self.roles) | self.invited)] = True
        mask[at(self.banned)] = False
        return mask


def user_rooms(rows: Iterable[tuple]) -> UserRooms:
    """A `UserRooms` from (room id, kind) rows of `user_room_rows`."""
    found = UserRooms()
    for room_id, kind in rows:
        found.add(room_id, kind)
    return found


def user_rooms_get(user: User, *, now: datetime | None = None) -> UserRooms:
    """Every room fact of `user`, in one query."""
    first, *rest = (
        rows.order_by().values_list("access_room", "access_kind")
        for rows in user_room_rows(user.pk, now or timezone.now())
    )
    return user_rooms(first.union(*rest, all=True))


# --- the room socket's admission, remembered (issue 17) -----------------------------------
#
# A reconnect storm sends every listener of a room back at once; each admission is a query on
# the process's one database thread. So an admission that let someone in is remembered in the
# cache (shared by every process in services mode) for ROOM_ADMISSION_CACHE_SECONDS, stamped
# with the room's admission generation. Anything that may change who gets in (a room saved or
# deleted: privacy, close; a membership deleted or its role changed; a ban) draws a new
# generation, now and again after its transaction commits, so every remembered admission of
# that room stops counting at once: a reader that read the old rows before the commit stamped
# what it read with a generation that is already gone. Refusals are never remembered (an
# invite must work at once). Values are plain JSON (the Redis cache's serializer).

ADMISSION_ROOM_FIELDS = (
    "id",
    "name",
    "is_private",
    "owner_id",
    "queue_policy",
    "playback_policy",
    "autoplay",
    "skip_share",
    "queue_order",
    "closed_at",  # None: only open rooms are remembered (RoomAccess reads it)
)


def _generation_key(room_id) -> str:
    return f"rooms:admit-gen:{room_id}"


def _admission_key(room_id, user_id) -> str:
    return f"rooms:admit:{room_id}:{user_id}"


def admission_forget(room_id) -> None:
    """Every remembered admission of the room stops counting: now, and after the commit."""

    def bump() -> None:
        cache.set(_generation_key(room_id), uuid.uuid4().hex, timeout=None)

    bump()
    transaction.on_commit(bump)


def _generation(room_id, found: dict) -> str:
    current = found.get(_generation_key(room_id))
    if current is None:
        cache.add(_generation_key(room_id), uuid.uuid4().hex, timeout=None)
        current = cache.get(_generation_key(room_id))
    return current or ""


def _room_from_fields(fields: dict) -> Room:
    """A Room read from remembered fields; any other field is deferred (read when touched)."""
    values = [uuid.UUID(fields[name]) if name in ("id", "owner_id") else fields[name] for name in ADMISSION_ROOM_FIELDS]
    return Room.from_db("default", list(ADMISSION_ROOM_FIELDS), values)


@dataclass(frozen=True)
class Admission:
    """A room socket's admission: the open room (None if there is none), what the user may do
    there, whether this came from the cache, and the generation to remember it under."""

    room: Room | None
    access: RoomAccess | None
    remembered: bool = False
    generation: str = ""


def admission_keys(room_id, user_id) -> list[str]:
    """The cache keys `admission_recall` reads (none for a room id that is not a UUID), for a
    caller that reads them along with others (core.cache_batch.recall_many)."""
    try:
        pk = uuid.UUID(str(room_id))
    except ValueError:
        return []
    return [_generation_key(pk), _admission_key(pk, user_id)]


def admission_recall(room_id, user: User, found: dict | None = None) -> Admission:
    """The cache's half of `room_admit` (no query): the remembered admission, or one with no
    room but the generation to stamp a fresh read with. A room id that is not a UUID: no room
    and no generation. `found`: what the cache held under `admission_keys`, if read already."""
    try:
        pk = uuid.UUID(str(room_id))
    except ValueError:
        return Admission(None, None)
    # Read before the database: an admission read from rows a change is about to replace is
    # stamped with a generation that change draws anew.
    if found is None:
        found = cache.get_many(admission_keys(pk, user.pk))
    generation = _generation(pk, found)
    remembered = found.get(_admission_key(pk, user.pk))
    if isinstance(remembered, dict) and generation and remembered.get("generation") == generation:
        try:
            room = _room_from_fields(remembered["room"])
            facts = remembered["access"]
            access = RoomAccess.of(room, role=facts["role"], invited=facts["invited"])
        except (KeyError, TypeError, ValueError, AttributeError):
            # An entry of another shape (another release's, during a rolling deploy): read afresh.
            return Admission(None, None, generation=generation)
        return Admission(room, access, remembered=True, generation=generation)
    return Admission(None, None, generation=generation)


def _admission_room_rows(room_id):
    return Room.objects.filter(pk=room_id, closed_at__isnull=True).order_by().values_list(*ADMISSION_ROOM_FIELDS)


def _admission_access_rows(room_id, user_ids, now):
    facts = _annotations(OuterRef("pk"), now=now, room=room_id)
    # The users table only lists the ids: one row each, member or not.
    return User.objects.filter(pk__in=user_ids).order_by().annotate(**facts).values_list("pk", *facts)


# `room_with_access` for the room sockets joining a room at once, compiled once per process
# (core/reads.py): the ORM took about 3 ms of CPU per join building the access read's three
# subqueries.
_ADMISSION_ROOM_READ = CompiledRead(_admission_room_rows, "uuid", model=Room)
_ADMISSION_ACCESS_READ = CompiledRead(_admission_access_rows, "uuid", "uuid[]", "datetime", model=Room)


def admissions_read(room_id, wanted: Sequence[tuple[User, Admission]]) -> list[Admission]:
    """The database's half of `room_admit` for several users joining one room, each with what
    `admission_recall` found for them: the remembered stay as they are; the others are read in
    two queries (the room with ADMISSION_ROOM_FIELDS, the others deferred, as remembered ones
    are; then every user's access to it)."""
    answers = [recalled for _, recalled in wanted]
    unread = [i for i, (_, recalled) in enumerate(wanted) if not recalled.remembered]
    if not unread:
        return answers
    try:
        pk = uuid.UUID(str(room_id))
    except ValueError:
        pk = None
    rows = _ADMISSION_ROOM_READ(pk) if pk is not None else []
    if not rows:
        for i in unread:
            answers[i] = Admission(None, None, generation=wanted[i][1].generation)
        return answers
    facts = {
        user_id: rest
        for user_id, *rest in _ADMISSION_ACCESS_READ(pk, sorted({wanted[i][0].pk for i in unread}), timezone.now())
    }
    for i in unread:
        user, recalled = wanted[i]
        room = Room.from_db("default", list(ADMISSION_ROOM_FIELDS), list(rows[0]))
        role, banned, invited = facts.get(user.pk, (None, False, False))
        access = RoomAccess.of(room, role=role, banned=bool(banned), invited=bool(invited))
        answers[i] = Admission(room, access, generation=recalled.generation)
    return answers


def room_admit(room_id, user: User) -> Admission:
    """`room_with_access` for the room socket, remembered: no query for an admission
    remembered in the room's current generation (`admission_remember`)."""
    return admissions_read(room_id, [(user, admission_recall(room_id, user))])[0]


def admission_remember(
    admission: Admission, user: User, *, role: str | None, writes: list[Entry] | None = None
) -> None:
    """Remembers that `user` was let in (call once the join made them a member: `role`); with
    `writes`, adds the write there for the caller to make with others (cache_batch.remember_many)."""
    room, access = admission.room, admission.access
    if room is None or access is None or not access.can_join or not admission.generation or admission.remembered:
        return
    fields = {name: getattr(room, name) for name in ADMISSION_ROOM_FIELDS}
    fields["id"], fields["owner_id"] = str(fields["id"]), str(fields["owner_id"])
    value = {"generation": admission.generation, "room": fields, "access": {"role": role, "invited": access.invited}}
    entry = Entry(_admission_key(room.pk, user.pk), value, settings.ROOM_ADMISSION_CACHE_SECONDS)
    if writes is None:
        remember_many([entry])
    else:
        writes.append(entry)


def _membership_saved(sender, instance: Membership, created: bool, **kwargs) -> None:
    if not created:  # a role changed; a new member changes nobody else's admission
        admission_forget(instance.room_id)


def _room_fact_changed(sender, instance, **kwargs) -> None:
    admission_forget(instance.room_id if sender is not Room else instance.pk)


def admission_watch() -> None:
    """Connects the changes that forget a room's remembered admissions (RoomsConfig.ready):
    rooms saved or deleted (privacy, policies, closing: the REST API and the admin alike),
    memberships deleted (leave, removal, ban) or whose role changed, and bans."""
    post_save.connect(_room_fact_changed, sender=Room, dispatch_uid="rooms.admission.room_saved")
    post_delete.connect(_room_fact_changed, sender=Room, dispatch_uid="rooms.admission.room_deleted")
    post_save.connect(_membership_saved, sender=Membership, dispatch_uid="rooms.admission.membership_saved")
    post_delete.connect(_room_fact_changed, sender=Membership, dispatch_uid="rooms.admission.membership_deleted")
    post_save.connect(_room_fact_changed, sender=Ban, dispatch_uid="rooms.admission.ban_saved")

"""Calls music makes to apps above it, registered by them at start-up (docs/architecture.md,
"Registering implementations across layers"). music never imports those apps.

- `member_room_ids`: the rooms a user belongs to (not banned from). An upload is visible to the
  members of the rooms it was queued in (music.selectors.track_visible_q). rooms registers
  `rooms.selectors.member_room_ids` in its AppConfig.ready(); until something registers, nobody
  belongs to any room, so only an upload's owner sees it.
- `track_withdrawn`: a track is about to be deleted (an upload deleted by its owner or taken
  down by a moderator): rooms take it off their queues and skip it where it plays, saying
  `reason`. Called inside the deleting transaction, before the delete. rooms registers
  `rooms.services.track_withdraw`; by default nothing happens (no room knows the track).
"""

import uuid
from collections.abc import Iterable
from typing import Protocol

from django.db.models import QuerySet

from accounts.models import User
from music.models import Track


class MemberRoomIds(Protocol):
    def __call__(self, *, user: User) -> QuerySet | Iterable[uuid.UUID]:
        """Ids of the rooms `user` is a member of; a values_list queryset is used as a subquery."""
        ...


class TrackWithdrawn(Protocol):
    def __call__(self, *, track: Track, reason: str) -> None:
        """`track` is being deleted: no room may keep it queued or playing."""
        ...


def _no_rooms(*, user: User) -> list[uuid.UUID]:
    return []


def _nothing(*, track: Track, reason: str) -> None:
    return None


_member_room_ids: MemberRoomIds = _no_rooms
_track_withdrawn: TrackWithdrawn = _nothing


def register_member_room_ids(implementation: MemberRoomIds) -> None:
    global _member_room_ids
    _member_room_ids = implementation


def register_track_withdrawn(implementation: TrackWithdrawn) -> None:
    global _track_withdrawn
    _track_withdrawn = implementation


def member_room_ids_implementation() -> MemberRoomIds:
    return _member_room_ids


def track_withdrawn_implementation() -> TrackWithdrawn:
    return _track_withdrawn


def member_room_ids(*, user: User) -> QuerySet | Iterable[uuid.UUID]:
    return _member_room_ids(user=user)


def track_withdrawn(*, track: Track, reason: str) -> None:
    _track_withdrawn(track=track, reason=reason)

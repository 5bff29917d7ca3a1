"""Calls rooms makes to apps above it, registered by them at start-up (docs/architecture.md,
"Registering implementations across layers"). rooms never imports those apps.

- `autoplay_picks`: what an autoplay room plays by itself when its queue runs out.
  recommendations registers `room_picks.autoplay_picks` in its AppConfig.ready(); until
  something registers, there is no pick and the room goes idle at the end of its queue.
"""

from collections.abc import Collection, Sequence
from typing import Protocol

from rooms.models import Room


class AutoplayPick(Protocol):
    @property
    def track_id(self) -> int: ...

    @property
    def reason(self) -> str:
        """In words, shown to listeners ("Because Alice and Bob like jazz")."""
        ...


class AutoplayPicker(Protocol):
    def __call__(self, *, room: Room, count: int, drop: Collection[int]) -> Sequence[AutoplayPick]:
        """Up to `count` playable tracks for the room, best first, none of them in `drop`."""
        ...


def _no_picks(*, room: Room, count: int, drop: Collection[int]) -> Sequence[AutoplayPick]:
    return []


_picker: AutoplayPicker = _no_picks


def register_autoplay_picker(picker: AutoplayPicker) -> None:
    global _picker
    _picker = picker


def autoplay_picker() -> AutoplayPicker:
    return _picker


def autoplay_picks(*, room: Room, count: int, drop: Collection[int]) -> Sequence[AutoplayPick]:
    return _picker(room=room, count=count, drop=drop)

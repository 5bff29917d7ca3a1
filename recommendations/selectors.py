"""Reads: rooms and tracks for a user, tracks for a room's queue, each with a score and reasons.

The entry points the views and other apps use. A request reads, it does not train: the learned
parts come from the precompute's tables (served.py, room_index.py); what changes by the second
is read fresh. The modules underneath, each importing only those below it:

    selectors            (this module: entry points; queues the room index's refresh)
    rank_rooms, rank_tracks
    reasons              (wording)
    tastes, room_index   (a user's or a group's taste; every open room's profile)
    cards, served        (what results show; the current build's catalog, lists and blend)
    codec, memo, reads, engine, models
"""

from __future__ import annotations

from accounts.models import User
from core.background import enqueue
from recommendations import rank_rooms, rank_tracks, room_index, served
from recommendations.cards import Recommendation, RoomCard, TrackCard

__all__ = [
    "Recommendation",
    "RoomCard",
    "TrackCard",
    "reset_memos",
    "room_people",
    "room_recommendations",
    "room_suggestions",
    "suggestions_room",
    "track_recommendations",
]

track_recommendations = rank_tracks.track_recommendations
room_suggestions = rank_tracks.room_suggestions
room_people = rank_tracks.room_people
suggestions_room = rank_tracks.suggestions_room


def room_recommendations(*, user: User, limit: int) -> list[Recommendation[RoomCard]]:
    """Rooms the user may see and is not banned from, best first; rooms they belong to are left
    out. When the room index is older than a minute a refresh is queued (once, whoever notices
    first); this request, and those until the refresh lands, use the copy there is."""
    index = room_index.current()
    if room_index.claim_refresh(index):
        # If the broker does not take it, the claim expires and a later request asks again.
        enqueue("recommendations.tasks.refresh_room_index")
    return rank_rooms.room_recommendations(user=user, limit=limit, index=index)


def reset_memos() -> None:
    """Tests: forget this process's cached presence, current build and room index."""
    rank_rooms.forget()
    served.forget()
    room_index.forget()

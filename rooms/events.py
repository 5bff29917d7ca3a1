"""Group names and event payloads for rooms. The room socket (chat app) handles them."""

from typing import Any

from accounts.events import user_group
from accounts.serializers import UserBriefSerializer
from music.selectors import track_find, track_prefetches
from music.serializers import TrackBaseSerializer
from rooms.models import QueueItem

__all__ = ["user_group"]


def epoch_ms(moment) -> int:
    return int(moment.timestamp() * 1000)


def room_group(room_id) -> str:
    return f"room.{room_id}"


# What the closing socket tells its listener, in words, per reason.
REVOKED_DETAIL = {
    "left": "You left this room.",
    "removed": "You were removed from this room.",
    "banned": "You were banned from this room.",
}


def room_access_revoked(*, room_id, user_id, reason: str, note: str = "") -> dict[str, Any]:
    """Sent to the user's group: their sockets in that room must close now (ban, removal,
    leaving in another tab). `detail` says why in words (with the ban's reason, if any)."""
    detail = REVOKED_DETAIL.get(reason, REVOKED_DETAIL["removed"]) + (f" Reason: {note}" if note else "")
    return {
        "type": "room.access_revoked",
        "room_id": str(room_id),
        "user_id": str(user_id),
        "reason": reason,
        "detail": detail,
    }


def queue_updated(*, room_id) -> dict[str, Any]:
    """The whole queue, built once per change (not once per socket)."""
    items = (
        QueueItem.objects.filter(room_id=room_id)
        .select_related("added_by", "track")
        .prefetch_related(*track_prefetches("track__"))
        .order_by("position")
    )
    return {
        "type": "queue.updated",
        "room_id": str(room_id),
        "queue": [
            {
                "id": str(item.pk),
                "association_id": str(item.pk),
                "track": TrackBaseSerializer(item.track).data,
                "added_by": UserBriefSerializer(item.added_by).data if item.added_by else None,
                "via": item.via,
                "reason": item.reason,
                "position": item.position,
                "added_at": item.added_at.isoformat().replace("+00:00", "Z"),
            }
            for item in items
        ],
    }


def room_updated(*, room_id, member_count: int | None = None) -> dict[str, Any]:
    """Settings changed (refetch the room); with `member_count` when the membership did."""
    event: dict[str, Any] = {"type": "room.updated", "room_id": str(room_id)}
    if member_count is not None:
        event["member_count"] = member_count
    return event


def room_deleted(*, room_id) -> dict[str, Any]:
    return {"type": "room.deleted", "room_id": str(room_id)}


def member_role_changed(*, room_id, user_id, role: str) -> dict[str, Any]:
    return {"type": "member.role_changed", "room_id": str(room_id), "user_id": str(user_id), "role": role}


def playback_state(state) -> dict[str, Any]:
    """`playback.state`: the track is at `position_ms` at `server_time` (epoch ms); a client
    plays at position_ms + (its estimate of server now - server_time) while playing. `via`,
    `reason` and `added_by` say how the track got here (a member, or TuneWave's autoplay)."""
    track = track_find(spotify_id=state.track.spotify_id) if state.track_id else None
    added_by = state.added_by if state.added_by_id else None
    return {
        "type": "playback.state",
        "room_id": str(state.room_id),
        "track": TrackBaseSerializer(track).data if track is not None else None,
        "status": state.status,
        "position_ms": state.position_ms,
        "server_time": epoch_ms(state.updated_at),
        "track_started_at": epoch_ms(state.track_started_at) if state.track_started_at else None,
        "version": state.version,
        "via": state.via,
        "reason": state.reason,
        "added_by": UserBriefSerializer(added_by).data if added_by is not None else None,
    }


def playback_votes(*, room_id, version: int, votes: int, needed: int) -> dict[str, Any]:
    """`playback.votes`: votes to skip the current play, and how many skip it (issue 14)."""
    return {"type": "playback.votes", "room_id": str(room_id), "version": version, "votes": votes, "needed": needed}


def reaction_counts(*, room_id, version: int, counts: dict[str, int]) -> dict[str, Any]:
    """`reaction.counts`: reactions to the current play, per kind (every kind, 0 included)."""
    return {"type": "reaction.counts", "room_id": str(room_id), "version": version, "counts": counts}

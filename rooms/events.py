"""Group names and event payloads for rooms. The room socket (chat app) handles them."""

from typing import Any


def room_group(room_id) -> str:
    return f"room.{room_id}"


def user_group(user_id) -> str:
    return f"user.{user_id}"


def room_access_revoked(*, room_id, user_id, reason: str) -> dict[str, Any]:
    """Sent to the user's group: their sockets in that room must close now (ban, removal)."""
    return {"type": "room.access_revoked", "room_id": str(room_id), "user_id": str(user_id), "reason": reason}


def queue_updated(*, room_id) -> dict[str, Any]:
    return {"type": "queue.updated", "room_id": str(room_id)}


def room_updated(*, room_id) -> dict[str, Any]:
    return {"type": "room.updated", "room_id": str(room_id)}


def room_deleted(*, room_id) -> dict[str, Any]:
    return {"type": "room.deleted", "room_id": str(room_id)}


def member_role_changed(*, room_id, user_id, role: str) -> dict[str, Any]:
    return {"type": "member.role_changed", "room_id": str(room_id), "user_id": str(user_id), "role": role}

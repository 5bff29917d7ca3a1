"""Chat payloads for the room group (rooms.events names the groups)."""

from typing import Any

from accounts.serializers import user_brief
from chat.models import Message


def message_payload(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "room_id": str(message.room_id),
        "user": user_brief(message.user),
        "text": message.text,
        "created_at": message.created_at.isoformat().replace("+00:00", "Z"),
        "client_msg_id": message.client_msg_id,
    }


def chat_message(message: Message) -> dict[str, Any]:
    return {"type": "chat.message", **message_payload(message)}


def chat_deleted(*, room_id, message_id: int) -> dict[str, Any]:
    return {"type": "chat.deleted", "room_id": str(room_id), "id": message_id}

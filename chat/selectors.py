from datetime import datetime

from chat.models import Message
from rooms.models import Room


def message_page(*, room: Room, limit: int, before: datetime | None = None) -> list[Message]:
    """Newest first; pass the oldest `created_at` seen as `before` for the page before it."""
    messages = Message.objects.filter(room=room)
    if before is not None:
        messages = messages.filter(created_at__lt=before)
    return list(messages.select_related("user").order_by("-created_at", "-id")[:limit])


def messages_after(*, room: Room, after_id: int, limit: int = 500) -> list[Message]:
    """Oldest first: everything a reconnecting client missed."""
    return list(Message.objects.filter(room=room, pk__gt=after_id).select_related("user").order_by("id")[:limit])

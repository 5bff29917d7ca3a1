from datetime import datetime
from typing import Any

from chat import events
from chat.models import Message
from core.reads import CompiledRead
from core.remembered import Remembered
from rooms.models import Room

# A `chat.history` page: a reconnect asks for what it missed, RESYNC_LIMIT at most at a time.
RESYNC_LIMIT = 500


def message_page(*, room: Room, limit: int, before: datetime | None = None) -> list[Message]:
    """Newest first; pass the oldest `created_at` seen as `before` for the page before it."""
    messages = Message.objects.filter(room=room)
    if before is not None:
        messages = messages.filter(created_at__lt=before)
    return list(messages.select_related("user").order_by("-created_at", "-id")[:limit])


def _ids_after_rows(room_id, after_id):
    return Message.objects.filter(room_id=room_id, pk__gt=after_id).order_by("id").values_list("id")[:RESYNC_LIMIT]


_IDS_AFTER = CompiledRead(_ids_after_rows, "uuid", "int", model=Message)

# Each message's payload, remembered in this process: every listener of a restarted process
# comes back at once and asks for the same messages (bench/ws_storm.py). Its author's name or
# avatar, changed meanwhile, shows in the pages within CHAT_PAYLOAD_SECONDS.
_payloads: Remembered[int, dict[str, Any]] = Remembered("CHAT_PAYLOAD_SECONDS", 30, limit=20_000)


def history_after(*, room: Room, after_id: int) -> list[dict[str, Any]]:
    """Oldest first: the payloads of the messages a reconnecting client missed, RESYNC_LIMIT
    at most (one query for the ids, one for the messages this process does not remember)."""
    ids = [pk for (pk,) in _IDS_AFTER(room.pk, after_id)]
    found, unknown = _payloads.recall(ids)
    if unknown:
        fresh = {m.id: events.message_payload(m) for m in Message.objects.filter(pk__in=unknown).select_related("user")}
        _payloads.learn(fresh)
        found.update(fresh)
    return [found[pk] for pk in ids if pk in found]


def history_forget() -> None:
    """Tests only."""
    _payloads.forget()

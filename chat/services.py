"""Writes for chat. The REST API and the room socket both send through `message_send`."""

from django.db import IntegrityError, transaction

from accounts.models import User
from chat import events
from chat.models import Message
from core import metrics
from core.errors import Forbidden, Invalid, NotFound, RateLimited
from core.ratelimit import describe, hit
from core.realtime import send_on_commit
from rooms import events as room_events
from rooms import services as room_services
from rooms.models import Membership, Room

# The documented chat limit, shared by POST /chat/{room_id} and the socket.
CHAT_RATE = "5/5s"
MAX_TEXT = 2000
# REST's serializer says the same words with the same codes (`blank`, `max_length`).
EMPTY_TEXT = "A message needs some text."
LONG_TEXT = f"Messages are at most {MAX_TEXT} characters."


def _require_storable(value: str, field: str) -> None:
    """PostgreSQL refuses NUL in text, and no database stores a lone surrogate (JSON's
    "\\ud800" decodes to one): refuse both as bad input rather than fail at the insert."""
    if "\x00" in value:
        raise Invalid(f"{field} may not contain NUL characters.", field=field)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise Invalid(f"{field} must be valid Unicode (no lone surrogates).", field=field) from None


def clean_text(text) -> str:
    if not isinstance(text, str):
        raise Invalid("text must be a string.", field="text")
    if not text.strip():
        raise Invalid(EMPTY_TEXT, field="text", code="blank")
    if len(text) > MAX_TEXT:
        raise Invalid(LONG_TEXT, field="text", code="max_length")
    _require_storable(text, "text")
    return text


def clean_client_msg_id(value) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int) or len(str(value)) > 64:
        raise Invalid("client_msg_id must be a string of at most 64 characters.", field="client_msg_id")
    value = str(value)
    _require_storable(value, "client_msg_id")
    return value


def _count_against_chat_limit(user: User) -> None:
    wait = hit(group="chat.send", key=f"user:{user.pk}", rate=CHAT_RATE)
    if wait is not None:
        raise RateLimited(f"Slow down: at most {describe(CHAT_RATE)} in chat. Try again in {wait} s.", retry_after=wait)


def message_send(*, room: Room, user: User, text, client_msg_id=None) -> tuple[Message, bool]:
    """Saves a message and broadcasts it after commit. Returns (message, created).

    Chatting in a public room makes you a member; private rooms need membership or an invite,
    and the banned are refused. A repeated `client_msg_id` returns the stored message and
    counts against no limit (the unique constraint finds it: no lookup before every insert);
    a refused message (empty, too long, text no database stores) counts like a sent one, so a
    flood of bad frames is throttled too.
    """
    try:
        text = clean_text(text)
        client_msg_id = clean_client_msg_id(client_msg_id)
    except Invalid:
        _count_against_chat_limit(user)
        raise
    with transaction.atomic():
        room_services.room_join(room=room, user=user)
        try:
            with transaction.atomic():
                message = Message.objects.create(room=room, user=user, text=text, client_msg_id=client_msg_id)
        except IntegrityError:  # this client_msg_id was stored before (a retry, or another socket)
            return Message.objects.get(room=room, user=user, client_msg_id=client_msg_id), False
        _count_against_chat_limit(user)  # raising rolls the insert back
        send_on_commit(room_events.room_group(room.pk), events.chat_message(message))
        metrics.chat_message_stored()
    return message, True


@transaction.atomic
def message_delete(*, room: Room, actor: User | None, message_id) -> None:
    """Owner and moderators delete messages in their room (actor None: a site moderator)."""
    if actor is not None:
        membership = Membership.objects.filter(room=room, user=actor).first()
        if membership is None or not membership.can_moderate:
            raise Forbidden("Only the room's owner or moderators can delete messages.")
    try:
        deleted, _ = Message.objects.filter(room=room, pk=int(message_id)).delete()
    except (TypeError, ValueError):
        deleted = 0
    if not deleted:
        raise NotFound("No such message in this room.")
    send_on_commit(room_events.room_group(room.pk), events.chat_deleted(room_id=room.pk, message_id=int(message_id)))

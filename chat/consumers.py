"""The room socket: chat, presence, playback and queue events for one room.

Protocol: docs/asyncapi.yaml (tunewave/tests/test_asyncapi.py holds this consumer to it).
The consumer authenticates in `connect`,
validates each frame and calls the same services as the REST API; the database is the
source of truth and the channel layer only carries news of changes.
"""

import asyncio
import json
import logging
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from accounts.events import user_group
from accounts.models import User
from accounts.ws import scope_expires_at, scope_user
from chat import events as chat_events
from chat import selectors, services
from core.batching import Call, LoopBatch, batch_each
from core.cache_batch import Entry, recall_many, remember_many
from core.errors import Forbidden, Invalid, NotFound, RateLimited
from core.frames import FrameError, frame_parse, utf8_size
from core.layers import ConsumerMixin
from core.ratelimit import TokenBucket
from core.socket_errors import error_frame
from music.services import listening_record_play
from rooms import events as room_events
from rooms import presence, room_view
from rooms import services as room_services
from rooms.access import (
    Admission,
    RoomAccess,
    admission_keys,
    admission_recall,
    admission_remember,
    admissions_read,
)
from rooms.models import PlaybackState, Room
from social.services import friend_ids_from, friend_ids_remembered, friends_key

logger = logging.getLogger(__name__)

MAX_FRAME_BYTES = 64 * 1024
HEARTBEAT_SECONDS = 20
RESYNC_LIMIT = selectors.RESYNC_LIMIT
# Per socket, each of `chat.resync` and `sync`: this many at once, then one a second. A resync
# answer is up to RESYNC_LIMIT messages (~100 KB-1 MB); unlimited, one socket asking again and
# again made the server send 253 MB (issue 11). Paging a long gap needs one resync per page.
RESYNC_BURST = 5
RESYNC_PER_SECOND = 1.0
# Ids and versions are PostgreSQL bigints; positions are milliseconds in an integer column.
MAX_BIGINT = 2**63 - 1
MAX_POSITION_MS = 2**31 - 1
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
# Over the process's handshake limit (WS_MAX_HANDSHAKES): retry after the delay given.
CLOSE_BUSY = 4429
# `presence.page`, per socket: a room of 1,000 is 20 pages of 50.
PAGE_BURST = 10
PAGE_PER_SECOND = 2.0
MAX_CURSOR = 64


class HandshakeGate:
    """The socket handshakes this process is working on (one event loop per process): from
    the handshake until the socket's first frame is sent or it is closed (`shed_busy`)."""

    def __init__(self) -> None:
        self.in_flight = 0

    def enter(self) -> bool:
        """Takes a place, or False when WS_MAX_HANDSHAKES are in flight already."""
        if self.in_flight >= settings.WS_MAX_HANDSHAKES:
            return False
        self.in_flight += 1
        return True

    def leave(self) -> None:
        self.in_flight -= 1

    @staticmethod
    def retry_after_ms() -> int:
        """WS_BUSY_RETRY_MS plus up to as much again: refused clients come back spread out."""
        base = settings.WS_BUSY_RETRY_MS
        return base + random.randint(0, base)  # noqa: S311 - jitter, not a secret


handshakes = HandshakeGate()


def shed_busy(app):
    """ASGI middleware, ahead of authentication: over WS_MAX_HANDSHAKES handshakes in flight,
    accepts, says `busy {retry_after_ms}` and closes with 4429 at once, rather than let the
    handshake wait its turn and time out (docs/realtime.md). A refused handshake costs no
    credential check (nor a ticket: it can be used on the retry) and no consumer."""

    async def application(scope, receive, send):
        if scope["type"] != "websocket":
            return await app(scope, receive, send)
        if not handshakes.enter():
            if (await receive())["type"] != "websocket.connect":
                return None
            retry_ms = handshakes.retry_after_ms()
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.send", "text": json.dumps({"type": "busy", "retry_after_ms": retry_ms})})
            await send({"type": "websocket.close", "code": CLOSE_BUSY, "reason": f"busy: retry after {retry_ms} ms"})
            return None
        held = True

        async def send_and_release(message):
            nonlocal held
            if held and message["type"] in ("websocket.send", "websocket.close"):
                held = False
                handshakes.leave()
            await send(message)

        try:
            return await app(scope, receive, send_and_release)
        finally:
            if held:
                handshakes.leave()

    return application


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class AdmitCall:
    """A socket's admission, as the cache left it (`recalled`), and whether its friends are
    still to be read."""

    room_id: str
    user: User
    recalled: Admission
    friends_wanted: bool


def _admit_batch(calls: Sequence[Call[AdmitCall]]) -> list:
    """The database's half of the admissions of the sockets joining at once: their access read
    in two queries per room, newcomers made members (each as its own caller), their friends read
    in one query, and all of it remembered in one round trip to the cache."""
    writes: list[Entry] = []
    try:
        admissions: list[Any] = [None] * len(calls)
        rooms: dict[str, list[int]] = {}
        for i, call in enumerate(calls):
            rooms.setdefault(call.item.room_id, []).append(i)
        for room_id, indexes in rooms.items():
            read: list[Any]
            try:
                read = admissions_read(room_id, [(calls[i].item.user, calls[i].item.recalled) for i in indexes])
            except Exception as exc:  # noqa: BLE001 - the sockets of this room hear of it
                read = [exc] * len(indexes)
            for i, admission in zip(indexes, read, strict=True):
                admissions[i] = admission
        admissions = batch_each(calls, _admission_settle, admissions, [writes] * len(calls))
        wanted = [
            call.item.user
            for call, admission in zip(calls, admissions, strict=True)
            if call.item.friends_wanted
            and isinstance(admission, Admission)
            and admission.access is not None
            and admission.access.can_join
        ]
        friends = friend_ids_remembered(wanted, writes=writes) if wanted else {}
    finally:
        remember_many(writes)
    return [
        admission if isinstance(admission, Exception) else (admission, friends.get(call.item.user.pk))
        for call, admission in zip(calls, admissions, strict=True)
    ]


def _admission_settle(call: AdmitCall, admission: Admission, writes: list[Entry]) -> Admission:
    """A newcomer let in joins (becomes a member); an admission read is remembered."""
    if admission.remembered or admission.room is None or admission.access is None or not admission.access.can_join:
        return admission
    role = admission.access.role if admission.access.is_member else None
    if role is None:  # not a member yet: joining makes them one
        try:
            membership, _ = room_services.room_join(room=admission.room, user=call.user)
        except (NotFound, Forbidden):  # banned or closed a moment ago
            return Admission(admission.room, RoomAccess(is_open=False, is_private=True))
        role = membership.role
    admission_remember(admission, call.user, role=role, writes=writes)
    return admission


# The admissions the cache could not answer, read for all the sockets joining at once.
_admissions: LoopBatch[AdmitCall, tuple[Admission, set[str] | None]] = LoopBatch(_admit_batch)


class RoomConsumer(ConsumerMixin, AsyncJsonWebsocketConsumer):
    user: User  # set in connect(), for a signed-in socket
    room: Room  # set by _admit(); `admitted` says whether it happened
    admitted = False
    audience_sent: tuple[int, int] | None = None  # the counts of the last `room.audience` sent
    audience_read_at = 0.0  # when those counts were read (epoch s)
    _friends: set[str] | None = None  # the user's friends' ids, when the admission read them

    # --- connection lifecycle -------------------------------------------------------

    async def connect(self):
        self.connection = presence.connection_id()
        self.joined_at = timezone.now()
        self.tasks: list[asyncio.Task] = []
        self.end_timer: asyncio.TimerHandle | None = None
        self.playing: dict | None = None  # the play this socket is hearing, for history
        self.groups_joined: list[str] = []
        self.buckets = {
            kind: TokenBucket(burst=RESYNC_BURST, per_second=RESYNC_PER_SECOND)
            for kind in ("sync", "chat.resync", "playback.vote_skip", "reaction")
        }
        self.buckets["presence.page"] = TokenBucket(burst=PAGE_BURST, per_second=PAGE_PER_SECOND)
        # Accept first: a close before accept is an HTTP 403 and the client never sees our code.
        # (Over the process's handshake limit, `shed_busy` answered before this runs.)
        await self.accept()
        await self._join()

    async def _join(self) -> None:
        user = scope_user(self.scope)
        if user is None:
            return await self.close(code=CLOSE_UNAUTHENTICATED)
        self.user = user
        verdict = await self._admit()
        if verdict is not None:
            return await self.close(code=verdict)
        self._brief = presence.brief_of(self.user)
        # Groups first, state second: nothing sent in between can fall through the gap.
        for group in (room_events.room_group(self.room.pk), user_group(self.user.pk)):
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        read_at = time.time()
        frames, first = await self._arrive()
        for frame in frames:
            if frame["type"] == "playback.state":
                await self._follow_play(frame)
            if frame["type"] == "room.audience":
                await self._send_audience(frame, read_at=read_at)
            else:
                await self.send_json(frame)
        if first:
            presence.presence_news().announce(self.channel_layer, str(self.room.pk), "joined", self._brief)
        self.tasks.append(asyncio.ensure_future(self._heartbeat()))

    async def _admit(self) -> int | None:
        """Lets in whoever may join the room (rooms.access): 4404 for no such open room, 4403
        for the banned and for outsiders of a private room (who learn no more than that). A
        remembered admission (rooms.access.room_admit) reads the cache only, on the event loop
        (core.cache_batch), in the round trip that reads the user's friends; otherwise a trip
        to the database thread, shared with the other sockets joining then (`_admissions`),
        reads the access, makes the user a member and reads the friends."""
        room_id = self.scope["url_route"]["kwargs"]["room_id"]
        admission = self._admit_from_cache(room_id)
        if not admission.remembered or self._friends is None:
            admission, friends = await _admissions(AdmitCall(room_id, self.user, admission, self._friends is None))
            if friends is not None:
                self._friends = friends
        if admission.room is None or admission.access is None:
            return CLOSE_NOT_FOUND
        if not admission.access.can_join:
            return CLOSE_FORBIDDEN
        self.room = admission.room
        self.admitted = True
        return None

    def _admit_from_cache(self, room_id) -> Admission:
        """The remembered admission and friends, in one round trip to the cache."""
        keys = admission_keys(room_id, self.user.pk)
        friends = friends_key(self.user.pk)
        found = recall_many([*keys, friends], on_loop=True) or {}
        self._friends = friend_ids_from(found.get(friends))
        return admission_recall(room_id, self.user, found) if keys else Admission(None, None)

    async def _arrive(self) -> tuple[list[dict], bool]:
        """A join's work after admission: marks the socket present, resumes a room that paused
        when it emptied (README), and reads the frames the socket starts with —
        `playback.state`, `presence`, `room.audience` and the play's counts. Returns (those
        frames, whether this is the user's first socket in the room). The room's part comes
        from this process's view of it when current (rooms.room_view), else from one trip to
        the database thread; a bounded number of queries whatever the room's size
        (chat/tests/test_crowded_rooms.py)."""
        room = self.room
        arrival = presence.arrive(room_id=room.pk, user_id=self.user.pk, connection=self.connection, on_loop=True)
        users = arrival.users
        view = room_view.views.recall(room, arrival.view_counter)
        if view is not None:
            state, *counts = view.frames(online=None if users is None else len(users))
            frames = [state, *await self._listener_frames(users), *counts]
        else:
            frames = await database_sync_to_async(self._arrive_from_database)(arrival)
        first = users is not None and users.get(str(self.user.pk)) == 1
        # One more listener changes `needed` only for a play that has votes (just counted).
        if first and any(f["type"] == "playback.votes" and f["votes"] for f in frames):
            await database_sync_to_async(self._refresh_votes)()
        return frames, first

    def _arrive_from_database(self, arrival: presence.Arrival) -> list[dict]:
        """`_arrive`'s database path: the room's playback rules on arrival, then its state and
        counts read and left as this process's view of the room (stamped with the counter
        read before them), and the listener frames."""
        settled = self._playback_presence(room_services.playback_resume_on_join)
        state = room_services.playback_advance_if_over(room=self.room)
        users = arrival.users
        listeners = self._listener_frames_read(users)
        try:
            view = room_services.join_view(room=self.room, state=state, counter=arrival.view_counter, settled=settled)
            frames = view.frames(online=None if users is None else len(users))
        except Exception:  # noqa: BLE001 - counts come again with the next vote or reaction
            logger.warning("reading the play's counts failed", exc_info=True)
            frames = [room_events.playback_state(state)]
        return [frames[0], *listeners, *frames[1:]]

    async def _listener_frames(self, users: dict[str, int] | None) -> list[dict]:
        """`presence` (the count, friends present, the first page) and `room.audience`: from
        what this process and the cache remember, else with a trip to the database thread.
        A crowded room's count of Spotify listeners leaves out those not remembered: the
        room's next `room.audience` (within ROOM_PRESENCE_COUNT_SECONDS) counts them."""
        ids = set(users) if users is not None else None
        crowded = ids is not None and len(ids) > settings.ROOM_PRESENCE_LIVE_MAX
        snapshot = presence.snapshot_remembered(self.room.pk, online=ids, friends=self._friends or ())
        audience = presence.audience_remembered(self.room.pk, online=ids or (), partial=crowded)
        if snapshot is not None and audience is not None:
            return [snapshot, audience]
        return await database_sync_to_async(self._listener_frames_read)(users)

    def _listener_frames_read(self, users: dict[str, int] | None) -> list[dict]:
        ids = set(users) if users is not None else None
        friends = self._friends or set()  # read with the admission
        return [
            presence.snapshot(self.room.pk, online=ids, friends=friends),
            presence.audience(self.room.pk, online=ids or ()),
        ]

    async def disconnect(self, code):
        for task in self.tasks:
            task.cancel()
        if self.end_timer is not None:
            self.end_timer.cancel()
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        if not self.admitted or not self.groups_joined:
            return
        until = timezone.now()
        online = presence.depart(room_id=self.room.pk, user_id=self.user.pk, connection=self.connection, on_loop=True)
        last = online is not None and str(self.user.pk) not in online
        # The database only when there is something to write or a rule to run: a process
        # draining 1,000 sockets of a quiet room made 1,000 trips there for nothing.
        if self.playing is not None or not online:
            await database_sync_to_async(self._depart)(until=until, online=online, last=last)
        if last:
            presence.presence_news().announce(self.channel_layer, str(self.room.pk), "left", self._brief)

    def _depart(self, *, until, online: dict[str, int] | None, last: bool) -> None:
        """A leave's database work, in one trip, once its socket left presence (`online`: who
        is left; `last`: this was the user's last socket in the room): the listen's history;
        the room paused where it is if nobody is left (not while presence is unknown; each
        leave reads presence after removing itself, so the last one's read sees nobody); and
        during a play, a user gone changes the skip votes' `needed`."""
        during_play = self.playing is not None
        self._record_listen(until=until)
        if online is None or not online:
            self._playback_presence(room_services.playback_pause_on_leave)
        if last and during_play:
            self._refresh_votes()

    def _playback_presence(self, service) -> bool:
        """Runs an arrival or departure rule of the room's playback: True when it changed
        nothing. A failure is logged, not raised (and is not "nothing")."""
        try:
            return service(room=self.room) is None
        except Exception:  # noqa: BLE001 - the room plays on as it was; the next join or leave retries
            logger.warning("%s failed", service.__name__, exc_info=True)
            return False

    async def _heartbeat(self):
        """Keeps this socket's presence alive and closes it when its credential expires."""
        try:
            while True:
                expires = scope_expires_at(self.scope)
                wait: float = HEARTBEAT_SECONDS
                if expires is not None:
                    wait = max(0.0, min(wait, expires - time.time()))
                await asyncio.sleep(wait)
                if expires is not None and time.time() >= expires:
                    await self.send_json({"type": "error", "code": "token_expired", "detail": "Sign in again."})
                    await self.close(code=CLOSE_UNAUTHENTICATED)
                    return
                presence.touch(room_id=self.room.pk, user_id=self.user.pk, connection=self.connection, on_loop=True)
        except asyncio.CancelledError:
            pass

    # --- frames from the client -----------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        if bytes_data is not None:
            return await self._error("unsupported", "Send JSON text frames.")
        if text_data is None:
            return None
        if len(text_data) > MAX_FRAME_BYTES or utf8_size(text_data) > MAX_FRAME_BYTES:
            return await self._error("too_large", f"Frames are limited to {MAX_FRAME_BYTES // 1024} KiB.")
        try:
            content = frame_parse(text_data)
        except FrameError as exc:
            return await self._error(exc.code, exc.detail)
        return await self.receive_json(content)

    async def receive_json(self, content, **kwargs):
        kind = content.get("type")
        if kind is None and "text" in content:
            kind = "chat.message"
        handler = self.HANDLERS.get(kind) if isinstance(kind, str) else None
        if handler is None:
            return await self._error("unknown_type", f"Unknown message type: {str(kind)[:40]!r}.")
        # Errors name the frame type they answer, so a client can tell a refused resync from
        # a refused chat message.
        # A refused chat message also names itself, so the client can mark that one unsent.
        reply: dict[str, Any] = {"in_reply_to": kind}
        msg_id = content.get("client_msg_id")
        if kind == "chat.message" and isinstance(msg_id, str) and msg_id:
            reply["client_msg_id"] = msg_id[:64]
        try:
            await handler(self, content)
        except Exception as exc:  # noqa: BLE001 - one bad frame must never take the socket down
            frame = error_frame(exc, **reply)
            if frame is None:  # a fault, not a refusal
                logger.exception("room socket frame failed")
                return await self._error("server_error", "Something went wrong with that message.", **reply)
            await self.send_json(frame)

    def _spend(self, kind: str) -> None:
        """Takes one `kind` request from this socket's allowance, or raises RateLimited."""
        bucket = self.buckets[kind]
        wait = bucket.take()
        if wait is not None:
            raise RateLimited(
                f"Too many {kind} requests: {bucket.describe()}. Try again in {math.ceil(wait)} s.", retry_after=wait
            )

    async def _chat_message(self, content):
        message, created = await database_sync_to_async(services.message_send)(
            room=self.room, user=self.user, text=content.get("text"), client_msg_id=content.get("client_msg_id")
        )
        # The sender hears its own message through the group broadcast; a duplicate
        # client_msg_id is answered directly so a retrying client learns the id.
        if created:
            return
        await self.send_json(await database_sync_to_async(chat_events.chat_message)(message))

    async def _time_ping(self, content):
        t0 = content.get("t0")
        # Echoed back as sent: a number (finite: the frame check refuses NaN and Infinity).
        if t0 is not None and (isinstance(t0, bool) or not isinstance(t0, int | float)):
            raise Invalid("t0 must be a number (the client's clock in ms).", field="t0")
        await self.send_json({"type": "time.pong", "t0": t0, "server_time": now_ms()})

    async def _on_sync(self, content):
        self._spend("sync")
        await self._send_state()

    async def _chat_resync(self, content):
        after = content.get("after_id", 0)
        if isinstance(after, bool) or not isinstance(after, int) or not 0 <= after <= MAX_BIGINT:
            raise Invalid("after_id must be a message id (a whole number, 0 or more).", field="after_id")
        self._spend("chat.resync")
        messages = await database_sync_to_async(selectors.history_after)(room=self.room, after_id=after)
        # Not complete: ask again with after_id = the last id of this page.
        await self.send_json({"type": "chat.history", "messages": messages, "complete": len(messages) < RESYNC_LIMIT})

    async def _presence_page(self, content):
        cursor = content.get("cursor")
        if not isinstance(cursor, str) or not 0 < len(cursor) <= MAX_CURSOR:
            raise Invalid("cursor must be the `next` of the last presence page.", field="cursor")
        self._spend("presence.page")

        def load():
            return presence.listeners_page(self.room.pk, online=presence.online_user_ids(self.room.pk), after=cursor)

        await self.send_json(await database_sync_to_async(load)())

    async def _playback(self, content):
        kind = content["type"]
        room, user = self.room, self.user
        if kind == "playback.play":
            call = lambda: room_services.playback_play(room=room, actor=user)  # noqa: E731
        elif kind == "playback.pause":
            call = lambda: room_services.playback_pause(room=room, actor=user)  # noqa: E731
        elif kind == "playback.skip":
            version = _optional_int(content, "version", maximum=MAX_BIGINT)
            call = lambda: room_services.playback_skip(room=room, actor=user, version=version)  # noqa: E731
        elif kind == "playback.seek":
            position = _required_int(content, "position_ms", maximum=MAX_POSITION_MS)
            call = lambda: room_services.playback_seek(room=room, actor=user, position_ms=position)  # noqa: E731
        else:  # playback.ended
            version = _required_int(content, "version", maximum=MAX_BIGINT)
            call = lambda: room_services.playback_ended(room=room, user=user, version=version)  # noqa: E731
        await database_sync_to_async(call)()

    async def _vote_skip(self, content):
        version = _required_int(content, "version", maximum=MAX_BIGINT)
        self._spend("playback.vote_skip")
        payload, new = await database_sync_to_async(room_services.skip_vote)(
            room=self.room, user=self.user, version=version
        )
        if not new:  # a second vote changes nothing: only the voter hears the count again
            await self.send_json(payload)

    async def _reaction(self, content):
        version = _required_int(content, "version", maximum=MAX_BIGINT)
        kind = content.get("kind")
        if not isinstance(kind, str):
            raise Invalid("kind must be one of: like.", field="kind")
        self._spend("reaction")
        payload, new = await database_sync_to_async(room_services.reaction_add)(
            room=self.room, user=self.user, version=version, kind=kind
        )
        if not new:  # once per play: a repeat changes nothing
            await self.send_json(payload)

    HANDLERS = {
        "chat.message": _chat_message,
        "time.ping": _time_ping,
        "sync": _on_sync,
        "chat.resync": _chat_resync,
        "playback.play": _playback,
        "playback.pause": _playback,
        "playback.skip": _playback,
        "playback.seek": _playback,
        "playback.ended": _playback,
        "playback.vote_skip": _vote_skip,
        "reaction": _reaction,
        "presence.page": _presence_page,
    }

    # --- events from the groups -----------------------------------------------------

    async def chat_message(self, event):
        await self.send_json(event)

    async def chat_deleted(self, event):
        await self.send_json(event)

    async def member_joined(self, event):
        if event["user"]["id"] != str(self.user.pk):
            await self.send_json(event)

    async def member_left(self, event):
        if event["user"]["id"] != str(self.user.pk):
            await self.send_json(event)

    async def members_changed(self, event):
        me = str(self.user.pk)
        if any(user["id"] == me for user in event["joined"] + event["left"]):
            event = {
                **event,
                "joined": [user for user in event["joined"] if user["id"] != me],
                "left": [user for user in event["left"] if user["id"] != me],
            }
            if not (event["joined"] or event["left"]):
                return
        await self.send_json(event)

    async def queue_updated(self, event):
        await self.send_json(event)

    async def playback_state(self, event):
        if event.get("room_id") != str(self.room.pk):
            return
        await self._follow_play(event)
        await self.send_json(event)

    async def playback_votes(self, event):
        if event.get("room_id") == str(self.room.pk):
            await self.send_json(event)

    async def reaction_counts(self, event):
        if event.get("room_id") == str(self.room.pk):
            await self.send_json(event)

    async def room_audience(self, event):
        if event.get("room_id") == str(self.room.pk):
            frame = {key: value for key, value in event.items() if key != "read_at"}
            await self._send_audience(frame, read_at=float(event.get("read_at") or 0.0))

    async def _send_audience(self, frame: dict, *, read_at: float) -> None:
        """Sends `room.audience` when its counts differ from the last this socket sent (a join's
        news repeats what the joiner heard on connect), unless they were read before those
        (news that reached this socket late)."""
        if read_at < self.audience_read_at:
            return
        self.audience_read_at = read_at
        counts = (frame["online"], frame["spotify"])
        if counts != self.audience_sent:
            self.audience_sent = counts
            await self.send_json(frame)

    async def member_role_changed(self, event):
        await self.send_json(event)

    async def room_updated(self, event):
        await self.send_json(event)

    async def room_deleted(self, event):
        await self.send_json({"type": "error", "code": "room_closed", "detail": "This room was closed."})
        await self.close(code=CLOSE_NOT_FOUND)

    async def room_access_revoked(self, event):
        if event.get("room_id") != str(self.room.pk):
            return
        reason = event.get("reason", "removed")
        detail = event.get("detail") or room_events.REVOKED_DETAIL.get(reason, room_events.REVOKED_DETAIL["removed"])
        await self.send_json({"type": "error", "code": reason, "detail": detail})
        await self.close(code=CLOSE_FORBIDDEN)

    async def account_deactivated(self, event):
        await self.close(code=CLOSE_UNAUTHENTICATED)

    async def notification_created(self, event):
        """Notifications go to /ws/notifications/; the room socket ignores them."""

    # --- playback bookkeeping -------------------------------------------------------

    async def _send_state(self):
        def load():
            state = room_services.playback_advance_if_over(room=self.room)
            return room_events.playback_state(state)

        event = await database_sync_to_async(load)()
        await self._follow_play(event)
        await self.send_json(event)

    def _refresh_votes(self) -> None:
        """A listener came or went: `needed` may change, and the votes may now skip the track."""
        try:
            room_services.skip_votes_refresh(room=self.room)
        except Exception:  # noqa: BLE001 - the next vote counts again
            logger.warning("refreshing the skip votes failed", exc_info=True)

    async def _follow_play(self, event):
        """Tracks the play this socket hears: records the listen when it ends, and arms a
        timer to advance the room at the track's end (a no-op if someone else did)."""
        started = event.get("track_started_at")
        current = self.playing
        if current is not None and current["started"] != started:
            await database_sync_to_async(self._record_listen)(until=timezone.now())
        if event.get("track") is None or started is None:
            self.playing = None
        elif current is None or current["started"] != started:
            self.playing = {"started": started, "spotify_id": event["track"]["spotify_id"], "version": event["version"]}
        if self.end_timer is not None:
            self.end_timer.cancel()
            self.end_timer = None
        if event.get("status") == PlaybackState.Status.PLAYING and event.get("track"):
            remaining = event["track"]["duration_ms"] - event["position_ms"] - (now_ms() - event["server_time"])
            # Spread the sockets' checks over a second or two; the CAS lets one win.
            delay = max(0.0, remaining / 1000) + 0.3 + (hash(self.connection) % 1000) / 1000
            version = event["version"]
            self.end_timer = asyncio.get_running_loop().call_later(
                delay, lambda: self.tasks.append(asyncio.ensure_future(self._advance_if_over(version)))
            )

    async def _advance_if_over(self, version: int):
        try:
            await database_sync_to_async(room_services.playback_advance_if_over)(room=self.room, version=version)
        except Exception:  # noqa: BLE001 - the timer task and the next read will retry
            logger.warning("advance check failed", exc_info=True)

    def _record_listen(self, *, until) -> None:
        """Records the listen of the play this socket was hearing (on the database thread)."""
        play, self.playing = self.playing, None
        if play is None:
            return
        try:
            started_at = datetime.fromtimestamp(play["started"] / 1000, tz=UTC)
            listening_record_play(
                user=self.user,
                spotify_id=play["spotify_id"],
                room_id=self.room.pk,
                started_at=started_at,
                present_from=self.joined_at,
                until=until,
                liked=room_services.play_liked(room_id=self.room.pk, user=self.user, started_at=started_at),
            )
        except Exception:  # noqa: BLE001 - history must not break the socket
            logger.warning("recording a listen failed", exc_info=True)

    async def _error(self, code: str, detail: str, **extra):
        await self.send_json({"type": "error", "code": code, "detail": detail, **extra})


def _optional_int(content: dict, key: str, *, maximum: int) -> int | None:
    if content.get(key) is None:
        return None
    return _required_int(content, key, maximum=maximum)


def _required_int(content: dict, key: str, *, maximum: int) -> int:
    """A whole number from 0 to `maximum`: what the database column holds."""
    value = content.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise Invalid(f"{key} must be a whole number from 0 to {maximum}.", field=key)
    return value

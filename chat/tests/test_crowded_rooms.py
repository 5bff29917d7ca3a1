"""Crowded rooms (issue 17): a join costs what the screen shows, reconnects skip the database,
bans and room changes still take effect at once, and a process over its handshake limit says
"busy" instead of letting handshakes time out."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import services as account_services
from accounts.selectors import socket_user_key
from accounts.tests.factories import UserFactory
from chat import services as chat_services
from chat.consumers import handshakes
from chat.tests.conftest import closed_with, connect, join, token_for
from rooms import services as room_services
from social.models import Friendship

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async

# Queries one join may run on the database thread (credential, admission and membership,
# playback state and its resume rule, presence page and friends, audience, play counts),
# whatever the room's size. Before issue 17 a join ran 18-20 statements in 8 trips to the
# database thread and read every listener's row; now 18 in 2 trips (1 for a reconnect).
# Transaction control (BEGIN, COMMIT, savepoints) is not counted.
MAX_JOIN_QUERIES = 20
# A listener reconnecting within ROOM_ADMISSION_CACHE_SECONDS: admission and membership come
# from the cache.
MAX_REJOIN_QUERIES = 17
CONTROL = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK")


class DatabaseThreadQueries:
    """The queries run on the database thread (where every socket's ORM work runs) meanwhile."""

    async def __aenter__(self):
        self.context = CaptureQueriesContext(connection)
        await db(self.context.__enter__)()
        return self

    async def __aexit__(self, *exc):
        await db(self.context.__exit__)(None, None, None)
        start, end = self.context.initial_queries, self.context.final_queries
        queries = await db(lambda: list(connection.queries_log)[start:end])()
        self.sql = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith(CONTROL)]

    def __len__(self) -> int:
        return len(self.sql)


async def listeners(room, count: int) -> list:
    """`count` more people, each with a socket in the room."""
    users = [await db(UserFactory)(username=f"listener{i:02d}") for i in range(count)]
    return [await join(user, room.pk) for user in users]


async def test_a_newcomer_gets_the_count_friends_present_and_the_first_page(people, public_room, settings):
    settings.ROOM_PRESENCE_PAGE = 2
    others = await listeners(public_room, 4)
    friend = await db(UserFactory)(username="zoe")
    await db(Friendship.objects.create)(from_user=friend, to_user=people["member"], status=Friendship.Status.ACCEPTED)
    zoe = await join(friend, public_room.pk)

    communicator, connected = await connect(people["member"], public_room.pk)
    assert connected
    frames = [await communicator.receive_json_from(timeout=3) for _ in range(3)]
    assert [f["type"] for f in frames] == ["playback.state", "presence", "room.audience"]
    hello = frames[1]
    assert hello["count"] == 6  # four listeners, zoe, and the newcomer
    assert [u["username"] for u in hello["friends"]] == ["zoe"]
    assert len(hello["online"]) == 2 and hello["next"] is not None

    # Paging through the rest: every listener once, then no cursor.
    seen = [u["username"] for u in hello["online"]]
    cursor = hello["next"]
    while cursor is not None:
        await communicator.send_json_to({"type": "presence.page", "cursor": cursor})
        page = await receive_type(communicator, "presence.page")
        seen += [u["username"] for u in page["online"]]
        cursor = page["next"]
    assert sorted(seen) == sorted(["listener00", "listener01", "listener02", "listener03", "zoe", "member"])

    await communicator.send_json_to({"type": "presence.page", "cursor": ""})
    refused = await receive_type(communicator, "error")
    assert (refused["code"], refused["in_reply_to"]) == ("invalid", "presence.page")
    await communicator.disconnect()
    for socket in [*others, zoe]:
        await socket.close()


async def receive_type(communicator, kind: str) -> dict:
    while True:
        frame = await communicator.receive_json_from(timeout=3)
        if frame["type"] == kind:
            return frame


async def test_a_join_runs_a_bounded_number_of_queries_and_a_reconnect_fewer(people, public_room, track):
    await db(room_services.queue_add)(room=public_room, actor=people["owner"], track=track)
    others = await listeners(public_room, 6)
    member = people["member"]

    token = await token_for(member)
    async with DatabaseThreadQueries() as first:
        socket = await join(member, public_room.pk, token=token)
    await socket.close()
    token = await token_for(member)
    async with DatabaseThreadQueries() as again:
        socket = await join(member, public_room.pk, token=token)
    await socket.close()

    assert len(first) <= MAX_JOIN_QUERIES, "\n".join(first.sql)
    assert len(again) <= MAX_REJOIN_QUERIES, "\n".join(again.sql)
    assert len(again) < len(first)
    # Nothing read row by row per listener: the user table is read once (the page and friends).
    # (the credential's user, the track's `added_by`, and the page with the friends present).
    assert sum('FROM "accounts_user"' in sql for sql in again.sql) <= 3, "\n".join(again.sql)
    for socket in others:
        await socket.close()


async def test_a_ban_closes_the_socket_at_once_and_a_remembered_admission_no_longer_lets_in(people, public_room):
    member = people["member"]
    socket = await join(member, public_room.pk)  # admitted, and remembered
    await socket.close()
    socket = await join(member, public_room.pk)  # from the cache
    await db(room_services.ban_create)(room=public_room, actor=people["owner"], target=member, reason="spam")
    assert (await socket.receive_type("error"))["code"] == "banned"
    while (output := await socket.ws.receive_output(timeout=3))["type"] != "websocket.close":
        pass
    assert output["code"] == 4403
    assert await closed_with(member, public_room.pk) == 4403


async def test_a_closed_room_or_leaving_forgets_remembered_admissions(people, public_room, private_room):
    outsider = people["outsider"]
    socket = await join(outsider, public_room.pk)  # admitted, and remembered
    await socket.close()
    await db(room_services.room_close)(room=public_room)
    assert await closed_with(outsider, public_room.pk) == 4404

    member = people["member"]
    socket = await join(member, private_room.pk)
    await socket.close()
    await db(room_services.room_leave)(room=private_room, user=member)
    assert await closed_with(member, private_room.pk) == 4403  # no longer a member, no invite


async def test_over_the_handshake_limit_the_server_says_busy_and_closes_with_4429(people, public_room, settings):
    settings.WS_MAX_HANDSHAKES = 0
    settings.WS_BUSY_RETRY_MS = 800
    communicator, connected = await connect(people["member"], public_room.pk)
    assert connected  # accepted, so that the client sees why
    busy = await communicator.receive_json_from(timeout=3)
    assert busy["type"] == "busy" and 800 <= busy["retry_after_ms"] <= 1600
    closed = await communicator.receive_output(timeout=3)
    assert closed["type"] == "websocket.close" and closed["code"] == 4429
    assert closed["reason"] == f"busy: retry after {busy['retry_after_ms']} ms"
    assert handshakes.in_flight == 0

    settings.WS_MAX_HANDSHAKES = 500
    socket = await join(people["member"], public_room.pk)
    assert handshakes.in_flight == 0  # a handshake's place is given back once its frames are sent
    await socket.close()


async def test_a_busy_refusal_checks_no_credential_so_a_ticket_still_opens_the_retry(people, public_room, settings):
    settings.WS_MAX_HANDSHAKES = 0
    ticket = await db(account_services.ws_ticket_issue)(user=people["member"])
    communicator, connected = await connect(None, public_room.pk, token=ticket)
    assert (await communicator.receive_json_from(timeout=3))["type"] == "busy"
    assert (await communicator.receive_output(timeout=3))["code"] == 4429

    settings.WS_MAX_HANDSHAKES = 500
    socket = await join(None, public_room.pk, token=ticket)  # the single-use ticket was not spent
    await socket.close()


async def test_a_crowded_room_hears_the_count_not_each_join(people, public_room, settings):
    settings.ROOM_PRESENCE_LIVE_MAX = 2
    settings.ROOM_PRESENCE_COUNT_SECONDS = 0.2
    owner = await join(people["owner"], public_room.pk)
    member = await join(people["member"], public_room.pk)
    assert (await owner.receive_type("member.joined"))["user"]["username"] == "member"
    assert (await owner.receive_type("room.audience"))["online"] == 2
    # Now over the limit: the next join is told as a count only.
    moderator = await join(people["moderator"], public_room.pk)
    counted = await owner.receive_type("room.audience")
    assert counted["online"] == 3
    assert await owner.nothing(0.5)
    for socket in (owner, member, moderator):
        await socket.close()


async def test_a_larger_crowd_hears_its_count_less_often(people, public_room, settings):
    settings.ROOM_PRESENCE_LIVE_MAX = 2
    settings.ROOM_PRESENCE_COUNT_SECONDS = 0.2
    settings.ROOM_PRESENCE_COUNT_RATE = 3.0  # a room of 3: a count a second at most
    owner = await join(people["owner"], public_room.pk)
    member = await join(people["member"], public_room.pk)
    moderator = await join(people["moderator"], public_room.pk)
    while (await owner.receive_type("room.audience"))["online"] != 3:  # crowded from here
        pass

    newcomer = await db(UserFactory)(username="late")
    await db(room_services.room_join)(room=public_room, user=newcomer)  # (its room.updated now)
    assert (await owner.receive_type("room.updated"))["member_count"] == 4
    late = await join(newcomer, public_room.pk)
    assert await owner.nothing(0.6)  # not 0.2 s after the last count: 1 s
    assert (await owner.receive_type("room.audience"))["online"] == 4
    for socket in (owner, member, moderator, late):
        await socket.close()


async def test_a_reconnect_into_a_room_with_listeners_runs_no_query(people, public_room, track):
    await db(room_services.queue_add)(room=public_room, actor=people["owner"], track=track)
    owner = await join(people["owner"], public_room.pk)
    member = people["member"]
    socket = await join(member, public_room.pk)  # reads the room, the user, the friends; remembers them
    await socket.close()

    token = await token_for(member)
    async with DatabaseThreadQueries() as again:
        socket = await join(member, public_room.pk, token=token)
    assert len(again) == 0, "\n".join(again.sql)
    # What it was told is what the database says.
    state = await db(room_services.playback_state_get)(room=public_room)
    votes = await socket.receive_type("playback.votes")
    assert votes["version"] == state.version and votes["needed"] == 1
    for s in (socket, owner):
        await s.close()


async def test_a_change_after_the_room_was_read_reaches_the_next_joiner(people, public_room, track):
    owner = await join(people["owner"], public_room.pk)
    idle = await join(people["member"], public_room.pk)  # the room's view: idle
    await db(room_services.queue_add)(room=public_room, actor=people["owner"], track=track)  # plays at once
    playing = await idle.receive_type("playback.state")
    assert playing["status"] == "playing"

    communicator, connected = await connect(people["moderator"], public_room.pk)
    first = await communicator.receive_json_from(timeout=3)
    assert first["type"] == "playback.state"
    assert (first["status"], first["version"]) == ("playing", playing["version"])
    await communicator.disconnect()
    for s in (owner, idle):
        await s.close()


async def test_a_deactivated_account_cannot_reconnect_with_a_token_it_still_holds(people, public_room):
    member = people["member"]
    token = await token_for(member)
    socket = await join(member, public_room.pk, token=token)  # its user remembered
    await socket.close()
    await db(account_services.user_deactivate)(user=member)
    assert await closed_with(member, public_room.pk, token=token) == 4401


async def test_a_new_friend_is_among_the_friends_present_at_the_next_join(people, public_room):
    member, friend = people["member"], people["moderator"]
    there = await join(friend, public_room.pk)
    socket = await join(member, public_room.pk)  # no friends yet, and remembered so
    await socket.close()
    await db(Friendship.objects.create)(from_user=friend, to_user=member, status=Friendship.Status.ACCEPTED)

    communicator, _ = await connect(member, public_room.pk)
    frames = [await communicator.receive_json_from(timeout=3) for _ in range(2)]
    assert [f["username"] for f in frames[1]["friends"]] == ["moderator"]
    await communicator.disconnect()
    await there.close()


async def test_a_rename_shows_in_the_next_presence_page(people, public_room):
    owner = await join(people["owner"], public_room.pk)
    socket = await join(people["member"], public_room.pk)
    await socket.close()
    owner_user = people["owner"]
    owner_user.display_name = "Olivia Renamed"
    await db(owner_user.save)(update_fields=["display_name"])

    communicator, _ = await connect(people["member"], public_room.pk)
    frames = [await communicator.receive_json_from(timeout=3) for _ in range(2)]
    names = {f["username"]: f["display_name"] for f in frames[1]["online"]}
    assert names["owner"] == "Olivia Renamed"
    await communicator.disconnect()
    await owner.close()


async def test_reconnects_catching_up_read_each_message_once_and_never_a_deleted_one(people, public_room):
    owner = people["owner"]
    for text in ("one", "two", "three"):
        await db(chat_services.message_send)(room=public_room, user=owner, text=text)
    first = await join(people["member"], public_room.pk)
    await first.send({"type": "chat.resync", "after_id": 0})
    history = await first.receive_type("chat.history")
    assert [m["text"] for m in history["messages"]] == ["one", "two", "three"]
    await db(chat_services.message_delete)(room=public_room, actor=owner, message_id=history["messages"][1]["id"])

    second = await join(people["moderator"], public_room.pk)
    async with DatabaseThreadQueries() as caught_up:
        await second.send({"type": "chat.resync", "after_id": 0})
        again = await second.receive_type("chat.history")
    assert [m["text"] for m in again["messages"]] == ["one", "three"]
    assert again["messages"][0] == history["messages"][0]
    assert len(caught_up) == 1, "\n".join(caught_up.sql)  # the ids; the messages were remembered
    for socket in (first, second):
        await socket.close()


async def test_a_socket_opened_with_a_fresh_ticket_reads_no_user_row(people, public_room):
    """The web app asks POST /auth/ws-ticket just before it opens the socket: that request has
    read the user already, and leaves it remembered for the handshake."""
    member = people["member"]
    await db(cache.delete)(socket_user_key(member.pk))  # last saved long ago: not remembered
    ticket = await db(account_services.ws_ticket_issue)(user=member)

    async with DatabaseThreadQueries() as handshake:
        socket = await join(None, public_room.pk, token=ticket)
    await socket.close()

    # (The admission's read lists the user's id from that table, but reads none of its columns.)
    assert not [sql for sql in handshake.sql if '"accounts_user"."email"' in sql], "\n".join(handshake.sql)


async def test_sockets_joining_at_once_share_their_reads(public_room):
    """A crowd arriving together (a room opening, a restart sending everyone back) is read
    together: the users nobody remembered in one query, their access to the room and their
    friends in one trip per batch, however many sockets (core.batching)."""
    crowd = [await db(UserFactory)(username=f"crowd{i:02d}") for i in range(6)]
    for user in crowd:
        await db(room_services.room_join)(room=public_room, user=user)  # members coming back
        await db(cache.delete)(socket_user_key(user.pk))  # saved long ago: not remembered
    tokens = [await token_for(user) for user in crowd]

    async with DatabaseThreadQueries() as arrival:
        sockets = await asyncio.gather(*(join(None, public_room.pk, token=token) for token in tokens))
    for socket in sockets:
        await socket.close()

    user_reads = [sql for sql in arrival.sql if '"accounts_user"."email"' in sql]
    access_reads = [sql for sql in arrival.sql if '"access_banned"' in sql]
    friend_reads = [sql for sql in arrival.sql if 'FROM "social_friendship"' in sql]
    assert len(user_reads) == 1, "\n".join(user_reads)
    assert 1 <= len(access_reads) < len(crowd), "\n".join(access_reads)
    assert len(friend_reads) == len(access_reads), "\n".join(friend_reads)

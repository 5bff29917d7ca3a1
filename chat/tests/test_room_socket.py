import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from accounts import services as account_services
from accounts.tests.factories import UserFactory
from chat.models import Message
from chat.tests.conftest import closed_with, join
from music.tests.factories import TrackFactory
from rooms import events as room_events
from rooms import services as room_services
from rooms.models import Membership
from rooms.tests.factories import make_room

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async


@pytest.fixture
def world(people, public_room, private_room):
    return {"people": people, "public": public_room, "private": private_room}


async def test_it_closes_4401_without_a_valid_token(world):
    assert await closed_with(None, world["public"].pk) == 4401
    assert await closed_with(None, world["public"].pk, token="garbage") == 4401


async def test_it_closes_4404_for_unknown_rooms(world):
    owner = world["people"]["owner"]
    assert await closed_with(owner, "00000000-0000-0000-0000-000000000000") == 4404
    assert await closed_with(owner, "not-a-uuid") == 4404


async def test_it_closes_4403_for_the_banned_and_outsiders_of_private_rooms(world):
    people = world["people"]
    assert await closed_with(people["banned"], world["public"].pk) == 4403
    assert await closed_with(people["outsider"], world["private"].pk) == 4403


async def test_joining_a_public_rooms_socket_makes_you_a_member(world):
    outsider = world["people"]["outsider"]
    socket = await join(outsider, world["public"].pk)
    assert await db(Membership.objects.filter(room=world["public"], user=outsider).exists)()
    await socket.close()


async def test_an_invite_lets_you_into_a_private_rooms_socket(world):
    people = world["people"]
    invite, _ = await db(room_services.invite_create)(
        room=world["private"], actor=people["owner"], target=people["outsider"]
    )
    socket = await join(people["outsider"], world["private"].pk)
    await socket.close()
    # Opening the socket joined the room and used the invite up.
    assert await db(Membership.objects.filter(room=world["private"], user=people["outsider"]).exists)()
    await db(invite.refresh_from_db)()
    assert invite.accepted_at is not None


async def test_the_alias_path_works_too(world):
    socket = await join(world["people"]["member"], world["public"].pk, path="rooms")
    await socket.send({"type": "time.ping", "t0": 7})
    assert (await socket.receive_type("time.pong"))["t0"] == 7
    await socket.close()


async def test_a_chat_message_reaches_everyone_in_the_room(world):
    people = world["people"]
    alice = await join(people["member"], world["public"].pk)
    bob = await join(people["moderator"], world["public"].pk)
    await alice.send({"text": "<b>hello</b>", "client_msg_id": "c1"})
    for socket in (alice, bob):
        frame = await socket.receive_type("chat.message")
        assert frame["text"] == "<b>hello</b>"
        assert frame["user"]["username"] == "member"
        assert frame["client_msg_id"] == "c1"
        assert frame["room_id"] == str(world["public"].pk)
    assert await db(Message.objects.count)() == 1
    await alice.close()
    await bob.close()


async def test_the_same_client_msg_id_stores_one_message(world):
    alice = await join(world["people"]["member"], world["public"].pk)
    await alice.send({"type": "chat.message", "text": "once", "client_msg_id": "dup"})
    first = await alice.receive_type("chat.message")
    await alice.send({"type": "chat.message", "text": "once", "client_msg_id": "dup"})
    again = await alice.receive_type("chat.message")
    assert again["id"] == first["id"]
    assert await db(Message.objects.count)() == 1
    await alice.close()


async def test_resync_returns_every_message_after_an_id_oldest_first(world):
    people = world["people"]
    ids = []
    for i in range(4):
        message, _ = await db(
            lambda i=i: __import__("chat.services", fromlist=["x"]).message_send(
                room=world["public"], user=people["owner"], text=f"m{i}"
            )
        )()
        ids.append(message.id)
    socket = await join(people["member"], world["public"].pk)
    await socket.send({"type": "chat.resync", "after_id": ids[1]})
    history = await socket.receive_type("chat.history")
    assert [m["text"] for m in history["messages"]] == ["m2", "m3"]
    await socket.send({"type": "chat.resync", "after_id": "x"})
    assert (await socket.receive_type("error"))["code"] == "invalid"
    await socket.close()


async def test_bad_frames_get_errors_and_the_socket_lives_on(world):
    socket = await join(world["people"]["member"], world["public"].pk)
    await socket.ws.send_to(text_data="{not json")
    assert (await socket.receive_type("error"))["code"] == "bad_json"
    await socket.ws.send_to(text_data="[1, 2]")
    assert (await socket.receive_type("error"))["code"] == "bad_request"
    await socket.send({"type": "dance"})
    assert (await socket.receive_type("error"))["code"] == "unknown_type"
    await socket.ws.send_to(text_data='{"text": "' + "x" * (65 * 1024) + '"}')
    assert (await socket.receive_type("error"))["code"] == "too_large"
    await socket.ws.send_to(bytes_data=b"\x00\x01")
    assert (await socket.receive_type("error"))["code"] == "unsupported"
    await socket.send({"text": ""})
    assert (await socket.receive_type("error"))["code"] == "blank"
    await socket.send({"text": "y" * 2001})
    assert (await socket.receive_type("error"))["code"] == "max_length"
    await socket.send({"text": 42})
    assert (await socket.receive_type("error"))["code"] == "invalid"
    await socket.send({"type": "time.ping", "t0": 123})
    pong = await socket.receive_type("time.pong")
    assert pong["t0"] == 123
    assert isinstance(pong["server_time"], int)
    await socket.close()


async def test_the_socket_shares_the_chat_limit(world):
    socket = await join(world["people"]["member"], world["public"].pk)
    for i in range(5):
        await socket.send({"text": f"m{i}"})
        await socket.receive_type("chat.message")
    await socket.send({"text": "one too many"})
    error = await socket.receive_type("error")
    assert error["code"] == "rate_limited"
    assert error["retry_after"] >= 1
    assert await db(Message.objects.count)() == 5
    await socket.close()


async def test_presence_and_member_events(world):
    people = world["people"]
    alice = await join(people["member"], world["public"].pk)
    bob = await join(people["moderator"], world["public"].pk)
    joined = await alice.receive_type("member.joined")
    assert joined["user"]["username"] == "moderator"
    await bob.close()
    left = await alice.receive_type("member.left")
    assert left["user"]["username"] == "moderator"
    await alice.close()


async def test_joins_in_quick_succession_are_told_together(world, settings):
    settings.ROOM_PRESENCE_BATCH_SECONDS = 1.0
    people, room_id = world["people"], world["public"].pk
    watcher = await join(people["owner"], room_id)
    await asyncio.sleep(1.1)  # the room is quiet: the next join is told at once
    first = await join(people["member"], room_id)
    assert (await watcher.receive_type("member.joined", timeout=0.5))["user"]["username"] == "member"

    second = await join(people["moderator"], room_id)  # within the window: held back...
    third = await join(people["outsider"], room_id)
    together = await watcher.receive_type("members.changed", timeout=3)  # ...and told together
    assert sorted(u["username"] for u in together["joined"]) == ["moderator", "outsider"]
    assert together["left"] == []
    # Nobody is told of their own arrival: the second sees only the third.
    seen = await second.receive_type("members.changed", timeout=3)
    assert [u["username"] for u in seen["joined"]] == ["outsider"]

    await second.close()
    await third.close()
    gone: set[str] = set()
    while gone != {"moderator", "outsider"}:
        frame = await first.receive(timeout=3)
        if frame["type"] == "member.left":
            gone.add(frame["user"]["username"])
        elif frame["type"] == "members.changed":
            gone.update(u["username"] for u in frame["left"])
    await first.close()
    await watcher.close()


async def test_a_ban_closes_the_users_open_socket_at_once(world):
    people = world["people"]
    socket = await join(people["member"], world["public"].pk)
    await db(room_services.ban_create)(room=world["public"], actor=people["owner"], target=people["member"])
    assert (await socket.receive_type("error"))["code"] == "banned"
    assert (await socket.ws.receive_output(timeout=3))["code"] == 4403
    assert await closed_with(people["member"], world["public"].pk) == 4403


@pytest.mark.parametrize(
    "how, code, detail",
    [
        ("ban", "banned", "You were banned from this room. Reason: spamming links"),
        ("remove", "removed", "You were removed from this room."),
        ("leave", "left", "You left this room."),
    ],
)
async def test_the_socket_says_why_it_closes_in_words(world, how, code, detail):
    """A banned listener read "You left this room." (the one text for every reason)."""
    people, room = world["people"], world["public"]
    socket = await join(people["member"], room.pk)
    if how == "ban":
        await db(room_services.ban_create)(
            room=room, actor=people["owner"], target=people["member"], reason="spamming links"
        )
    elif how == "remove":
        await db(room_services.member_remove)(room=room, target=people["member"])
    else:
        await db(room_services.room_leave)(room=room, user=people["member"])
    frame = await socket.receive_type("error")
    assert (frame["code"], frame["detail"]) == (code, detail)
    assert (await socket.ws.receive_output(timeout=3))["code"] == 4403


async def test_everyone_in_the_room_hears_when_its_membership_changes(world):
    """Someone leaving through the API (no socket open) left the header's count stale for
    everyone else; joins, leaves and removals now say `room.updated` with the new count."""
    people, room = world["people"], world["public"]
    socket = await join(people["owner"], room.pk)
    count = await db(room.memberships.count)()
    await db(room_services.room_leave)(room=room, user=people["member"])
    frame = await socket.receive_type("room.updated")
    assert frame["member_count"] == count - 1
    await db(room_services.room_join)(room=room, user=people["member"])
    assert (await socket.receive_type("room.updated"))["member_count"] == count
    await db(room_services.member_remove)(room=room, target=people["member"])
    assert (await socket.receive_type("room.updated"))["member_count"] == count - 1
    await socket.close()


async def test_deactivating_an_account_closes_its_sockets(world):
    member = world["people"]["member"]
    socket = await join(member, world["public"].pk)
    await db(account_services.user_deactivate)(user=member)
    output = await socket.ws.receive_output(timeout=3)
    assert output == {"type": "websocket.close", "code": 4401}


async def test_an_expiring_token_closes_the_socket(world, settings):
    from datetime import timedelta

    from rest_framework_simplejwt.tokens import AccessToken

    token = AccessToken.for_user(world["people"]["member"])
    token.set_exp(lifetime=timedelta(seconds=1))
    socket = await join(world["people"]["member"], world["public"].pk, token=str(token))
    assert (await socket.receive_type("error", timeout=4))["code"] == "token_expired"
    assert (await socket.ws.receive_output(timeout=3))["code"] == 4401


async def test_moderators_delete_messages_and_everyone_sees_it(world, as_user):
    people = world["people"]
    socket = await join(people["member"], world["public"].pk)
    await socket.send({"text": "spam"})
    message = await socket.receive_type("chat.message")
    client = await db(as_user)(people["moderator"])
    response = await db(client.delete)(f"/chat/{world['public'].pk}/{message['id']}")
    assert response.status_code == 204
    assert (await socket.receive_type("chat.deleted"))["id"] == message["id"]
    await socket.close()


async def test_rest_messages_are_broadcast_too(world, as_user):
    socket = await join(world["people"]["member"], world["public"].pk)
    client = await db(as_user)(world["people"]["owner"])
    response = await db(client.post)(f"/chat/{world['public'].pk}", {"text": "from REST"}, format="json")
    assert response.status_code == 201
    assert (await socket.receive_type("chat.message"))["text"] == "from REST"
    await socket.close()


# --- playback ---------------------------------------------------------------------------


@pytest.fixture
def stage(db):
    owner = UserFactory(username="dj")
    listener = UserFactory(username="listener")
    room = make_room(owner=owner, name="Stage")
    room_services.room_join(room=room, user=listener)
    tracks = [TrackFactory(name=f"Song {i}", duration_ms=180_000) for i in range(3)]
    return {"owner": owner, "listener": listener, "room": room, "tracks": tracks}


async def test_adding_to_an_idle_room_starts_playing_and_everyone_hears(stage):
    dj = await join(stage["owner"], stage["room"].pk)
    ear = await join(stage["listener"], stage["room"].pk)
    await db(room_services.queue_add)(room=stage["room"], actor=stage["owner"], track=stage["tracks"][0])
    for socket in (dj, ear):
        state = await socket.receive_type("playback.state")
        assert state["status"] == "playing"
        assert state["track"]["name"] == "Song 0"
        assert state["position_ms"] == 0
        assert state["version"] == 1
    await dj.close()
    await ear.close()


async def test_controls_are_for_the_owner_and_moderators(stage):
    await db(room_services.queue_add)(room=stage["room"], actor=stage["owner"], track=stage["tracks"][0])
    ear = await join(stage["listener"], stage["room"].pk)
    await ear.send({"type": "playback.pause"})
    assert (await ear.receive_type("error"))["code"] == "forbidden"
    dj = await join(stage["owner"], stage["room"].pk)
    await dj.send({"type": "playback.pause"})
    paused = await ear.receive_type("playback.state")
    assert paused["status"] == "paused"
    await dj.send({"type": "playback.seek", "position_ms": 60_000})
    assert (await ear.receive_type("playback.state"))["position_ms"] == 60_000
    await dj.send({"type": "playback.seek", "position_ms": "soon"})
    assert (await dj.receive_type("error"))["code"] == "invalid"
    await dj.send({"type": "playback.play"})
    playing = await ear.receive_type("playback.state")
    assert (playing["status"], playing["position_ms"]) == ("playing", 60_000)
    await dj.close()
    await ear.close()


async def test_two_skips_at_once_advance_one_track(stage):
    for track in stage["tracks"]:
        await db(room_services.queue_add)(room=stage["room"], actor=stage["owner"], track=track)
    dj = await join(stage["owner"], stage["room"].pk)
    await db(room_services.member_role_set)(
        room=stage["room"], actor=stage["owner"], target=stage["listener"], role="moderator"
    )
    co = await join(stage["listener"], stage["room"].pk)
    version = 1
    await asyncio.gather(
        dj.send({"type": "playback.skip", "version": version}), co.send({"type": "playback.skip", "version": version})
    )
    state = await dj.receive_type("playback.state")
    assert state["track"]["name"] == "Song 1"
    await dj.send({"type": "sync"})
    synced = await dj.receive_type("playback.state")
    assert (synced["track"]["name"], synced["version"]) == ("Song 1", 2)
    await dj.close()
    await co.close()


async def test_a_client_reporting_the_end_too_early_changes_nothing(stage):
    await db(room_services.queue_add)(room=stage["room"], actor=stage["owner"], track=stage["tracks"][0])
    ear = await join(stage["listener"], stage["room"].pk)
    await ear.send({"type": "playback.ended", "version": 1})
    await ear.send({"type": "sync"})
    state = await ear.receive_type("playback.state")
    assert (state["version"], state["track"]["name"]) == (1, "Song 0")
    await ear.close()


async def test_a_broken_channel_layer_closes_sockets_with_4503_so_clients_reconnect(world):
    """What WatchedPubSubChannelLayer sends every local channel when it lost Redis."""
    socket = await join(world["people"]["member"], world["public"].pk)
    layer = get_channel_layer()
    await layer.group_send(room_events.room_group(world["public"].pk), {"type": "layer.broken"})
    assert await socket.ws.receive_output(timeout=3) == {"type": "websocket.close", "code": 4503}

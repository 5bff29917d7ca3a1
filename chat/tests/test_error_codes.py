"""One rule gives one code on REST and on the room socket: both come from the same domain
error (core/errors.py). Before, REST said `throttled` where the socket said `rate_limited`,
and `permission_denied` where it said `forbidden`."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from chat.tests.conftest import join, token_for
from tunewave.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async


@pytest.fixture
def world(people, public_room):
    return {"people": people, "public": public_room}


async def test_a_refused_message_and_the_chat_limit_read_the_same_on_both(world, as_user):
    member, room = world["people"]["member"], world["public"]
    client = await db(as_user)(member)
    socket = await join(member, room.pk)

    rest = await db(client.post)(f"/chat/{room.pk}", {"text": "   "}, format="json")
    await socket.send({"text": "   "})
    frame = await socket.receive_type("error")
    assert rest.status_code == 400
    assert (rest.json()["code"], rest.json()["detail"]) == (frame["code"], frame["detail"])
    assert frame["code"] == "blank"
    assert rest.json()["errors"] == {"text": ["A message needs some text."]}
    for text in ("", "x" * 2001):  # refused by REST's serializer, by the service on the socket
        rest = await db(client.post)(f"/chat/{room.pk}", {"text": text}, format="json")
        await socket.send({"text": text})
        frame = await socket.receive_type("error")
        assert rest.status_code == 400
        assert (rest.json()["code"], rest.json()["detail"]) == (frame["code"], frame["detail"])
    assert frame["code"] == "max_length"
    assert frame["detail"] == "text: Messages are at most 2000 characters."

    # Refused messages count against the limit on the socket (5 per 5 s, shared); REST's
    # serializer refuses "" and the long one before the limit is asked: four spent, one left.
    for i in range(1):
        assert (await db(client.post)(f"/chat/{room.pk}", {"text": f"m{i}"}, format="json")).status_code == 201
    rest = await db(client.post)(f"/chat/{room.pk}", {"text": "one too many"}, format="json")
    await socket.send({"text": "one too many"})
    frame = await socket.receive_type("error")
    assert rest.status_code == 429
    assert rest.json()["code"] == frame["code"] == "rate_limited"
    assert int(rest["Retry-After"]) >= 1
    assert frame["retry_after"] >= 1
    assert frame["in_reply_to"] == "chat.message"
    await socket.close()


async def test_playback_control_refused_reads_forbidden_on_both(world, as_user):
    member, room = world["people"]["member"], world["public"]
    socket = await join(member, room.pk)
    await socket.send({"type": "playback.pause"})
    frame = await socket.receive_type("error")
    assert frame["code"] == "forbidden"
    # The same rule behind REST: a plain member may not delete someone else's message.
    owner = world["people"]["owner"]
    owners_client = await db(as_user)(owner)
    posted = await db(owners_client.post)(f"/chat/{room.pk}", {"text": "hello"}, format="json")
    client = await db(as_user)(member)
    response = await db(client.delete)(f"/chat/{room.pk}/{posted.json()['id']}")
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only the room's owner or moderators can delete messages.",
        "code": "forbidden",
    }
    await socket.close()


async def test_the_notification_socket_refuses_like_the_room_socket(world):
    member, room = world["people"]["member"], world["public"]
    token = await token_for(member)
    notifications = WebsocketCommunicator(application, f"/ws/notifications/?token={token}")
    assert (await notifications.connect(timeout=5))[0]
    await notifications.receive_json_from()  # notifications.hello
    room_socket = await join(member, room.pk)
    for raw in ("x" * 70_000, "{not json"):
        await notifications.send_to(text_data=raw)
        await room_socket.ws.send_to(text_data=raw)
        assert (await notifications.receive_json_from(timeout=3))["code"] == (await room_socket.receive_type("error"))[
            "code"
        ]
    await notifications.send_to(bytes_data=b"\x00")
    await room_socket.ws.send_to(bytes_data=b"\x00")
    assert (await notifications.receive_json_from(timeout=3))["code"] == (await room_socket.receive_type("error"))[
        "code"
    ]
    await notifications.disconnect()
    await room_socket.close()


async def test_a_refused_chat_message_names_the_message_it_refuses(world):
    """The web app marks the right pending message "Not sent": the refusal echoes its
    client_msg_id (and only a string one, cut to the field's 64 characters)."""
    member, room = world["people"]["member"], world["public"]
    socket = await join(member, room.pk)
    await socket.send({"type": "chat.message", "text": "", "client_msg_id": "c-1"})
    frame = await socket.receive_type("error")
    assert (frame["code"], frame["in_reply_to"], frame["client_msg_id"]) == ("blank", "chat.message", "c-1")
    for i in range(6):  # 5 per 5 s: the fifth after the blank one is refused
        await socket.send({"type": "chat.message", "text": f"m{i}", "client_msg_id": f"id-{i}"})
    frame = await socket.receive_type("error")
    assert (frame["code"], frame["client_msg_id"]) == ("rate_limited", "id-4")
    assert (await socket.receive_type("error"))["client_msg_id"] == "id-5"
    await socket.send({"type": "chat.message", "text": "", "client_msg_id": 7})
    frame = await socket.receive_type("error")
    assert "client_msg_id" not in frame
    await socket.close()

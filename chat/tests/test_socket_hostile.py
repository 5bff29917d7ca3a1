"""Hostile frames on both sockets (issue 11, item 7): each gets an error frame that says what
was wrong, nothing reaches the database, nothing is logged as a server fault, and the socket
stays open for the next frame."""

import json
import logging

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts import services as account_services
from chat.models import Message
from chat.tests.conftest import Socket, join

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async


@pytest.fixture
def room(public_room):
    return public_room


@pytest.fixture
def member(people):
    return people["member"]


@pytest.fixture
def faults(caplog):
    """Every ERROR (a traceback from a frame handler) logged while the test runs."""
    caplog.set_level(logging.WARNING)
    return lambda: [r for r in caplog.records if r.levelno >= logging.ERROR]


async def still_open(socket: Socket) -> None:
    """The socket answers the next good frame."""
    await socket.send({"type": "time.ping", "t0": 7})
    assert (await socket.receive_type("time.pong"))["t0"] == 7


async def error_for(socket: Socket, raw: str) -> dict:
    await socket.ws.send_to(text_data=raw)
    frame = await socket.receive_type("error")
    assert set(frame) >= {"type", "code", "detail"}
    assert frame["detail"]
    return frame


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# --- the frame as a whole -------------------------------------------------------------------


async def test_a_deeply_nested_frame_is_bad_json_and_the_socket_lives_on(room, member, faults):
    socket = await join(member, room.pk)
    frame = await error_for(socket, nested(30_000))
    assert frame["code"] == "bad_json"
    await still_open(socket)
    assert faults() == []
    await socket.close()


@pytest.mark.parametrize(
    "raw",
    [
        '{"type": "time.ping", "t0": NaN}',
        '{"type": "time.ping", "t0": Infinity}',
        '{"type": "time.ping", "t0": 1e400}',  # Python reads it as inf, and would echo Infinity
        '{"type": "time.ping", "t0": 1' + "0" * 5000 + "}",  # past Python's int-parsing limit
    ],
    ids=["nan", "infinity", "overflowing-float", "huge-int-literal"],
)
async def test_numbers_json_does_not_have_are_bad_json(room, member, faults, raw):
    socket = await join(member, room.pk)
    assert (await error_for(socket, raw))["code"] == "bad_json"
    await still_open(socket)
    assert faults() == []
    await socket.close()


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "time.ping", "t0": json.loads(nested(900))},
        {"type": ["chat.message"], "text": "hi"},
        {"type": {"a": 1}},
        {"text": ["hi"]},
        {"text": {"a": "hi"}},
        {"type": "chat.resync", "after_id": {"id": 1}},
        {"type": "playback.seek", "position_ms": [1000]},
    ],
    ids=["deep-field", "type-list", "type-dict", "text-list", "text-dict", "after-id-dict", "position-list"],
)
async def test_containers_where_the_protocol_has_plain_values_are_refused(room, member, faults, frame):
    socket = await join(member, room.pk)
    error = await error_for(socket, json.dumps(frame))
    assert error["code"] in ("bad_request", "invalid", "unknown_type")
    await still_open(socket)
    assert faults() == []
    assert await db(Message.objects.count)() == 0
    await socket.close()


# --- chat.message ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "frame",
    [
        {"text": "a\u0000b"},
        {"text": "a\ud800b"},
        {"text": "\udfff"},
        {"text": "fine", "client_msg_id": "c\u00001"},
        {"text": "fine", "client_msg_id": "c\udc00"},
        {"text": "fine", "client_msg_id": True},
        {"text": "fine", "client_msg_id": 1.5},
    ],
    ids=["nul", "lone-high-surrogate", "lone-low-surrogate", "nul-id", "surrogate-id", "bool-id", "float-id"],
)
async def test_text_the_database_cannot_store_is_a_validation_error(room, member, faults, frame):
    socket = await join(member, room.pk)
    error = await error_for(socket, json.dumps(frame))  # json.dumps escapes them as \u0000, \ud800
    assert error["code"] == "invalid"
    assert error["detail"].startswith(("text:", "client_msg_id:"))
    await still_open(socket)
    assert faults() == []
    assert await db(Message.objects.count)() == 0
    await socket.close()


async def test_a_raw_lone_surrogate_in_the_frame_is_refused_too(room, member, faults):
    """Browsers cannot send one unescaped (frames are UTF-8), but the frame check must not
    trip over it either."""
    socket = await join(member, room.pk)
    error = await error_for(socket, '{"text": "a\ud800"}')
    assert error["code"] == "invalid"
    await still_open(socket)
    assert faults() == []
    await socket.close()


async def test_bad_chat_frames_count_against_the_chat_limit(room, member, faults):
    socket = await join(member, room.pk)
    codes = []
    for _ in range(7):
        codes.append((await error_for(socket, json.dumps({"text": "a\u0000b"})))["code"])
    assert codes[:5] == ["invalid"] * 5
    assert codes[5:] == ["rate_limited"] * 2
    # The limit is the one chat limit: a good message now waits too.
    await socket.send({"text": "hello"})
    error = await socket.receive_type("error")
    assert error["code"] == "rate_limited"
    assert error["retry_after"] >= 1
    assert await db(Message.objects.count)() == 0
    await still_open(socket)
    assert faults() == []
    await socket.close()


async def test_rest_chat_refuses_nul_and_surrogates_with_400(room, member, as_user):
    client = await db(as_user)(member)
    for text in ("a\u0000b", "a\ud800b"):
        body = json.dumps({"text": text})  # escaped: the body itself is valid UTF-8
        response = await db(client.post)(f"/chat/{room.pk}", body, content_type="application/json")
        assert response.status_code == 400, response.content
        assert set(response.json()) >= {"detail", "code", "errors"}
    assert await db(Message.objects.count)() == 0


# --- numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "after_id",
    [1e30, -1, "5", 2**70, True, None, 1.5],
    ids=["float-1e30", "negative", "string", "past-bigint", "bool", "null", "fraction"],
)
async def test_resync_refuses_ids_that_are_not_message_ids(room, member, faults, after_id):
    socket = await join(member, room.pk)
    error = await error_for(socket, json.dumps({"type": "chat.resync", "after_id": after_id}))
    assert error["code"] == "invalid"
    assert error["detail"].startswith("after_id:")
    await still_open(socket)
    assert faults() == []
    await socket.close()


async def test_resync_at_the_largest_id_answers_an_empty_history(room, member):
    socket = await join(member, room.pk)
    await socket.send({"type": "chat.resync", "after_id": 2**63 - 1})
    history = await socket.receive_type("chat.history")
    assert (history["messages"], history["complete"]) == ([], True)
    await socket.close()


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "playback.seek", "position_ms": 1e30},
        {"type": "playback.seek", "position_ms": 2**70},
        {"type": "playback.seek", "position_ms": "60000"},
        {"type": "playback.skip", "version": 2**70},
        {"type": "playback.skip", "version": -1},
        {"type": "playback.ended", "version": 2**70},
        {"type": "playback.ended", "version": "1"},
        {"type": "time.ping", "t0": "now"},
        {"type": "time.ping", "t0": True},
    ],
    ids=[
        "seek-1e30",
        "seek-past-bigint",
        "seek-string",
        "skip-past-bigint",
        "skip-negative",
        "ended-past-bigint",
        "ended-string",
        "ping-string",
        "ping-bool",
    ],
)
async def test_numbers_out_of_range_or_of_the_wrong_type_are_validation_errors(room, people, faults, frame):
    socket = await join(people["owner"], room.pk)  # the owner may control playback
    error = await error_for(socket, json.dumps(frame))
    assert error["code"] == "invalid"
    field = next(k for k in frame if k != "type")
    assert error["detail"].startswith(f"{field}:")
    await still_open(socket)
    assert faults() == []
    await socket.close()


# --- the notification socket ----------------------------------------------------------------


async def open_notifications(user) -> WebsocketCommunicator:
    from tunewave.asgi import application

    token = (await db(account_services.tokens_issue)(user=user))["access"]
    communicator = WebsocketCommunicator(application, f"/ws/notifications/?token={token}")
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    assert (await communicator.receive_json_from())["type"] == "notifications.hello"
    return communicator


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (nested(2000), "bad_json"),  # under the 4 KiB frame cap, deeper than Python recurses
        ("{not json", "bad_json"),
        ('{"type": "ping", "x": NaN}', "bad_json"),
        ("[1, 2]", "bad_request"),
        ('{"type": ["ping"]}', "bad_request"),
        ('{"type": "p\\u0000ing"}', "unknown_type"),
        ('{"type": "\\ud800"}', "unknown_type"),
        ('"\ud800"', "bad_request"),
        ("x" * 5000, "too_large"),
    ],
    ids=["deep", "not-json", "nan", "list", "type-list", "nul-type", "surrogate-type", "raw-surrogate", "too-big"],
)
async def test_the_notification_socket_answers_hostile_frames_and_lives_on(member, faults, raw, code):
    socket = await open_notifications(member)
    await socket.send_to(text_data=raw)
    frame = await socket.receive_json_from(timeout=3)
    assert (frame["type"], frame["code"]) == ("error", code)
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=3) == {"type": "pong"}
    assert faults() == []
    await socket.disconnect()


async def test_the_notification_socket_refuses_binary_frames(member, faults):
    socket = await open_notifications(member)
    await socket.send_to(bytes_data=b"\x00\x01")
    frame = await socket.receive_json_from(timeout=3)
    assert (frame["type"], frame["code"]) == ("error", "unsupported")
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=3) == {"type": "pong"}
    await socket.disconnect()

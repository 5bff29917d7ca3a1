"""docs/asyncapi.yaml is the socket protocol for client authors; these tests hold it to the server.

- The document is valid AsyncAPI 3.0.0 (the official JSON Schema, vendored under
  docs/schemas/), every reference resolves, every operation's messages belong to its channel,
  and every message payload is a valid JSON Schema that its own examples pass.
- A real room socket and a real notification socket are driven through a session; every frame
  the server sends is validated against the document's message of that `type`, every frame the
  test sends against the client message of that `type`, and every server message the document
  lists is seen at least once (so it lists nothing the server never sends).
- The frame types the room consumer dispatches on are exactly the document's client messages,
  and at each documented bound the server accepts what the schema accepts and refuses what it
  refuses.

The web app's side (frontend/src/realtime/*.ts against this document) is checked by
frontend/src/realtime/asyncapi.test.ts.
"""

import asyncio
import itertools
import json
from functools import cache
from pathlib import Path

import jsonschema
import pytest
import yaml
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from accounts.tests.factories import with_uploaded_avatar
from chat import services as chat_services
from chat.consumers import RoomConsumer
from chat.tests.conftest import connect, token_for
from rooms import services as room_services
from social import services as social_services

DOCS = Path(settings.BASE_DIR) / "docs"
BASE_URI = "urn:tunewave:asyncapi"
MAX_BIGINT = 2**63 - 1
MAX_POSITION_MS = 2**31 - 1

db = database_sync_to_async


@cache
def document() -> dict:
    return yaml.safe_load((DOCS / "asyncapi.yaml").read_text(encoding="utf-8"))


def resolve(ref: str):
    """A local reference (`#/a/b`) of the document."""
    assert ref.startswith("#/"), ref
    node = document()
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def deref(node):
    while isinstance(node, dict) and "$ref" in node:
        node = resolve(node["$ref"])
    return node


def _refs(node, path="#"):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield path, value
            else:
                yield from _refs(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _refs(value, f"{path}/{i}")


def message_id(ref: str) -> str:
    """`#/channels/room/messages/x` → the components/messages id it stands for."""
    message_ref = resolve(ref)["$ref"]
    assert message_ref.startswith("#/components/messages/"), message_ref
    return message_ref.rsplit("/", 1)[1]


@cache
def messages(channel: str, action: str) -> dict[str, str]:
    """Frame `type` → components/messages id, for what the server `send`s or `receive`s on `channel`."""
    found: dict[str, str] = {}
    for name, operation in document()["operations"].items():
        if operation["channel"]["$ref"] != f"#/channels/{channel}" or operation["action"] != action:
            continue
        for ref in operation["messages"]:
            mid = message_id(ref["$ref"])
            kind = document()["components"]["messages"][mid]["name"]
            assert found.get(kind, mid) == mid, f"{name}: two messages of type {kind} on {channel}"
            found[kind] = mid
    return found


@cache
def validator(mid: str) -> jsonschema.Draft7Validator:
    registry = Registry().with_resource(BASE_URI, Resource.from_contents(document(), default_specification=DRAFT7))
    return jsonschema.Draft7Validator(
        {"$ref": f"{BASE_URI}#/components/messages/{mid}/payload"},
        registry=registry,
        format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER,
    )


def schema_errors(mid: str, frame) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator(mid).iter_errors(frame)]


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def frame_type(frame: dict) -> str | None:
    """As the room consumer reads it: no `type` but a `text` is a chat message."""
    kind = frame.get("type")
    return "chat.message" if kind is None and "text" in frame else kind


def check_frame(channel: str, action: str, frame: dict) -> None:
    kind = frame_type(frame)
    mid = messages(channel, action).get(kind) if kind is not None else None
    direction = "server → client" if action == "send" else "client → server"
    assert mid is not None, f"{direction} frame type {kind!r} on {channel} is not in docs/asyncapi.yaml: {frame}"
    errors = schema_errors(mid, frame)
    assert not errors, f"{direction} {kind} does not match docs/asyncapi.yaml ({mid}): {errors}\n{frame}"


def close_codes(channel: str) -> set[int]:
    return {entry["code"] for entry in document()["channels"][channel]["x-close-codes"]}


# --- the document itself ------------------------------------------------------------


def test_it_is_valid_asyncapi_3():
    doc = document()
    assert doc["asyncapi"] == "3.0.0"
    official = json.loads((DOCS / "schemas" / "asyncapi-3.0.0.json").read_text(encoding="utf-8"))
    errors = [
        f"{list(e.absolute_path)}: {e.message[:200]}" for e in jsonschema.Draft7Validator(official).iter_errors(doc)
    ]
    assert not errors


def test_the_official_schema_catches_a_broken_document():
    """The vendored schema really validates (a document it would pass anyway proves nothing)."""
    official = json.loads((DOCS / "schemas" / "asyncapi-3.0.0.json").read_text(encoding="utf-8"))
    broken = {**document(), "operations": {"x": {"action": "shout", "channel": {"$ref": "#/channels/room"}}}}
    assert not jsonschema.Draft7Validator(official).is_valid(broken)


def test_every_reference_resolves():
    for where, ref in _refs(document()):
        try:
            resolve(ref)
        except (AssertionError, KeyError, TypeError):
            pytest.fail(f"{where}: $ref {ref!r} does not resolve")


def test_operations_use_their_own_channels_messages():
    doc = document()
    for name, operation in doc["operations"].items():
        channel_ref = operation["channel"]["$ref"]
        assert channel_ref.startswith("#/channels/") and resolve(channel_ref), name
        assert operation["messages"], f"{name} carries no message"
        for ref in operation["messages"]:
            assert ref["$ref"].startswith(channel_ref + "/messages/"), (
                f"{name}: {ref} is not a message of {channel_ref}"
            )
        reply = operation.get("reply")
        if reply is not None:
            for ref in reply["messages"]:
                assert ref["$ref"].startswith(reply["channel"]["$ref"] + "/messages/"), f"{name} reply: {ref}"


def test_every_message_is_used_once_per_direction_and_named_by_its_type():
    doc = document()
    used = {message_id(ref["$ref"]) for op in doc["operations"].values() for ref in op["messages"]}
    assert used == set(doc["components"]["messages"]), "messages no operation sends or receives"
    for channel in doc["channels"]:
        for action in ("send", "receive"):
            for kind, mid in messages(channel, action).items():
                payload = deref(doc["components"]["messages"][mid]["payload"])
                assert payload["properties"]["type"]["const"] == kind, mid


def test_every_payload_is_a_json_schema_and_passes_its_examples():
    components = document()["components"]
    for name, schema in components["schemas"].items():
        jsonschema.Draft7Validator.check_schema(schema)
        assert schema.get("type") or schema.get("anyOf"), f"schema {name} has no type"
    for mid, message in components["messages"].items():
        assert "payload" in message, mid
        jsonschema.Draft7Validator.check_schema(deref(message["payload"]))
        for example in message.get("examples", []):
            assert not schema_errors(mid, example["payload"]), (mid, example)


def test_media_urls_must_be_absolute_or_null():
    """A bare path (what a frame built without a request once carried) breaks the document."""
    user = {"id": "5a3c2b1e-0000-4000-8000-000000000001", "username": "m", "display_name": "M"}
    frame = {
        "type": "chat.message",
        "id": 1,
        "room_id": "5a3c2b1e-0000-4000-8000-000000000002",
        "text": "hi",
        "created_at": "2026-01-01T00:00:00Z",
        "client_msg_id": None,
    }
    mid = messages("room", "send")["chat.message"]
    for avatar_url, valid in [
        ("https://tunewave.example/media/avatars/m.webp", True),
        (None, True),
        ("/media/avatars/m.webp", False),
        ("", False),
    ]:
        errors = schema_errors(mid, {**frame, "user": {**user, "avatar_url": avatar_url}})
        assert (not errors) is valid, (avatar_url, errors)


def test_client_frames_are_flat_as_the_frame_parser_demands():
    """core/frames.py refuses lists and objects in client frames: the schemas do too."""
    for channel in document()["channels"]:
        for mid in messages(channel, "receive").values():
            payload = deref(document()["components"]["messages"][mid]["payload"])
            assert deref(payload["additionalProperties"])["type"] == ["string", "number", "boolean", "null"], mid
            for field, schema in payload["properties"].items():
                options = [deref(s) for s in deref(schema).get("anyOf", [deref(schema)])]
                types = {t for option in options for t in _as_list(option.get("type"))}
                assert not {"array", "object"} & types, f"{mid}.{field} may be a container"


# --- the consumer against the document ----------------------------------------------


def test_the_room_consumer_dispatches_exactly_the_documented_client_frames():
    documented = set(messages("room", "receive"))
    dispatched = set(RoomConsumer.HANDLERS)
    assert dispatched == documented, {
        "dispatched but not in docs/asyncapi.yaml": dispatched - documented,
        "documented but not dispatched": documented - dispatched,
    }


class Client:
    """A socket whose every frame, either way, is checked against docs/asyncapi.yaml."""

    def __init__(self, communicator: WebsocketCommunicator, channel: str, seen: set[str]):
        self.ws = communicator
        self.channel = channel
        self.seen = seen
        self.closed_with: int | None = None
        self._marks = itertools.count(1)

    async def send(self, frame: dict) -> None:
        check_frame(self.channel, "receive", frame)
        await self.ws.send_json_to(frame)

    async def send_raw(self, **kwargs) -> None:
        """A frame the document does not allow: the server must answer with an error."""
        await self.ws.send_to(**kwargs)

    async def receive(self, timeout: float = 5) -> dict | None:
        """The next frame (checked), or None once the server closed the socket."""
        output = await self.ws.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            self.closed_with = output.get("code")
            assert self.closed_with in close_codes(self.channel), f"undocumented close code {self.closed_with}"
            return None
        assert output.get("text") is not None, f"the server sent a binary frame: {output}"
        frame = json.loads(output["text"])
        check_frame(self.channel, "send", frame)
        self.seen.add(frame["type"])
        return frame

    async def receive_type(self, kind: str, timeout: float = 5, **fields) -> dict:
        """The next frame of `kind` (with these field values), checking the ones it skips."""
        while True:
            frame = await self.receive(timeout)
            assert frame is not None, f"closed with {self.closed_with} while waiting for {kind}"
            if frame["type"] == kind and all(frame.get(k) == v for k, v in fields.items()):
                return frame

    async def errors_for(self, frame: dict | None = None, **raw) -> list[dict]:
        """Sends a frame, then a `time.ping` mark; returns the errors that came back in
        between (the consumer handles one frame at a time, in order). Broadcasts in between
        are checked and skipped."""
        if frame is not None:
            await self.ws.send_json_to(frame)
        else:
            await self.ws.send_to(**raw)
        mark = next(self._marks) + 0.5
        await self.send({"type": "time.ping", "t0": mark})
        frames: list[dict] = []
        while True:
            got = await self.receive()
            assert got is not None, f"closed with {self.closed_with}"
            if got["type"] == "time.pong" and got["t0"] == mark:
                return frames
            if got["type"] == "error":
                frames.append(got)

    async def close(self) -> None:
        await self.ws.disconnect()


async def room_client(user, room_id, seen: set[str], path: str = "chat") -> Client:
    communicator, connected = await connect(user, room_id, path=path)
    assert connected
    client = Client(communicator, "room", seen)
    # Documented order: playback.state, then presence, before anything else.
    for expected in ("playback.state", "presence"):
        frame = await client.receive()
        assert frame is not None and frame["type"] == expected, frame
    return client


@pytest.mark.django_db(transaction=True)
async def test_a_room_session_matches_the_document(people, public_room, track, settings):
    # A wide presence window, so that two quick joins are told as one `members.changed`.
    settings.ROOM_PRESENCE_BATCH_SECONDS = 1.5
    settings.ROOM_PRESENCE_PAGE = 1  # so that `presence` has a next page to ask for
    # Uploaded media: the frames that carry them (presence, member events, chat, queue,
    # playback) are held to the document's absolute-URL pattern like every other field.
    people["member"] = await db(with_uploaded_avatar)(people["member"])
    track.audio_url = "/media/demo/so-what.wav"
    await db(track.save)(update_fields=["audio_url"])
    seen: set[str] = set()
    room = public_room
    owner = await room_client(people["owner"], room.pk, seen)
    member = await room_client(people["member"], room.pk, seen)
    moderator = await room_client(people["moderator"], room.pk, seen, path="rooms")
    changed = await owner.receive_type("members.changed")
    assert {u["username"] for u in changed["joined"]} == {"member", "moderator"}

    # The listeners, page by page.
    await moderator.send({"type": "presence.page", "cursor": "0"})
    page = await moderator.receive_type("presence.page")
    assert len(page["online"]) == 1 and page["next"] is not None

    # Clock, state, chat.
    await owner.send({"type": "time.ping", "t0": 1765090000123.25})
    assert (await owner.receive_type("time.pong"))["t0"] == 1765090000123.25
    await owner.send({"type": "sync"})
    await owner.receive_type("playback.state")
    await member.send({"text": "hello", "client_msg_id": "c-1"})
    said = await owner.receive_type("chat.message")
    assert said["user"]["avatar_url"] == f"{settings.PUBLIC_URL}/media/{people['member'].avatar.name}"
    assert (await member.receive_type("chat.message"))["id"] == said["id"]
    await member.send({"type": "chat.message", "text": "hello", "client_msg_id": "c-1"})
    assert (await member.receive_type("chat.message"))["id"] == said["id"]
    await owner.send({"type": "chat.resync", "after_id": 0})
    history = await owner.receive_type("chat.history")
    assert history["complete"] is True and [m["id"] for m in history["messages"]] == [said["id"]]

    # Queue and playback: a track queued in an idle room plays; controls move its version.
    await db(room_services.queue_add)(room=room, actor=people["owner"], track=track)
    await owner.receive_type("queue.updated")
    state = await owner.receive_type("playback.state", status="playing")
    assert state["track"]["audio_url"] == f"{settings.PUBLIC_URL}/media/demo/so-what.wav"
    await owner.send({"type": "playback.pause"})
    state = await owner.receive_type("playback.state", status="paused")
    await owner.send({"type": "playback.seek", "position_ms": 61_000})
    state = await owner.receive_type("playback.state", position_ms=61_000)
    await owner.send({"type": "playback.play"})
    state = await owner.receive_type("playback.state", status="playing")
    # Taking part: a like and a vote to skip (three online: two votes skip), live on every socket.
    await member.send({"type": "reaction", "kind": "like", "version": state["version"]})
    assert (await owner.receive_type("reaction.counts"))["counts"] == {"like": 1}
    await member.send({"type": "playback.vote_skip", "version": state["version"]})
    assert (await owner.receive_type("playback.votes", votes=1))["needed"] == 2
    assert await owner.errors_for({"type": "playback.ended", "version": state["version"]}) == []  # not over yet
    await owner.send({"type": "playback.skip", "version": state["version"]})
    assert (await member.receive_type("playback.state", status="idle"))["version"] > state["version"]
    refused = await member.errors_for({"type": "playback.skip"})
    assert [(f["type"], f["code"], f["in_reply_to"]) for f in refused] == [("error", "forbidden", "playback.skip")]

    # Changes made through the REST API's services reach the socket too.
    await db(room_services.member_role_set)(room=room, actor=people["owner"], target=people["member"], role="moderator")
    await owner.receive_type("member.role_changed")
    await db(room_services.room_update)(room=room, actor=people["owner"], data={"description": "Late and slow"})
    await owner.receive_type("room.updated")
    await db(chat_services.message_delete)(room=room, actor=people["owner"], message_id=said["id"])
    await owner.receive_type("chat.deleted", id=said["id"])

    # Frames the server refuses: an error each, and the socket lives on.
    refusals = [
        ({"text_data": "{not json"}, "bad_json", None),
        ({"text_data": '{"type": "sync", "n": NaN}'}, "bad_json", None),
        ({"text_data": "[1, 2]"}, "bad_request", None),
        ({"text_data": '{"type": "sync", "x": [1]}'}, "bad_request", None),
        ({"text_data": '{"text": "' + "x" * (65 * 1024) + '"}'}, "too_large", None),
        ({"bytes_data": b"\x00\x01"}, "unsupported", None),
        ({"text_data": '{"type": "dance"}'}, "unknown_type", None),
        ({"text_data": '{"type": "chat.resync", "after_id": "x"}'}, "invalid", "chat.resync"),
        ({"text_data": '{"type": "playback.seek", "position_ms": 2147483648}'}, "invalid", "playback.seek"),
        ({"text_data": '{"type": "playback.seek", "position_ms": 5}'}, "conflict", "playback.seek"),
    ]
    for raw, code, in_reply_to in refusals:
        answers = await owner.errors_for(**raw)
        assert [(f["type"], f["code"], f.get("in_reply_to")) for f in answers] == [("error", code, in_reply_to)], raw

    # Asking for resyncs again and again: rate_limited, with retry_after and in_reply_to.
    for _ in range(20):
        await owner.send({"type": "chat.resync", "after_id": 0})
    limited = await owner.receive_type("error", code="rate_limited")
    assert limited["in_reply_to"] == "chat.resync" and limited["retry_after"] > 0

    # Someone comes and goes on their own: member.joined, then member.left.
    await asyncio.sleep(settings.ROOM_PRESENCE_BATCH_SECONDS)
    outsider = await room_client(people["outsider"], room.pk, seen)
    assert (await member.receive_type("member.joined"))["user"]["username"] == "outsider"
    await outsider.close()
    assert (await member.receive_type("member.left"))["user"]["username"] == "outsider"

    # Banned while connected: an error naming why, then 4403. A closed room: room_closed, 4404.
    await db(room_services.ban_create)(room=room, actor=people["owner"], target=people["moderator"], reason="spam")
    await moderator.receive_type("error", code="banned")
    assert await moderator.receive() is None and moderator.closed_with == 4403
    await db(room_services.room_delete)(room=room, actor=people["owner"])
    for client in (owner, member):
        await client.receive_type("error", code="room_closed")
        assert await client.receive() is None and client.closed_with == 4404

    # A server process over its handshake limit: `busy`, then 4429.
    settings.WS_MAX_HANDSHAKES = 0
    communicator, connected = await connect(people["outsider"], room.pk)
    assert connected
    shed = Client(communicator, "room", seen)
    assert (await shed.receive())["type"] == "busy"
    assert await shed.receive() is None and shed.closed_with == 4429

    never_sent = set(messages("room", "send")) - seen
    assert not never_sent, f"docs/asyncapi.yaml lists server frames this session never saw: {never_sent}"


def _bounds() -> list[tuple[dict, bool]]:
    """(frame, valid per the document) at each documented bound."""
    return [
        ({"type": "chat.resync", "after_id": 0}, True),
        ({"type": "chat.resync", "after_id": MAX_BIGINT}, True),
        ({"type": "chat.resync"}, True),
        ({"type": "chat.resync", "after_id": -1}, False),
        ({"type": "chat.resync", "after_id": MAX_BIGINT + 1}, False),
        ({"type": "chat.resync", "after_id": 1.5}, False),
        ({"type": "chat.resync", "after_id": True}, False),
        ({"type": "playback.seek", "position_ms": 0}, True),
        ({"type": "playback.seek", "position_ms": MAX_POSITION_MS}, True),
        ({"type": "playback.seek", "position_ms": MAX_POSITION_MS + 1}, False),
        ({"type": "playback.seek", "position_ms": -1}, False),
        ({"type": "playback.seek"}, False),
        ({"type": "playback.ended", "version": MAX_BIGINT}, True),
        ({"type": "playback.ended"}, False),
        ({"type": "playback.ended", "version": "1"}, False),
        ({"type": "playback.skip", "version": None}, True),
        ({"type": "playback.skip", "version": 0}, True),
        ({"type": "playback.skip", "version": MAX_BIGINT + 1}, False),
        ({"type": "playback.vote_skip", "version": 0}, True),
        ({"type": "playback.vote_skip", "version": MAX_BIGINT}, True),
        ({"type": "playback.vote_skip", "version": MAX_BIGINT + 1}, False),
        ({"type": "playback.vote_skip", "version": None}, False),
        ({"type": "playback.vote_skip"}, False),
        ({"type": "reaction", "kind": "like", "version": 0}, True),
        ({"type": "reaction", "kind": "boo", "version": 0}, False),
        ({"type": "reaction", "version": 0}, False),
        ({"type": "reaction", "kind": "like"}, False),
        ({"type": "time.ping", "t0": 12.5}, True),
        ({"type": "time.ping", "t0": None}, True),
        ({"type": "time.ping", "t0": "soon"}, False),
        ({"type": "time.ping", "t0": False}, False),
        ({"text": "x" * 2000}, True),
        ({"text": "x" * 2001}, False),
        ({"text": ""}, False),
        ({"text": "   "}, False),
        ({"text": "hi", "client_msg_id": "c" * 64}, True),
        ({"text": "hi", "client_msg_id": "c" * 65}, False),
        ({"type": "chat.message"}, False),
        ({"type": "sync", "extra": {"a": 1}}, False),
        ({"type": "presence.page", "cursor": "0"}, True),
        ({"type": "presence.page", "cursor": "f" * 64}, True),
        ({"type": "presence.page", "cursor": "f" * 65}, False),
        ({"type": "presence.page", "cursor": ""}, False),
        ({"type": "presence.page", "cursor": 7}, False),
        ({"type": "presence.page"}, False),
    ]


@pytest.mark.django_db(transaction=True)
async def test_at_each_bound_the_server_accepts_what_the_document_accepts(people, public_room, track, settings):
    """The server's frame validation and the document's schemas draw the same lines."""
    settings.RATELIMIT_ENABLE = False  # the chat limit would refuse the later chat frames
    await db(room_services.queue_add)(room=public_room, actor=people["owner"], track=track)
    owner = await room_client(people["owner"], public_room.pk, set())
    refusing = {"invalid", "blank", "max_length", "bad_request", "bad_json"}
    for frame, valid in _bounds():
        kind = frame_type(frame)
        assert (not schema_errors(messages("room", "receive")[kind], frame)) is valid, f"document: {frame}"
        answers = await owner.errors_for(frame)
        refused = [f for f in answers if f["code"] in refusing]
        assert (not refused) is valid, f"server: {str(frame)[:80]} → {answers}"
    await owner.close()


@pytest.mark.django_db(transaction=True)
async def test_a_notification_session_matches_the_document(people):
    from tunewave.asgi import application

    alice = people["member"]
    token = await token_for(alice)
    communicator = WebsocketCommunicator(application, f"/ws/notifications/?token={token}")
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    seen: set[str] = set()
    client = Client(communicator, "notifications", seen)
    assert (await client.receive())["type"] == "notifications.hello"
    await client.send({"type": "ping"})
    await client.receive_type("pong")
    await client.send_raw(text_data='{"type": "subscribe"}')
    assert (await client.receive_type("error"))["code"] == "unknown_type"
    await client.send_raw(text_data="{nope")
    assert (await client.receive_type("error"))["code"] == "bad_json"
    await client.send_raw(text_data="[]")
    assert (await client.receive_type("error"))["code"] == "bad_request"
    await client.send_raw(text_data='{"type": "ping", "pad": "' + "x" * 5000 + '"}')
    assert (await client.receive_type("error"))["code"] == "too_large"
    await client.send_raw(bytes_data=b"ping")
    assert (await client.receive_type("error"))["code"] == "unsupported"
    await db(social_services.notify)(user=alice, kind="friend_request", text="Bob wants to be friends", data={"a": 1})
    created = await client.receive_type("notification.created")
    assert created["unread_count"] == 1
    await client.close()

    never_sent = set(messages("notifications", "send")) - seen
    assert not never_sent, f"docs/asyncapi.yaml lists server frames this session never saw: {never_sent}"

    anonymous = WebsocketCommunicator(application, "/ws/notifications/")
    await anonymous.connect(timeout=5)
    closed = await anonymous.receive_output(timeout=5)
    assert closed["type"] == "websocket.close" and closed["code"] in close_codes("notifications")

"""`chat.resync` and `sync` are limited per socket (issue 11, item 5): one socket asking again
and again gets a few full answers, then `rate_limited` errors, so what the server sends stays
bounded; a client catching up on a long gap pages on `complete: false` within the limit."""

import json

import pytest
from channels.db import database_sync_to_async

from chat.consumers import RESYNC_BURST, RESYNC_LIMIT
from chat.models import Message
from chat.tests.conftest import Socket, join
from core.ratelimit import TokenBucket

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async
FLOOD = 300


class StillClock:
    now = 0.0


@pytest.fixture
def still_clock(monkeypatch):
    """Sockets' allowances refill only when the test moves this clock, however slow the machine."""
    clock = StillClock()

    class Still(TokenBucket):
        def __init__(self, **kwargs):
            super().__init__(clock=lambda: clock.now, **kwargs)

    monkeypatch.setattr("chat.consumers.TokenBucket", Still)
    return clock


@database_sync_to_async
def fill(room, user, count: int) -> list[int]:
    Message.objects.bulk_create([Message(room=room, user=user, text=f"message {i} " + "x" * 200) for i in range(count)])
    return list(Message.objects.filter(room=room).order_by("id").values_list("id", flat=True))


async def replies(socket: Socket, count: int, kinds: set[str]) -> list[tuple[dict, int]]:
    """The next `count` frames of `kinds`, each with its size in bytes as sent."""
    seen: list[tuple[dict, int]] = []
    while len(seen) < count:
        output = await socket.ws.receive_output(timeout=10)
        frame = json.loads(output["text"])
        if frame["type"] in kinds:
            seen.append((frame, len(output["text"].encode())))
    return seen


async def test_a_resync_flood_gets_a_few_answers_and_then_rate_limited_errors(public_room, people, still_clock):
    await fill(public_room, people["owner"], RESYNC_LIMIT)
    socket = await join(people["member"], public_room.pk)
    for _ in range(FLOOD):
        await socket.ws.send_to(text_data='{"type": "chat.resync", "after_id": 0}')
    answers = await replies(socket, FLOOD, {"chat.history", "error"})

    histories = [(frame, size) for frame, size in answers if frame["type"] == "chat.history"]
    refusals = [frame for frame, _ in answers if frame["type"] == "error"]
    assert len(histories) == RESYNC_BURST
    assert len(refusals) == FLOOD - RESYNC_BURST
    for frame, _ in histories:
        assert len(frame["messages"]) == RESYNC_LIMIT
        assert frame["complete"] is False
    for frame in refusals:
        assert frame["code"] == "rate_limited"
        assert frame["in_reply_to"] == "chat.resync"
        assert frame["retry_after"] >= 1
        assert "messages" not in frame
    one_answer = histories[0][1]
    total = sum(size for _, size in answers)
    assert total < 2 * RESYNC_BURST * one_answer  # it was FLOOD full answers (253 MB in the issue)
    await socket.close()


async def test_after_waiting_a_resync_is_answered_again(public_room, people, still_clock):
    ids = await fill(public_room, people["owner"], 3)
    socket = await join(people["member"], public_room.pk)
    for _ in range(RESYNC_BURST + 1):
        await socket.send({"type": "chat.resync", "after_id": ids[0]})
    await replies(socket, RESYNC_BURST, {"chat.history"})
    refused = (await replies(socket, 1, {"error"}))[0][0]
    assert refused["code"] == "rate_limited"
    still_clock.now += refused["retry_after"]
    await socket.send({"type": "chat.resync", "after_id": ids[0]})
    history = await socket.receive_type("chat.history")
    assert [m["id"] for m in history["messages"]] == ids[1:]
    assert history["complete"] is True
    await socket.close()


async def test_a_long_gap_pages_on_complete_false_within_the_limit(public_room, people):
    ids = await fill(public_room, people["owner"], 2 * RESYNC_LIMIT + 200)
    socket = await join(people["member"], public_room.pk)
    received: list[int] = []
    after = 0
    while True:
        await socket.send({"type": "chat.resync", "after_id": after})
        page = await socket.receive_type("chat.history")
        received += [m["id"] for m in page["messages"]]
        if page["complete"]:
            break
        after = page["messages"][-1]["id"]
    assert received == ids  # three pages, every message once, oldest first
    await socket.close()


async def test_a_single_resync_still_works(public_room, people):
    ids = await fill(public_room, people["owner"], 4)
    socket = await join(people["member"], public_room.pk)
    await socket.send({"type": "chat.resync", "after_id": ids[1]})
    history = await socket.receive_type("chat.history")
    assert [m["id"] for m in history["messages"]] == ids[2:]
    assert history["complete"] is True
    await socket.close()


async def test_a_sync_flood_gets_a_few_states_and_then_rate_limited_errors(public_room, people, still_clock):
    socket = await join(people["member"], public_room.pk)
    for _ in range(FLOOD):
        await socket.ws.send_to(text_data='{"type": "sync"}')
    answers = await replies(socket, FLOOD, {"playback.state", "error"})
    states = [frame for frame, _ in answers if frame["type"] == "playback.state"]
    refusals = [frame for frame, _ in answers if frame["type"] == "error"]
    assert len(states) == RESYNC_BURST
    assert {(f["code"], f["in_reply_to"]) for f in refusals} == {("rate_limited", "sync")}
    await socket.close()


async def test_each_socket_has_its_own_allowance_and_sync_is_apart_from_resync(public_room, people, still_clock):
    first = await join(people["member"], public_room.pk)
    for _ in range(RESYNC_BURST + 1):
        await first.send({"type": "chat.resync", "after_id": 0})
    await replies(first, RESYNC_BURST, {"chat.history"})
    assert (await first.receive_type("error"))["code"] == "rate_limited"
    await first.send({"type": "sync"})  # resyncs spent; syncs are counted apart
    await first.receive_type("playback.state")

    second = await join(people["member"], public_room.pk)  # a second tab of the same user
    await second.send({"type": "chat.resync", "after_id": 0})
    assert (await second.receive_type("chat.history"))["complete"] is True
    await first.close()
    await second.close()


async def test_limits_off_for_load_runs(public_room, people, settings):
    settings.RATELIMIT_ENABLE = False
    socket = await join(people["member"], public_room.pk)
    for _ in range(RESYNC_BURST * 3):
        await socket.send({"type": "sync"})
    assert len(await replies(socket, RESYNC_BURST * 3, {"playback.state"})) == RESYNC_BURST * 3
    await socket.close()

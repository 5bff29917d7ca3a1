"""realtime.group_send_now: from a server's own work (bound by `bind_server_loop`, as
tunewave.asgi and our consumers do) a broadcast is handed to that event loop and the caller
goes on at once; anywhere else (Celery, commands) it is sent there and then."""

import asyncio
import threading

import pytest
from asgiref.sync import sync_to_async

from core import realtime


class RecordingLayer:
    def __init__(self):
        self.sent: list[tuple[str, dict, asyncio.AbstractEventLoop, str]] = []
        self.gate: asyncio.Event | None = None  # when set up, sends wait for it to open

    async def group_send(self, group, event):
        if self.gate is not None:
            await self.gate.wait()
        self.sent.append((group, event, asyncio.get_running_loop(), threading.current_thread().name))


@pytest.fixture
def layer(monkeypatch):
    recorder = RecordingLayer()
    monkeypatch.setattr(realtime, "get_channel_layer", lambda: recorder)
    return recorder


async def eventually(predicate, timeout: float = 2.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


async def test_a_view_or_socket_thread_hands_the_broadcast_to_the_server_loop(layer):
    realtime.bind_server_loop()  # what the ASGI app does when a request or socket starts
    layer.gate = asyncio.Event()  # the loop's send cannot finish until the thread is done

    def sync_work():  # e.g. a service called through sync_to_async
        realtime.group_send_now("room.1", {"type": "chat.message"})
        return threading.current_thread().name

    # A thread that waited for the send would never return: the gate opens only after it.
    worker = await asyncio.wait_for(sync_to_async(sync_work)(), timeout=5)
    assert layer.sent == []
    layer.gate.set()
    await eventually(lambda: layer.sent)
    [(group, event, loop, thread)] = layer.sent
    assert (group, event, loop) == ("room.1", {"type": "chat.message"}, asyncio.get_running_loop())
    assert thread != worker  # sent by the loop's own thread, not the worker's


async def test_broadcasts_from_one_thread_keep_their_order(layer):
    realtime.bind_server_loop()

    def sync_work():
        for n in range(20):
            realtime.group_send_now("room.1", {"type": "m", "n": n})

    await sync_to_async(sync_work)()
    await eventually(lambda: len(layer.sent) == 20)
    assert [event["n"] for _group, event, _loop, _thread in layer.sent] == list(range(20))


async def test_sync_code_on_the_loop_thread_itself_is_queued_too(layer):
    realtime.bind_server_loop()
    realtime.group_send_now("room.1", {"type": "m"})
    await eventually(lambda: layer.sent)
    assert layer.sent[0][2] is asyncio.get_running_loop()


def test_outside_a_server_the_broadcast_is_sent_before_returning(layer):
    """Celery tasks, management commands: no server loop was ever bound here."""
    realtime.group_send_now("room.1", {"type": "m"})
    assert [(group, event) for group, event, _loop, _thread in layer.sent] == [("room.1", {"type": "m"})]


async def test_a_thread_not_started_by_the_server_does_not_use_its_loop(layer):
    realtime.bind_server_loop()
    server_loop = asyncio.get_running_loop()
    done = threading.Event()

    def elsewhere():  # a plain thread: it does not inherit the connection's context
        realtime.group_send_now("room.1", {"type": "m"})
        done.set()

    thread = threading.Thread(target=elsewhere)
    thread.start()
    await asyncio.to_thread(thread.join, 5)
    assert done.is_set()
    assert len(layer.sent) == 1 and layer.sent[0][2] is not server_loop  # sent on its own loop

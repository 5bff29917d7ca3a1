"""What core/layers.py and core/realtime.py rely on from channels_redis, redis-py,
Channels and asgiref, pinned: an upgrade that changes any of it fails here, saying what to
re-check, instead of quietly breaking the Redis-restart watch in production.

`WatchedPubSubChannelLayer` wraps `channels_redis.pubsub.RedisPubSubChannelLayer` and uses
only its public API (new_channel, send, receive, group_add, group_discard, group_send,
flush, serialize, its `hosts` and `serializer_format` options and the serializer registry),
plus a separate redis-py client for CLIENT LIST / INFO. These tests run the bare layer
against a private redis-server (core/testing/redis_server.py), in both modes.
"""

import asyncio
import contextvars
import importlib.metadata
import re
import time
from pathlib import Path

import pytest
from asgiref.sync import SyncToAsync, async_to_sync, sync_to_async
from channels.consumer import get_handler_name
from channels.db import DatabaseSyncToAsync
from channels_redis.pubsub import RedisPubSubChannelLayer
from redis import asyncio as aioredis

from core.layers import BROKEN_EVENT, WatchedPubSubChannelLayer, decode_once_format
from core.testing.redis_server import RedisServer

ROOT = Path(__file__).resolve().parents[2]
GROUP = "room.contract"
RECHECK = "re-check core/layers.py (WatchedPubSubChannelLayer) against the new version"


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture
async def monitor(redis_server):
    client = aioredis.Redis.from_url(redis_server.url)
    yield client
    await client.aclose()


def bare_layer(server: RedisServer, **options) -> RedisPubSubChannelLayer:
    return RedisPubSubChannelLayer(hosts=[server.url], prefix="tw:contract", **options)


def pinned(name: str) -> str:
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        match = re.match(rf"^{re.escape(name)}==(\S+)", line.strip(), re.I)
        if match:
            return match.group(1)
    raise AssertionError(f"requirements.txt does not pin {name}")


@pytest.mark.parametrize("package", ["channels", "channels_redis", "redis", "daphne"])
def test_the_installed_versions_are_the_pinned_ones(package):
    installed = importlib.metadata.version(package)
    assert installed == pinned(package), (
        f"{package} {installed} is installed but requirements.txt pins {pinned(package)}: run this "
        f"module against the new version, {RECHECK}, then update the pin"
    )


async def test_a_group_send_reaches_every_channel_of_another_process_as_one_object(redis_server):
    """The pub/sub layer hands every local channel of a group the same bytes, and decodes them
    with the registry's serializer: DecodeOnceSerializer turns that into one event object, so
    ConsumerMixin.encode_json encodes a broadcast once per process, not once per socket."""
    fmt = decode_once_format("msgpack")
    here, there = bare_layer(redis_server, serializer_format=fmt), bare_layer(redis_server, serializer_format=fmt)
    try:
        channels = [await here.new_channel() for _ in range(2)]
        for channel in channels:
            await here.group_add(GROUP, channel)
        await there.group_send(GROUP, {"type": "chat.message", "text": "hi"})
        first, second = [await asyncio.wait_for(here.receive(c), 3) for c in channels]
        assert first == second == {"type": "chat.message", "text": "hi"}, "group_send across layers"
        assert first is second, f"one broadcast is no longer one object per process: {RECHECK} (DecodeOnceSerializer)"
    finally:
        await here.flush()
        await there.flush()


async def test_the_layer_names_its_pub_sub_connection_with_client_name(redis_server, monitor):
    """The watch finds its connection in CLIENT LIST by the name given in `hosts`."""
    layer = RedisPubSubChannelLayer(hosts=[{"address": redis_server.url, "client_name": "tw:contract:me"}])
    try:
        await layer.new_channel()
        await layer.send("tw:elsewhere", {"type": "x"})
        named = [c for c in await monitor.client_list(_type="pubsub") if c["name"] == "tw:contract:me"]
        assert len(named) == 1, f"expected one pub/sub connection named by `hosts`, got {named}: {RECHECK}"
        server = await monitor.info("server")
        assert server["run_id"], "INFO server has no run_id: the watch tells a restarted Redis by it"
    finally:
        await layer.flush()


async def test_after_a_redis_restart_the_layer_loses_what_was_published_and_tells_no_one(redis_server, monitor):
    """Why the watch exists. channels_redis's pub/sub layer resubscribes by itself once Redis
    is back, but what was published before it did is gone, and its channels hear nothing of it:
    not even the documented on_disconnect / on_reconnect events (never sent in 4.3.0)."""
    layer = bare_layer(redis_server, on_disconnect="redis.disconnect", on_reconnect="redis.reconnect")
    try:
        channel = await layer.new_channel()
        await layer.group_add(GROUP, channel)
        [group_channel] = [c.decode() for c in await monitor.pubsub_channels() if GROUP.encode() in c]
        for _attempt in range(3):
            redis_server.kill()
            redis_server.start()
            raw = aioredis.Redis.from_url(redis_server.url)
            lost, heard, deadline = [], None, time.monotonic() + 10
            try:
                while heard is None and time.monotonic() < deadline:
                    number = len(lost)
                    if await raw.publish(group_channel, layer.serialize({"type": "m", "n": number})):
                        heard = number
                    else:  # nobody subscribed: this one is lost
                        lost.append(number)
                        await asyncio.sleep(0.02)
            finally:
                await raw.aclose()
            assert heard is not None, (
                f"the pub/sub layer no longer resubscribes by itself after a Redis restart: {RECHECK} "
                "(the watch resets it; is that still enough?)"
            )
            if lost:
                break  # it resubscribed only after some messages were published: loss shown
        assert lost, "three restarts and the layer resubscribed before any publish; rerun"
        first = await asyncio.wait_for(layer.receive(channel), 5)
        assert first == {"type": "m", "n": heard}, (
            f"after a restart the channel first heard {first}, not the first message published after "
            f"resubscribing: channels_redis now reports or replays what it missed; {RECHECK} — the "
            "watch may be simpler now (or wrong)"
        )
    finally:
        await layer.flush()


async def test_the_wrapper_notices_a_restart_within_seconds(redis_server):
    """The same restart with the settings' probe_interval (2 s) and probe_timeout (5 s)."""
    layer = WatchedPubSubChannelLayer(hosts=[redis_server.url], prefix="tw:contract", probe_interval=2, probe_timeout=5)
    try:
        channel = await layer.new_channel()
        await layer.group_add(GROUP, channel)
        redis_server.kill()
        redis_server.start()
        assert await asyncio.wait_for(layer.receive(channel), 8) == BROKEN_EVENT
    finally:
        await layer.flush()


async def test_flush_forgets_channels_so_cancelling_their_receive_touches_no_redis(redis_server, monitor):
    """A reset answers pending receives itself, flushes, then cancels the inner receives:
    cancelling must not try to unsubscribe through the dead connection. A live channel's
    cancelled receive, though, must unsubscribe it (that is how a leaving consumer cleans up)."""
    layer = bare_layer(redis_server)
    try:
        leaving = await layer.new_channel()
        task = asyncio.ensure_future(layer.receive(leaving))
        await asyncio.sleep(0.1)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert leaving.encode() not in await monitor.pubsub_channels(), f"a cancelled receive unsubscribes: {RECHECK}"

        stale = await layer.new_channel()
        task = asyncio.ensure_future(layer.receive(stale))
        await asyncio.sleep(0.1)
        redis_server.kill()
        await asyncio.wait_for(layer.flush(), 3)
        started = time.monotonic()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert time.monotonic() - started < 0.5, f"cancelling a flushed channel's receive waited on Redis: {RECHECK}"

        redis_server.start()
        fresh = await layer.new_channel()  # "making it like new"
        await layer.send(fresh, {"type": "after.flush"})
        assert await asyncio.wait_for(layer.receive(fresh), 3) == {"type": "after.flush"}
    finally:
        await layer.flush()


async def test_sync_to_async_runs_in_a_copy_of_the_callers_context():
    """realtime.group_send_now finds the server's loop through a ContextVar set where the
    connection started: asgiref (and Channels' database_sync_to_async) must carry it into
    the worker thread."""
    var = contextvars.ContextVar("contract", default=None)
    var.set("set in the event loop")
    message = "sync_to_async no longer copies contextvars: re-check core/realtime.py (_server_loop)"
    assert await sync_to_async(var.get)() == "set in the event loop", message
    assert issubclass(DatabaseSyncToAsync, SyncToAsync), message  # what consumers' database work runs on


def test_async_to_sync_runs_a_coroutine_from_a_plain_thread():
    """realtime's fallback outside a server (Celery, commands): async_to_sync(group_send)."""

    async def answer():
        return asyncio.get_running_loop() is not None

    assert async_to_sync(answer)() is True


def test_a_layer_broken_event_is_handled_by_layer_broken():
    assert get_handler_name(BROKEN_EVENT) == "layer_broken", "ConsumerMixin.layer_broken closes with 4503"


async def test_a_frame_for_a_socket_the_server_closed_is_dropped_not_raised():
    """Daphne raises autobahn's Disconnected for a send on a protocol it closed (tunewave.serve's
    drain closes sockets under their consumers); a broadcast arriving before the consumer hears
    `websocket.disconnect` must not fail it."""
    from autobahn.exception import Disconnected

    from core.layers import sends_unless_closed

    sent = []

    async def closed(message):
        sent.append(message)
        raise Disconnected("Attempt to send on a closed protocol")

    await sends_unless_closed(closed)({"type": "websocket.send", "text": "late"})
    assert sent == [{"type": "websocket.send", "text": "late"}]

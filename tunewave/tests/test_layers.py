"""The pub/sub channel layer notices when it stops hearing Redis, and says so to every channel.

Each test runs its own `redis-server` (so it can kill or freeze it) and two layer objects,
standing in for two server processes. Runs in both modes: it needs the redis-server binary,
not settings. Where a test needs the probe to go unanswered, it holds back the probe at the
inner layer's public `send`.
"""

import asyncio
import os
import signal

import pytest
import redis

from core.layers import BROKEN_EVENT, PROBE_TYPE, WatchedPubSubChannelLayer
from core.testing.redis_server import RedisServer

GROUP = "room.test"


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    if server.running:
        os.kill(server.process.pid, signal.SIGCONT)  # in case a test froze it
    server.kill()


def make_layer(server: RedisServer, **probe) -> WatchedPubSubChannelLayer:
    probe = {"probe_interval": 0.2, "probe_timeout": 0.5, **probe}
    return WatchedPubSubChannelLayer(hosts=[server.url], prefix="tw:test", **probe)


async def listener(layer) -> str:
    channel = await layer.new_channel()
    await layer.group_add(GROUP, channel)
    return channel


async def receive(layer, channel, timeout: float = 3.0) -> dict:
    return await asyncio.wait_for(layer.receive(channel), timeout)


async def flush(*layers) -> None:
    for layer in layers:
        await layer.flush()


def hold_back_probes(layer: WatchedPubSubChannelLayer) -> None:
    """Probes of `layer` (of the running event loop) never reach Redis, as if lost or stuck
    behind a backlog: sending one waits until the probe gives up."""
    inner = layer._watch().inner
    send = inner.send

    async def send_but_not_probes(channel, message):
        if message.get("type") == PROBE_TYPE:
            await asyncio.Event().wait()
        await send(channel, message)

    inner.send = send_but_not_probes


async def test_a_broadcast_from_one_process_reaches_the_others_channels(redis_server):
    here, there = make_layer(redis_server), make_layer(redis_server)
    try:
        channels = [await listener(here) for _ in range(3)]
        await there.group_send(GROUP, {"type": "chat.message", "text": "hi"})
        for channel in channels:
            assert await receive(here, channel) == {"type": "chat.message", "text": "hi"}
    finally:
        await flush(here, there)


async def test_a_redis_restart_tells_every_channel_and_new_channels_work_after(redis_server):
    here, there = make_layer(redis_server), make_layer(redis_server)
    try:
        channels = [await listener(here) for _ in range(2)]
        redis_server.kill()
        for channel in channels:
            assert await receive(here, channel) == BROKEN_EVENT
        redis_server.start()

        fresh = await listener(here)  # a reconnecting client's new socket
        await there.group_send(GROUP, {"type": "chat.message", "text": "back"})
        assert await receive(here, fresh) == {"type": "chat.message", "text": "back"}
    finally:
        await flush(here, there)


async def test_a_connection_that_came_back_by_itself_is_reported(redis_server):
    """redis-py reconnects and resubscribes on its own, and probes come back again after it;
    what was published meanwhile is lost, so the channels are told all the same."""
    here = make_layer(redis_server)
    try:
        channel = await listener(here)
        await asyncio.sleep(0.5)  # a round or two: the watch knows its connection
        client = redis.Redis.from_url(redis_server.url)
        assert client.client_kill_filter(_type="pubsub") == 1
        client.close()
        assert await receive(here, channel) == BROKEN_EVENT
    finally:
        await flush(here)


async def test_a_probe_that_never_comes_back_is_an_alarm(redis_server):
    """Deaf: nothing arrives, not even the probe."""
    here, there = make_layer(redis_server), make_layer(redis_server)
    try:
        channel = await listener(here)
        hold_back_probes(here)
        assert await receive(here, channel) == BROKEN_EVENT
    finally:
        await flush(here, there)


async def test_a_frozen_redis_is_found(redis_server):
    """A Redis that stops answering (SIGSTOP) without closing anything."""
    here = make_layer(redis_server)
    try:
        channel = await listener(here)
        await asyncio.sleep(0.3)
        os.kill(redis_server.process.pid, signal.SIGSTOP)
        assert await receive(here, channel, timeout=5) == BROKEN_EVENT  # dropping the connection may wait 2 s
    finally:
        redis_server.kill()  # SIGKILL ends a stopped process too
        await flush(here)


async def test_a_quiet_healthy_layer_raises_no_alarm(redis_server):
    here = make_layer(redis_server)
    try:
        channel = await listener(here)
        with pytest.raises(TimeoutError):
            await receive(here, channel, timeout=1.5)  # several probe rounds, no event
    finally:
        await flush(here)


async def test_a_late_probe_on_a_busy_connection_is_not_an_alarm(redis_server):
    """Overloaded, not deaf: the probe doesn't come back in time, but other messages keep
    arriving, so nobody is told to reconnect."""
    here, there = make_layer(redis_server, probe_interval=0.1, probe_timeout=0.2), make_layer(redis_server)
    try:
        channel = await listener(here)
        hold_back_probes(here)
        for i in range(100):  # 2 s of traffic, about ten probe rounds
            await there.group_send(GROUP, {"type": "chat.message", "text": str(i)})
            assert await receive(here, channel) == {"type": "chat.message", "text": str(i)}
            await asyncio.sleep(0.02)
    finally:
        await flush(here, there)


async def test_channels_coming_and_going_raise_no_alarm(redis_server):
    """Subscriptions change all the time (sockets join and leave); the watch must not take a
    half-done unsubscribe for a lost subscription."""
    here = make_layer(redis_server, probe_interval=0.005, probe_timeout=0.5)
    try:
        steady = await listener(here)
        for i in range(300):
            channel = await here.new_channel()
            await here.group_add(f"room.churn{i % 3}", channel)
            await here.group_discard(f"room.churn{i % 3}", channel)
        with pytest.raises(TimeoutError):
            await receive(here, steady, timeout=0.3)  # no layer.broken
    finally:
        await flush(here)

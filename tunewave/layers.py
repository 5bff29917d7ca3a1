"""Channel-layer pieces of our own: a Redis pub/sub layer that notices when it goes deaf,
and a consumer dispatch without Channels' per-event hop to the sync thread.

Why pub/sub: one room broadcast is one PUBLISH and each server process receives it once, where
the core layer pays several Redis round trips per message per process behind one receive
lock (bench/README.md "ws_fanout.py" has the figures).

Why a watched one: channels_redis's pub/sub layer loses its subscriptions when Redis restarts
and says nothing — sockets stay open and never hear another message. `WatchedPubSubChannelLayer`
watches each connection three ways: the receive loop failing, the Redis client reconnecting
underneath it (messages published in the gap are gone), and a probe it publishes to itself
every `probe_interval` seconds that must come back within `probe_timeout`. When any of them
trips, every channel of the process is sent a local `layer.broken` event (consumers close
with 4503 so clients reconnect and resync from the database), and the connection is dropped;
the next subscriber opens a fresh one.
"""

import asyncio
import json
import logging
import uuid

from channels.consumer import get_handler_name
from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer, RedisSingleShardConnection
from channels_redis.utils import _close_redis, _wrap_close, create_pool, decode_hosts
from redis import asyncio as aioredis
from redis.asyncio.client import PubSub

logger = logging.getLogger(__name__)

BROKEN_EVENT = {"type": "layer.broken"}
# Close code for "this server lost its link to the others: reconnect and resync". In the
# application range (autobahn refuses to send 1012 "Service Restart"); like HTTP 503.
CLOSE_RECONNECT = 4503
# (event, its JSON) of the last event a consumer sent; see ConsumerMixin.encode_json.
_last_encoded: tuple[object, str] = (None, "")


class ConsumerMixin:
    """What our socket consumers share.

    `dispatch` calls the handler straight away. Since Channels 4.2, `AsyncConsumer.dispatch`
    awaits `aclose_old_connections()` before every event — a hop to the single thread that
    also runs every database call — so a broadcast to N sockets queues N jobs there. Our
    consumers do all database work through `database_sync_to_async`, which closes stale
    connections around each call already.

    `layer_broken` (sent by `WatchedPubSubChannelLayer`) closes the socket with 4503: the
    client reconnects, and its resync fills in whatever the broken layer dropped.
    """

    async def dispatch(self, message):
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    @classmethod
    async def encode_json(cls, content):
        # A broadcast is one event object shared by every socket of the process (see
        # WatchedPubSubChannelLayer.deserialize): encode it once, not once per socket.
        global _last_encoded
        if content is _last_encoded[0]:
            return _last_encoded[1]
        text = json.dumps(content, default=str)
        _last_encoded = (content, text)
        return text

    async def layer_broken(self, event):
        await self.close(code=CLOSE_RECONNECT)


def _text(name) -> str:
    return name.decode() if isinstance(name, bytes) else name


class _PubSub(PubSub):
    """redis-py's PubSub, telling its owner when its connection came back by itself."""

    def __init__(self, *args, on_reconnect, **kwargs):
        super().__init__(*args, **kwargs)
        self._on_reconnect = on_reconnect

    async def on_connect(self, connection):
        was_subscribed = self.subscribed
        await super().on_connect(connection)
        if was_subscribed:  # a reconnect: whatever was published meanwhile was lost
            self._on_reconnect()


class _WatchedShard(RedisSingleShardConnection):
    def __init__(self, host, channel_layer, *, probe_interval: float, probe_timeout: float):
        super().__init__(host, channel_layer)
        self.probe_interval = probe_interval
        self.probe_timeout = probe_timeout
        self.probe_channel = f"{channel_layer.prefix}probe.{uuid.uuid4().hex}"
        self._probe_reply: asyncio.Future | None = None
        self._watch_task: asyncio.Task | None = None
        self._resetting = False
        self._received = 0  # messages read from Redis: proof of life between probes

    def _ensure_redis(self):
        if self._redis is None:
            self._redis = aioredis.Redis(connection_pool=create_pool(self.host))
            self._pubsub = _PubSub(
                self._redis.connection_pool, event_dispatcher=self._redis._event_dispatcher, on_reconnect=self._lost
            )

    def _ensure_receiver(self):
        super()._ensure_receiver()
        if self._watch_task is None:
            self._watch_task = asyncio.ensure_future(self._watch())

    async def _do_receiving(self):
        while True:
            try:
                if self._pubsub is not None and self._pubsub.subscribed:
                    message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
                    self._receive_message(message)
                else:
                    await asyncio.sleep(0.1)
            except (asyncio.CancelledError, GeneratorExit):
                raise
            except Exception:  # noqa: BLE001 - the connection is gone; start over
                logger.warning("channel layer: receiving from Redis failed", exc_info=True)
                self._lost()
                return

    def _receive_message(self, message):
        if message is not None:
            self._received += 1
        if message is not None and self._probe_reply is not None:
            name = message["channel"]
            if _text(name) == self.probe_channel:
                if not self._probe_reply.done():
                    self._probe_reply.set_result(message["data"])
                return
        super()._receive_message(message)

    async def _watch(self):
        """Every probe_interval: publish a nonce to our own probe channel and expect it back.

        A probe that is late only counts when nothing else arrived meanwhile either: an
        overloaded process (a join storm, a stalled loop) is slow, not deaf, and closing every
        socket would only add a reconnect storm to the overload."""
        loop = asyncio.get_running_loop()
        while True:
            slept_from = loop.time()
            await asyncio.sleep(self.probe_interval)
            if loop.time() - slept_from > self.probe_interval + 1:
                continue  # the loop itself was stalled: nothing to conclude this round
            if not (self._subscribed_to - {self.probe_channel}):
                continue  # nobody listening through this connection: nothing to lose
            async with self._lock:  # not while a (un)subscribe is half done
                intact = self._pubsub is None or self._still_subscribed()
            if not intact:
                logger.warning("channel layer: Redis subscriptions were lost")
                self._lost()
                continue
            nonce = uuid.uuid4().hex.encode()
            self._probe_reply = loop.create_future()
            received_before = self._received
            try:
                async with asyncio.timeout(self.probe_timeout):
                    await self.subscribe(self.probe_channel)
                    await self.publish(self.probe_channel, nonce)
                    while await asyncio.shield(self._probe_reply) != nonce:
                        self._probe_reply = loop.create_future()
            except (asyncio.CancelledError, GeneratorExit):
                raise
            except TimeoutError:
                if self._received == received_before:
                    logger.warning("channel layer: probe %s did not come back", self.probe_channel)
                    self._lost()
            except Exception:  # noqa: BLE001 - Redis refused the probe: the connection is gone
                logger.warning("channel layer: probe %s failed", self.probe_channel, exc_info=True)
                self._lost()
            finally:
                self._probe_reply = None

    def _still_subscribed(self) -> bool:
        """Every channel we think we hold is still subscribed on the client (not lost, nor
        waiting to be unsubscribed)."""
        pubsub = self._pubsub
        held = {_text(name) for name in pubsub.channels} - {_text(name) for name in pubsub.pending_unsubscribe_channels}
        return self._subscribed_to <= held

    def _lost(self):
        if not self._resetting:
            self._resetting = True
            asyncio.ensure_future(self._reset())

    async def _reset(self):
        """Tells every local channel to give up, and drops the connection."""
        try:
            layer = self.channel_layer
            broken = layer.channel_layer.serialize(BROKEN_EVENT)
            for queue in layer.channels.values():
                queue.put_nowait(broken)
            current = asyncio.current_task()
            async with self._lock:
                old, receiver, watcher = self._redis, self._receive_task, self._watch_task
                self._redis = self._pubsub = self._receive_task = self._watch_task = None
                self._subscribed_to = set()
            for task in (receiver, watcher):
                if task is not None and task is not current and not task.done():
                    task.cancel()
            if old is not None:
                try:
                    async with asyncio.timeout(2):
                        await _close_redis(old)
                except Exception:  # noqa: BLE001 - it is already broken
                    logger.debug("channel layer: closing the broken connection failed", exc_info=True)
        finally:
            self._resetting = False

    async def flush(self):
        if self._watch_task is not None:
            self._watch_task.cancel()
            self._watch_task = None
        await super().flush()


class _WatchedLoopLayer(RedisPubSubLoopLayer):
    def __init__(self, *args, probe_interval: float, probe_timeout: float, **kwargs):
        super().__init__(*args, **kwargs)
        self._shards = [
            _WatchedShard(host, self, probe_interval=probe_interval, probe_timeout=probe_timeout)
            for host in decode_hosts(kwargs.get("hosts"))
        ]


class WatchedPubSubChannelLayer(RedisPubSubChannelLayer):
    """`channels_redis.pubsub.RedisPubSubChannelLayer` that tells its consumers when it has
    stopped hearing Redis (see the module docstring). CONFIG: the pub/sub layer's options plus
    `probe_interval` (seconds, default 2) and `probe_timeout` (default 5)."""

    def __init__(self, *args, probe_interval: float = 2.0, probe_timeout: float = 5.0, **kwargs):
        super().__init__(*args, **kwargs)
        self._probe = {"probe_interval": probe_interval, "probe_timeout": probe_timeout}
        self._last_decoded: tuple[bytes | None, dict | None] = (None, None)

    def deserialize(self, message):
        """One broadcast reaches every local channel as the same bytes object: decode it once
        and hand every consumer the same event. Consumers treat events as read-only."""
        if message is self._last_decoded[0]:
            return self._last_decoded[1]
        event = super().deserialize(message)
        self._last_decoded = (message, event)
        return event

    def _get_layer(self):
        loop = asyncio.get_running_loop()
        try:
            return self._layers[loop]
        except KeyError:
            layer = _WatchedLoopLayer(*self._args, **self._kwargs, **self._probe, channel_layer=self)
            self._layers[loop] = layer
            _wrap_close(self, loop)
            return layer

"""Channel-layer pieces of our own: a Redis pub/sub layer that notices when it goes deaf,
and a consumer dispatch without Channels' per-event hop to the sync thread.

Why pub/sub: one room broadcast is one PUBLISH and each server process receives it once, where
the core layer pays several Redis round trips per message per process behind one receive
lock (bench/README.md "ws_fanout.py" has the figures).

Why a watched one: when its connection to Redis drops (a Redis restart, a killed connection),
channels_redis's pub/sub layer reconnects and resubscribes by itself, but whatever was
published meanwhile is gone, and it tells nobody: its documented `on_disconnect` /
`on_reconnect` options are never called (channels_redis 4.3.0; tunewave/tests/
test_layer_contract.py pins both facts). Sockets would stay open and silently miss messages.
`WatchedPubSubChannelLayer` wraps that layer and watches each event loop's connection every
`probe_interval` seconds, from outside, through public interfaces only:

- the connection's identity: the inner layer's connections carry a client name of their own
  (redis-py's `client_name`, passed through channels_redis's `hosts`), and a separate
  redis-py client reads `CLIENT LIST TYPE pubsub` and the server's `run_id`: a pub/sub
  connection that is gone or was replaced (a reconnect, a restarted server) lost messages;
- a probe: a message sent with the inner layer's public `send` to a probe channel of its own
  (made with its public `new_channel`), which must come back through its public `receive`
  within `probe_timeout` — unless other messages arrived meanwhile (a busy process is slow,
  not deaf) or the event loop itself was stalled;
- Redis refusing or not answering either check in time.

When any of them trips, every channel of that event loop receives a local `layer.broken`
event (consumers close with 4503 so clients reconnect and resync from the database), and the
inner layer is flushed (its documented "making it like new"): the next subscriber opens a
fresh connection.
"""

import asyncio
import json
import logging
import uuid
from typing import Any

from autobahn.exception import Disconnected
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from channels_redis.pubsub import RedisPubSubChannelLayer
from channels_redis.serializers import registry
from channels_redis.utils import create_pool, decode_hosts
from redis import asyncio as aioredis
from redis.exceptions import ResponseError

from core import metrics, realtime

logger = logging.getLogger(__name__)

BROKEN_EVENT = {"type": "layer.broken"}
PROBE_TYPE = "layer.probe"
# Close code for "this server lost its link to the others: reconnect and resync". In the
# application range (autobahn refuses to send 1012 "Service Restart"); like HTTP 503.
CLOSE_RECONNECT = 4503
# Seconds a reset waits for the inner layer to drop a broken connection.
FLUSH_TIMEOUT = 2.0
# (event, its JSON) of the last event a consumer sent; see ConsumerMixin.encode_json.
_last_encoded: tuple[object, str] = (None, "")


def _current_task() -> asyncio.Task:
    task = asyncio.current_task()
    if task is None:  # only coroutines run as tasks call this
        raise RuntimeError("not running in an asyncio task")
    return task


def sends_unless_closed(send):
    """The ASGI `send`, dropping what goes to a socket the server has closed: Daphne raises
    autobahn's Disconnected for it, and a consumer hears `websocket.disconnect` only after
    (tunewave.serve's drain closes sockets under their consumers with 4503; a client goes away).
    A broadcast reaching it meanwhile has nowhere to go; it had failed the consumer, with a
    traceback in the log per socket (906 in one bench/ws_storm.py drain)."""

    async def send_unless_closed(message):
        try:
            await send(message)
        except Disconnected:
            pass

    return send_unless_closed


class ConsumerMixin(AsyncWebsocketConsumer):
    """What our socket consumers share.

    `dispatch` calls the handler straight away. Since Channels 4.2, `AsyncConsumer.dispatch`
    awaits `aclose_old_connections()` before every event — a hop to the single thread that
    also runs every database call — so a broadcast to N sockets queues N jobs there. Our
    consumers do all database work through `database_sync_to_async`, which closes stale
    connections around each call already.

    `layer_broken` (sent by `WatchedPubSubChannelLayer`) closes the socket with 4503: the
    client reconnects, and its resync fills in whatever the broken layer dropped.
    """

    async def __call__(self, scope, receive, send):
        realtime.bind_server_loop()  # broadcasts from this socket's database work go to this loop
        return await super().__call__(scope, receive, sends_unless_closed(send))

    async def dispatch(self, message):
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    @classmethod
    async def encode_json(cls, content):
        # A broadcast is one event object shared by every socket of the process (see
        # DecodeOnceSerializer): encode it once, not once per socket.
        global _last_encoded
        if content is _last_encoded[0]:
            return _last_encoded[1]
        text = json.dumps(content, default=str)
        _last_encoded = (content, text)
        return text

    async def layer_broken(self, event):
        await self.close(code=CLOSE_RECONNECT)


class DecodeOnceSerializer:
    """A channels_redis serializer (its documented registry) that decodes one broadcast once.

    The pub/sub layer hands every local channel of a group the same bytes object; this returns
    the same event object for it, so a broadcast to N sockets is decoded once, not N times.
    Consumers treat events as read-only. Wraps the serializer of `base_format`."""

    base_format = "msgpack"

    def __init__(self, *args, **kwargs):
        self._base = registry.get_serializer(self.base_format, *args, **kwargs)
        self._last: tuple[Any, Any] = (None, None)

    def serialize(self, message):
        return self._base.serialize(metrics.stamp_sent(message))  # for the broadcast latency metric

    def deserialize(self, message):
        if message is self._last[0]:
            return self._last[1]
        event = metrics.observe_received(self._base.deserialize(message))  # once per process and event
        self._last = (message, event)
        return event


def decode_once_format(base_format: str) -> str:
    """The registry name of the decode-once serializer over `base_format` (registered here)."""
    name = f"tunewave.decode-once.{base_format}"
    serializer = type(f"DecodeOnce_{base_format}", (DecodeOnceSerializer,), {"base_format": base_format})
    registry.register_serializer(name, serializer)
    return name


class _LoopWatch:
    """One event loop's inner layer (`RedisPubSubChannelLayer`, used through its public API
    only) and the watch over its connection. Redis connections belong to an event loop, so
    `WatchedPubSubChannelLayer` keeps one of these per loop, as channels_redis does."""

    def __init__(self, owner: "WatchedPubSubChannelLayer"):
        self.owner = owner
        # Names this loop's Redis connections, so the watch can find its pub/sub connection in
        # CLIENT LIST (redis-py's `client_name`, through channels_redis's `hosts` entries).
        self.client_name = f"{owner.prefix}watch.{uuid.uuid4().hex[:16]}"
        self.inner = RedisPubSubChannelLayer(
            hosts=[{**host, "client_name": self.client_name} for host in owner.hosts],
            prefix=owner.prefix,
            serializer_format=owner.serializer_format,
            **owner.inner_options,
        )
        self.channels: set[str] = set()  # local channels, told when the connection breaks
        self.told: set[str] = set()  # told while not receiving: their next receive says so
        self.waiting: dict[str, asyncio.Task] = {}  # channel -> the task in its receive
        self.breaking: set[asyncio.Task] = set()  # receives a reset is cancelling
        self.generation = 0  # resets so far
        self.received = 0  # messages heard: proof of life between probes
        self.ready = asyncio.Event()  # clear while a reset is dropping the connection
        self.ready.set()
        self.learning = asyncio.Lock()
        self.task: asyncio.Task | None = None
        self.probe_channel: str | None = None
        self.probe_listener: asyncio.Task | None = None
        self.probe_nonce: str | None = None
        self.probe_reply: asyncio.Future | None = None
        self.identities: dict[int, set[tuple[str, str]]] = {}  # host index -> (run_id, client id)
        self.monitors: dict[int, aioredis.Redis] = {}
        self.client_list_refused = False

    # --- the channel-layer calls -------------------------------------------------------------

    async def settled(self) -> None:
        if not self.ready.is_set():
            await self.ready.wait()

    async def learn_connection(self) -> None:
        """On the first channel of a connection: subscribe the probe and note which pub/sub
        connection is ours now, so that a reconnect before the first round is noticed too.
        Failures are left to that round."""
        if self.probe_channel is not None:
            return
        async with self.learning:
            if self.probe_channel is not None:
                return
            try:
                async with asyncio.timeout(self.owner.probe_timeout):
                    await self._start_probe()
                    await self._check_connections()
            except Exception:  # noqa: BLE001 - the watch's next round finds out what is wrong
                logger.debug("channel layer: learning the new connection failed", exc_info=True)

    def listening(self, channel: str) -> None:
        self.channels.add(channel)
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self._run())

    async def receive(self, channel: str) -> dict:
        """The inner layer's `receive`, which a reset answers with `layer.broken` instead: it
        cancels the waiting receive (after flushing the inner layer, so that cancelling it
        touches no Redis) and this turns that cancellation into the event."""
        if not self.ready.is_set():
            await self.ready.wait()
        if channel in self.told:
            self.told.discard(channel)
            return dict(BROKEN_EVENT)
        generation = self.generation
        task = _current_task()
        self.listening(channel)
        self.waiting[channel] = task
        try:
            message = await self.inner.receive(channel)
        except asyncio.CancelledError:
            if task in self.breaking:
                self.breaking.discard(task)
                if task.uncancel() == 0:  # cancelled by the reset alone
                    return dict(BROKEN_EVENT)
            else:  # the consumer is leaving; the inner receive unsubscribed the channel
                self.channels.discard(channel)
            raise
        finally:
            if self.waiting.get(channel) is task:
                del self.waiting[channel]
        if generation != self.generation:  # heard on the connection a reset is dropping
            return dict(BROKEN_EVENT)
        self.received += 1
        return message

    async def close(self) -> None:
        """For the layer's `flush`: stops the watch and flushes the inner layer."""
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            self.task = None
        await self._close_monitors()
        await self.inner.flush()
        if self.probe_listener is not None:
            self.probe_listener.cancel()
        self.probe_channel = self.probe_listener = None

    # --- the watch ---------------------------------------------------------------------------

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        interval = self.owner.probe_interval
        # Stops on cancel() even where the CancelledError got lost: Python 3.11's
        # asyncio.wait_for (which redis-py uses for socket timeouts) drops a cancel that lands
        # as the awaited operation finishes. cancelling() keeps counting it.
        task = _current_task()
        try:
            while not task.cancelling():
                slept_from = loop.time()
                await asyncio.sleep(interval)
                if loop.time() - slept_from > interval + 1:
                    continue  # the loop itself was stalled: nothing to conclude this round
                reason = await self._check()
                if reason is not None and not task.cancelling():
                    await self._reset(reason)
        finally:
            await self._close_monitors()

    async def _check(self) -> str | None:
        """Why this loop's connection can no longer be trusted, or None if it can."""
        if self.probe_channel is None and not self.channels:
            return None  # nothing subscribed through this loop: nothing to lose
        timeout = self.owner.probe_timeout
        try:
            async with asyncio.timeout(timeout):
                if self.probe_channel is None:
                    await self._start_probe()
                reason = await self._check_connections()
        except TimeoutError:
            return f"Redis did not answer within {timeout} s"
        except Exception as exc:  # noqa: BLE001 - Redis refused: the connection is gone
            return f"Redis refused ({exc!r})"
        if reason is not None or not self.channels:
            return reason
        return await self._probe()

    async def _start_probe(self) -> None:
        channel = await self.inner.new_channel("probe.")
        self.probe_channel = channel
        self.probe_listener = asyncio.get_running_loop().create_task(self._hear_probes(channel))

    async def _hear_probes(self, channel: str) -> None:
        while True:
            message = await self.inner.receive(channel)
            self.received += 1
            reply = self.probe_reply
            if reply is not None and not reply.done() and message.get("nonce") == self.probe_nonce:
                reply.set_result(None)

    async def _probe(self) -> str | None:
        """Sends a nonce to the probe channel and expects it back within probe_timeout.

        A probe that is late only counts when nothing else arrived meanwhile either: an
        overloaded process (a join storm, a stalled loop) is slow, not deaf, and closing every
        socket would only add a reconnect storm to the overload."""
        loop = asyncio.get_running_loop()
        timeout = self.owner.probe_timeout
        deadline = loop.time() + timeout
        nonce = uuid.uuid4().hex
        reply = self.probe_reply = loop.create_future()
        self.probe_nonce = nonce
        received_before = self.received
        try:
            async with asyncio.timeout_at(deadline):
                await self.inner.send(self.probe_channel, {"type": PROBE_TYPE, "nonce": nonce})
            # Waited for without cancelling anything: a timeout's cancel can get lost in
            # redis-py (see _run), and this wait must end whatever happened to the send's.
            await asyncio.wait([reply], timeout=max(0.0, deadline - loop.time()))
        except TimeoutError:
            pass  # the send itself did not finish in time: judged below like a lost reply
        except Exception as exc:  # noqa: BLE001 - Redis refused the probe: the connection is gone
            return f"probe {self.probe_channel} failed ({exc!r})"
        finally:
            self.probe_nonce = self.probe_reply = None
        if not reply.done() and self.received == received_before:
            return f"probe {self.probe_channel} did not come back within {timeout} s"
        return None

    def _monitor(self, index: int) -> aioredis.Redis:
        monitor = self.monitors.get(index)
        if monitor is None:
            host = {**self.owner.hosts[index], "socket_timeout": self.owner.probe_timeout}
            monitor = self.monitors[index] = aioredis.Redis(connection_pool=create_pool(host))
        return monitor

    async def _check_connections(self) -> str | None:
        """Every pub/sub connection of ours seen before is still there, on the same server run.

        A connection that vanished or was replaced (redis-py reconnects and resubscribes by
        itself; a restarted server reuses client ids, hence its run_id) missed whatever was
        published in between."""
        if self.client_list_refused:
            return None
        for index in range(len(self.owner.hosts)):
            try:
                async with self._monitor(index).pipeline(transaction=False) as pipe:
                    pipe.info("server")
                    pipe.client_list(_type="pubsub")
                    server, clients = await pipe.execute()
            except ResponseError as exc:  # e.g. an ACL without CLIENT: the probe still watches
                logger.warning("channel layer: CLIENT LIST refused (%s); only the probe watches Redis", exc)
                self.client_list_refused = True
                return None
            ours = {(server["run_id"], client["id"]) for client in clients if client.get("name") == self.client_name}
            known = self.identities.setdefault(index, set())
            if known - ours:
                return f"the pub/sub connection to Redis host #{index} was dropped or replaced"
            known |= ours
        return None

    async def _close_monitors(self) -> None:
        monitors, self.monitors = self.monitors, {}
        for monitor in monitors.values():
            try:
                await monitor.aclose()
            except Exception:  # noqa: BLE001 - closing a broken client
                logger.debug("channel layer: closing a monitor client failed", exc_info=True)

    async def _reset(self, reason: str) -> None:
        """Tells every local channel to give up, and drops the connection."""
        logger.warning("channel layer: %s; telling %d local channel(s) to reconnect", reason, len(self.channels))
        self.ready.clear()
        try:
            self.generation += 1
            waiting, self.waiting = self.waiting, {}
            self.told |= self.channels - waiting.keys()
            self.channels = set()
            self.breaking = set(waiting.values())
            probe_listener, self.probe_channel, self.probe_listener = self.probe_listener, None, None
            self.identities.clear()
            await self._close_monitors()
            try:
                async with asyncio.timeout(FLUSH_TIMEOUT):
                    await self.inner.flush()  # "making it like new": every channel forgotten
            except Exception:  # noqa: BLE001 - it is already broken
                logger.debug("channel layer: flushing the broken connection failed", exc_info=True)
            # Forgotten by the flush, so cancelling their receives unsubscribes nothing.
            for task in self.breaking:
                task.cancel()
            if probe_listener is not None:
                probe_listener.cancel()
        finally:
            self.ready.set()


class WatchedPubSubChannelLayer:
    """`channels_redis.pubsub.RedisPubSubChannelLayer`, wrapped so that it tells its consumers
    when it has stopped hearing Redis (see the module docstring). CONFIG: the pub/sub layer's
    options plus `probe_interval` (seconds, default 2) and `probe_timeout` (default 5)."""

    extensions = ["groups", "flush"]

    def __init__(
        self,
        hosts=None,
        prefix: str = "asgi",
        *,
        probe_interval: float = 2.0,
        probe_timeout: float = 5.0,
        serializer_format: str = "msgpack",
        **options,
    ):
        self.hosts = decode_hosts(hosts)
        self.prefix = prefix
        self.probe_interval = probe_interval
        self.probe_timeout = probe_timeout
        self.serializer_format = decode_once_format(serializer_format)
        self.inner_options = options
        self._watches: dict[asyncio.AbstractEventLoop, _LoopWatch] = {}

    def _watch(self) -> _LoopWatch:
        loop = asyncio.get_running_loop()
        watch = self._watches.get(loop)
        if watch is None:
            for closed in [other for other in self._watches if other.is_closed()]:
                del self._watches[closed]
            watch = self._watches[loop] = _LoopWatch(self)
        return watch

    async def new_channel(self, prefix: str = "specific.") -> str:
        watch = self._watch()
        await watch.settled()
        channel = await watch.inner.new_channel(prefix)
        watch.listening(channel)
        await watch.learn_connection()
        return channel

    async def send(self, channel: str, message: dict) -> None:
        await self._watch().inner.send(channel, message)

    async def receive(self, channel: str) -> dict:
        return await self._watch().receive(channel)

    async def group_add(self, group: str, channel: str) -> None:
        watch = self._watch()
        await watch.settled()
        if channel in watch.told:
            return  # the connection it was made on is gone; its next receive says so
        await watch.inner.group_add(group, channel)

    async def group_discard(self, group: str, channel: str) -> None:
        await self._watch().inner.group_discard(group, channel)

    async def group_send(self, group: str, message: dict) -> None:
        await self._watch().inner.group_send(group, message)

    async def flush(self) -> None:
        """Stops this event loop's watch and flushes its inner layer (closing its connections)."""
        watch = self._watches.pop(asyncio.get_running_loop(), None)
        if watch is not None:
            await watch.close()

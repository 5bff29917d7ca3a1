"""The one way services broadcast: a channel-layer group_send after the transaction commits.

Nothing is broadcast for a change that might still roll back, and a channel layer that is
down never fails the write that caused the event (the database is the source of truth;
clients resync from it).
"""

import asyncio
import contextvars
import logging
import os
import weakref
from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

# Per server event loop: the queue of broadcasts handed over by worker threads.
_outboxes: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Queue]" = weakref.WeakKeyDictionary()


# The server's event loop (and the process it runs in), set at the start of every connection
# the server handles (`bind_server_loop`). asgiref's sync_to_async runs sync code in a copy of
# the caller's context, so a view or a socket's database work sees it too; Celery, commands
# and shells never set it.
_server_loop_var: contextvars.ContextVar[tuple[asyncio.AbstractEventLoop, int] | None] = contextvars.ContextVar(
    "tunewave_server_loop", default=None
)


def bind_server_loop() -> None:
    """Records the running event loop as this connection's server loop (see `group_send_now`)."""
    _server_loop_var.set((asyncio.get_running_loop(), os.getpid()))


def with_server_loop(app):
    """ASGI middleware: `bind_server_loop` for every HTTP request and socket of `app`."""

    async def application(scope, receive, send):
        bind_server_loop()
        return await app(scope, receive, send)

    return application


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop of the server process when called from work it started (a view, a
    socket's database work, both run by sync_to_async); None elsewhere (Celery, commands, shells)."""
    bound = _server_loop_var.get()
    if bound is None:
        return None
    loop, pid = bound
    if pid != os.getpid() or loop.is_closed() or not loop.is_running():
        return None
    return loop


def _post(layer, group: str, event: dict[str, Any]) -> None:
    """Runs on the server loop: queues the broadcast for that loop's one sender task."""
    loop = asyncio.get_running_loop()
    queue = _outboxes.get(loop)
    if queue is None:
        queue = _outboxes[loop] = asyncio.Queue()
        loop.create_task(_send_in_order(queue))
    queue.put_nowait((layer, group, event))


async def _send_in_order(queue: asyncio.Queue) -> None:
    while True:
        layer, group, event = await queue.get()
        try:
            await layer.group_send(group, event)
        except Exception:  # noqa: BLE001 - a broken layer loses this broadcast; clients resync
            logger.warning("group_send to %s failed", group, exc_info=True)


# Called with (group, event) before each broadcast, in the sending thread (after the commit):
# e.g. rooms.room_view, which learns there that a room's joins must read it afresh.
_send_hooks: list[Callable[[str, dict[str, Any]], None]] = []


def add_send_hook(hook: Callable[[str, dict[str, Any]], None]) -> None:
    """Registers `hook` (once; at start-up, from an app's `ready`)."""
    if hook not in _send_hooks:
        _send_hooks.append(hook)


def group_send_now(group: str, event: dict[str, Any]) -> None:
    """Broadcasts `event`. In a server process the send is handed to its event loop and this
    returns at once: the thread (and the request or socket frame it serves) does not wait
    while the loop is busy fanning out earlier events; one task per loop sends them in order."""
    for hook in _send_hooks:
        try:
            hook(group, event)
        except Exception:  # noqa: BLE001 - a hook's failure must not lose the broadcast
            logger.warning("a send hook failed for %s", group, exc_info=True)
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _server_loop()
    if loop is not None:
        try:
            on_loop = asyncio.get_running_loop() is loop
        except RuntimeError:  # no loop in this thread: a sync_to_async thread
            on_loop = False
        try:
            if on_loop:  # sync code called straight from the loop's own thread
                _post(layer, group, event)
            else:
                loop.call_soon_threadsafe(_post, layer, group, event)
            return
        except RuntimeError:  # the loop closed in between
            pass
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:  # noqa: BLE001 - a broken layer must not break the request that wrote
        logger.warning("group_send to %s failed", group, exc_info=True)


def send_on_commit(group: str, event: dict[str, Any] | Callable[[], dict[str, Any]]) -> None:
    """`event` may be a callable: it is then built after commit, from committed data."""

    def send():
        try:
            payload = event() if callable(event) else event
        except Exception:  # noqa: BLE001 - e.g. the room was deleted in between
            logger.warning("building the event for %s failed", group, exc_info=True)
            return
        group_send_now(group, payload)

    transaction.on_commit(send)

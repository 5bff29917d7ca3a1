"""TuneWave's ASGI application with one change, for bench/ws_fanout.py's "-direct" configs.

    daphne bench.asgi_direct:application

Since Channels 4.2, `AsyncConsumer.dispatch` awaits `aclose_old_connections()` before every
handler: a hop to the single thread-sensitive sync thread for each event each socket
receives, so a broadcast to N sockets queues N jobs on that thread (the same thread that runs
every database call). The room consumer does all its database work through
`database_sync_to_async`, which closes stale connections around each call already, so here
its `dispatch` skips that hop. This module measures what that change would be worth; it is
not used by TuneWave itself.
"""

# isort: off
from tunewave.asgi import application  # noqa: F401 - sets Django up first, so it comes first
from channels.consumer import get_handler_name  # noqa: E402
from chat.consumers import RoomConsumer  # noqa: E402

# isort: on


async def _dispatch(self, message):
    handler = getattr(self, get_handler_name(message), None)
    if handler is None:
        raise ValueError(f"No handler for message type {message['type']}")
    await handler(message)


RoomConsumer.dispatch = _dispatch

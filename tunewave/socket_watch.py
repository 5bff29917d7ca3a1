"""How a WebSocket session went, read off its ASGI messages: one rule for the middlewares that
report on sessions (tunewave.metrics counts them, tunewave.logging writes their access line)."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class SocketSession:
    accepted: bool = False
    # The first close: the code the server sent, or the one the client's disconnect carried.
    close_code: int | None = None
    closed_by: str | None = None  # "server" or "client"

    def ended(self, code: int, by: str) -> None:
        if self.close_code is None:
            self.close_code, self.closed_by = code, by


def watch(
    receive: Callable[[], Awaitable[Any]],
    send: Callable[[Any], Awaitable[Any]],
    *,
    on_accept: Callable[[], None] | None = None,
) -> tuple[SocketSession, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[Any]]]:
    """The session's facts, and `receive` / `send` that keep them (`on_accept` runs once, at
    the accept). A close without a code counts as 1000 from the server, 1005 from the client."""
    session = SocketSession()

    async def watched_receive() -> Any:
        message = await receive()
        if message.get("type") == "websocket.disconnect":
            session.ended(message.get("code") or 1005, "client")
        return message

    async def watched_send(message: Any) -> Any:
        kind = message.get("type")
        if kind == "websocket.accept" and not session.accepted:
            session.accepted = True
            if on_accept is not None:
                on_accept()
        elif kind == "websocket.close":
            session.ended(message.get("code") or 1000, "server")
        return await send(message)

    return session, watched_receive, watched_send

"""The request id: one id for an HTTP request or a socket session, and for the tasks it enqueues.

nginx gives every request an id (`X-Request-ID`); the HTTP middleware and the socket-session
middleware (tunewave/logging.py) take it, or make one, and bind it here for as long as the
request or session runs. `core.background` copies it into the headers of every task published
meanwhile and binds it again in the worker while the task runs. A logging filter puts the bound
id on every log record, so one grep finds a request, its socket and its tasks.
"""

import re
import uuid
from contextvars import ContextVar, Token

# The Celery message header that carries the id from the publisher to the worker.
TASK_HEADER = "tunewave_request_id"

# What an incoming id may look like: nginx's $request_id is 32 hex digits; a proxy or client may
# send a UUID or similar. Anything else (long, spaces, quotes, control characters) is replaced,
# so a client cannot write arbitrary text into the logs.
_SANE = re.compile(r"[A-Za-z0-9._:-]{8,128}")

_current: ContextVar[str | None] = ContextVar("tunewave_request_id", default=None)


def request_id_new() -> str:
    return uuid.uuid4().hex


def request_id_accept(incoming: str | bytes | None) -> str:
    """The incoming id when it is sane, otherwise a new one."""
    if isinstance(incoming, bytes):
        incoming = incoming.decode("latin-1")
    if incoming and _SANE.fullmatch(incoming):
        return incoming
    return request_id_new()


def request_id_get() -> str | None:
    return _current.get()


def request_id_bind(value: str | None) -> Token[str | None]:
    return _current.set(value)


def request_id_unbind(token: Token[str | None]) -> None:
    _current.reset(token)

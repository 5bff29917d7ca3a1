"""What TuneWave's logs say, and what they never say.

Credentials: Daphne and Django log request paths; a WebSocket URL carries `?token=…` and an
OAuth redirect carries `code=`/`state=`. `RedactTokensFilter` rewrites those values before any
handler writes the record, and both formatters redact the whole line again (extra fields and
tracebacks included). Sentry events go through the same redaction (`sentry_before_send`).

Format: human-readable lines by default (`make run`); one JSON object per line with
`LOG_FORMAT=json` (the Docker image and deploy/stack.sh), which every record gets, with the
request id of the request, socket session or task it belongs to (core/request_id.py).

Access lines: one per HTTP request (tunewave.middleware.RequestLogMiddleware) and one per socket
session (`SocketSessionLogMiddleware` below), both on the `tunewave.access` logger.
"""

import json
import logging
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sentry_sdk

from core.request_id import request_id_accept, request_id_bind, request_id_get, request_id_unbind
from tunewave.socket_watch import watch

_SECRET_PARAMS = re.compile(
    r"(?P<key>\b(?:token|ticket|access|refresh|code|state|access_token|refresh_token)=)[^&\s\"']+",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+")

access_logger = logging.getLogger("tunewave.access")


def redact(text: str) -> str:
    return _BEARER.sub(r"\1[redacted]", _SECRET_PARAMS.sub(r"\g<key>[redacted]", text))


class RedactTokensFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


class RequestIdFilter(logging.Filter):
    """Puts the bound request id (or None) on every record as `request_id`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_get()
        return True


# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, request_id, then the `extra=` fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_") and value is not None:
                line[key] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc"] = record.exc_text
        return redact(json.dumps(line, default=str, ensure_ascii=False))


class HumanFormatter(logging.Formatter):
    """`LEVEL logger [request id] message`, for a developer's terminal."""

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None)
        prefix = f"{record.levelname} {record.name}" + (f" [{request_id}]" if request_id else "")
        text = f"{prefix} {record.getMessage()}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return redact(text)


def _header(scope: dict[str, Any], name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value
    return None


_ROOM_PATH = re.compile(r"^/?ws/(?:chat|rooms)/(?P<room_id>[^/]+)")


class SocketSessionLogMiddleware:
    """One access line per WebSocket session: path, room id, accepted or refused, the close code
    (whoever closed), duration and user. Sits inside the authentication middleware (so the scope
    has the user) around the URL router; binds the session's request id (nginx's `X-Request-ID`
    on the upgrade request, or a new one) for everything the session logs or enqueues."""

    def __init__(self, app: Callable[..., Any]):
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> Any:
        if scope.get("type") != "websocket":
            return await self.app(scope, receive, send)
        request_id = request_id_accept(_header(scope, b"x-request-id"))
        token = request_id_bind(request_id)
        started = time.monotonic()
        session, watched_receive, watched_send = watch(receive, send)

        try:
            return await self.app(scope, watched_receive, watched_send)
        finally:
            path = scope.get("path", "")
            room = _ROOM_PATH.match(path)
            user = scope.get("user")
            user_id = str(user.pk) if user is not None and getattr(user, "is_authenticated", False) else None
            duration_ms = round((time.monotonic() - started) * 1000, 1)
            access_logger.info(
                "WS %s %s %s %.1fms",
                path,
                "accepted" if session.accepted else "refused",
                session.close_code,
                duration_ms,
                extra={
                    "event": "ws_session",
                    "path": path,
                    "room_id": room["room_id"] if room else None,
                    "accepted": session.accepted,
                    "close_code": session.close_code,
                    "closed_by": session.closed_by,
                    "duration_ms": duration_ms,
                    "user_id": user_id,
                    "request_id": request_id,
                },
            )
            request_id_unbind(token)


# Sentry (optional: SENTRY_DSN). Events carry request headers, cookies, query strings, URLs in
# messages and breadcrumbs, and local variables; all of it goes through the logs' redaction,
# and values under credential-like keys are replaced whatever they look like.
_SECRET_KEYS = {
    "authorization",
    "proxy-authorization",
    "cookie",
    "cookies",
    "set-cookie",
    "x-csrftoken",
    "csrftoken",
    "sessionid",
    "password",
    "token",
    "access_token",
    "refresh_token",
    "ticket",
    "access",
    "refresh",
    "secret",
    "client_secret",
    "api_key",
}
FILTERED = "[redacted]"


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: FILTERED if str(key).lower() in _SECRET_KEYS else _scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        # Sentry sends headers as [name, value] pairs in some integrations.
        if len(value) == 2 and isinstance(value[0], str) and value[0].lower() in _SECRET_KEYS:
            return [value[0], FILTERED]
        return [_scrub(item) for item in value]
    return value


def sentry_before_send(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    return _scrub(event)


def sentry_init(*, dsn: str, environment: str, release: str | None) -> None:
    """Called by settings only when SENTRY_DSN is set."""
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        send_default_pii=False,
        before_send=sentry_before_send,  # type: ignore[arg-type]
        before_breadcrumb=lambda crumb, hint: _scrub(crumb),
    )

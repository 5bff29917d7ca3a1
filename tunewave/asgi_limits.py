"""Request bodies refused before Django reads them: size by path, and anonymous avatar uploads.

Django's ASGI handler reads the whole body into a spooled file before any middleware or
view runs, and DRF's multipart parser copies it again, so a 50 MB POST cost hundreds of MB
even when the answer was a 401. This middleware sits in front of Django and answers from
the headers alone:

- `Content-Length` over the path's limit: 413 (JSON error shape), nothing read;
- a body that streams past the limit without a `Content-Length` (chunked): 413 as soon as
  it crosses the limit, and the app is told the client went away;
- `POST /users/me/avatar` or `POST /track/upload` without a valid access token: 401, nothing
  read. `/track/upload` takes UPLOAD_MAX_BYTES plus the form around it, and says
  `upload_too_large` as music.uploads does for a file over the cap.

Daphne buffers a whole request body before the app sees it (README, "Deployment"), so what
this saves is Django's copies; nginx's `client_max_body_size` keeps the rest away.
"""

import json
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import TokenError

from tunewave.middleware import wants_json

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

AVATAR_PATH = "/users/me/avatar"
TRACK_UPLOAD_PATH = "/track/upload"
# Room for the multipart framing (boundaries, part headers, a CSRF field from a form) around a
# file of AVATAR_MAX_BYTES, so a 5 MB image still reaches the avatar service's own check.
MULTIPART_OVERHEAD = 64 * 1024
_UPLOAD_METHODS = {"POST", "PUT", "PATCH"}
# Signature, expiry and token type only: no cache or database on the event loop. The view's
# authentication still runs in full (deny-list, active user) for requests let through.
_jwt = JWTAuthentication()


def body_limit(path: str) -> int:
    """Bytes a request body to `path` may have."""
    upload = settings.AVATAR_MAX_BYTES + MULTIPART_OVERHEAD
    if path.rstrip("/") == TRACK_UPLOAD_PATH:
        return settings.UPLOAD_MAX_BYTES + MULTIPART_OVERHEAD
    if path.rstrip("/") == AVATAR_PATH or path.startswith("/admin/"):
        return max(upload, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value
    return None


def _has_valid_access_token(scope: Scope) -> bool:
    header = _header(scope, b"authorization")
    if not header:
        return False
    try:
        raw = _jwt.get_raw_token(header)
        if raw is None:
            return False
        _jwt.get_validated_token(raw)
    except (TokenError, AuthenticationFailed, ValueError):  # InvalidToken is an AuthenticationFailed
        return False
    return True


class BodyLimitMiddleware:
    """ASGI middleware around the HTTP app; WebSocket and lifespan pass straight through."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        limit = body_limit(path)
        declared = _header(scope, b"content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                length = -1
            if length < 0:
                await _respond(send, path, 400, "The Content-Length header is not a number.", "bad_request")
                return
            if length > limit:
                await _respond(send, path, 413, _too_large(limit), _too_large_code(path))
                return
        if scope.get("method") in _UPLOAD_METHODS and path.rstrip("/") in (AVATAR_PATH, TRACK_UPLOAD_PATH):
            if not _has_valid_access_token(scope):
                await _respond(
                    send,
                    path,
                    401,
                    "Authentication credentials were not provided or are not valid.",
                    "not_authenticated",
                    [(b"www-authenticate", b'Bearer realm="api"')],
                )
                return
        await _LimitedRequest(self.app, scope, receive, send, limit).run()


class _LimitedRequest:
    """Counts body bytes as the app reads them; past the limit, answers 413 and ends the read."""

    def __init__(self, app, scope: Scope, receive: Receive, send: Send, limit: int):
        self.app, self.scope, self.receive, self.send, self.limit = app, scope, receive, send, limit
        self.received = 0
        self.refused = False
        self.started = False

    async def run(self) -> None:
        await self.app(self.scope, self._receive, self._send)

    async def _receive(self) -> Message:
        if self.refused:
            return {"type": "http.disconnect"}
        message = await self.receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                self.refused = True
                if not self.started:
                    self.started = True
                    path = self.scope.get("path", "")
                    await _respond(self.send, path, 413, _too_large(self.limit), _too_large_code(path))
                # Django's handler stops reading at a disconnect and sends nothing more.
                return {"type": "http.disconnect"}
        return message

    async def _send(self, message: Message) -> None:
        if self.refused:
            return
        if message["type"] == "http.response.start":
            self.started = True
        await self.send(message)


def _too_large_code(path: str) -> str:
    return "upload_too_large" if path.rstrip("/") == TRACK_UPLOAD_PATH else "too_large"


def _too_large(limit: int) -> str:
    return f"The request body is too large: this path takes at most {limit // 1024} KiB."


async def _respond(
    send: Send, path: str, status: int, detail: str, code: str, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    if wants_json(path):
        body, kind = json.dumps({"detail": detail, "code": code}).encode(), b"application/json"
    else:
        body, kind = detail.encode(), b"text/plain; charset=utf-8"
    headers = [
        (b"content-type", kind),
        (b"content-length", str(len(body)).encode()),
        (b"x-content-type-options", b"nosniff"),
        # The unread body must not be taken for the next request on a kept-alive connection.
        (b"connection", b"close"),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})

"""WebSocket authentication: the `token` query parameter, and the origin check.

`token` is either an access JWT or a single-use ticket from POST /auth/ws-ticket. The
middleware puts the user (or AnonymousUser) in `scope["user"]` and the moment the
credential stops being valid in `scope["auth_expires_at"]`, so consumers can close the
socket when it does. Consumers close with 4401 for an anonymous scope.
"""

import time
import uuid
from collections.abc import Mapping
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.request import split_domain_port, validate_host
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken

from accounts import selectors, services
from accounts.models import User
from core import cache_batch
from core.batching import LoopBatch


def _credential(raw: str) -> tuple[str, float, str | None] | None:
    """The user id and the expiry (unix time) of a credential that may hold, and the id (jti)
    of the access token whose deny-list entry decides (None: nothing to check). No query: the
    deny-list and tickets live in the cache. Runs on the event loop (core.cache_batch)."""
    if raw.count(".") == 2:
        try:
            # simplejwt annotates its `token` argument as a Token object; it takes the encoded JWT string.
            token = AccessToken(raw)  # type: ignore[arg-type]
        except TokenError:
            return None
        user_id, expires, jti = token.get("user_id"), token.get("exp"), token.get(api_settings.JTI_CLAIM)
        return (str(user_id), float(expires), str(jti) if jti else None) if user_id and expires else None
    claims = services.ws_ticket_claims(ticket=raw, on_loop=True)
    if claims is None:
        return None
    # A ticket only opens the door; the socket then lives as long as an access token would.
    lifetime = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()
    user_id, access_jti = claims
    return user_id, time.time() + lifetime, access_jti


def _recall(raw: str) -> tuple[str, float, bool, User | None] | None:
    """`_credential` checked against the deny-list, and its user if remembered
    (selectors.socket_user_from), in one round trip to the cache: no query."""
    found = _credential(raw)
    if found is None:
        return None
    user_id, expires, jti = found
    user_key = selectors.socket_user_key(user_id)
    deny_key = selectors.access_token_deny_key(jti) if jti else None
    held = cache_batch.recall_many([user_key, deny_key] if deny_key else [user_key], on_loop=True)
    if held is None:  # fail open, as access_token_denied does
        selectors.deny_list_unavailable("no answer")
        held = {}
    if deny_key in held:
        return None
    return user_id, expires, *selectors.socket_user_from(held.get(user_key))


async def authenticate(raw: str):
    """Returns (user or None, unix time the credential expires or None). The cache's part runs
    on the event loop (two round trips at most, core.cache_batch); the database thread, which a
    crowd of handshakes would queue on, is asked only for a user not remembered, in one read
    with the other handshakes waiting then (core.batching)."""
    if not raw or len(raw) > 4096:
        return None, None
    found = _recall(raw)
    if found is None:
        return None, None
    user_id, expires, remembered, user = found
    if not remembered:
        user = await _users_read(user_id)
    return (user, expires) if user is not None else (None, None)


def _users_read_batch(calls) -> list[User | None]:
    users = selectors.socket_users_read(call.item for call in calls)
    return [users.get(_normal_id(call.item) or "") for call in calls]


def _normal_id(user_id: str) -> str | None:
    try:
        return str(uuid.UUID(user_id))
    except ValueError:
        return None


# The users not remembered, read for all the handshakes waiting at once (core.batching).
_users_read: LoopBatch[str, User | None] = LoopBatch(_users_read_batch)


class QueryTokenAuthMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        raw = (query.get("token") or [""])[0]
        user, expires_at = await authenticate(raw)
        scope = dict(scope, user=user or AnonymousUser(), auth_expires_at=expires_at)
        return await self.app(scope, receive, send)


def scope_user(scope: Mapping[str, object]) -> User | None:
    """The signed-in user that QueryTokenAuthMiddleware put in a socket's scope; None for
    AnonymousUser (no or a bad credential)."""
    user = scope.get("user")
    return user if isinstance(user, User) and user.is_authenticated else None


def scope_expires_at(scope: Mapping[str, object]) -> float | None:
    """When the socket's credential expires (unix time), as QueryTokenAuthMiddleware put it."""
    expires = scope.get("auth_expires_at")
    return float(expires) if isinstance(expires, int | float) else None


_DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int]  # (scheme, host, port), the port filled in where it is the default


def origin_parse(origin: str) -> Origin | None:
    """An http(s) origin as (scheme, host, port); None for anything else ("null" included)."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:  # a port that is not a number, or out of range
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]


def allowed_origins() -> set[Origin]:
    """The configured front-end origins (FRONTEND_URL's and FRONTEND_ORIGINS); the server's
    own origin is added per handshake (`own_origin`)."""
    origins = {origin_parse(o) for o in [settings.FRONTEND_URL, *settings.FRONTEND_ORIGINS]}
    return {o for o in origins if o is not None}


def own_origin(scope) -> Origin | None:
    """The origin this handshake was addressed to: its Host header (a host ALLOWED_HOSTS
    accepts, any port) and scheme (`wss` or, behind the trusted proxy, its
    X-Forwarded-Proto: https). A page the server itself serves, the SPA at /app/ on whatever
    port Daphne listens, opens its socket from exactly this origin."""
    headers = dict(scope.get("headers", []))
    host = headers.get(b"host", b"").decode("latin-1")
    domain, _port = split_domain_port(host)
    allowed_hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed_hosts:  # as Django's HttpRequest.get_host
        allowed_hosts = [".localhost", "127.0.0.1", "[::1]"]
    if not domain or not validate_host(domain, allowed_hosts):
        return None
    secure = scope.get("scheme") == "wss"
    proxy_header = settings.SECURE_PROXY_SSL_HEADER
    if proxy_header is not None:
        name, value = proxy_header
        header = name.removeprefix("HTTP_").replace("_", "-").lower().encode("latin-1")
        forwarded = headers.get(header, b"").decode("latin-1").split(",")[0].strip()
        secure = secure or forwarded == value
    return origin_parse(f"{'https' if secure else 'http'}://{host}")


def origin_allowed(origin: str | None, scope=None) -> bool:
    """Scheme, host and port must all match an allowed origin (a page on another port of an
    allowed host is another site). Browsers always send Origin; a socket without one comes
    from a script or a CLI client holding its own token, which is not what an origin check
    protects against."""
    if origin is None:
        return True
    parsed = origin_parse(origin)
    if parsed is None:
        return False
    return parsed in allowed_origins() or (scope is not None and parsed == own_origin(scope))


class OriginCheckMiddleware:
    """Refuses the WebSocket handshake (HTTP 403) from pages on other sites."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            origin = dict(scope.get("headers", [])).get(b"origin")
            if not origin_allowed(origin.decode("latin-1") if origin is not None else None, scope):
                await receive()  # websocket.connect
                await send({"type": "websocket.close", "code": 4403})
                return None
        return await self.app(scope, receive, send)


def websocket_stack(inner, *, before_auth=None):
    """Origin check, then `before_auth` (an ASGI middleware, such as the handshake gate), then
    authentication, around `inner`."""
    authenticated = QueryTokenAuthMiddleware(inner)
    return OriginCheckMiddleware(before_auth(authenticated) if before_auth is not None else authenticated)

"""WebSocket authentication: the `token` query parameter, and the origin check.

`token` is either an access JWT or a single-use ticket from POST /auth/ws-ticket. The
middleware puts the user (or AnonymousUser) in `scope["user"]` and the moment the
credential stops being valid in `scope["auth_expires_at"]`, so consumers can close the
socket when it does. Consumers close with 4401 for an anonymous scope.
"""

import time
from urllib.parse import parse_qs, urlsplit

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken

from accounts import selectors, services

User = get_user_model()


def _user_from_jwt(raw: str):
    try:
        token = AccessToken(raw)
    except TokenError:
        return None, None
    if selectors.access_token_denied(jti=token.get(api_settings.JTI_CLAIM)):
        return None, None
    user = User.objects.filter(pk=token.get("user_id"), is_active=True).first()
    return user, token.get("exp")


@database_sync_to_async
def authenticate(raw: str):
    """Returns (user or None, unix time the credential expires or None)."""
    if not raw:
        return None, None
    if raw.count(".") == 2:
        return _user_from_jwt(raw)
    user = services.ws_ticket_redeem(ticket=raw)
    # A ticket only opens the door; the socket then lives as long as an access token would.
    lifetime = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()
    return user, (time.time() + lifetime) if user else None


class QueryTokenAuthMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        raw = (query.get("token") or [""])[0]
        user, expires_at = await authenticate(raw)
        scope = dict(scope, user=user or AnonymousUser(), auth_expires_at=expires_at)
        return await self.app(scope, receive, send)


def allowed_origins() -> set[str]:
    """Hosts whose pages may open our sockets: ALLOWED_HOSTS and the front-end origins."""
    hosts = {h.lower() for h in settings.ALLOWED_HOSTS}
    for origin in [settings.FRONTEND_URL, *settings.FRONTEND_ORIGINS]:
        hosts.add((urlsplit(origin).hostname or "").lower())
    hosts.discard("")
    return hosts


def origin_allowed(origin: str | None) -> bool:
    """Browsers always send Origin; a socket without one comes from a script or a CLI
    client holding its own token, which is not what an origin check protects against."""
    if origin is None:
        return True
    host = (urlsplit(origin).hostname or "").lower()
    if not host:
        return False
    for pattern in allowed_origins():
        if (
            pattern == "*"
            or host == pattern
            or (pattern.startswith(".") and (host.endswith(pattern) or host == pattern[1:]))
        ):
            return True
    return False


class OriginCheckMiddleware:
    """Refuses the WebSocket handshake (HTTP 403) from pages on other sites."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            origin = dict(scope.get("headers", [])).get(b"origin")
            if not origin_allowed(origin.decode("latin-1") if origin is not None else None):
                await receive()  # websocket.connect
                await send({"type": "websocket.close", "code": 4403})
                return None
        return await self.app(scope, receive, send)


def websocket_stack(inner):
    return OriginCheckMiddleware(QueryTokenAuthMiddleware(inner))

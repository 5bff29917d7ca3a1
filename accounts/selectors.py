import logging
import time
import uuid

from django.core.cache import cache
from django.http import Http404

from accounts.models import User

logger = logging.getLogger(__name__)

_DENY_PREFIX = "jwt-deny:"
# While the cache is down every authenticated request would say so; once a minute is enough.
_DENY_LIST_WARNING_EVERY = 60.0
_deny_list_warned_at = -_DENY_LIST_WARNING_EVERY


def user_get(*, user_id: str | uuid.UUID, active_only: bool = True) -> User:
    """The user with that id, or 404 (malformed ids and deactivated accounts included)."""
    try:
        pk = uuid.UUID(str(user_id))
    except ValueError as exc:
        raise Http404("No such user.") from exc
    users = User.objects.filter(pk=pk)
    if active_only:
        users = users.filter(is_active=True)
    user = users.first()
    if user is None:
        raise Http404("No such user.")
    return user


def access_token_deny_key(jti: str) -> str:
    return f"{_DENY_PREFIX}{jti}"


def access_token_denied(*, jti: str | None) -> bool:
    """Whether a logout or a revoked sign-in put this access token on the deny-list.

    Fails open: while the cache cannot answer, access tokens are taken as not denied (they
    expire within ACCESS_TOKEN_LIFETIME anyway) and the log says so, at most once a minute.
    """
    global _deny_list_warned_at
    if not jti:
        return False
    try:
        # django-redis answers None instead of raising when it ignores a Redis failure.
        found = cache.has_key(access_token_deny_key(str(jti)))
    except Exception as exc:  # whatever the cache backend raises, the answer is to fail open
        found, reason = None, type(exc).__name__
    else:
        reason = "no answer"
    if found is None:
        now = time.monotonic()
        if now - _deny_list_warned_at >= _DENY_LIST_WARNING_EVERY:
            _deny_list_warned_at = now
            logger.warning(
                "The access-token deny-list is unavailable (%s): access tokens are accepted without "
                "checking for logout until the cache answers again.",
                reason,
            )
        return False
    return bool(found)

"""Rate limits: the documented limits, declared next to each view.

django-ratelimit counts hits in the shared cache (Redis in services mode), so every server
process sees the same counters. Callers are keyed by user id, or by client IP for anonymous
calls. Over the limit the view raises `core.errors.RateLimited`: 429, `Retry-After`, JSON
`detail`, code `rate_limited` (the socket's limits answer with the same code).
"""

import functools
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit import ALL
from django_ratelimit.core import get_usage

from core import metrics
from core.errors import RateLimited

_UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day"}


def client_ip(request: HttpRequest) -> str:
    """The caller's address, trusting exactly TRUSTED_PROXY_COUNT proxies.

    Each trusted proxy appends the address it received from, so the real client is the
    entry that many places from the right of X-Forwarded-For. Entries further left were
    written by the client itself and are ignored: spoofing them changes nothing.
    """
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    if len(hops) < proxies:
        return hops[0] if hops else remote
    return hops[-proxies]


def caller_key(group: str, request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{client_ip(request)}"


def describe(rate: str) -> str:
    count, _, period = rate.partition("/")
    number = "".join(ch for ch in period if ch.isdigit())
    unit = _UNITS.get(period[-1:], period)
    span = f"{number} {unit}s" if number and number != "1" else unit
    return f"{count} per {span}"


def hit(*, group: str, key: str, rate: str) -> int | None:
    """Counts one hit for `key`; returns seconds to wait when over the limit, else None.

    Also used outside HTTP (the chat socket shares the chat REST limit this way).
    """
    usage = get_usage(None, group=group, key=lambda _g, _r: key, rate=rate, method=ALL, increment=True)
    if usage and usage["should_limit"]:
        metrics.rate_limited(limit=group)
        return max(1, int(usage["time_left"]))
    return None


def rate_limit(rate: str, *, group: str | None = None) -> Callable:
    """Decorates a DRF view method (`def get(self, request, ...)`) with a documented limit.

    It runs inside DRF's dispatch, after authentication, so the key is the JWT's user.
    """

    def decorator(method: Callable) -> Callable:
        name = group or f"{method.__module__}.{method.__qualname__}"

        @functools.wraps(method)
        def wrapped(self, request, *args, **kwargs):
            wait = hit(group=name, key=caller_key(name, request), rate=rate)
            if wait is not None:
                raise RateLimited(
                    f"Too many requests: the limit is {describe(rate)}. Try again in {wait} s.", retry_after=wait
                )
            return method(self, request, *args, **kwargs)

        # Read back by core/schema.py (documents the 429); mypy does not model function attributes.
        wrapped.rate_limit = rate  # type: ignore[attr-defined]
        return wrapped

    return decorator


class TokenBucket:
    """One connection's limit on one kind of request: `burst` at once, then `per_second`.

    Kept in the connection's memory, not the shared cache: all of a socket's frames reach
    the one process that holds it, so a cache round trip per frame would buy nothing, and the
    count ends with the socket. Off with the other limits (`RATELIMIT_ENABLE`).
    """

    def __init__(self, *, burst: int, per_second: float, clock: Callable[[], float] = time.monotonic):
        self.burst = burst
        self.per_second = per_second
        self.clock = clock
        self.tokens = float(burst)
        self.updated = clock()

    def take(self) -> float | None:
        """Spends one request; returns None, or the seconds until the next one is allowed."""
        if not getattr(settings, "RATELIMIT_ENABLE", True):
            return None
        now = self.clock()
        self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.per_second)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        metrics.rate_limited(limit="socket")
        return (1 - self.tokens) / self.per_second

    def describe(self) -> str:
        rate = f"{self.per_second:g} per second" if self.per_second >= 1 else f"1 per {1 / self.per_second:g} s"
        return f"{self.burst} at once, then {rate}"

"""Redis on the request path: give up fast, stop asking while it is down, never unpickle.

The cache (Django's, through django-redis), rate limits and presence share one connection pool
per process, configured in tunewave/settings.py (CACHES). Two things here make a Redis outage
cheap for the requests that meet it:

- `GuardedConnectionPool` makes connections that trip a per-process breaker when Redis does
  not answer (refused, reset, or silent past the socket timeout). While the breaker is open
  (`DOWN_SECONDS`), every command fails at once with redis-py's ConnectionError, which the
  cache turns into a miss (IGNORE_EXCEPTIONS) and presence into "unknown": a hung Redis costs
  one request one socket timeout, not every command of every request. Then one caller probes
  again while the others keep failing fast; the first answer closes the breaker.
- `JSONSerializer` stores cache values as JSON. django-redis pickles by default, so anyone
  able to write to Redis could run code in every web process; a value that is not JSON (a
  planted pickle) reads as a miss.

The channel layer keeps its own connections and timeouts (core/layers.py): its sockets
wait on pub/sub for long stretches, which a one-second read timeout would break.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django_redis.serializers.base import BaseSerializer
from redis.connection import Connection, ConnectionPool, SSLConnection, UnixDomainSocketConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# After a failure, Redis is not asked again for this long by this process (one caller then probes).
DOWN_SECONDS = 5.0

_FAILURES = (RedisConnectionError, RedisTimeoutError, OSError)


class RedisDown(RedisConnectionError):
    """Raised without touching the network while the breaker is open."""


class _Breaker:
    def __init__(self):
        self._lock = threading.Lock()
        self._open_until: dict[str, float] = {}

    def check(self, address: str) -> None:
        until = self._open_until.get(address)
        if until is None:  # the common case: no lock, one dict lookup
            return
        with self._lock:
            until = self._open_until.get(address)
            if until is None:
                return
            now = time.monotonic()
            if now < until:
                raise RedisDown(f"Redis at {address} did not answer lately; not asked again for {until - now:.1f} s")
            # This caller probes; until it is done (or DOWN_SECONDS pass) the others fail fast.
            self._open_until[address] = now + DOWN_SECONDS

    def trip(self, address: str, exc: BaseException) -> None:
        with self._lock:
            was_open = address in self._open_until
            self._open_until[address] = time.monotonic() + DOWN_SECONDS
        if not was_open:
            logger.warning(
                "Redis at %s is not answering (%s: %s): cache reads are misses, rate limits let requests "
                "through, presence is unknown; asking again in %.0f s",
                address,
                type(exc).__name__,
                exc,
                DOWN_SECONDS,
            )

    def reset(self, address: str) -> None:
        if address not in self._open_until:
            return
        with self._lock:
            if self._open_until.pop(address, None) is not None:
                logger.warning("Redis at %s answers again", address)

    def is_open(self, address: str) -> bool:
        until = self._open_until.get(address)
        return until is not None and time.monotonic() < until

    def clear(self) -> None:
        with self._lock:
            self._open_until.clear()


breaker = _Breaker()


# For the type checker the mixin is a Connection (its host, port and the methods it wraps);
# at run time it is a plain mixin placed before the real connection class.
if TYPE_CHECKING:
    _MixinBase = Connection
else:
    _MixinBase = object


class _Guarded(_MixinBase):
    """Mixed into a redis-py connection class: every way in checks the breaker, every failure trips it."""

    def _address(self) -> str:
        path = getattr(self, "path", None)
        return path if path else f"{self.host}:{self.port}"

    def connect(self, *args, **kwargs):
        breaker.check(self._address())
        try:
            return super().connect(*args, **kwargs)
        except RedisDown:
            raise
        except _FAILURES as exc:
            breaker.trip(self._address(), exc)
            raise

    def send_packed_command(self, *args, **kwargs):
        try:
            return super().send_packed_command(*args, **kwargs)
        except RedisDown:
            raise
        except _FAILURES as exc:
            breaker.trip(self._address(), exc)
            raise

    def read_response(self, *args, **kwargs):
        try:
            response = super().read_response(*args, **kwargs)
        except _FAILURES as exc:
            breaker.trip(self._address(), exc)
            raise
        breaker.reset(self._address())
        return response


class GuardedConnection(_Guarded, Connection):
    pass


class GuardedSSLConnection(_Guarded, SSLConnection):
    pass


class GuardedUnixDomainSocketConnection(_Guarded, UnixDomainSocketConnection):
    pass


_GUARDED = {
    Connection: GuardedConnection,
    SSLConnection: GuardedSSLConnection,
    UnixDomainSocketConnection: GuardedUnixDomainSocketConnection,
}


class GuardedConnectionPool(ConnectionPool):
    """redis-py's pool (redis://, rediss:// and unix:// URLs alike) with guarded connections.
    django-redis builds it from CACHES' CONNECTION_POOL_CLASS."""

    def __init__(self, connection_class=Connection, **kwargs):
        guarded = _GUARDED.get(connection_class)
        if guarded is None and not issubclass(connection_class, _Guarded):
            raise TypeError(f"No guarded variant of {connection_class.__name__}")
        super().__init__(connection_class=guarded or connection_class, **kwargs)


class JSONSerializer(BaseSerializer):
    """Cache values as JSON (Django's encoder: dates, UUIDs and decimals become strings). A value
    that is not JSON, such as a pickle someone planted, is a miss: it is never executed."""

    def dumps(self, value: Any) -> bytes:
        return json.dumps(value, cls=DjangoJSONEncoder, separators=(",", ":")).encode()

    def loads(self, value: bytes) -> Any:
        try:
            return json.loads(value.decode())
        except (UnicodeDecodeError, ValueError):
            logger.warning("A cache value is not JSON (%d bytes); read as a miss", len(value))
            return None

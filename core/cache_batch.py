"""Several cache reads, or several writes, in one round trip to Redis.

A socket's join asks the cache for its credential's deny-list entry, its user, its admission
to the room and its friends, and a first join writes the last three back: one command each
cost about a quarter of a millisecond of the process's CPU apiece, in redis-py and
django-redis (bench/README.md, "Crowded rooms"). With django-redis, `recall_many` is one MGET
and `remember_many` one pipeline; with another cache (the embedded mode's local memory) they
are the plain calls, which cost no round trip.
"""

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache, caches
from django.core.signals import setting_changed

from core.redis_guard import GuardedConnectionPool

logger = logging.getLogger(__name__)


def _redis_client():
    """django-redis's client object (the one that raises), or None for another backend."""
    client = getattr(cache, "client", None)
    return client if client is not None and hasattr(client, "get_client") else None


# --- on the event loop ---------------------------------------------------------------------
#
# A socket's join makes a few small Redis round trips (its credential, its admission, its
# presence). Handed to a thread, each cost more than the call itself: the hop, and the fight for
# the interpreter lock with the event loop (about 0.15 ms of CPU apiece, more under load). They
# run on the loop instead, through a client of their own whose reads give up after
# LOOP_TIMEOUT: a healthy Redis on the same network answers in well under a millisecond, and
# one that does not answer trips the shared breaker (core/redis_guard.py), after which these
# calls fail at once, as every other Redis call of the process does, for DOWN_SECONDS.
LOOP_TIMEOUT = 0.25
_loop_clients: dict[str, redis.Redis] = {}
_loop_lock = threading.Lock()


def loop_redis() -> redis.Redis:
    """The process's client for Redis calls made on an event loop (the cache's Redis)."""
    url = settings.CACHES["default"]["LOCATION"]
    found = _loop_clients.get(url)
    if found is None:
        with _loop_lock:
            found = _loop_clients.get(url)
            if found is None:
                pool = GuardedConnectionPool.from_url(
                    url, socket_timeout=LOOP_TIMEOUT, socket_connect_timeout=LOOP_TIMEOUT
                )
                found = _loop_clients[url] = redis.Redis(connection_pool=pool)
    return found


def recall_many(keys: Iterable[str], *, on_loop: bool = False) -> dict[str, Any] | None:
    """{key: value} for the keys the cache holds, in one round trip; None when the cache could
    not answer (django-redis would otherwise answer {} and hide that). `on_loop`: called on
    an event loop (`loop_redis`)."""
    keys = list(keys)
    client = _redis_client()
    if client is None:
        return cache.get_many(keys)
    try:
        if not on_loop:
            return client.get_many(keys)
        values = loop_redis().mget([client.make_key(key) for key in keys]) if keys else []
    except Exception as exc:  # noqa: BLE001 - the cache is best effort: the caller decides what a miss costs
        logger.info("cache: could not read %d keys (%s)", len(keys), type(exc).__name__)
        return None
    return {key: client.decode(raw) for key, raw in zip(keys, values, strict=True) if raw is not None}


@dataclass(frozen=True)
class Entry:
    """One write: `key` holds `value` for `timeout` seconds (None: no expiry); `only_new`: as
    `cache.add`, kept only if the key holds nothing yet."""

    key: str
    value: Any
    timeout: float | None
    only_new: bool = False


def remember_many(entries: Iterable[Entry]) -> None:
    """Writes the entries in one round trip (a pipeline, not a transaction); a failure is
    logged and leaves the cache as it was, as a failed `cache.set` does."""
    entries = list(entries)
    if not entries:
        return
    client = _redis_client()
    if client is None:
        for entry in entries:
            if entry.only_new:
                cache.add(entry.key, entry.value, timeout=entry.timeout)
            else:
                cache.set(entry.key, entry.value, timeout=entry.timeout)
        return
    try:
        pipeline = client.get_client(write=True).pipeline(transaction=False)
        for entry in entries:
            client.set(entry.key, entry.value, timeout=entry.timeout, client=pipeline, nx=entry.only_new)
        pipeline.execute()
    except Exception as exc:  # noqa: BLE001 - as a failed cache.set: the next read misses
        logger.info("cache: could not write %d keys (%s)", len(entries), type(exc).__name__)


def take(key: str, *, on_loop: bool = False) -> Any | None:
    """The key's value, removed: of callers racing for it, one gets it and the others None (a
    single-use ticket). One round trip with django-redis (GET and DEL in a MULTI). `on_loop`:
    called on an event loop (`loop_redis`)."""
    client = _redis_client()
    if client is None:
        value = cache.get(key)
        return value if value is not None and cache.delete(key) else None
    try:
        redis_client = loop_redis() if on_loop else client.get_client(write=True)
        pipeline = redis_client.pipeline(transaction=True)
        name = client.make_key(key)
        pipeline.get(name)
        pipeline.delete(name)
        raw, deleted = pipeline.execute()
    except Exception as exc:  # noqa: BLE001 - as a cache miss
        logger.info("cache: could not take a key (%s)", type(exc).__name__)
        return None
    return client.decode(raw) if raw is not None and deleted else None


def share_cache_backends() -> None:
    """One cache backend object per process instead of one per thread and asyncio context.

    Django keeps its cache backends in an asgiref `Local`: per thread, and per asyncio context.
    Under ASGI each request, socket and `sync_to_async` hop runs in a fresh context, so each
    built its own django-redis backend and redis-py client on first use (about 0.27 ms of CPU:
    five times per room join, once per request). The backends TuneWave configures are safe to
    share between threads: django-redis hands out redis-py's pooled, thread-safe client, and
    the local-memory cache locks. Called from TunewaveConfig.ready, and again whenever a
    test changes CACHES (Django then puts a `Local` back).
    """
    caches._connections = SimpleNamespace()  # type: ignore[attr-defined]
    setting_changed.connect(_caches_changed, dispatch_uid="core.cache_batch.share")


def _caches_changed(*, setting: str, **kwargs) -> None:
    if setting == "CACHES":
        caches._connections = SimpleNamespace()  # type: ignore[attr-defined]

"""Several cache reads, or several writes, in one round trip to Redis.

A socket's join asks the cache for its credential's deny-list entry, its user, its admission
to the room and its friends, and a first join writes the last three back: one command each
cost about a quarter of a millisecond of the process's CPU apiece, in redis-py and
django-redis (bench/README.md, "Crowded rooms"). With django-redis, `recall_many` is one MGET
and `remember_many` one pipeline; with another cache (the embedded mode's local memory) they
are the plain calls, which cost no round trip.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

logger = logging.getLogger(__name__)


def _redis_client():
    """django-redis's client object (the one that raises), or None for another backend."""
    client = getattr(cache, "client", None)
    return client if client is not None and hasattr(client, "get_client") else None


def recall_many(keys: Iterable[str]) -> dict[str, Any] | None:
    """{key: value} for the keys the cache holds, in one round trip; None when the cache could
    not answer (django-redis would otherwise answer {} and hide that)."""
    keys = list(keys)
    client = _redis_client()
    if client is None:
        return cache.get_many(keys)
    try:
        return client.get_many(keys)
    except Exception as exc:  # noqa: BLE001 - the cache is best effort: the caller decides what a miss costs
        logger.info("cache: could not read %d keys (%s)", len(keys), type(exc).__name__)
        return None


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


def take(key: str) -> Any | None:
    """The key's value, removed: of callers racing for it, one gets it and the others None (a
    single-use ticket). One round trip with django-redis (GET and DEL in a MULTI)."""
    client = _redis_client()
    if client is None:
        value = cache.get(key)
        return value if value is not None and cache.delete(key) else None
    try:
        pipeline = client.get_client(write=True).pipeline(transaction=True)
        name = client.make_key(key)
        pipeline.get(name)
        pipeline.delete(name)
        raw, deleted = pipeline.execute()
    except Exception as exc:  # noqa: BLE001 - as a cache miss
        logger.info("cache: could not take a key (%s)", type(exc).__name__)
        return None
    return client.decode(raw) if raw is not None and deleted else None

"""core.cache_batch: several cache reads or writes in one round trip, in both cache modes."""

import contextvars
import threading

import pytest
from django.core.cache import cache, caches

from core import cache_batch
from core.cache_batch import Entry


@pytest.fixture(params=["local", "redis"])
def either_cache(request, settings):
    """The embedded mode's local cache, and django-redis (services mode only)."""
    if request.param == "redis":
        request.getfixturevalue("services_mode")
    else:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "batch"}}
    cache.clear()
    yield request.param
    cache.clear()


def test_of_callers_racing_to_take_a_ticket_exactly_one_gets_it(either_cache):
    cache.set("ticket", "user-1", timeout=30)
    start = threading.Barrier(8)
    got = []

    def racer():
        start.wait()
        got.append(cache_batch.take("ticket"))

    threads = [threading.Thread(target=racer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [value for value in got if value is not None] == ["user-1"]
    assert len(got) == 8
    assert cache.get("ticket") is None
    assert cache_batch.take("ticket") is None


def test_writes_keep_their_own_expiries_and_an_only_new_write_keeps_what_was_there(either_cache):
    cache.set("held", "first", timeout=30)

    cache_batch.remember_many(
        [
            Entry("short", {"a": 1}, 0.05),
            Entry("long", ["x", "y"], 30),
            Entry("held", "second", 30, only_new=True),
            Entry("fresh", "new", 30, only_new=True),
        ]
    )

    assert cache_batch.recall_many(["short", "long", "held", "fresh", "absent"]) == {
        "short": {"a": 1},
        "long": ["x", "y"],
        "held": "first",
        "fresh": "new",
    }
    threading.Event().wait(0.2)
    assert cache_batch.recall_many(["short", "long"]) == {"long": ["x", "y"]}


def test_a_cache_that_cannot_answer_reads_as_none_and_writes_nothing_without_raising(dead_redis_cache):
    assert cache_batch.recall_many(["a", "b"]) is None
    cache_batch.remember_many([Entry("a", 1, 30)])
    assert cache_batch.take("a") is None


def test_threads_and_asyncio_contexts_share_one_cache_backend(either_cache):
    """Django keeps a backend per thread and per context; under ASGI every socket and
    `sync_to_async` hop is a new context, which built a django-redis client each time."""
    seen = []

    def look():
        seen.append(caches["default"])

    contextvars.Context().run(look)
    thread = threading.Thread(target=look)
    thread.start()
    thread.join()
    look()

    assert len(seen) == 3
    assert seen[0] is seen[1] is seen[2]

"""Liveness and readiness probes for load balancers and orchestrators."""

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor, wait

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections
from django.http import JsonResponse

from tunewave.celery import app

# /readyz answers within this many seconds, whatever hangs: the checks run side by side, and one
# still running by then is reported down ("down: timeout"). A load balancer's probe timeout is
# typically 2-5 s; a hung Redis once kept this probe busy for 19.8 s.
READY_TIMEOUT = 1.5


def healthz(request):
    """The process is up and serving requests; checks nothing else."""
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_cache() -> None:
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":  # the cache degrades errors to misses: a miss here means down
        raise RuntimeError("cache did not return the value just written")
    cache.delete(key)


def _check_channel_layer() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")

    async def roundtrip():
        # Bounded here too, so that the thread running it ends soon after the probe gave up.
        async with asyncio.timeout(READY_TIMEOUT):
            channel = await layer.new_channel()  # the channel-layer spec's new_channel() takes no prefix
            await layer.send(channel, {"type": "readyz.ping"})
            message = await layer.receive(channel)
        if message.get("type") != "readyz.ping":
            raise RuntimeError("channel layer returned a different message")

    async_to_sync(roundtrip)()


def _check_broker() -> str | None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    with app.connection_for_write() as conn:  # connecting is bounded by CELERY_BROKER_CONNECTION_TIMEOUT
        conn.ensure_connection(max_retries=0)
    return None


CHECKS = {
    "database": _check_database,
    "cache": _check_cache,
    "channel_layer": _check_channel_layer,
    "broker": _check_broker,
}


def _run(check) -> str | None:
    try:
        return check()
    finally:
        connections.close_all()  # this worker thread's own database connection, if it opened one


def readyz(request):
    """Ready to serve: database, cache, channel layer and broker all answer. 503 names what is
    down. Answers within READY_TIMEOUT even when a dependency hangs."""
    results: dict[str, str] = {}
    down = []
    # Not a `with` block: leaving it would wait for a hung check. Each check ends by itself
    # (every client involved has a timeout), so its thread is not left behind for long.
    executor = ThreadPoolExecutor(max_workers=len(CHECKS), thread_name_prefix="readyz")
    futures = {name: executor.submit(_run, check) for name, check in CHECKS.items()}
    wait(futures.values(), timeout=READY_TIMEOUT)
    executor.shutdown(wait=False, cancel_futures=True)
    for name, future in futures.items():
        if not future.done():
            results[name] = "down: timeout"
            down.append(name)
            continue
        exc = future.exception()
        if exc is None:
            results[name] = future.result() or "ok"
        else:  # any failure means "not ready"
            results[name] = f"down: {exc.__class__.__name__}"
            down.append(name)
    if down:
        return JsonResponse(
            {
                "status": "unavailable",
                "detail": f"Unavailable: {', '.join(down)}.",
                "code": "not_ready",
                "checks": results,
            },
            status=503,
        )
    return JsonResponse({"status": "ok", "checks": results})

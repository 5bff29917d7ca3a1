"""Liveness and readiness probes for load balancers and orchestrators."""

import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse


def healthz(request):
    """The process is up and serving requests; checks nothing else."""
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_cache() -> None:
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return the value just written")
    cache.delete(key)


def _check_channel_layer() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")

    async def roundtrip():
        channel = await layer.new_channel("readyz.")
        await layer.send(channel, {"type": "readyz.ping"})
        message = await layer.receive(channel)
        if message.get("type") != "readyz.ping":
            raise RuntimeError("channel layer returned a different message")

    async_to_sync(roundtrip)()


def _check_broker() -> str | None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    from tunewave.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return None


CHECKS = {
    "database": _check_database,
    "cache": _check_cache,
    "channel_layer": _check_channel_layer,
    "broker": _check_broker,
}


def readyz(request):
    """Ready to serve: database, cache, channel layer and broker all answer. 503 names what is down."""
    results: dict[str, str] = {}
    down = []
    for name, check in CHECKS.items():
        try:
            results[name] = check() or "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
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

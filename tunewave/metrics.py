"""`/metrics` and the counting that belongs to the wiring: sockets (an ASGI middleware around
the WebSocket router), Celery tasks (its signals) and the broker's queue (read at scrape time).
The metrics themselves are defined in core/metrics.py; README "Metrics" says how to scrape.

`/metrics` is off unless `METRICS_TOKEN` is set, and then answers only
`Authorization: Bearer <METRICS_TOKEN>`; anything else gets the 404 of an unknown path, so the
page does not advertise itself. The token is compared in constant time and never logged.

tunewave/celery.py imports this module, so the signal handlers are connected in every process
that runs tasks (the worker's children, and eager runs in-process).
"""

import hmac
import logging
import time
from typing import Any

from celery import signals
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import GaugeMetricFamily

from core import metrics
from core.background import celery_app
from tunewave.socket_watch import watch

logger = logging.getLogger(__name__)


def _authorized(request: HttpRequest) -> bool:
    token = getattr(settings, "METRICS_TOKEN", "")
    if not token:
        return False
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


def metrics_view(request: HttpRequest) -> HttpResponse:
    """The Prometheus text page, for every process (see core/metrics.py)."""
    if not _authorized(request):
        raise Http404
    page = generate_latest(metrics.scrape_registry())
    return HttpResponse(page, content_type=CONTENT_TYPE_LATEST)


# --- sockets ---------------------------------------------------------------------------------


def count_sockets(app):
    """ASGI middleware for the WebSocket side: counts accepted sockets, the open ones per
    process, and how each ended (the close code the server sent, or the one the client sent).
    Handshakes refused before `accept` (4401, 4403, 4429...) count as closes, not opens."""

    async def application(scope, receive, send):
        route = metrics.socket_route(scope.get("path", ""))
        session, watched_receive, watched_send = watch(receive, send, on_accept=lambda: metrics.socket_opened(route))
        try:
            return await app(scope, watched_receive, watched_send)
        except Exception:
            session.ended(1011, "server")  # the server closes a socket whose application failed
            raise
        finally:
            metrics.socket_closed(
                route, accepted=session.accepted, code=session.close_code, by=session.closed_by or "server"
            )

    return application


# --- Celery tasks ----------------------------------------------------------------------------

_started: dict[str, float] = {}  # task id -> monotonic start, in the process running it


def _finished(task_id: str | None, task: Any, outcome: str) -> None:
    started = _started.pop(task_id, None) if task_id else None
    metrics.task_finished(
        task=getattr(task, "name", None) or "unknown",
        outcome=outcome,
        seconds=None if started is None else time.monotonic() - started,
    )


@signals.task_prerun.connect(dispatch_uid="tunewave.metrics.task_started")
def _task_started(task_id: str | None = None, **_: Any) -> None:
    if task_id:
        if len(_started) > 10_000:  # eager tasks that raised (no signal after prerun) leave theirs
            _started.clear()
        _started[task_id] = time.monotonic()


@signals.task_failure.connect(dispatch_uid="tunewave.metrics.task_failed")
def _task_failed(task_id: str | None = None, sender: Any = None, **_: Any) -> None:
    # Counted here, not in task_postrun: an eager task that raises (the embedded mode) never
    # reaches postrun. In a worker postrun follows with state FAILURE, and finds nothing started.
    if task_id in _started:
        _finished(task_id, sender, "failure")


@signals.task_postrun.connect(dispatch_uid="tunewave.metrics.task_finished")
def _task_finished(task_id: str | None = None, task: Any = None, state: str | None = None, **_: Any) -> None:
    if task_id in _started:
        _finished(task_id, task, (state or "unknown").lower())


class BrokerQueueCollector:
    """The broker's backlog, read at scrape time: messages ready in the default task queue and
    the consumers (worker processes' channels) on it. One passive queue declare on a connection
    bounded by CELERY_BROKER_CONNECTION_TIMEOUT; nothing while tasks run eagerly or the broker
    does not answer (an absent series, not a 0)."""

    def _families(self) -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
        return (
            GaugeMetricFamily(
                "tunewave_celery_queue_messages",
                "Messages waiting in the broker's task queue (read at scrape time).",
                labels=["queue"],
            ),
            GaugeMetricFamily(
                "tunewave_celery_queue_consumers",
                "Consumers (workers) attached to the broker's task queue (read at scrape time).",
                labels=["queue"],
            ),
        )

    def describe(self):
        return self._families()

    def collect(self):
        waiting, consumers = self._families()
        app = celery_app()
        if not app.conf.task_always_eager:
            queue = app.conf.task_default_queue
            try:
                with app.connection_for_read() as conn:
                    conn.ensure_connection(max_retries=0)
                    channel = conn.default_channel  # an AMQP channel; kombu's stub types it without queue_declare
                    _, messages, listening = channel.queue_declare(queue=queue, passive=True)  # type: ignore[attr-defined]
                waiting.add_metric([queue], messages)
                consumers.add_metric([queue], listening)
            except Exception as exc:  # noqa: BLE001 - no reading this time; the page still answers
                logger.info("metrics: could not read the broker's queue (%s)", type(exc).__name__)
        return [waiting, consumers]


metrics.register_scrape_collector(BrokerQueueCollector())

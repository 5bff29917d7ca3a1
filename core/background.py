"""Background tasks for the apps: `enqueue`, the one way TuneWave sends a task.

Project code enqueues only through `enqueue()` below (wrapped in `transaction.on_commit` where
the task reads what the caller writes), never with `.delay()`, `.apply_async()` or
`send_task()` directly. Apps declare tasks with Celery's `shared_task(name=...)`.

The Celery app itself is project wiring (tunewave/celery.py: JSON only, time limits, late acks
with reject-on-worker-lost, so every task must be idempotent). It registers itself here when it
is created (`register_app`), which happens whenever Django starts (tunewave/__init__.py imports
it), so the apps never import the wiring; the same pattern as docs/architecture.md's
"Registering implementations across layers".
"""

import logging
from collections.abc import Sequence
from typing import Any

from celery import Celery, Task, signals

from core.request_id import TASK_HEADER, request_id_bind, request_id_get, request_id_unbind

logger = logging.getLogger(__name__)

_app: Celery | None = None


def register_app(app: Celery) -> None:
    """Called by tunewave/celery.py with the project's Celery app."""
    global _app
    _app = app


def celery_app() -> Celery:
    """The registered Celery app. Not Celery's `current_app`: that is per thread, and in a thread
    of Daphne's pool it would be a default app with none of the project's settings."""
    if _app is None:
        raise RuntimeError("No Celery app is registered; tunewave/celery.py registers it when imported.")
    return _app


def enqueue(task: Task | str, *, args: Sequence[Any] | None = None, countdown: float | None = None) -> bool:
    """Sends a task without letting a broker outage stall or fail the caller. The one way
    TuneWave enqueues (tunewave/tests/test_enqueue_guard.py refuses `.delay()` and the like
    elsewhere); `task` is a task or its registered name, so a module can enqueue a task
    without importing the module that defines it.

    One connection attempt, no publish retries, and a connection (TCP and the AMQP handshake)
    bounded by CELERY_BROKER_CONNECTION_TIMEOUT: during an outage, or while a broker accepts
    connections and never answers, this returns False within that time (kombu would otherwise
    retry for seconds inside an API call). Callers use it for work that a periodic sweep or a
    later read also covers.
    """
    app = celery_app()
    name = task if isinstance(task, str) else task.name
    try:
        if isinstance(task, str):
            if task not in app.tasks:
                app.loader.import_default_modules()  # Celery's autodiscovery: every app's tasks module
            task = app.tasks[task]
        # Celery takes countdown=None as "now"; its stubs want a number or nothing.
        options: dict[str, Any] = {} if countdown is None else {"countdown": countdown}
        if app.conf.task_always_eager:
            task.apply_async(args=tuple(args or ()), **options)
            return True
        with app.producer_or_acquire() as producer:
            producer.connection.ensure_connection(max_retries=0)
            task.apply_async(args=tuple(args or ()), retry=False, producer=producer, **options)
        return True
    except Exception as exc:  # noqa: BLE001 - the broker being down must not break the caller
        logger.warning("could not enqueue %s (%s: %s); a sweep or a later read retries", name, type(exc).__name__, exc)
        return False


# The request id (core/request_id.py) travels with every task published while a request, a
# socket session or another task is running: in a message header, whichever way the task was
# sent (enqueue, `delay_on_commit`, beat). Eager tasks run in the caller's context and keep its
# id without a header.


@signals.before_task_publish.connect
def _request_id_to_headers(headers: dict[str, Any] | None = None, **_: Any) -> None:
    request_id = request_id_get()
    if request_id and headers is not None:
        headers.setdefault(TASK_HEADER, request_id)


_bound: dict[str, Any] = {}  # task id -> the token that restores the id the task found


@signals.task_prerun.connect
def _request_id_from_headers(task_id: str | None = None, task: Task | None = None, **_: Any) -> None:
    request = getattr(task, "request", None)
    # Celery's message protocol 2 puts custom headers on the request itself; eager calls keep
    # them under `headers`.
    sent = getattr(request, TASK_HEADER, None) or (getattr(request, "headers", None) or {}).get(TASK_HEADER)
    if task_id:
        _bound[task_id] = request_id_bind(sent if isinstance(sent, str) else request_id_get())


@signals.task_postrun.connect
def _request_id_forget(task_id: str | None = None, **_: Any) -> None:
    token = _bound.pop(task_id, None) if task_id else None
    if token is not None:
        try:
            request_id_unbind(token)
        except ValueError:  # bound in another context (a pool thread): clear it instead
            request_id_bind(None)


@signals.setup_logging.connect
def _keep_django_logging(**_: Any) -> None:
    """With a receiver here, a worker keeps the LOGGING that django.setup() configured (JSON
    lines with the request id under LOG_FORMAT=json) instead of Celery's own handlers."""

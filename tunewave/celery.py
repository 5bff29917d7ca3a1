"""The Celery app. Settings are the CELERY_* names in tunewave/settings.py.

JSON only, time limits, late acks with reject-on-worker-lost: a task whose worker dies is
redelivered, so every task must be idempotent. Tasks subclass DjangoTask, whose
`delay_on_commit()` enqueues only once the surrounding transaction commits.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tunewave.settings")

app = Celery("tunewave", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="tunewave.ping", ignore_result=False)
def ping() -> str:
    """Health check: proves a worker is consuming from the broker."""
    return "pong"


def enqueue(task, *, args: list | None = None, countdown: float | None = None) -> bool:
    """Sends a task without letting a broker outage stall or fail the caller.

    One connection attempt, no publish retries: during an outage this returns False in
    milliseconds (kombu would otherwise retry for seconds inside an API call). Callers
    use it for work that a periodic sweep or a later read also covers.
    """
    import logging

    try:
        if app.conf.task_always_eager:
            task.apply_async(args=args or [], countdown=countdown)
            return True
        with app.producer_or_acquire() as producer:
            producer.connection.ensure_connection(max_retries=0)
            task.apply_async(args=args or [], countdown=countdown, retry=False, producer=producer)
        return True
    except Exception:  # noqa: BLE001 - the broker being down must not break the caller
        logging.getLogger(__name__).warning("could not enqueue %s; a sweep or a later read retries", task.name)
        return False

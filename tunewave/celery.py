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

"""The Celery app. Settings are the CELERY_* names in tunewave/settings.py.

JSON only, time limits, late acks with reject-on-worker-lost: a task whose worker dies is
redelivered, so every task must be idempotent. The app registers itself with
`core.background`, whose `enqueue()` is the one way project code sends a task (wrapped in
`transaction.on_commit` where the task reads what the caller writes), never `.delay()`,
`.apply_async()` or `send_task()` directly.
"""

import os

from celery import Celery

from core.background import register_app
from tunewave import metrics  # noqa: F401 - connects the task metrics' signals (worker and eager runs)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tunewave.settings")

app = Celery("tunewave", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
register_app(app)


@app.task(name="tunewave.ping", ignore_result=False)
def ping() -> str:
    """Health check: proves a worker is consuming from the broker."""
    return "pong"

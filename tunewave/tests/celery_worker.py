"""A real Celery worker for a test: its own queue, its output in a file, gone afterwards.

Services mode only (the caller skips without a broker). The worker runs in the test run's
environment plus `env`, consumes only its own queue, and is stopped without waiting out
Celery's ~10 s warm shutdown; the queue is deleted at the end.
"""

import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tunewave.celery import app
from tunewave.tests import BASE_DIR


@contextmanager
def celery_worker(
    log_path: Path, *, prefix: str, env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Yields (queue, worker process); the worker's stdout and stderr go to `log_path`."""
    queue = f"{prefix}-{uuid.uuid4().hex[:12]}"
    command = [sys.executable, "-m", "celery", "-A", "tunewave", "worker", "-P", "solo", "-c", "1", "-Q", queue]
    command += ["-n", f"{queue}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "warning"]
    with log_path.open("w") as log:
        worker = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield queue, worker
    finally:
        # Nothing the test needs still runs there: no point waiting out the warm shutdown.
        worker.terminate()
        try:
            worker.wait(timeout=3)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        with app.connection_for_write() as conn:
            channel: Any = conn.default_channel  # kombu types it as the abstract StdChannel
            channel.queue_delete(queue)

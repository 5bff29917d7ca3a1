"""Celery: the app's safety settings, enqueue-on-commit, and (services mode) a real worker."""

import pytest
from django.conf import settings
from django.db import transaction

from tunewave.celery import app, ping
from tunewave.tests.celery_worker import celery_worker

# Read at import, before conftest's autouse fixture forces eager mode for each test.
BROKER_CONFIGURED = not settings.CELERY_TASK_ALWAYS_EAGER

ran_with: list[str] = []


@app.task(name="tunewave.tests.record")
def record(label: str) -> None:
    ran_with.append(label)


@pytest.fixture(autouse=True)
def _forget_runs():
    ran_with.clear()
    yield
    ran_with.clear()


def test_it_speaks_only_json():
    assert app.conf.task_serializer == "json"
    assert app.conf.result_serializer == "json"
    assert list(app.conf.accept_content) == ["json"]


def test_it_redelivers_tasks_whose_worker_dies():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_it_limits_how_long_a_task_may_run():
    assert app.conf.task_soft_time_limit
    assert app.conf.task_time_limit
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit


def test_it_runs_a_task_enqueued_on_commit_once_the_transaction_commits(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            record.delay_on_commit("committed")
            assert ran_with == []

    assert ran_with == ["committed"]


def test_it_never_runs_a_task_enqueued_in_a_transaction_that_rolls_back(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            record.delay_on_commit("rolled back")
            raise RuntimeError("the write failed")

    assert callbacks == []
    assert ran_with == []


@pytest.fixture
def worker_queue(tmp_path):
    """A worker consuming one queue of its own, in the same environment as this test run."""
    if not BROKER_CONFIGURED:
        pytest.skip("services mode only: set CELERY_BROKER_URL to run a real worker")
    log_path = tmp_path / "worker.log"
    with celery_worker(log_path, prefix="tw-test") as (queue, worker):
        yield queue, worker, log_path


def test_it_completes_a_task_on_a_real_worker(worker_queue):
    queue, worker, log = worker_queue
    app.conf.task_always_eager = False  # conftest's fixture restores eager mode afterwards

    result = ping.apply_async(queue=queue)

    try:
        answer = result.get(timeout=30)
    except Exception as exc:
        state = "running" if worker.poll() is None else f"exited with {worker.returncode}"
        pytest.fail(f"no answer from the worker ({state}, {exc!r}); its log:\n{log.read_text()}")
    assert answer == "pong"

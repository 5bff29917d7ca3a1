"""Liveness and readiness probes, as a load balancer sees them."""

import pytest
from django.conf import settings

from tunewave import health

# Read at import, before conftest's autouse fixture forces eager Celery for each test.
BROKER_CONFIGURED = not settings.CELERY_TASK_ALWAYS_EAGER


@pytest.fixture
def real_broker(settings):
    """Lets /readyz check the broker this run was started with (conftest forces eager mode)."""
    settings.CELERY_TASK_ALWAYS_EAGER = not BROKER_CONFIGURED


def test_it_answers_healthz(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_it_answers_healthz_with_a_trailing_slash(client):
    assert client.get("/healthz/").status_code == 200


@pytest.mark.django_db
def test_it_is_ready_when_every_dependency_answers(client, real_broker):
    response = client.get("/readyz")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "channel_layer", "broker"}
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"] == "ok"
    assert body["checks"]["channel_layer"] == "ok"
    assert body["checks"]["broker"] == ("ok" if BROKER_CONFIGURED else "eager")


@pytest.mark.django_db
def test_it_reports_the_broker_as_eager_in_the_embedded_default(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == "eager"


@pytest.mark.django_db
def test_it_is_not_ready_when_the_database_is_down(client, real_broker, monkeypatch):
    def database_down():
        raise ConnectionError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", database_down)

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "not_ready"
    assert "database" in body["detail"]
    assert body["checks"]["database"].startswith("down")
    assert body["checks"]["cache"] == "ok"


@pytest.mark.django_db
def test_it_names_every_dependency_that_is_down(client, real_broker, monkeypatch):
    def down():
        raise RuntimeError("nope")

    monkeypatch.setitem(health.CHECKS, "cache", down)
    monkeypatch.setitem(health.CHECKS, "broker", down)

    response = client.get("/readyz")

    assert response.status_code == 503
    detail = response.json()["detail"]
    assert "cache" in detail
    assert "broker" in detail
    assert "database" not in detail


@pytest.mark.django_db
def test_it_does_not_leak_error_messages_from_a_failing_check(client, real_broker, monkeypatch):
    def database_down():
        raise ConnectionError("password authentication failed for user tunewave at db.internal")

    monkeypatch.setitem(health.CHECKS, "database", database_down)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert "db.internal" not in response.content.decode()

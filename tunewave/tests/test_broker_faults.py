"""A hung broker (its port accepts TCP, nothing answers) must not slow or fail API calls.

Services mode: Celery is pointed at a SilentListener instead of RabbitMQ for the test. Every
call that enqueues a task (a friend request's e-mail, an invite's e-mail, the first queue add's
advance timer, a stale room index's refresh) still answers its usual success, well inside the
time a user waits; the work is left to the periodic sweeps and later reads.
"""

import time

import pytest

from core.testing.silent_listener import SilentListener
from recommendations import room_index
from recommendations import selectors as rec_selectors
from rooms.tests.factories import make_room
from social.models import OutgoingEmail
from tunewave.celery import app

# Generous: the hung broker cost 3.05 s per call before; a healthy call takes 30-70 ms.
BOUND = 2.0


@pytest.fixture
def hung_broker(services_mode, settings, monkeypatch):
    """Celery's broker is a SilentListener for the test, with fresh connection pools (Celery
    keeps them on the app; the ones to the real broker come back afterwards)."""
    listener = SilentListener().start()
    # Celery reads CELERY_BROKER_URL from the environment before its own configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", listener.amqp_url())
    monkeypatch.setitem(app.conf, "broker_url", listener.amqp_url())
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    yield listener
    app.pool.force_close_all()
    listener.stop()


def timed(call, capture_on_commit):
    """Calls the API as a request in autocommit would run it: the on-commit enqueues included."""
    started = time.monotonic()
    with capture_on_commit(execute=True):
        response = call()
    return response, time.monotonic() - started


@pytest.mark.django_db
def test_a_friend_request_succeeds_quickly_while_the_broker_hangs(
    hung_broker, alice, bob, as_user, django_capture_on_commit_callbacks
):
    response, took = timed(
        lambda: as_user(alice).post("/friendships/send-request", {"user_id": str(bob.pk)}, format="json"),
        django_capture_on_commit_callbacks,
    )

    assert response.status_code == 201, response.json()
    assert took < BOUND, f"friend request took {took:.2f} s"
    assert hung_broker.connections >= 1  # it did try the broker
    assert OutgoingEmail.objects.get().sent_at is None  # left for the sweep


@pytest.mark.django_db
def test_an_invite_succeeds_quickly_while_the_broker_hangs(
    hung_broker, people, private_room, client_as, django_capture_on_commit_callbacks
):
    response, took = timed(
        lambda: client_as("owner").post(f"/rooms/{private_room.pk}/invite/{people['outsider'].pk}"),
        django_capture_on_commit_callbacks,
    )

    assert response.status_code == 201, response.json()
    assert took < BOUND, f"invite took {took:.2f} s"


@pytest.mark.django_db
def test_the_first_queue_add_succeeds_quickly_while_the_broker_hangs(
    hung_broker, public_room, client_as, track, django_capture_on_commit_callbacks
):
    response, took = timed(
        lambda: client_as("owner").post(
            f"/rooms/{public_room.pk}/queue", {"spotify_id": track.spotify_id}, format="json"
        ),
        django_capture_on_commit_callbacks,
    )

    assert response.status_code == 201, response.json()
    assert took < BOUND, f"queue add took {took:.2f} s"
    assert hung_broker.connections >= 1


@pytest.mark.django_db
def test_a_stale_room_index_is_served_while_its_refresh_cannot_be_queued(
    hung_broker, people, as_user, django_capture_on_commit_callbacks
):
    make_room(owner=people["owner"], name="Elsewhere", genres=["jazz"])
    rec_selectors.reset_memos()
    assert as_user(people["outsider"]).get("/recommendations/rooms").status_code == 200  # builds the index
    index = room_index.current()
    index.built_at -= 3600  # a refresh is due; the broker cannot take it

    response, took = timed(
        lambda: as_user(people["outsider"]).get("/recommendations/rooms"), django_capture_on_commit_callbacks
    )

    assert response.status_code == 200, response.content
    assert [r["room"]["name"] for r in response.json()] == ["Elsewhere"]
    assert took < BOUND, f"recommendations took {took:.2f} s"
    assert hung_broker.connections >= 1

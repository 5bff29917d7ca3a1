import threading

import pytest
from django.db import close_old_connections

from accounts.tests.factories import UserFactory
from music.tests.factories import TrackFactory
from rooms import services
from rooms.models import QueueItem, Room
from rooms.tests.factories import make_room


def positions(room):
    return list(QueueItem.objects.filter(room=room).order_by("position").values_list("position", "track__name"))


@pytest.mark.django_db
def test_it_lists_the_queue_in_order_with_association_ids(people, public_room, client_as):
    owner = client_as("owner")
    for name in ["Playing", "First", "Second", "Third"]:
        track = TrackFactory(name=name)
        response = owner.post(f"/rooms/{public_room.pk}/queue", {"spotify_id": track.spotify_id}, format="json")
        assert response.status_code == 201
    body = client_as("anonymous").get(f"/rooms/{public_room.pk}/queue").json()
    assert [(item["position"], item["track"]["name"]) for item in body] == [(0, "First"), (1, "Second"), (2, "Third")]
    assert body[0]["association_id"] == body[0]["id"]
    assert body[0]["added_by"]["username"] == "owner"


@pytest.mark.django_db
def test_removing_keeps_positions_dense(people, public_room, client_as):
    services.queue_add(room=public_room, actor=people["owner"], track=TrackFactory(name="Playing"))
    items = [
        services.queue_add(room=public_room, actor=people["owner"], track=TrackFactory(name=f"T{i}")) for i in range(5)
    ]
    owner = client_as("owner")
    assert owner.delete(f"/rooms/{public_room.pk}/queue/{items[1].pk}").status_code == 204
    assert owner.delete(f"/rooms/{public_room.pk}/queue/{items[0].pk}").status_code == 204
    assert positions(public_room) == [(0, "T2"), (1, "T3"), (2, "T4")]
    assert owner.delete(f"/rooms/{public_room.pk}/queue/{items[0].pk}").status_code == 404
    assert owner.delete(f"/rooms/{public_room.pk}/queue/not-an-id").status_code == 404


@pytest.mark.django_db
def test_members_may_edit_when_the_room_allows_it(people, public_room, client_as, track):
    member = client_as("member")
    url = f"/rooms/{public_room.pk}/queue"
    assert member.post(url, {"spotify_id": track.spotify_id}, format="json").status_code == 403
    client_as("owner").put(f"/rooms/{public_room.pk}", {"queue_policy": "members"}, format="json")
    assert member.post(url, {"spotify_id": track.spotify_id}, format="json").status_code == 201
    assert client_as("outsider").post(url, {"spotify_id": track.spotify_id}, format="json").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{}, {"spotify_id": "bad"}, {"spotify_id": None}])
def test_it_rejects_bad_queue_bodies(people, public_room, client_as, body):
    response = client_as("owner").post(f"/rooms/{public_room.pk}/queue", body, format="json")
    assert response.status_code == 400
    assert not QueueItem.objects.exists()


@pytest.mark.django_db
def test_the_first_track_in_an_idle_room_starts_playing(people, public_room, client_as, track):
    response = client_as("owner").post(
        f"/rooms/{public_room.pk}/queue", {"spotify_id": track.spotify_id}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["track"]["name"] == "So What"
    assert client_as("owner").get(f"/rooms/{public_room.pk}/queue").json() == []
    assert client_as("owner").get(f"/rooms/{public_room.pk}").json()["now_playing"]["name"] == "So What"


@pytest.mark.django_db
def test_an_unknown_track_is_404(people, public_room, client_as):
    response = client_as("owner").post(
        f"/rooms/{public_room.pk}/queue", {"spotify_id": "4uLU6hMCjMI75M1A2tKUQC"}, format="json"
    )
    assert response.status_code == 404
    assert not QueueItem.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_racing_adds_never_share_a_position(services_mode):
    owner = UserFactory(username="owner")
    room = make_room(owner=owner, name="Race Track")
    services.queue_add(room=room, actor=owner, track=TrackFactory(name="Playing"))
    tracks = [TrackFactory(name=f"R{i}") for i in range(12)]
    barrier = threading.Barrier(len(tracks))
    errors = []

    def add(track):
        try:
            barrier.wait()
            services.queue_add(room=Room.objects.get(pk=room.pk), actor=owner, track=track)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=add, args=(t,)) for t in tracks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [p for p, _ in positions(room)] == list(range(12))

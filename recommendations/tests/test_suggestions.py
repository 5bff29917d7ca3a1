import pytest

from accounts.tests.factories import UserFactory
from recommendations import services
from recommendations.tests.conftest import listen
from rooms import presence
from rooms import services as room_services
from rooms.models import PlaybackState

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    return [item["track"]["name"] for item in response.json()]


@pytest.fixture
def jazz_crowd(catalog, people):
    """The jazz room's members play jazz; a metal crowd elsewhere gives the model contrast."""
    for persona in ("member", "moderator"):
        for track in catalog["jazz"]:
            listen(people[persona], track)
    for i in range(3):
        head = UserFactory(username=f"head{i}")
        for track in catalog["metal"]:
            listen(head, track)
    services.recommendations_recompute()


def test_it_suggests_tracks_that_fit_the_people_present(people, public_room, catalog, jazz_crowd, client_as):
    response = client_as("member").get(f"/rooms/{public_room.pk}/suggestions?limit=8")
    assert response.status_code == 200
    assert len(response.json()) == 8
    assert all(name.startswith(("Jazz", "Blue", "Bebop")) for name in names(response))
    for item in response.json():
        assert item["reasons"] and isinstance(item["score"], float)


def test_it_follows_who_is_online(people, public_room, catalog, jazz_crowd, client_as):
    metalhead = UserFactory(username="metalhead")
    for track in catalog["metal"]:
        listen(metalhead, track, plays=3)
    room_services.room_join(room=public_room, user=metalhead)
    presence.touch(room_id=public_room.pk, user_id=metalhead.pk, connection="c1")
    response = client_as("member").get(f"/rooms/{public_room.pk}/suggestions?limit=4")
    assert all(name.startswith("Metal") for name in names(response))


def test_it_never_suggests_queued_or_playing_tracks(people, public_room, catalog, jazz_crowd, client_as):
    jazz = catalog["jazz"]
    for track in jazz[:3]:
        room_services.queue_add(room=public_room, actor=people["owner"], track=track)
    state = PlaybackState.objects.get(room=public_room)
    assert state.track == jazz[0]  # the first one plays, the others wait
    response = client_as("member").get(f"/rooms/{public_room.pk}/suggestions?limit=50")
    assert not {"Blue in Green", "Jazz 1", "Jazz 2"} & set(names(response))
    assert "Jazz 3" in names(response)


def test_tracks_played_here_lately_come_last(people, public_room, catalog, jazz_crowd, client_as):
    listen(people["member"], catalog["jazz"][5], days_ago=0.05, room=public_room)
    response = client_as("member").get(f"/rooms/{public_room.pk}/suggestions?limit=50")
    jazz_names = [n for n in names(response) if n.startswith(("Jazz", "Blue", "Bebop"))]
    assert jazz_names[-1] == "Jazz 5"


def test_private_rooms_answer_404_to_outsiders(people, private_room, client_as):
    assert client_as("outsider").get(f"/rooms/{private_room.pk}/suggestions").status_code == 404
    assert client_as("member").get(f"/rooms/{private_room.pk}/suggestions").status_code == 200


def test_unknown_rooms_answer_404(client_as):
    assert client_as("member").get("/rooms/not-a-room/suggestions").status_code == 404
    assert client_as("member").get("/rooms/2f1d8c2a-9d51-4f8e-8f51-6b0bb0b0b0b0/suggestions").status_code == 404


def test_banned_users_are_refused(people, public_room, client_as):
    response = client_as("banned").get(f"/rooms/{public_room.pk}/suggestions")
    assert response.status_code == 403
    assert response.json()["detail"]


def test_anonymous_callers_get_401(public_room, client_as):
    assert client_as("anonymous").get(f"/rooms/{public_room.pk}/suggestions").status_code == 401


def test_it_runs_a_fixed_number_of_queries(
    people, public_room, catalog, jazz_crowd, client_as, django_assert_max_num_queries
):
    for track in catalog["jazz"][:3]:
        room_services.queue_add(room=public_room, actor=people["owner"], track=track)
    client = client_as("member")
    client.get(f"/rooms/{public_room.pk}/suggestions")
    with django_assert_max_num_queries(25) as small:
        assert len(client.get(f"/rooms/{public_room.pk}/suggestions?limit=2").json()) == 2
    with django_assert_max_num_queries(25) as large:
        assert len(client.get(f"/rooms/{public_room.pk}/suggestions?limit=12").json()) == 12
    assert len(large.captured_queries) == len(small.captured_queries)


def test_it_is_rate_limited(public_room, client_as):
    client = client_as("member")
    for _ in range(10):
        assert client.get(f"/rooms/{public_room.pk}/suggestions").status_code == 200
    assert client.get(f"/rooms/{public_room.pk}/suggestions").status_code == 429

from datetime import timedelta

import pytest
from django.utils import timezone

from music import services
from music.models import FavoriteTrack
from music.tests.factories import ArtistFactory, TrackFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def blue_in_green(db):
    return TrackFactory(name="Blue in Green", artist=ArtistFactory(name="Miles Davis"), genres=["jazz", "modal jazz"])


def test_it_adds_a_favorite_once(alice, as_user, blue_in_green):
    client = as_user(alice)
    first = client.post("/favorites/me", {"spotify_id": blue_in_green.spotify_id}, format="json")
    assert first.status_code == 201
    assert first.json()["track"]["name"] == "Blue in Green"
    assert first.json()["track"]["artists"] == ["Miles Davis"]
    assert first.json()["track"]["genres"] == ["jazz", "modal jazz"]
    again = client.post("/favorites/me", {"spotify_id": blue_in_green.spotify_id}, format="json")
    assert again.status_code == 200
    assert again.json()["added_at"] == first.json()["added_at"]
    assert FavoriteTrack.objects.filter(user=alice).count() == 1


def test_it_lists_my_favorites_newest_first(alice, as_user):
    tracks = [TrackFactory(name=f"Song {i}") for i in range(3)]
    for track in tracks:
        services.favorite_add(user=alice, track=track)
    body = as_user(alice).get("/favorites/me").json()
    assert [f["track"]["name"] for f in body] == ["Song 2", "Song 1", "Song 0"]
    assert as_user(alice).get("/favorites/me?limit=1&offset=1").json()[0]["track"]["name"] == "Song 1"


def test_it_removes_a_favorite(alice, as_user, blue_in_green):
    services.favorite_add(user=alice, track=blue_in_green)
    client = as_user(alice)
    assert client.delete(f"/favorites/me/{blue_in_green.spotify_id}").status_code == 204
    assert client.get("/favorites/me").json() == []
    assert client.delete(f"/favorites/me/{blue_in_green.spotify_id}").status_code == 404


def test_removing_only_touches_my_own_favorites(alice, bob, as_user, blue_in_green):
    services.favorite_add(user=alice, track=blue_in_green)
    assert as_user(bob).delete(f"/favorites/me/{blue_in_green.spotify_id}").status_code == 404
    assert FavoriteTrack.objects.filter(user=alice).count() == 1


def test_anyone_sees_a_users_favorites(alice, bob, as_user, api, blue_in_green):
    services.favorite_add(user=alice, track=blue_in_green)
    for client in (api, as_user(bob)):
        body = client.get(f"/favorites/{alice.id}").json()
        assert [f["track"]["spotify_id"] for f in body] == [blue_in_green.spotify_id]


def test_anonymous_cannot_change_favorites(api, blue_in_green):
    assert api.get("/favorites/me").status_code == 401
    assert api.post("/favorites/me", {"spotify_id": blue_in_green.spotify_id}, format="json").status_code == 401
    assert api.delete(f"/favorites/me/{blue_in_green.spotify_id}").status_code == 401


@pytest.mark.parametrize("body", [{}, {"spotify_id": "short"}, {"spotify_id": "x" * 21 + "!"}, {"spotify_id": 12}])
def test_it_rejects_bad_favorite_bodies(alice, as_user, body):
    response = as_user(alice).post("/favorites/me", body, format="json")
    assert response.status_code == 400
    assert "spotify_id" in response.json()["errors"]


def test_it_answers_404_for_an_unknown_track(alice, as_user):
    response = as_user(alice).post("/favorites/me", {"spotify_id": "4uLU6hMCjMI75M1A2tKUQC"}, format="json")
    assert response.status_code == 404
    assert FavoriteTrack.objects.count() == 0


@pytest.mark.parametrize("user_id", ["nope", "00000000-0000-0000-0000-000000000000"])
def test_it_answers_404_for_unknown_users(api, user_id, db):
    assert api.get(f"/favorites/{user_id}").status_code == 404
    assert api.get(f"/users/{user_id}/history").status_code == 404


def test_favorites_limits_are_documented_ones(alice, as_user, blue_in_green):
    client = as_user(alice)
    assert [client.get("/favorites/me").status_code for _ in range(16)][-2:] == [200, 429]
    adds = [
        client.post("/favorites/me", {"spotify_id": blue_in_green.spotify_id}, format="json").status_code
        for _ in range(6)
    ]
    assert adds[-1] == 429


def test_favorites_run_a_fixed_number_of_queries(alice, as_user, django_assert_max_num_queries):
    for i in range(30):
        services.favorite_add(user=alice, track=TrackFactory(name=f"T{i}", genres=["rock"]))
    client = as_user(alice)
    with django_assert_max_num_queries(8):
        assert len(client.get("/favorites/me?limit=30").json()) == 30


def listen(user, track, minutes_ago: int, room_id=None):
    services.listening_record(
        user=user,
        track=track,
        room_id=room_id,
        listened_at=timezone.now() - timedelta(minutes=minutes_ago),
        ms_played=1000,
    )


def test_it_shows_my_history_newest_first_and_pages_back(alice, as_user):
    tracks = [TrackFactory(name=f"Heard {i}") for i in range(5)]
    for minutes_ago, track in enumerate(tracks):
        listen(alice, track, minutes_ago)
    client = as_user(alice)
    first = client.get("/users/me/history?limit=2").json()
    assert [e["track"]["name"] for e in first] == ["Heard 0", "Heard 1"]
    assert set(first[0]) >= {"track", "room_id", "listened_at"}
    older = client.get("/users/me/history", {"limit": 2, "before_timestamp": first[-1]["listened_at"]}).json()
    assert [e["track"]["name"] for e in older] == ["Heard 2", "Heard 3"]


@pytest.mark.parametrize("query", ["limit=abc", "limit=0", "before_timestamp=yesterday"])
def test_it_rejects_bad_history_parameters(alice, as_user, query):
    response = as_user(alice).get(f"/users/me/history?{query}")
    assert response.status_code == 400


def test_a_huge_limit_is_capped(alice, as_user):
    for i in range(3):
        listen(alice, TrackFactory(), i)
    assert len(as_user(alice).get("/users/me/history?limit=100000").json()) == 3


def test_others_see_public_history(alice, bob, as_user, api, blue_in_green):
    listen(alice, blue_in_green, 1)
    assert as_user(bob).get(f"/users/{alice.id}/history").json()[0]["track"]["name"] == "Blue in Green"
    assert api.get(f"/users/{alice.id}/history").status_code == 200


def test_a_user_can_hide_their_history(alice, bob, as_user, api, blue_in_green):
    listen(alice, blue_in_green, 1)
    response = as_user(alice).put(f"/users/{alice.id}", {"history_public": False}, format="json")
    assert response.json()["history_public"] is False
    assert as_user(bob).get(f"/users/{alice.id}/history").status_code == 403
    assert api.get(f"/users/{alice.id}/history").status_code == 403
    assert len(as_user(alice).get(f"/users/{alice.id}/history").json()) == 1
    assert len(as_user(alice).get("/users/me/history").json()) == 1


def test_the_same_listen_is_recorded_once(alice, blue_in_green):
    moment = timezone.now()
    assert services.listening_record(user=alice, track=blue_in_green, listened_at=moment) is True
    assert services.listening_record(user=alice, track=blue_in_green, listened_at=moment) is False
    assert alice.listening_events.count() == 1


def test_history_runs_a_fixed_number_of_queries(alice, as_user, django_assert_max_num_queries):
    for i in range(40):
        listen(alice, TrackFactory(genres=["pop"]), i)
    with django_assert_max_num_queries(8):
        assert len(as_user(alice).get("/users/me/history?limit=40").json()) == 40

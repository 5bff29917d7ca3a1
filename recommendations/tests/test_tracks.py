import pytest
from django.core.cache import cache

from accounts.tests.factories import UserFactory
from music import services as music_services
from music.tests.factories import TrackFactory
from recommendations import services
from recommendations.tests.conftest import listen

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    return [item["track"]["name"] for item in response.json()]


def by_name(response) -> dict:
    return {item["track"]["name"]: item for item in response.json()}


@pytest.fixture
def crowd(catalog):
    """Six jazz listeners who play all of Miles Davis's tracks and two of Bill Evans's, four metalheads."""
    jazz, metal = catalog["jazz"], catalog["metal"]
    fans = [UserFactory(username=f"fan{i}") for i in range(6)]
    for fan in fans:
        for track in jazz[:4] + jazz[4:6]:
            listen(fan, track, plays=2)
    for i in range(4):
        head = UserFactory(username=f"head{i}")
        for track in metal:
            listen(head, track)
    return fans


def test_it_recommends_what_people_with_the_same_history_play(catalog, crowd, alice, as_user):
    jazz = catalog["jazz"]
    listen(alice, jazz[0], plays=5)  # Blue in Green
    listen(alice, jazz[1])
    services.recommendations_recompute()
    response = as_user(alice).get("/recommendations/tracks?limit=20")
    assert response.status_code == 200
    top = names(response)[:4]
    assert set(top) == {"Jazz 2", "Jazz 3", "Jazz 4", "Jazz 5"}
    assert "People who play Blue in Green also play this" in by_name(response)["Jazz 2"]["reasons"]
    assert "By Miles Davis, like your history" in by_name(response)["Jazz 2"]["reasons"]
    first_metal = min(i for i, name in enumerate(names(response)) if name.startswith("Metal"))
    last_jazz = max(i for i, name in enumerate(names(response)) if name.startswith(("Jazz", "Bebop")))
    assert first_metal > last_jazz
    assert response.json()[0]["track"]["artists"] and response.json()[0]["track"]["genres"] == ["jazz"]


def test_every_result_carries_a_score_and_reasons(catalog, crowd, alice, as_user):
    listen(alice, catalog["jazz"][0])
    services.recommendations_recompute()
    response = as_user(alice).get("/recommendations/tracks?limit=20")
    assert len(response.json()) == 20
    scores = [item["score"] for item in response.json()]
    assert scores == sorted(scores, reverse=True)
    for item in response.json():
        assert item["reasons"] and all(isinstance(reason, str) and reason for reason in item["reasons"])


def test_it_never_recommends_favorites_or_what_was_heard_in_the_last_day(catalog, crowd, alice, as_user):
    jazz = catalog["jazz"]
    listen(alice, jazz[0], plays=5)
    music_services.favorite_add(user=alice, track=jazz[2])
    listen(alice, jazz[3], days_ago=0.2)
    services.recommendations_recompute()
    response = as_user(alice).get("/recommendations/tracks?limit=10")
    assert "Jazz 2" not in names(response)
    assert "Jazz 3" not in names(response)
    assert "Jazz 1" in names(response)


def test_excluded_tracks_come_only_when_nothing_else_is_left(db, alice, as_user):
    only = TrackFactory(name="The Only Track", genres=["jazz"])
    other = TrackFactory(name="Heard Today", genres=["jazz"])
    music_services.favorite_add(user=alice, track=only)
    listen(alice, other, days_ago=0.1)
    listen(UserFactory(username="someone"), only)
    services.recommendations_recompute()
    response = as_user(alice).get("/recommendations/tracks")
    assert sorted(names(response)) == ["Heard Today", "The Only Track"]
    assert all(item["reasons"] for item in response.json())


def test_a_new_user_with_only_favorite_genres_gets_tracks_of_those_genres(catalog, crowd, as_user):
    services.recommendations_recompute()
    newcomer = UserFactory(username="newcomer", favorite_genres=["metal"])
    response = as_user(newcomer).get("/recommendations/tracks?limit=8")
    assert len(response.json()) == 8
    assert all(name.startswith("Metal") for name in names(response))
    assert "Metal, one of your favorite genres" in response.json()[0]["reasons"]


def test_a_user_with_nothing_gets_popular_tracks(catalog, crowd, as_user):
    services.recommendations_recompute()
    response = as_user(UserFactory(username="newcomer")).get("/recommendations/tracks?limit=3")
    assert len(response.json()) == 3
    assert set(names(response)) <= {"Blue in Green", "Jazz 1", "Jazz 2", "Jazz 3", "Jazz 4", "Jazz 5"}  # most listened
    assert all(item["reasons"] == ["Popular on TuneWave"] for item in response.json())


def test_it_works_before_any_recompute(catalog, alice, as_user):
    listen(alice, catalog["jazz"][0])
    response = as_user(alice).get("/recommendations/tracks?limit=5")
    assert response.status_code == 200
    assert len(response.json()) == 5
    assert response.json()[0]["track"]["name"].startswith(("Jazz", "Blue", "Bebop"))


def test_a_new_favorite_counts_without_a_recompute(catalog, crowd, alice, as_user):
    services.recommendations_recompute()
    client = as_user(alice)
    before = client.get("/recommendations/tracks?limit=4")
    assert not any(name.startswith("Bebop") for name in names(before))
    music_services.favorite_add(user=alice, track=catalog["bebop"][0])
    # A taste is reused for at most 30 s; that moment has passed.
    cache.delete(f"rec:taste:{alice.pk}")
    after = client.get("/recommendations/tracks?limit=4")
    assert "Bebop 0" not in names(after)  # the favorite itself is never suggested
    assert {"Bebop 1", "Bebop 2", "Bebop 3"} <= set(names(after))
    assert "By Charlie Parker, like your favorites" in by_name(after)["Bebop 1"]["reasons"]


def test_it_runs_a_fixed_number_of_queries(catalog, crowd, alice, as_user, django_assert_max_num_queries):
    for track in catalog["jazz"][:3] + catalog["metal"][:2]:
        listen(alice, track)
    music_services.favorite_add(user=alice, track=catalog["bebop"][0])
    services.recommendations_recompute()
    client = as_user(alice)
    client.get("/recommendations/tracks")  # reads the model's figures, kept for a minute per process
    cache.delete(f"rec:taste:{alice.pk}")
    with django_assert_max_num_queries(22) as small:
        assert len(client.get("/recommendations/tracks?limit=2").json()) == 2
    cache.delete(f"rec:taste:{alice.pk}")
    with django_assert_max_num_queries(22) as large:
        assert len(client.get("/recommendations/tracks?limit=15").json()) == 15
    assert len(large.captured_queries) == len(small.captured_queries)


def test_it_is_rate_limited(alice, as_user):
    client = as_user(alice)
    for _ in range(10):
        assert client.get("/recommendations/tracks").status_code == 200
    response = client.get("/recommendations/tracks")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0

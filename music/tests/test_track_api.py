"""`GET /track/{spotify_id}` and `POST /track/`, with Spotify mocked."""

import pytest
import requests

from music.covers import album_cover_path
from music.models import Artist, Track
from music.tests.factories import ArtistFactory, TrackFactory
from music.tests.test_spotify import (
    SO_WHAT,
    TOKEN_URL,
    configure,
    mock_artists,
    mock_token,
    mock_track,
    track_json,
)

pytestmark = pytest.mark.django_db


BLUE_IN_GREEN = "0aWMVrwxPNYkKmFthzmpRi"


@pytest.fixture
def spotify_on(settings):
    configure(settings)
    return settings


@pytest.fixture
def slept(monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr("music.spotify.sleep", waits.append)
    return waits


@pytest.fixture
def blue_in_green(db):
    return TrackFactory(
        spotify_id=BLUE_IN_GREEN,
        name="Blue in Green",
        album="Kind of Blue",
        duration_ms=337_000,
        artist=ArtistFactory(name="Miles Davis"),
        genres=["jazz", "modal jazz"],
    )


def test_it_shows_a_known_track_without_asking_spotify(api, settings, blue_in_green, mocked_responses):
    settings.SPOTIFY_CLIENT_ID = ""

    response = api.get(f"/track/{BLUE_IN_GREEN}")

    assert response.status_code == 200
    assert response.json() == {
        "spotify_id": BLUE_IN_GREEN,
        "name": "Blue in Green",
        "artists": ["Miles Davis"],
        "album": "Kind of Blue",
        "duration_ms": 337_000,
        "genres": ["jazz", "modal jazz"],
        "image_url": "http://testserver"
        + album_cover_path(album="Kind of Blue", artists=["Miles Davis"], genres=["jazz", "modal jazz"]),
        "audio_url": None,
        "origin": "spotify",
        "sources": ["spotify"],
    }
    assert len(mocked_responses.calls) == 0


def test_it_answers_with_and_without_the_trailing_slash(api, blue_in_green):
    assert api.get(f"/track/{BLUE_IN_GREEN}/").json()["name"] == "Blue in Green"


def test_it_reads_a_known_track_in_a_fixed_number_of_queries(api, django_assert_max_num_queries):
    artists = [ArtistFactory() for _ in range(5)]
    track = TrackFactory(spotify_id=BLUE_IN_GREEN, artist=artists[0], genres=["jazz", "bop", "cool jazz"])
    for position, artist in enumerate(artists[1:], start=1):
        track.credits.create(artist=artist, position=position)

    with django_assert_max_num_queries(3):
        response = api.get(f"/track/{BLUE_IN_GREEN}")

    assert len(response.json()["artists"]) == 5


def test_it_says_404_for_an_unknown_track_without_spotify(api, settings, mocked_responses):
    settings.SPOTIFY_CLIENT_ID = ""

    response = api.get(f"/track/{SO_WHAT}")

    assert response.status_code == 404
    assert "Spotify is not configured" in response.json()["detail"]
    assert len(mocked_responses.calls) == 0


def test_it_fetches_an_unknown_track_from_spotify_and_keeps_it(api, spotify_on, mocked_responses):
    mock_token(mocked_responses)
    mock_track(mocked_responses)

    response = api.get(f"/track/{SO_WHAT}")

    assert response.status_code == 200
    assert response.json() == {
        "spotify_id": SO_WHAT,
        "name": "So What",
        "artists": ["Miles Davis", "John Coltrane"],
        "album": "Kind of Blue",
        "duration_ms": 562_000,
        "genres": [],
        "image_url": "https://i.scdn.co/image/large",
        "audio_url": None,
        "origin": "spotify",
        "sources": ["spotify"],
    }
    calls = len(mocked_responses.calls)
    assert api.get(f"/track/{SO_WHAT}").json()["name"] == "So What"
    assert len(mocked_responses.calls) == calls
    assert Track.objects.get(spotify_id=SO_WHAT).popularity == 71


def test_it_waits_out_a_429_and_then_shows_the_track(api, spotify_on, mocked_responses, slept):
    mock_token(mocked_responses)
    mock_track(mocked_responses, status=429, json={}, headers={"Retry-After": "2"})
    mock_track(mocked_responses)

    response = api.get(f"/track/{SO_WHAT}")

    assert response.status_code == 200
    assert slept == [2.0]


def test_it_says_503_when_spotify_keeps_failing(api, spotify_on, mocked_responses, slept):
    mock_token(mocked_responses)
    mock_track(mocked_responses, status=500, body="")

    response = api.get(f"/track/{SO_WHAT}")

    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    assert "cannot ask Spotify" in response.json()["detail"]
    assert len(slept) == spotify_on.SPOTIFY_MAX_RETRIES
    assert not Track.objects.exists()


def test_it_passes_on_spotifys_retry_after_when_it_gives_up(api, spotify_on, mocked_responses, slept):
    mock_token(mocked_responses)
    mock_track(mocked_responses, status=429, json={}, headers={"Retry-After": "90"})

    response = api.get(f"/track/{SO_WHAT}")

    assert response.status_code == 503
    assert response["Retry-After"] == "90"
    assert "rate-limiting" in response.json()["detail"]


@pytest.mark.parametrize(
    "error", [requests.exceptions.ConnectTimeout("connect"), requests.exceptions.ReadTimeout("read")]
)
def test_it_says_503_when_spotify_times_out(api, spotify_on, mocked_responses, error):
    mock_token(mocked_responses)
    mock_track(mocked_responses, body=error)

    response = api.get(f"/track/{SO_WHAT}")

    assert response.status_code == 503
    assert "did not answer within 5 s" in response.json()["detail"]


@pytest.mark.parametrize(
    "answer",
    [{"body": "<html>bad gateway</html>"}, {"json": {"id": SO_WHAT}}, {"json": track_json(artists="Miles")}],
    ids=["not-json", "missing-fields", "wrong-types"],
)
def test_it_says_503_for_a_malformed_answer(api, spotify_on, mocked_responses, answer):
    mock_token(mocked_responses)
    mock_track(mocked_responses, **answer)

    response = api.get(f"/track/{SO_WHAT}")

    assert response.status_code == 503
    assert "could not read" in response.json()["detail"]
    assert not Track.objects.exists()


def test_it_says_404_when_spotify_does_not_know_the_track(api, spotify_on, mocked_responses):
    mock_token(mocked_responses)
    mock_track(mocked_responses, status=404, json={"error": {"status": 404, "message": "Non existing id"}})

    response = api.get(f"/track/{SO_WHAT}")

    assert response.status_code == 404
    assert "neither TuneWave nor Spotify knows it" in response.json()["detail"]


@pytest.mark.parametrize(
    "bad_id",
    [
        "abc",
        SO_WHAT + "x",
        SO_WHAT[:-1],
        "2PzU4IB8Dr6mxV3lHuaG3-",
        "local:0123456789abcdef",
        "2PzU4IB8Dr6mxV3lHuaG3%C3%A9",
        "2PzU4IB8Dr6mxV3lHuaG34%0A",
    ],
)
def test_it_rejects_ids_that_are_not_spotify_ids(api, spotify_on, mocked_responses, bad_id):
    response = api.get(f"/track/{bad_id}")

    assert response.status_code == 400
    assert response.json()["errors"]["spotify_id"] == [
        "A track id is a Spotify id (22 letters and digits), local:<32 hex digits> or upload:<32 hex digits>."
    ]
    assert len(mocked_responses.calls) == 0


def test_it_limits_track_reads_to_15_a_minute(api, blue_in_green):
    for _ in range(15):
        assert api.get(f"/track/{BLUE_IN_GREEN}").status_code == 200

    response = api.get(f"/track/{BLUE_IN_GREEN}")

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "15 per minute" in response.json()["detail"]


# --- POST /track/ ------------------------------------------------------------------------


def test_it_creates_a_track_from_a_full_body_without_spotify(alice, as_user, settings, mocked_responses):
    settings.SPOTIFY_CLIENT_ID = ""
    body = {
        "spotify_id": SO_WHAT,
        "name": "So What",
        "artists": ["Miles Davis", "John Coltrane"],
        "album": "Kind of Blue",
        "duration_ms": 562_000,
        "genres": ["  Modal   JAZZ ", "jazz", "modal jazz"],
        "image_url": "https://example.com/kind-of-blue.jpg",
        "audio_url": "/media/clips/so-what.ogg",
    }

    response = as_user(alice).post("/track/", body, format="json")

    assert response.status_code == 201
    assert response.json() == {
        "spotify_id": SO_WHAT,
        "name": "So What",
        "artists": ["Miles Davis", "John Coltrane"],
        "album": "Kind of Blue",
        "duration_ms": 562_000,
        "genres": ["jazz", "modal jazz"],
        "image_url": "https://example.com/kind-of-blue.jpg",
        "audio_url": "http://testserver/media/clips/so-what.ogg",
        "origin": "spotify",
        "sources": ["audio", "spotify"],
    }
    assert len(mocked_responses.calls) == 0


def test_it_reuses_local_artists_by_name(alice, as_user):
    client = as_user(alice)
    client.post("/track/", {"spotify_id": SO_WHAT, "name": "So What", "artists": ["Miles Davis"]}, format="json")
    client.post(
        "/track/", {"spotify_id": BLUE_IN_GREEN, "name": "Blue in Green", "artists": ["miles davis"]}, format="json"
    )

    assert Artist.objects.count() == 1


def test_it_fetches_a_track_posted_by_id_alone(alice, as_user, spotify_on, mocked_responses):
    mock_token(mocked_responses)
    mock_track(mocked_responses)

    response = as_user(alice).post("/track/", {"spotify_id": SO_WHAT}, format="json")

    assert response.status_code == 201
    assert response.json()["artists"] == ["Miles Davis", "John Coltrane"]
    assert Track.objects.get().spotify_id == SO_WHAT


def test_it_lets_given_fields_win_over_spotifys(alice, as_user, spotify_on, mocked_responses):
    mock_token(mocked_responses)
    mock_track(mocked_responses)

    response = as_user(alice).post(
        "/track/", {"spotify_id": SO_WHAT, "name": "So What (live)", "genres": ["Jazz"]}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["name"] == "So What (live)"
    assert response.json()["album"] == "Kind of Blue"
    assert response.json()["genres"] == ["jazz"]


def test_it_returns_the_stored_track_for_a_known_id(alice, as_user, blue_in_green, spotify_on, mocked_responses):
    response = as_user(alice).post(
        "/track/", {"spotify_id": BLUE_IN_GREEN, "name": "Something else", "artists": ["Nobody"]}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["name"] == "Blue in Green"
    assert Track.objects.filter(spotify_id=BLUE_IN_GREEN).count() == 1
    assert len(mocked_responses.calls) == 0


def test_it_says_404_for_an_id_alone_without_spotify(alice, as_user, settings):
    settings.SPOTIFY_CLIENT_ID = ""

    response = as_user(alice).post("/track/", {"spotify_id": SO_WHAT}, format="json")

    assert response.status_code == 404
    assert "with its name and artists" in response.json()["detail"]


def test_it_says_404_when_spotify_does_not_know_a_posted_id(alice, as_user, spotify_on, mocked_responses):
    mock_token(mocked_responses)
    mock_track(mocked_responses, status=404, json={"error": {"status": 404, "message": "Non existing id"}})

    assert as_user(alice).post("/track/", {"spotify_id": SO_WHAT}, format="json").status_code == 404


def test_it_says_503_and_stores_nothing_when_spotify_is_down(alice, as_user, spotify_on, mocked_responses):
    mocked_responses.post(TOKEN_URL, body=requests.exceptions.ConnectionError("down"))

    response = as_user(alice).post("/track/", {"spotify_id": SO_WHAT}, format="json")

    assert response.status_code == 503
    assert "could not be reached" in response.json()["detail"]
    assert not Track.objects.exists()


def test_it_requires_sign_in_to_add_a_track(api):
    response = api.post("/track/", {"spotify_id": SO_WHAT, "name": "So What", "artists": ["Miles"]}, format="json")

    assert response.status_code == 401
    assert not Track.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "spotify_id"),
        ({"spotify_id": "not-an-id"}, "spotify_id"),
        ({"spotify_id": 12345}, "spotify_id"),
        ({"spotify_id": SO_WHAT, "name": "So What", "artists": "Miles Davis"}, "artists"),
        ({"spotify_id": SO_WHAT, "name": "So What", "artists": []}, "artists"),
        ({"spotify_id": SO_WHAT, "name": "So What", "artists": [{"name": "Miles"}]}, "artists"),
        ({"spotify_id": SO_WHAT, "name": "", "artists": ["Miles"]}, "name"),
        ({"spotify_id": SO_WHAT, "name": "x" * 301, "artists": ["Miles"]}, "name"),
        ({"spotify_id": SO_WHAT, "name": "So\x00What", "artists": ["Miles"]}, "name"),
        ({"spotify_id": SO_WHAT, "name": "So What", "artists": ["Miles"], "duration_ms": -1}, "duration_ms"),
        ({"spotify_id": SO_WHAT, "name": "So What", "artists": ["Miles"], "duration_ms": 10**12}, "duration_ms"),
        ({"spotify_id": SO_WHAT, "name": "So What", "artists": ["Miles"], "duration_ms": "long"}, "duration_ms"),
        ({"spotify_id": SO_WHAT, "name": "So What", "artists": ["Miles"], "genres": "jazz"}, "genres"),
        ({"spotify_id": SO_WHAT, "name": "So What", "artists": ["Miles"], "genres": ["g"] * 21}, "genres"),
        ({"spotify_id": SO_WHAT, "name": "So What", "artists": ["Miles"], "image_url": "ftp://x/y.jpg"}, "image_url"),
        (
            {"spotify_id": SO_WHAT, "name": "So What", "artists": ["Miles"], "audio_url": "javascript:alert(1)"},
            "audio_url",
        ),
        (
            {"spotify_id": SO_WHAT, "name": "So What", "artists": ["Miles"], "audio_url": "//evil.example/a.ogg"},
            "audio_url",
        ),
    ],
)
def test_it_rejects_bad_bodies_and_stores_nothing(alice, as_user, body, field):
    response = as_user(alice).post("/track/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Track.objects.exists()
    assert not Artist.objects.exists()


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b'{"spotify_id": "2PzU4IB8Dr6mxV3lHuaG34", ', 400),
        (b"[1, 2, 3]", 400),
        (b"null", 400),
        (b'"just a string"', 400),
        (b'{"spotify_id": "' + b"a" * (2 * 1024 * 1024) + b'"}', 413),
    ],
    ids=["truncated", "list", "null", "string", "huge"],
)
def test_it_answers_malformed_json_with_a_4xx(alice, as_user, raw, status):
    response = as_user(alice).post("/track/", raw, content_type="application/json")

    assert response.status_code == status
    assert response.json()["detail"]
    assert not Track.objects.exists()


def test_it_limits_track_creation_to_10_a_minute(alice, as_user, blue_in_green):
    client = as_user(alice)
    for _ in range(10):
        assert client.post("/track/", {"spotify_id": BLUE_IN_GREEN}, format="json").status_code == 200

    response = client.post("/track/", {"spotify_id": BLUE_IN_GREEN}, format="json")

    assert response.status_code == 429
    assert "10 per minute" in response.json()["detail"]


def test_a_failing_enrichment_does_not_fail_the_request(
    api, spotify_on, mocked_responses, slept, django_capture_on_commit_callbacks
):
    mock_token(mocked_responses)
    mock_track(mocked_responses)
    mocked_responses.get("https://api.spotify.com/v1/artists/", status=500, body="")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api.get(f"/track/{SO_WHAT}")

    assert response.status_code == 200
    assert len(callbacks) == 1
    assert Artist.objects.filter(enriched_at__isnull=True).count() == 2


def test_it_enriches_a_fetched_tracks_genres_once_stored(
    api, spotify_on, mocked_responses, django_capture_on_commit_callbacks
):
    mock_token(mocked_responses)
    mock_track(mocked_responses)
    mock_artists(mocked_responses)

    with django_capture_on_commit_callbacks(execute=True):
        api.get(f"/track/{SO_WHAT}")

    assert api.get(f"/track/{SO_WHAT}").json()["genres"] == ["cool jazz", "hard bop", "jazz"]

"""GET /search with Spotify (mocked with `responses`): ok, failed, off; queueing what it found."""

import re

import pytest
import requests

from music.models import FavoriteTrack, Track
from music.tests.factories import ArtistFactory, TrackFactory
from music.tests.test_spotify import SO_WHAT, TOKEN_URL, configure, mock_token, track_json
from rooms.models import QueueItem

pytestmark = pytest.mark.django_db

SEARCH_URL = re.compile(r"https://api\.spotify\.com/v1/search(\?.*)?$")
TRACKS_URL = re.compile(r"https://api\.spotify\.com/v1/tracks/.*")
FREDDIE = "4vLYewWIvqHfKtJDk8c8tq"


def mock_search(rsps, items=None, **kwargs):
    if "json" not in kwargs and "body" not in kwargs:
        items = items if items is not None else [track_json(SO_WHAT), track_json(FREDDIE, name="Freddie Freeloader")]
        kwargs["json"] = {"tracks": {"items": items, "total": len(items)}}
    rsps.get(SEARCH_URL, **kwargs)


def search_calls(rsps):
    return [call for call in rsps.calls if "/v1/search" in call.request.url]


@pytest.fixture
def spotify_on(settings):
    configure(settings)
    return settings


@pytest.fixture
def local_so_what(db):
    return TrackFactory(
        spotify_id=SO_WHAT,
        name="So What",
        album="Kind of Blue",
        artist=ArtistFactory(name="Miles Davis"),
        audio_url="/static/so-what.mp3",
    )


def test_without_credentials_spotify_is_off_and_never_asked(api, settings, local_so_what, mocked_responses):
    settings.SPOTIFY_CLIENT_ID = ""

    body = api.get("/search", {"q": "so what"}).json()

    assert body["spotify"] == "off"
    assert [t["name"] for t in body["tracks"]] == ["So What"]
    assert len(mocked_responses.calls) == 0


def test_spotify_is_off_when_tracks_are_not_asked_for(api, spotify_on, mocked_responses):
    assert api.get("/search", {"q": "so what", "type": "room"}).json()["spotify"] == "off"
    assert len(mocked_responses.calls) == 0


def test_spotify_results_the_catalog_lacks_come_back_as_tracks(api, spotify_on, local_so_what, mocked_responses):
    mock_token(mocked_responses)
    mock_search(mocked_responses)

    body = api.get("/search", {"q": "so what", "type": "track"}).json()

    assert body["spotify"] == "ok"
    so_what, freddie = body["tracks"]
    # The catalog's own track stands for itself (it can play here) ...
    assert so_what["spotify_id"] == local_so_what.spotify_id
    assert so_what["audio_url"].endswith("/static/so-what.mp3")
    # ... and a track only Spotify knows is a Track too, that cannot play in the browser.
    assert freddie == {
        "spotify_id": FREDDIE,
        "name": "Freddie Freeloader",
        "artists": ["Miles Davis", "John Coltrane"],
        "album": "Kind of Blue",
        "duration_ms": 562_000,
        "genres": [],
        "image_url": "https://i.scdn.co/image/large",
        "audio_url": None,
        "origin": "spotify",
        "sources": ["spotify"],
    }
    assert not Track.objects.filter(spotify_id=FREDDIE).exists()
    asked = search_calls(mocked_responses)[0].request
    assert "type=track" in asked.url and "limit=10" in asked.url and "q=so+what" in asked.url


def test_a_spotify_result_without_art_gets_a_generated_cover(api, spotify_on, mocked_responses):
    bare = track_json(FREDDIE, name="Freddie Freeloader")
    bare["album"]["images"] = []
    mock_token(mocked_responses)
    mock_search(mocked_responses, items=[bare])

    (track,) = api.get("/search", {"q": "freddie", "type": "track"}).json()["tracks"]

    assert track["image_url"].startswith("http://testserver/covers/")


def test_a_spotify_result_the_catalog_has_is_shown_once_as_the_catalogs(api, spotify_on, mocked_responses):
    stored = TrackFactory(spotify_id=SO_WHAT, name="So What", audio_url="/static/so-what.mp3")
    mock_token(mocked_responses)
    mock_search(mocked_responses, items=[track_json(SO_WHAT)])

    tracks = api.get("/search", {"q": "so what", "type": "track"}).json()["tracks"]

    assert [t["spotify_id"] for t in tracks] == [stored.spotify_id]
    assert tracks[0]["audio_url"] is not None


def test_spotify_answers_are_cached_per_query(api, spotify_on, mocked_responses):
    mock_token(mocked_responses)
    mock_search(mocked_responses)

    first = api.get("/search", {"q": "So  What", "type": "track"}).json()
    second = api.get("/search", {"q": "so what", "type": "track"}).json()

    assert first == second
    assert len(search_calls(mocked_responses)) == 1


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 500, "json": {"error": {"status": 500}}},
        {"status": 429, "json": {}, "headers": {"Retry-After": "30"}},
        {"body": requests.Timeout("too slow")},
        {"body": requests.ConnectionError("no route")},
        {"status": 200, "json": {"unexpected": True}},
    ],
    ids=["5xx", "429", "timeout", "unreachable", "unreadable"],
)
def test_a_spotify_failure_gives_the_local_results_and_says_so(
    api, spotify_on, local_so_what, mocked_responses, failure, monkeypatch
):
    slept: list[float] = []
    monkeypatch.setattr("music.spotify.sleep", slept.append)
    mock_token(mocked_responses)
    mock_search(mocked_responses, **failure)

    response = api.get("/search", {"q": "so what"})

    assert response.status_code == 200
    assert response.json()["spotify"] == "failed"
    assert [t["name"] for t in response.json()["tracks"]] == ["So What"]
    assert len(search_calls(mocked_responses)) == 1  # no retries while someone types
    assert slept == []


def test_refused_credentials_are_a_failure_too(api, spotify_on, mocked_responses):
    mocked_responses.post(TOKEN_URL, status=400, json={"error": "invalid_client"})

    assert api.get("/search", {"q": "so what"}).json()["spotify"] == "failed"


def test_unreadable_items_are_skipped_not_fatal(api, spotify_on, mocked_responses):
    mock_token(mocked_responses)
    mock_search(mocked_responses, items=[None, {"id": "local-file"}, {"id": FREDDIE}, track_json(SO_WHAT)])

    body = api.get("/search", {"q": "so what", "type": "track"}).json()

    assert body["spotify"] == "ok"
    assert [t["spotify_id"] for t in body["tracks"]] == [SO_WHAT]


def test_queueing_a_spotify_result_stores_it_without_asking_again(
    people, public_room, client_as, spotify_on, mocked_responses
):
    mock_token(mocked_responses)
    mock_search(mocked_responses)
    owner = client_as("owner")
    found = owner.get("/search", {"q": "freddie", "type": "track"}).json()["tracks"]
    assert FREDDIE in [t["spotify_id"] for t in found]

    response = owner.post(f"/rooms/{public_room.pk}/queue", {"spotify_id": FREDDIE}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["track"]["name"] == "Freddie Freeloader"
    stored = Track.objects.get(spotify_id=FREDDIE)
    assert [a.name for a in stored.artists.order_by("credits__position")] == ["Miles Davis", "John Coltrane"]
    assert stored.image_url == "https://i.scdn.co/image/large"
    assert not [call for call in mocked_responses.calls if "/v1/tracks/" in call.request.url]
    # It plays (an idle room starts at once) or waits in the queue: either way it is the room's now.
    playing = owner.get(f"/rooms/{public_room.pk}").json()["now_playing"]
    assert playing["spotify_id"] == FREDDIE or QueueItem.objects.filter(track=stored).exists()


def test_queueing_an_id_the_catalog_lacks_fetches_and_stores_it(
    people, public_room, client_as, spotify_on, mocked_responses
):
    """A real Spotify id (from a pasted link) works once Spotify is configured."""
    mock_token(mocked_responses)
    mocked_responses.get(TRACKS_URL, json=track_json(FREDDIE, name="Freddie Freeloader"))
    mocked_responses.get(re.compile(r"https://api\.spotify\.com/v1/artists.*"), json={"artists": [None, None]})

    response = client_as("owner").post(f"/rooms/{public_room.pk}/queue", {"spotify_id": FREDDIE}, format="json")

    assert response.status_code == 201, response.content
    assert Track.objects.filter(spotify_id=FREDDIE, name="Freddie Freeloader").exists()


def test_favoriting_a_spotify_result_stores_it(alice, as_user, spotify_on, mocked_responses):
    mock_token(mocked_responses)
    mock_search(mocked_responses)
    me = as_user(alice)
    me.get("/search", {"q": "freddie", "type": "track"})

    response = me.post("/favorites/me", {"spotify_id": FREDDIE}, format="json")

    assert response.status_code == 201, response.content
    assert FavoriteTrack.objects.filter(user=alice, track__spotify_id=FREDDIE).exists()

"""The Spotify client (music/spotify.py) against a mocked Spotify.

The helpers at the top (mock_token, track_json, mock_track, mock_artists) are shared with
the Track API and enrichment tests.
"""

import json
import logging
import re
from datetime import timedelta
from email.utils import format_datetime

import pytest
import requests
from django.utils import timezone

from music import spotify

TOKEN_URL = "https://accounts.spotify.com/api/token"
TRACKS_URL = "https://api.spotify.com/v1/tracks/"
ARTISTS_URL = re.compile(r"https://api\.spotify\.com/v1/artists/?(\?.*)?$")
ACCESS_TOKEN = "BQD-secret-access-token-42"
CLIENT_SECRET = "client-secret-never-logged"

SO_WHAT = "2PzU4IB8Dr6mxV3lHuaG34"
MILES = "0kbYTNQb4Pb1rPbbaF0pT4"
COLTRANE = "2hGh5VOeeqimQFxqXvfCUf"


def configure(settings, *, retries: int = 2) -> None:
    settings.SPOTIFY_CLIENT_ID = "tunewave-client"
    settings.SPOTIFY_CLIENT_SECRET = CLIENT_SECRET
    settings.SPOTIFY_TIMEOUT = 5.0
    settings.SPOTIFY_MAX_RETRIES = retries
    settings.SPOTIFY_MAX_RETRY_WAIT = 10.0


def mock_token(rsps) -> None:
    rsps.post(TOKEN_URL, json={"access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 3600})


def track_json(spotify_id: str = SO_WHAT, **overrides) -> dict:
    data = {
        "id": spotify_id,
        "name": "So What",
        "duration_ms": 562_000,
        "popularity": 71,
        "album": {
            "name": "Kind of Blue",
            "images": [
                {"url": "https://i.scdn.co/image/small", "width": 64, "height": 64},
                {"url": "https://i.scdn.co/image/large", "width": 640, "height": 640},
                {"url": "https://i.scdn.co/image/medium", "width": 300, "height": 300},
            ],
        },
        "artists": [{"id": MILES, "name": "Miles Davis"}, {"id": COLTRANE, "name": "John Coltrane"}],
    }
    data.update(overrides)
    return data


def mock_track(rsps, spotify_id: str = SO_WHAT, **kwargs) -> None:
    if "body" not in kwargs and "json" not in kwargs:
        kwargs["json"] = track_json(spotify_id)
    rsps.get(TRACKS_URL + spotify_id, **kwargs)


ARTIST_GENRES = {MILES: ["Jazz", "Cool Jazz"], COLTRANE: ["jazz", "Hard Bop"]}


def mock_artists(rsps, genres: dict[str, list[str]] | None = None) -> None:
    """Answers GET /v1/artists?ids= for any ids: the genres given, null for unknown ids."""
    genres = ARTIST_GENRES if genres is None else genres

    def answer(request):
        ids = request.params["ids"].split(",")
        artists = [
            {
                "id": artist_id,
                "name": f"Artist {artist_id[:4]}",
                "genres": genres[artist_id],
                "images": [{"url": f"https://i.scdn.co/artist/{artist_id}", "width": 320, "height": 320}],
            }
            if artist_id in genres
            else None
            for artist_id in ids
        ]
        return 200, {}, json.dumps({"artists": artists})

    rsps.add_callback("GET", ARTISTS_URL, callback=answer, content_type="application/json")


def api_calls(rsps) -> list[str]:
    return [call.request.url for call in rsps.calls if call.request.url != TOKEN_URL]


@pytest.fixture
def spotify_on(settings):
    configure(settings)
    return settings


@pytest.fixture
def slept(monkeypatch):
    """What the client would have slept, in seconds; nothing really sleeps."""
    waits: list[float] = []
    monkeypatch.setattr(spotify, "sleep", waits.append)
    return waits


def test_it_is_not_configured_without_credentials(settings, mocked_responses):
    settings.SPOTIFY_CLIENT_ID = ""
    assert not spotify.is_configured()
    with pytest.raises(spotify.SpotifyNotConfigured):
        spotify.fetch_track(SO_WHAT)
    assert len(mocked_responses.calls) == 0


def test_it_fetches_a_track_ready_to_store(spotify_on, mocked_responses):
    mock_token(mocked_responses)
    mock_track(mocked_responses)

    track = spotify.fetch_track(SO_WHAT)

    assert track == {
        "spotify_id": SO_WHAT,
        "name": "So What",
        "album": "Kind of Blue",
        "duration_ms": 562_000,
        "image_url": "https://i.scdn.co/image/large",
        "popularity": 71,
        "artists": [{"spotify_id": MILES, "name": "Miles Davis"}, {"spotify_id": COLTRANE, "name": "John Coltrane"}],
    }
    assert mocked_responses.calls[-1].request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"


def test_it_caches_answers_and_the_token(spotify_on, mocked_responses):
    mock_token(mocked_responses)
    mock_track(mocked_responses)
    mock_track(mocked_responses, "4vLYewWIvqHfKtJDk8c8tq", json=track_json("4vLYewWIvqHfKtJDk8c8tq"))

    spotify.fetch_track(SO_WHAT)
    spotify.fetch_track(SO_WHAT)
    spotify.fetch_track("4vLYewWIvqHfKtJDk8c8tq")

    urls = [call.request.url for call in mocked_responses.calls]
    assert urls.count(TOKEN_URL) == 1
    assert api_calls(mocked_responses) == [TRACKS_URL + SO_WHAT, TRACKS_URL + "4vLYewWIvqHfKtJDk8c8tq"]


@pytest.mark.parametrize("status", [404, 400])
def test_it_says_none_for_an_id_spotify_does_not_know(spotify_on, mocked_responses, status):
    mock_token(mocked_responses)
    mock_track(mocked_responses, json={"error": {"status": status, "message": "not found"}}, status=status)

    assert spotify.fetch_track(SO_WHAT) is None
    assert spotify.fetch_track(SO_WHAT) is None
    assert len(api_calls(mocked_responses)) == 1


def test_it_waits_as_long_as_retry_after_says_then_succeeds(spotify_on, mocked_responses, slept):
    mock_token(mocked_responses)
    mock_track(mocked_responses, status=429, json={}, headers={"Retry-After": "3"})
    mock_track(mocked_responses)

    assert spotify.fetch_track(SO_WHAT)["name"] == "So What"
    assert slept == [3.0]
    assert len(api_calls(mocked_responses)) == 2


def test_it_reads_retry_after_as_an_http_date(spotify_on, mocked_responses, slept):
    later = format_datetime(timezone.now() + timedelta(seconds=5), usegmt=True)
    mock_token(mocked_responses)
    mock_track(mocked_responses, status=429, json={}, headers={"Retry-After": later})
    mock_track(mocked_responses)

    spotify.fetch_track(SO_WHAT)

    assert len(slept) == 1
    assert 3 <= slept[0] <= 5


def test_it_gives_up_at_once_when_spotify_asks_for_a_long_wait(spotify_on, mocked_responses, slept):
    mock_token(mocked_responses)
    mock_track(mocked_responses, status=429, json={}, headers={"Retry-After": "120"})

    with pytest.raises(spotify.SpotifyUnavailable, match="rate-limiting") as failure:
        spotify.fetch_track(SO_WHAT)

    assert failure.value.retry_after == 120
    assert slept == []


def test_it_backs_off_on_server_errors_and_then_gives_up(spotify_on, mocked_responses, slept):
    mock_token(mocked_responses)
    mock_track(mocked_responses, status=500, body="oops")

    with pytest.raises(spotify.SpotifyUnavailable, match="HTTP 500"):
        spotify.fetch_track(SO_WHAT)

    assert slept == [0.5, 1.0]
    assert len(api_calls(mocked_responses)) == 3


def test_it_recovers_from_one_server_error(spotify_on, mocked_responses, slept):
    mock_token(mocked_responses)
    mock_track(mocked_responses, status=503, body="")
    mock_track(mocked_responses)

    assert spotify.fetch_track(SO_WHAT)["album"] == "Kind of Blue"
    assert slept == [0.5]


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (requests.exceptions.ReadTimeout("read timed out"), "did not answer within 5 s"),
        (requests.exceptions.ConnectTimeout("connect timed out"), "did not answer within 5 s"),
        (requests.exceptions.ConnectionError("connection refused"), "could not be reached"),
    ],
)
def test_it_reports_network_failures_as_unavailable(spotify_on, mocked_responses, slept, error, message):
    mock_token(mocked_responses)
    mock_track(mocked_responses, body=error)

    with pytest.raises(spotify.SpotifyUnavailable, match=message):
        spotify.fetch_track(SO_WHAT)
    assert slept == []


def test_it_reports_an_unreachable_token_endpoint(spotify_on, mocked_responses):
    mocked_responses.post(TOKEN_URL, body=requests.exceptions.ConnectTimeout("no route"))

    with pytest.raises(spotify.SpotifyUnavailable, match="did not answer"):
        spotify.fetch_track(SO_WHAT)


@pytest.mark.parametrize(
    "answer",
    [
        {"status": 400, "json": {"error": "invalid_client", "error_description": "Invalid client"}},
        {"status": 200, "body": "<html>not json</html>"},
        {"status": 200, "json": {"token_type": "Bearer"}},
    ],
    ids=["refused", "not-json", "no-token"],
)
def test_it_reports_a_token_endpoint_that_gives_no_token(spotify_on, mocked_responses, answer):
    mocked_responses.post(TOKEN_URL, **answer)

    with pytest.raises(spotify.SpotifyUnavailable):
        spotify.fetch_track(SO_WHAT)


@pytest.mark.parametrize(
    "answer",
    [
        {"body": "<html>Service temporarily down</html>"},
        {"json": ["not", "an", "object"]},
        {"json": {"id": SO_WHAT, "name": "So What"}},
        {"json": track_json(name=None)},
        {"json": track_json(artists=[{"id": MILES}])},
        {"json": track_json(artists=[])},
        {"json": track_json(duration_ms="long")},
        {"json": track_json(album="Kind of Blue")},
    ],
    ids=["html", "list", "no-artists", "no-name", "artist-without-name", "empty-artists", "bad-duration", "bad-album"],
)
def test_it_reports_a_malformed_track_as_unavailable(spotify_on, mocked_responses, answer):
    mock_token(mocked_responses)
    mock_track(mocked_responses, **answer)

    with pytest.raises(spotify.SpotifyUnavailable, match="could not read"):
        spotify.fetch_track(SO_WHAT)


def test_it_renews_a_token_spotify_no_longer_accepts(spotify_on, mocked_responses):
    mock_token(mocked_responses)
    mock_track(mocked_responses, status=401, json={"error": {"status": 401, "message": "The access token expired"}})
    mock_track(mocked_responses)

    assert spotify.fetch_track(SO_WHAT)["name"] == "So What"
    assert [call.request.url for call in mocked_responses.calls].count(TOKEN_URL) == 2


def test_it_fetches_artists_fifty_at_a_time(spotify_on, mocked_responses):
    ids = [f"{n:022d}" for n in range(120)]
    mock_token(mocked_responses)
    mock_artists(mocked_responses, {artist_id: ["Jazz"] for artist_id in ids[:110]})

    artists = spotify.fetch_artists(ids)

    asked = [
        call.request.params["ids"].split(",") for call in mocked_responses.calls if "/v1/artists" in call.request.url
    ]
    assert [len(batch) for batch in asked] == [50, 50, 20]
    assert [artist["spotify_id"] for artist in artists] == ids[:110]
    assert artists[0] == {
        "spotify_id": ids[0],
        "name": "Artist 0000",
        "genres": ["Jazz"],
        "image_url": f"https://i.scdn.co/artist/{ids[0]}",
    }


def test_it_asks_only_for_artists_it_has_not_cached(spotify_on, mocked_responses):
    mock_token(mocked_responses)
    mock_artists(mocked_responses)

    spotify.fetch_artists([MILES])
    artists = spotify.fetch_artists([MILES, COLTRANE])

    asked = [call.request.params["ids"] for call in mocked_responses.calls if "/v1/artists" in call.request.url]
    assert asked == [MILES, COLTRANE]
    assert [artist["genres"] for artist in artists] == [["Jazz", "Cool Jazz"], ["jazz", "Hard Bop"]]


def test_it_reports_malformed_artists_as_unavailable(spotify_on, mocked_responses):
    mock_token(mocked_responses)
    mocked_responses.get(ARTISTS_URL, json={"artists": [{"id": MILES}]})

    with pytest.raises(spotify.SpotifyUnavailable, match="could not read"):
        spotify.fetch_artists([MILES])


def test_it_never_logs_credentials_or_tokens(spotify_on, mocked_responses, slept, caplog):
    caplog.set_level(logging.DEBUG)
    mock_token(mocked_responses)
    mock_track(mocked_responses, status=500, body="")
    mock_track(mocked_responses)

    spotify.fetch_track(SO_WHAT)

    assert "HTTP 500" in caplog.text
    assert ACCESS_TOKEN not in caplog.text
    assert CLIENT_SECRET not in caplog.text
    assert "Basic " not in caplog.text

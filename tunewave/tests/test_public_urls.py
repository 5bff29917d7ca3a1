"""One rule for the URLs TuneWave hands out (core/public_urls.py): absolute or null.

REST answers use the host the request was made to; socket frames, built without a request,
use settings.PUBLIC_URL (default: FRONTEND_URL's origin). The socket side is tested where the
frames are sent: chat/tests/test_socket_urls.py.
"""

import pytest
from rest_framework.test import APIRequestFactory

from accounts.tests.factories import UserFactory
from core.public_urls import absolute_url
from music.tests.factories import TrackFactory
from tunewave.tests import clean_env, run_python

SHOW_PUBLIC_URL = "import django; django.setup(); from django.conf import settings; print(settings.PUBLIC_URL)"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/media/avatars/a.webp", "https://tunewave.example/media/avatars/a.webp"),
        ("/static/app/logo.svg", "https://tunewave.example/static/app/logo.svg"),
        ("https://i.scdn.co/image/x", "https://i.scdn.co/image/x"),
        ("http://cdn.example/clip.ogg", "http://cdn.example/clip.ogg"),
        ("", None),
        (None, None),
    ],
)
def test_without_a_request_paths_are_made_absolute_on_public_url(settings, given, expected):
    settings.PUBLIC_URL = "https://tunewave.example"

    assert absolute_url(given) == expected


def test_with_a_request_paths_are_made_absolute_on_its_host(settings):
    settings.PUBLIC_URL = "https://tunewave.example"
    request = APIRequestFactory().get("/", HTTP_HOST="127.0.0.1:8000")

    assert absolute_url("/media/a.webp", request) == "http://127.0.0.1:8000/media/a.webp"
    assert absolute_url("https://i.scdn.co/image/x", request) == "https://i.scdn.co/image/x"
    assert absolute_url("", request) is None


@pytest.mark.django_db
def test_a_recommended_track_without_cover_art_shows_its_generated_cover(as_user):
    track = TrackFactory(name="Bare", genres=["jazz"], image_url="")
    fan = as_user(UserFactory(username="fan", favorite_genres=["jazz"]))

    shown = {item["track"]["name"]: item["track"] for item in fan.get("/recommendations/tracks?limit=50").json()}

    assert shown["Bare"]["image_url"].startswith("http://testserver/covers/v1/album/")
    assert shown["Bare"] == fan.get(f"/track/{track.spotify_id}").json()


def test_public_url_defaults_to_the_front_end_origin():
    result = run_python(SHOW_PUBLIC_URL, clean_env(FRONTEND_URL="https://tunewave.example/app/"))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "https://tunewave.example"


def test_public_url_may_be_set_and_loses_a_trailing_slash():
    env = clean_env(FRONTEND_URL="https://app.example/app/", PUBLIC_URL="https://media.example:8443/")
    result = run_python(SHOW_PUBLIC_URL, env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "https://media.example:8443"


@pytest.mark.parametrize("value", ["tunewave.example", "ftp://tunewave.example", "https://tunewave.example/app/"])
def test_it_refuses_to_start_with_a_public_url_that_is_not_an_http_origin(value):
    result = run_python(SHOW_PUBLIC_URL, clean_env(PUBLIC_URL=value))

    assert result.returncode != 0
    assert "PUBLIC_URL" in result.stderr

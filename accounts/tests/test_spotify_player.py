"""Spotify playback for Premium listeners: GET /auth/spotify/player-token, `playback` in
/users/me, and the Spotify settings in GET /auth/config.

Spotify's accounts service and Web API are played by `responses` (the autouse
`mocked_responses`), at the base URLs the settings name.
"""

import base64
import json
import logging
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection, connections
from django.test import Client
from social_django.models import UserSocialAuth

from accounts.tests.factories import UserFactory, link_spotify
from conftest import client_for

pytestmark = pytest.mark.django_db

ACCOUNTS = "https://accounts.spotify.test"
API = "https://api.spotify.test"
TOKEN_URL = f"{ACCOUNTS}/api/token"
ME_URL = f"{API}/v1/me"
PLAYER_TOKEN = "/auth/spotify/player-token"


@pytest.fixture(autouse=True)
def spotify_configured(settings):
    settings.SPOTIFY_CLIENT_ID = settings.SOCIAL_AUTH_SPOTIFY_KEY = "spotify-client"
    settings.SPOTIFY_CLIENT_SECRET = settings.SOCIAL_AUTH_SPOTIFY_SECRET = "spotify-secret"
    settings.SPOTIFY_ACCOUNTS_URL = ACCOUNTS
    settings.SPOTIFY_API_URL = API


def token_answers(mocked, *, access="fresh-access-1", scope="streaming user-read-private", refresh=None, **kwargs):
    body = {"access_token": access, "token_type": "Bearer", "expires_in": 3600, "scope": scope}
    if refresh:
        body["refresh_token"] = refresh
    return mocked.post(TOKEN_URL, json=body, **kwargs)


def token_calls(mocked) -> list:
    return [call for call in mocked.calls if call.request.url == TOKEN_URL]


def extra_data(user) -> dict:
    return UserSocialAuth.objects.get(user=user, provider="spotify").extra_data


# --- the token -----------------------------------------------------------------------------


def test_it_refreshes_the_stored_grant_and_answers_a_token(alice, mocked_responses):
    link_spotify(alice)
    token_answers(mocked_responses, refresh="rotated-refresh")
    before = time.time()
    response = client_for(alice).get(PLAYER_TOKEN)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["access_token"] == "fresh-access-1"
    assert before + 3590 < body["expires_at"] / 1000 < time.time() + 3601
    assert response["Cache-Control"] == "no-store"

    [call] = token_calls(mocked_responses)
    assert parse_qs(call.request.body) == {"grant_type": ["refresh_token"], "refresh_token": ["link-refresh-alice"]}
    client_auth = base64.b64encode(b"spotify-client:spotify-secret").decode()
    assert call.request.headers["Authorization"] == f"Basic {client_auth}"
    stored = extra_data(alice)
    assert (stored["access_token"], stored["refresh_token"]) == ("fresh-access-1", "rotated-refresh")


def test_it_answers_with_and_without_the_trailing_slash(alice, mocked_responses):
    link_spotify(alice)
    token_answers(mocked_responses)
    assert client_for(alice).get(f"{PLAYER_TOKEN}/").status_code == 200


def test_a_cached_token_is_reused_until_a_minute_before_it_expires(alice, mocked_responses):
    link_spotify(alice)
    token_answers(mocked_responses)
    first = client_for(alice).get(PLAYER_TOKEN).json()
    again = client_for(alice).get(PLAYER_TOKEN).json()
    assert again == first
    assert len(token_calls(mocked_responses)) == 1

    # Less than a minute left: the next request refreshes.
    social = UserSocialAuth.objects.get(user=alice)
    social.extra_data["token_expires_at"] = int(time.time()) + 30
    social.save()
    cache.clear()
    token_answers(mocked_responses, access="fresh-access-2")
    assert client_for(alice).get(PLAYER_TOKEN).json()["access_token"] == "fresh-access-2"
    assert len(token_calls(mocked_responses)) == 2


def test_the_stored_token_serves_when_the_cache_forgot_it(alice, mocked_responses):
    link_spotify(alice)
    token_answers(mocked_responses)
    first = client_for(alice).get(PLAYER_TOKEN).json()
    cache.clear()
    assert client_for(alice).get(PLAYER_TOKEN).json()["access_token"] == first["access_token"]
    assert len(token_calls(mocked_responses)) == 1


def test_it_answers_404_when_no_spotify_account_is_linked(alice):
    response = client_for(alice).get(PLAYER_TOKEN)
    assert response.status_code == 404
    assert response.json()["code"] == "spotify_not_linked"
    assert response.json()["detail"]


def test_it_needs_a_signed_in_caller(api):
    assert api.get(PLAYER_TOKEN).status_code == 401


def test_a_revoked_grant_asks_to_reconnect_until_spotify_is_linked_again(alice, mocked_responses):
    link_spotify(alice)
    mocked_responses.post(
        TOKEN_URL, status=400, json={"error": "invalid_grant", "error_description": "Refresh token revoked"}
    )
    response = client_for(alice).get(PLAYER_TOKEN)
    assert response.status_code == 409
    assert response.json()["code"] == "spotify_reconnect"
    assert client_for(alice).get("/users/me").json()["playback"] == {"spotify": "needs_reconnect"}

    # Known now: no more calls to Spotify.
    assert client_for(alice).get(PLAYER_TOKEN).json()["code"] == "spotify_reconnect"
    assert len(token_calls(mocked_responses)) == 1

    # Linking again stores a new grant (social-auth merges the new extra_data).
    social = UserSocialAuth.objects.get(user=alice)
    social.set_extra_data({"refresh_token": "relinked-refresh", "access_token": "x", "auth_time": int(time.time())})
    social.save()
    assert client_for(alice).get("/users/me").json()["playback"] == {"spotify": "ready"}
    mocked_responses.replace("POST", TOKEN_URL, json={"access_token": "after-relink", "expires_in": 3600})
    assert client_for(alice).get(PLAYER_TOKEN).json()["access_token"] == "after-relink"


def test_a_free_account_is_refused_without_asking_spotify(alice, mocked_responses):
    link_spotify(alice, product="free")
    response = client_for(alice).get(PLAYER_TOKEN)
    assert response.status_code == 409
    assert response.json()["code"] == "spotify_not_premium"
    assert "Premium" in response.json()["detail"]
    assert len(mocked_responses.calls) == 0


def test_an_unknown_product_is_asked_once_and_remembered(alice, mocked_responses):
    link_spotify(alice, product=None)
    token_answers(mocked_responses)
    me = mocked_responses.get(ME_URL, json={"id": "sp-alice", "product": "free"})
    assert client_for(alice).get(PLAYER_TOKEN).json()["code"] == "spotify_not_premium"
    assert me.call_count == 1
    assert me.calls[0].request.headers["Authorization"] == "Bearer fresh-access-1"
    assert extra_data(alice)["product"] == "free"
    assert client_for(alice).get("/users/me").json()["playback"] == {"spotify": "needs_premium"}
    assert client_for(alice).get(PLAYER_TOKEN).json()["code"] == "spotify_not_premium"
    assert me.call_count == 1


def test_premium_is_checked_again_at_most_daily(alice, mocked_responses):
    link_spotify(alice, auth_time=int(time.time()) - 2 * 24 * 3600)
    token_answers(mocked_responses)
    me = mocked_responses.get(ME_URL, json={"id": "sp-alice", "product": "premium"})
    assert client_for(alice).get(PLAYER_TOKEN).status_code == 200
    assert client_for(alice).get(PLAYER_TOKEN).status_code == 200
    assert me.call_count == 1
    assert extra_data(alice)["product_checked_at"] >= int(time.time()) - 5

    # A day later the account was downgraded.
    social = UserSocialAuth.objects.get(user=alice)
    social.extra_data["product_checked_at"] = int(time.time()) - 25 * 3600
    social.save()
    mocked_responses.replace("GET", ME_URL, json={"id": "sp-alice", "product": "free"})
    assert client_for(alice).get(PLAYER_TOKEN).json()["code"] == "spotify_not_premium"


def test_a_grant_without_streaming_is_refused(alice, mocked_responses):
    link_spotify(alice, scope="user-read-email user-read-private")
    response = client_for(alice).get(PLAYER_TOKEN)
    assert response.status_code == 409
    assert response.json()["code"] == "spotify_scope_missing"
    assert len(mocked_responses.calls) == 0


def test_a_refresh_that_drops_streaming_is_refused(alice, mocked_responses):
    link_spotify(alice)
    token_answers(mocked_responses, scope="user-read-email")
    assert client_for(alice).get(PLAYER_TOKEN).json()["code"] == "spotify_scope_missing"
    assert client_for(alice).get("/users/me").json()["playback"] == {"spotify": "needs_reconnect"}


@pytest.mark.parametrize(
    "answer",
    [
        {"status": 503, "body": ""},
        {"status": 429, "body": "", "headers": {"Retry-After": "7"}},
        {"body": requests.Timeout("slow")},
        {"body": requests.ConnectionError("down")},
        {"status": 200, "body": "<html>not json</html>"},
        {"status": 401, "json": {"error": "invalid_client"}},
    ],
    ids=["5xx", "429", "timeout", "unreachable", "garbage", "bad-client"],
)
def test_spotify_trouble_is_a_503(alice, mocked_responses, answer):
    link_spotify(alice)
    mocked_responses.post(TOKEN_URL, **answer)
    response = client_for(alice).get(PLAYER_TOKEN)
    assert response.status_code == 503
    assert response.json()["code"] == "spotify_unavailable"
    if answer.get("status") == 429:
        assert response["Retry-After"] == "7"
    # Nothing was marked: the next try asks again, and works.
    assert client_for(alice).get("/users/me").json()["playback"] == {"spotify": "ready"}
    mocked_responses.replace("POST", TOKEN_URL, json={"access_token": "later", "expires_in": 3600})
    assert client_for(alice).get(PLAYER_TOKEN).json()["access_token"] == "later"


def test_it_is_rate_limited(alice, mocked_responses):
    link_spotify(alice)
    token_answers(mocked_responses)
    statuses = [client_for(alice).get(PLAYER_TOKEN).status_code for _ in range(31)]
    assert statuses == [200] * 30 + [429]


def test_tokens_never_reach_the_logs(alice, bob, mocked_responses, caplog):
    caplog.set_level(logging.DEBUG)
    link_spotify(alice)
    link_spotify(bob)
    token_answers(mocked_responses, access="secret-access-xyz", refresh="secret-refresh-xyz")
    assert client_for(alice).get(PLAYER_TOKEN).status_code == 200
    mocked_responses.replace("POST", TOKEN_URL, status=400, json={"error": "invalid_grant"})
    assert client_for(bob).get(PLAYER_TOKEN).status_code == 409
    mocked_responses.replace("POST", TOKEN_URL, status=500, body="")
    social = UserSocialAuth.objects.get(user=bob)
    social.set_extra_data({"refresh_token": "link-refresh-bob-2"})
    social.save()
    assert client_for(bob).get(PLAYER_TOKEN).status_code == 503
    logged = caplog.text
    assert caplog.records  # the failures were logged…
    for secret in (
        "secret-access-xyz",
        "secret-refresh-xyz",
        "link-refresh-alice",
        "link-refresh-bob",
        "spotify-secret",
    ):
        assert secret not in logged  # …without a token or the client secret


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_refresh_once(mocked_responses):
    """Eight requests at once for one user: one refresh, the same token for all.

    PostgreSQL only: the test database of SQLite is an in-memory one with a shared cache, whose
    table locks refuse concurrent threads ("database table is locked") instead of waiting. On
    SQLite, one request after another refresh once (test_a_cached_token_is_reused_…).
    """
    if connection.vendor != "postgresql":
        pytest.skip("threads against the in-memory SQLite test database lock its tables")
    carol = UserFactory(username="carol")
    link_spotify(carol)
    refreshes = []

    def slow_token(request):
        refreshes.append(request)
        time.sleep(0.3)  # the others arrive while this refresh is in flight
        body = {"access_token": f"once-{len(refreshes)}", "expires_in": 3600, "scope": "streaming"}
        return 200, {}, json.dumps(body)

    mocked_responses.add_callback("POST", TOKEN_URL, callback=slow_token)
    answers: list = []
    start = threading.Barrier(8)

    def ask():
        try:
            client = client_for(carol)
            start.wait()
            response = client.get(PLAYER_TOKEN)
            answers.append((response.status_code, response.json().get("access_token")))
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert answers == [(200, "once-1")] * 8
    assert len(refreshes) == 1


# --- /users/me ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("link", "status"),
    [
        (None, "not_linked"),
        ({"product": "premium"}, "ready"),
        ({"product": None}, "ready"),  # not known yet: the player finds out
        ({"product": "free"}, "needs_premium"),
        ({"scope": "user-read-email"}, "needs_reconnect"),
    ],
)
def test_users_me_says_whether_spotify_can_play(alice, link, status, mocked_responses):
    if link is not None:
        link_spotify(alice, **link)
    response = client_for(alice).get("/users/me")
    assert response.status_code == 200
    assert response.json()["playback"] == {"spotify": status}
    assert len(mocked_responses.calls) == 0  # read from what is stored, never from Spotify


def test_nobody_else_sees_your_playback(alice, bob):
    link_spotify(alice)
    assert "playback" not in client_for(bob).get(f"/users/{alice.pk}").json()
    assert client_for(alice).get(f"/users/{alice.pk}").json()["playback"] == {"spotify": "ready"}


# --- GET /auth/config -------------------------------------------------------------------------


def test_the_config_names_the_spotify_player_and_the_upload_rules(api, settings):
    settings.SPOTIFY_SDK_URL = "https://sdk.example.test/spotify-player.js"
    settings.UPLOAD_MAX_BYTES = 1000
    settings.UPLOAD_QUOTA_BYTES = 5000
    body = api.get("/auth/config").json()
    assert body["spotify_player"] == {"sdk_url": "https://sdk.example.test/spotify-player.js", "api_url": API}
    assert body["uploads"]["max_bytes"] == 1000
    assert body["uploads"]["quota_bytes"] == 5000
    assert set(body["uploads"]["content_types"]) == {"audio/mpeg", "audio/mp4", "audio/ogg", "audio/flac", "audio/wav"}


def test_without_spotify_there_is_no_spotify_player(api, settings):
    settings.SPOTIFY_CLIENT_ID = settings.SPOTIFY_CLIENT_SECRET = ""
    assert api.get("/auth/config").json()["spotify_player"] is None


# --- signing in at the configured base URLs ------------------------------------------------------


def test_sign_in_uses_the_configured_urls_and_keeps_the_product(settings, mocked_responses):
    settings.FRONTEND_URL = "http://127.0.0.1:8000/app/"
    settings.SOCIAL_AUTH_REDIRECT_IS_HTTPS = False
    browser = Client()
    start = browser.get("/auth/spotify/login")
    assert start["Location"].startswith(f"{ACCOUNTS}/authorize?")
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    mocked_responses.post(
        TOKEN_URL,
        json={
            "access_token": "a",
            "token_type": "Bearer",
            "expires_in": 3600,
            "refresh_token": "r",
            "scope": "streaming user-read-private",
        },
    )
    mocked_responses.get(ME_URL, json={"id": "erin-sp", "email": "erin@example.com", "product": "premium"})
    done = browser.get("/auth/spotify/callback", {"state": state, "code": "the-code"})
    assert "#access=" in done["Location"]
    social = UserSocialAuth.objects.get(provider="spotify", uid="erin-sp")
    assert social.extra_data["product"] == "premium"
    assert client_for(social.user).get("/users/me").json()["playback"] == {"spotify": "ready"}


# --- the browser suite's stub ------------------------------------------------------------------


@pytest.fixture
def spotify_stub(settings, mocked_responses):
    """frontend/e2e/spotify_stub.py on a free local port, with the settings pointing at it."""
    script = Path(django_settings.BASE_DIR) / "frontend" / "e2e" / "spotify_stub.py"
    process = subprocess.Popen(  # noqa: S603 - our own script, no shell
        [sys.executable, str(script), "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        base = process.stdout.readline().strip().rsplit(" ", 1)[-1]
        assert base.startswith("http://127.0.0.1:"), base
        mocked_responses.add_passthru(base)
        settings.SPOTIFY_ACCOUNTS_URL = settings.SPOTIFY_API_URL = base
        yield base
    finally:
        process.terminate()
        process.wait(timeout=5)


def test_the_player_token_works_against_the_browser_suites_stub(alice, spotify_stub):
    link_spotify(alice, product=None)  # the stub's /v1/me says premium
    response = client_for(alice).get(PLAYER_TOKEN)
    assert response.status_code == 200, response.content
    assert response.json()["access_token"] == "stub-access-1"
    assert extra_data(alice)["product"] == "premium"
    # The browser's calls, as the SDK adapter makes them.
    headers = {"Authorization": "Bearer stub-access-1"}
    assert (
        requests.put(
            f"{spotify_stub}/v1/me/player", json={"device_ids": ["d1"]}, headers=headers, timeout=5
        ).status_code
        == 204
    )
    play = {"uris": ["spotify:track:4uLU6hMCjMI75M1A2tKUQC"], "position_ms": 1500}
    assert (
        requests.put(
            f"{spotify_stub}/v1/me/player/play?device_id=d1", json=play, headers=headers, timeout=5
        ).status_code
        == 204
    )
    last = requests.get(f"{spotify_stub}/stub/last-play", timeout=5).json()
    assert (last["device_id"], last["body"]) == ("d1", play)
    preflight = requests.options(f"{spotify_stub}/v1/me/player/play", timeout=5)
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]


def test_signing_in_with_spotify_works_against_the_stub(settings, spotify_stub):
    settings.FRONTEND_URL = "http://127.0.0.1:8000/app/"
    settings.SOCIAL_AUTH_REDIRECT_IS_HTTPS = False
    browser = Client()
    consent = browser.get("/auth/spotify/login")["Location"]
    assert consent.startswith(f"{spotify_stub}/authorize?")
    back = requests.get(consent, allow_redirects=False, timeout=5)  # the stub skips the consent screen
    assert back.status_code == 302
    callback = urlsplit(back.headers["Location"])
    assert callback.path == "/auth/spotify/callback"
    done = browser.get(callback.path, {key: values[0] for key, values in parse_qs(callback.query).items()})
    assert "#access=" in done["Location"]
    social = UserSocialAuth.objects.get(provider="spotify", uid="stub-listener")
    assert (social.extra_data["product"], social.extra_data["refresh_token"]) == ("premium", "stub-refresh-1")
    response = client_for(social.user).get(PLAYER_TOKEN)
    assert response.json()["access_token"] == "stub-access-2"

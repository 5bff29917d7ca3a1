"""Signing in with Google and Spotify, end to end through Django's test client.

Google and Spotify are played by `responses` (the autouse `mocked_responses`): the browser
side is the test client following our redirects by hand.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client
from social_django.models import UserSocialAuth

from accounts import services
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GOOGLE_AUTHORIZE_URL = "https://accounts.google.com/o/oauth2/auth"
GOOGLE_TOKEN_URL = "https://accounts.google.com/o/oauth2/token"
GOOGLE_USERINFO_URL = "https://www.googleapis.com/oauth2/v3/userinfo"
SPOTIFY_AUTHORIZE_URL = "https://accounts.spotify.com/authorize"
SPOTIFY_TOKEN_URL = "https://accounts.spotify.com/api/token"
SPOTIFY_ME_URL = "https://api.spotify.com/v1/me"

FRONTEND_CALLBACK = "http://127.0.0.1:8000/app/auth/callback"


@pytest.fixture(autouse=True)
def oauth_configured(settings):
    settings.FRONTEND_URL = "http://127.0.0.1:8000/app/"
    settings.FRONTEND_ORIGINS = ["http://localhost:5173"]
    settings.SOCIAL_AUTH_REDIRECT_IS_HTTPS = False
    settings.GOOGLE_CLIENT_ID = settings.SOCIAL_AUTH_GOOGLE_OAUTH2_KEY = "google-client"
    settings.GOOGLE_CLIENT_SECRET = settings.SOCIAL_AUTH_GOOGLE_OAUTH2_SECRET = "google-secret"
    settings.SPOTIFY_CLIENT_ID = settings.SOCIAL_AUTH_SPOTIFY_KEY = "spotify-client"
    settings.SPOTIFY_CLIENT_SECRET = settings.SOCIAL_AUTH_SPOTIFY_SECRET = "spotify-secret"


def google_answers(mocked, *, sub="g-100", email="carol@example.com", verified=True, name="Carol King"):
    mocked.post(
        GOOGLE_TOKEN_URL,
        json={"access_token": "g-access", "expires_in": 3599, "token_type": "Bearer", "scope": "openid"},
    )
    mocked.get(
        GOOGLE_USERINFO_URL,
        json={"sub": sub, "email": email, "email_verified": verified, "name": name, "given_name": "Carol"},
    )


def spotify_answers(mocked, *, spotify_id="carolspins", email="carol@example.com", name="Carol S"):
    mocked.post(
        SPOTIFY_TOKEN_URL,
        json={
            "access_token": "sp-access",
            "token_type": "Bearer",
            "expires_in": 3600,
            "refresh_token": "sp-refresh",
            "scope": "user-read-email user-read-private streaming",
        },
    )
    mocked.get(SPOTIFY_ME_URL, json={"id": spotify_id, "email": email, "display_name": name})


def start(client, provider, **params):
    """GET /auth/<provider>/login; returns the response and the provider URL's query."""
    response = client.get(f"/auth/{provider}/login", params)
    query = parse_qs(urlsplit(response.get("Location", "")).query)
    return response, {key: values[0] for key, values in query.items()}


def sign_in(client, provider, **params):
    """The whole browser round trip: login, consent (skipped), callback."""
    _, query = start(client, provider, **params)
    return client.get(f"/auth/{provider}/callback", {"state": query["state"], "code": "the-code"})


def landing(response):
    """Where the browser lands in the SPA, and the fragment's parameters."""
    assert response.status_code == 302, response.content
    parts = urlsplit(response["Location"])
    fragment = {key: values[0] for key, values in parse_qs(parts.fragment).items()}
    return f"{parts.scheme}://{parts.netloc}{parts.path}", parts.query, fragment


def me(api, access):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return api.get("/users/me")


# --- starting the flow ----------------------------------------------------------------


def test_it_sends_people_to_google_with_state_and_our_callback(client):
    response, query = start(client, "google")

    assert response.status_code == 302
    assert response["Location"].startswith(GOOGLE_AUTHORIZE_URL + "?")
    assert query["client_id"] == "google-client"
    assert query["redirect_uri"] == "http://testserver/auth/google/callback"
    assert query["response_type"] == "code"
    assert len(query["state"]) >= 16
    assert set(query["scope"].split()) >= {"openid", "email", "profile"}


def test_it_sends_people_to_spotify_with_state_and_our_callback(client):
    response, query = start(client, "spotify")

    assert response.status_code == 302
    assert response["Location"].startswith(SPOTIFY_AUTHORIZE_URL + "?")
    assert query["client_id"] == "spotify-client"
    assert query["redirect_uri"] == "http://testserver/auth/spotify/callback"
    assert query["state"]
    assert "user-read-email" in query["scope"].split()


def test_it_answers_with_and_without_the_trailing_slash(client):
    response = client.get("/auth/google/login/")

    assert response.status_code == 302
    assert response["Location"].startswith(GOOGLE_AUTHORIZE_URL)


def test_it_uses_an_https_callback_behind_tls(client, settings):
    settings.SOCIAL_AUTH_REDIRECT_IS_HTTPS = True

    _, query = start(client, "google")

    assert query["redirect_uri"] == "https://testserver/auth/google/callback"


def test_it_sends_unconfigured_providers_back_with_an_error(client, settings):
    settings.SPOTIFY_CLIENT_ID = settings.SOCIAL_AUTH_SPOTIFY_KEY = ""

    url, _, fragment = landing(client.get("/auth/spotify/login"))

    assert url == FRONTEND_CALLBACK
    assert fragment == {"error": "provider_not_configured"}
    _, _, fragment = landing(client.get("/auth/spotify/callback", {"state": "x", "code": "y"}))
    assert fragment == {"error": "provider_not_configured"}


@pytest.mark.parametrize("path", ["/auth/github/login", "/auth/github/callback", "/auth/nope/login/"])
def test_it_answers_unknown_providers_with_a_json_404(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_it_refuses_other_methods_than_get(client):
    response = client.post("/auth/google/login")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


# --- signing in -----------------------------------------------------------------------


def test_it_creates_a_user_from_google(client, api, mocked_responses):
    google_answers(mocked_responses)

    response = sign_in(client, "google")

    url, query, fragment = landing(response)
    assert url == FRONTEND_CALLBACK
    assert query == ""
    assert set(fragment) == {"access", "refresh"}
    assert "g-access" not in response["Location"]
    token_request = mocked_responses.calls[0].request
    assert token_request.url == GOOGLE_TOKEN_URL
    sent = parse_qs(token_request.body)
    assert sent["code"] == ["the-code"]
    assert sent["redirect_uri"] == ["http://testserver/auth/google/callback"]
    profile = me(api, fragment["access"])
    assert profile.status_code == 200
    assert profile.json()["email"] == "carol@example.com"
    assert profile.json()["display_name"] == "Carol King"
    user = services.User.objects.get(email="carol@example.com")
    assert not user.has_usable_password()
    assert UserSocialAuth.objects.get(provider="google-oauth2").user == user


def test_it_creates_a_user_from_spotify_and_keeps_its_tokens(client, api, mocked_responses):
    spotify_answers(mocked_responses, email="dave@example.com", name="Dave")

    _, _, fragment = landing(sign_in(client, "spotify"))

    assert me(api, fragment["access"]).json()["email"] == "dave@example.com"
    social = UserSocialAuth.objects.get(provider="spotify")
    assert (social.uid, social.id_key) == ("carolspins", "id")
    assert social.user.email == "dave@example.com"
    assert social.extra_data["access_token"] == "sp-access"
    assert social.extra_data["refresh_token"] == "sp-refresh"
    assert social.extra_data["expires_in"] == 3600
    assert social.extra_data["auth_time"] > 0
    assert social.access_token_expired() is False
    token_request = mocked_responses.calls[0].request
    assert token_request.headers["Authorization"] == b"Basic c3BvdGlmeS1jbGllbnQ6c3BvdGlmeS1zZWNyZXQ="


def test_it_signs_the_same_person_in_again_by_their_google_account(client, api, mocked_responses):
    google_answers(mocked_responses)
    _, _, first = landing(sign_in(client, "google"))

    # A new Google e-mail does not make a new person: the account id (`sub`) is the link.
    mocked_responses.replace(
        "GET",
        GOOGLE_USERINFO_URL,
        json={"sub": "g-100", "email": "c@new.example", "email_verified": True, "name": "C"},
    )
    _, _, second = landing(sign_in(client, "google"))

    assert me(api, second["access"]).json()["id"] == me(api, first["access"]).json()["id"]
    assert services.User.objects.count() == 1
    assert UserSocialAuth.objects.count() == 1


def test_it_links_google_to_the_user_with_the_same_verified_email(client, api, alice, mocked_responses):
    google_answers(mocked_responses, email="Alice@Example.com", name="Alice from Google")

    _, _, fragment = landing(sign_in(client, "google"))

    profile = me(api, fragment["access"]).json()
    assert profile["id"] == str(alice.pk)
    assert profile["display_name"] == "Alice"
    assert services.User.objects.count() == 1
    assert UserSocialAuth.objects.get(provider="google-oauth2").user == alice


def test_it_fills_an_empty_display_name_only(client, mocked_responses):
    quiet = UserFactory(username="quiet", email="carol@example.com", display_name="")
    google_answers(mocked_responses, email="carol@example.com", name="Carol King")

    landing(sign_in(client, "google"))

    quiet.refresh_from_db()
    assert quiet.display_name == "Carol King"


def test_it_refuses_an_unverified_spotify_email_of_an_existing_user(client, alice, mocked_responses):
    spotify_answers(mocked_responses, email="alice@example.com")

    url, _, fragment = landing(sign_in(client, "spotify"))

    assert url == FRONTEND_CALLBACK
    assert fragment == {"error": "email_in_use"}
    assert services.User.objects.count() == 1
    assert not UserSocialAuth.objects.exists()


def test_it_refuses_a_google_email_google_did_not_verify(client, alice, mocked_responses):
    google_answers(mocked_responses, email="alice@example.com", verified=False)

    _, _, fragment = landing(sign_in(client, "google"))

    assert fragment == {"error": "email_unverified"}
    assert not UserSocialAuth.objects.exists()


def test_it_refuses_a_profile_without_email(client, mocked_responses):
    spotify_answers(mocked_responses, email=None)

    _, _, fragment = landing(sign_in(client, "spotify"))

    assert fragment == {"error": "email_missing"}
    assert not services.User.objects.exists()


# Linking to a signed-in account (`?link=`): accounts/tests/test_oauth_linking.py.


def test_it_refuses_an_unknown_or_used_link_ticket(client, alice):
    ticket = services.ws_ticket_issue(user=alice)
    services.ws_ticket_redeem(ticket=ticket)

    url, _, fragment = landing(client.get("/auth/spotify/login", {"link": ticket}))

    assert url == FRONTEND_CALLBACK
    assert fragment == {"error": "link_invalid"}


def test_it_refuses_a_deactivated_user_by_social_link(client, alice, mocked_responses):
    UserSocialAuth.objects.create(user=alice, provider="spotify", uid="carolspins", id_key="id")
    services.user_deactivate(user=alice)
    spotify_answers(mocked_responses)

    _, _, fragment = landing(sign_in(client, "spotify"))

    assert fragment == {"error": "account_disabled"}


def test_it_refuses_a_deactivated_user_by_verified_email(client, alice, mocked_responses):
    services.user_deactivate(user=alice)
    google_answers(mocked_responses, email="alice@example.com")

    _, _, fragment = landing(sign_in(client, "google"))

    assert fragment == {"error": "account_disabled"}
    assert not UserSocialAuth.objects.exists()


# --- where the browser lands ------------------------------------------------------------


@pytest.mark.parametrize(
    ("next_url", "expected_landing"),
    [
        ("http://127.0.0.1:8000/app/rooms/42", FRONTEND_CALLBACK),
        ("/app/rooms/42", FRONTEND_CALLBACK),
        ("http://localhost:5173/app/rooms/42", "http://localhost:5173/app/auth/callback"),
    ],
)
def test_it_keeps_next_on_a_front_end_origin(client, mocked_responses, next_url, expected_landing):
    google_answers(mocked_responses)

    url, query, fragment = landing(sign_in(client, "google", next=next_url))

    assert url == expected_landing
    assert query == ""
    assert fragment["next"].endswith("/app/rooms/42")
    assert fragment["next"].startswith(("http://127.0.0.1:8000/", "http://localhost:5173/"))
    assert {"access", "refresh"} <= set(fragment)


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/steal",
        "//evil.example/steal",
        "http://127.0.0.1:8000@evil.example/",
        "http://127.0.0.1:9999/app/",
        "https://127.0.0.1:8000/app/",
        "javascript:alert(1)",
        "/\\evil.example",
    ],
)
def test_it_ignores_next_on_a_foreign_origin(client, mocked_responses, next_url):
    google_answers(mocked_responses)

    url, _, fragment = landing(sign_in(client, "google", next=next_url))

    assert url == FRONTEND_CALLBACK
    assert "next" not in fragment
    assert {"access", "refresh"} <= set(fragment)


def test_it_sends_errors_to_the_next_origin_too(client):
    start(client, "google", next="http://localhost:5173/app/")

    url, _, fragment = landing(client.get("/auth/google/callback", {"state": "forged", "code": "c"}))

    assert url == "http://localhost:5173/app/auth/callback"
    assert fragment["error"] == "state_mismatch"


# --- failures -------------------------------------------------------------------------


def test_it_rejects_a_callback_without_state(client, mocked_responses):
    google_answers(mocked_responses)
    start(client, "google")

    url, _, fragment = landing(client.get("/auth/google/callback", {"code": "the-code"}))

    assert url == FRONTEND_CALLBACK
    assert fragment == {"error": "state_missing"}
    assert len(mocked_responses.calls) == 0
    assert not services.User.objects.exists()


def test_it_rejects_a_wrong_state(client, mocked_responses):
    google_answers(mocked_responses)
    start(client, "google")

    _, _, fragment = landing(client.get("/auth/google/callback", {"state": "not-ours", "code": "the-code"}))

    assert fragment == {"error": "state_mismatch"}
    assert len(mocked_responses.calls) == 0


def test_it_rejects_a_state_from_another_browser(client):
    _, query = start(client, "google")

    response = Client().get("/auth/google/callback", {"state": query["state"], "code": "the-code"})

    assert landing(response)[2] == {"error": "state_mismatch"}


def test_it_rejects_a_replayed_callback(client, mocked_responses):
    google_answers(mocked_responses)
    _, query = start(client, "google")
    params = {"state": query["state"], "code": "the-code"}
    landing(client.get("/auth/google/callback", params))

    _, _, fragment = landing(client.get("/auth/google/callback", params))

    assert fragment == {"error": "state_mismatch"}


def test_it_reports_denied_consent(client, mocked_responses):
    _, query = start(client, "spotify")

    _, _, fragment = landing(client.get("/auth/spotify/callback", {"error": "access_denied", "state": query["state"]}))

    assert fragment == {"error": "access_denied"}
    assert len(mocked_responses.calls) == 0


@pytest.mark.parametrize(
    ("status", "body"),
    [(500, {"error": "server_error"}), (503, None), (400, {"error": "invalid_grant"})],
)
def test_it_reports_a_failing_token_endpoint(client, mocked_responses, status, body):
    if body is None:
        mocked_responses.post(GOOGLE_TOKEN_URL, status=status, body="<html>down</html>")
    else:
        mocked_responses.post(GOOGLE_TOKEN_URL, status=status, json=body)

    _, _, fragment = landing(sign_in(client, "google"))

    assert fragment == {"error": "provider_error"}
    assert not services.User.objects.exists()


def test_it_reports_a_failing_profile_endpoint(client, mocked_responses):
    spotify_answers(mocked_responses)
    mocked_responses.replace("GET", SPOTIFY_ME_URL, status=502, body="bad gateway")

    _, _, fragment = landing(sign_in(client, "spotify"))

    assert fragment == {"error": "provider_error"}


@pytest.mark.parametrize(
    "failure", [requests.ConnectionError("connection refused"), requests.Timeout("read timed out")]
)
def test_it_reports_an_unreachable_provider(client, mocked_responses, failure):
    mocked_responses.post(SPOTIFY_TOKEN_URL, body=failure)

    _, _, fragment = landing(sign_in(client, "spotify"))

    assert fragment == {"error": "provider_unreachable"}


def test_it_keeps_codes_and_tokens_out_of_the_logs(client, mocked_responses, caplog):
    caplog.set_level("DEBUG")
    spotify_answers(mocked_responses)

    _, _, fragment = landing(sign_in(client, "spotify"))
    landing(client.get("/auth/spotify/callback", {"state": "forged", "code": "the-code"}))

    for secret in ("the-code", "sp-access", "sp-refresh", fragment["access"], fragment["refresh"]):
        assert secret not in caplog.text


def test_a_verified_owner_takes_back_an_account_made_with_their_unverified_email(client, api, mocked_responses):
    # Someone signs up through Spotify claiming carol@example.com (Spotify cannot vouch for it).
    spotify_answers(mocked_responses, email="carol@example.com")
    _, _, squatter = landing(sign_in(client, "spotify"))
    assert me(api, squatter["access"]).status_code == 200

    # The real Carol signs in with Google, which verified the address.
    google_answers(mocked_responses, email="carol@example.com")
    _, _, owner = landing(sign_in(Client(), "google"))

    account = services.User.objects.get()
    assert account.email_verified
    assert list(account.social_auth.values_list("provider", flat=True)) == ["google-oauth2"]
    refreshed = api.post("/auth/token/refresh", {"refresh": squatter["refresh"]}, format="json")
    assert refreshed.status_code == 401
    assert me(api, owner["access"]).json()["email"] == "carol@example.com"

"""Linking Google or Spotify to a signed-in account (issue 11, item 8).

The flow, as the SPA drives it: `POST /auth/link` (Bearer) in the signed-in browser, that
browser goes to `login_url`, the provider answers (played by `responses`), and a TuneWave
page naming both accounts asks before anything is linked. Browsers are Django test clients
that enforce CSRF like a real one; the API calls are made through the same client so they
share its cookies, as fetch() from the SPA does.
"""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from social_django.models import UserSocialAuth

from accounts import services
from accounts.tests.test_oauth import (
    FRONTEND_CALLBACK,
    google_answers,
    landing,
    oauth_configured,  # noqa: F401 - autouse: providers configured for every test here
    spotify_answers,
)

pytestmark = pytest.mark.django_db


def browser() -> Client:
    return Client(enforce_csrf_checks=True)


def ask_for_link(client: Client, user, provider: str = "spotify"):
    """The SPA's call, from the signed-in browser."""
    access = services.tokens_issue(user=user)["access"]
    return client.post(
        "/auth/link", {"provider": provider}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {access}"
    )


def go_through_provider(client: Client, login_url: str, provider: str = "spotify"):
    """Login URL → provider consent (skipped) → our callback; returns the callback's answer."""
    started = client.get(login_url)
    if started.status_code != 302 or "state=" not in started["Location"]:
        return started
    state = parse_qs(urlsplit(started["Location"]).query)["state"][0]
    return client.get(f"/auth/{provider}/callback", {"state": state, "code": "the-code"})


def _field_of(page, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', page.content.decode())
    assert found is not None, f"no {name} field on the page"
    return found.group(1)


def csrf_token_of(page) -> str:
    return _field_of(page, "csrfmiddlewaretoken")


def pending_id_of(page) -> str:
    return _field_of(page, "pending")


def answer(client: Client, page, action: str):
    return client.post(
        "/auth/link/confirm",
        {"csrfmiddlewaretoken": csrf_token_of(page), "pending": pending_id_of(page), "action": action},
    )


def reach_confirmation(client: Client, user, provider: str = "spotify"):
    login_url = ask_for_link(client, user, provider).json()["login_url"]
    callback = go_through_provider(client, login_url, provider)
    assert callback.status_code == 302
    assert callback["Location"] == "/auth/link/confirm"
    return client.get("/auth/link/confirm")


# --- starting ----------------------------------------------------------------------------


def test_it_hands_the_signed_in_browser_a_ticket_and_a_session_cookie(alice):
    client = browser()

    response = ask_for_link(client, alice)

    assert response.status_code == 201
    body = response.json()
    assert body["expires_in"] == 120
    assert body["login_url"] == f"/auth/spotify/login?link={body['ticket']}"
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_it_wants_a_signed_in_caller_and_a_known_provider(alice, api, as_user):
    assert api.post("/auth/link", {"provider": "spotify"}, format="json").status_code == 401
    response = as_user(alice).post("/auth/link", {"provider": "github"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_choice"


def test_a_provider_without_credentials_here_cannot_be_linked(alice, as_user, settings):
    settings.GOOGLE_CLIENT_ID = settings.SOCIAL_AUTH_GOOGLE_OAUTH2_KEY = ""
    response = as_user(alice).post("/auth/link", {"provider": "google"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"provider": ["This sign-in provider is not configured here."]}
    assert "sessionid" not in response.cookies


# --- another browser ---------------------------------------------------------------------


def test_a_ticket_used_in_another_browser_links_nothing(alice, mocked_responses):
    spotify_answers(mocked_responses, email="mallory@spotify.example")
    ticket_url = ask_for_link(browser(), alice).json()["login_url"]

    # Someone else's browser (no cookie of alice's) opens the link it was sent.
    response = browser().get(ticket_url)

    url, _, fragment = landing(response)
    assert (url, fragment) == (FRONTEND_CALLBACK, {"error": "link_invalid"})
    assert len(mocked_responses.calls) == 0
    assert not UserSocialAuth.objects.exists()


def test_a_ticket_from_another_browser_is_refused_even_by_a_browser_with_its_own_link_request(alice, bob):
    alices_url = ask_for_link(browser(), alice).json()["login_url"]
    bobs_browser = browser()
    ask_for_link(bobs_browser, bob)

    _, _, fragment = landing(bobs_browser.get(alices_url))

    assert fragment == {"error": "link_invalid"}


def test_a_ticket_works_once_and_for_its_provider_only(alice):
    client = browser()
    body = ask_for_link(client, alice, "spotify").json()

    _, _, fragment = landing(client.get("/auth/google/login", {"link": body["ticket"]}))
    assert fragment == {"error": "link_invalid"}
    _, _, fragment = landing(client.get(body["login_url"]))
    assert fragment == {"error": "link_invalid"}


def test_a_ws_ticket_is_no_link_ticket(alice):
    _, _, fragment = landing(browser().get("/auth/spotify/login", {"link": services.ws_ticket_issue(user=alice)}))

    assert fragment == {"error": "link_invalid"}


def test_the_confirmation_page_is_empty_in_another_browser(alice, mocked_responses):
    spotify_answers(mocked_responses)
    reach_confirmation(browser(), alice)

    elsewhere = browser()
    url, _, fragment = landing(elsewhere.get("/auth/link/confirm"))

    assert (url, fragment) == (FRONTEND_CALLBACK, {"error": "link_invalid"})


# --- the confirmation page --------------------------------------------------------------


def test_it_names_both_accounts_before_linking_anything(alice, mocked_responses):
    spotify_answers(mocked_responses, email="alice.listens@spotify.example", name="Alice Spins")

    page = reach_confirmation(browser(), alice)

    assert page.status_code == 200
    text = page.content.decode()
    for shown in ("alice", "alice@example.com", "Spotify", "alice.listens@spotify.example", "Alice Spins"):
        assert shown in text
    assert page["X-Frame-Options"] == "DENY"
    assert "no-store" in page["Cache-Control"]
    assert not UserSocialAuth.objects.exists()


def test_confirming_links_the_account_and_keeps_its_tokens(alice, mocked_responses):
    spotify_answers(mocked_responses, email="alice.listens@spotify.example")
    client = browser()
    page = reach_confirmation(client, alice)

    url, _, fragment = landing(answer(client, page, "link"))

    assert (url, fragment) == (FRONTEND_CALLBACK, {"linked": "spotify"})
    social = UserSocialAuth.objects.get(provider="spotify")
    assert (social.user, social.uid, social.id_key) == (alice, "carolspins", "id")
    assert social.extra_data["refresh_token"] == "sp-refresh"
    assert social.extra_data["access_token"] == "sp-access"
    assert services.User.objects.count() == 1


def test_a_linked_google_account_then_signs_in_to_that_account(alice, api, mocked_responses):
    google_answers(mocked_responses, sub="g-777", email="alice.elsewhere@gmail.example")
    client = browser()
    answer(client, reach_confirmation(client, alice, "google"), "link")

    _, _, fragment = landing(go_through_provider(Client(), "/auth/google/login", "google"))

    api.credentials(HTTP_AUTHORIZATION=f"Bearer {fragment['access']}")
    assert api.get("/users/me").json()["id"] == str(alice.pk)


def test_cancelling_links_nothing(alice, mocked_responses):
    spotify_answers(mocked_responses)
    client = browser()
    page = reach_confirmation(client, alice)

    url, _, fragment = landing(answer(client, page, "cancel"))

    assert (url, fragment) == (FRONTEND_CALLBACK, {"error": "link_cancelled"})
    assert not UserSocialAuth.objects.exists()
    # The answer was the last word: the page is gone.
    assert landing(client.get("/auth/link/confirm"))[2] == {"error": "link_invalid"}


def test_confirming_without_the_csrf_token_is_refused(alice, mocked_responses):
    spotify_answers(mocked_responses)
    client = browser()
    page = reach_confirmation(client, alice)

    response = client.post("/auth/link/confirm", {"pending": pending_id_of(page), "action": "link"})

    assert response.status_code == 403
    assert not UserSocialAuth.objects.exists()


def test_a_confirmation_posted_from_another_browser_links_nothing(alice, mocked_responses):
    spotify_answers(mocked_responses)
    page = reach_confirmation(browser(), alice)
    other = browser()
    other.cookies["csrftoken"] = "a" * 32  # its own, valid CSRF pair: only the session differs

    response = other.post(
        "/auth/link/confirm", {"csrfmiddlewaretoken": "a" * 32, "pending": pending_id_of(page), "action": "link"}
    )

    assert landing(response)[2] == {"error": "link_invalid"}
    assert not UserSocialAuth.objects.exists()


def test_a_stale_page_confirms_nothing(alice, mocked_responses):
    spotify_answers(mocked_responses)
    client = browser()
    page = reach_confirmation(client, alice)

    response = client.post(
        "/auth/link/confirm", {"csrfmiddlewaretoken": csrf_token_of(page), "pending": "not-this-one", "action": "link"}
    )

    assert landing(response)[2] == {"error": "link_invalid"}
    assert not UserSocialAuth.objects.exists()


def test_it_escapes_what_the_provider_says(alice, mocked_responses):
    spotify_answers(mocked_responses, name="<script>alert(1)</script>")

    page = reach_confirmation(browser(), alice)

    assert "<script>alert(1)</script>" not in page.content.decode()
    assert "&lt;script&gt;" in page.content.decode()


# --- what the provider account may already be --------------------------------------------


def test_it_refuses_to_link_a_provider_account_that_belongs_to_someone_else(alice, bob, mocked_responses):
    UserSocialAuth.objects.create(user=bob, provider="spotify", uid="carolspins", id_key="id")
    spotify_answers(mocked_responses)
    client = browser()

    callback = go_through_provider(client, ask_for_link(client, alice).json()["login_url"])

    assert landing(callback)[2] == {"error": "identity_in_use"}
    assert UserSocialAuth.objects.get(provider="spotify").user == bob


def test_someone_else_linking_it_while_the_page_is_open_wins(alice, bob, mocked_responses):
    spotify_answers(mocked_responses)
    client = browser()
    page = reach_confirmation(client, alice)
    UserSocialAuth.objects.create(user=bob, provider="spotify", uid="carolspins", id_key="id")

    assert landing(answer(client, page, "link"))[2] == {"error": "identity_in_use"}
    assert UserSocialAuth.objects.get(provider="spotify").user == bob


def test_an_account_already_linked_to_the_same_person_needs_no_confirmation(alice, mocked_responses):
    UserSocialAuth.objects.create(user=alice, provider="spotify", uid="carolspins", id_key="id")
    spotify_answers(mocked_responses)
    client = browser()

    callback = go_through_provider(client, ask_for_link(client, alice).json()["login_url"])

    url, _, fragment = landing(callback)
    assert fragment == {"linked": "spotify"}
    assert UserSocialAuth.objects.get().extra_data["refresh_token"] == "sp-refresh"


def test_the_next_sign_in_after_a_link_is_a_plain_one(alice, mocked_responses):
    spotify_answers(mocked_responses, email="alice.listens@spotify.example")
    client = browser()
    answer(client, reach_confirmation(client, alice), "link")

    google_answers(mocked_responses, email="someone@example.com")
    _, _, fragment = landing(go_through_provider(client, "/auth/google/login", "google"))

    assert {"access", "refresh"} <= set(fragment)
    assert UserSocialAuth.objects.get(provider="google-oauth2").user.email == "someone@example.com"


def test_it_keeps_next_through_the_confirmation(alice, mocked_responses):
    spotify_answers(mocked_responses)
    client = browser()
    login_url = ask_for_link(client, alice).json()["login_url"] + "&next=http://localhost:5173/app/profile"
    go_through_provider(client, login_url)
    page = client.get("/auth/link/confirm")

    url, _, fragment = landing(answer(client, page, "link"))

    assert url == "http://localhost:5173/app/auth/callback"
    assert fragment == {"linked": "spotify", "next": "http://localhost:5173/app/profile"}

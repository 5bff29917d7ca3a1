"""Refresh-token rotation: one winner per token, reuse detection, and logout that ends the
access token too (issue 11, item 2).

A sign-in is a *family* of refresh tokens: each rotation spends one and hands out the next.
"""

import logging
import threading
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import selectors, services
from accounts.tests.factories import UserFactory
from accounts.tests.test_ws_auth import connect

pytestmark = pytest.mark.django_db


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def refresh(refresh_token: str):
    return APIClient().post("/auth/token/refresh", {"refresh": refresh_token}, format="json")


def logout(refresh_token: str):
    return APIClient().post("/auth/logout", {"refresh": refresh_token}, format="json")


@pytest.fixture
def later(monkeypatch):
    """Moves the clock forward by `seconds` for everything that asks Django for the time."""
    real_now = timezone.now

    def move(seconds: float) -> None:
        monkeypatch.setattr("django.utils.timezone.now", lambda: real_now() + timedelta(seconds=seconds))

    return move


# --- one winner -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_it_lets_exactly_one_of_ten_concurrent_refreshes_win(services_mode):
    alice = UserFactory(username="alice")
    token = services.tokens_issue(user=alice)["refresh"]
    start = threading.Barrier(10)
    answers = []

    def use_it():
        try:
            start.wait(timeout=10)
            response = refresh(token)
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=use_it) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] + [401] * 9
    assert {body["code"] for status, body in answers if status == 401} == {"token_not_valid"}
    winner = next(body for status, body in answers if status == 200)
    assert bearer(winner["access"]).get("/users/me").status_code == 200
    assert refresh(winner["refresh"]).status_code == 200


def test_it_lets_only_the_first_of_repeated_refreshes_win(alice):
    token = services.tokens_issue(user=alice)["refresh"]

    answers = [refresh(token) for _ in range(10)]

    assert [a.status_code for a in answers] == [200] + [401] * 9
    assert {a.json()["code"] for a in answers[1:]} == {"token_not_valid"}
    assert refresh(answers[0].json()["refresh"]).status_code == 200


# --- reuse within and after the grace ---------------------------------------------------


def test_a_loser_within_the_grace_changes_nothing(alice):
    first = services.tokens_issue(user=alice)
    winner = refresh(first["refresh"]).json()

    loser = refresh(first["refresh"])

    assert loser.status_code == 401
    assert loser.json()["code"] == "token_not_valid"
    assert bearer(winner["access"]).get("/users/me").status_code == 200
    assert refresh(winner["refresh"]).status_code == 200


def test_a_spent_token_presented_after_the_grace_revokes_its_whole_sign_in(alice, later, settings, caplog):
    settings.JWT_REFRESH_REUSE_GRACE_SECONDS = 10
    stolen = services.tokens_issue(user=alice)
    other_sign_in = services.tokens_issue(user=alice)
    child = refresh(stolen["refresh"]).json()
    grandchild = refresh(child["refresh"]).json()
    later(11)

    reused = refresh(stolen["refresh"])

    assert reused.status_code == 401
    assert reused.json()["code"] == "token_not_valid"
    # Every descendant is refused now, and the access tokens minted with them too.
    assert refresh(grandchild["refresh"]).json()["code"] == "token_not_valid"
    assert bearer(grandchild["access"]).get("/users/me").status_code == 401
    assert bearer(child["access"]).get("/users/me").status_code == 401
    # The same person's other sign-in goes on.
    assert bearer(other_sign_in["access"]).get("/users/me").status_code == 200
    assert refresh(other_sign_in["refresh"]).status_code == 200
    assert "was presented again" in caplog.text


def test_the_grace_is_a_setting(alice, later, settings):
    settings.JWT_REFRESH_REUSE_GRACE_SECONDS = 60
    first = services.tokens_issue(user=alice)
    winner = refresh(first["refresh"]).json()
    later(30)

    assert refresh(first["refresh"]).status_code == 401
    assert refresh(winner["refresh"]).status_code == 200


# --- logout ends the access token too ---------------------------------------------------


def test_logout_ends_the_access_tokens_of_that_sign_in(alice):
    first = services.tokens_issue(user=alice)
    current = refresh(first["refresh"]).json()
    other_sign_in = services.tokens_issue(user=alice)

    assert logout(current["refresh"]).status_code == 204

    response = bearer(current["access"]).get("/users/me")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"
    assert bearer(first["access"]).get("/users/me").status_code == 401
    assert refresh(current["refresh"]).status_code == 401
    assert bearer(other_sign_in["access"]).get("/users/me").status_code == 200


@pytest.mark.django_db(transaction=True)
async def test_logout_closes_the_socket_door_to_the_access_token():
    alice = await database_sync_to_async(UserFactory)(username="alice")
    tokens = await database_sync_to_async(services.tokens_issue)(user=alice)
    communicator, connected, _ = await connect(f"?token={tokens['access']}")
    assert connected
    await communicator.disconnect()

    await database_sync_to_async(services.refresh_token_revoke)(token=tokens["refresh"])

    _, connected, code = await connect(f"?token={tokens['access']}")
    assert (connected, code) == (False, 4401)


@pytest.mark.django_db(transaction=True)
async def test_a_ticket_asked_for_before_logout_opens_no_socket_after_it():
    alice = await database_sync_to_async(UserFactory)(username="alice")
    tokens = await database_sync_to_async(services.tokens_issue)(user=alice)
    answer = await database_sync_to_async(bearer(tokens["access"]).post)("/auth/ws-ticket")
    assert answer.status_code == 201

    await database_sync_to_async(services.refresh_token_revoke)(token=tokens["refresh"])

    _, connected, code = await connect(f"?token={answer.json()['ticket']}")
    assert (connected, code) == (False, 4401)


def test_a_ticket_cannot_be_had_with_a_logged_out_access_token(alice):
    tokens = services.tokens_issue(user=alice)
    logout(tokens["refresh"])

    assert bearer(tokens["access"]).post("/auth/ws-ticket").status_code == 401


# --- the deny-list fails open while the cache is down ---------------------------------


@pytest.fixture
def dead_cache(dead_redis_cache, monkeypatch):
    """The cache on django-redis, its Redis killed; the deny-list's warning not yet given."""
    monkeypatch.setattr(selectors, "_deny_list_warned_at", -1e9)


def test_logout_still_works_while_the_cache_is_down_and_says_what_it_could_not_do(alice, dead_cache, caplog):
    caplog.set_level(logging.WARNING)
    tokens = services.tokens_issue(user=alice)

    assert logout(tokens["refresh"]).status_code == 204

    assert "deny-list is unavailable" in caplog.text
    assert refresh(tokens["refresh"]).status_code == 401


def test_authentication_fails_open_while_the_cache_is_down(alice, dead_cache, caplog):
    caplog.set_level(logging.WARNING)
    tokens = services.tokens_issue(user=alice)

    response = bearer(tokens["access"]).get("/users/me")

    assert response.status_code == 200
    assert "deny-list is unavailable" in caplog.text
    assert "accepted without checking for logout" in caplog.text


@pytest.mark.django_db(transaction=True)
async def test_a_socket_opens_on_an_access_token_while_the_cache_is_down_and_the_log_says_so(dead_cache, caplog):
    caplog.set_level(logging.WARNING)
    alice = await database_sync_to_async(UserFactory)(username="alice")
    tokens = await database_sync_to_async(services.tokens_issue)(user=alice)

    communicator, connected, _ = await connect(f"?token={tokens['access']}")

    assert connected
    await communicator.disconnect()
    assert "deny-list is unavailable" in caplog.text

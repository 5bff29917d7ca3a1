import os
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from accounts import services
from accounts.models import User

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def test_it_refreshes_and_rotates_tokens(alice, api):
    tokens = services.tokens_issue(user=alice)
    response = api.post("/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 200
    fresh = response.json()
    assert fresh["refresh"] != tokens["refresh"]
    assert bearer(fresh["access"]).get("/users/me").json()["username"] == "alice"
    # The old refresh token was blacklisted by the rotation.
    again = api.post("/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert again.status_code == 401
    assert again.json()["code"] == "token_not_valid"


@pytest.mark.parametrize("body", [{}, {"refresh": ""}, {"refresh": "garbage"}, {"refresh": 42}])
def test_it_rejects_bad_refresh_bodies(api, body):
    response = api.post("/auth/token/refresh", body, format="json")
    assert response.status_code in (400, 401)
    assert response.json()["detail"]


def test_it_rejects_an_access_token_used_as_refresh(alice, api):
    access = services.tokens_issue(user=alice)["access"]
    assert api.post("/auth/token/refresh", {"refresh": access}, format="json").status_code == 401


def test_it_logs_out_by_blacklisting_the_refresh_token(alice, api):
    tokens = services.tokens_issue(user=alice)
    assert api.post("/auth/logout", {"refresh": tokens["refresh"]}, format="json").status_code == 204
    assert api.post("/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json").status_code == 401
    assert api.post("/auth/logout", {"refresh": tokens["refresh"]}, format="json").status_code == 401


def test_it_stops_a_deactivated_users_tokens(alice, api):
    tokens = services.tokens_issue(user=alice)
    client = bearer(tokens["access"])
    assert client.get("/users/me").status_code == 200
    services.user_deactivate(user=alice)
    assert client.get("/users/me").status_code == 401
    assert api.post("/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json").status_code == 401


def test_it_refuses_refresh_for_a_deleted_user(alice, api):
    refresh = services.tokens_issue(user=alice)["refresh"]
    User.objects.filter(pk=alice.pk).delete()
    assert api.post("/auth/token/refresh", {"refresh": refresh}, format="json").status_code == 401


def test_it_issues_single_use_ws_tickets(alice, as_user, api):
    response = as_user(alice).post("/auth/ws-ticket")
    assert response.status_code == 201
    assert response.json()["expires_in"] == 30
    ticket = response.json()["ticket"]
    assert services.ws_ticket_redeem(ticket=ticket) == alice
    assert services.ws_ticket_redeem(ticket=ticket) is None
    assert api.post("/auth/ws-ticket").status_code == 401


def test_it_expires_ws_tickets(alice, settings):
    settings.WS_TICKET_TTL = 0.01
    ticket = services.ws_ticket_issue(user=alice)
    import time

    time.sleep(0.05)
    assert services.ws_ticket_redeem(ticket=ticket) is None


def test_dev_login_creates_and_signs_in(api):
    response = api.post("/auth/dev/login", {"email": "Carol@Example.com", "display_name": "Carol"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["created"] is True
    assert body["user"]["email"] == "carol@example.com"
    assert body["user"]["display_name"] == "Carol"
    assert bearer(body["access"]).get("/users/me").json()["email"] == "carol@example.com"
    again = api.post("/auth/dev/login", {"email": "carol@example.com"}, format="json")
    assert again.json()["created"] is False
    assert again.json()["user"]["id"] == body["user"]["id"]


@pytest.mark.parametrize("body", [{}, {"email": "not-an-email"}, {"email": ["a@b.c"]}])
def test_dev_login_rejects_bad_bodies(api, body):
    response = api.post("/auth/dev/login", body, format="json")
    assert response.status_code == 400
    assert User.objects.count() == 0


def test_dev_login_refuses_deactivated_accounts(alice, api):
    services.user_deactivate(user=alice)
    assert api.post("/auth/dev/login", {"email": "alice@example.com"}, format="json").status_code == 403


def test_dev_login_is_404_when_disabled(api, settings):
    settings.DEV_LOGIN_ENABLED = False
    response = api.post("/auth/dev/login", {"email": "x@example.com"}, format="json")
    assert response.status_code == 404
    assert User.objects.count() == 0


def _dev_login_flag(**extra) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "TUNEWAVE_DEV_LOGIN", "SECRET_KEY")}
    env.update(extra)
    code = "import django;django.setup();from django.conf import settings;print(settings.DEV_LOGIN_ENABLED)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "tunewave.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def test_dev_login_is_off_in_production_unless_asked_for():
    assert _dev_login_flag() == "True"  # embedded default: DEBUG on
    assert _dev_login_flag(DEBUG="0", SECRET_KEY="k" * 60) == "False"
    assert _dev_login_flag(DEBUG="0", SECRET_KEY="k" * 60, TUNEWAVE_DEV_LOGIN="1") == "True"


def test_auth_config_describes_sign_in(api, settings):
    settings.GOOGLE_CLIENT_ID = "gid"
    settings.GOOGLE_CLIENT_SECRET = "gsecret"
    settings.SPOTIFY_CLIENT_ID = ""
    response = api.get("/auth/config")
    assert response.status_code == 200
    body = response.json()
    assert body["providers"] == ["google"]
    assert body["login_urls"] == {"google": "http://testserver/auth/google/login"}
    assert body["dev_login"] is True
    assert body["ws_url"] == "ws://testserver/ws/"


def test_auth_config_offers_nothing_unconfigured(api, settings):
    settings.GOOGLE_CLIENT_ID = settings.SPOTIFY_CLIENT_ID = ""
    settings.DEV_LOGIN_ENABLED = False
    body = api.get("/auth/config").json()
    assert body["providers"] == []
    assert body["dev_login"] is False


def test_auth_config_says_which_avatars_the_server_takes(api, settings):
    """The web app's avatar hint and file picker follow the server, which takes no GIFs."""
    settings.AVATAR_MAX_BYTES = 3 * 1024 * 1024
    body = api.get("/auth/config").json()
    assert body["avatar"] == {"max_bytes": 3 * 1024 * 1024, "content_types": ["image/jpeg", "image/png", "image/webp"]}

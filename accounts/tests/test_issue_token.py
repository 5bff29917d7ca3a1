from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User

pytestmark = pytest.mark.django_db


def issue(*args) -> list[str]:
    out = StringIO()
    call_command("issue_token", *args, stdout=out)
    return out.getvalue().split()


def test_it_prints_one_token_per_email_in_order(alice, bob):
    tokens = issue("bob@example.com", "alice@example.com")
    assert [AccessToken(t)["user_id"] for t in tokens] == [str(bob.id), str(alice.id)]


def test_the_tokens_work_against_the_api(alice, api):
    (token,) = issue("alice@example.com")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/users/me").json()["username"] == "alice"


def test_it_refuses_unknown_users_without_create(alice):
    with pytest.raises(CommandError, match="nobody@example.com"):
        issue("alice@example.com", "nobody@example.com")
    assert not User.objects.filter(email="nobody@example.com").exists()


def test_it_creates_users_with_create(alice):
    tokens = issue("new1@example.com", "alice@example.com", "new2@example.com", "--create")
    assert len(tokens) == 3
    new1 = User.objects.get(email="new1@example.com")
    assert AccessToken(tokens[0])["user_id"] == str(new1.id)


def test_it_rejects_malformed_emails():
    with pytest.raises(CommandError, match="not a valid e-mail"):
        issue("not-an-email", "--create")

import pytest
from django.contrib.admin.sites import site
from django.urls import reverse

from accounts import services
from accounts.models import User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator_client(client):
    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    return client


def test_it_finds_users_by_search_and_filter(moderator_client, alice, bob):
    url = reverse("admin:accounts_user_changelist")
    response = moderator_client.get(url, {"q": "alice"})
    assert response.status_code == 200
    assert b"alice@example.com" in response.content
    assert b"bob@example.com" not in response.content
    assert moderator_client.get(url, {"is_active__exact": "1"}).status_code == 200


def test_a_moderator_deactivates_a_user_and_their_tokens_stop(moderator_client, alice, api):
    tokens = services.tokens_issue(user=alice)
    response = moderator_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "deactivate_users", "_selected_action": [str(alice.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    assert not User.objects.get(pk=alice.pk).is_active
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api.get("/users/me").status_code == 401
    assert api.post("/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json").status_code == 401


def test_the_user_model_is_registered():
    assert User in site._registry

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


def test_a_site_moderator_cannot_make_themself_superuser(client, alice):
    from django.contrib.auth.models import Permission

    moderator = UserFactory(username="mod", is_staff=True)
    moderator.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "change_user"]))
    client.force_login(moderator)
    url = reverse("admin:accounts_user_change", args=[moderator.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = {
        "username": "mod",
        "display_name": "Mod Changed",
        "bio": "",
        "favorite_genres": "[]",
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "last_login_0": "",
        "last_login_1": "",
    }
    response = client.post(url, form)
    assert response.status_code == 302, response.content[:2000]
    moderator.refresh_from_db()
    assert moderator.display_name == "Mod Changed"  # the form was saved...
    assert not moderator.is_superuser  # ...without the field a moderator may not touch

"""A site moderator (staff, in the Moderators group) in the user admin: never above their station.

Only a superuser changes, deactivates or deletes a staff or superuser account, and the only
password anyone but a superuser sets is their own, whichever admin URL they try.
"""

import importlib

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from accounts import services
from accounts.models import User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MODERATORS = importlib.import_module("rooms.migrations.0002_moderators_group")
ROOT_PASSWORD = "root-password-9f3k"  # noqa: S105 - a test fixture's password
STAFF_PASSWORD = "staff-password-2m8q"  # noqa: S105
NEW_PASSWORD = "taken-over-7Hq!x2"  # noqa: S105


@pytest.fixture
def moderators_group():
    """The group as the migration makes it (made again if a transactional test flushed it)."""
    group = Group.objects.filter(name=MODERATORS.GROUP).first()
    if group is None:
        state = MigrationExecutor(connection).loader.project_state(("rooms", "0002_moderators_group"))

        class _SchemaEditor:
            pass

        editor = _SchemaEditor()
        editor.connection = connection
        MODERATORS.create_group(state.apps, editor)
        group = Group.objects.get(name=MODERATORS.GROUP)
    return group


@pytest.fixture
def root(db):
    user = UserFactory(username="root", email="root@example.com", is_staff=True, is_superuser=True)
    user.set_password(ROOT_PASSWORD)
    user.save()
    return user


@pytest.fixture
def moderator(moderators_group):
    user = UserFactory(username="sitemod", email="sitemod@example.com", is_staff=True)
    user.set_password("mod-password-5t6y")
    user.save()
    user.groups.add(moderators_group)
    return user


@pytest.fixture
def other_moderator(moderators_group):
    user = UserFactory(username="othermod", email="othermod@example.com", is_staff=True)
    user.set_password(STAFF_PASSWORD)
    user.save()
    user.groups.add(moderators_group)
    return user


@pytest.fixture
def mod_client(moderator):
    client = Client()
    client.force_login(moderator)
    return client


@pytest.fixture
def root_client(root):
    client = Client()
    client.force_login(root)
    return client


def password_url(user) -> str:
    return reverse("admin:auth_user_password_change", args=[user.pk])


def change_url(user) -> str:
    return reverse("admin:accounts_user_change", args=[user.pk])


def password_form(password: str = NEW_PASSWORD) -> dict:
    return {"password1": password, "password2": password, "usable_password": "true"}


def change_form(user, **overrides) -> dict:
    form = {
        "username": user.username,
        "display_name": "Changed by a moderator",
        "bio": "",
        "favorite_genres": "[]",
        "is_active": "",  # unticked
        "last_login_0": "",
        "last_login_1": "",
    }
    form.update(overrides)
    return form


def assert_untouched(user, password: str):
    fresh = User.objects.get(pk=user.pk)
    assert fresh.check_password(password)
    assert fresh.is_active
    assert fresh.is_staff
    assert fresh.display_name == user.display_name
    return fresh


# --- the password view ------------------------------------------------------------------


def test_a_moderator_cannot_open_or_post_the_superusers_password_form(mod_client, root):
    assert mod_client.get(password_url(root)).status_code == 403
    response = mod_client.post(password_url(root), password_form())
    assert response.status_code == 403
    fresh = assert_untouched(root, ROOT_PASSWORD)
    assert not fresh.check_password(NEW_PASSWORD)
    # ...and the new password does not sign anyone in as root.
    assert not Client().login(username="root", password=NEW_PASSWORD)


def test_a_moderator_cannot_set_another_staff_members_password(mod_client, other_moderator):
    assert mod_client.get(password_url(other_moderator)).status_code == 403
    assert mod_client.post(password_url(other_moderator), password_form()).status_code == 403
    assert_untouched(other_moderator, STAFF_PASSWORD)


def test_a_moderator_cannot_set_an_ordinary_users_password(mod_client, alice):
    alice.set_password("alice-own-password-1")
    alice.save()
    assert mod_client.get(password_url(alice)).status_code == 403
    assert mod_client.post(password_url(alice), password_form()).status_code == 403
    assert User.objects.get(pk=alice.pk).check_password("alice-own-password-1")


def test_a_moderator_can_still_change_their_own_password(mod_client, moderator):
    assert mod_client.get(password_url(moderator)).status_code == 200
    response = mod_client.post(password_url(moderator), password_form())
    assert response.status_code == 302
    assert User.objects.get(pk=moderator.pk).check_password(NEW_PASSWORD)


def test_a_superuser_still_sets_anyones_password(root_client, other_moderator, alice):
    for user in (other_moderator, alice):
        assert root_client.get(password_url(user)).status_code == 200
        assert root_client.post(password_url(user), password_form()).status_code == 302
        assert User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)


# --- the change form --------------------------------------------------------------------


def test_a_moderator_cannot_change_the_superuser_by_the_change_form(mod_client, root):
    page = mod_client.get(change_url(root))
    assert page.status_code == 200  # view permission: read-only
    assert b'name="_save"' not in page.content
    response = mod_client.post(change_url(root), change_form(root))
    assert response.status_code == 403
    assert_untouched(root, ROOT_PASSWORD)


def test_a_moderator_cannot_change_another_staff_member(mod_client, other_moderator):
    response = mod_client.post(change_url(other_moderator), change_form(other_moderator))
    assert response.status_code == 403
    assert_untouched(other_moderator, STAFF_PASSWORD)


def test_a_moderator_still_edits_an_ordinary_user(mod_client, alice):
    response = mod_client.post(change_url(alice), change_form(alice, is_active="on"))
    assert response.status_code == 302, response.content[:2000]
    alice.refresh_from_db()
    assert alice.display_name == "Changed by a moderator"
    assert alice.is_active


def test_a_moderator_cannot_switch_their_own_staff_account_off(mod_client, moderator):
    response = mod_client.post(change_url(moderator), change_form(moderator))
    assert response.status_code == 302, response.content[:2000]
    fresh = User.objects.get(pk=moderator.pk)
    assert fresh.display_name == "Changed by a moderator"  # the rest of the form saved
    assert fresh.is_active


# --- actions ----------------------------------------------------------------------------


def test_the_deactivate_action_skips_staff_and_says_so(mod_client, root, other_moderator, alice):
    services.tokens_issue(user=root)
    response = mod_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "deactivate_users", "_selected_action": [str(root.pk), str(other_moderator.pk), str(alice.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    assert not User.objects.get(pk=alice.pk).is_active  # ordinary users: as before
    assert_untouched(root, ROOT_PASSWORD)
    assert_untouched(other_moderator, STAFF_PASSWORD)
    texts = [str(message) for message in get_messages(response.wsgi_request)]
    assert "Deactivated 1 user(s)." in texts
    assert any("Skipped 2 staff account(s)" in text for text in texts)
    # The superuser's sessions were not revoked either.
    assert not BlacklistedToken.objects.filter(token__user=root).exists()


def test_a_superuser_still_deactivates_staff(root_client, other_moderator):
    response = root_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "deactivate_users", "_selected_action": [str(other_moderator.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    assert not User.objects.get(pk=other_moderator.pk).is_active


def test_the_bulk_delete_action_does_not_reach_the_superuser(mod_client, root):
    response = mod_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "delete_selected", "_selected_action": [str(root.pk)], "post": "yes"},
        follow=True,
    )
    assert response.status_code in (200, 403)
    assert_untouched(root, ROOT_PASSWORD)


# --- delete and history -----------------------------------------------------------------


def test_a_moderator_cannot_delete_the_superuser(mod_client, root):
    url = reverse("admin:accounts_user_delete", args=[root.pk])
    assert mod_client.get(url).status_code == 403
    assert mod_client.post(url, {"post": "yes"}).status_code == 403
    assert_untouched(root, ROOT_PASSWORD)


def test_the_history_page_changes_nothing(mod_client, root):
    url = reverse("admin:accounts_user_history", args=[root.pk])
    assert mod_client.get(url).status_code == 200  # read-only, with the view permission
    mod_client.post(url, password_form())
    mod_client.post(url, change_form(root))
    assert_untouched(root, ROOT_PASSWORD)


def test_no_admin_url_lets_a_moderator_touch_the_superuser(mod_client, root):
    """Every URL the user admin serves for one account, posted a password and a change."""
    urls = [
        change_url(root),
        password_url(root),
        reverse("admin:accounts_user_delete", args=[root.pk]),
        reverse("admin:accounts_user_history", args=[root.pk]),
    ]
    for url in urls:
        mod_client.post(url, {**change_form(root), **password_form(), "post": "yes"})
    assert_untouched(root, ROOT_PASSWORD)
    assert not User.objects.get(pk=root.pk).check_password(NEW_PASSWORD)

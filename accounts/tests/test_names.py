"""Look-alike usernames are taken; display names carry no bidi tricks or invisible characters."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse

from accounts import oauth, services
from accounts.models import User
from accounts.names import display_name_clean, username_skeleton
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CYRILLIC_ALICE = "\u0430lice"  # а (U+0430) + "lice"
RLO, ZWSP, ZWJ, LRI, PDI, BOM = "\u202e", "\u200b", "\u200d", "\u2066", "\u2069", "\ufeff"


# --- the rules themselves ---------------------------------------------------------------


@pytest.mark.parametrize(
    "look_alike",
    [
        CYRILLIC_ALICE,
        "\u0430\u04c0\u0456\u0441\u0435",  # all Cyrillic (\u04c0 is a palochka)
        "\uff41\uff4c\uff49\uff43\uff45",  # fullwidth
        "a1ice",
        "aIice",  # capital i
        "\u0391lice",  # Greek capital alpha
        "Alice",
    ],
)
def test_look_alikes_share_a_skeleton(look_alike):
    assert username_skeleton(look_alike) == username_skeleton("alice")


@pytest.mark.parametrize("other", ["alicia", "alice2", "al.ice", "zoë", "\u0430lic"])
def test_different_names_keep_different_skeletons(other):
    assert username_skeleton(other) != username_skeleton("alice")


def test_a_display_name_loses_bidi_controls_and_invisible_characters():
    dirty = f" {RLO}Ali{ZWSP}ce{ZWJ} {LRI}Admin{PDI}{BOM}\u061c\u200e\u200f\u2060\u00ad\x07\t\n "
    assert display_name_clean(dirty) == "Alice Admin"
    assert display_name_clean(f"{ZWSP}{RLO}\u3164{ZWJ}") == ""
    assert display_name_clean("\uff21\uff4c\uff49") == "Ali"  # NFKC
    assert display_name_clean("Zo\u00eb \u266b") == "Zo\u00eb \u266b"  # letters and symbols stay


# --- the API -------------------------------------------------------------------------------


def rename(client, user, **data):
    return client.put(f"/users/{user.id}", data, format="json")


def test_it_refuses_a_cyrillic_alice_beside_alice(alice, bob, as_user):
    response = rename(as_user(bob), bob, username=CYRILLIC_ALICE, bio="changed")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert "taken" in response.json()["detail"]
    bob.refresh_from_db()
    assert (bob.username, bob.bio) == ("bob", "")


def test_it_refuses_alice_beside_a_cyrillic_alice(bob, as_user):
    assert rename(as_user(bob), bob, username=CYRILLIC_ALICE).status_code == 200  # nobody looks like it yet
    carol = UserFactory(username="carol")
    response = rename(as_user(carol), carol, username="alice")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert User.objects.get(pk=carol.pk).username == "carol"


@pytest.mark.parametrize("variant", ["ALICE", "Alice", "a1ice", "aIice", "\uff41lice", "\u0430lic\u0435"])
def test_it_refuses_other_variants_of_a_taken_username(alice, bob, as_user, variant):
    response = rename(as_user(bob), bob, username=variant)
    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "conflict"


def test_it_stores_usernames_nfkc_normalised(bob, as_user):
    response = rename(as_user(bob), bob, username="\uff42\uff4f\uff42\uff42\uff59")  # fullwidth "bobby"
    assert response.status_code == 200
    assert response.json()["username"] == "bobby"


def test_people_may_change_the_case_of_their_own_name_and_free_its_look(alice, bob, as_user):
    assert rename(as_user(alice), alice, username="Alice").json()["username"] == "Alice"
    assert rename(as_user(alice), alice, username="alicia").status_code == 200
    # alice's old look is free again once she has left it.
    assert rename(as_user(bob), bob, username=CYRILLIC_ALICE).status_code == 200


def test_a_display_name_comes_back_without_bidi_controls_or_zero_width_characters(alice, as_user):
    response = rename(as_user(alice), alice, display_name=f"{RLO}Alice{ZWSP} Admin")
    assert response.status_code == 200
    assert response.json()["display_name"] == "Alice Admin"
    assert User.objects.get(pk=alice.pk).display_name == "Alice Admin"
    public = Client().get(f"/users/{alice.id}").json()
    assert public["display_name"] == "Alice Admin"


def test_an_all_invisible_display_name_is_empty(alice, as_user):
    response = rename(as_user(alice), alice, display_name=f"{ZWSP}{RLO}{ZWJ}")
    assert response.status_code == 200
    assert response.json()["display_name"] == ""


def test_a_display_name_too_long_once_normalised_is_a_400(alice, as_user):
    # U+FDFA is one character that NFKC spells out in 18.
    response = rename(as_user(alice), alice, display_name="\ufdfa" * 10)
    assert response.status_code == 400
    assert response.json()["code"] == "max_length"
    assert "display_name" in response.json()["errors"]


def test_dev_login_cleans_the_display_name(api, settings):
    settings.DEV_LOGIN_ENABLED = True
    response = api.post(
        "/auth/dev/login", {"email": "dora@example.com", "display_name": f"{RLO}Dora{ZWSP}"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["user"]["display_name"] == "Dora"


# --- every way in which accounts are made ------------------------------------------------


def test_user_create_picks_a_username_nobody_looks_like(alice):
    user = services.user_create(email="other@example.com", username=CYRILLIC_ALICE, display_name=f"{RLO}Eve")
    assert username_skeleton(user.username) != username_skeleton("alice")
    assert user.username_skeleton == username_skeleton(user.username)
    assert user.display_name == "Eve"


def test_an_email_local_part_that_looks_like_a_username_gets_another(alice):
    user, created = services.user_get_or_create(email="A1ice@example.org")
    assert created
    assert username_skeleton(user.username) != username_skeleton("alice")


def test_oauth_sign_up_picks_a_free_look_and_a_clean_name(alice):
    backend = SimpleNamespace(name="spotify")
    details = {"email": "newcomer@example.com", "username": CYRILLIC_ALICE, "fullname": f"{RLO}New{ZWSP}comer"}
    user = oauth.create_user(backend, details)["user"]
    assert username_skeleton(user.username) != username_skeleton("alice")
    assert user.display_name == "Newcomer"


def test_issue_token_create_picks_a_free_look(alice, capsys):
    call_command("issue_token", "A1ice@example.net", "--create")
    user = User.objects.get(email="a1ice@example.net")
    assert username_skeleton(user.username) != username_skeleton("alice")


def test_imports_give_new_users_free_looks_and_a_skeleton(alice):
    found, created = services.users_bulk_get_or_create(keys=["\u0430lice@example.com", "a1ice", "newbie@example.com"])
    assert created == 3
    users = User.objects.filter(pk__in=found.values()).exclude(pk=alice.pk)
    assert users.count() == 3
    for user in users:
        assert user.username_skeleton == username_skeleton(user.username)
        assert user.username_skeleton != username_skeleton("alice")


def test_a_superuser_adding_a_look_alike_in_the_admin_gets_a_form_error(alice):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(root)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": CYRILLIC_ALICE,
            "email": "fake@example.com",
            "password1": "A-long-password-99",
            "password2": "A-long-password-99",
            "usable_password": "true",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert "looks too much like" in response.content.decode()
    assert not User.objects.filter(email="fake@example.com").exists()


def test_renaming_to_a_look_alike_in_the_admin_gets_a_form_error(alice, bob):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(root)
    form = {
        "username": "b\u043eb\u0445",  # bоbх with Cyrillic о and х
        "email": bob.email,
        "display_name": f"{RLO}Bob",
        "bio": "",
        "favorite_genres": "[]",
        "is_active": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    UserFactory(username="bobx")
    response = client.post(reverse("admin:accounts_user_change", args=[bob.pk]), form)
    assert response.status_code == 200
    assert "looks too much like" in response.content.decode()
    assert User.objects.get(pk=bob.pk).username == "bob"
    form["username"] = "bobby"
    response = client.post(reverse("admin:accounts_user_change", args=[bob.pk]), form)
    assert response.status_code == 302, response.content.decode()[:3000]
    bob.refresh_from_db()
    assert (bob.username, bob.display_name) == ("bobby", "Bob")


def test_the_migration_fills_skeletons_and_keeps_old_look_alikes(alice, bob):
    migration = importlib.import_module("accounts.migrations.0003_user_username_skeleton")
    User.objects.update(username_skeleton=None)
    User.objects.filter(pk=bob.pk).update(username=CYRILLIC_ALICE)  # an older look-alike pair
    User.objects.filter(pk=alice.pk).update(display_name=f"{RLO}Alice{ZWSP}")  # saved before the rule

    migration.fill_skeletons(django_apps, SimpleNamespace(connection=connection))

    assert User.objects.get(pk=alice.pk).username_skeleton == "alice"  # the older account keeps it
    assert User.objects.get(pk=alice.pk).display_name == "Alice"
    assert User.objects.get(pk=bob.pk).username_skeleton is None
    # bob keeps his name and can still save his profile; nobody else can take that look.
    bob = User.objects.get(pk=bob.pk)
    services.user_update(user=bob, data={"bio": "still here"})
    assert User.objects.get(pk=bob.pk).bio == "still here"
    assert User.objects.username_taken("al\u0456ce")


def test_the_database_refuses_a_look_alike_that_skips_the_checks(alice):
    # What a request that lost a race to the same look meets (user_update turns it into a 409).
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username=CYRILLIC_ALICE, email="racer@example.com")


def test_imports_store_usernames_as_user_create_would_and_find_them_again(db):
    keys = ["\uff42\uff4f\uff42\uff42\uff59", "carol@example.com"]  # ｂｏｂｂｙ: fullwidth letters
    found, created = services.users_bulk_get_or_create(keys=keys)
    assert created == 2
    bobby = User.objects.get(pk=found[keys[0]])
    assert (bobby.username, bobby.username_skeleton) == ("bobby", "bobby")  # NFKC, as user_create stores it
    assert User.objects.get(pk=found["carol@example.com"]).username == "carol"
    assert services.users_bulk_get_or_create(keys=keys) == (found, 0)


def test_imports_find_users_an_older_import_stored_unnormalised(db):
    older = UserFactory(username="\uff44\uff41\uff4e")  # ｄａｎ, as imports stored it before
    assert services.users_bulk_get_or_create(keys=["\uff44\uff41\uff4e"]) == ({"\uff44\uff41\uff4e": older.pk}, 0)


@pytest.mark.parametrize(
    "unreadable",
    ["\u3164\u3164\u3164", "\uffa0\uffa0\uffa0", "bob\u3164", "bo\u034fb", "...", "_-+", "\u2800\u2800\u2800"],
)
def test_a_username_must_show_and_hold_a_letter_or_digit(bob, as_user, unreadable):
    """Three Hangul fillers were a valid, invisible username (and an empty-looking one reads as
    "taken" beside another); `...` named nobody. Both are refused as invalid, and nothing changes."""
    response = rename(as_user(bob), bob, username=unreadable, bio="changed")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid"
    assert response.json()["errors"] == {"username": ["Use 3-30 letters, digits and . @ + - _ only."]}
    bob.refresh_from_db()
    assert (bob.username, bob.bio) == ("bob", "")


def test_a_new_account_gets_a_readable_username_from_an_unreadable_name(db):
    from accounts.services import user_create

    assert user_create(email="ghost@example.com", username="\u3164\u3164\u3164").username.startswith("listener")
    assert user_create(email="dots@example.com", username="...").username.startswith("listener")

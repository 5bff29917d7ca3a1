"""The admin as a site moderator uses it: staff, in the Moderators group, not a superuser."""

import importlib

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import UserFactory
from music.models import Genre
from music.tests.factories import TrackFactory
from rooms import services
from rooms.models import Ban, Membership, Room
from rooms.tests.factories import make_room

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("rooms.migrations.0002_moderators_group")

EXPECTED_PERMISSIONS = {
    "rooms.view_room",
    "rooms.change_room",
    "rooms.delete_room",
    "rooms.view_membership",
    "rooms.change_membership",
    "rooms.delete_membership",
    "rooms.view_ban",
    "rooms.add_ban",
    "rooms.change_ban",
    "rooms.delete_ban",
    "rooms.view_queueitem",
    "rooms.delete_queueitem",
    "rooms.view_invite",
    "rooms.delete_invite",
    "accounts.view_user",
    "accounts.change_user",
}


@pytest.fixture
def moderators_group():
    """The group from the migration. A transactional test elsewhere flushes the tables
    (post_migrate puts permissions back, not groups); then run the migration's code again."""
    group = Group.objects.filter(name=MIGRATION.GROUP).first()
    if group is None:
        state = MigrationExecutor(connection).loader.project_state(("rooms", "0002_moderators_group"))

        class _SchemaEditor:
            pass

        editor = _SchemaEditor()
        editor.connection = connection
        MIGRATION.create_group(state.apps, editor)
        group = Group.objects.get(name=MIGRATION.GROUP)
    return group


@pytest.fixture
def site_moderator(db, moderators_group):
    user = UserFactory(username="sitemod", email="sitemod@example.com", is_staff=True)
    user.groups.add(moderators_group)
    return user


@pytest.fixture
def admin_client(site_moderator):
    client = Client()
    client.force_login(site_moderator)
    return client


def changelist(model: str) -> str:
    return reverse(f"admin:rooms_{model}_changelist")


def act(client, model: str, action: str, pks):
    return client.post(changelist(model), {"action": action, "_selected_action": [str(pk) for pk in pks]}, follow=True)


def shown(response) -> list:
    return list(response.context["cl"].result_list)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def granted(group: Group) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def test_the_moderators_group_has_what_a_moderator_needs(moderators_group):
    # Chat's and music's migrations add their own (messages; uploads to take down).
    assert {p for p in granted(moderators_group) if not p.startswith(("chat.", "music."))} == EXPECTED_PERMISSIONS


def test_the_moderators_group_may_read_and_delete_chat_messages(moderators_group):
    assert {"chat.view_message", "chat.delete_message"} <= granted(moderators_group)


def test_the_moderator_is_not_a_superuser_but_has_the_permissions(site_moderator):
    assert not site_moderator.is_superuser
    assert site_moderator.has_perms(EXPECTED_PERMISSIONS)


def test_it_finds_rooms_by_search_and_filters(admin_client, public_room, private_room):
    make_room(owner=UserFactory(username="dj"), name="Night Drive", genres=["synthwave"])
    response = admin_client.get(changelist("room"))
    assert response.status_code == 200
    assert {room.name for room in shown(response)} == {"Jazz Club", "Secret Shoegaze", "Night Drive"}
    counts = {room.name: room.member_count for room in shown(response)}
    # Jazz Club: owner, moderator, member (the banned one was removed).
    assert counts["Jazz Club"] == 3

    by_name = admin_client.get(changelist("room"), {"q": "jazz"})
    assert [room.name for room in shown(by_name)] == ["Jazz Club"]
    by_owner = admin_client.get(changelist("room"), {"q": "dj@example.com"})
    assert [room.name for room in shown(by_owner)] == ["Night Drive"]
    private = admin_client.get(changelist("room"), {"is_private__exact": "1"})
    assert [room.name for room in shown(private)] == ["Secret Shoegaze"]
    jazz = Genre.objects.get(name="jazz")
    by_genre = admin_client.get(changelist("room"), {"genres__id__exact": str(jazz.pk)})
    assert [room.name for room in shown(by_genre)] == ["Jazz Club"]

    services.room_close(room=public_room)
    open_rooms = admin_client.get(changelist("room"), {"closed_at__isempty": "1"})
    assert {room.name for room in shown(open_rooms)} == {"Secret Shoegaze", "Night Drive"}
    closed = admin_client.get(changelist("room"), {"closed_at__isempty": "0"})
    assert [room.name for room in shown(closed)] == ["Jazz Club"]


def test_it_shows_a_room_with_its_members_and_queue(admin_client, public_room, people, track):
    services.queue_add(room=public_room, actor=people["owner"], track=track)  # an idle room plays it
    services.queue_add(room=public_room, actor=people["owner"], track=TrackFactory(name="Blue in Green"))
    response = admin_client.get(reverse("admin:rooms_room_change", args=[public_room.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    for name in ("owner", "moderator", "member", "Blue in Green"):
        assert name in page


def test_staff_outside_the_group_cannot_open_the_rooms_admin(public_room):
    client = Client()
    client.force_login(UserFactory(username="intern", is_staff=True))
    assert client.get(changelist("room")).status_code == 403


def test_it_closes_a_room(admin_client, public_room, client_as):
    response = act(admin_client, "room", "close_rooms", [public_room.pk])
    assert "Closed 1 room(s)." in messages_of(response)
    assert Room.objects.get(pk=public_room.pk).closed_at is not None

    for persona in ("anonymous", "outsider", "owner"):
        listed = client_as(persona).get("/rooms/")
        assert str(public_room.pk) not in {room["id"] for room in listed.json()}
    assert client_as("owner").get(f"/rooms/{public_room.pk}").status_code == 404
    assert client_as("outsider").post(f"/rooms/{public_room.pk}/join").status_code == 404


def test_it_removes_a_member_and_skips_the_owner(admin_client, public_room, people, client_as):
    member = Membership.objects.get(room=public_room, user=people["member"])
    owner = Membership.objects.get(room=public_room, user=people["owner"])
    response = act(admin_client, "membership", "remove_members", [member.pk, owner.pk])

    assert "Removed 1 member(s)." in messages_of(response)
    assert any("cannot be removed" in text for text in messages_of(response))
    members = client_as("outsider").get(f"/rooms/{public_room.pk}/members").json()
    assert {m["user"]["username"] for m in members} == {"owner", "moderator"}


def test_it_bans_a_member_who_then_cannot_join(admin_client, public_room, people, client_as):
    member = Membership.objects.get(room=public_room, user=people["member"])
    response = act(admin_client, "membership", "ban_members", [member.pk])

    assert "Banned 1 member(s)." in messages_of(response)
    ban = Ban.objects.get(room=public_room, user=people["member"])
    assert ban.banned_by is None
    assert ban.reason == "Banned by a site moderator"
    assert client_as("member").post(f"/rooms/{public_room.pk}/join").status_code == 403
    received = client_as("member").get("/ban/my-received").json()
    assert [b["room_id"] for b in received] == [str(public_room.pk)]


def test_banning_the_owner_is_reported_not_done(admin_client, public_room, people):
    owner = Membership.objects.get(room=public_room, user=people["owner"])
    response = act(admin_client, "membership", "ban_members", [owner.pk])

    assert response.status_code == 200
    assert any("owner cannot be banned" in text for text in messages_of(response))
    assert not Ban.objects.filter(room=public_room, user=people["owner"]).exists()
    assert Membership.objects.filter(pk=owner.pk).exists()


def test_it_unbans(admin_client, public_room, people, client_as):
    ban = Ban.objects.get(room=public_room, user=people["banned"])
    response = act(admin_client, "ban", "unban", [ban.pk])

    assert "Unbanned 1 user(s)." in messages_of(response)
    assert client_as("banned").post(f"/rooms/{public_room.pk}/join").status_code == 201


def test_the_ban_form_goes_through_the_service(admin_client, public_room, people, client_as):
    url = reverse("admin:rooms_ban_add")
    response = admin_client.post(
        url, {"room": str(public_room.pk), "user": str(people["member"].pk), "reason": "spam"}, follow=True
    )
    assert response.status_code == 200
    ban = Ban.objects.get(room=public_room, user=people["member"])
    assert (ban.banned_by, ban.reason) == (None, "spam")
    # ban_create also took them out of the room.
    assert not Membership.objects.filter(room=public_room, user=people["member"]).exists()
    assert client_as("member").post(f"/rooms/{public_room.pk}/join").status_code == 403

    owner = admin_client.post(url, {"room": str(public_room.pk), "user": str(people["owner"].pk), "reason": ""})
    assert owner.status_code == 200  # the form again, with the error
    assert "The owner cannot be banned" in owner.content.decode()
    again = admin_client.post(url, {"room": str(public_room.pk), "user": str(people["member"].pk), "reason": ""})
    assert again.status_code == 200
    assert Ban.objects.filter(room=public_room, user=people["member"]).count() == 1


def test_rows_are_not_edited_in_place(admin_client, public_room, people):
    member = Membership.objects.get(room=public_room, user=people["member"])
    url = reverse("admin:rooms_membership_change", args=[member.pk])
    assert admin_client.get(url).status_code == 200  # a view page
    response = admin_client.post(url, {"user": str(member.user_id), "room": str(public_room.pk), "role": "owner"})
    assert response.status_code == 403
    assert Membership.objects.get(pk=member.pk).role == Membership.Role.MEMBER


def test_the_room_list_runs_a_bounded_number_of_queries(admin_client, django_assert_max_num_queries):
    for i in range(30):
        owner = UserFactory(username=f"host{i}")
        room = make_room(owner=owner, name=f"Room {i}", genres=["jazz", f"genre{i % 5}"])
        for j in range(3):
            services.room_join(room=room, user=UserFactory(username=f"guest{i}-{j}"))

    # Session, user, permissions, two counts, the page, the genre filter's choices.
    with django_assert_max_num_queries(10):
        response = admin_client.get(changelist("room"))
    assert response.status_code == 200
    assert len(shown(response)) == 30
    assert {room.member_count for room in shown(response)} == {4}

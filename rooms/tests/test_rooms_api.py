import pytest

from accounts.tests.factories import UserFactory
from rooms import presence, services
from rooms.models import Ban, Invite, Membership, Room
from rooms.tests.factories import make_room

pytestmark = pytest.mark.django_db


def test_it_creates_a_room_with_me_as_owner(alice, as_user):
    response = as_user(alice).post(
        "/rooms/", {"name": "  Late   Night Jazz ", "description": "Cool", "genres": ["Jazz", "Bebop"]}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Late Night Jazz"
    assert body["genres"] == ["bebop", "jazz"]
    assert body["owner"]["username"] == "alice"
    assert body["member_count"] == 1
    assert body["online_count"] == 0
    assert body["now_playing"] is None
    assert body["my_role"] == "owner"
    assert body["is_private"] is False


def test_room_names_are_unique_regardless_of_case(alice, bob, as_user):
    make_room(owner=alice, name="Jazz Club")
    response = as_user(bob).post("/rooms", {"name": "JAZZ club"}, format="json")
    assert response.status_code == 409
    assert Room.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "x"},
        {"name": "n" * 81},
        {"name": "ok name", "is_private": "maybe"},
        {"name": "ok name", "genres": "jazz"},
        {"name": "ok name", "queue_policy": "everyone"},
        {"name": "ok name", "owner": "someone"},
    ],
)
def test_it_rejects_bad_room_bodies(alice, as_user, body):
    response = as_user(alice).post("/rooms/", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]
    assert Room.objects.count() == 0


def test_the_owner_updates_only_the_fields_sent(alice, as_user):
    room = make_room(owner=alice, name="Jazz Club", genres=["jazz"])
    response = as_user(alice).put(f"/rooms/{room.pk}", {"description": "Now with bebop"}, format="json")
    assert response.status_code == 200
    assert response.json()["description"] == "Now with bebop"
    assert response.json()["name"] == "Jazz Club"
    assert response.json()["genres"] == ["jazz"]


def test_renaming_onto_another_rooms_name_is_a_conflict(alice, as_user):
    make_room(owner=alice, name="Metal Hall")
    room = make_room(owner=alice, name="Jazz Club")
    assert as_user(alice).put(f"/rooms/{room.pk}", {"name": "metal hall"}, format="json").status_code == 409
    room.refresh_from_db()
    assert room.name == "Jazz Club"


@pytest.mark.parametrize("room_id", ["nope", "00000000-0000-0000-0000-000000000000"])
def test_unknown_rooms_are_404(api, room_id, db):
    assert api.get(f"/rooms/{room_id}").status_code == 404
    assert api.get(f"/rooms/{room_id}/members").status_code == 404


def test_the_list_filters_by_genre_and_search_and_pages(alice, api):
    make_room(owner=alice, name="Jazz Club", genres=["jazz"])
    make_room(owner=alice, name="Bebop Cellar", description="Smoky jazz", genres=["bebop", "jazz"])
    make_room(owner=alice, name="Metal Hall", genres=["metal"])
    make_room(owner=alice, name="Hidden Jazz", genres=["jazz"], is_private=True)
    names = lambda r: [room["name"] for room in r.json()]  # noqa: E731
    assert names(api.get("/rooms/")) == ["Metal Hall", "Bebop Cellar", "Jazz Club"]
    assert names(api.get("/rooms/?genre=Jazz")) == ["Bebop Cellar", "Jazz Club"]
    assert names(api.get("/rooms/?search=smoky")) == ["Bebop Cellar"]
    assert names(api.get("/rooms/?limit=1&offset=1")) == ["Bebop Cellar"]


def test_private_rooms_show_in_lists_only_for_members_and_invitees(alice, bob, as_user, api):
    room = make_room(owner=alice, name="Hidden Jazz", is_private=True)
    carol = UserFactory(username="carol")
    assert api.get("/rooms/").json() == []
    assert as_user(bob).get("/rooms/").json() == []
    assert as_user(bob).get(f"/rooms/{room.pk}").status_code == 404
    assert as_user(bob).get("/rooms/by-name/?name=hidden jazz").status_code == 404
    services.invite_create(room=room, actor=alice, target=bob)
    assert [r["name"] for r in as_user(bob).get("/rooms/").json()] == ["Hidden Jazz"]
    assert as_user(bob).post(f"/rooms/{room.pk}/join").status_code == 201
    assert Invite.objects.get(room=room, user=bob).accepted_at is not None
    assert as_user(carol).get("/rooms/").json() == []
    assert [r["name"] for r in as_user(alice).get("/rooms/").json()] == ["Hidden Jazz"]


def test_live_rooms_come_first_when_asked(alice, bob, api):
    quiet = make_room(owner=alice, name="Quiet Room")
    busy = make_room(owner=alice, name="Busy Room")
    newest = make_room(owner=alice, name="Newest Room")
    presence.touch(room_id=busy.pk, user_id=alice.pk, connection="a")
    presence.touch(room_id=busy.pk, user_id=bob.pk, connection="b")
    presence.touch(room_id=quiet.pk, user_id=alice.pk, connection="c")
    body = api.get("/rooms/?order=live").json()
    assert [r["name"] for r in body] == ["Busy Room", "Quiet Room", "Newest Room"]
    assert [r["online_count"] for r in body] == [2, 1, 0]
    assert newest.pk
    assert api.get("/rooms/?order=loudest").status_code == 400


def test_by_name_finds_a_room(alice, api):
    room = make_room(owner=alice, name="Jazz Club")
    assert api.get("/rooms/by-name/?name=jazz club").json()["id"] == str(room.pk)
    assert api.get("/rooms/by-name?name=JAZZ CLUB").json()["id"] == str(room.pk)
    assert api.get("/rooms/by-name/?name=nothing").status_code == 404
    assert api.get("/rooms/by-name/").status_code == 400


def test_my_rooms_lists_where_i_belong(alice, bob, as_user):
    mine = make_room(owner=alice, name="Mine")
    joined = make_room(owner=bob, name="Joined")
    make_room(owner=bob, name="Not Mine")
    services.room_join(room=joined, user=alice)
    body = as_user(alice).get("/rooms/my-rooms").json()
    assert {r["name"]: r["my_role"] for r in body} == {"Joined": "member", "Mine": "owner"}
    assert mine.pk


def test_members_show_roles_and_who_is_online(people, public_room, api):
    presence.touch(room_id=public_room.pk, user_id=people["member"].pk, connection="x")
    body = api.get(f"/rooms/{public_room.pk}/members").json()
    assert [(m["user"]["username"], m["role"], m["online"]) for m in body] == [
        ("owner", "owner", False),
        ("moderator", "moderator", False),
        ("member", "member", True),
    ]


def test_lists_run_a_fixed_number_of_queries(alice, as_user, django_assert_max_num_queries):
    for i in range(25):
        room = make_room(owner=UserFactory(), name=f"Room {i}", genres=["jazz", "rock"])
        services.room_join(room=room, user=alice)
    client = as_user(alice)
    with django_assert_max_num_queries(7):
        assert len(client.get("/rooms/?limit=25").json()) == 25
    with django_assert_max_num_queries(7):
        assert len(client.get("/rooms/?limit=5").json()) == 5
    room = Room.objects.first()
    for _ in range(30):
        services.room_join(room=room, user=UserFactory())
    with django_assert_max_num_queries(5):
        assert len(client.get(f"/rooms/{room.pk}/members?limit=40").json()) == 32


def test_the_owner_cannot_leave_but_can_hand_over(people, public_room, client_as):
    owner = client_as("owner")
    response = owner.post(f"/rooms/{public_room.pk}/leave")
    assert response.status_code == 409
    assert "hand ownership" in response.json()["detail"]
    handover = owner.put(
        f"/rooms/{public_room.pk}/members/{people['member'].pk}/role", {"role": "owner"}, format="json"
    )
    assert handover.status_code == 200
    assert handover.json()["role"] == "owner"
    public_room.refresh_from_db()
    assert public_room.owner == people["member"]
    assert Membership.objects.get(room=public_room, user=people["owner"]).role == "moderator"
    assert owner.post(f"/rooms/{public_room.pk}/leave").status_code == 204


@pytest.mark.parametrize(
    ("target", "role"),
    [("owner", "member"), ("owner", "moderator"), ("member", "owner"), ("moderator", "member")],
)
def test_moderators_cannot_touch_the_owner_or_hand_out_ownership(people, public_room, client_as, target, role):
    response = client_as("moderator").put(
        f"/rooms/{public_room.pk}/members/{people[target].pk}/role", {"role": role}, format="json"
    )
    assert response.status_code == 403
    assert Membership.objects.get(room=public_room, user=people["owner"]).role == "owner"


@pytest.mark.parametrize("body", [{}, {"role": "admin"}, {"role": 1}])
def test_it_rejects_bad_role_bodies(people, public_room, client_as, body):
    url = f"/rooms/{public_room.pk}/members/{people['member'].pk}/role"
    assert client_as("owner").put(url, body, format="json").status_code == 400


def test_changing_the_role_of_a_non_member_is_404(people, public_room, client_as):
    url = f"/rooms/{public_room.pk}/members/{people['outsider'].pk}/role"
    assert client_as("owner").put(url, {"role": "moderator"}, format="json").status_code == 404


def test_invites_are_idempotent_and_refused_for_members_and_the_banned(people, private_room, client_as):
    owner = client_as("owner")
    first = owner.post(f"/rooms/{private_room.pk}/invite/{people['outsider'].pk}")
    assert first.status_code == 201
    assert first.json()["user"]["username"] == "outsider"
    again = owner.post(f"/rooms/{private_room.pk}/invite/{people['outsider'].pk}")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert owner.post(f"/rooms/{private_room.pk}/invite/{people['member'].pk}").status_code == 409
    assert owner.post(f"/rooms/{private_room.pk}/invite/{people['banned'].pk}").status_code == 409
    assert owner.post(f"/rooms/{private_room.pk}/invite/not-a-user").status_code == 404


def test_a_ban_removes_the_member_and_keeps_them_out(people, public_room, client_as):
    owner = client_as("owner")
    response = owner.post(
        f"/rooms/{public_room.pk}/members/{people['member'].pk}/ban", {"reason": "rude"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["reason"] == "rude"
    assert response.json()["banned_by"]["username"] == "owner"
    assert not Membership.objects.filter(room=public_room, user=people["member"]).exists()
    assert client_as("member").post(f"/rooms/{public_room.pk}/join").status_code == 403
    assert owner.post(f"/rooms/{public_room.pk}/members/{people['member'].pk}/ban").status_code == 409
    assert owner.post(f"/rooms/{public_room.pk}/members/{people['owner'].pk}/ban").status_code == 403


def test_a_ban_tells_the_users_sockets_to_close(people, public_room, client_as, django_capture_on_commit_callbacks):
    import asyncio

    from asgiref.sync import async_to_sync, sync_to_async
    from channels.layers import get_channel_layer

    def ban():
        with django_capture_on_commit_callbacks(execute=True):
            client_as("owner").post(f"/rooms/{public_room.pk}/members/{people['member'].pk}/ban")

    async def a_socket_of_theirs_hears():
        # One event loop throughout, as in a server process (the pub/sub layer is per loop).
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(f"user.{people['member'].pk}", channel)
        await sync_to_async(ban)()
        return await asyncio.wait_for(layer.receive(channel), 5)

    assert async_to_sync(a_socket_of_theirs_hears)() == {
        "type": "room.access_revoked",
        "room_id": str(public_room.pk),
        "user_id": str(people["member"].pk),
        "reason": "banned",
        "detail": "You were banned from this room.",
    }


def test_unbanning_lets_them_back_in(people, public_room, client_as):
    assert client_as("owner").delete(f"/rooms/{public_room.pk}/members/{people['banned'].pk}/ban").status_code == 204
    assert client_as("banned").post(f"/rooms/{public_room.pk}/join").status_code == 201
    assert client_as("owner").delete(f"/rooms/{public_room.pk}/members/{people['banned'].pk}/ban").status_code == 404


def test_ban_lists_show_issued_and_received(people, public_room, client_as, api):
    issued = client_as("owner").get("/ban/my-issued").json()
    assert [(b["user"]["username"], b["room_id"], b["reason"]) for b in issued] == [
        ("banned", str(public_room.pk), "spam")
    ]
    received = client_as("banned").get("/ban/my-received").json()
    assert [b["banned_by"]["username"] for b in received] == ["owner"]
    assert client_as("member").get("/ban/my-received").json() == []
    assert api.get("/ban/my-issued").status_code == 401
    assert Ban.objects.count() == 1


def test_deleting_a_room_removes_it(people, public_room, client_as, api):
    assert client_as("owner").delete(f"/rooms/{public_room.pk}").status_code == 204
    assert api.get(f"/rooms/{public_room.pk}").status_code == 404


def test_room_limits_are_the_documented_ones(alice, as_user, api):
    client = as_user(alice)
    creates = [client.post("/rooms/", {"name": f"Room {i}"}, format="json").status_code for i in range(6)]
    assert creates == [201] * 5 + [429]
    lists = [api.get("/rooms/").status_code for _ in range(11)]
    assert lists == [200] * 10 + [429]

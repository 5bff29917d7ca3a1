"""rooms.access: the one rule of who may do what in a room.

The permission matrix (test_permissions.py) pins what REST answers; here the access function
is checked against the same tables, and its three forms (one room, the list filter, the
batched form recommendations read) against each other. The socket's side is in
chat/tests/test_socket_admission.py.
"""

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from rooms import services
from rooms.access import (
    RoomAccess,
    may_be_banned,
    room_access,
    room_with_access,
    rooms_visible_to,
    user_rooms_get,
)
from rooms.models import Ban, Invite, Membership, Room
from rooms.tests.factories import make_room
from rooms.tests.test_permissions import PERSONAS, PRIVATE, PUBLIC

pytestmark = pytest.mark.django_db


def _expected(table: str, endpoint: str, persona: str) -> int:
    statuses = PUBLIC[endpoint][3] if table == "public" else PRIVATE[endpoint]
    return statuses[PERSONAS.index(persona)]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("kind", ["public", "private"])
def test_the_access_function_says_what_the_permission_matrix_says(kind, persona, people, public_room, private_room):
    room = public_room if kind == "public" else private_room
    access = room_access(None if persona == "anonymous" else people[persona], room)
    assert access.can_see == (_expected(kind, "get", persona) == 200)
    if persona != "anonymous":  # the matrix's 401s say nothing about the rule
        assert access.can_join == (_expected(kind, "join", persona) in (200, 201))
        assert access.can_chat == access.can_join
        assert access.can_queue == (_expected(kind, "queue_add", persona) == 201)
        assert access.can_moderate == (_expected(kind, "invite", persona) == 201)
        assert access.is_owner == (_expected(kind, "update", persona) == 200)
    assert access.banned == (persona == "banned")
    assert access.can_control_playback == (persona in ("owner", "moderator"))


def test_room_policies_decide_who_queues_and_controls_playback(people, public_room):
    public_room.queue_policy = Room.Policy.MEMBERS
    public_room.save()
    member = room_access(people["member"], public_room)
    assert (member.can_queue, member.can_control_playback) == (True, False)
    public_room.playback_policy = Room.Policy.MEMBERS
    public_room.save()
    assert room_access(people["member"], public_room).can_control_playback
    for persona in ("outsider", "banned"):
        outside = room_access(people[persona], public_room)
        assert not (outside.can_queue or outside.can_control_playback or outside.can_moderate)


@pytest.fixture
def world(people, public_room, private_room):
    """The matrix's rooms, plus rooms and people at the rule's edges."""
    owner = people["owner"]
    relaxed = make_room(owner=owner, name="Open Mic", is_private=True)
    relaxed.queue_policy = relaxed.playback_policy = Room.Policy.MEMBERS
    relaxed.save()
    closed = make_room(owner=owner, name="Gone", is_private=False)
    services.room_close(room=closed)
    invited = UserFactory(username="invited")
    services.invite_create(room=private_room, actor=owner, target=invited)
    services.invite_create(room=relaxed, actor=owner, target=people["member"])
    expired = UserFactory(username="expired")
    services.invite_create(room=private_room, actor=owner, target=expired)
    Invite.objects.filter(user=expired).update(expires_at=timezone.now() - timedelta(minutes=1))
    # A join that raced a ban: the membership is left over, and must count for nothing.
    Membership.objects.create(room=private_room, user=people["banned"], role=Membership.Role.MEMBER)
    services.room_join(room=relaxed, user=people["member"])
    users = [*people.values(), invited, expired]
    return {"users": users, "rooms": [public_room, private_room, relaxed, closed]}


def test_the_three_forms_of_the_rule_agree(world):
    for user in world["users"]:
        batch = user_rooms_get(user)
        open_rooms = [room for room in world["rooms"] if room.closed_at is None]
        visible = set(rooms_visible_to(user).values_list("pk", flat=True))
        for room in world["rooms"]:
            one = room_access(user, room)
            many = batch.access(
                room.pk,
                is_private=room.is_private,
                is_open=room.closed_at is None,
                queue_policy=room.queue_policy,
                playback_policy=room.playback_policy,
            )
            assert one == many, (user, room)
            assert (room.pk in visible) == one.can_see, (user, room)
            _, fetched = room_with_access(room.pk, user)
            assert fetched == (one if room.closed_at is None else None), (user, room)
        position = {str(room.pk): i for i, room in enumerate(open_rooms)}
        mask = batch.join_mask(np.array([room.is_private for room in open_rooms]), position)
        assert mask.tolist() == [room_access(user, room).can_join for room in open_rooms], user


def test_the_edges_of_the_rule(world, people):
    public, private, relaxed, closed = world["rooms"]
    by_name = {user.username: user for user in world["users"]}
    assert room_access(by_name["invited"], private).can_see
    assert room_access(by_name["invited"], private).can_join
    assert not room_access(by_name["invited"], private).can_queue  # invited is not a member yet
    assert not room_access(by_name["expired"], private).can_see
    leftover = room_access(people["banned"], private)
    assert leftover.role == "member" and leftover.banned
    assert not (leftover.can_see or leftover.can_join or leftover.can_queue or leftover.is_member)
    assert room_access(people["member"], relaxed).can_queue
    assert room_access(people["member"], relaxed).can_control_playback
    assert not any(room_access(user, closed).can_see or room_access(user, closed).can_join for user in world["users"])
    assert room_access(people["owner"], closed).is_owner  # the admin acts on closed rooms as their owner
    assert room_access(None, public) == RoomAccess(is_open=True, is_private=False)


def test_a_banned_users_leftover_membership_shows_them_nothing_over_rest(world, people, client_as):
    """A join that raced the ban used to leave the private room visible to the banned user."""
    private = world["rooms"][1]
    client = client_as("banned")
    assert client.get(f"/rooms/{private.pk}").status_code == 404
    assert client.get(f"/rooms/{private.pk}/members").status_code == 404
    assert str(private.pk) not in {room["id"] for room in client.get("/rooms/", {"limit": 50}).json()}
    assert Ban.objects.filter(room=private, user=people["banned"]).exists()


def test_only_the_owner_cannot_be_banned(people, public_room):
    assert not may_be_banned(public_room, people["owner"])
    assert all(may_be_banned(public_room, people[name]) for name in ("moderator", "member", "outsider"))

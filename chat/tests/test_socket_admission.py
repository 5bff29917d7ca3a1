"""The room socket admits exactly whom rooms.access lets join, for every persona of the
permission matrix, in a public and a private room (the REST side: rooms/tests/test_access.py)."""

import pytest
from channels.db import database_sync_to_async

from chat.tests.conftest import closed_with, join
from rooms.access import room_access
from rooms.models import Membership

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async


async def test_the_socket_admits_whom_the_access_rule_lets_join(people, public_room, private_room):
    # A join that raced a ban: the leftover membership must not open the socket either.
    await db(Membership.objects.create)(room=private_room, user=people["banned"], role=Membership.Role.MEMBER)
    outcomes = {}
    for room in (public_room, private_room):
        for persona in ("owner", "moderator", "member", "outsider", "banned"):
            user = people[persona]
            access = await db(room_access)(user, room)
            if access.can_join:
                socket = await join(user, room.pk)
                await socket.close()
                outcomes[room.name, persona] = "admitted"
            else:
                outcomes[room.name, persona] = await closed_with(user, room.pk)
    assert outcomes == {
        ("Jazz Club", "owner"): "admitted",
        ("Jazz Club", "moderator"): "admitted",
        ("Jazz Club", "member"): "admitted",
        ("Jazz Club", "outsider"): "admitted",
        ("Jazz Club", "banned"): 4403,
        ("Secret Shoegaze", "owner"): "admitted",
        ("Secret Shoegaze", "moderator"): "admitted",
        ("Secret Shoegaze", "member"): "admitted",
        ("Secret Shoegaze", "outsider"): 4403,
        ("Secret Shoegaze", "banned"): 4403,
    }

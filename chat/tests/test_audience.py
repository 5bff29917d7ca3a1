"""`room.audience` on the room socket: listeners online, and how many of them can play Spotify
(a linked Premium account with the `streaming` grant), right after `presence` and after every
presence change."""

import pytest
from channels.db import database_sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import link_spotify
from chat.tests.conftest import connect

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async


async def opening_frames(user, room_id):
    communicator, connected = await connect(user, room_id)
    assert connected
    frames = [await communicator.receive_json_from(timeout=3) for _ in range(3)]
    return communicator, frames


async def next_audience(communicator, timeout: float = 3) -> dict:
    while True:
        frame = await communicator.receive_json_from(timeout=timeout)
        if frame["type"] == "room.audience":
            return frame


async def test_it_counts_who_can_play_spotify_right_after_presence(people, public_room):
    await db(link_spotify)(people["owner"])  # Premium
    await db(link_spotify)(people["member"], product="free")
    owner, _ = await opening_frames(people["owner"], public_room.pk)
    member, frames = await opening_frames(people["member"], public_room.pk)
    assert [frame["type"] for frame in frames] == ["playback.state", "presence", "room.audience"]
    assert frames[2] == {"type": "room.audience", "room_id": str(public_room.pk), "online": 2, "spotify": 1}
    # The owner heard the member come in, then the new counts.
    assert await next_audience(owner) == {
        "type": "room.audience",
        "room_id": str(public_room.pk),
        "online": 2,
        "spotify": 1,
    }

    moderator, frames = await opening_frames(people["moderator"], public_room.pk)  # not linked
    assert (frames[2]["online"], frames[2]["spotify"]) == (3, 1)
    for socket in (owner, member):
        assert (await next_audience(socket))["online"] == 3

    await owner.disconnect()  # the only Premium listener leaves
    for socket in (member, moderator):
        audience = await next_audience(socket)
        assert (audience["online"], audience["spotify"]) == (2, 0)
    await member.disconnect()
    await moderator.disconnect()


async def test_a_revoked_or_narrow_grant_does_not_count(people, public_room):
    await db(link_spotify)(people["owner"], scope="user-read-email")  # no `streaming`
    owner, frames = await opening_frames(people["owner"], public_room.pk)
    assert (frames[2]["online"], frames[2]["spotify"]) == (1, 0)
    await owner.disconnect()


async def test_a_second_tab_of_the_same_listener_changes_nothing(people, public_room):
    await db(link_spotify)(people["member"])
    first, frames = await opening_frames(people["member"], public_room.pk)
    assert (frames[2]["online"], frames[2]["spotify"]) == (1, 1)
    second, frames = await opening_frames(people["member"], public_room.pk)
    assert (frames[2]["online"], frames[2]["spotify"]) == (1, 1)
    assert await first.receive_nothing(timeout=0.4)  # same counts: nothing new to say
    await second.disconnect()
    await first.disconnect()


def test_a_join_reads_the_spotify_links_of_the_newcomer_only():
    from accounts.tests.factories import UserFactory
    from rooms import presence

    crowd = {str(UserFactory().pk) for _ in range(30)}
    presence.audience("room", online=crowd)
    newcomer = str(UserFactory().pk)
    with CaptureQueriesContext(connection) as captured:
        frame = presence.audience("room", online=crowd | {newcomer})
    assert frame["online"] == 31
    links = [q["sql"] for q in captured.captured_queries if "social_auth_usersocialauth" in q["sql"]]
    assert len(links) == 1 and newcomer.replace("-", "") in links[0].replace("-", "")
    assert not any(pk.replace("-", "") in links[0].replace("-", "") for pk in crowd)

"""Room sockets and the room's own playback (embedded mode; the same in services mode): two
sockets noticing the end of the queue at once make the room pick once; the last socket leaving
pauses the room, the next one joining resumes it; unknown presence never pauses."""

import asyncio
from unittest import mock

import pytest
from channels.db import database_sync_to_async

from chat.tests.conftest import join
from music.tests.factories import TrackFactory
from rooms import presence
from rooms import services as room_services
from rooms.models import PlaybackState
from rooms.tests.factories import make_room

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async


def playable(name, duration_ms=200_000):
    return TrackFactory(name=name, genres=["jazz"], duration_ms=duration_ms, audio_url=f"/media/clips/{name}.wav")


@pytest.fixture
def room(people):
    room = make_room(owner=people["owner"], name="Autoplay Socket Room", genres=["jazz"], autoplay=True)
    room_services.room_join(room=room, user=people["member"])
    return room


def current(room) -> PlaybackState:
    return PlaybackState.objects.select_related("track").get(room=room)


async def test_two_sockets_at_the_end_of_the_queue_pick_once(people, room):
    for i in range(4):
        await db(playable)(f"Pick{i}")
    await db(room_services.queue_add)(room=room, actor=people["owner"], track=await db(playable)("Short", 1200))
    start = await db(current)(room)
    owner = await join(people["owner"], room.pk)
    member = await join(people["member"], room.pk)
    # Both report the end (and their end timers fire too): one advance, to TuneWave's pick.
    await asyncio.sleep(1.25)
    await owner.send({"type": "playback.ended", "version": start.version})
    await member.send({"type": "playback.ended", "version": start.version})
    frames = [await socket.receive_type("playback.state", timeout=10) for socket in (owner, member)]
    for frame in frames:
        assert (frame["version"], frame["via"], frame["added_by"]) == (start.version + 1, "autoplay", None)
        assert frame["reason"] and frame["track"]["name"].startswith("Pick")
    await asyncio.sleep(1.0)  # the end timers of both sockets have fired by now: no second advance
    after = await db(current)(room)
    assert after.version == start.version + 1
    assert len(await db(room_services.recent_play_ids)(room.pk)) == 2
    await owner.close()
    await member.close()


async def test_the_last_listener_leaving_pauses_and_the_next_resumes(people, room):
    await db(room_services.queue_add)(room=room, actor=people["owner"], track=await db(playable)("Long"))
    owner = await join(people["owner"], room.pk)
    member = await join(people["member"], room.pk)
    await member.close()
    assert (await db(current)(room)).status == "playing"  # the owner is still there
    await owner.close()
    paused = await db(current)(room)
    assert paused.status == "paused"
    back = await join(people["member"], room.pk)  # join() read the first state frame
    state = await db(current)(room)
    assert (state.status, state.track.name, state.position_ms) == ("playing", "Long", paused.position_ms)
    await back.close()


async def test_unknown_presence_does_not_pause(people, room):
    await db(room_services.queue_add)(room=room, actor=people["owner"], track=await db(playable)("Long"))
    owner = await join(people["owner"], room.pk)
    with mock.patch.object(presence, "online_counts", side_effect=lambda ids: dict.fromkeys(map(str, ids))):
        await owner.close()
    assert (await db(current)(room)).status == "playing"

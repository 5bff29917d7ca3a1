"""Members present while a track plays long enough get one ListeningEvent for that play."""

import pytest
from channels.db import database_sync_to_async

from accounts.tests.factories import UserFactory
from chat.tests.conftest import join
from music import services as music_services
from music.models import ListeningEvent
from music.tests.factories import TrackFactory
from rooms import services as room_services
from rooms.models import PlaybackState
from rooms.tests.factories import make_room

pytestmark = pytest.mark.django_db(transaction=True)
db = database_sync_to_async


@pytest.fixture
def short_tracks(monkeypatch):
    # Real tracks must be over 30 s; the rule is scaled down so the test takes two seconds.
    monkeypatch.setattr(music_services, "MIN_TRACK_MS", 500)


async def test_everyone_present_gets_one_listen_per_play(short_tracks):
    dj = await db(UserFactory)(username="dj")
    fan = await db(UserFactory)(username="fan")
    room = await db(make_room)(owner=dj, name="Short Songs")
    track = await db(TrackFactory)(name="Tiny", duration_ms=1200)
    fan_tab_one = await join(fan, room.pk)
    fan_tab_two = await join(fan, room.pk)
    dj_socket = await join(dj, room.pk)
    await db(room_services.queue_add)(room=room, actor=dj, track=track)
    started = await fan_tab_one.receive_type("playback.state")
    assert started["status"] == "playing"
    # The sockets' end-of-track timers advance the room; the room goes idle.
    idle = await fan_tab_one.receive_type("playback.state", timeout=5)
    assert idle["status"] == "idle"
    await fan_tab_two.receive_type("playback.state", timeout=5)
    await dj_socket.receive_type("playback.state", timeout=5)
    events = await db(lambda: list(ListeningEvent.objects.values_list("user__username", "room_id", "track__name")))()
    assert sorted(events) == [("dj", room.pk, "Tiny"), ("fan", room.pk, "Tiny")]
    state = await db(PlaybackState.objects.get)(room=room)
    assert state.version == 2
    for socket in (fan_tab_one, fan_tab_two, dj_socket):
        await socket.close()


async def test_someone_who_left_early_gets_no_listen(short_tracks):
    dj = await db(UserFactory)(username="dj")
    passerby = await db(UserFactory)(username="passerby")
    room = await db(make_room)(owner=dj, name="Short Songs")
    track = await db(TrackFactory)(name="Tiny", duration_ms=2000)
    dj_socket = await join(dj, room.pk)
    visitor = await join(passerby, room.pk)
    await db(room_services.queue_add)(room=room, actor=dj, track=track)
    await visitor.receive_type("playback.state")
    await visitor.close()  # heard almost nothing
    await dj_socket.receive_type("playback.state")
    assert (await dj_socket.receive_type("playback.state", timeout=6))["status"] == "idle"
    users = await db(lambda: list(ListeningEvent.objects.values_list("user__username", flat=True)))()
    assert users == ["dj"]
    await dj_socket.close()

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from core.errors import Forbidden
from music.tests.factories import TrackFactory
from rooms import presence, services
from rooms.models import PlaybackState
from rooms.tasks import playback_advance_if_over

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    """Moves the services' notion of now forward."""
    real_now = timezone.now

    class Clock:
        offset = timedelta()

        def advance(self, **kwargs):
            self.offset += timedelta(**kwargs)

        def now(self):
            return real_now() + self.offset

    c = Clock()
    with mock.patch("django.utils.timezone.now", c.now):
        yield c


@pytest.fixture
def stage(people, public_room):
    tracks = [TrackFactory(name=f"Song {i}", duration_ms=200_000) for i in range(3)]
    # Someone is listening: an empty room pauses at a track's end instead (test_empty_rooms.py).
    presence.touch(room_id=public_room.pk, user_id=people["member"].pk, connection="listening")
    return {"room": public_room, "owner": people["owner"], "member": people["member"], "tracks": tracks}


def state(room):
    return PlaybackState.objects.select_related("track").get(room=room)


def queue_all(stage):
    for track in stage["tracks"]:
        services.queue_add(room=stage["room"], actor=stage["owner"], track=track)


def test_an_empty_room_is_idle(stage):
    current = services.playback_state_get(room=stage["room"])
    assert (current.status, current.track, current.version) == ("idle", None, 0)


def test_the_room_advances_once_when_the_track_is_over(stage, clock):
    queue_all(stage)
    assert (state(stage["room"]).track.name, state(stage["room"]).version) == ("Song 0", 1)
    clock.advance(seconds=100)
    services.playback_advance_if_over(room=stage["room"])
    assert state(stage["room"]).track.name == "Song 0"
    clock.advance(seconds=101)
    services.playback_advance_if_over(room=stage["room"])
    services.playback_advance_if_over(room=stage["room"])
    playback_advance_if_over(str(stage["room"].pk), 1)  # the late timer task: a no-op now
    after = state(stage["room"])
    assert (after.track.name, after.version, after.position_ms) == ("Song 1", 2, 0)
    assert [i.track.name for i in stage["room"].queue_items.order_by("position")] == ["Song 2"]


def test_the_end_of_the_last_track_leaves_the_room_idle(stage, clock):
    services.queue_add(room=stage["room"], actor=stage["owner"], track=stage["tracks"][0])
    clock.advance(seconds=201)
    services.playback_advance_if_over(room=stage["room"])
    assert state(stage["room"]).status == "idle"
    services.queue_add(room=stage["room"], actor=stage["owner"], track=stage["tracks"][1])
    assert (state(stage["room"]).status, state(stage["room"]).track.name) == ("playing", "Song 1")


def test_pause_keeps_the_position_and_play_resumes_from_it(stage, clock):
    queue_all(stage)
    clock.advance(seconds=30)
    paused = services.playback_pause(room=stage["room"], actor=stage["owner"])
    assert paused.status == "paused"
    assert 30_000 <= paused.position_ms < 30_500
    clock.advance(seconds=300)  # paused: the track is not over
    services.playback_advance_if_over(room=stage["room"])
    assert state(stage["room"]).track.name == "Song 0"
    resumed = services.playback_play(room=stage["room"], actor=stage["owner"])
    assert resumed.status == "playing"
    assert resumed.position_ms == paused.position_ms
    assert 0 <= services.live_position_ms(resumed) - paused.position_ms < 500


def test_seek_is_clamped_to_the_track(stage):
    queue_all(stage)
    assert services.playback_seek(room=stage["room"], actor=stage["owner"], position_ms=-5).position_ms == 0
    assert services.playback_seek(room=stage["room"], actor=stage["owner"], position_ms=10**9).position_ms == 200_000


def test_skip_with_a_stale_version_does_nothing(stage):
    queue_all(stage)
    services.playback_skip(room=stage["room"], actor=stage["owner"], version=1)
    services.playback_skip(room=stage["room"], actor=stage["owner"], version=1)
    assert (state(stage["room"]).track.name, state(stage["room"]).version) == ("Song 1", 2)


def test_a_client_end_report_counts_only_near_the_real_end(stage, clock):
    queue_all(stage)
    services.playback_ended(room=stage["room"], user=stage["member"], version=1)
    assert state(stage["room"]).version == 1
    clock.advance(seconds=199)  # within the tolerance of a client's clock
    services.playback_ended(room=stage["room"], user=stage["member"], version=1)
    assert state(stage["room"]).track.name == "Song 1"


def test_members_control_playback_only_when_the_room_allows_it(stage):
    queue_all(stage)
    with pytest.raises(Forbidden):
        services.playback_pause(room=stage["room"], actor=stage["member"])
    stage["room"].playback_policy = "members"
    stage["room"].save()
    assert services.playback_pause(room=stage["room"], actor=stage["member"]).status == "paused"


def test_a_read_that_finds_the_track_over_advances_the_room(stage, clock, client_as):
    queue_all(stage)
    clock.advance(seconds=201)
    body = client_as("anonymous").get(f"/rooms/{stage['room'].pk}").json()
    assert body["now_playing"]["name"] == "Song 1"

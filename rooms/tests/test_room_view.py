"""rooms.room_view: when a join may use this process's view of the room instead of reading it."""

import time

import pytest

from rooms import room_view
from rooms.models import PlaybackState

pytestmark = pytest.mark.django_db


def remember(room, *, status, position_ms=0, duration_ms=200_000, counter=7, settled=False):
    track = {"id": "t", "duration_ms": duration_ms} if status != PlaybackState.Status.IDLE else None
    state = {
        "type": "playback.state",
        "room_id": str(room.pk),
        "track": track,
        "status": status,
        "position_ms": position_ms,
        "server_time": int(time.time() * 1000),
        "version": 3,
    }
    room_view.views.remember(
        room.pk, room_view.view_read(counter=counter, state=state, tally=None, skip_share=0.5, settled=settled)
    )


def test_a_playing_room_mid_track_is_joined_from_the_view_under_its_counter(public_room):
    remember(public_room, status=PlaybackState.Status.PLAYING, position_ms=10_000)
    assert room_view.views.recall(public_room, 7) is not None
    assert room_view.views.recall(public_room, 8) is None  # a change not read yet
    assert room_view.views.recall(public_room, None) is None  # presence unknown


@pytest.mark.parametrize("autoplay", [False, True])
def test_a_paused_room_is_read_so_the_join_can_resume_it(public_room, autoplay):
    public_room.autoplay = autoplay
    remember(public_room, status=PlaybackState.Status.PAUSED, position_ms=10_000)
    assert room_view.views.recall(public_room, 7) is None


def test_a_room_a_moderator_paused_is_joined_from_a_view_read_after_the_rules_did_nothing(public_room):
    remember(public_room, status=PlaybackState.Status.PAUSED, position_ms=10_000, settled=True)
    assert room_view.views.recall(public_room, 7) is not None


def test_an_idle_room_is_joined_from_the_view_unless_autoplay_may_start_it(public_room):
    public_room.autoplay = False
    remember(public_room, status=PlaybackState.Status.IDLE)
    assert room_view.views.recall(public_room, 7) is not None
    public_room.autoplay = True
    assert room_view.views.recall(public_room, 7) is None
    remember(public_room, status=PlaybackState.Status.IDLE, settled=True)  # autoplay found nothing just now
    assert room_view.views.recall(public_room, 7) is not None


def test_near_the_end_of_the_track_the_room_is_read(public_room):
    margin = room_view.END_MARGIN_MS
    remember(public_room, status=PlaybackState.Status.PLAYING, position_ms=200_000 - margin + 500)
    assert room_view.views.recall(public_room, 7) is None

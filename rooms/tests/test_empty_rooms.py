"""Empty rooms pause: the last listener leaving pauses the room where it is, the next one to join
resumes it; a read finding the track over in an empty room pauses instead of advancing. Never on
unknown presence (Redis down)."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from music.tests.factories import TrackFactory
from rooms import presence, services
from rooms.models import PlaybackState

pytestmark = pytest.mark.django_db


@pytest.fixture
def playing(people, public_room):
    for i in range(3):
        services.queue_add(room=public_room, actor=people["owner"], track=TrackFactory(name=f"Song {i}"))
    presence.touch(room_id=public_room.pk, user_id=people["member"].pk, connection="m1")
    return public_room


def state(room) -> PlaybackState:
    return PlaybackState.objects.select_related("track").get(room=room)


def rewind(room, **ago) -> None:
    PlaybackState.objects.filter(room=room).update(updated_at=timezone.now() - timedelta(**ago))


def leave(room, people) -> None:
    presence.leave(room_id=room.pk, user_id=people["member"].pk, connection="m1")


def unknown_presence():
    return mock.patch.object(presence, "online_counts", side_effect=lambda ids: dict.fromkeys(map(str, ids)))


def test_the_last_listener_leaving_pauses_where_it_is(people, playing):
    rewind(playing, seconds=30)
    assert services.playback_pause_if_empty(room=playing) is None  # still someone here
    leave(playing, people)
    paused = services.playback_pause_if_empty(room=playing)
    assert (paused.status, paused.track.name) == ("paused", "Song 0")
    assert 30_000 <= paused.position_ms < 31_000
    assert [i.track.name for i in playing.queue_items.order_by("position")] == ["Song 1", "Song 2"]


def test_the_next_listener_resumes_from_the_same_place(people, playing):
    rewind(playing, seconds=30)
    leave(playing, people)
    paused = services.playback_pause_if_empty(room=playing)
    presence.touch(room_id=playing.pk, user_id=people["moderator"].pk, connection="x1")
    resumed = services.playback_resume_on_join(room=playing)
    assert (resumed.status, resumed.track.name, resumed.position_ms) == ("playing", "Song 0", paused.position_ms)
    assert services.playback_resume_on_join(room=playing) is None  # once


def test_a_moderators_pause_is_not_undone_by_a_join(people, playing):
    services.playback_pause(room=playing, actor=people["owner"])
    leave(playing, people)
    services.playback_pause_if_empty(room=playing)
    assert services.playback_resume_on_join(room=playing) is None
    assert state(playing).status == "paused"


def test_anything_after_the_pause_voids_the_resume(people, playing):
    leave(playing, people)
    services.playback_pause_if_empty(room=playing)
    services.playback_seek(room=playing, actor=people["owner"], position_ms=1000)
    assert services.playback_resume_on_join(room=playing) is None


def test_an_empty_room_does_not_burn_through_its_queue(people, playing, client_as):
    leave(playing, people)
    rewind(playing, seconds=500)  # the track ended long ago, nobody there
    body = client_as("anonymous").get(f"/rooms/{playing.pk}").json()
    assert body["now_playing"]["name"] == "Song 0"
    services.playback_advance_if_over(room=playing)
    now = state(playing)
    assert (now.status, now.position_ms) == ("paused", now.track.duration_ms)
    assert playing.queue_items.count() == 2
    # The next listener moves it on to the next track, from its start.
    presence.touch(room_id=playing.pk, user_id=people["member"].pk, connection="m2")
    resumed = services.playback_resume_on_join(room=playing)
    assert (resumed.status, resumed.track.name, resumed.position_ms) == ("playing", "Song 1", 0)


def test_unknown_presence_never_pauses(people, playing):
    leave(playing, people)
    rewind(playing, seconds=30)
    with unknown_presence():
        assert services.playback_pause_if_empty(room=playing) is None
        assert state(playing).status == "playing"
        rewind(playing, seconds=500)
        # ...and a read finding the track over advances it as before.
        assert services.playback_advance_if_over(room=playing).track.name == "Song 1"


def test_a_listener_arriving_while_the_last_leave_pauses_gets_the_room_playing(people, playing, monkeypatch):
    """The leave counted nobody under the room's lock; the newcomer marked itself present just
    after, and may have joined with a view from before the pause: the leave counts again once
    its pause committed, and resumes the room."""
    rewind(playing, seconds=30)
    leave(playing, people)
    pause = services._pause_empty

    def pause_then_someone_arrives(state):
        paused = pause(state)
        presence.touch(room_id=playing.pk, user_id=people["moderator"].pk, connection="late")
        return paused

    monkeypatch.setattr(services, "_pause_empty", pause_then_someone_arrives)

    services.playback_pause_on_leave(room=playing)

    now = state(playing)
    assert (now.status, now.track.name) == ("playing", "Song 0")
    assert 30_000 <= now.position_ms < 31_000


def test_the_last_leave_with_nobody_arriving_leaves_the_room_paused(people, playing):
    leave(playing, people)
    paused = services.playback_pause_on_leave(room=playing)
    assert paused.status == state(playing).status == "paused"

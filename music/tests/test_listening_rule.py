"""Listening history's rule lives in music.services: a room's play counts for someone present
long enough (Last.fm's: over 30 s, heard for half or 4 minutes), once per play."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from accounts.tests.factories import UserFactory
from music import services
from music.models import ListeningEvent
from music.tests.factories import TrackFactory

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)


@pytest.fixture
def play():
    return {
        "user": UserFactory(username="fan"),
        "room_id": uuid.uuid4(),  # a plain id: music sits below rooms
        "spotify_id": TrackFactory(name="Long Song", duration_ms=200_000).spotify_id,
        "started_at": START,
    }


def test_the_scrobble_rule():
    assert services.heard_enough(200_000, 100_000)
    assert not services.heard_enough(200_000, 99_999)
    assert services.heard_enough(600_000, 240_000)
    assert not services.heard_enough(30_000, 30_000)


def test_it_records_someone_who_heard_enough_once_per_play(play):
    until = START + timedelta(minutes=5)
    assert services.listening_record_play(**play, present_from=START, until=until)
    assert not services.listening_record_play(**play, present_from=START, until=until)  # another tab
    event = ListeningEvent.objects.get()
    assert (event.user, event.room_id, event.listened_at, event.ms_played) == (
        play["user"],
        play["room_id"],
        START,
        200_000,
    )


def test_it_skips_someone_who_came_late_or_left_early(play):
    late = START + timedelta(seconds=101)
    assert not services.listening_record_play(**play, present_from=late, until=START + timedelta(minutes=5))
    assert not services.listening_record_play(**play, present_from=START, until=START + timedelta(seconds=99))
    assert not ListeningEvent.objects.exists()


def test_it_ignores_a_track_it_does_not_know(play):
    play["spotify_id"] = "0" * 22
    assert not services.listening_record_play(**play, present_from=START, until=START + timedelta(minutes=5))

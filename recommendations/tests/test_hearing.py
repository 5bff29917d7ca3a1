"""Autoplay and a room's suggestions prefer tracks most of the listeners present can hear: a
track with audio plays for everyone, a Spotify-only one for the listeners whose Spotify player
is ready (linked Premium account with the `streaming` grant), anything else for nobody."""

import pytest

from accounts.tests.factories import link_spotify
from music.models import Track
from music.tests.factories import TrackFactory
from recommendations import room_picks
from rooms import presence
from rooms import services as room_services
from rooms.models import PlaybackState
from rooms.tests.factories import make_room

pytestmark = pytest.mark.django_db


def with_audio(name: str, **kwargs):
    return TrackFactory(name=name, genres=["jazz"], audio_url=f"/media/clips/{name.replace(' ', '_')}.wav", **kwargs)


def spotify_only(name: str, **kwargs):
    return TrackFactory(name=name, genres=["jazz"], **kwargs)


@pytest.fixture
def room(people):
    room = make_room(owner=people["owner"], name="Hearing Test", genres=["jazz"], autoplay=True)
    for name in ("member", "moderator"):
        room_services.room_join(room=room, user=people[name])
        presence.touch(room_id=room.pk, user_id=people[name].pk, connection=f"c-{name}")
    return room


def test_the_share_follows_the_sources():
    assert room_picks.hearing_share(["audio"], online=0, spotify=0) == 1.0
    assert room_picks.hearing_share(["audio", "spotify"], online=4, spotify=0) == 1.0
    assert room_picks.hearing_share(["spotify"], online=4, spotify=1) == 0.25
    assert room_picks.hearing_share(["spotify"], online=0, spotify=0) == 0.0
    assert room_picks.hearing_share([], online=4, spotify=4) == 0.0


def test_a_room_that_cannot_play_spotify_autoplays_the_track_with_audio(people, room):
    link_spotify(people["member"], product="free")  # linked, not Premium; the moderator has no link
    spotify_only("Spotify Hit", popularity=100)
    with_audio("Audio Tune", popularity=10)
    room_services.playback_play(room=room, actor=people["owner"])  # empty queue: TuneWave picks
    state = PlaybackState.objects.select_related("track").get(room=room)
    assert (state.track.name, state.via) == ("Audio Tune", "autoplay")


def test_a_room_of_premium_listeners_autoplays_spotify_tracks_too(people, room):
    link_spotify(people["member"])
    link_spotify(people["moderator"])
    spotify_only("Spotify Hit", popularity=100)
    picks = room_picks.autoplay_picks(room=room, count=5, drop=())
    assert "Spotify Hit" in [pick_name(pick) for pick in picks]


def test_nobody_who_can_hear_it_means_it_is_never_autoplayed(people, room):
    spotify_only("Spotify Hit", popularity=100)
    assert room_picks.autoplay_picks(room=room, count=5, drop=()) == []


def test_suggestions_put_what_the_listeners_can_hear_first(people, room, client_as):
    link_spotify(people["member"], product="free")
    for i in range(3):
        spotify_only(f"Spotify {i}", popularity=90)
    with_audio("Audio Tune", popularity=10)
    names = [item["track"]["name"] for item in client_as("member").get(f"/rooms/{room.pk}/suggestions").json()]
    assert names[0] == "Audio Tune"
    assert set(names) == {"Audio Tune", "Spotify 0", "Spotify 1", "Spotify 2"}  # still suggested, after


def test_suggestions_do_not_hold_spotify_back_from_premium_listeners(people, room):
    link_spotify(people["member"])
    link_spotify(people["moderator"])
    spotify_only("Spotify Hit")
    with_audio("Audio Tune")
    shares = {s.track.name: s.hearing for s in room_picks.suggestions(room_id=room.pk, limit=10)}
    assert shares == {"Spotify Hit": 1.0, "Audio Tune": 1.0}


def pick_name(pick) -> str:
    return Track.objects.get(pk=pick.track_id).name

"""Recommended rooms and tracks read exactly as the rooms and music endpoints show them
(recommendations render them from plain values, not through those apps' serializers)."""

import pytest
from rest_framework.test import APIRequestFactory

from accounts.tests.factories import UserFactory
from music.models import TrackArtist
from music.selectors import track_queryset
from music.serializers import TrackBaseSerializer
from music.tests.factories import ArtistFactory, TrackFactory
from rooms import presence
from rooms import services as room_services
from rooms.tests.factories import make_room

pytestmark = pytest.mark.django_db


@pytest.fixture
def duet():
    """A track by two artists credited in the order opposite to their names', with two genres,
    a cover and a clip served by this site."""
    track = TrackFactory(
        name="So What",
        artist=ArtistFactory(name="Zoot Sims"),
        genres=["jazz", "cool jazz"],
        image_url="https://images.example/so-what.jpg",
        audio_url="/media/clips/so-what.mp3",
    )
    TrackArtist.objects.create(track=track, artist=ArtistFactory(name="Al Cohn"), position=1)
    return track


def test_a_recommended_room_reads_as_the_room_itself(duet, as_user):
    owner = UserFactory(username="host", display_name="The Host")
    owner.avatar = "avatars/host.png"
    owner.save()
    playing = make_room(owner=owner, name="Cool Corner", genres=["jazz", "bebop"], description="Late sets.")
    room_services.queue_add(room=playing, actor=owner, track=duet)
    presence.touch(room_id=playing.pk, user_id=owner.pk, connection="c1")
    idle = make_room(owner=UserFactory(username="quiet"), name="Quiet Room")
    visitor = as_user(UserFactory(username="visitor", favorite_genres=["jazz"]))

    recommended = {item["room"]["name"]: item["room"] for item in visitor.get("/recommendations/rooms").json()}

    assert recommended["Cool Corner"] == visitor.get(f"/rooms/{playing.pk}").json()
    assert recommended["Cool Corner"]["now_playing"]["artists"] == ["Zoot Sims", "Al Cohn"]
    assert recommended["Cool Corner"]["owner"]["avatar_url"] == "http://testserver/media/avatars/host.png"
    assert recommended["Cool Corner"]["online_count"] == 1
    assert recommended["Quiet Room"] == visitor.get(f"/rooms/{idle.pk}").json()
    assert recommended["Quiet Room"]["now_playing"] is None


def test_a_recommended_track_reads_as_the_track_itself(duet, as_user):
    TrackFactory(name="Other", genres=["metal"])
    response = as_user(UserFactory(username="fan", favorite_genres=["jazz"])).get("/recommendations/tracks?limit=50")
    shown = {item["track"]["name"]: item["track"] for item in response.json()}

    request = APIRequestFactory().get("/")
    expected = TrackBaseSerializer(track_queryset().get(pk=duet.pk), context={"request": request}).data
    assert shown["So What"] == expected
    assert shown["So What"]["audio_url"] == "http://testserver/media/clips/so-what.mp3"
    assert shown["So What"]["genres"] == ["cool jazz", "jazz"]

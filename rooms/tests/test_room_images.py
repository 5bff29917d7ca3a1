"""Room.image_url: the now-playing track's cover, else the room's own generated one; and the
playback and queue frames carry a track's cover too."""

import re

import pytest

from accounts.tests.factories import UserFactory
from music.tests.factories import ArtistFactory, TrackFactory
from rooms import events, services
from rooms.tests.factories import make_room

pytestmark = pytest.mark.django_db

ROOM_COVER = re.compile(r"http://testserver/covers/v1/room/[0-9a-f]{18}\.svg")


def test_a_silent_room_shows_its_own_cover_which_survives_a_rename(people, public_room, client_as):
    other = make_room(owner=people["owner"], name="Metal Hall", genres=["metal"])
    owner = client_as("owner")

    image = owner.get(f"/rooms/{public_room.pk}").json()["image_url"]
    services.room_update(room=public_room, actor=people["owner"], data={"name": "Jazz Cellar"})

    assert ROOM_COVER.fullmatch(image)
    assert owner.get(f"/rooms/{public_room.pk}").json()["image_url"] == image
    assert owner.get(f"/rooms/{other.pk}").json()["image_url"] != image
    listed = {room["id"]: room["image_url"] for room in client_as("anonymous").get("/rooms/").json()}
    assert listed[str(public_room.pk)] == image
    assert owner.get(image.removeprefix("http://testserver")).status_code == 200


def test_a_playing_room_shows_the_track_cover(people, public_room, client_as):
    spotify = TrackFactory(image_url="https://i.scdn.co/image/cover")
    bare = TrackFactory(album="Kind of Blue", artist=ArtistFactory(name="Miles Davis"), image_url="")
    other = make_room(owner=people["owner"], name="Second")
    services.queue_add(room=public_room, actor=people["owner"], track=spotify)
    services.queue_add(room=other, actor=people["owner"], track=bare)

    rooms = {room["id"]: room for room in client_as("member").get("/rooms/").json()}

    assert rooms[str(public_room.pk)]["image_url"] == "https://i.scdn.co/image/cover"
    playing = rooms[str(other.pk)]
    assert playing["image_url"] == playing["now_playing"]["image_url"]
    assert re.fullmatch(r"http://testserver/covers/v1/album/[0-9a-f]{18}\.svg", playing["image_url"])


def test_room_images_add_no_query_per_room(django_assert_max_num_queries, client_as, people):
    for i in range(12):
        room = make_room(owner=UserFactory(), name=f"Room {i}", genres=["jazz", "rock"])
        if i % 2:
            services.queue_add(room=room, actor=room.owner, track=TrackFactory(image_url=""))
    client = client_as("anonymous")

    with django_assert_max_num_queries(7):
        body = client.get("/rooms/?limit=12").json()

    assert len({room["image_url"] for room in body}) == 12


def test_playback_and_queue_frames_carry_absolute_covers(settings, people, public_room):
    playing = TrackFactory(image_url="", album="Kind of Blue")
    queued = TrackFactory(image_url="", album="Blue Train")
    services.queue_add(room=public_room, actor=people["owner"], track=playing)
    services.queue_add(room=public_room, actor=people["owner"], track=queued)

    state = events.playback_state(public_room.playback)
    queue = events.queue_updated(room_id=public_room.pk)["queue"]

    cover = re.compile(rf"{re.escape(settings.PUBLIC_URL)}/covers/v1/album/[0-9a-f]{{18}}\.svg")
    assert cover.fullmatch(state["track"]["image_url"])
    assert [cover.fullmatch(item["track"]["image_url"]) is not None for item in queue] == [True]
    assert state["track"]["image_url"] != queue[0]["track"]["image_url"]

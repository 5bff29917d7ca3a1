"""Uploaded files are seen by their owner and the rooms they were queued in: recommendations
and a room's suggestions never show anyone else's."""

import pytest

from accounts.tests.factories import UserFactory
from music.models import Track, Upload, UploadShare
from recommendations import services
from recommendations.tests.conftest import listen
from rooms import services as room_services
from rooms.tests.factories import make_room

pytestmark = pytest.mark.django_db


def _make_upload(track: Track, owner) -> Track:
    track.origin = Track.Origin.UPLOAD
    track.spotify_id = f"upload:{track.pk:032x}"
    track.save(update_fields=["origin", "spotify_id"])
    Upload.objects.create(
        track=track, owner=owner, file=f"uploads/t{track.pk}.wav", size_bytes=44, content_type="audio/wav", format="wav"
    )
    return track


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["track"]["name"] for item in response.json()]


@pytest.fixture
def shared_upload(catalog):
    """Six jazz fans play the whole jazz list; one of its tracks is a fan's uploaded file."""
    jazz = catalog["jazz"]
    fans = [UserFactory(username=f"fan{i}") for i in range(6)]
    for fan in fans:
        for track in jazz:
            listen(fan, track, plays=2)
    return _make_upload(jazz[3], fans[0])


def test_recommendations_leave_out_uploads_the_listener_may_not_see(catalog, shared_upload, alice, as_user):
    listen(alice, catalog["jazz"][0], plays=5)
    services.recommendations_recompute()
    names = _names(as_user(alice).get("/recommendations/tracks?limit=20"))
    assert shared_upload.name not in names
    # Among the first few, its place goes to the next track.
    assert len(_names(as_user(alice).get("/recommendations/tracks?limit=4"))) == 4

    room = make_room(owner=shared_upload.upload.owner, name="Tape Club")
    room_services.room_join(room=room, user=alice)
    UploadShare.objects.create(upload=shared_upload.upload, room_id=room.pk)
    item = next(
        item
        for item in as_user(alice).get("/recommendations/tracks?limit=20").json()
        if item["track"]["name"] == shared_upload.name
    )
    assert item["track"]["origin"] == "upload" and item["track"]["sources"] == []


def test_room_suggestions_offer_only_uploads_queued_in_that_room(catalog, shared_upload, alice, as_user):
    listen(alice, catalog["jazz"][0], plays=5)
    services.recommendations_recompute()
    owner = shared_upload.upload.owner
    room = make_room(owner=owner, name="Upload Room")
    other = make_room(owner=owner, name="Elsewhere")
    for joined in (room, other):
        room_services.room_join(room=joined, user=alice)
    UploadShare.objects.create(upload=shared_upload.upload, room_id=other.pk)
    assert shared_upload.name not in _names(as_user(alice).get(f"/rooms/{room.pk}/suggestions?limit=50"))
    UploadShare.objects.create(upload=shared_upload.upload, room_id=room.pk)
    assert shared_upload.name in _names(as_user(alice).get(f"/rooms/{room.pk}/suggestions?limit=50"))

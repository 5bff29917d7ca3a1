"""Uploaded audio (issue 15, "Uploads for everyone"): POST /track/upload, GET /track/uploads,
PATCH/DELETE /track/uploads/{id}, who may see an upload, and what rooms do when it is deleted.

Every sample is a real file made in the test (music/tests/upload_samples.py)."""

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.tests.factories import UserFactory
from conftest import client_for
from music import hooks, uploads
from music.models import Track, Upload, UploadShare
from music.tests import upload_samples as samples
from music.tests.factories import TrackFactory
from rooms import selectors as room_selectors
from rooms import services as room_services
from rooms.models import PlaybackState, QueueItem
from rooms.tests.factories import make_room

pytestmark = pytest.mark.django_db

UPLOAD_ID = re.compile(r"upload:[0-9a-f]{32}")


def send(client, content: bytes, filename: str, **fields):
    return client.post("/track/upload", {"file": SimpleUploadedFile(filename, content), **fields}, format="multipart")


def stored_files() -> list[Path]:
    """Every file under MEDIA_ROOT (uploads and the incoming area alike)."""
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def alice_api(alice):
    return client_for(alice)


@pytest.fixture
def uploaded(alice_api):
    """Alice's upload: a FLAC file with its tags."""
    flac = samples.flac_bytes(2, tags={"title": "Morning Sine", "artist": "Alice Band", "album": "Tones"})
    response = send(alice_api, flac, "morning.flac")
    assert response.status_code == 201, response.json()
    return response.json()


# --- accepted files ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "filename", "audio_format", "content_type", "extension"),
    [
        (samples.wav_bytes, "tone.wav", "wav", "audio/wav", ".wav"),
        (samples.flac_bytes, "tone.flac", "flac", "audio/flac", ".flac"),
        (samples.ogg_vorbis_bytes, "tone.ogg", "ogg", "audio/ogg", ".ogg"),
        (samples.ogg_opus_bytes, "tone.opus", "ogg", "audio/ogg", ".ogg"),
        (samples.mp3_bytes, "tone.mp3", "mp3", "audio/mpeg", ".mp3"),
        (samples.m4a_bytes, "tone.m4a", "mp4", "audio/mp4", ".m4a"),
    ],
    ids=["wav", "flac", "ogg-vorbis", "ogg-opus", "mp3", "m4a"],
)
def test_it_accepts_each_format_by_content(alice, alice_api, make, filename, audio_format, content_type, extension):
    content = make(1.0)

    # The name says nothing: the content decides.
    response = send(alice_api, content, "whatever.bin")

    assert response.status_code == 201, response.json()
    track = response.json()
    assert UPLOAD_ID.fullmatch(track["spotify_id"])
    assert track["origin"] == "upload"
    assert track["sources"] == ["audio"]
    assert track["name"] == "whatever"
    assert abs(track["duration_ms"] - 1000) <= 60
    assert re.fullmatch(rf"http://testserver/media/uploads/[A-Za-z0-9_-]{{32}}\{extension}", track["audio_url"])
    upload = Upload.objects.get(track__spotify_id=track["spotify_id"])
    assert (upload.owner, upload.format, upload.content_type, upload.size_bytes) == (
        alice,
        audio_format,
        content_type,
        len(content),
    )
    assert [p.name for p in stored_files()] == [track["audio_url"].rsplit("/", 1)[1]]
    assert stored_files()[0].read_bytes() == content

    served = alice_api.get(track["audio_url"].removeprefix("http://testserver"))
    assert served.status_code == 200
    assert served["Content-Type"] == content_type
    assert b"".join(served.streaming_content) == content


def test_it_names_the_track_from_the_file_tags(uploaded):
    assert (uploaded["name"], uploaded["artists"], uploaded["album"]) == ("Morning Sine", ["Alice Band"], "Tones")


def test_the_form_overrides_the_tags_and_artists_split_on_a_bar(alice_api):
    flac = samples.flac_bytes(1, tags={"title": "Tagged", "artist": "Tag Artist", "album": "Tag Album"})

    track = send(alice_api, flac, "x.flac", name="Given Name", artists="Ann|Bo", album="Given Album").json()

    assert (track["name"], track["artists"], track["album"]) == ("Given Name", ["Ann", "Bo"], "Given Album")


def test_artists_may_come_as_a_list(alice_api):
    track = send(alice_api, samples.wav_bytes(0.5), "x.wav", artists=["Ann", "Bo"]).json()

    assert track["artists"] == ["Ann", "Bo"]


# --- refused files -----------------------------------------------------------------------


def _truncated_wav() -> bytes:
    return samples.wav_bytes()[:-1000]


def _truncated_flac() -> bytes:
    return samples.flac_bytes(2)[:-700]


@pytest.mark.parametrize(
    ("content", "filename", "says"),
    [
        (_truncated_wav(), "cut.wav", "truncated"),
        (_truncated_flac(), "cut.flac", "truncated"),
        (samples.png_bytes(), "picture.mp3", "PNG image"),
        (b"", "empty.mp3", "empty"),
        (samples.wav_bytes() + samples.zip_bytes(), "both.wav", "after the end of the audio"),
        (samples.mp3_bytes() + b"<html><script>alert(1)</script></html>", "both.mp3", "after the end of the audio"),
        (samples.flac_bytes() + samples.zip_bytes(), "both.flac", "something else after the audio"),
        (samples.png_bytes() + samples.mp3_bytes(), "image-then-audio.mp3", "PNG image"),
        (b"<!doctype html><html><body>hi</body></html>", "page.mp3", "text document"),
        (samples.ogg_vorbis_bytes()[:-50], "cut.ogg", "truncated"),
        (samples.m4a_bytes(2)[:-400], "cut.m4a", "truncated"),
    ],
    ids=[
        "truncated-wav",
        "truncated-flac",
        "png-renamed-mp3",
        "zero-length",
        "polyglot-wav-zip",
        "polyglot-mp3-html",
        "polyglot-flac-zip",
        "png-then-mp3",
        "html",
        "truncated-ogg",
        "truncated-m4a",
    ],
)
def test_it_refuses_files_that_are_not_whole_plain_audio(alice_api, content, filename, says):
    response = send(alice_api, content, filename)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "upload_invalid"
    assert says in body["detail"]
    assert body["errors"]["file"]
    assert not Track.objects.filter(origin="upload").exists()
    assert not Upload.objects.exists()
    assert stored_files() == []


def test_a_wav_whose_header_promises_more_audio_says_how_much(alice_api):
    body = send(alice_api, _truncated_wav(), "cut.wav").json()

    assert re.search(r"promises \d+ bytes, the file has \d+", body["detail"])


def test_it_refuses_other_audio_formats_as_unsupported(alice_api):
    aiff = b"FORM" + (100).to_bytes(4, "big") + b"AIFFCOMM" + b"\x00" * 90

    response = send(alice_api, aiff, "song.aiff")

    assert response.status_code == 400
    assert response.json()["code"] == "upload_unsupported"
    assert "MP3, AAC (M4A), Ogg Vorbis or Opus, FLAC and WAV" in response.json()["detail"]


def test_it_requires_a_file(alice_api):
    response = alice_api.post("/track/upload", {"name": "No file"}, format="multipart")

    assert response.status_code == 400
    assert response.json()["errors"]["file"]


def test_anonymous_callers_cannot_upload(api):
    response = send(api, samples.wav_bytes(0.2), "x.wav")

    assert response.status_code == 401
    assert stored_files() == []


def test_a_file_one_byte_over_the_cap_is_413(alice_api, settings):
    content = samples.wav_bytes(0.5)
    settings.UPLOAD_MAX_BYTES = len(content) - 1

    response = send(alice_api, content, "x.wav")

    assert response.status_code == 413
    assert response.json()["code"] == "upload_too_large"
    assert str(settings.UPLOAD_MAX_BYTES) in response.json()["detail"]
    assert stored_files() == []
    assert not Upload.objects.exists()


def test_a_file_right_at_the_cap_is_taken(alice_api, settings):
    content = samples.wav_bytes(0.5)
    settings.UPLOAD_MAX_BYTES = len(content)

    assert send(alice_api, content, "x.wav").status_code == 201


def test_the_cap_stops_the_stream_at_the_first_byte_over(settings):
    """The handler writes chunks as they arrive and stops at the one that crosses the cap,
    removing what it wrote; the rest of the body is never read."""
    settings.UPLOAD_MAX_BYTES = 100_000
    handler = uploads.UploadStreamHandler()
    handler.new_file("file", "big.wav", "audio/wav", None)
    written = Path(handler.incoming.temporary_file_path())
    chunk = b"\0" * 64 * 1024

    handler.receive_data_chunk(chunk, 0)
    assert written.stat().st_size == len(chunk)
    with pytest.raises(uploads.UploadTooLarge):
        handler.receive_data_chunk(chunk, len(chunk))

    assert not written.exists()
    assert stored_files() == []


def test_a_content_length_that_cannot_fit_is_refused_before_reading(settings):
    settings.UPLOAD_MAX_BYTES = 100_000
    handler = uploads.UploadStreamHandler()

    with pytest.raises(uploads.UploadTooLarge):
        handler.handle_raw_input(None, {}, 100_000 + uploads.MULTIPART_OVERHEAD + 1, b"x")
    assert handler.handle_raw_input(None, {}, 100_000 + uploads.MULTIPART_OVERHEAD, b"x") is None


def test_the_quota_is_409_and_deleting_makes_room(alice_api, settings, django_capture_on_commit_callbacks):
    content = samples.wav_bytes(0.5)
    settings.UPLOAD_QUOTA_BYTES = int(len(content) * 1.5)
    first = send(alice_api, content, "one.wav").json()

    refused = send(alice_api, content, "two.wav")

    assert refused.status_code == 409
    assert refused.json()["code"] == "upload_quota_exceeded"
    assert "Delete some uploads first" in refused.json()["detail"]
    assert len(stored_files()) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert alice_api.delete(f"/track/uploads/{first['spotify_id']}").status_code == 204
    assert send(alice_api, content, "two.wav").status_code == 201


def test_the_quota_is_per_user(alice_api, bob, settings):
    content = samples.wav_bytes(0.5)
    settings.UPLOAD_QUOTA_BYTES = len(content)
    assert send(alice_api, content, "a.wav").status_code == 201

    assert send(client_for(bob), content, "b.wav").status_code == 201


def test_uploads_are_limited_to_20_an_hour(alice_api):
    content = samples.wav_bytes(0.05)
    for n in range(20):
        assert send(alice_api, content, f"{n}.wav").status_code == 201

    response = send(alice_api, content, "21.wav")

    assert response.status_code == 429
    assert "20 per hour" in response.json()["detail"]


# --- my uploads: list, retag, delete ------------------------------------------------------


def test_it_lists_my_uploads_with_my_space(alice_api, bob, uploaded, settings, django_assert_max_num_queries):
    send(client_for(bob), samples.wav_bytes(0.2), "bobs.wav")
    second = send(alice_api, samples.mp3_bytes(0.5), "second.mp3").json()

    with django_assert_max_num_queries(10):
        body = alice_api.get("/track/uploads").json()

    assert body["count"] == 2
    assert body["quota_bytes"] == settings.UPLOAD_QUOTA_BYTES
    assert body["max_bytes"] == settings.UPLOAD_MAX_BYTES
    assert body["used_bytes"] == sum(u.size_bytes for u in Upload.objects.filter(owner__username="alice"))
    assert [item["id"] for item in body["results"]] == [second["spotify_id"], uploaded["spotify_id"]]
    first = body["results"][1]
    assert first["track"] == uploaded
    assert (first["format"], first["content_type"]) == ("flac", "audio/flac")
    assert set(first) == {"id", "track", "size_bytes", "format", "content_type", "created_at"}

    paged = alice_api.get("/track/uploads", {"limit": 1, "offset": 1}).json()
    assert [item["id"] for item in paged["results"]] == [uploaded["spotify_id"]]
    assert paged["count"] == 2


def test_i_can_retag_my_upload(alice_api, uploaded):
    response = alice_api.patch(
        f"/track/uploads/{uploaded['spotify_id']}",
        {"name": "Evening Sine", "artists": ["Ann", "Bo"], "album": ""},
        format="json",
    )

    assert response.status_code == 200
    track = response.json()["track"]
    assert (track["name"], track["artists"], track["album"]) == ("Evening Sine", ["Ann", "Bo"], "")
    assert alice_api.get(f"/track/{uploaded['spotify_id']}").json()["name"] == "Evening Sine"


def test_retagging_takes_one_artist_string_with_bars(alice_api, uploaded):
    track = alice_api.patch(f"/track/uploads/{uploaded['spotify_id']}", {"artists": "X|Y"}, format="json").json()

    assert track["track"]["artists"] == ["X", "Y"]
    assert track["track"]["name"] == "Morning Sine"


def test_someone_elses_upload_is_404_to_edit_or_delete(bob, uploaded):
    as_bob = client_for(bob)
    path = f"/track/uploads/{uploaded['spotify_id']}"

    assert as_bob.patch(path, {"name": "Mine now"}, format="json").status_code == 404
    assert as_bob.delete(path).status_code == 404
    assert Track.objects.get(spotify_id=uploaded["spotify_id"]).name == "Morning Sine"


def test_deleting_removes_the_track_the_row_and_the_file(alice_api, uploaded, django_capture_on_commit_callbacks):
    assert len(stored_files()) == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_api.delete(f"/track/uploads/{uploaded['spotify_id']}")

    assert response.status_code == 204
    assert not Track.objects.filter(spotify_id=uploaded["spotify_id"]).exists()
    assert not Upload.objects.exists()
    assert stored_files() == []
    assert alice_api.get(f"/track/{uploaded['spotify_id']}").status_code == 404


# --- who may see an upload ------------------------------------------------------------------


@pytest.fixture
def shared(people, public_room):
    """The owner of Jazz Club uploads a file and queues it there."""
    owner_api = client_for(people["owner"])
    track = send(owner_api, samples.wav_bytes(1.0), "club.wav", name="Club Sine").json()
    response = owner_api.post(f"/rooms/{public_room.pk}/queue", {"spotify_id": track["spotify_id"]}, format="json")
    assert response.status_code == 201, response.json()
    return track


def test_an_outsider_cannot_see_an_upload(alice_api, bob, uploaded):
    as_bob = client_for(bob)
    room = make_room(owner=bob, name="Bob's room")

    assert as_bob.get(f"/track/{uploaded['spotify_id']}").status_code == 404
    assert as_bob.post("/favorites/me", {"spotify_id": uploaded["spotify_id"]}, format="json").status_code == 404
    queued = as_bob.post(f"/rooms/{room.pk}/queue", {"spotify_id": uploaded["spotify_id"]}, format="json")
    assert queued.status_code == 404
    assert as_bob.get("/search", {"q": "Morning Sine", "type": "track"}).json()["tracks"] == []
    assert client_for(UserFactory()).get(f"/track/{uploaded['spotify_id']}").status_code == 404
    assert Client().get(f"/track/{uploaded['spotify_id']}").status_code == 404


def test_the_owner_finds_opens_and_favorites_their_upload(alice_api, uploaded):
    assert alice_api.get(f"/track/{uploaded['spotify_id']}").json() == uploaded
    found = alice_api.get("/search", {"q": "Morning Sine", "type": "track"}).json()["tracks"]
    assert [t["spotify_id"] for t in found] == [uploaded["spotify_id"]]
    favorite = alice_api.post("/favorites/me", {"spotify_id": uploaded["spotify_id"]}, format="json")
    assert favorite.status_code == 201
    assert favorite.json()["track"]["origin"] == "upload"


def test_queueing_shares_an_upload_with_the_rooms_members(people, public_room, shared):
    member = client_for(people["member"])

    assert UploadShare.objects.filter(upload__track__spotify_id=shared["spotify_id"], room_id=public_room.pk).exists()
    assert member.get(f"/track/{shared['spotify_id']}").status_code == 200
    found = member.get("/search", {"q": "Club Sine", "type": "track"}).json()["tracks"]
    assert [t["spotify_id"] for t in found] == [shared["spotify_id"]]
    assert member.post("/favorites/me", {"spotify_id": shared["spotify_id"]}, format="json").status_code == 201
    # Not those who are not members, nor the banned one.
    assert client_for(people["outsider"]).get(f"/track/{shared['spotify_id']}").status_code == 404
    assert client_for(people["banned"]).get(f"/track/{shared['spotify_id']}").status_code == 404


def test_the_playing_upload_carries_origin_and_sources(people, public_room, shared):
    body = client_for(people["member"]).get(f"/rooms/{public_room.pk}").json()

    assert body["now_playing"]["spotify_id"] == shared["spotify_id"]
    assert (body["now_playing"]["origin"], body["now_playing"]["sources"]) == ("upload", ["audio"])


def test_members_queue_a_shared_upload_in_that_room_only(people, public_room, shared):
    moderator = client_for(people["moderator"])  # Jazz Club: owner and moderators queue
    other = make_room(owner=people["moderator"], name="Moderator's own room")

    again = moderator.post(f"/rooms/{public_room.pk}/queue", {"spotify_id": shared["spotify_id"]}, format="json")
    elsewhere = moderator.post(f"/rooms/{other.pk}/queue", {"spotify_id": shared["spotify_id"]}, format="json")

    assert again.status_code == 201
    assert elsewhere.status_code == 403
    assert "Only its uploader" in elsewhere.json()["detail"]


def test_the_owner_may_queue_their_upload_in_any_room_they_queue_in(people, alice, uploaded):
    room = make_room(owner=alice, name="Alice's room")

    response = client_for(alice).post(f"/rooms/{room.pk}/queue", {"spotify_id": uploaded["spotify_id"]}, format="json")

    assert response.status_code == 201
    assert response.json()["track"]["origin"] == "upload"


def test_the_hooks_hold_rooms_implementations():
    assert hooks.member_room_ids_implementation() is room_selectors.member_room_ids
    assert hooks.track_withdrawn_implementation() is room_services.track_withdraw


# --- a deleted file never breaks a room -------------------------------------------------------


def test_deleting_a_playing_upload_skips_it_with_a_reason(
    people, public_room, shared, monkeypatch, django_capture_on_commit_callbacks
):
    owner = people["owner"]
    after = TrackFactory(name="After the sine")
    room_services.queue_add(room=public_room, actor=owner, track=after)
    elsewhere = make_room(owner=owner, name="Second room")
    room_services.queue_add(room=elsewhere, actor=owner, track=TrackFactory(name="Playing there"))
    assert (
        client_for(owner)
        .post(f"/rooms/{elsewhere.pk}/queue", {"spotify_id": shared["spotify_id"]}, format="json")
        .status_code
        == 201
    )
    before = PlaybackState.objects.get(room=public_room)
    assert before.track.spotify_id == shared["spotify_id"]
    sent = []
    monkeypatch.setattr("core.realtime.group_send_now", lambda group, event: sent.append((group, event)))

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).delete(f"/track/uploads/{shared['spotify_id']}")

    assert response.status_code == 204
    state = PlaybackState.objects.select_related("track").get(room=public_room)
    assert (state.track, state.status, state.via) == (after, "playing", "member")
    assert state.reason == "The track's file was deleted."
    assert state.version > before.version
    assert not QueueItem.objects.filter(track__spotify_id=shared["spotify_id"]).exists()
    assert [item.track.name for item in QueueItem.objects.filter(room=elsewhere)] == []
    frames = {(group, event["type"]): event for group, event in sent}
    told = frames[(f"room.{public_room.pk}", "playback.state")]
    assert told["track"]["name"] == "After the sine"
    assert told["reason"] == "The track's file was deleted."
    assert frames[(f"room.{elsewhere.pk}", "queue.updated")]["queue"] == []
    assert stored_files() == []


def test_deleting_the_last_track_leaves_the_room_idle_saying_why(people, public_room, shared):
    uploads.upload_delete(upload=Upload.objects.get(track__spotify_id=shared["spotify_id"]))

    state = PlaybackState.objects.get(room=public_room)
    assert (state.track, state.status, state.reason) == (None, "idle", "The track's file was deleted.")


def test_autoplay_never_picks_an_upload_that_was_not_shared_in_the_room(people, alice, uploaded, monkeypatch):
    room = make_room(owner=people["owner"], name="Autoplay room", autoplay=True)
    track = Track.objects.get(spotify_id=uploaded["spotify_id"])
    fallback = TrackFactory(name="Catalog pick")

    class Pick:
        def __init__(self, track_id):
            self.track_id, self.reason = track_id, "Because"

    monkeypatch.setattr(
        "rooms.hooks.autoplay_picks", lambda *, room, count, drop: [Pick(track.pk), Pick(fallback.pk)][:count]
    )
    room_services.playback_play(room=room, actor=people["owner"])

    assert PlaybackState.objects.get(room=room).track == fallback


# --- moderators take uploads down ----------------------------------------------------------


def test_a_moderator_takes_an_upload_down_and_the_file_goes(uploaded, django_capture_on_commit_callbacks):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(root)
    upload = Upload.objects.get(track__spotify_id=uploaded["spotify_id"])
    assert len(stored_files()) == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            "/admin/music/upload/", {"action": "take_down", "_selected_action": [upload.pk]}, follow=True
        )

    assert response.status_code == 200
    assert "Took down 1 upload(s)." in response.content.decode()
    assert not Upload.objects.exists()
    assert not Track.objects.filter(spotify_id=uploaded["spotify_id"]).exists()
    assert stored_files() == []


def test_the_upload_admin_lists_uploads(uploaded):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(root)

    page = browser.get("/admin/music/upload/")

    assert page.status_code == 200
    assert "Morning Sine" in page.content.decode()


def test_a_site_moderator_not_a_superuser_may_take_uploads_down(uploaded, django_capture_on_commit_callbacks):
    """The Moderators group gets the upload admin (music.0005); its code is run again here in
    case a transactional test flushed the group away."""
    import importlib

    from django.contrib.auth.models import Group
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    migration = importlib.import_module("music.migrations.0005_moderators_take_down_uploads")
    state = MigrationExecutor(connection).loader.project_state(("music", "0005_moderators_take_down_uploads"))
    editor = type("Editor", (), {"connection": connection})()
    migration.grant(state.apps, editor)
    moderator = UserFactory(username="sitemod", is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    browser = Client()
    browser.force_login(moderator)
    upload = Upload.objects.get(track__spotify_id=uploaded["spotify_id"])

    assert browser.get("/admin/music/upload/").status_code == 200
    assert browser.get(f"/admin/music/upload/{upload.pk}/change/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        browser.post("/admin/music/upload/", {"action": "take_down", "_selected_action": [upload.pk]}, follow=True)

    assert not Upload.objects.exists()
    assert stored_files() == []


def test_prune_removes_files_no_upload_owns_once_a_day_old(uploaded, settings):
    """A killed process can leave a half-received body, or a stored file whose transaction
    never committed; `manage.py prune` (and its periodic task) removes them a day on."""
    import os
    import time

    from django.core.management import call_command

    media = Path(settings.MEDIA_ROOT)
    owned = stored_files()
    assert len(owned) == 1  # the fixture's upload
    (media / ".incoming").mkdir(parents=True, exist_ok=True)
    part = media / ".incoming" / "abc.part"
    part.write_bytes(b"half")
    orphan = media / "uploads" / "orphan.wav"
    orphan.write_bytes(samples.wav_bytes(0.1))
    fresh_part = media / ".incoming" / "new.part"
    fresh_part.write_bytes(b"still arriving")
    day_old = time.time() - 25 * 3600
    for path in (part, orphan, *owned):
        os.utime(path, (day_old, day_old))

    call_command("prune", "--dry-run", stdout=io.StringIO())
    assert part.exists() and orphan.exists()

    out = io.StringIO()
    call_command("prune", stdout=out)

    assert "upload leftovers: removed 2" in out.getvalue()
    assert not part.exists() and not orphan.exists()
    assert stored_files() == sorted([*owned, fresh_part])

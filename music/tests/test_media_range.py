"""/media/ from the embedded server (tunewave/media.py): HTTP Range, Content-Type, caching,
streaming, and nothing outside MEDIA_ROOT."""

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from music.tests import upload_samples as samples

SIZE = 1000
CONTENT = bytes(range(256)) * 3 + bytes(SIZE - 768)


@pytest.fixture
def media(settings) -> Path:
    root = Path(settings.MEDIA_ROOT)
    (root / "uploads").mkdir(parents=True)
    (root / "uploads" / "clip.wav").write_bytes(CONTENT)
    return root


@pytest.fixture
def browser() -> Client:
    return Client()


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_it_serves_the_whole_file_saying_it_takes_ranges(media, browser):
    response = browser.get("/media/uploads/clip.wav")

    assert response.status_code == 200
    assert response.streaming  # read in chunks as it is sent, not all at once
    assert body(response) == CONTENT
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(SIZE)
    assert response["Content-Type"] == "audio/wav"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=100-199", 100, 199),
        ("bytes=900-", 900, 999),
        ("bytes=990-5000", 990, 999),
        ("bytes=-500", 500, 999),
        ("bytes=-1", 999, 999),
        ("bytes=-5000", 0, 999),
        ("bytes=0-", 0, 999),
    ],
)
def test_a_range_answers_206_with_just_those_bytes(media, browser, header, first, last):
    response = browser.get("/media/uploads/clip.wav", HTTP_RANGE=header)

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {first}-{last}/{SIZE}"
    assert response["Content-Length"] == str(last - first + 1)
    assert body(response) == CONTENT[first : last + 1]
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "audio/wav"


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5000-6000", "bytes=-0"])
def test_a_range_past_the_end_is_416(media, browser, header):
    response = browser.get("/media/uploads/clip.wav", HTTP_RANGE=header)

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{SIZE}"
    assert body(response) == b""


@pytest.mark.parametrize("header", ["bytes=5-3", "items=0-10", "bytes=0-1,5-6", "bytes=abc", "bytes=-"])
def test_a_range_it_cannot_use_is_ignored(media, browser, header):
    response = browser.get("/media/uploads/clip.wav", HTTP_RANGE=header)

    assert response.status_code == 200
    assert body(response) == CONTENT


def test_a_stale_if_range_gets_the_whole_file(media, browser):
    fresh = browser.get("/media/uploads/clip.wav")

    same = browser.get("/media/uploads/clip.wav", HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE=fresh["ETag"])
    stale = browser.get("/media/uploads/clip.wav", HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"other"')

    assert same.status_code == 206
    assert stale.status_code == 200
    assert body(stale) == CONTENT


def test_head_says_the_size_without_a_body(media, browser):
    response = browser.head("/media/uploads/clip.wav", HTTP_RANGE="bytes=0-9")

    assert response.status_code == 206
    assert response["Content-Length"] == "10"
    assert response.content == b""


def test_a_known_file_is_304_when_unchanged(media, browser):
    etag = browser.get("/media/uploads/clip.wav")["ETag"]

    assert browser.get("/media/uploads/clip.wav", HTTP_IF_NONE_MATCH=etag).status_code == 304


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("a.mp3", "audio/mpeg"),
        ("a.m4a", "audio/mp4"),
        ("a.ogg", "audio/ogg"),
        ("a.opus", "audio/ogg"),
        ("a.flac", "audio/flac"),
        ("a.wav", "audio/wav"),
    ],
)
def test_audio_gets_its_content_type(media, browser, name, content_type):
    (media / "uploads" / name).write_bytes(b"x")

    assert browser.get(f"/media/uploads/{name}")["Content-Type"] == content_type


def test_demo_clips_are_immutable_too_avatars_are_not(media, browser):
    (media / "demo").mkdir()
    (media / "demo" / "clip.wav").write_bytes(samples.wav_bytes(0.1))
    (media / "avatars").mkdir()
    (media / "avatars" / "me.webp").write_bytes(b"RIFF")

    assert browser.get("/media/demo/clip.wav")["Cache-Control"] == "public, max-age=31536000, immutable"
    avatar = browser.get("/media/avatars/me.webp")
    assert avatar.status_code == 200
    assert avatar["Content-Type"] == "image/webp"
    assert "immutable" not in avatar.get("Cache-Control", "")


@pytest.mark.parametrize(
    "path",
    [
        "/media/../manage.py",
        "/media/%2e%2e/manage.py",
        "/media/uploads/../../manage.py",
        "/media/uploads/%2e%2e/%2e%2e/manage.py",
        "/media//etc/passwd",
        "/media/.incoming/partial.part",
        "/media/uploads/",
        "/media/uploads/missing.mp3",
        "/media/uploads/outside.wav",
    ],
)
def test_nothing_outside_the_media_root_nor_hidden_is_served(media, browser, tmp_path, path):
    (media / ".incoming").mkdir()
    (media / ".incoming" / "partial.part").write_bytes(b"half")
    secret = tmp_path / "secret.wav"
    secret.write_bytes(b"secret")
    (media / "uploads" / "outside.wav").symlink_to(secret)

    response = browser.get(path)

    assert response.status_code == 404
    assert b"secret" not in response.content


def test_it_takes_only_get_and_head(media, browser):
    assert browser.post("/media/uploads/clip.wav").status_code == 405


async def test_under_asgi_it_streams_through_an_async_iterator(media, async_client):
    response = await async_client.get("/media/uploads/clip.wav", headers={"Range": "bytes=10-19"})

    assert response.status_code == 206
    assert response.is_async
    chunks = [chunk async for chunk in response.streaming_content]
    assert b"".join(chunks) == CONTENT[10:20]


def test_the_media_root_is_the_tests_own(media):
    assert str(settings.MEDIA_ROOT).startswith(str(media.parent))

import hashlib
import json
import os
import subprocess
import sys
import wave
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from music import demo
from music.models import Artist, FavoriteTrack, Genre, ListeningEvent, Track, TrackArtist

pytestmark = pytest.mark.django_db


def load(*args: str) -> str:
    out = StringIO()
    call_command("load_demo_data", *args, stdout=out)
    return out.getvalue()


def database_digest() -> str:
    """Every row the demo data writes, ids included."""
    digest = hashlib.sha256()
    for rows in (
        Track.objects.order_by("pk").values_list(
            "pk", "spotify_id", "name", "album", "duration_ms", "audio_url", "popularity", "created_at"
        ),
        Artist.objects.order_by("pk").values_list("pk", "spotify_id", "name"),
        Genre.objects.order_by("pk").values_list("pk", "name"),
        TrackArtist.objects.order_by("pk").values_list("pk", "track_id", "artist_id", "position"),
        Track.genres.through.objects.order_by("pk").values_list("pk", "track_id", "genre_id"),
        Artist.genres.through.objects.order_by("pk").values_list("pk", "artist_id", "genre_id"),
        User.objects.order_by("pk").values_list("pk", "email", "username", "display_name", "favorite_genres"),
        FavoriteTrack.objects.order_by("pk").values_list("pk", "user_id", "track_id", "added_at"),
        ListeningEvent.objects.order_by("pk").values_list(
            "pk", "user_id", "track_id", "listened_at", "ms_played", "play_count", "source", "room_id"
        ),
    ):
        digest.update(repr(list(rows)).encode())
    return digest.hexdigest()


def top_genre(email: str) -> str:
    counts: Counter[str] = Counter()
    for event in ListeningEvent.objects.filter(user__email=email).prefetch_related("track__genres"):
        counts.update(genre.name for genre in event.track.genres.all())
    return counts.most_common(1)[0][0]


def test_it_loads_a_catalog_of_300_tracks_over_20_genres():
    output = load("--no-audio")

    assert Track.objects.count() >= 300
    assert Genre.objects.count() >= 20
    assert "tracks 324/324" in output
    assert not (Path(settings.MEDIA_ROOT) / "demo").exists()
    for track in Track.objects.prefetch_related("genres", "credits__artist"):
        assert len(track.spotify_id) == 22 and track.spotify_id.isalnum()
        assert track.audio_url == f"/media/demo/{track.spotify_id}.wav"
        assert 30_000 < track.duration_ms <= 45_000
        assert track.album
        assert track.genres.exists()
        assert track.credits.exists()
    tracks_per_artist = Counter(TrackArtist.objects.filter(position=0).values_list("artist_id", flat=True))
    assert min(tracks_per_artist.values()) >= 4
    assert all(artist.genres.exists() for artist in Artist.objects.all())
    assert set(Genre.objects.values_list("name", flat=True)) >= {"jazz", "bebop", "metal", "doom metal", "techno"}


def test_it_gives_demo_users_different_tastes():
    load("--no-audio")

    users = User.objects.filter(email__endswith="@demo.tunewave")
    assert users.count() == 12
    alice = users.get(email="alice@demo.tunewave")
    assert alice.favorite_genres == ["jazz", "bebop", "cool jazz"]
    assert top_genre("alice@demo.tunewave") == "jazz"
    assert top_genre("bob@demo.tunewave") == "metal"
    assert top_genre("charlie@demo.tunewave") == "electronic"
    assert len({top_genre(user.email) for user in users}) >= 8
    assert all(user.favorites.count() >= 5 for user in users)
    assert all(user.listening_events.filter(source="demo").count() >= 50 for user in users)
    jazz_favorites = FavoriteTrack.objects.filter(user=alice, track__genres__name="jazz").distinct().count()
    assert jazz_favorites >= alice.favorites.count() // 2


def test_it_writes_a_valid_clip_as_long_as_each_track():
    load("--tracks", "25")

    tracks = list(Track.objects.all())
    assert len(tracks) == 25
    assert Genre.objects.filter(tracks__in=tracks).distinct().count() >= 20
    contents = set()
    for track in tracks:
        path = Path(settings.MEDIA_ROOT) / "demo" / f"{track.spotify_id}.wav"
        with wave.open(str(path), "rb") as clip:
            assert clip.getnchannels() == 1
            assert 8000 <= clip.getframerate() <= 11025
            assert clip.getsampwidth() in (1, 2)
            length_ms = clip.getnframes() * 1000 / clip.getframerate()
            contents.add(hashlib.sha256(clip.readframes(clip.getnframes())).hexdigest())
        assert abs(length_ms - track.duration_ms) <= 1
    assert len(contents) == 25  # a different melody for every track


def test_it_serves_the_clips():
    load("--tracks", "3")
    track = Track.objects.first()

    response = Client().get(track.audio_url)

    assert response.status_code == 200
    assert response["Content-Type"] in ("audio/wav", "audio/x-wav")
    body = b"".join(response.streaming_content)
    assert body[:4] == b"RIFF" and body[8:12] == b"WAVE"
    assert len(body) == demo.clip_size(track.duration_ms)


def test_it_changes_nothing_when_run_twice():
    load("--tracks", "25")
    digest, counts = database_digest(), (Track.objects.count(), ListeningEvent.objects.count())
    clips = {path: path.stat().st_mtime_ns for path in (Path(settings.MEDIA_ROOT) / "demo").iterdir()}

    output = load("--tracks", "25")

    assert database_digest() == digest
    assert (Track.objects.count(), ListeningEvent.objects.count()) == counts
    assert {path: path.stat().st_mtime_ns for path in (Path(settings.MEDIA_ROOT) / "demo").iterdir()} == clips
    assert "0 clips written" in output
    assert "(0 new)" in output


# The first demo tracks, as every run on every machine has made them: shared links, clips on
# disk and other databases name tracks by these ids.
FIRST_DEMO_TRACKS = [
    ("PiMVTw8vu1N1apZ27xSDa3", "The Road"),
    ("GVJC7gByq67jxRKaj90GhB", "The Dance"),
    ("D6KAdOMZYuKG6Uv6PFT3A9", "The Highway"),
]


def _catalog_in_another_process(limit: int) -> list[list[str]]:
    """[spotify id, name] of the first `limit` demo tracks, made by a fresh interpreter with
    its own hash seed: nothing this process holds can leak into the answer."""
    script = (
        "import json, django; django.setup(); from music import demo; "
        f"print(json.dumps([[t.spotify_id, t.name] for t in demo.demo_catalog({limit})]))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tunewave.settings", "PYTHONHASHSEED": "4242"}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_it_gives_the_same_ids_in_another_database():
    load("--tracks", "5", "--no-audio")

    stored = dict(Track.objects.values_list("spotify_id", "name"))

    assert len(stored) == 5  # five tracks, five distinct ids
    assert all(len(spotify_id) == 22 and spotify_id.isalnum() for spotify_id in stored)
    assert {spotify_id: stored[spotify_id] for spotify_id, _ in FIRST_DEMO_TRACKS} == dict(FIRST_DEMO_TRACKS)
    assert dict(map(tuple, _catalog_in_another_process(5))) == stored
    assert demo.demo_spotify_id("track:jazz:0:0") == FIRST_DEMO_TRACKS[0][0]
    assert demo.demo_spotify_id("track:jazz:0:1") != demo.demo_spotify_id("track:jazz:0:0")


def test_it_rewrites_a_damaged_clip():
    load("--tracks", "2")
    track = Track.objects.first()
    path = Path(settings.MEDIA_ROOT) / "demo" / f"{track.spotify_id}.wav"
    path.write_bytes(path.read_bytes()[:1000])

    output = load("--tracks", "2")

    assert "1 clips written" in output
    with wave.open(str(path), "rb") as clip:
        assert clip.getnframes() * 1000 // clip.getframerate() == track.duration_ms


def test_it_keeps_a_user_who_took_a_demo_username():
    User.objects.create(username="alice", email="alice@example.com")

    load("--tracks", "5", "--no-audio")

    assert User.objects.get(email="alice@example.com").username == "alice"
    assert User.objects.get(email="alice@demo.tunewave").username != "alice"

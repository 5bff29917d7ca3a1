import json
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from music.models import Artist, ListeningEvent, Track
from music.tests.factories import ArtistFactory, TrackFactory

pytestmark = pytest.mark.django_db

HEADER = "user,track_id,track_name,artists,genres,plays,last_played_at\n"
SO_WHAT_ID = "0" * 21 + "A"
NEW_ID = "4uLU6hMCjMI75M1A2tKUQC"


@pytest.fixture
def so_what(db):
    return TrackFactory(spotify_id=SO_WHAT_ID, name="So What", artist=ArtistFactory(name="Miles Davis"))


def run(*args, **kwargs) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_listening_history", *[str(arg) for arg in args], stdout=out, stderr=err, **kwargs)
    return out.getvalue(), err.getvalue()


def write_json(path, entries, *, one_per_line=False):
    if one_per_line:  # entry n on line n + 1
        path.write_text("[\n" + ",\n".join(json.dumps(entry) for entry in entries) + "\n]\n")
    else:
        path.write_text(json.dumps(entries, indent=2))
    return path


def history(user) -> list[tuple[str, datetime, int, int]]:
    return list(
        ListeningEvent.objects.filter(user=user)
        .order_by("listened_at")
        .values_list("track__name", "listened_at", "ms_played", "play_count")
    )


def snapshot() -> tuple[int, ...]:
    return (
        ListeningEvent.objects.count(),
        Track.objects.count(),
        Artist.objects.count(),
        User.objects.count(),
    )


def extended(name, artist, uri, ms=200_000, ts="2024-02-01T20:00:00Z", album="Kind of Blue"):
    return {
        "ts": ts,
        "platform": "android",
        "ms_played": ms,
        "conn_country": "DE",
        "master_metadata_track_name": name,
        "master_metadata_album_artist_name": artist,
        "master_metadata_album_album_name": album,
        "spotify_track_uri": uri,
        "episode_name": None,
        "episode_show_name": None,
        "spotify_episode_uri": None,
        "reason_start": "trackdone",
        "reason_end": "trackdone",
        "shuffle": False,
        "skipped": None,
    }


def test_it_imports_the_account_data_export(alice, so_what, tmp_path):
    export = write_json(
        tmp_path / "StreamingHistory_music_0.json",
        [
            {"endTime": "2024-01-31 23:59", "artistName": "miles davis", "trackName": "SO WHAT", "msPlayed": 200_000},
            {"endTime": "2024-02-01 08:15", "artistName": "Bill Evans", "trackName": "Peace Piece", "msPlayed": 90_000},
            {"endTime": "2024-02-01 08:16", "artistName": "Bill Evans", "trackName": "Skipped", "msPlayed": 4_000},
        ],
    )

    out, err = run(export, user=alice.email)

    assert history(alice) == [
        ("So What", datetime(2024, 1, 31, 23, 59, tzinfo=UTC), 200_000, 1),
        ("Peace Piece", datetime(2024, 2, 1, 8, 15, tzinfo=UTC), 90_000, 1),
    ]
    created = Track.objects.get(name="Peace Piece")
    assert created.spotify_id.startswith("local:")
    assert [credit.artist.name for credit in created.credits.all()] == ["Bill Evans"]
    assert ListeningEvent.objects.filter(source="import").count() == 2
    assert "2 listening events added" in out
    assert "1 plays skipped" in out
    assert err == ""


def test_it_imports_the_extended_export_whatever_the_file_is_called(alice, so_what, tmp_path):
    export = write_json(
        tmp_path / "my-history.json",
        [
            extended("So What - Remastered", "Miles Davis", f"spotify:track:{SO_WHAT_ID}"),
            extended("Blue in Green", "Miles Davis", f"spotify:track:{NEW_ID}", ts="2024-02-01T20:10:00Z"),
            {**extended(None, None, None), "episode_name": "A podcast", "spotify_episode_uri": "spotify:episode:x"},
            extended("Freddie Freeloader", "Miles Davis", None, ms="a lot"),
        ],
        one_per_line=True,
    )

    out, err = run(export, user=alice.email)

    assert [name for name, *_ in history(alice)] == ["So What", "Blue in Green"]
    blue = Track.objects.get(spotify_id=NEW_ID)
    assert (blue.name, blue.album) == ("Blue in Green", "Kind of Blue")
    assert f"{export}: line 5: the time played 'a lot' is not a whole number" in err
    assert "1 bad rows skipped" in out
    assert "1 plays skipped" in out


def test_it_needs_an_existing_user_for_a_spotify_export(tmp_path):
    export = write_json(
        tmp_path / "StreamingHistory_music_0.json",
        [{"endTime": "2024-01-31 23:59", "artistName": "A", "trackName": "B", "msPlayed": 60_000}],
    )

    with pytest.raises(CommandError, match="no such user"):
        run(export, user="new@example.com")
    with pytest.raises(CommandError, match="could not be read"):
        run(export)  # a JSON export without --user
    run(export, user="new@example.com", create_user=True)

    assert [name for name, *_ in history(User.objects.get(email="new@example.com"))] == ["B"]


def test_it_imports_a_csv_for_many_users(alice, so_what, tmp_path):
    csv_file = tmp_path / "history.csv"
    csv_file.write_text(
        HEADER
        + f"ALICE@example.com,{SO_WHAT_ID},,,,3,2024-03-01T10:00:00Z\n"
        + "zoe@example.com,,so what,MILES DAVIS,,2,2024-03-02T10:00:00+01:00\n"
        + f"zoe@example.com,{NEW_ID},Blue in Green,Miles Davis|Bill Evans,jazz|Modal  Jazz,1,2024-03-03T10:00:00\n"
        + 'yann,,"Hello, World",Local Band,indie rock,5,2024-03-04\n'
    )

    out, err = run(csv_file)

    assert err == ""
    assert history(alice) == [("So What", datetime(2024, 3, 1, 10, tzinfo=UTC), 0, 3)]
    zoe = User.objects.get(email="zoe@example.com")
    assert zoe.username == "zoe"
    assert history(zoe) == [
        ("So What", datetime(2024, 3, 2, 9, tzinfo=UTC), 0, 2),
        ("Blue in Green", datetime(2024, 3, 3, 10, tzinfo=UTC), 0, 1),
    ]
    blue = Track.objects.get(spotify_id=NEW_ID)
    assert [credit.artist.name for credit in blue.credits.all()] == ["Miles Davis", "Bill Evans"]
    assert sorted(blue.genres.values_list("name", flat=True)) == ["jazz", "modal jazz"]
    yann = User.objects.get(username="yann")
    local = Track.objects.get(name="Hello, World")
    assert local.spotify_id.startswith("local:")
    assert list(local.genres.values_list("name", flat=True)) == ["indie rock"]
    assert history(yann) == [("Hello, World", datetime(2024, 3, 4, tzinfo=UTC), 0, 5)]
    assert Track.objects.filter(name__iexact="so what").count() == 1
    assert "4 listening events added" in out
    assert "2 tracks and 2 users created" in out


def test_it_reports_bad_rows_by_line_and_imports_the_rest(tmp_path):
    csv_file = tmp_path / "history.csv"
    csv_file.write_text(
        HEADER
        + "ann@example.com,,Good One,Band,,1,2024-03-01T10:00:00Z\n"  # line 2
        + "ann@example.com,,No Artist,,,1,2024-03-01T10:00:00Z\n"  # line 3
        + "ann@example.com,not-an-id,X,Band,,1,2024-03-01T10:00:00Z\n"  # line 4
        + "ann@example.com,,X,Band,,zero,2024-03-01T10:00:00Z\n"  # line 5
        + "ann@example.com,,X,Band,,1,last tuesday\n"  # line 6
        + "ann@example.com,,X,Band,,1,2999-01-01T00:00:00Z\n"  # line 7
        + "not an e-mail@,,X,Band,,1,2024-03-01T10:00:00Z\n"  # line 8
        + "ann@example.com,,X,Band\n"  # line 9
        + f"ann@example.com,{NEW_ID},,,,1,2024-03-01T10:00:00Z\n"  # line 10: unknown id, nothing to create it from
        + "\n"
        + "ann@example.com,,Good Two,Band,,1,2024-03-02T10:00:00Z\n"  # line 12
    )

    out, err = run(csv_file, batch_size=3)

    lines = err.splitlines()
    assert [line.split(": ")[1] for line in lines] == [f"line {n}" for n in (3, 4, 5, 6, 7, 8, 9, 10)]
    assert "plays must be a whole number" in lines[2]
    assert "in the future" in lines[4]
    assert "expected 7 fields, found 4" in lines[6]
    ann = User.objects.get(email="ann@example.com")
    assert [name for name, *_ in history(ann)] == ["Good One", "Good Two"]
    assert "8 bad rows skipped" in out


def test_it_adds_nothing_when_a_file_is_imported_again(alice, so_what, tmp_path):
    csv_file = tmp_path / "history.csv"
    csv_file.write_text(
        HEADER
        + "bob@example.com,,Café Été,Ça Va Band,chanson,2,2024-03-01T10:00:00Z\n"
        + "carol,,Local Only,Nobody Famous,,1,2024-03-01T11:00:00Z\n"
        + "bob@example.com,,café été,ÇA VA BAND,,1,2024-03-05T10:00:00Z\n"
        + f"carol,{NEW_ID},Blue in Green,Miles Davis,,1,2024-03-01T12:00:00Z\n"
        + "bob@example.com,,Blue in Green,miles davis,,1,2024-03-06T12:00:00Z\n"
    )
    export = write_json(
        tmp_path / "Streaming_History_Audio_2024.json",
        [extended("Local Only", "Nobody Famous", None), extended("So What", "Miles Davis", None)],
    )
    run(csv_file, batch_size=2)
    run(export, user=alice.email)
    before = snapshot()

    out, _ = run(csv_file, batch_size=2)
    run(export, user=alice.email)

    assert snapshot() == before
    assert "0 listening events added (5 were already there), 0 tracks and 0 users created" in out
    assert Track.objects.filter(name__iexact="Local Only").count() == 1
    # SQLite's LOWER() and iexact only fold ASCII: the accented spelling is checked as written.
    assert list(Track.objects.filter(name__in=["Café Été", "café été"]).values_list("name", flat=True)) == ["Café Été"]
    assert Track.objects.filter(name="Blue in Green").count() == 1


def test_it_finds_tracks_an_earlier_batch_created(tmp_path):
    csv_file = tmp_path / "history.csv"
    csv_file.write_text(
        HEADER
        + "ann@example.com,,Song,Band,,1,2024-03-01T10:00:00Z\n"
        + "ann@example.com,,Other,Band,,1,2024-03-01T11:00:00Z\n"
        + "ann@example.com,,SONG,band,,1,2024-03-01T12:00:00Z\n"
    )

    out, _ = run(csv_file, batch_size=1)

    assert Track.objects.count() == 2
    assert Artist.objects.filter(name="Band").count() == 1
    assert ListeningEvent.objects.filter(track__name="Song").count() == 2
    assert out.count("rows/s") == 3  # progress after each batch


def test_it_refuses_a_csv_with_another_header(tmp_path):
    csv_file = tmp_path / "history.csv"
    csv_file.write_text("email,track,plays\nann@example.com,x,1\n")

    with pytest.raises(CommandError, match="could not be read"):
        call_command("import_listening_history", str(csv_file), stdout=StringIO(), stderr=(err := StringIO()))

    assert "the first line must be exactly: user,track_id,track_name" in err.getvalue()
    assert ListeningEvent.objects.count() == 0


def test_a_time_with_an_offset_is_stored_in_utc_and_an_impossible_offset_is_a_bad_row(tmp_path):
    """Python takes +20:00, PostgreSQL refuses it: the row is reported, not the import crashed."""
    csv_file = tmp_path / "history.csv"
    csv_file.write_text(
        HEADER
        + "ann@example.com,,East,Band,,1,2024-03-01T10:00:00+02:00\n"  # line 2
        + "ann@example.com,,Nowhere,Band,,1,2024-03-01T10:00:00+20:00\n"  # line 3
    )

    out, err = run(csv_file)

    assert [line.split(": ")[1] for line in err.splitlines()] == ["line 3"]
    assert "beyond ±14:00" in err
    ann = User.objects.get(email="ann@example.com")
    assert [(name, at) for name, at, *_ in history(ann)] == [("East", datetime(2024, 3, 1, 8, 0, tzinfo=UTC))]
    assert "1 bad rows skipped" in out

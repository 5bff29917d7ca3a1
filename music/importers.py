"""Listening-history imports: Spotify's privacy export for one user, and a many-user CSV.

Readers turn a file into `HistoryRow`s, plus a `Problem` for each row that cannot be used
(with its line: a CSV row's first line, the line where a JSON entry starts) and a `Skip` for rows that are not
listens (podcasts, plays under 30 s). The CSV is streamed row by row; a Spotify export
file (a few MB at most) is read whole.

`HistoryImporter` stores rows in batches, one transaction each: per batch a few queries
(as many whatever the file's length) find the users and tracks, bulk inserts create the
missing ones, and one prepared statement inserts a `ListeningEvent` per row. Between batches it keeps only bounded caches, so memory stays
flat however long the file. Each event is unique on (user, track, listened_at) and
inserted with ignore_conflicts, and the tracks a first run created are found again by
name and first artist, so importing a file twice adds nothing the second time.
"""

import csv
import json
import os
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import reset_queries, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.services import normalize_genres, users_bulk_get_or_create
from core.moments import as_utc
from music import services
from music.models import ListeningEvent, Track, TrackArtist

CSV_HEADER = ["user", "track_id", "track_name", "artists", "genres", "plays", "last_played_at"]
# Spotify counts a stream once it has played 30 s; shorter plays in an export are skips.
MIN_MS_PLAYED = 30_000

_LOCAL_ID = re.compile(r"^local:[0-9a-f]{32}$")
_USERNAME = re.compile(r"^[\w.+-]{1,150}$")
_SPOTIFY_URI = "spotify:track:"


class FileFormatError(Exception):
    """The file as a whole cannot be read (wrong header, not JSON, not UTF-8...)."""


@dataclass(slots=True)
class HistoryRow:
    line: int
    user: str  # lower-case e-mail or username
    track_id: str  # a Spotify id, a local id, or ""
    name: str
    artists: list[str]
    genres: list[str]
    album: str
    plays: int
    listened_at: datetime
    ms_played: int = 0

    @property
    def name_key(self) -> tuple[str, str] | None:
        if self.name and self.artists:
            return self.name.lower(), self.artists[0].lower()
        return None


@dataclass(slots=True)
class Problem:
    line: int  # where the row starts: a CSV row may span lines (quoted newlines), a JSON entry does
    message: str


@dataclass(slots=True)
class Skip:
    reason: str


@dataclass
class ImportStats:
    rows: int = 0  # rows read and stored (or found already there)
    bad: int = 0
    skipped: int = 0
    users_created: int = 0
    tracks_created: int = 0
    batches: int = 0


# --- Parsing ----------------------------------------------------------------------------


def detect_format(path: str | os.PathLike) -> str:
    """ "json" (a Spotify export) or "csv", by the file's first characters, not its name."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            start = f.read(4096).lstrip()
    except UnicodeDecodeError as exc:
        raise FileFormatError("not a UTF-8 text file") from exc
    return "json" if start.startswith("[") else "csv"


@lru_cache(maxsize=65_536)  # bounded: a user's key is checked once, not once per row
def user_key(value: str) -> str:
    """The lower-case e-mail or username a row names; ValueError if it is neither."""
    value = value.strip()
    if not value:
        raise ValueError("user is empty")
    if "@" in value:
        try:
            validate_email(value)
        except ValidationError:
            raise ValueError(f"user {value!r} is not a valid e-mail address") from None
    elif not _USERNAME.match(value):
        raise ValueError(f"user {value!r} is not a valid e-mail address or username")
    return value.lower()


def track_id_of(value: str) -> str:
    """A Spotify id (also given as spotify:track:<id>) or a TrackWave local id, or ""."""
    value = value.strip()
    if value.startswith(_SPOTIFY_URI):
        value = value[len(_SPOTIFY_URI) :]
    if value and not (services.is_spotify_id(value) or _LOCAL_ID.match(value)):
        raise ValueError(f"track_id {value!r} is not a Spotify track id (22 letters and digits)")
    return value


def parse_time(value: str, *, label: str, now: datetime) -> datetime:
    """An ISO 8601 moment; one without a UTC offset is taken as UTC, as Spotify writes them."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{label} {value!r} is not an ISO 8601 date and time") from None
    try:
        moment = as_utc(moment)
    except ValueError as exc:
        raise ValueError(f"{label} {value!r} {exc}") from None
    if moment > now:
        raise ValueError(f"{label} {value!r} is in the future")
    return moment


def _plays(value: str) -> int:
    try:
        plays = int(value.strip())
    except ValueError:
        plays = 0
    if plays < 1:
        raise ValueError(f"plays must be a whole number of at least 1 (got {value!r})")
    return plays


class CsvHistoryReader:
    """Rows of a many-user CSV, streamed. `fraction` tells how far into the file it is."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.size = max(1, self.path.stat().st_size)
        self._read = 0

    @property
    def fraction(self) -> float:
        return min(1.0, self._read / self.size)

    def _lines(self, f) -> Iterator[str]:
        for line in f:
            self._read += len(line)  # characters, not bytes: close enough for a progress figure
            yield line

    def __iter__(self) -> Iterator[HistoryRow | Problem]:
        # A day's slack for clocks that run ahead of the server's.
        now = timezone.now() + timedelta(days=1)
        with open(self.path, encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(self._lines(f))
            try:
                header = next(reader, None)
                if header is None or [name.strip() for name in header] != CSV_HEADER:
                    raise FileFormatError(f"the first line must be exactly: {','.join(CSV_HEADER)}")
                start = reader.line_num + 1
                while True:
                    try:
                        fields = next(reader)
                    except StopIteration:
                        return
                    except csv.Error as exc:
                        yield Problem(start, f"unreadable CSV: {exc}")
                        start = reader.line_num + 1
                        continue
                    line, start = start, reader.line_num + 1
                    if not any(value.strip() for value in fields):
                        continue
                    try:
                        yield self._row(fields, line=line, now=now)
                    except ValueError as exc:
                        yield Problem(line, str(exc))
            except UnicodeDecodeError as exc:
                raise FileFormatError(f"not valid UTF-8 after line {reader.line_num}") from exc

    @staticmethod
    def _row(fields: list[str], *, line: int, now: datetime) -> HistoryRow:
        if len(fields) != len(CSV_HEADER):
            raise ValueError(f"expected {len(CSV_HEADER)} fields, found {len(fields)}")
        user, track_id, name, artists, genres, plays, played_at = fields
        name = name.strip()[:300]
        artist_names = [artist.strip()[:300] for artist in artists.split("|") if artist.strip()]
        row = HistoryRow(
            line=line,
            user=user_key(user),
            track_id=track_id_of(track_id),
            name=name,
            artists=artist_names,
            genres=normalize_genres(genres.split("|")) if genres.strip() else [],
            album="",
            plays=_plays(plays),
            listened_at=parse_time(played_at, label="last_played_at", now=now),
        )
        if not row.track_id and row.name_key is None:
            raise ValueError("needs a track_id, or a track_name and at least one artist")
        return row


_WHITESPACE = re.compile(r"\s*")


def _skip_space(text: str, pos: int) -> int:
    """Where the whitespace at `pos` ends (the pattern matches everywhere, if only "")."""
    found = _WHITESPACE.match(text, pos)
    return found.end() if found is not None else pos


def _json_list(text: str) -> list[tuple[int, object]]:
    """The elements of a JSON list, each with the line it starts on (for reporting bad rows)."""
    decoder = json.JSONDecoder()
    pos = _skip_space(text, 0)
    if not text.startswith("[", pos):
        raise json.JSONDecodeError("expected a JSON list of plays", text, pos)
    pos = _skip_space(text, pos + 1)
    entries: list[tuple[int, object]] = []
    line, counted = 1, 0
    if not text.startswith("]", pos):
        while True:
            line, counted = line + text.count("\n", counted, pos), pos
            entry, pos = decoder.raw_decode(text, pos)
            entries.append((line, entry))
            pos = _skip_space(text, pos)
            if text.startswith(",", pos):
                pos = _skip_space(text, pos + 1)
            elif text.startswith("]", pos):
                break
            else:
                raise json.JSONDecodeError("expected , or ]", text, pos)
    if _skip_space(text, pos + 1) != len(text):
        raise json.JSONDecodeError("extra data after the list", text, pos + 1)
    return entries


class SpotifyExportReader:
    """Plays from one file of Spotify's privacy export, for one user.

    Both formats, told apart by their fields: the account-data `StreamingHistory_music_*.json`
    ({endTime, artistName, trackName, msPlayed}: no track ids) and the extended
    `Streaming_History_Audio_*.json` ({ts, ms_played, master_metadata_*, spotify_track_uri}).
    Spotify writes times in UTC. Podcast episodes and plays under `min_ms` are skipped.
    """

    def __init__(self, path: str | os.PathLike, *, user: str, min_ms: int = MIN_MS_PLAYED):
        self.path = Path(path)
        self.user = user.strip().lower()
        self.min_ms = min_ms
        self.kind = ""
        self._total = 1
        self._done = 0

    @property
    def fraction(self) -> float:
        return min(1.0, self._done / self._total)

    def __iter__(self) -> Iterator[HistoryRow | Problem | Skip]:
        try:
            entries = _json_list(self.path.read_text(encoding="utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise FileFormatError("not a UTF-8 text file") from exc
        except json.JSONDecodeError as exc:
            raise FileFormatError(f"not a Spotify streaming history: {exc}") from exc
        first = next((entry for _, entry in entries if isinstance(entry, dict)), {})
        if "ts" in first and "ms_played" in first:
            self.kind, parse = "extended", self._extended
        elif "endTime" in first and "msPlayed" in first:
            self.kind, parse = "account data", self._basic
        elif entries:
            raise FileFormatError("not a Spotify streaming history (no endTime/msPlayed or ts/ms_played fields)")
        else:
            return
        self._total = max(1, len(entries))
        now = timezone.now() + timedelta(days=1)
        for number, (line, entry) in enumerate(entries, start=1):
            self._done = number
            try:
                if not isinstance(entry, dict):
                    raise ValueError("not a JSON object")
                yield parse(entry, line=line, now=now)
            except (ValueError, TypeError) as exc:
                yield Problem(line, str(exc))

    def _ms(self, value) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"the time played {value!r} is not a whole number of milliseconds")
        return value

    def _basic(self, entry: dict, *, line: int, now: datetime) -> HistoryRow | Skip:
        ms = self._ms(entry.get("msPlayed"))
        if ms < self.min_ms:
            return Skip("short play")
        name = str(entry.get("trackName") or "").strip()[:300]
        artist = str(entry.get("artistName") or "").strip()[:300]
        if not name or not artist:
            raise ValueError("trackName and artistName are required")
        return HistoryRow(
            line=line,
            user=self.user,
            track_id="",
            name=name,
            artists=[artist],
            genres=[],
            album="",
            plays=1,
            listened_at=parse_time(str(entry.get("endTime") or ""), label="endTime", now=now),
            ms_played=ms,
        )

    def _extended(self, entry: dict, *, line: int, now: datetime) -> HistoryRow | Skip:
        name = str(entry.get("master_metadata_track_name") or "").strip()[:300]
        if not name:
            return Skip("not a music track")  # podcast episodes, audiobooks, video
        ms = self._ms(entry.get("ms_played"))
        if ms < self.min_ms:
            return Skip("short play")
        artist = str(entry.get("master_metadata_album_artist_name") or "").strip()[:300]
        row = HistoryRow(
            line=line,
            user=self.user,
            track_id=track_id_of(str(entry.get("spotify_track_uri") or "")),
            name=name,
            artists=[artist] if artist else [],
            genres=[],
            album=str(entry.get("master_metadata_album_album_name") or "").strip()[:300],
            plays=1,
            listened_at=parse_time(str(entry.get("ts") or ""), label="ts", now=now),
            ms_played=ms,
        )
        if not row.track_id and row.name_key is None:
            raise ValueError("needs a spotify_track_uri, or a track name and artist")
        return row


# --- Storing ----------------------------------------------------------------------------


class _LRU(OrderedDict):
    """A dict that forgets its least recently used entries beyond `size`."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def lookup(self, key):
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def remember(self, items: Iterable[tuple]) -> None:
        for key, value in items:
            self[key] = value
            self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


def _chunked(values: Iterable, size: int = 900) -> Iterator[list]:
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _tracks_by_spotify_id(spotify_ids: Iterable[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunked(spotify_ids):
        found.update(Track.objects.filter(spotify_id__in=chunk).order_by().values_list("spotify_id", "pk"))
    return found


def _tracks_by_name(keys: dict[tuple[str, str], tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Tracks by (lower name, lower first artist); the oldest track wins a tie.

    `keys` maps each key to the name and artist as written; filtering on their
    lower_variants uses the index on LOWER(name) on both databases (see lower_variants).
    The first artist is the credit at position 0, where track_store puts it.
    """
    found: dict[tuple[str, str], int] = {}
    first_credits = TrackArtist.objects.filter(position=0).alias(
        lname=Lower("track__name"), lartist=Lower("artist__name")
    )
    # 200 keys make at most 800 parameters: under SQLite's oldest limit of 999.
    for chunk in _chunked(keys.values(), 200):
        rows = (
            first_credits.filter(
                lname__in=services.lower_variants(name for name, _ in chunk),
                lartist__in=services.lower_variants(artist for _, artist in chunk),
            )
            .order_by()
            .values_list("track_id", "track__name", "artist__name")
        )
        for track_id, track_name, artist_name in rows:
            key = (track_name.lower(), artist_name.lower())
            if key in keys:
                found[key] = min(track_id, found.get(key, track_id))
    return found


@dataclass
class HistoryImporter:
    """Stores history rows in batches; see the module docstring.

    `on_problem(problem)` hears of each unusable row, in line order within a batch;
    `on_batch(stats)` after each committed batch.
    """

    batch_size: int = 5000
    source: str = ListeningEvent.Source.IMPORT
    on_problem: Callable[[Problem], None] = lambda problem: None
    on_batch: Callable[[ImportStats], None] = lambda stats: None
    cache_size: int = 50_000
    stats: ImportStats = field(default_factory=ImportStats)

    def __post_init__(self):
        self._users = _LRU(self.cache_size)
        self._track_ids = _LRU(self.cache_size)
        self._track_names = _LRU(self.cache_size)

    def remember_user(self, key: str, user_id) -> None:
        self._users.remember([(key.lower(), user_id)])

    def import_rows(self, items: Iterable[HistoryRow | Problem | Skip]) -> ImportStats:
        rows: list[HistoryRow] = []
        problems: list[Problem] = []
        for item in items:
            if isinstance(item, HistoryRow):
                rows.append(item)
            elif isinstance(item, Problem):
                problems.append(item)
            else:
                self.stats.skipped += 1
            if len(rows) + len(problems) >= self.batch_size:
                self._flush(rows, problems)
                rows, problems = [], []
        if rows or problems:
            self._flush(rows, problems)
        return self.stats

    def _flush(self, rows: list[HistoryRow], problems: list[Problem]) -> None:
        if rows:
            with transaction.atomic():
                users, user_problems = self._resolve_users(rows)
                rows = [row for row in rows if row.user in users]
                tracks, track_problems, learned = self._resolve_tracks(rows)
                services.listening_bulk_record(
                    events=(
                        {
                            "user_id": users[row.user],
                            "track_id": track_id,
                            "listened_at": row.listened_at,
                            "ms_played": row.ms_played,
                            "play_count": row.plays,
                            "source": self.source,
                        }
                        for row, track_id in zip(rows, tracks, strict=True)
                        if track_id is not None
                    )
                )
            # Only now that the batch is committed may later batches rely on what it stored.
            self._users.remember(users.items())
            self._track_ids.remember(learned["ids"].items())
            self._track_names.remember(learned["names"].items())
            problems = problems + user_problems + track_problems
            self.stats.rows += sum(1 for track_id in tracks if track_id is not None)
            self.stats.tracks_created += learned["created"]
        self.stats.bad += len(problems)
        for problem in sorted(problems, key=lambda p: p.line):
            self.on_problem(problem)
        self.stats.batches += 1
        # With DEBUG on, Django keeps every query's SQL; bulk inserts would pile up megabytes.
        reset_queries()
        self.on_batch(self.stats)

    def _resolve_users(self, rows: list[HistoryRow]) -> tuple[dict[str, object], list[Problem]]:
        users: dict[str, object] = {}
        missing = set()
        for key in {row.user for row in rows}:
            user_id = self._users.lookup(key)
            if user_id is None:
                missing.add(key)
            else:
                users[key] = user_id
        problems = []
        if missing:
            found, created = users_bulk_get_or_create(keys=missing)
            users.update(found)
            self.stats.users_created += created
            problems = [
                Problem(row.line, f"could not create user {row.user!r}") for row in rows if row.user not in users
            ]
        return users, problems

    def _resolve_tracks(self, rows: list[HistoryRow]) -> tuple[list[int | None], list[Problem], dict]:
        """Each row's track: by Spotify id, else by name and first artist, else created."""
        by_id: dict[str, int] = {}
        unknown_ids = set()
        for spotify_id in {row.track_id for row in rows if row.track_id}:
            pk = self._track_ids.lookup(spotify_id)
            if pk is None:
                unknown_ids.add(spotify_id)
            else:
                by_id[spotify_id] = pk
        fetched = _tracks_by_spotify_id(unknown_ids)
        by_id.update(fetched)

        by_name: dict[tuple[str, str], int] = {}
        wanted: dict[tuple[str, str], tuple[str, str]] = {}
        for row in rows:
            key = row.name_key
            if key is None or row.track_id in by_id or key in by_name or key in wanted:
                continue
            pk = self._track_names.lookup(key)
            if pk is None:
                wanted[key] = (row.name, row.artists[0])
            else:
                by_name[key] = pk
        named = _tracks_by_name(wanted) if wanted else {}
        by_name.update(named)

        # What is still unknown is created: one track per name and first artist, under the
        # row's Spotify id when it has one, else a local id.
        specs: dict[tuple[str, str], dict] = {}
        for row in rows:
            key = row.name_key
            if row.track_id in by_id or key is None or key in by_name:
                continue
            spec = specs.get(key)
            if spec is None:
                specs[key] = {
                    "spotify_id": row.track_id or services.local_id(),
                    "name": row.name,
                    "artists": [{"name": artist} for artist in row.artists],
                    "album": row.album,
                    "genres": row.genres,
                    "origin": "import",
                }
            elif spec["spotify_id"].startswith("local:") and row.track_id:
                spec["spotify_id"] = row.track_id
        stored = services.tracks_bulk_store(tracks=list(specs.values())) if specs else {}
        for key, spec in specs.items():
            by_name[key] = stored[spec["spotify_id"]]
        by_id.update(stored)

        tracks: list[int | None] = []
        problems: list[Problem] = []
        for row in rows:
            pk = by_id.get(row.track_id) if row.track_id else None
            if pk is None and row.name_key is not None:
                pk = by_name.get(row.name_key)
            if pk is None:
                problems.append(
                    Problem(
                        row.line,
                        f"track_id {row.track_id!r} is not in the catalogue, and without a "
                        "track name and artist the track cannot be created",
                    )
                )
            tracks.append(pk)
        # What the database told us (or we stored), for the caches once the batch commits.
        learned = {
            "ids": {**fetched, **stored},
            "names": {**named, **{key: by_name[key] for key in specs}},
            "created": len(specs),
        }
        return tracks, problems, learned

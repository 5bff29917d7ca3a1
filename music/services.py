"""Writes for the catalog, favorites and listening history."""

import re
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import User
from accounts.services import normalize_genres
from core.background import enqueue
from core.errors import NotFound, ServiceUnavailable
from core.sql import chunked, lower_variants
from music import selectors, spotify
from music.models import Artist, FavoriteTrack, Genre, ListeningEvent, Track, TrackArtist

SPOTIFY_ID = re.compile(r"^[0-9A-Za-z]{22}$")
# A track's id, whatever its origin: Spotify's 22 characters, "local:<32 hex>" for tracks only an
# import knows, "upload:<32 hex>" for uploaded files. Every endpoint keyed on `spotify_id` takes
# all three.
TRACK_ID = re.compile(r"^(?:[0-9A-Za-z]{22}|(?:local|upload):[0-9a-f]{32})$")
TRACK_ID_RULE = "A track id is a Spotify id (22 letters and digits), local:<32 hex digits> or upload:<32 hex digits>."


def is_spotify_id(value: str) -> bool:
    # fullmatch: with match, "$" would also accept a trailing newline.
    return bool(SPOTIFY_ID.fullmatch(value or ""))


def is_track_id(value: str) -> bool:
    return bool(TRACK_ID.fullmatch(value or ""))


def local_id() -> str:
    return f"local:{uuid.uuid4().hex}"


def genres_get_or_create(*, names: Iterable[str]) -> list[Genre]:
    """Genre rows for the given names (normalised), creating the missing ones."""
    wanted = normalize_genres(list(names))
    if not wanted:
        return []
    Genre.objects.bulk_create([Genre(name=n[:100]) for n in wanted], ignore_conflicts=True)
    by_name = {g.name: g for g in Genre.objects.filter(name__in=[n[:100] for n in wanted])}
    return [by_name[n[:100]] for n in wanted if n[:100] in by_name]


def artist_store(*, spotify_id: str | None, name: str, genres: list[str] | None = None, image_url: str = "") -> Artist:
    """Finds or creates an artist (by Spotify id, else by exact name among local artists)."""
    artist = None
    if spotify_id:
        artist = Artist.objects.filter(spotify_id=spotify_id).first()
    else:
        artist = Artist.objects.filter(name__iexact=name, spotify_id__startswith="local:").first()
    if artist is None:
        try:
            with transaction.atomic():
                artist = Artist.objects.create(spotify_id=spotify_id or local_id(), name=name[:300])
        except IntegrityError:  # a concurrent store won the race for this Spotify id
            artist = Artist.objects.get(spotify_id=spotify_id)
    changed = []
    if image_url and artist.image_url != image_url:
        artist.image_url = image_url[:500]
        changed.append("image_url")
    if changed:
        artist.save(update_fields=changed)
    if genres:
        artist.genres.add(*genres_get_or_create(names=genres))
    return artist


def track_genres_refresh(*, track: Track) -> None:
    """A track's genres include its artists' genres; adds those the artists gained since."""
    artist_genres = Genre.objects.filter(artists__tracks=track).distinct()
    track.genres.add(*artist_genres)


def _default_origin(spotify_id: str | None) -> str:
    """Spotify's ids come from Spotify; tracks with a made-up local id from an import."""
    return Track.Origin.SPOTIFY if spotify_id and is_spotify_id(spotify_id) else Track.Origin.IMPORT


@transaction.atomic
def track_store(
    *,
    spotify_id: str | None,
    name: str,
    artists: list[dict],
    album: str = "",
    duration_ms: int = 0,
    image_url: str = "",
    audio_url: str = "",
    genres: list[str] | None = None,
    popularity: int = 0,
    origin: str = "",
) -> Track:
    """Creates a track, or returns the stored one with that Spotify id unchanged.

    `artists` is a list of {"name", "spotify_id"?, "genres"?} in credited order. The
    track's genres are the given ones plus its artists' genres.
    """
    if spotify_id:
        existing = Track.objects.filter(spotify_id=spotify_id).first()
        if existing is not None:
            return existing
    track = Track.objects.create(
        spotify_id=spotify_id or local_id(),
        name=name[:300],
        album=album[:300],
        duration_ms=max(0, int(duration_ms or 0)),
        image_url=image_url[:500],
        audio_url=audio_url[:500],
        popularity=max(0, min(100, int(popularity or 0))),
        origin=origin or _default_origin(spotify_id),
    )
    for position, credit in enumerate(artists):
        artist = artist_store(
            spotify_id=credit.get("spotify_id"),
            name=credit["name"],
            genres=credit.get("genres"),
            image_url=credit.get("image_url", ""),
        )
        TrackArtist.objects.get_or_create(track=track, artist=artist, defaults={"position": position})
    if genres:
        track.genres.add(*genres_get_or_create(names=genres))
    track_genres_refresh(track=track)
    return track


def track_artists_set(*, track: Track, names: list[str]) -> None:
    """Credits exactly these artists (local ones, by name), in this order; the track's genres
    gain the new artists' genres (those it had stay)."""
    track.credits.all().delete()
    for position, name in enumerate(names):
        artist = artist_store(spotify_id=None, name=name)
        TrackArtist.objects.get_or_create(track=track, artist=artist, defaults={"position": position})
    track_genres_refresh(track=track)


def favorite_add(*, user: User, track: Track) -> tuple[FavoriteTrack, bool]:
    """Adds a favorite; adding it again returns the existing row (one row, no error)."""
    return FavoriteTrack.objects.get_or_create(user=user, track=track)


def favorite_remove(*, user: User, spotify_id: str) -> bool:
    deleted, _ = FavoriteTrack.objects.filter(user=user, track__spotify_id=spotify_id).delete()
    return bool(deleted)


def listening_record(
    *,
    user: User,
    track: Track,
    room_id: uuid.UUID | None = None,
    listened_at: datetime | None = None,
    ms_played: int = 0,
    play_count: int = 1,
    source: str = ListeningEvent.Source.ROOM,
    liked: bool = False,
) -> bool:
    """Records one listen; returns False if the same (user, track, moment) is already there.

    Idempotent on purpose: two server processes noticing the same play, or a retried
    task, store one event.
    """
    event = ListeningEvent(
        user=user,
        track=track,
        room_id=room_id,
        listened_at=listened_at or timezone.now(),
        ms_played=max(0, int(ms_played)),
        play_count=max(1, int(play_count)),
        source=source,
        liked=liked,
    )
    ListeningEvent.objects.bulk_create([event], ignore_conflicts=True)
    # The id is made client-side, so it is in the table only if this insert won.
    return ListeningEvent.objects.filter(pk=event.pk).exists()


# Last.fm's scrobble rule: tracks over 30 s count once heard for half their length or 4 minutes.
MIN_TRACK_MS = 30_000
MAX_REQUIRED_MS = 240_000


def heard_enough(duration_ms: int, heard_ms: int) -> bool:
    return duration_ms > MIN_TRACK_MS and heard_ms >= min(duration_ms // 2, MAX_REQUIRED_MS)


def listening_record_play(
    *,
    user: User,
    spotify_id: str,
    room_id: uuid.UUID,
    started_at: datetime,
    present_from: datetime,
    until: datetime,
    liked: bool = False,
) -> bool:
    """Records a listen of the play of `spotify_id` that began at `started_at` in a room, for
    someone present from `present_from` until `until`, if they heard enough of it
    (`heard_enough`). Returns whether a listen was stored. `liked`: they reacted with a like
    during the play (the room socket asks rooms; a like after this sets it, `listening_mark_liked`).

    Keyed on the play's start: every socket and server process of this user that heard the
    play stores one event.
    """
    track = Track.objects.filter(spotify_id=spotify_id).first()
    if track is None:
        return False
    heard_from = max(started_at, present_from)
    end = min(until, started_at + timedelta(milliseconds=track.duration_ms))
    heard_ms = int((end - heard_from).total_seconds() * 1000)
    if not heard_enough(track.duration_ms, heard_ms):
        return False
    return listening_record(
        user=user, track=track, room_id=room_id, listened_at=started_at, ms_played=heard_ms, liked=liked
    )


def listening_mark_liked(*, user: User, track: Track, room_id: uuid.UUID, started_at: datetime) -> int:
    """Marks the listen of the play that began at `started_at` as liked, if it is stored yet.

    A room listen is keyed on the play's start in whole milliseconds (what the socket hears),
    so the play's exact start matches the listen stored within that millisecond.
    """
    start = started_at.replace(microsecond=started_at.microsecond // 1000 * 1000)
    return ListeningEvent.objects.filter(
        user=user,
        track=track,
        room_id=room_id,
        listened_at__gte=start,
        listened_at__lt=start + timedelta(milliseconds=1),
        liked=False,
    ).update(liked=True)


def spotify_unavailable(exc: spotify.SpotifyUnavailable) -> ServiceUnavailable:
    """Spotify's failure to answer for a track TuneWave lacks, as the error callers raise (503)."""
    return ServiceUnavailable(
        f"TuneWave does not have this track and cannot ask Spotify now. {exc}", retry_after=exc.retry_after
    )


def track_for_id(*, spotify_id: str, user: User | None = None) -> Track:
    """The track for favorites and queues: stored, else fetched from Spotify; 404 or 503.

    Someone else's upload is a 404 too, unless `user` may see it (selectors.track_visible_q)."""
    try:
        track = track_get_or_fetch(spotify_id=spotify_id)
    except spotify.SpotifyUnavailable as exc:
        raise spotify_unavailable(exc) from exc
    if track is None or not selectors.track_is_visible(track=track, user=user):
        raise NotFound("No track with that id.")
    return track


def track_get_or_fetch(*, spotify_id: str) -> Track | None:
    """The track from the database, else from Spotify (stored now), prefetched for TrackBase.

    None when neither knows it; without Spotify credentials an id the database lacks is
    simply unknown. Raises spotify.SpotifyUnavailable when Spotify cannot answer now.
    """
    track = selectors.track_find(spotify_id=spotify_id)
    # Local and upload ids are TuneWave's own: Spotify cannot know them.
    if track is not None or not spotify.is_configured() or not is_spotify_id(spotify_id):
        return track
    data = spotify.fetch_track(spotify_id)
    if data is None:
        return None
    _track_store_new(data=data)
    return selectors.track_find(spotify_id=spotify_id)


def track_create(
    *,
    spotify_id: str,
    name: str = "",
    artists: list[str] | None = None,
    album: str = "",
    duration_ms: int | None = None,
    genres: list[str] | None = None,
    image_url: str = "",
    audio_url: str = "",
) -> tuple[Track | None, bool]:
    """`POST /track/`: returns (track, created).

    A stored id returns the stored track unchanged. Otherwise a body that names the track
    and its artists creates it without asking anyone (offline); a thinner body is
    completed from Spotify, the given fields taking precedence. (None, False) when the
    track is unknown and Spotify cannot be asked or does not know it either.
    Raises spotify.SpotifyUnavailable when Spotify cannot answer now.
    """
    track = selectors.track_find(spotify_id=spotify_id)
    if track is not None:
        return track, False
    given: dict = {key: value for key, value in {"name": name, "album": album}.items() if value}
    given |= {key: value for key, value in {"image_url": image_url, "audio_url": audio_url}.items() if value}
    if duration_ms is not None:
        given["duration_ms"] = duration_ms
    if artists:
        given["artists"] = [{"name": artist} for artist in artists]
    if name and artists:
        data = {"spotify_id": spotify_id, **given}
    elif spotify.is_configured():
        fetched = spotify.fetch_track(spotify_id)
        if fetched is None:
            return None, False
        data = {**fetched, **given}
    else:
        return None, False
    created = _track_store_new(data=data, genres=genres)
    return selectors.track_find(spotify_id=spotify_id), created


def _track_store_new(*, data: dict, genres: list[str] | None = None) -> bool:
    """Stores a track the database lacked; False if a concurrent request stored it first."""
    try:
        with transaction.atomic():
            track = track_store(**data, genres=genres)
            _artists_enrich_later(track=track)
    except IntegrityError:
        # Both requests saw no track and both inserted; the other one's row stands.
        return False
    return True


def _artists_enrich_later(*, track: Track) -> None:
    """Enqueues genre and image enrichment of the track's Spotify artists, on commit."""
    artist_ids = list(
        track.artists.filter(enriched_at__isnull=True)
        .exclude(spotify_id__startswith="local:")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not artist_ids:
        return

    def enqueue_enrichment() -> None:
        enqueue("music.tasks.enrich_artists", args=[artist_ids])  # by name: music.tasks imports this module

    # robust=True as well: an eager run that fails must not fail the request that stored the
    # track; enrich_pending catches up later. (A named function: Django logs its name.)
    transaction.on_commit(enqueue_enrichment, robust=True)


def artists_pending_enrichment(*, limit: int) -> list[int]:
    """Ids of Spotify artists never enriched, oldest first (for the periodic sweep)."""
    return list(
        Artist.objects.filter(enriched_at__isnull=True)
        .exclude(spotify_id__startswith="local:")
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def artists_enrich(*, artist_ids: list[int]) -> int:
    """Stores Spotify's genres and image for these artists and adds the genres to their tracks.

    Local artists and those enriched within SPOTIFY_ENRICH_MAX_AGE_DAYS are skipped, so a
    second run asks Spotify nothing. Each batch of 50 commits on its own: a failure keeps
    the batches already done. Returns how many artists were enriched; 0 without Spotify
    credentials. Raises spotify.SpotifyUnavailable.
    """
    if not spotify.is_configured():
        return 0
    stale = timezone.now() - timedelta(days=settings.SPOTIFY_ENRICH_MAX_AGE_DAYS)
    artists = list(
        Artist.objects.filter(pk__in=artist_ids)
        .exclude(spotify_id__startswith="local:")
        .filter(Q(enriched_at__isnull=True) | Q(enriched_at__lt=stale))
        .order_by("pk")
    )
    for start in range(0, len(artists), spotify.ARTISTS_PER_CALL):
        batch = artists[start : start + spotify.ARTISTS_PER_CALL]
        # An id Spotify cannot parse would fail the whole request: such artists are not asked.
        askable = [artist.spotify_id for artist in batch if is_spotify_id(artist.spotify_id)]
        answers = spotify.fetch_artists(askable) if askable else []
        _artists_enriched_store(artists=batch, answers=answers)
    return len(artists)


@transaction.atomic
def _artists_enriched_store(*, artists: list[Artist], answers: list[dict]) -> None:
    """Artists Spotify did not return are marked enriched too: asking again changes nothing."""
    for answer in answers:
        artist_store(**answer)
    now = timezone.now()
    Artist.objects.filter(pk__in=[artist.pk for artist in artists]).update(enriched_at=now)
    tracks = list(Track.objects.filter(artists__in=artists).distinct())
    for track in tracks:
        track_genres_refresh(track=track)
    Track.objects.filter(pk__in=[track.pk for track in tracks]).update(enriched_at=now)


# --- Bulk writes: the demo catalogue and listening-history imports ---------------------
#
# The per-row services above spend several queries on each track. These apply the same
# rules to thousands of rows with a few queries per call, and are idempotent: rows that
# exist are left as they are, so running the same load again adds nothing.

# `IN (...)` filters in chunks, and case-insensitive lookups alike on both databases.
_chunked = chunked


def genre_ids_get_or_create(*, names: Iterable[str]) -> dict[str, int]:
    """{normalised name: pk} for these genre names, creating the missing ones."""
    wanted = [name[:100] for name in normalize_genres(list(names))]
    ids: dict[str, int] = {}
    for chunk in _chunked(wanted):
        ids.update(Genre.objects.filter(name__in=chunk).order_by().values_list("name", "pk"))
    missing = [name for name in wanted if name not in ids]
    if missing:
        Genre.objects.bulk_create([Genre(name=name) for name in missing], ignore_conflicts=True)
        for chunk in _chunked(missing):
            ids.update(Genre.objects.filter(name__in=chunk).order_by().values_list("name", "pk"))
    return ids


def _artist_key(credit: dict) -> tuple[str, str]:
    spotify_id = credit.get("spotify_id")
    return ("id", spotify_id) if spotify_id else ("name", credit["name"].strip()[:300].lower())


def _artists_bulk_store(*, credits: list[dict]) -> dict[tuple[str, str], int]:
    """Artists for these credits by _artist_key, created where missing; the rule of artist_store.

    A credit with a Spotify id is that artist; one without is the local artist of that name
    (case-insensitive), because two real artists may share a name and only ids tell them apart.
    """
    by_id: dict[str, dict] = {}
    by_name: dict[str, dict] = {}
    for credit in credits:
        kind, key = _artist_key(credit)
        (by_id if kind == "id" else by_name).setdefault(key, credit)
    found: dict[tuple[str, str], int] = {}

    def load_ids(spotify_ids: Iterable[str]) -> None:
        for chunk in _chunked(spotify_ids):
            for spotify_id, pk in (
                Artist.objects.filter(spotify_id__in=chunk).order_by().values_list("spotify_id", "pk")
            ):
                found[("id", spotify_id)] = pk

    load_ids(by_id)
    missing = [credit for key, credit in by_id.items() if ("id", key) not in found]
    if missing:
        Artist.objects.bulk_create(
            [
                Artist(spotify_id=c["spotify_id"], name=c["name"].strip()[:300], image_url=c.get("image_url", "")[:500])
                for c in missing
            ],
            ignore_conflicts=True,
            batch_size=500,
        )
        load_ids(c["spotify_id"] for c in missing)

    local = Artist.objects.filter(spotify_id__startswith="local:").alias(lname=Lower("name"))
    for chunk in _chunked(lower_variants(c["name"].strip()[:300] for c in by_name.values())):
        for name, pk in local.filter(lname__in=chunk).order_by().values_list("name", "pk"):
            name_key = ("name", name.lower())
            if name_key[1] in by_name:
                found[name_key] = min(pk, found.get(name_key, pk))
    new = [
        Artist(spotify_id=local_id(), name=credit["name"].strip()[:300])
        for key, credit in by_name.items()
        if ("name", key) not in found
    ]
    if new:
        Artist.objects.bulk_create(new, batch_size=500)
        names = {artist.spotify_id: artist.name.lower() for artist in new}
        for chunk in _chunked(names):
            for spotify_id, pk in (
                Artist.objects.filter(spotify_id__in=chunk).order_by().values_list("spotify_id", "pk")
            ):
                found[("name", names[spotify_id])] = pk

    artist_genres = {
        (found[_artist_key(credit)], name)
        for credit in credits
        for name in normalize_genres(credit.get("genres") or [])
    }
    if artist_genres:
        genre_ids = genre_ids_get_or_create(names={name for _, name in artist_genres})
        through = Artist.genres.through
        through.objects.bulk_create(
            [through(artist_id=artist, genre_id=genre_ids[name]) for artist, name in sorted(artist_genres)],
            ignore_conflicts=True,
            batch_size=1000,
        )
    return found


@transaction.atomic
def tracks_bulk_store(*, tracks: list[dict]) -> dict[str, int]:
    """Stores many tracks at once; returns {spotify_id: pk} for every track given.

    Each dict takes track_store's keyword arguments, but `spotify_id` is required (use
    local_id() for tracks Spotify does not know). As with track_store, a stored track is
    left unchanged; a new one gets its artists, in credited order, and its genres: the
    given ones plus its artists'.
    """
    specs: dict[str, dict] = {}
    for spec in tracks:
        specs.setdefault(spec["spotify_id"], spec)
    ids: dict[str, int] = {}
    for chunk in _chunked(specs):
        ids.update(Track.objects.filter(spotify_id__in=chunk).order_by().values_list("spotify_id", "pk"))
    new = [spec for spotify_id, spec in specs.items() if spotify_id not in ids]
    if not new:
        return ids

    artist_ids = _artists_bulk_store(credits=[credit for spec in new for credit in spec["artists"]])
    genre_ids = genre_ids_get_or_create(names=[name for spec in new for name in spec.get("genres") or []])
    Track.objects.bulk_create(
        [
            Track(
                spotify_id=spec["spotify_id"],
                name=spec["name"][:300],
                album=spec.get("album", "")[:300],
                duration_ms=max(0, int(spec.get("duration_ms") or 0)),
                image_url=spec.get("image_url", "")[:500],
                audio_url=spec.get("audio_url", "")[:500],
                popularity=max(0, min(100, int(spec.get("popularity") or 0))),
                origin=spec.get("origin") or _default_origin(spec["spotify_id"]),
            )
            for spec in new
        ],
        ignore_conflicts=True,  # a concurrent load may have stored some meanwhile
        batch_size=500,
    )
    created: dict[str, int] = {}
    for chunk in _chunked(spec["spotify_id"] for spec in new):
        created.update(Track.objects.filter(spotify_id__in=chunk).order_by().values_list("spotify_id", "pk"))

    credits: list[TrackArtist] = []
    track_genres: set[tuple[int, int]] = set()
    for spec in new:
        track_id = created[spec["spotify_id"]]
        credited: set[int] = set()
        for position, credit in enumerate(spec["artists"]):
            artist_id = artist_ids[_artist_key(credit)]
            if artist_id not in credited:
                credited.add(artist_id)
                credits.append(TrackArtist(track_id=track_id, artist_id=artist_id, position=position))
        for name in normalize_genres(spec.get("genres") or []):
            track_genres.add((track_id, genre_ids[name[:100]]))
    # The artists' genres, as track_genres_refresh adds them.
    artist_genres: dict[int, list[int]] = {}
    for chunk in _chunked({credit.artist_id for credit in credits}):
        rows = Artist.genres.through.objects.filter(artist_id__in=chunk).order_by().values_list("artist_id", "genre_id")
        for artist_id, genre_id in rows:
            artist_genres.setdefault(artist_id, []).append(genre_id)
    for credit in credits:
        track_genres.update((credit.track_id, genre_id) for genre_id in artist_genres.get(credit.artist_id, ()))

    TrackArtist.objects.bulk_create(credits, ignore_conflicts=True, batch_size=1000)
    through = Track.genres.through
    through.objects.bulk_create(
        [through(track_id=track, genre_id=genre) for track, genre in sorted(track_genres)],
        ignore_conflicts=True,
        batch_size=1000,
    )
    return ids | created


def favorites_bulk_add(*, pairs: Iterable[tuple[uuid.UUID, int]]) -> None:
    """Adds (user id, track pk) favorites; those already there stay as they are."""
    FavoriteTrack.objects.bulk_create(
        [FavoriteTrack(user_id=user_id, track_id=track_id) for user_id, track_id in pairs],
        ignore_conflicts=True,
        batch_size=1000,
    )


def listening_bulk_record(*, events: Iterable[dict]) -> None:
    """Stores many listens at once (imports, demo data), as listening_record stores one.

    Each event is a dict of user_id, track_id, listened_at and optionally ms_played,
    play_count, source, room_id and id. An event whose (user, track, listened_at) is
    already there is skipped, so loading the same history twice adds nothing.

    A million-row import spends most of its time here. bulk_create builds a model instance
    and compiles every value of every row (about four times the cost of the insert itself),
    so this runs one prepared INSERT ... ON CONFLICT DO NOTHING (SQLite >= 3.24 and
    PostgreSQL) over all rows, with each value adapted by its model field as the ORM would.
    """
    concrete = {key: f for f in ListeningEvent._meta.concrete_fields for key in (f.name, f.attname)}
    fields = [concrete[name] for name in _EVENT_COLUMNS]
    connection = connections[router.db_for_write(ListeningEvent)]
    quote = connection.ops.quote_name
    # django-stubs type Field.column as optional; a concrete field always has one.
    columns = ", ".join(quote(f.column) for f in fields)  # type: ignore[arg-type]
    sql = (
        f"INSERT INTO {quote(ListeningEvent._meta.db_table)} ({columns}) "  # noqa: S608 - names from the model, values bound
        f"VALUES ({', '.join(['%s'] * len(fields))}) ON CONFLICT DO NOTHING"
    )
    prepare = [field.get_db_prep_save for field in fields]
    rows = []
    for event in events:
        values = (
            event.get("id") or uuid.uuid4(),
            event["user_id"],
            event["track_id"],
            event.get("room_id"),
            event["listened_at"],
            max(0, int(event.get("ms_played") or 0)),
            max(1, int(event.get("play_count") or 1)),
            event.get("source") or ListeningEvent.Source.IMPORT,
        )
        rows.append([prep(value, connection) for prep, value in zip(prepare, values, strict=True)])
    if rows:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.executemany(sql, rows)


_EVENT_COLUMNS = ("id", "user", "track", "room_id", "listened_at", "ms_played", "play_count", "source")

"""Writes: the precompute (learned neighbours, lists, room tastes) and the room index.

`recommendations_recompute` is the one heavy job: it reads every listen once, learns with
`engine` (numpy/scipy) and replaces the stored results in one transaction, so readers see
the old model or the new one, never half of each. The Celery beat job and
`manage.py recompute_recommendations` both call it.
"""

from __future__ import annotations

import functools
import logging
import resource
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timedelta

import numpy as np
import scipy.sparse as sp
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import CharField
from django.db.models.functions import Cast
from django.utils import timezone
from threadpoolctl import threadpool_limits

from music.models import ListeningEvent, Track, TrackArtist
from recommendations import engine, evaluation, room_index, served, tastes
from recommendations.models import (
    ModelBuild,
    RoomTaste,
    TrackList,
    TrackNeighbors,
    UserNeighbors,
    pack_counts,
    pack_floats,
    pack_ints,
)
from rooms.models import Room

logger = logging.getLogger(__name__)

# Learned settings; bench/tune_recommendations.py shows how they were chosen.
ITEM_MODEL = engine.ItemModelParams()
# Self-tuning (see _tune): which item model and blend serve is chosen on each run from this
# deployment's own listening, within these bounds (60 s, the last quarter for blends, 2,000
# held-out listeners); ITEM_MODEL and SERVED_BLEND are the fallback.
TUNING = evaluation.TuningSettings()
# Blends the tuning tries on the best item model (the first scores every item model); the chosen
# one is recorded in the build's figures and served with it (served.blend()).
SERVED_BLEND = served.DEFAULT_BLEND
TUNING_BLENDS = evaluation.tuning_blends(SERVED_BLEND)
USER_FACTORS = 48
USER_NEIGHBORS = 30
# Per list: the overall popular list and one per genre.
POPULAR_LENGTH = 300
GENRE_LIST_LENGTH = 200
# A room's recent taste: its last plays within this window, at most this many.
ROOM_WINDOW = timedelta(days=14)
ROOM_RECENT_PLAYS = 100
# Rows per INSERT when storing results.
WRITE_BATCH = 2000
# BLAS threads for the precompute. One: on a shared machine OpenBLAS threads that wait for
# each other made QR and SVD four times slower, and a background job must leave cores to requests.
BLAS_THREADS = 1
# Only one recompute at a time, across processes (the lock lives in the shared cache).
LOCK_KEY = "rec:recompute:lock"
LOCK_SECONDS = 2 * 3600

Progress = Callable[[str, float], None]


def _quiet(step: str, fraction: float) -> None:
    return None


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _rows(queryset, chunk: int = 100_000):
    """Streams a values_list queryset's raw rows in batches (server-side on PostgreSQL), without
    the ORM turning each row into Python objects field by field."""
    sql, params = queryset.query.sql_with_params()
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(chunk):
            yield batch


def load_plays(progress: Progress = _quiet) -> tuple[sp.csr_matrix, list, np.ndarray, sp.csr_matrix]:
    """(users x tracks summed plays, user ids, track pks, ages) from every listening event.

    Ages have the sparsity of the plays: days from a pair's last listen to the newest listen.

    Events are streamed as they are and summed here (a sparse matrix adds up duplicates):
    that spares the database a sort of the whole table. User ids come as text, which makes
    cheaper dictionary keys than UUID objects.
    """
    total = ListeningEvent.objects.count() or 1
    events = ListeningEvent.objects.order_by().values_list(
        Cast("user", output_field=CharField()), "track_id", "play_count", "listened_at"
    )
    user_index: dict[str, int] = {}
    u_parts, t_parts, p_parts, s_parts = [], [], [], []
    seen = 0
    for batch in _rows(events):
        user_col, track_col, plays_col, when_col = zip(*batch, strict=True)
        u_parts.append(np.fromiter((user_index.setdefault(u, len(user_index)) for u in user_col), np.int64, len(batch)))
        t_parts.append(np.asarray(track_col, dtype=np.int64))
        p_parts.append(np.asarray(plays_col, dtype=np.float32))
        s_parts.append(np.fromiter((_epoch(when) for when in when_col), np.float64, len(batch)))
        seen += len(batch)
        progress("reading listens", min(1.0, seen / total))
    users = list(user_index)
    if not u_parts:
        # scipy-stubs give an empty (rows, cols) matrix only float64; scipy takes any dtype.
        empty = sp.csr_matrix((0, 0), dtype=np.float32)  # type: ignore[arg-type]
        return empty, [], np.zeros(0, dtype=np.int64), empty
    track_pks, t_index = np.unique(np.concatenate(t_parts), return_inverse=True)
    u = np.concatenate(u_parts)
    shape = (len(users), track_pks.size)
    X = sp.csr_matrix((np.concatenate(p_parts), (u, t_index)), shape=shape)
    X.sum_duplicates()
    X.sort_indices()
    # Each pair's newest listen: sort by pair then time, keep each pair's last row.
    stamp = np.concatenate(s_parts)
    order = np.lexsort((stamp, t_index, u))
    pair = u[order] * shape[1] + t_index[order]
    last = order[np.r_[pair[1:] != pair[:-1], True]]
    # + a microsecond keeps the newest pair's age an explicit entry, so both matrices match.
    age_data = (stamp.max() - stamp[last]) / 86400.0 + 1e-6
    age = sp.csr_matrix((age_data, (u[last], t_index[last])), shape=shape)
    age.sort_indices()
    return X, users, track_pks, age


def _epoch(value) -> float:
    # SQLite may hand back text for a datetime in a raw query; PostgreSQL gives aware datetimes.
    return value.timestamp() if hasattr(value, "timestamp") else datetime.fromisoformat(str(value)).timestamp()


def _uuid(value):
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _track_genre_pairs() -> tuple[np.ndarray, np.ndarray]:
    """(track pk, genre pk) for every track, as two arrays (one pass over the through table)."""
    through = Track.genres.through.objects.order_by().values_list("track_id", "genre_id")
    parts = [np.asarray(batch, dtype=np.int64).reshape(-1, 2) for batch in _rows(through)]
    pairs = np.concatenate(parts) if parts else np.zeros((0, 2), np.int64)
    return pairs[:, 0], pairs[:, 1]


def _track_artist_pairs() -> tuple[np.ndarray, np.ndarray]:
    credits = TrackArtist.objects.order_by().values_list("track_id", "artist_id")
    parts = [np.asarray(batch, dtype=np.int64).reshape(-1, 2) for batch in _rows(credits)]
    pairs = np.concatenate(parts) if parts else np.zeros((0, 2), np.int64)
    return pairs[:, 0], pairs[:, 1]


def _ranked_lists(
    keys: np.ndarray, tracks: np.ndarray, scores: np.ndarray, length: int
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Per key, its `length` tracks with the highest scores (vectorized: one sort for all keys)."""
    order = np.lexsort((tracks, -scores, keys))
    keys, tracks, scores = keys[order], tracks[order], scores[order]
    starts = np.r_[0, np.flatnonzero(keys[1:] != keys[:-1]) + 1]
    rank = np.arange(keys.size) - np.repeat(starts, np.diff(np.r_[starts, keys.size]))
    keep = rank < length
    keys, tracks, scores = keys[keep], tracks[keep], scores[keep]
    bounds = np.r_[0, np.flatnonzero(keys[1:] != keys[:-1]) + 1, keys.size]
    return {int(keys[a]): (tracks[a:b], scores[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a}


ROOM_TASTE_COLUMNS = ["room", "genre_ids", "genre_weights", "artist_ids", "artist_weights", "plays"]


def _room_tastes(genre_pairs, artist_pairs, progress: Progress) -> tuple[list[str], list[tuple]]:
    """Each open room's recent plays as genre and artist weights (newer plays weigh more)."""
    since = timezone.now() - ROOM_WINDOW
    open_rooms = {str(pk) for pk in Room.objects.filter(closed_at__isnull=True).values_list("pk", flat=True)}
    # Without an index on room_id this scans the window; it runs here, once an hour, not in requests.
    events = (
        ListeningEvent.objects.filter(room_id__isnull=False, listened_at__gte=since)
        .order_by("room_id", "-listened_at")
        .values_list("room_id", "track_id")
    )
    index: dict = {}
    room_parts, track_parts = [], []
    for batch in _rows(events):
        room_col, track_col = zip(*batch, strict=True)
        room_parts.append(np.fromiter((index.setdefault(r, len(index)) for r in room_col), np.int64, len(batch)))
        track_parts.append(np.asarray(track_col, dtype=np.int64))
    progress("room tastes", 0.5)
    if not room_parts:
        return ROOM_TASTE_COLUMNS, []
    rooms = np.concatenate(room_parts)
    tracks = np.concatenate(track_parts)
    # Rows come newest first within each room: the rank is the position in the room's run.
    starts = np.r_[0, np.flatnonzero(rooms[1:] != rooms[:-1]) + 1]
    rank = np.arange(rooms.size) - np.repeat(starts, np.diff(np.r_[starts, rooms.size]))
    keep = rank < ROOM_RECENT_PLAYS
    rooms, tracks, rank = rooms[keep], tracks[keep], rank[keep]
    weights = 1.0 / (1.0 + rank / 20.0)
    n_rooms = len(index)
    matrices = []
    for pair_t, pair_f in (genre_pairs, artist_pairs):
        space, inverse = np.unique(np.r_[tracks, pair_t], return_inverse=True)
        plays = sp.csr_matrix((weights, (rooms, inverse[: tracks.size])), shape=(n_rooms, space.size))
        features = sp.csr_matrix(
            (np.ones(pair_t.size, np.float32), (inverse[tracks.size :], pair_f)),
            shape=(space.size, int(pair_f.max(initial=0)) + 1),
        )
        matrices.append((plays @ features).tocsr())
    genres_m, artists_m = matrices
    plays_per_room = np.bincount(rooms, minlength=n_rooms)
    tastes = []
    for position, key in enumerate(index):  # one row per room (thousands), building the rows to store
        room_id = _uuid(key)
        if str(room_id) not in open_rooms:
            continue
        g, a = genres_m[position], artists_m[position]
        # The strongest artists only: a profile is a summary, not the room's whole history.
        top = np.argsort(-a.data, kind="stable")[:50]
        tastes.append(
            (
                room_id,
                pack_ints(g.indices),
                pack_floats(g.data),
                pack_ints(a.indices[top]),
                pack_floats(a.data[top]),
                int(plays_per_room[position]),
            )
        )
    progress("room tastes", 1.0)
    return ROOM_TASTE_COLUMNS, tastes


def recommendations_recompute(*, progress: Progress = _quiet) -> ModelBuild:
    """Learns the item and user neighbours, the popular lists and room tastes; replaces the stored ones.

    Returns the finished ModelBuild (status failed, with the error in figures, if it raised).
    """
    build = ModelBuild.objects.create()
    started = time.perf_counter()
    timings: dict[str, float] = {}
    try:
        with threadpool_limits(limits=BLAS_THREADS, user_api="blas"):
            return _recompute(build, started, timings, progress)
    except Exception as exc:
        logger.exception("Recommendation recompute failed")
        build.status = ModelBuild.Status.FAILED
        build.finished_at = timezone.now()
        build.seconds = round(time.perf_counter() - started, 2)
        build.figures = {"timings": timings, "error": repr(exc)[:2000]}
        build.save()
        raise


def _recompute(build: ModelBuild, started: float, timings: dict, progress: Progress) -> ModelBuild:
    mark = time.perf_counter()

    def step(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        timings[name] = round(now - mark, 2)
        mark = now

    X, users, track_pks, age = load_plays(progress)
    step("read")
    genre_pairs, artist_pairs = _track_genre_pairs(), _track_artist_pairs()
    tuned = _tune(X, age, track_pks, genre_pairs, artist_pairs, progress)
    step("tuning")
    model = tuned.candidate.build(X, progress=lambda done, total: progress("item neighbours", done / total))
    step("item_model")
    factors = engine.user_factors(X, factors=USER_FACTORS)
    similar = engine.user_neighbors(
        factors, k=USER_NEIGHBORS, progress=lambda done, total: progress("user neighbours", done / total)
    )
    step("user_model")
    all_tracks = np.asarray(Track.objects.order_by("pk").values_list("pk", flat=True), dtype=np.int64)
    features = served.CatalogFeatures.from_pairs(all_tracks, genre_pairs, artist_pairs)
    lists = _track_lists(model, track_pks, genre_pairs)
    tastes = _room_tastes(genre_pairs, artist_pairs, progress)
    step("lists_and_rooms")
    tables = (
        (TrackNeighbors, *_track_neighbor_rows(model, track_pks), "writing track neighbours"),
        (UserNeighbors, *_user_neighbor_rows(similar, users), "writing user neighbours"),
        (TrackList, *lists, "writing lists"),
        (RoomTaste, *tastes, "writing room tastes"),
    )
    # One transaction: readers see the previous model or this one, never a mix.
    with transaction.atomic():
        for model_class, columns, rows, label in tables:
            _replace_rows(model_class, columns, rows, functools.partial(progress, label))
        step("write")
        build.status = ModelBuild.Status.DONE
        build.users, build.tracks, build.interactions = X.shape[0], X.shape[1], X.nnz
        build.max_listeners = int(model.listeners.max(initial=0))
        build.catalog = features.encode()
        build.finished_at = timezone.now()
        build.seconds = round(time.perf_counter() - started, 2)
        build.figures = {
            "timings": timings,
            "peak_rss_mb": round(_peak_rss_mb(), 1),
            "item_model": {
                "name": tuned.candidate.name,
                "kind": tuned.candidate.kind,
                **asdict(tuned.candidate.params),
            },
            "tuning": tuned.record,
            "model": model.stats,
            "user_neighbors": int(similar.nnz),
            "room_tastes": len(tastes[1]),
        }
        build.save()
        transaction.on_commit(model_changed)
    return build


def tuning_candidates() -> list[engine.Candidate]:
    """The item models the precompute tries; the first, the fallback, is ITEM_MODEL."""
    candidates = evaluation.tuning_candidates()
    candidates[0] = engine.Candidate(candidates[0].name, candidates[0].kind, ITEM_MODEL)
    return candidates


def _tune(X, age, track_pks, genre_pairs, artist_pairs, progress: Progress) -> evaluation.Tuned:
    """Chooses the item model and blend to serve: each candidate fitted without every listener's
    most recent items and scored on them with the default blend, then the other blends tried on
    the best; today's ITEM_MODEL and the default blend when data is short."""
    catalog = engine.Catalog(
        genres=_feature_matrix(track_pks, *genre_pairs), artists=_feature_matrix(track_pks, *artist_pairs)
    )
    return evaluation.tune(
        X,
        age,
        catalog,
        candidates=tuning_candidates(),
        blends=TUNING_BLENDS,
        seed_params=tastes.SEED_PARAMS,
        settings=TUNING,
        progress=functools.partial(progress, "tuning"),
    )


def _feature_matrix(track_pks: np.ndarray, pair_t: np.ndarray, pair_f: np.ndarray) -> sp.csr_matrix:
    """Tracks (in track_pks order) x features (renumbered), binary, from (track, feature) pairs."""
    position = np.minimum(np.searchsorted(track_pks, pair_t), max(track_pks.size - 1, 0))
    heard = (track_pks[position] == pair_t) if track_pks.size else np.zeros(pair_t.size, dtype=bool)
    features, column = np.unique(pair_f[heard], return_inverse=True)
    return sp.csr_matrix(
        (np.ones(column.size, np.float32), (position[heard], column)), shape=(track_pks.size, max(features.size, 1))
    )


def _track_lists(model: engine.ItemModel, track_pks: np.ndarray, genre_pairs) -> tuple[list[str], list[tuple]]:
    """The most listened tracks overall and per genre (a genre's list may end with unheard tracks)."""
    genre_t, genre_g = genre_pairs
    position = np.minimum(np.searchsorted(track_pks, genre_t), max(track_pks.size - 1, 0))
    heard = (track_pks[position] == genre_t) if track_pks.size else np.zeros(genre_t.size, dtype=bool)
    scores = np.where(heard, model.listeners[position] if track_pks.size else 0, 0).astype(np.float32)
    per_genre = _ranked_lists(genre_g, genre_t, scores, GENRE_LIST_LENGTH)
    popular = np.argsort(-model.listeners, kind="stable")[:POPULAR_LENGTH]
    rows = [("popular", pack_ints(track_pks[popular]), pack_floats(model.listeners[popular]))]
    rows += [
        (f"genre:{genre}", pack_ints(tracks), pack_floats(scores)) for genre, (tracks, scores) in per_genre.items()
    ]
    return ["key", "track_ids", "scores"], rows


def _track_neighbor_rows(model: engine.ItemModel, track_pks: np.ndarray) -> tuple[list[str], list[tuple]]:
    M = model.neighbors
    ids = pack_ints(track_pks[M.indices])
    scores = pack_floats(M.data)
    popularity = pack_counts(model.listeners[M.indices])
    bounds = M.indptr.tolist()
    listeners = model.listeners.tolist()
    # Slicing byte strings per track is the one per-row step, and it only lays out the rows to store.
    rows = [
        (
            pk,
            ids[bounds[i] * 8 : bounds[i + 1] * 8],
            scores[bounds[i] * 4 : bounds[i + 1] * 4],
            popularity[bounds[i] * 4 : bounds[i + 1] * 4],
            listeners[i],
        )
        for i, pk in enumerate(track_pks.tolist())
    ]
    return ["track", "neighbor_ids", "scores", "neighbor_listeners", "listeners"], rows


def _user_neighbor_rows(similar: sp.csr_matrix, users: list) -> tuple[list[str], list[tuple]]:
    uuids = [_uuid(u) for u in users]
    raw = np.frombuffer(b"".join(u.bytes for u in uuids), dtype=np.uint8).reshape(-1, 16)
    picked = raw[similar.indices].tobytes() if similar.nnz else b""
    scores = pack_floats(similar.data)
    bounds = similar.indptr.tolist()
    rows = [
        (uuids[i], picked[bounds[i] * 16 : bounds[i + 1] * 16], scores[bounds[i] * 4 : bounds[i + 1] * 4])
        for i in range(len(uuids))
        if bounds[i + 1] > bounds[i]
    ]
    return ["user", "neighbor_ids", "scores"], rows


def _replace_rows(model_class, columns: list[str], rows: list[tuple], progress: Callable[[float], None]) -> None:
    """Replaces every row of the table with `rows` (tuples in `columns` order). Call in a transaction.

    DELETE, not TRUNCATE: readers keep seeing the old rows until the transaction commits
    instead of waiting for its lock. On PostgreSQL the rows go in with COPY (seconds for
    200,000 rows instead of minutes of INSERTs); elsewhere with bulk_create.
    """
    model_class.objects.all().delete()
    fields = [model_class._meta.get_field(name) for name in columns]
    if connection.vendor == "postgresql":
        names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        table = connection.ops.quote_name(model_class._meta.db_table)
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for number, row in enumerate(rows, start=1):
                copy.write_row(row)
                if number % 50_000 == 0:
                    progress(number / len(rows))
    else:
        attnames = [f.attname for f in fields]
        for start in range(0, len(rows), WRITE_BATCH):
            batch = rows[start : start + WRITE_BATCH]
            model_class.objects.bulk_create([model_class(**dict(zip(attnames, row, strict=True))) for row in batch])
            progress(min(1.0, (start + WRITE_BATCH) / len(rows)))
    progress(1.0)


def recompute_lock() -> bool:
    """True if this caller may run a recompute now (no other one is running)."""
    return cache.add(LOCK_KEY, "1", timeout=LOCK_SECONDS)


def recompute_unlock() -> None:
    cache.delete(LOCK_KEY)


def room_index_refresh() -> room_index.RoomIndex:
    """Rebuilds the room index (rooms, their declared, current, queued and recent music) into the cache."""
    index = room_index.build()
    room_index.store(index)
    return index


def model_changed() -> None:
    """After a recompute (in the job that ran it): this process serves the new build (its item
    model's blend, lists and catalog) at once, others within served.CATALOG_CHECK_SECONDS; room
    tastes changed, so the room index is rebuilt now and requests swap to it without paying for it."""
    served.forget()
    room_index_refresh()

"""The room index: every open room's profile (declared genres, current and queued tracks,
recent plays) as sparse matrices, for ranking rooms.

It is built in one pass, kept in the shared cache (as JSON, recommendations/codec.py), and
each server process decodes it once per version. Refreshing it is the caller's to queue
(`claim_refresh`): this module knows nothing of tasks.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from django.conf import settings
from django.core.cache import cache

from music.models import Genre
from recommendations import codec, engine, served
from recommendations.memo import Memo
from recommendations.models import RoomTaste, unpack_floats, unpack_ints
from rooms.models import PlaybackState, QueueItem, Room

logger = logging.getLogger(__name__)


def refresh_seconds() -> int:
    """The room index is rebuilt when older than this."""
    return int(getattr(settings, "RECOMMENDATIONS_ROOM_INDEX_SECONDS", 60))


INDEX_KEY = "rec:room-index"
INDEX_VERSION_KEY = "rec:room-index:version"
INDEX_REFRESH_LOCK = "rec:room-index:refreshing"


# A room's profile: declared genres, the current track, the queue (earlier items weigh more)
# and its recent plays, each part with this total weight before the row is made unit length.
DECLARED_WEIGHT = 1.0
CURRENT_WEIGHT = 1.0
QUEUE_WEIGHT = 1.0
RECENT_WEIGHT = 2.0


@dataclass
class RoomIndex:
    version: str
    built_at: float
    room_ids: list[str]
    private: np.ndarray  # bool per room
    playing: np.ndarray  # bool per room
    genres: sp.csr_matrix  # rooms x genre pk, unit rows
    artists: sp.csr_matrix  # rooms x artist pk, unit rows
    declared: sp.csr_matrix  # rooms x genre pk, 1 where declared
    genre_names: dict[int, str]
    position: dict[str, int] = field(default_factory=dict)

    def __post_init__(self):
        self.position = {room_id: i for i, room_id in enumerate(self.room_ids)}

    def to_cache(self) -> dict:
        return {
            "version": self.version,
            "built_at": self.built_at,
            "room_ids": [str(room_id) for room_id in self.room_ids],
            "private": codec.array_out(self.private),
            "playing": codec.array_out(self.playing),
            "genres": codec.csr_out(self.genres),
            "artists": codec.csr_out(self.artists),
            "declared": codec.csr_out(self.declared),
            "genre_names": [[int(pk), str(name)] for pk, name in self.genre_names.items()],
        }

    @classmethod
    def from_cache(cls, value) -> RoomIndex:
        """Raises one of codec.UNREADABLE for a value to_cache() did not write."""
        return cls(
            version=str(value["version"]),
            built_at=float(value["built_at"]),
            room_ids=[str(room_id) for room_id in value["room_ids"]],
            private=codec.array_in(value["private"]),
            playing=codec.array_in(value["playing"]),
            genres=codec.csr_in(value["genres"]),
            artists=codec.csr_in(value["artists"]),
            declared=codec.csr_in(value["declared"]),
            genre_names={int(pk): str(name) for pk, name in value["genre_names"]},
        )


def _normalized_parts(
    rows: np.ndarray, cols: np.ndarray, weights: np.ndarray, n_rows: int, total: float
) -> sp.csr_matrix | None:
    """Sparse rows scaled so each room's part sums to `total`."""
    if not rows.size:
        return None
    m = sp.csr_matrix((weights.astype(np.float64), (rows, cols)), shape=(n_rows, int(cols.max()) + 1))
    sums = np.asarray(m.sum(axis=1)).ravel()
    scale = np.divide(total, sums, out=np.zeros_like(sums), where=sums > 0)
    return sp.csr_matrix(sp.diags(scale) @ m)


def _add(parts: list, width: int) -> sp.csr_matrix:
    resized = []
    for part in parts:
        if part is not None:
            part = part.tocsr()
            part.resize((part.shape[0], width))
            resized.append(part)
    total = resized[0]
    for part in resized[1:]:
        total = total + part
    return engine.normalize_rows(total)


def build() -> RoomIndex:
    """Every open room's profile, from a handful of bulk queries."""
    rooms = list(
        Room.objects.filter(closed_at__isnull=True).order_by("-created_at", "pk").values_list("pk", "is_private")
    )
    room_ids = [str(pk) for pk, _ in rooms]
    position = {room_id: i for i, room_id in enumerate(room_ids)}
    n = len(room_ids)

    def pos(room_id) -> int:
        return position.get(str(room_id), -1)

    declared = [
        (pos(r), g)
        for r, g in Room.genres.through.objects.filter(room__closed_at__isnull=True)
        .order_by()
        .values_list("room_id", "genre_id")
    ]
    states = list(
        PlaybackState.objects.filter(room__closed_at__isnull=True, track__isnull=False)
        .order_by()
        .values_list("room_id", "track_id", "status")
    )
    queue = list(
        QueueItem.objects.filter(room__closed_at__isnull=True).order_by().values_list("room_id", "track_id", "position")
    )
    tastes = list(
        RoomTaste.objects.filter(room__closed_at__isnull=True).values_list(
            "room_id", "genre_ids", "genre_weights", "artist_ids", "artist_weights"
        )
    )
    playing = np.zeros(n, dtype=bool)
    for room_id, _, status in states:
        if pos(room_id) >= 0 and status == PlaybackState.Status.PLAYING:
            playing[pos(room_id)] = True

    # Current and queued tracks: (room, track, weight) with one feature lookup for all.
    entries = [(pos(r), t, 1.0, "current") for r, t, _ in states] + [
        (pos(r), t, 1.0 / (1.0 + p / 5.0), "queue") for r, t, p in queue
    ]
    entries = [e for e in entries if e[0] >= 0]
    genre_t, genre_g, artist_t, artist_a = served.track_features([e[1] for e in entries])
    genre_parts: list[sp.csr_matrix | None] = []
    artist_parts: list[sp.csr_matrix | None] = []
    dec = np.asarray([d for d in declared if d[0] >= 0], dtype=np.int64).reshape(-1, 2)
    genre_parts.append(_normalized_parts(dec[:, 0], dec[:, 1], np.ones(len(dec)), n, DECLARED_WEIGHT))
    for kind, total in (("current", CURRENT_WEIGHT), ("queue", QUEUE_WEIGHT)):
        chosen = [e for e in entries if e[3] == kind]
        if not chosen:
            continue
        e_rooms = np.asarray([e[0] for e in chosen], dtype=np.int64)
        e_tracks = np.asarray([e[1] for e in chosen], dtype=np.int64)
        e_weights = np.asarray([e[2] for e in chosen], dtype=np.float64)
        for pair_t, pair_f, parts in ((genre_t, genre_g, genre_parts), (artist_t, artist_a, artist_parts)):
            if not pair_t.size:
                continue
            # Join entries to their tracks' features: for each entry, each feature of its track.
            order = np.argsort(pair_t, kind="stable")
            starts = np.searchsorted(pair_t[order], e_tracks, side="left")
            ends = np.searchsorted(pair_t[order], e_tracks, side="right")
            counts = ends - starts
            rows = np.repeat(e_rooms, counts)
            weights = np.repeat(e_weights, counts)
            idx = np.repeat(starts - np.cumsum(np.r_[0, counts[:-1]]), counts) + np.arange(counts.sum())
            parts.append(_normalized_parts(rows, pair_f[order][idx], weights, n, total))
    if tastes:
        t_rows, t_gen, t_gw, t_art, t_aw = [], [], [], [], []
        for room_id, g_ids, g_w, a_ids, a_w in tastes:
            p = pos(room_id)
            if p < 0:
                continue
            g = unpack_ints(g_ids)
            a = unpack_ints(a_ids)
            t_rows.append((p, g.size, a.size))
            t_gen.append(g)
            t_gw.append(unpack_floats(g_w))
            t_art.append(a)
            t_aw.append(unpack_floats(a_w))
        if t_rows:
            positions = np.asarray([r[0] for r in t_rows])
            genre_parts.append(
                _normalized_parts(
                    np.repeat(positions, [r[1] for r in t_rows]),
                    np.concatenate(t_gen),
                    np.concatenate(t_gw),
                    n,
                    RECENT_WEIGHT,
                )
            )
            artist_parts.append(
                _normalized_parts(
                    np.repeat(positions, [r[2] for r in t_rows]),
                    np.concatenate(t_art),
                    np.concatenate(t_aw),
                    n,
                    RECENT_WEIGHT,
                )
            )
    genre_width = max([p.shape[1] for p in genre_parts if p is not None], default=1)
    artist_width = max([p.shape[1] for p in artist_parts if p is not None], default=1)
    genres = _add([p for p in genre_parts if p is not None] or [sp.csr_matrix((n, 1))], genre_width)
    artists = _add([p for p in artist_parts if p is not None] or [sp.csr_matrix((n, 1))], artist_width)
    declared_m = sp.csr_matrix(
        (np.ones(len(dec), dtype=np.float32), (dec[:, 0], dec[:, 1])),
        shape=(n, max(genre_width, int(dec[:, 1].max(initial=0)) + 1)),
    )
    used = set(genres.indices.tolist()) | set(declared_m.indices.tolist())
    return RoomIndex(
        version=uuid.uuid4().hex,
        built_at=time.time(),
        room_ids=room_ids,
        private=np.asarray([p for _, p in rooms], dtype=bool),
        playing=playing,
        genres=genres,
        artists=artists,
        declared=declared_m,
        genre_names=dict(Genre.objects.filter(pk__in=used).values_list("pk", "name")),
    )


# This process's decoded copy, by the version in the shared cache.
_memo: Memo[RoomIndex | None] = Memo()


def store(index: RoomIndex) -> None:
    # Kept well past the refresh period: a stale index is better than building one in a request.
    timeout = max(refresh_seconds() * 10, 600)
    cache.set(INDEX_KEY, index.to_cache(), timeout=timeout)
    cache.set(INDEX_VERSION_KEY, index.version, timeout=timeout)
    _memo.put(index, index.version)


def _decoded() -> RoomIndex | None:
    blob = cache.get(INDEX_KEY)
    if blob is None:
        return None
    try:
        return RoomIndex.from_cache(blob)
    except codec.UNREADABLE:
        logger.warning("The cached room index is unreadable; building it again")
        return None


def current() -> RoomIndex:
    """The current room index: this process's copy, the shared one, or (missing) built now.
    Requests keep using it when it is old; `claim_refresh` says whether to queue a new one."""
    version = cache.get(INDEX_VERSION_KEY)
    index = _memo.get(_decoded, version) if version is not None else None
    if index is None:
        index = build()
        store(index)
    return index


def claim_refresh(index: RoomIndex) -> bool:
    """True, once for whoever notices first, when `index` is older than refresh_seconds(): that
    caller queues the refresh. If the queue does not take it the claim expires and a later
    request claims it again."""
    seconds = refresh_seconds()
    return time.time() - index.built_at > seconds and cache.add(INDEX_REFRESH_LOCK, "1", seconds)


def forget() -> None:
    _memo.clear()

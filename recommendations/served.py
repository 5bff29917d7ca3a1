"""What the current model build serves: its catalog features, ranked lists and blend.

The precompute (services.recommendations_recompute) stores, with each ModelBuild, every
track's genres and artists (the catalog features), the most listened track's count, and the
blend its self-tuning chose (figures["tuning"]["chosen"]); the ranked lists (TrackList) are
replaced in the same transaction. A process checks for a newer build once a minute and loads
each build once; the job that made a build forgets its copy at once (`forget`).
"""

from __future__ import annotations

import dataclasses
import io
import logging
from dataclasses import dataclass

import numpy as np

from core.reads import CompiledRead
from music.models import Track
from recommendations import engine
from recommendations.memo import Memo
from recommendations.models import ModelBuild, TrackList, unpack_floats, unpack_ints

logger = logging.getLogger(__name__)

# The blend served when no build chose one (no build yet, or its tuning was skipped).
DEFAULT_BLEND = engine.BlendParams()
# How often a process asks whether a newer build exists (seconds).
CATALOG_CHECK_SECONDS = 60


def _gather(indptr: np.ndarray, values: np.ndarray, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For CSR-like (indptr, values): (row position repeated, value) of the given rows, vectorized."""
    starts, ends = indptr[positions], indptr[positions + 1]
    counts = ends - starts
    if not counts.sum():
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    offsets = np.repeat(starts - np.cumsum(np.r_[0, counts[:-1]]), counts) + np.arange(counts.sum())
    return np.repeat(positions, counts), values[offsets]


@dataclass
class CatalogFeatures:
    """Every track's genres and artists, as sorted arrays: what requests look features up in.

    Built by the precompute and stored with its ModelBuild; each process decodes it once per
    build (about 10 MB for 200,000 tracks). Tracks added since are looked up in the database.
    """

    build_id: int | None
    max_listeners: int
    track_pks: np.ndarray  # sorted
    genre_indptr: np.ndarray
    genre_ids: np.ndarray
    artist_indptr: np.ndarray
    artist_ids: np.ndarray

    @classmethod
    def from_pairs(cls, track_pks, genre_pairs, artist_pairs, *, build_id=None, max_listeners=0) -> CatalogFeatures:
        track_pks = np.unique(np.asarray(track_pks, dtype=np.int64))
        parts = []
        for pair_t, pair_f in (genre_pairs, artist_pairs):
            order = np.lexsort((pair_f, pair_t))
            pair_t, pair_f = pair_t[order], pair_f[order]
            inside = np.isin(pair_t, track_pks)
            counts = np.bincount(np.searchsorted(track_pks, pair_t[inside]), minlength=track_pks.size)
            parts.append((np.r_[0, np.cumsum(counts)].astype(np.int64), pair_f[inside].astype(np.int64)))
        (g_ptr, g_ids), (a_ptr, a_ids) = parts
        return cls(build_id, max_listeners, track_pks, g_ptr, g_ids, a_ptr, a_ids)

    @classmethod
    def empty(cls, build_id=None, max_listeners=0) -> CatalogFeatures:
        zero = np.zeros(0, np.int64)
        return cls(build_id, max_listeners, zero, np.zeros(1, np.int64), zero, np.zeros(1, np.int64), zero)

    def encode(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            track_pks=self.track_pks,
            genre_indptr=self.genre_indptr,
            genre_ids=self.genre_ids,
            artist_indptr=self.artist_indptr,
            artist_ids=self.artist_ids,
        )
        return buffer.getvalue()

    @classmethod
    def decode(cls, data: bytes, *, build_id, max_listeners) -> CatalogFeatures:
        with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as arrays:
            return cls(build_id, max_listeners, **{name: arrays[name] for name in arrays.files})

    def lookup(self, track_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(track, genre) and (track, artist) pairs of the tracks it knows, and the ids it does not."""
        ids = np.unique(np.asarray(track_ids, dtype=np.int64))
        if not self.track_pks.size:
            empty = np.zeros(0, np.int64)
            return empty, empty, empty, empty, ids
        position = np.minimum(np.searchsorted(self.track_pks, ids), self.track_pks.size - 1)
        known = self.track_pks[position] == ids
        rows_g, genres = _gather(self.genre_indptr, self.genre_ids, position[known])
        rows_a, artists = _gather(self.artist_indptr, self.artist_ids, position[known])
        return self.track_pks[rows_g], genres, self.track_pks[rows_a], artists, ids[~known]


@dataclass(frozen=True)
class Served:
    """The current build as requests use it."""

    build_id: int | None
    max_listeners: int
    blend: engine.BlendParams
    features: CatalogFeatures


def blend_of(figures: dict | None) -> engine.BlendParams:
    """The blend a build's tuning chose (figures["tuning"]["chosen"]["blend_params"]); the
    defaults when it chose none or the record is not one `evaluation.tune` wrote."""
    try:
        chosen = (figures or {})["tuning"]["chosen"]["blend_params"]
        names = {f.name for f in dataclasses.fields(engine.BlendParams)}
        values = {name: float(value) for name, value in chosen.items() if name in names}
        blend = dataclasses.replace(DEFAULT_BLEND, **values)
    except (KeyError, TypeError, ValueError, AttributeError):
        return DEFAULT_BLEND
    if not all(np.isfinite(v) and v >= 0 for v in dataclasses.astuple(blend)):
        logger.warning("The build's chosen blend %s is not usable; serving the defaults", blend)
        return DEFAULT_BLEND
    return blend


_served: Memo[Served] = Memo(seconds=lambda: CATALOG_CHECK_SECONDS)


def _load() -> Served:
    latest = (
        ModelBuild.objects.filter(status=ModelBuild.Status.DONE)
        .order_by("-started_at", "-pk")
        .values_list("pk", "max_listeners")
        .first()
    )
    if latest is None:
        return Served(None, 0, DEFAULT_BLEND, CatalogFeatures.empty())
    held = _served.peek()
    if held is not None and held.build_id == latest[0]:
        return held
    blob, figures = ModelBuild.objects.filter(pk=latest[0]).values_list("catalog", "figures").get()
    if blob:
        # A BinaryField reads as bytes or memoryview, by backend; bytes(b) is b itself for bytes.
        features = CatalogFeatures.decode(bytes(blob), build_id=latest[0], max_listeners=latest[1])
    else:
        features = CatalogFeatures.empty(latest[0], latest[1])
    return Served(latest[0], latest[1], blend_of(figures), features)


def served() -> Served:
    """The latest finished build; one small query a minute, one load per build."""
    return _served.get(_load)


def catalog() -> CatalogFeatures:
    return served().features


def blend() -> engine.BlendParams:
    """The blend track ranking applies: the current build's choice."""
    return served().blend


def track_features(track_ids) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(track, genre) and (track, artist) pairs of these tracks, as four int arrays.

    From the catalog features; only tracks newer than the last build cost a query (one,
    joining both many-to-many tables: g x a rows per track cost less than two queries).
    """
    genre_t, genre_g, artist_t, artist_a, missing = catalog().lookup(track_ids)
    if not missing.size:
        return genre_t, genre_g, artist_t, artist_a
    rows = Track.objects.filter(pk__in=missing.tolist()).order_by().values_list("pk", "genres", "credits__artist")
    genre_pairs, artist_pairs = set(), set()
    for track_id, genre, artist in rows:
        if genre is not None:
            genre_pairs.add((track_id, genre))
        if artist is not None:
            artist_pairs.add((track_id, artist))
    genres = np.asarray(sorted(genre_pairs), dtype=np.int64).reshape(-1, 2)
    artists = np.asarray(sorted(artist_pairs), dtype=np.int64).reshape(-1, 2)
    return (
        np.r_[genre_t, genres[:, 0]],
        np.r_[genre_g, genres[:, 1]],
        np.r_[artist_t, artists[:, 0]],
        np.r_[artist_a, artists[:, 1]],
    )


_LISTS = CompiledRead(
    lambda keys: TrackList.objects.filter(key__in=keys).order_by().values_list("key", "track_ids", "scores"),
    "str[]",
    model=TrackList,
)
_lists: Memo[dict[str, tuple[np.ndarray, np.ndarray]]] = Memo()


def _all_lists() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rows = TrackList.objects.values_list("key", "track_ids", "scores")
    return {key: (unpack_ints(ids), unpack_floats(scores)) for key, ids, scores in rows}


def track_lists(keys: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{key: (track pks, scores)} of the ranked lists asked for that exist.

    The lists change only with a build, so a process reads them all once per build (when its
    served() moves to that build, as the catalog features do); before any build they are
    read each time."""
    build_id = served().build_id
    if build_id is None:
        return {key: (unpack_ints(ids), unpack_floats(scores)) for key, ids, scores in _LISTS(keys)}
    found = _lists.get(_all_lists, build_id)
    return {key: found[key] for key in keys if key in found}


def forget() -> None:
    """Forget this process's copies: the next request loads the latest build."""
    _served.clear()
    _lists.clear()

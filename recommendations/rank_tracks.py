"""Ranking tracks: for a user, and for a room's queue (fitting the people present), each with reasons.

Candidates come from the current build's item neighbours of the listener's strongest tracks,
their favourite artists' tracks, genre lists and the popular list; engine.score_items scores
them with the blend the build's tuning chose (served.blend()).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import timedelta

import numpy as np
from django.db.models import IntegerField, Value
from django.utils import timezone

from accounts.models import User
from core.errors import Forbidden, NotFound
from core.reads import CompiledRead
from music.models import ListeningEvent, Track, TrackArtist, UploadShare
from music.selectors import track_visible_q
from recommendations import cards, engine, reasons, served, tastes
from recommendations.models import TrackNeighbors, unpack_counts, unpack_floats, unpack_ints
from rooms import access as room_access
from rooms import presence
from rooms.models import Membership, PlaybackState, QueueItem, Room

CF_POOL = 200
ARTIST_TRACKS = 60
GENRE_TRACKS = 40
POPULAR_TRACKS = 40
# Fewer seed tracks than this: a cold listener (see blend_for).
COLD_SEEDS = 5
# A room's suggestions leave out what it played this recently.
ROOM_RECENT = timedelta(hours=4)
# How many people present are asked about their taste for a room's suggestions.
GROUP_SIZE = 30


@dataclass
class _Scored:
    track_ids: np.ndarray
    scores: np.ndarray
    parts: dict  # raw cf, genre, artist, popularity per candidate
    # Per candidate: the seed (track pk) that contributed most to its co-listening score, or -1.
    best_seed: np.ndarray
    genre_pairs: tuple[np.ndarray, np.ndarray]
    artist_pairs: tuple[np.ndarray, np.ndarray]


_NEIGHBORS = CompiledRead(
    lambda track_ids: (
        TrackNeighbors.objects.filter(track_id__in=track_ids)
        .order_by()
        .values_list("track_id", "neighbor_ids", "scores", "neighbor_listeners")
    ),
    "int[]",
    model=TrackNeighbors,
)
# Newest first: the tracks with little history, which co-listening cannot reach yet.
_ARTIST_TRACKS = CompiledRead(
    lambda artist_ids: (
        TrackArtist.objects.filter(artist_id__in=artist_ids)
        .order_by("-track_id")
        .values_list("track_id", flat=True)[:ARTIST_TRACKS]
    ),
    "int[]",
    model=TrackArtist,
)


def _neighbor_rows(seeds: np.ndarray) -> tuple[np.ndarray, ...]:
    """The seeds' stored neighbours as (seed position, neighbour pk, similarity, neighbour listeners)
    arrays; one query."""
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64))
    if not seeds.size:
        return empty
    seed_pos = {int(t): i for i, t in enumerate(seeds.tolist())}
    src, dst, val, pop = [], [], [], []
    for track_id, ids, scores, listeners in _NEIGHBORS(
        seeds.tolist()
    ):  # at most max_seeds rows, each decoded by frombuffer
        ids = unpack_ints(ids)
        src.append(np.full(ids.size, seed_pos[int(track_id)], dtype=np.int64))
        dst.append(ids)
        val.append(unpack_floats(scores))
        pop.append(unpack_counts(listeners))
    if not src:
        return empty
    return np.concatenate(src), np.concatenate(dst), np.concatenate(val).astype(np.float64), np.concatenate(pop)


def blend_for(taste: tastes.Taste) -> engine.BlendParams:
    """The blend the current build chose (served.blend()). A cold listener (fewer than
    COLD_SEEDS tracks) gets the default genre, artist and popularity weights: the tuning measured
    listeners with history, and for one with only favourite genres those parts are all there is."""
    blend = served.blend()
    if taste.seed_ids.size >= COLD_SEEDS:
        return blend
    default = served.DEFAULT_BLEND
    return replace(blend, genre=default.genre, artist=default.artist, popularity=default.popularity)


def _top_keys(weights: dict[int, float], count: int) -> list[int]:
    return [key for key, _ in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:count]]


def _score_tracks(
    taste: tastes.Taste,
    *,
    extra_genres: dict[int, float],
    exclude: Callable[[np.ndarray], set[int]],
    drop: Collection[int] = frozenset(),
) -> _Scored | None:
    """Candidates from neighbours, favourite artists, genre lists and the popular list, scored by
    engine.score_items. `exclude(candidates)` names tracks that only come last; `drop` never come."""
    blend = blend_for(taste)
    seeds = taste.seed_ids
    weights = taste.seed_weights.astype(np.float64)
    src, dst, val, dst_listeners = _neighbor_rows(seeds)
    cf_ids, cf_inv = np.unique(dst, return_inverse=True)
    cf_total = np.bincount(cf_inv, weights=val * weights[src], minlength=cf_ids.size)
    cf_pool = cf_ids[np.argsort(-cf_total, kind="stable")[:CF_POOL]]

    top_genres = _top_keys(taste.genre_vector(), 3)
    top_artists = _top_keys(taste.artist_vector(), 3)
    artist_tracks = np.zeros(0, np.int64)
    if top_artists:
        artist_tracks = np.asarray([row[0] for row in _ARTIST_TRACKS(top_artists)], dtype=np.int64)
    keys = ["popular", *[f"genre:{g}" for g in top_genres]]
    lists = served.track_lists(keys)
    listed = [lists[f"genre:{g}"][0][:GENRE_TRACKS] for g in top_genres if f"genre:{g}" in lists]
    if "popular" in lists:
        popular = lists["popular"][0][:POPULAR_TRACKS]
    else:  # no model yet: Spotify's popularity stands in
        popular = np.asarray(
            Track.objects.order_by("-popularity", "-pk").values_list("pk", flat=True)[:POPULAR_TRACKS], dtype=np.int64
        )
    candidates = np.unique(np.concatenate([cf_pool, artist_tracks, popular, *listed]).astype(np.int64))
    if drop:
        candidates = candidates[~np.isin(candidates, np.fromiter(drop, np.int64, len(drop)))]
    if not candidates.size:
        return None
    universe = np.unique(np.r_[seeds, candidates])
    size = universe.size
    u_seed = np.searchsorted(universe, seeds)
    u_cand = np.searchsorted(universe, candidates)

    # The seeds' neighbour rows, restricted to the universe and renumbered locally. Dense: a few
    # hundred tracks, where numpy's products cost less than building sparse matrices.
    inside = np.isin(dst, universe)
    neighbors = np.zeros((size, size), dtype=np.float32)
    neighbors[u_seed[src[inside]], np.searchsorted(universe, dst[inside])] = val[inside]
    seed_vec = np.zeros((1, size), dtype=np.float32)
    seed_vec[0, u_seed] = weights

    genre_t, genre_g, artist_t, artist_a = served.track_features(universe)
    extra_keys = np.fromiter(extra_genres.keys(), np.int64, len(extra_genres))
    genre_cols, g_inv = np.unique(np.r_[genre_g, extra_keys], return_inverse=True)
    artist_cols, a_inv = np.unique(artist_a, return_inverse=True)
    item_genres = np.zeros((size, max(genre_cols.size, 1)), dtype=np.float32)
    item_genres[np.searchsorted(universe, genre_t), g_inv[: genre_t.size]] = 1.0
    item_artists = np.zeros((size, max(artist_cols.size, 1)), dtype=np.float32)
    item_artists[np.searchsorted(universe, artist_t), a_inv] = 1.0
    extra = None
    if extra_genres:
        extra = np.zeros((1, item_genres.shape[1]), dtype=np.float32)
        extra[0, g_inv[genre_t.size :]] = np.fromiter(extra_genres.values(), np.float32, len(extra_genres))
    popularity = np.zeros(size, dtype=np.float32)
    known_ids = np.concatenate([dst, *[ids for ids, _ in lists.values()]]).astype(np.int64)
    known_listeners = np.concatenate([dst_listeners, *[scores for _, scores in lists.values()]]).astype(np.int64)
    popularity[u_cand] = _popularity(candidates, known_ids, known_listeners)

    scores, parts = engine.score_items(
        seed_vec,
        neighbors,
        popularity,
        engine.Catalog(genres=item_genres, artists=item_artists),
        u_cand,
        blend_params=blend,
        extra_genres=extra,
    )
    scores = scores[0].astype(np.float64)
    if taste.known:
        known = np.isin(candidates, np.fromiter(taste.known, np.int64, len(taste.known)))
        scores = np.where(known, scores * blend.known, scores)
    excluded = exclude(candidates)
    if excluded:
        # Excluded tracks only come after everything else ("unless nothing else is left").
        scores = np.where(np.isin(candidates, np.fromiter(excluded, np.int64, len(excluded))), scores - 1000.0, scores)

    # Which seed gave each candidate most of its co-listening score (for "people who play X").
    contrib = seed_vec[0, u_seed][:, None] * neighbors[np.ix_(u_seed, u_cand)]
    best_local = u_seed[np.argmax(contrib, axis=0)] if u_seed.size else np.zeros(u_cand.size, dtype=np.int64)
    has = contrib.max(axis=0, initial=0.0) > 0
    return _Scored(
        track_ids=candidates,
        scores=scores,
        parts={name: np.asarray(value, dtype=np.float64).reshape(-1) for name, value in parts.items()},
        best_seed=np.where(has, universe[best_local], -1),
        genre_pairs=(genre_t, genre_g),
        artist_pairs=(artist_t, artist_a),
    )


def _popularity(candidates: np.ndarray, known_ids: np.ndarray, known_listeners: np.ndarray) -> np.ndarray:
    """Candidates' popularity in [0, 1]: log listeners over the most listened track's.

    Listener counts come with what was already read (neighbour rows, ranked lists); a track
    known from neither (a new one of a favourite artist) counts as unheard.
    """
    top = math.log1p(served.catalog().max_listeners)
    if top <= 0 or not known_ids.size:
        return np.zeros(candidates.size, dtype=np.float32)
    ids, first = np.unique(known_ids, return_index=True)
    position = np.minimum(np.searchsorted(ids, candidates), ids.size - 1)
    counts = np.where(ids[position] == candidates, known_listeners[first][position], 0)
    return (np.log1p(counts.astype(np.float64)) / top).astype(np.float32)


def _track_results(
    scored: _Scored | None,
    taste: tastes.Taste,
    *,
    limit: int,
    context: str,
    visible_uploads: Callable[[list[int]], set[int]],
) -> list[cards.Recommendation[cards.TrackCard]]:
    """The best `limit` of `scored`, explained. Uploaded files come only where
    `visible_uploads(pks)` says the reader may see them (music.selectors.track_visible_q)."""
    if scored is None:
        return []
    ranked = np.argsort(-scored.scores, kind="stable")
    take = limit
    while True:
        order = ranked[:take]
        # The results and the seeds that explain them, in one read (seeds only need their names),
        # then the results' artists and genres in another.
        seeds = {int(scored.best_seed[i]) for i in order.tolist() if scored.best_seed[i] >= 0}
        tracks = cards.track_cards([*scored.track_ids[order].tolist(), *seeds])
        uploads = [pk for pk, card in tracks.items() if card.origin == Track.Origin.UPLOAD]
        hidden = set(uploads) - visible_uploads(uploads) if uploads else set()
        shown = [i for i in order.tolist() if int(scored.track_ids[i]) in tracks.keys() - hidden][:limit]
        # Rarely more than once: only when others' uploads took places in the first read.
        if len(shown) >= limit or take >= ranked.size:
            break
        take = min(ranked.size, take + limit + len(hidden))
    cards.fill_cards(tracks[int(scored.track_ids[i])] for i in shown)
    seed_names = {pk: tracks[pk].name for pk in seeds if pk in tracks}
    genre_vec = taste.genre_vector()
    artist_vec = taste.artist_vector()
    cf_top = float(scored.parts["cf"].max(initial=0.0))
    results = []
    for i in shown:  # at most `limit` results, each explained from what was already read
        track = tracks[int(scored.track_ids[i])]
        why = reasons.track_reasons(
            track,
            taste,
            genre_vec=genre_vec,
            artist_vec=artist_vec,
            cf=float(scored.parts["cf"][i]) / cf_top if cf_top > 0 else 0.0,
            seed_name=seed_names.get(int(scored.best_seed[i])),
            popularity=float(scored.parts["popularity"][i]),
            context=context,
        )
        results.append(cards.Recommendation(item=track, score=round(float(scored.scores[i]), 4), reasons=why))
    return results


def track_recommendations(*, user: User, limit: int) -> list[cards.Recommendation[cards.TrackCard]]:
    """Tracks for the user: never a favorite or a track heard in the last day, unless nothing else is left."""
    taste = tastes.user_taste(user)
    scored = _score_tracks(taste, extra_genres=taste.genres.get("chosen", {}), exclude=lambda _: taste.excluded)

    def visible_uploads(pks: list[int]) -> set[int]:
        return set(Track.objects.filter(track_visible_q(user), pk__in=pks).values_list("pk", flat=True))

    return _track_results(scored, taste, limit=limit, context="user", visible_uploads=visible_uploads)


def suggestions_room(*, room_id, user: User) -> uuid.UUID:
    """The pk of a room the user may see (the rooms app's rule) and is not banned from, in one
    query; 404 for any other room or id, 403 for the banned."""
    room, access = room_access.room_with_access(room_id, user)
    if room is None or access is None or not access.can_see:
        raise NotFound("No such room.")
    if access.banned:
        raise Forbidden("You are banned from this room.")
    return room.pk


def _room_music_rows(room_id):
    number = IntegerField()
    queued = QueueItem.objects.filter(room_id=room_id).annotate(rec_kind=Value(0, number))
    playing = PlaybackState.objects.filter(room_id=room_id, track__isnull=False).annotate(
        rec_kind=Value(1, number), rec_position=Value(0, number)
    )
    declared = Room.genres.through.objects.filter(room_id=room_id).annotate(
        rec_kind=Value(2, number), rec_position=Value(0, number)
    )
    return (
        queued.order_by()
        .values_list("rec_kind", "track_id", "position")
        .union(
            playing.order_by().values_list("rec_kind", "track_id", "rec_position"),
            # django-stubs do not see annotations on an auto-created through model's queryset.
            declared.order_by().values_list("rec_kind", "genre_id", "rec_position"),  # type: ignore[misc]
            all=True,
        )
    )


# A room's queue (kind 0: track, position), current track (1: track, 0) and declared genres (2: genre, 0).
_ROOM_MUSIC = CompiledRead(_room_music_rows, "uuid", model=Room)
_LATEST_MEMBERS = CompiledRead(
    lambda room_id: (
        Membership.objects.filter(room_id=room_id).order_by("-joined_at").values_list("user_id", flat=True)[:GROUP_SIZE]
    ),
    "uuid",
    model=Membership,
)
# By track (indexed), not by room (a room_id index would scan): the candidates' recent plays here.
_PLAYED_HERE = CompiledRead(
    lambda track_ids, since, room_id: (
        ListeningEvent.objects.filter(track_id__in=track_ids, listened_at__gte=since, room_id=room_id)
        .order_by()
        .values_list("track_id", flat=True)
    ),
    "int[]",
    "datetime",
    "uuid",
    model=ListeningEvent,
)


def room_people(room_id) -> list[str]:
    """Whose taste a room's suggestions fit: the people online, else its latest members (ids)."""
    online = presence.online_user_ids(room_id)
    if online:
        return sorted(online)[:GROUP_SIZE]
    return [str(row[0]) for row in _LATEST_MEMBERS(room_id)]


def room_suggestions(
    *, room_id, limit: int, drop: Collection[int] = frozenset(), people: list[str] | None = None
) -> list[cards.Recommendation[cards.TrackCard]]:
    """Tracks for the room's queue, fitting the people present (online, else the members) and the
    room's music. Queued and playing tracks and `drop` (track pks: the room's last plays) never
    come; those played here lately come last."""
    if people is None:
        people = room_people(room_id)
    queued: list[tuple[int, int]] = []  # (position, track id)
    current: list[tuple[int, int]] = []
    declared: list[tuple[int, int]] = []  # (0, genre id)
    for kind, ref, position in _ROOM_MUSIC(room_id):
        (queued if kind == 0 else current if kind == 1 else declared).append((position, ref))
    room_tracks = [ref for _, ref in current[:1]] + [ref for _, ref in sorted(queued)]
    taste = tastes.group_taste(
        user_ids=[uuid.UUID(p) for p in people],
        extra_tracks=room_tracks,
        declared_genre_ids=[ref for _, ref in declared],
    )
    since = timezone.now() - ROOM_RECENT

    def played_here(candidates: np.ndarray) -> set[int]:
        return {row[0] for row in _PLAYED_HERE(candidates.tolist(), since, room_id)}

    scored = _score_tracks(
        taste, extra_genres=taste.genres.get("declared", {}), exclude=played_here, drop=set(room_tracks) | set(drop)
    )

    def shared_here(pks: list[int]) -> set[int]:
        # A room hears the uploads queued in it before; others' files stay theirs.
        return set(UploadShare.objects.filter(upload_id__in=pks, room_id=room_id).values_list("upload_id", flat=True))

    return _track_results(scored, taste, limit=limit, context="room", visible_uploads=shared_here)

"""Reads: rooms and tracks for a user, tracks for a room's queue, each with a score and reasons.

A request reads, it does not train: the learned parts (track and user neighbours, popular
lists, room tastes) come from the precompute's tables; what changes by the second (the
user's latest listens and favorites, who is online, bans, memberships, queues) is read
fresh and combined with them here.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import scipy.sparse as sp
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db.models import CharField, Q, Value
from django.utils import timezone

from accounts.models import User
from music.models import Artist, ListeningEvent, Track, TrackArtist
from music.selectors import track_prefetches, track_queryset
from recommendations import engine, profiles
from recommendations.models import (
    TrackList,
    TrackNeighbors,
    UserNeighbors,
    unpack_counts,
    unpack_floats,
    unpack_ints,
    unpack_uuids,
)
from rooms import presence
from rooms import selectors as room_selectors
from rooms.models import Ban, Invite, Membership, PlaybackState, QueueItem, Room

BLEND = engine.BlendParams()
# Room ranking: each part is in [0, 1]; playing now breaks ties between rooms of equal fit.
ROOM_WEIGHTS = {"taste": 0.5, "friends": 0.2, "similar": 0.15, "live": 0.1, "playing": 0.05}
# Live listeners at which the "live" part is full.
LIVE_FULL = 30
# A friend (or similar person) who is a member but not online counts this much.
MEMBER_ONLY = 0.3
# Candidates per request: item-to-item neighbours kept, tracks per favourite artist, per genre list.
CF_POOL = 200
ARTIST_TRACKS = 60
GENRE_TRACKS = 40
POPULAR_TRACKS = 40
# A room's suggestions leave out what it played this recently.
ROOM_RECENT = timedelta(hours=4)
# How many people present are asked about their taste for a room's suggestions.
GROUP_SIZE = 30


def _presence_seconds() -> float:
    """Presence is read for every live room at once and reused this long in a process."""
    return float(getattr(settings, "RECOMMENDATIONS_PRESENCE_SECONDS", 5.0))


@dataclass
class Recommendation:
    item: object  # a Room or a Track
    score: float
    reasons: list[str] = field(default_factory=list)


# --- People ----------------------------------------------------------------------------------


def friend_ids(user: User) -> set[str]:
    """Ids (as strings) of the user's accepted friends, in either direction.

    The social app's Friendship model is being written alongside this; until it exists
    there are no friends. Switch to `social.selectors` once it offers this.
    """
    try:
        friendship = apps.get_model("social", "Friendship")
    except LookupError:
        return set()
    pairs = (
        friendship.objects.filter(status="accepted")
        .filter(Q(from_user=user) | Q(to_user=user))
        .values_list("from_user_id", "to_user_id")
    )
    me = str(user.pk)
    return {str(b) if str(a) == me else str(a) for a, b in pairs}


def _social(user: User) -> tuple[set[str], dict[str, float]]:
    """The user's friends and similar users, reused as briefly as their taste (a new friend shows
    within half a minute)."""
    key = f"rec:social:{user.pk}"
    found = cache.get(key)
    if found is None:
        found = (friend_ids(user), similar_users(user))
        cache.set(key, found, timeout=profiles.taste_seconds())
    return found


def similar_users(user: User) -> dict[str, float]:
    """{user id: similarity} of the people whose histories are most like this user's."""
    row = UserNeighbors.objects.filter(user=user).values_list("neighbor_ids", "scores").first()
    if row is None:
        return {}
    ids, scores = unpack_uuids(row[0]), unpack_floats(row[1])
    return {str(i): float(s) for i, s in zip(ids, scores.tolist(), strict=True)}


class _LiveMemo:
    def __init__(self):
        self.lock = threading.Lock()
        self.at = 0.0
        self.counts: dict[str, int] = {}

    def clear(self) -> None:
        with self.lock:
            self.at, self.counts = 0.0, {}


_live = _LiveMemo()


def _online_members(room_ids: list[str]) -> dict[str, set[str]]:
    """{room id: online user ids} for several rooms in one round trip.

    rooms.presence has no public call for this yet (online_user_ids takes one room, a round
    trip each), so this uses its batched reader; a public `online_members(room_ids)` is
    picked up as soon as rooms.presence offers one.
    """
    public = getattr(presence, "online_members", None)
    if public is not None:
        return {str(k): set(v) for k, v in public(room_ids).items()}
    members = presence._members(room_ids)  # see the docstring
    return {room_id: {m.split("|", 1)[0] for m in entries} for room_id, entries in members.items()}


def live_counts() -> dict[str, int]:
    """{room id: online listeners} of every live room; reread after a few seconds at most.

    Counting every live room costs a pass over all of presence (thousands of rooms), so a
    process reuses the counts briefly instead of paying that on each request.
    """
    with _live.lock:
        if time.monotonic() - _live.at < _presence_seconds():
            return _live.counts
    counts = presence.live_rooms()
    with _live.lock:
        _live.at, _live.counts = time.monotonic(), counts
    return counts


def reset_memos() -> None:
    """Tests: forget this process's cached presence and room index."""
    _live.clear()
    profiles.reset_memos()


# --- Wording -----------------------------------------------------------------------------------


def _and(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


_SOURCE_WORDS = {
    "history": "like your history",
    "favorites": "like your favorites",
    "room": "like this room's music",
    "declared": "like this room's music",
}


def _genre_reason(names: list[str], source: str, *, verb: str = "Plays") -> str:
    """ "Plays jazz and bebop, like your history", or without a verb "Jazz, like your favorites"."""
    listed = _and(names)
    subject = f"{verb} {listed}" if verb else listed[:1].upper() + listed[1:]
    if source == "chosen":
        count = ("one", "two", "three")[min(len(names), 3) - 1]
        return f"{subject}, {count} of your favorite genres"
    return f"{subject}, {_SOURCE_WORDS.get(source, _SOURCE_WORDS['history'])}"


# --- Rooms for a user ----------------------------------------------------------------------------


def _vector(weights: dict[int, float], width: int) -> np.ndarray:
    v = np.zeros(max(width, 1), dtype=np.float64)
    if weights:
        keys = np.fromiter(weights.keys(), dtype=np.int64, count=len(weights))
        values = np.fromiter(weights.values(), dtype=np.float64, count=len(weights))
        inside = keys < width
        v[keys[inside]] = values[inside]
    # Not np.linalg.norm: on a vector that is a BLAS call, whose thread pool then spins on every
    # core for a while after each request (measured: more CPU than the request itself).
    norm = math.sqrt(float(np.square(v).sum()))
    return v / norm if norm > 0 else v


def _room_access(user: User) -> dict[str, set[str]]:
    """{"member" | "banned" | "invited": room ids} for this user, fresh, in one query."""
    kind = CharField()
    member = Membership.objects.filter(user=user).order_by().annotate(kind=Value("member", kind))
    banned = Ban.objects.filter(user=user).order_by().annotate(kind=Value("banned", kind))
    invited = (
        Invite.objects.filter(user=user, accepted_at__isnull=True, expires_at__gt=timezone.now())
        .order_by()
        .annotate(kind=Value("invited", kind))
    )
    found: dict[str, set[str]] = {"member": set(), "banned": set(), "invited": set()}
    rows = member.values_list("room_id", "kind").union(
        banned.values_list("room_id", "kind"), invited.values_list("room_id", "kind"), all=True
    )
    for room_id, what in rows:
        found[what].add(str(room_id))
    return found


def _people_present(people: set[str], live: dict[str, int]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """({room id: people online there}, {room id: people who are members}) for a few people.

    Opening a room's socket joins the room (chat.consumers), so whoever is online in a room
    is a member: the rooms to look at are the people's memberships, and presence is read for
    those of them that are live only.
    """
    members: dict[str, set[str]] = {}
    if not people:
        return {}, members
    rows = Membership.objects.filter(user_id__in=list(people), room__closed_at__isnull=True).values_list(
        "room_id", "user_id"
    )
    for room_id, user_id in rows:
        members.setdefault(str(room_id), set()).add(str(user_id))
    watched = [room_id for room_id in members if room_id in live]
    online = _online_members(watched) if watched else {}
    return {room_id: members[room_id] & users for room_id, users in online.items() if members[room_id] & users}, members


def room_recommendations(*, user: User, limit: int) -> list[Recommendation]:
    """Rooms the user may see and is not banned from, best first; rooms they belong to are left out."""
    index = profiles.room_index()
    n = len(index.room_ids)
    if not n:
        return []
    taste = profiles.user_taste(user)
    access = _room_access(user)
    allowed = ~index.private
    allowed[_positions(index, access["invited"])] = True
    allowed[_positions(index, access["member"] | access["banned"])] = False

    user_genres = _vector(taste.genre_vector(), index.genres.shape[1])
    user_artists = _vector(taste.artist_vector(), index.artists.shape[1])
    taste_part = 0.75 * (index.genres @ user_genres) + 0.25 * (index.artists @ user_artists)

    live_by_room = live_counts()
    live = np.zeros(n)
    for room_id, count in live_by_room.items():
        p = index.position.get(room_id)
        if p is not None:
            live[p] = count

    friends, similar = _social(user)
    similar = {k: v for k, v in similar.items() if k not in friends}
    online_people, member_people = _people_present(friends | set(similar), live_by_room)
    signals = {name: np.zeros(n) for name in ("friends_online", "friends_member", "similar_online", "similar_member")}
    for rooms, kind in ((online_people, "online"), (member_people, "member")):
        for room_id, here in rooms.items():  # the few rooms where these people are
            p = index.position.get(room_id)
            if p is None:
                continue
            if kind == "member":
                here = here - online_people.get(room_id, set())
            signals[f"friends_{kind}"][p] = len(here & friends)
            signals[f"similar_{kind}"][p] = sum(similar.get(person, 0.0) for person in here)

    parts = {
        "taste": taste_part,
        "friends": 1.0 - np.exp(-(signals["friends_online"] + MEMBER_ONLY * signals["friends_member"])),
        "similar": 1.0 - np.exp(-2.0 * (signals["similar_online"] + MEMBER_ONLY * signals["similar_member"])),
        "live": np.minimum(1.0, np.log1p(live) / math.log1p(LIVE_FULL)),
        "playing": index.playing.astype(np.float64),
    }
    score = sum(ROOM_WEIGHTS[name] * part for name, part in parts.items())
    score = np.where(allowed, score, -np.inf)
    order = np.argsort(-score, kind="stable")
    order = order[np.isfinite(score[order])].tolist()
    excluded = access["member"] | access["banned"]
    rooms: dict[str, Room] = {}
    chosen: list[int] = []
    start = 0
    while len(chosen) < limit and start < len(order):
        # Usually one round: the index already left out what the user may not see, and this
        # only catches what changed within the last minute.
        batch = order[start : start + (limit + 3 if not start else 2 * limit)]
        start += len(batch)
        found = {str(room.pk): room for room in _visible_rooms(user, [index.room_ids[p] for p in batch])}
        for p in batch:
            room_id = index.room_ids[p]
            if room_id in found and room_id not in excluded and len(chosen) < limit:
                rooms[room_id] = found[room_id]
                chosen.append(p)

    def friends_at(p: int, kind: str) -> list[str]:
        room_id = index.room_ids[p]
        found = online_people.get(room_id, set()) if kind == "online" else member_people.get(room_id, set())
        if kind == "member":
            found = found - online_people.get(room_id, set())
        return sorted(found & friends)

    lone_friends = {
        ids[0] for p in chosen for ids in (friends_at(p, "online"), friends_at(p, "member")) if len(ids) == 1
    }
    names = {str(pk): name for pk, name in _display_names(lone_friends).items()}
    top_artists = {p: _best_matches(index.artists[p], user_artists, 0.05) for p in chosen}
    artist_ids = {a for found in top_artists.values() for a in found}
    artist_names = dict(Artist.objects.filter(pk__in=artist_ids).values_list("pk", "name")) if artist_ids else {}

    results = []
    for p in chosen:  # at most `limit` rooms, explained from what was already read
        room_id = index.room_ids[p]
        reasons = []
        genres_hit = _best_matches(index.genres[p], user_genres, 0.02)
        if genres_hit:
            source = taste.source_of_genre(genres_hit[0])
            reasons.append(_genre_reason([index.genre_names.get(g, "") for g in genres_hit], source))
        elif top_artists[p]:
            source = taste.source_of_artist(top_artists[p][0])
            reasons.append(_genre_reason([artist_names[a] for a in top_artists[p] if a in artist_names], source))
        for kind, one, many in (
            ("online", "Your friend {} is listening", "{} friends listening"),
            ("member", "Your friend {} is a member", "{} friends are members"),
        ):
            found = friends_at(p, kind)
            if len(found) == 1:
                reasons.append(one.format(names.get(found[0], "")))
            elif found:
                reasons.append(many.format(len(found)))
        similar_here = len((online_people.get(room_id, set()) - friends) & set(similar))
        if similar_here == 1:
            reasons.append("1 listener with taste like yours is here")
        elif similar_here:
            reasons.append(f"{similar_here} listeners with taste like yours are here")
        elif signals["similar_member"][p] > 0:
            reasons.append("Members with taste like yours")
        if live[p] > 0:
            reasons.append(f"Live now: {_plural(int(live[p]), 'listener', 'listeners')}")
        elif index.playing[p]:
            reasons.append("Playing now")
        if room_id in access["invited"]:
            reasons.append("You're invited")
        if not reasons:
            declared = sorted(index.genre_names.get(int(g), "") for g in index.declared[p].indices)[:2]
            reasons.append(f"Plays {_and(declared)}" if declared else "A room you haven't tried yet")
        room = rooms[room_id]
        room.index_genres = sorted(index.genre_names.get(int(g), "") for g in index.declared[p].indices)
        results.append(Recommendation(item=room, score=round(float(score[p]), 4), reasons=reasons))
    return results


def _visible_rooms(user: User, room_ids: list[str]) -> list[Room]:
    """These rooms if the user may see them, by the rooms app's own rule, read now (the index may
    be a minute old). Each comes with what it plays now (one query less than
    rooms.selectors.now_playing_tracks); its genres come from the index instead of a prefetch."""
    return list(
        room_selectors.with_listing(room_selectors.visible_rooms(user))
        .prefetch_related(None)
        .select_related("playback__track")
        .prefetch_related(*track_prefetches("playback__track__"))
        .filter(pk__in=room_ids)
    )


def _positions(index: profiles.RoomIndex, room_ids) -> np.ndarray:
    return np.asarray([index.position[r] for r in room_ids if r in index.position], dtype=np.int64)


def _best_matches(row: sp.csr_matrix, user: np.ndarray, threshold: float, count: int = 2) -> list[int]:
    """The (at most `count`) features of a room's row that add most to its match with the user."""
    if not row.nnz:
        return []
    contrib = row.data * user[row.indices]
    top = np.argsort(-contrib, kind="stable")[:count]
    return [int(row.indices[i]) for i in top if contrib[i] > threshold]


def _display_names(user_ids) -> dict:
    if not user_ids:
        return {}
    return {
        pk: (display or username)
        for pk, display, username in User.objects.filter(pk__in=list(user_ids)).values_list(
            "pk", "display_name", "username"
        )
    }


# --- Tracks --------------------------------------------------------------------------------------


@dataclass
class _Scored:
    track_ids: np.ndarray
    scores: np.ndarray
    parts: dict  # raw cf, genre, artist, popularity per candidate
    # Per candidate: the seed (track pk) that contributed most to its co-listening score, or -1.
    best_seed: np.ndarray
    genre_pairs: tuple[np.ndarray, np.ndarray]
    artist_pairs: tuple[np.ndarray, np.ndarray]


def _neighbor_rows(seeds: np.ndarray) -> tuple[np.ndarray, ...]:
    """The seeds' stored neighbours as (seed position, neighbour pk, similarity, neighbour listeners)
    arrays; one query."""
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64))
    if not seeds.size:
        return empty
    seed_pos = {int(t): i for i, t in enumerate(seeds.tolist())}
    src, dst, val, pop = [], [], [], []
    rows = TrackNeighbors.objects.filter(track_id__in=seeds.tolist()).values_list(
        "track_id", "neighbor_ids", "scores", "neighbor_listeners"
    )
    for track_id, ids, scores, listeners in rows:  # at most max_seeds rows, each decoded by frombuffer
        ids = unpack_ints(ids)
        src.append(np.full(ids.size, seed_pos[int(track_id)], dtype=np.int64))
        dst.append(ids)
        val.append(unpack_floats(scores))
        pop.append(unpack_counts(listeners))
    if not src:
        return empty
    return np.concatenate(src), np.concatenate(dst), np.concatenate(val).astype(np.float64), np.concatenate(pop)


def _top_keys(weights: dict[int, float], count: int) -> list[int]:
    return [key for key, _ in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:count]]


def _score_tracks(
    taste: profiles.Taste,
    *,
    extra_genres: dict[int, float],
    exclude: Callable[[np.ndarray], set[int]],
    drop: set[int] = frozenset(),
) -> _Scored | None:
    """Candidates from neighbours, favourite artists, genre lists and the popular list, scored by
    engine.score_items. `exclude(candidates)` names tracks that only come last; `drop` never come."""
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
        # Newest first: the tracks with little history, which co-listening cannot reach yet.
        credits = TrackArtist.objects.filter(artist_id__in=top_artists).order_by("-track_id")
        artist_tracks = np.asarray(credits.values_list("track_id", flat=True)[:ARTIST_TRACKS], dtype=np.int64)
    keys = ["popular", *[f"genre:{g}" for g in top_genres]]
    lists = {
        key: (unpack_ints(ids), unpack_floats(scores))
        for key, ids, scores in TrackList.objects.filter(key__in=keys).values_list("key", "track_ids", "scores")
    }
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

    genre_t, genre_g, artist_t, artist_a = profiles.track_features(universe)
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
        blend_params=BLEND,
        extra_genres=extra,
    )
    scores = scores[0].astype(np.float64)
    if taste.known:
        known = np.isin(candidates, np.fromiter(taste.known, np.int64, len(taste.known)))
        scores = np.where(known, scores * BLEND.known, scores)
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
    top = math.log1p(profiles.catalog().max_listeners)
    if top <= 0 or not known_ids.size:
        return np.zeros(candidates.size, dtype=np.float32)
    ids, first = np.unique(known_ids, return_index=True)
    position = np.minimum(np.searchsorted(ids, candidates), ids.size - 1)
    counts = np.where(ids[position] == candidates, known_listeners[first][position], 0)
    return (np.log1p(counts.astype(np.float64)) / top).astype(np.float32)


def _track_results(scored: _Scored | None, taste: profiles.Taste, *, limit: int, context: str) -> list[Recommendation]:
    if scored is None:
        return []
    order = np.argsort(-scored.scores, kind="stable")[:limit]
    # The results and the seeds that explain them, in one read (seeds only need their names).
    seeds = {int(scored.best_seed[i]) for i in order.tolist() if scored.best_seed[i] >= 0}
    tracks = {t.pk: t for t in track_queryset().filter(pk__in=[*scored.track_ids[order].tolist(), *seeds])}
    order = [i for i in order.tolist() if int(scored.track_ids[i]) in tracks]
    seed_names = {pk: tracks[pk].name for pk in seeds if pk in tracks}
    genre_vec = taste.genre_vector()
    artist_vec = taste.artist_vector()
    cf_top = float(scored.parts["cf"].max(initial=0.0))
    results = []
    for i in order:  # at most `limit` results, each explained from what was already read
        track = tracks[int(scored.track_ids[i])]
        reasons = []
        cf = float(scored.parts["cf"][i]) / cf_top if cf_top > 0 else 0.0
        seed = int(scored.best_seed[i])
        if cf > 0.05 and seed in seed_names:
            reasons.append(f"People who play {seed_names[seed]} also play this")
        liked_artists = [c.artist for c in track.credits.all() if artist_vec.get(c.artist_id, 0) > 0]
        if liked_artists and len(reasons) < 2:
            artist = max(liked_artists, key=lambda a: artist_vec[a.pk])
            source = "room" if context == "room" else taste.source_of_artist(artist.pk)
            reasons.append(f"By {artist.name}, {_SOURCE_WORDS.get(source, _SOURCE_WORDS['history'])}")
        liked_genres = sorted(
            (g for g in track.genres.all() if genre_vec.get(g.pk, 0) > 0), key=lambda g: (-genre_vec[g.pk], g.name)
        )[:2]
        if liked_genres and len(reasons) < 2:
            source = taste.source_of_genre(liked_genres[0].pk)
            reasons.append(_genre_reason([g.name for g in liked_genres], source, verb=""))
        # Popularity comes last: named when nothing else explains a track, or next to a lone reason.
        if not reasons or (len(reasons) == 1 and float(scored.parts["popularity"][i]) >= 0.8):
            reasons.append("Popular on TuneWave")
        results.append(Recommendation(item=track, score=round(float(scored.scores[i]), 4), reasons=reasons))
    return results


def track_recommendations(*, user: User, limit: int) -> list[Recommendation]:
    """Tracks for the user: never a favorite or a track heard in the last day, unless nothing else is left."""
    taste = profiles.user_taste(user)
    scored = _score_tracks(taste, extra_genres=taste.genres.get("chosen", {}), exclude=lambda _: taste.excluded)
    return _track_results(scored, taste, limit=limit, context="user")


def room_suggestions(*, room: Room, limit: int) -> list[Recommendation]:
    """Tracks for the room's queue, fitting the people present (online, else the members) and the
    room's music. Queued and playing tracks never come; those played here lately come last."""
    online = presence.online_user_ids(room.pk)
    if online:
        people = sorted(online)[:GROUP_SIZE]
    else:
        members = Membership.objects.filter(room=room).order_by("-joined_at").values_list("user_id", flat=True)
        people = [str(u) for u in members[:GROUP_SIZE]]
    queued = list(QueueItem.objects.filter(room=room).order_by("position").values_list("track_id", flat=True))
    current = PlaybackState.objects.filter(room=room, track__isnull=False).values_list("track_id", flat=True).first()
    room_tracks = ([current] if current else []) + queued
    taste = profiles.group_taste(
        user_ids=[uuid.UUID(p) for p in people],
        extra_tracks=room_tracks,
        declared_genre_ids=[g.pk for g in room.genres.all()],
    )
    since = timezone.now() - ROOM_RECENT

    def played_here(candidates: np.ndarray) -> set[int]:
        # By track (indexed), not by room (a room_id index would scan): the candidates' recent plays here.
        recent = ListeningEvent.objects.filter(
            track_id__in=candidates.tolist(), listened_at__gte=since, room_id=room.pk
        )
        return set(recent.values_list("track_id", flat=True))

    scored = _score_tracks(
        taste, extra_genres=taste.genres.get("declared", {}), exclude=played_here, drop=set(room_tracks)
    )
    return _track_results(scored, taste, limit=limit, context="room")

"""Ranking rooms for a user: how each open room's music fits their taste, friends and people
with taste like theirs in it, and live listeners; each room with its reasons.

A request reads, it does not train: the room index and the user's similar people come from the
precompute; what changes by the second (memberships, bans, invitations, who is online) is read
fresh here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from django.conf import settings
from django.db.models import BinaryField, CharField, UUIDField, Value
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.models import User
from core.reads import CompiledRead
from recommendations import cards, reasons, room_index, tastes
from recommendations.memo import Memo
from recommendations.models import UserNeighbors, unpack_floats, unpack_uuids
from rooms import access as room_access
from rooms import presence
from rooms import selectors as room_selectors
from rooms.models import Membership, PlaybackState, Room
from social.models import Friendship

ROOM_WEIGHTS = {"taste": 0.5, "friends": 0.2, "similar": 0.15, "live": 0.1, "playing": 0.05}
# Live listeners at which the "live" part is full.
LIVE_FULL = 30
# The kind of the rows of _access_rows that name a friend.
FRIEND = "friend"
# A friend (or similar person) who is a member but not online counts this much.
MEMBER_ONLY = 0.3


def _presence_seconds() -> float:
    """Presence is read for every live room at once and reused this long in a process."""
    return float(getattr(settings, "RECOMMENDATIONS_PRESENCE_SECONDS", 5.0))


@dataclass(eq=False)
class LiveCounts:
    """{room id: online listeners} of every live room, as read at one moment."""

    counts: dict[str, int]
    # The counts laid out on one room index (its version, the vector): made once per both.
    _vector: tuple[str, np.ndarray] | None = field(default=None, repr=False)

    def vector(self, index: room_index.RoomIndex) -> np.ndarray:
        """The counts over the index's rooms (read-only: shared by the requests of the moment)."""
        held = self._vector
        if held is not None and held[0] == index.version:
            return held[1]
        live = np.zeros(len(index.room_ids))
        for room_id, count in self.counts.items():
            p = index.position.get(room_id)
            if p is not None:
                live[p] = count
        live.setflags(write=False)
        self._vector = (index.version, live)  # two requests may both make it: the same vector
        return live


# Counting every live room costs a pass over all of presence (thousands of rooms), so a
# process reuses the counts briefly instead of paying that on each request.
_live: Memo[LiveCounts] = Memo(seconds=_presence_seconds)


def live_counts() -> LiveCounts:
    """Every live room's online listeners; reread after a few seconds at most."""
    return _live.get(lambda: LiveCounts(presence.live_rooms()))


def forget() -> None:
    _live.clear()


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


def _access_rows(user_id, now):
    kind = CharField()
    # Rows: (room or user id, kind, None, None), and one ("similar") row with the precompute's
    # neighbours of the user (None, "similar", packed ids, packed scores), first: it fixes the
    # column types of the UNION.
    blob = [Cast(Value(None), BinaryField()), Cast(Value(None), BinaryField())]
    accepted = Friendship.Status.ACCEPTED
    similar = (
        UserNeighbors.objects.filter(user_id=user_id)
        .annotate(rec_ref=Cast(Value(None), UUIDField()), kind=Value("similar", kind))
        .values_list("rec_ref", "kind", "neighbor_ids", "scores")
    )
    # The rooms app's facts about the user's rooms (rooms.access: role, banned, invited), then friends.
    rooms = [
        rows.order_by()
        .annotate(rec_ids=blob[0], rec_scores=blob[1])
        .values_list("access_room", "access_kind", "rec_ids", "rec_scores")
        for rows in room_access.user_room_rows(user_id, now)
    ]
    friends = [
        Friendship.objects.filter(**{mine: user_id, "status": accepted})
        .order_by()
        .annotate(kind=Value(FRIEND, kind), rec_ids=blob[0], rec_scores=blob[1])
        .values_list(theirs, "kind", "rec_ids", "rec_scores")
        for mine, theirs in (("from_user_id", "to_user_id"), ("to_user_id", "from_user_id"))
    ]
    return similar.order_by().union(*rooms, *friends, all=True)


_ACCESS = CompiledRead(_access_rows, "uuid", "datetime", model=Membership)


def _room_access(user: User) -> tuple[room_access.UserRooms, set[str], dict[str, float]]:
    """What the user's rooms and people are, fresh, in one query: their rooms (roles, bans and
    open invitations: rooms.access's batched form), their accepted friends' ids (whoever
    asked), and {user id: similarity} of the people whose histories are most like theirs (the
    precompute's neighbours)."""
    rooms = room_access.UserRooms()
    friends: set[str] = set()
    similar: dict[str, float] = {}
    for ref, what, ids, scores in _ACCESS(user.pk, timezone.now()):
        if what == "similar":
            similar = dict(zip(map(str, unpack_uuids(ids)), unpack_floats(scores).tolist(), strict=True))
        elif what == FRIEND:
            friends.add(str(ref))
        else:
            rooms.add(ref, what)
    return rooms, friends, similar


_MEMBERSHIPS = CompiledRead(
    lambda user_ids: Membership.objects.filter(user_id__in=user_ids).order_by().values_list("room_id", "user_id"),
    "uuid[]",
    model=Membership,
)


def _people_present(people: set[str], live: dict[str, int]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """({room id: people online there}, {room id: people who are members}) for a few people.

    Opening a room's socket joins the room (chat.consumers), so whoever is online in a room
    is a member: the rooms to look at are the people's memberships, and presence is read for
    those of them that are live only.
    """
    members: dict[str, set[str]] = {}
    if not people:
        return {}, members
    # Closed rooms are not in the index, and _room_cards reads whether a room is open now.
    for room_id, user_id in _MEMBERSHIPS(sorted(people)):
        members.setdefault(str(room_id), set()).add(str(user_id))
    watched = [room_id for room_id in members if room_id in live]
    online = presence.online_members(watched) if watched else {}
    return {room_id: members[room_id] & users for room_id, users in online.items() if members[room_id] & users}, members


def room_recommendations(
    *, user: User, limit: int, index: room_index.RoomIndex
) -> list[cards.Recommendation[cards.RoomCard]]:
    """Rooms the user may see and is not banned from, best first; rooms they belong to are left
    out. Each item is a cards.RoomCard."""
    n = len(index.room_ids)
    if not n:
        return []
    taste = tastes.user_taste(user)
    access, friends, similar = _room_access(user)
    # Rooms the user may join (rooms.access) and has not: their own rooms are left out.
    allowed = access.join_mask(index.private, index.position)
    allowed[_positions(index, access.roles)] = False

    user_genres = _vector(taste.genre_vector(), index.genres.shape[1])
    user_artists = _vector(taste.artist_vector(), index.artists.shape[1])
    taste_part = 0.75 * (index.genres @ user_genres) + 0.25 * (index.artists @ user_artists)

    counts = live_counts()
    live_by_room, live = counts.counts, counts.vector(index)
    similar = {k: v for k, v in similar.items() if k not in friends}
    online_people, member_people = _people_present(friends | set(similar), live_by_room)
    signals = {name: np.zeros(n) for name in ("friends_online", "friends_member", "similar_online", "similar_member")}
    for present, kind in ((online_people, "online"), (member_people, "member")):
        for room_id, here in present.items():  # the few rooms where these people are
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
    excluded = set(access.roles)
    rooms: dict[str, cards.RoomCard] = {}
    chosen: list[int] = []
    start = 0
    while len(chosen) < limit and start < len(order):
        # Usually one round: the index already left out what the user may not see, and this
        # only catches what changed within the last minute.
        batch = order[start : start + (limit + 3 if not start else 2 * limit)]
        start += len(batch)
        batch_cards = _room_cards([index.room_ids[p] for p in batch], access=access)
        for p in batch:
            room_id = index.room_ids[p]
            if room_id in batch_cards and room_id not in excluded and len(chosen) < limit:
                rooms[room_id] = batch_cards[room_id]
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
    top_artists = {p: _best_matches(index.artists, p, user_artists, 0.05) for p in chosen}
    # What the rooms play and the artists the reasons name, in one read.
    playing = {room.now_playing for room in rooms.values() if room.now_playing is not None}
    artist_names = cards.fill_cards(playing, artist_ids={a for found in top_artists.values() for a in found})

    results = []
    for p in chosen:  # at most `limit` rooms, explained from what was already read
        room_id = index.room_ids[p]
        why = []
        genres_hit = _best_matches(index.genres, p, user_genres, 0.02)
        if genres_hit:
            source = taste.source_of_genre(genres_hit[0])
            why.append(reasons.genre_reason([index.genre_names.get(g, "") for g in genres_hit], source))
        elif top_artists[p]:
            source = taste.source_of_artist(top_artists[p][0])
            why.append(reasons.genre_reason([artist_names[a] for a in top_artists[p] if a in artist_names], source))
        for kind, one, many in (
            ("online", "Your friend {} is listening", "{} friends listening"),
            ("member", "Your friend {} is a member", "{} friends are members"),
        ):
            found = friends_at(p, kind)
            if len(found) == 1:
                why.append(one.format(names.get(found[0], "")))
            elif found:
                why.append(many.format(len(found)))
        similar_here = len((online_people.get(room_id, set()) - friends) & set(similar))
        if similar_here == 1:
            why.append("1 listener with taste like yours is here")
        elif similar_here:
            why.append(f"{similar_here} listeners with taste like yours are here")
        elif signals["similar_member"][p] > 0:
            why.append("Members with taste like yours")
        if live[p] > 0:
            why.append(f"Live now: {reasons.plural(int(live[p]), 'listener', 'listeners')}")
        elif index.playing[p]:
            why.append("Playing now")
        if room_id in access.invited:
            why.append("You're invited")
        declared = sorted(index.genre_names.get(int(g), "") for g in _row(index.declared, p)[0])
        if not why:
            why.append(f"Plays {reasons.and_(declared[:2])}" if declared else "A room you haven't tried yet")
        room = rooms[room_id]
        room.genres = declared
        results.append(cards.Recommendation(item=room, score=round(float(score[p]), 4), reasons=why))
    return results


_ROOMS = CompiledRead(
    lambda room_ids: (
        room_selectors.with_listing(Room.objects.filter(pk__in=room_ids, closed_at__isnull=True))
        .prefetch_related(None)
        .order_by()
        .values_list(*cards.ROOM_COLUMNS, *(f"playback__track__{name}" for name in cards.TRACK_COLUMNS))
    ),
    "uuid[]",
    model=Room,
)


def _room_cards(room_ids: list[str], *, access: room_access.UserRooms) -> dict[str, cards.RoomCard]:
    """{room id: cards.RoomCard} of these rooms that are open and that the caller may join
    (`RoomAccess.can_join`), read now (the index may be a minute old). One query: each room comes with its owner, member count and
    what it plays now; the tracks' artists and genres are left to _fill_cards, the room's
    genres to the index."""
    by_room: dict[str, cards.RoomCard] = {}
    for row in _ROOMS(room_ids):
        room = dict(zip(cards.ROOM_COLUMNS, row[: len(cards.ROOM_COLUMNS)], strict=True))
        room_id = str(room["pk"])
        if not access.access(room_id, is_private=room["is_private"]).can_join:
            continue
        track = row[len(cards.ROOM_COLUMNS) :]
        status = room.pop("playback__status")  # None: the room has no playback state yet
        playing = track[0] is not None and status != PlaybackState.Status.IDLE
        owner = cards.Owner(
            room.pop("owner_id"),
            room.pop("owner__username"),
            room.pop("owner__display_name"),
            room.pop("owner__avatar"),
        )
        by_room[room_id] = cards.RoomCard(**room, owner=owner, now_playing=cards.TrackCard(*track) if playing else None)
    return by_room


def _positions(index: room_index.RoomIndex, room_ids) -> np.ndarray:
    return np.asarray([index.position[r] for r in room_ids if r in index.position], dtype=np.int64)


def _row(matrix: sp.csr_matrix, p: int) -> tuple[np.ndarray, np.ndarray]:
    """(column indices, values) of one row of a CSR matrix, as views (scipy's row slicing
    builds a new matrix, which costs more than the rest of the row's use)."""
    start, end = matrix.indptr[p], matrix.indptr[p + 1]
    return matrix.indices[start:end], matrix.data[start:end]


def _best_matches(matrix: sp.csr_matrix, p: int, user: np.ndarray, threshold: float, count: int = 2) -> list[int]:
    """The (at most `count`) features of room `p`'s row that add most to its match with the user."""
    indices, data = _row(matrix, p)
    if not indices.size:
        return []
    contrib = data * user[indices]
    top = np.argsort(-contrib, kind="stable")[:count]
    return [int(indices[i]) for i in top if contrib[i] > threshold]


def _display_names(user_ids) -> dict:
    if not user_ids:
        return {}
    return {
        pk: (display or username)
        for pk, display, username in User.objects.filter(pk__in=list(user_ids)).values_list(
            "pk", "display_name", "username"
        )
    }

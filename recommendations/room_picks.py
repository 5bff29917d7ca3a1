"""A room's suggestions in words, and what a room plays by itself when its queue runs out.

`suggestions` is what GET /rooms/{id}/suggestions shows: the recommender's tracks for the people
present (rank_tracks.room_suggestions), each with one human reason ("Because Alice and Bob like
jazz"), ranked so that tracks most listeners present can hear come first (`hearing_share`: a
track with audio plays for everyone, a Spotify-only one for the listeners whose Spotify player
is ready, accounts.spotify_player). `autoplay_picks` is what rooms.services plays when the queue
is empty and the room's `autoplay` is on: the first of those suggestions that someone present
can hear, else popular catalogue tracks with audio in the room's genres, else any with audio;
never one in `drop` (the room's last plays, the current track and the queue, which the caller
passes).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from music.models import FavoriteTrack, Genre, ListeningEvent, Track
from recommendations import rank_tracks
from recommendations.cards import Recommendation, TrackCard
from rooms import presence
from rooms.models import Room

# A listen this old still says what someone likes (for the wording of reasons only).
LIKES_WINDOW = timedelta(days=180)
# Suggestions looked through for one that can play here.
POOL = 50
POPULAR = "Popular on TuneWave"
# What a track nobody present can hear keeps of its score, against 1 for one everybody can hear:
# the ranking multiplies a suggestion's score by FLOOR + (1 - FLOOR) × its hearing share.
HEARING_FLOOR = 0.25


@dataclass
class Suggestion:
    track: TrackCard
    reason: str
    recommendation: Recommendation[TrackCard]
    hearing: float = 1.0  # the share of the listeners online who can hear it (hearing_share)


def hearing_share(sources: Collection[str], *, online: int, spotify: int) -> float:
    """The share of `online` listeners who can hear a track with these `sources` (Track.sources),
    `spotify` of them having a ready Spotify player: the room socket's `room.audience` rule."""
    if "audio" in sources:
        return 1.0
    if "spotify" in sources and online > 0:
        return min(spotify, online) / online
    return 0.0


def _sources(track_ids: list[int]) -> dict[int, list[str]]:
    """{pk: Track.sources} in one query (the rule is the model's, read from plain values)."""
    rows = Track.objects.filter(pk__in=track_ids).order_by().values_list("pk", "origin", "spotify_id", "audio_url")
    return {
        pk: Track(pk=pk, origin=origin, spotify_id=spotify_id, audio_url=audio_url).sources
        for pk, origin, spotify_id, audio_url in rows
    }


def _by_hearing(found: list[Recommendation[TrackCard]], *, room_id) -> list[tuple[Recommendation[TrackCard], float]]:
    """The recommendations with their hearing share, those most listeners present can hear first.

    Scores are weighted by HEARING_FLOOR + (1 - HEARING_FLOOR) × share; tracks the recommender
    sends last (played here lately: negative scores) stay last, by share. Ties keep its order.
    """
    if not found:
        return []
    audience = presence.audience(room_id)
    sources = _sources([rec.item.pk for rec in found])
    shares = [
        hearing_share(sources.get(rec.item.pk, []), online=audience["online"], spotify=audience["spotify"])
        for rec in found
    ]

    def key(i: int) -> tuple:
        score, weight = found[i].score, HEARING_FLOOR + (1 - HEARING_FLOOR) * shares[i]
        return (0, -score * weight, i) if score >= 0 else (1, -shares[i], i)

    return [(found[i], shares[i]) for i in sorted(range(len(found)), key=key)]


@dataclass(frozen=True)
class Pick:
    track_id: int
    reason: str


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _who_likes(people: list[str], genre_ids: set[int]) -> dict[int, set[str]]:
    """{genre pk: ids of the people who like it}: they chose it, favorited its tracks or played
    them lately. Three queries, whatever the number of people and genres."""
    if not people or not genre_ids:
        return {}
    likes: dict[int, set[str]] = {}
    since = timezone.now() - LIKES_WINDOW
    listened = (
        ListeningEvent.objects.filter(user_id__in=people, listened_at__gte=since, track__genres__in=genre_ids)
        .order_by()
        .values_list("user_id", "track__genres")
        .distinct()
    )
    favored = (
        FavoriteTrack.objects.filter(user_id__in=people, track__genres__in=genre_ids)
        .order_by()
        .values_list("user_id", "track__genres")
        .distinct()
    )
    for user_id, genre_id in [*listened, *favored]:
        likes.setdefault(genre_id, set()).add(str(user_id))
    by_name = dict(Genre.objects.filter(pk__in=genre_ids).values_list("name", "pk"))
    for user_id, chosen in User.objects.filter(pk__in=people).values_list("pk", "favorite_genres"):
        for name in chosen if isinstance(chosen, list) else []:
            chosen_id = by_name.get(str(name).strip().lower())
            if chosen_id is not None:
                likes.setdefault(chosen_id, set()).add(str(user_id))
    return likes


def _names(user_ids: set[str]) -> dict[str, str]:
    if not user_ids:
        return {}
    rows = User.objects.filter(pk__in=list(user_ids), is_active=True).values_list("pk", "display_name", "username")
    return {str(pk): display or username for pk, display, username in rows}


def people_reason(genres: list[tuple[int, str]], likes: dict[int, set[str]], names: dict[str, str]) -> str | None:
    """ "Because Alice and Bob like jazz" for the track's genre most people present like; None if none."""
    liked = [(len({u for u in likes.get(pk, set()) if u in names}), name, pk) for pk, name in genres]
    liked = [entry for entry in liked if entry[0] > 0]
    if not liked:
        return None
    _, genre, pk = max(liked, key=lambda entry: (entry[0], -len(entry[1]), entry[1]))
    shown = sorted((names[u] for u in likes[pk] if u in names), key=lambda n: (n.lower(), n))
    if len(shown) == 1:
        return f"Because {shown[0]} likes {genre}"
    if len(shown) <= 3:
        return f"Because {_and(shown)} like {genre}"
    return f"Because {shown[0]}, {shown[1]} and {len(shown) - 2} others like {genre}"


def suggestions(*, room_id, limit: int, drop: Collection[int] = frozenset()) -> list[Suggestion]:
    """The room's suggestions (rank_tracks.room_suggestions), those most listeners present can hear
    first (out of at least POOL), each with one reason in words."""
    people = rank_tracks.room_people(room_id)
    found = rank_tracks.room_suggestions(room_id=room_id, limit=max(limit, POOL), drop=drop, people=people)
    ranked = _by_hearing(found, room_id=room_id)[:limit]
    genre_ids = {pk for rec, _ in ranked for pk, _ in rec.item.genres}
    likes = _who_likes(people, genre_ids)
    names = _names(set().union(*likes.values()) if likes else set())
    return [
        Suggestion(
            track=rec.item,
            reason=people_reason(rec.item.genres, likes, names) or (rec.reasons[0] if rec.reasons else POPULAR),
            recommendation=rec,
            hearing=share,
        )
        for rec, share in ranked
    ]


def autoplay_picks(*, room: Room, count: int, drop: Collection[int]) -> list[Pick]:
    """Up to `count` tracks someone present can hear, those most of them can hear first; none in
    `drop`."""
    taken = {int(t) for t in drop}
    picks: list[Pick] = []
    for suggestion in suggestions(room_id=room.pk, limit=POOL, drop=taken):
        if len(picks) == count:
            return picks
        if suggestion.hearing > 0 and suggestion.track.pk not in taken:
            picks.append(Pick(suggestion.track.pk, suggestion.reason))
            taken.add(suggestion.track.pk)
    if len(picks) == count:
        return picks
    # The recommender had nothing anyone present can hear: popular tracks with audio (everyone
    # can hear them), the room's genres first.
    room_genres = dict(room.genres.values_list("pk", "name"))
    playable = Track.objects.exclude(audio_url="").order_by("-popularity", "pk")
    if room_genres:
        for track_id, genre_id in (
            playable.filter(genres__in=list(room_genres))
            .exclude(pk__in=taken)
            .values_list("pk", "genres")[: 4 * (count - len(picks))]
        ):
            if track_id not in taken and len(picks) < count:
                picks.append(Pick(track_id, f"Popular {room_genres[genre_id]} on TuneWave, like this room's music"))
                taken.add(track_id)
    if len(picks) < count:
        for track_id in playable.exclude(pk__in=taken).values_list("pk", flat=True)[: count - len(picks)]:
            picks.append(Pick(track_id, POPULAR))
    return picks

"""Reasons in words: why a room or a track is recommended ("Plays jazz, like your history")."""

from __future__ import annotations

from recommendations.cards import TrackCard
from recommendations.tastes import Taste


def and_(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


SOURCE_WORDS = {
    "history": "like your history",
    "favorites": "like your favorites",
    "likes": "like tracks you liked in rooms",
    "room": "like this room's music",
    "declared": "like this room's music",
}


def genre_reason(names: list[str], source: str, *, verb: str = "Plays") -> str:
    """ "Plays jazz and bebop, like your history", or without a verb "Jazz, like your favorites"."""
    listed = and_(names)
    subject = f"{verb} {listed}" if verb else listed[:1].upper() + listed[1:]
    if source == "chosen":
        count = ("one", "two", "three")[min(len(names), 3) - 1]
        return f"{subject}, {count} of your favorite genres"
    return f"{subject}, {SOURCE_WORDS.get(source, SOURCE_WORDS['history'])}"


def track_reasons(
    track: TrackCard,
    taste: Taste,
    *,
    genre_vec: dict[int, float],
    artist_vec: dict[int, float],
    cf: float,
    seed_name: str | None,
    popularity: float,
    context: str,
) -> list[str]:
    """At most two reasons, or three with "Popular": co-listening with the seed that gave most
    of `cf` (its share of the best candidate's, in [0, 1]), a liked artist, liked genres.
    `genre_vec` and `artist_vec` are the taste's merged weights (made once per request)."""
    why = []
    if cf > 0.05 and seed_name is not None:
        why.append(f"People who play {seed_name} also play this")
    liked_artists = [(pk, name) for pk, name in track.artists if artist_vec.get(pk, 0) > 0]
    if liked_artists and len(why) < 2:
        artist, artist_name = max(liked_artists, key=lambda a: artist_vec[a[0]])
        source = "room" if context == "room" else taste.source_of_artist(artist)
        why.append(f"By {artist_name}, {SOURCE_WORDS.get(source, SOURCE_WORDS['history'])}")
    liked_genres = sorted(
        (g for g in track.genres if genre_vec.get(g[0], 0) > 0), key=lambda g: (-genre_vec[g[0]], g[1])
    )[:2]
    if liked_genres and len(why) < 2:
        source = taste.source_of_genre(liked_genres[0][0])
        why.append(genre_reason([name for _, name in liked_genres], source, verb=""))
    # Popularity comes last: named when nothing else explains a track, or next to a lone reason.
    if not why or (len(why) == 1 and popularity >= 0.8):
        why.append("Popular on TuneWave")
    return why

"""GET /search: the catalog, rooms and people, and Spotify's tracks when it is configured.

Spotify is asked only for tracks, with a short timeout and no retries (music/spotify.py,
`search_tracks`); its answers are cached per query for a few minutes. Whatever happens there,
the local results stand: `spotify` says "ok" (asked and answered), "failed" (asked, no usable
answer: timeout, 5xx, 429, unreadable) or "off" (not configured, or tracks not asked for).

Spotify tracks the catalog lacks are returned as TrackBase dicts (no audio_url: they cannot
play in the browser here). Queueing or favouriting one stores it (music.services.track_for_id
finds it in the cache `search_tracks` filled, so Spotify is not asked again).
"""

import logging
from dataclasses import dataclass, field

from accounts.models import User
from music import spotify
from music.models import Track
from music.selectors import track_queryset
from rooms.models import Room
from search import selectors

logger = logging.getLogger(__name__)

TYPES = ("track", "room", "user")
MAX_QUERY = 100
DEFAULT_LIMIT = 10
MAX_LIMIT = 50

SPOTIFY_OK = "ok"
SPOTIFY_FAILED = "failed"
SPOTIFY_OFF = "off"


@dataclass
class SearchResults:
    """`tracks` holds catalog Tracks and, for Spotify results the catalog lacks, dicts in
    `music.spotify.fetch_track`'s shape. A kind not asked for is None."""

    tracks: list[Track | dict] | None = None
    rooms: list[Room] | None = None
    users: list[User] | None = None
    spotify: str = SPOTIFY_OFF
    types: tuple[str, ...] = field(default=TYPES)


def search(
    *, query: str, types: tuple[str, ...] = TYPES, limit: int = DEFAULT_LIMIT, user: User | None
) -> SearchResults:
    """The search itself (validated input: 1..MAX_QUERY characters, known types, 1..MAX_LIMIT).
    People are found for signed-in callers only (anonymous callers get no users)."""
    results = SearchResults(types=types)
    if "track" in types:
        local = selectors.track_search(query=query, limit=limit, user=user)
        found, results.spotify = _spotify_tracks(query, limit)
        results.tracks = merge(local, found, query=query, limit=limit)
    if "room" in types:
        results.rooms = selectors.room_search(query=query, user=user, limit=limit)
    if "user" in types:
        results.users = selectors.user_search(query=query, limit=limit) if user is not None else []
    return results


def _spotify_tracks(query: str, limit: int) -> tuple[list[Track | dict], str]:
    """Spotify's results, catalog tracks standing in for those the catalog has."""
    if not spotify.is_configured():
        return [], SPOTIFY_OFF
    try:
        found = spotify.search_tracks(query, limit=limit)
    except spotify.SpotifyError as exc:
        logger.info("search: Spotify did not answer (%s); local results only", exc)
        return [], SPOTIFY_FAILED
    known = {
        track.spotify_id: track for track in track_queryset().filter(spotify_id__in=[t["spotify_id"] for t in found])
    }
    return [known.get(data["spotify_id"], data) for data in found], SPOTIFY_OK


def _spotify_id(track: Track | dict) -> str:
    return track.spotify_id if isinstance(track, Track) else track["spotify_id"]


def _name(track: Track | dict) -> str:
    return track.name if isinstance(track, Track) else track["name"]


def merge(local: list[Track], remote: list[Track | dict], *, query: str, limit: int) -> list[Track | dict]:
    """Exact-name matches first (the catalog's, then Spotify's), then the catalog's and
    Spotify's results taking turns, each list in its own order; one entry per track."""
    wanted = selectors.normalize(query)
    exact = [t for t in [*local, *remote] if selectors.normalize(_name(t)) == wanted]
    rest_local = [t for t in local if t not in exact]
    rest_remote = [t for t in remote if t not in exact]
    turns: list[Track | dict] = []
    for i in range(max(len(rest_local), len(rest_remote))):
        turns += rest_local[i : i + 1] + rest_remote[i : i + 1]
    merged: dict[str, Track | dict] = {}
    for track in [*exact, *turns]:
        merged.setdefault(_spotify_id(track), track)
    return list(merged.values())[:limit]

"""Spotify's Web API for catalogue lookups (client-credentials flow: no user involved).

Every call here either answers, says Spotify does not know the id (`None` / left out), or
raises `SpotifyNotConfigured` or `SpotifyUnavailable`; no spotipy or requests exception
leaks out, so callers map exactly two failures to 404 and 503.

Retries are ours, not urllib3's. spotipy normally mounts urllib3 retries on its session,
but those sit below `responses` (tests could not see them) and ignore our cap on waiting.
So the session here is a plain one (no transport retries) and `_call` retries 429 and 5xx,
honouring `Retry-After`. A wait longer than SPOTIFY_MAX_RETRY_WAIT is not slept through
in a request thread: we give up at once and report how long Spotify asked us to wait.

Answers are cached in Django's cache (Redis in services mode) per id, including "no such
id", and so is the client-credentials token, so every process shares one token.

`search_tracks` (GET /search) is the one call made while someone waits on every keystroke:
it has a shorter timeout (SEARCH_TIMEOUT), no retries, and its answers are cached for
SEARCH_CACHE_SECONDS per query; each track it finds is also cached under its id, so queueing
or favouriting a search result stores it without asking Spotify again.
"""

import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

import requests
import spotipy
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from spotipy.cache_handler import CacheHandler
from spotipy.oauth2 import SpotifyClientCredentials, SpotifyOauthError

logger = logging.getLogger(__name__)

# spotipy logs request headers at DEBUG (our Basic credentials, the bearer token) and every
# 404 at ERROR. We log each failure ourselves, once and without headers.
logging.getLogger("spotipy").setLevel(logging.CRITICAL)

# Spotify's limit for GET /v1/artists?ids=.
ARTISTS_PER_CALL = 50

# The first wait when Spotify sends no Retry-After; it doubles with each attempt.
_BACKOFF_BASE = 0.5

# Cached in place of an answer when Spotify says it does not know an id.
_MISSING = "__missing__"
_NOT_FOUND = object()

# Waits between retries; tests replace it (monkeypatch `music.spotify.sleep`) to record
# the waits instead of sleeping.
sleep: Callable[[float], None] = time.sleep

_local = threading.local()

# A Spotify track id (music.services.SPOTIFY_ID; that module imports this one).
_SPOTIFY_ID = re.compile(r"^[0-9A-Za-z]{22}$")

# GET /search asks Spotify with this timeout (at most SPOTIFY_TIMEOUT) and no retries: a slow
# Spotify must not hold up local results. Its answers are kept this long per query.
SEARCH_TIMEOUT = 2.0
SEARCH_CACHE_SECONDS = 300
# Spotify's limit for one page of search results.
SEARCH_MAX_LIMIT = 50


class SpotifyError(Exception):
    pass


class SpotifyNotConfigured(SpotifyError):
    """No client id/secret: TuneWave runs offline and knows only its own catalogue."""


class SpotifyUnavailable(SpotifyError):
    """Spotify could not give an answer now (network, timeout, 5xx, 429, unreadable body).

    `retry_after` is how long Spotify asked us to wait, when it said so.
    """

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


def is_configured() -> bool:
    return bool(settings.SPOTIFY_CLIENT_ID and settings.SPOTIFY_CLIENT_SECRET)


def fetch_track(spotify_id: str) -> dict | None:
    """The track as keyword arguments for `music.services.track_store`, or None if Spotify
    does not know the id (404, or 400 for an id it cannot parse)."""
    client = _client()
    key = f"spotify:track:{spotify_id}"
    cached = cache.get(key)
    if cached is not None:
        return None if cached == _MISSING else cached
    data = _call("track", client.track, spotify_id)
    if data is _NOT_FOUND:
        cache.set(key, _MISSING, settings.SPOTIFY_CACHE_SECONDS)
        return None
    track = _track_from(data, spotify_id)
    cache.set(key, track, settings.SPOTIFY_CACHE_SECONDS)
    return track


def fetch_artists(ids: list[str]) -> list[dict]:
    """{spotify_id, name, genres, image_url} for each id Spotify knows, in the order given.

    Asks for at most ARTISTS_PER_CALL ids per request and only for ids not cached.
    """
    client = _client()
    ids = list(dict.fromkeys(ids))
    keys = {artist_id: f"spotify:artist:{artist_id}" for artist_id in ids}
    # None: a value the cache could not decode (core.redis_guard.JSONSerializer), i.e. a miss.
    cached = {k: v for k, v in cache.get_many(list(keys.values())).items() if v is not None}
    found = {i: cached[k] for i, k in keys.items() if k in cached and cached[k] != _MISSING}
    wanted = [i for i, k in keys.items() if k not in cached]
    for start in range(0, len(wanted), ARTISTS_PER_CALL):
        chunk = wanted[start : start + ARTISTS_PER_CALL]
        data = _call("artists", client.artists, chunk)
        answers = {} if data is _NOT_FOUND else _artists_from(data, chunk)
        cache.set_many({keys[i]: answers.get(i, _MISSING) for i in chunk}, settings.SPOTIFY_CACHE_SECONDS)
        found.update(answers)
    return [found[i] for i in ids if i in found]


def search_tracks(query: str, *, limit: int = 10) -> list[dict]:
    """Spotify's tracks for a free-text query, best first, each as keyword arguments for
    `music.services.track_store` (as `fetch_track` gives them).

    Cached per (query, limit) for SEARCH_CACHE_SECONDS; each track found is cached under its
    id as `fetch_track` would cache it. Items Spotify sends that cannot be read are skipped.
    Raises SpotifyNotConfigured or SpotifyUnavailable (no retries, SEARCH_TIMEOUT).
    """
    limit = max(1, min(SEARCH_MAX_LIMIT, int(limit)))
    normalized = " ".join(query.split()).lower()
    client = _client(timeout=min(_search_timeout(), settings.SPOTIFY_TIMEOUT))
    key = f"spotify:search:{limit}:{hashlib.sha256(normalized.encode()).hexdigest()[:32]}"
    cached = cache.get(key)
    if isinstance(cached, list):
        return cached
    data = _call("search", client.search, normalized, limit, 0, "track", retries=0)
    tracks = [] if data is _NOT_FOUND else _search_results_from(data)
    cache.set(key, tracks, getattr(settings, "SPOTIFY_SEARCH_CACHE_SECONDS", SEARCH_CACHE_SECONDS))
    cache.set_many({f"spotify:track:{track['spotify_id']}": track for track in tracks}, settings.SPOTIFY_CACHE_SECONDS)
    return tracks


def _search_timeout() -> float:
    return float(getattr(settings, "SPOTIFY_SEARCH_TIMEOUT", SEARCH_TIMEOUT))


# --- the client ------------------------------------------------------------------------


class DjangoCacheHandler(CacheHandler):
    """Keeps the client-credentials token in Django's cache, shared by all processes."""

    def __init__(self, key: str):
        self.key = key

    def get_cached_token(self) -> dict | None:
        return cache.get(self.key)

    def save_token_to_cache(self, token_info: dict) -> None:
        # spotipy renews a token 60 s before it expires; the cache may forget it then too.
        cache.set(self.key, token_info, max(1, int(token_info.get("expires_in", 3600)) - 60))


def _fingerprint() -> str:
    """Names the credentials in cache keys without putting the secret there."""
    raw = f"{settings.SPOTIFY_CLIENT_ID}:{settings.SPOTIFY_CLIENT_SECRET}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _token_key() -> str:
    return f"spotify:token:{_fingerprint()}"


def _client(*, timeout: float | None = None) -> spotipy.Spotify:
    """One client per thread and timeout (a requests.Session is not thread-safe), rebuilt
    when the credentials or the timeout change."""
    if not is_configured():
        raise SpotifyNotConfigured("Spotify is not configured on this server.")
    timeout = settings.SPOTIFY_TIMEOUT if timeout is None else timeout
    identity = (_fingerprint(), timeout, settings.SPOTIFY_ACCOUNTS_URL, settings.SPOTIFY_API_URL)
    clients = getattr(_local, "clients", None)
    if clients is None:
        clients = _local.clients = {}
    current = clients.get(timeout)
    if current is not None and current[0] == identity:
        return current[1]
    # A plain session: no urllib3 retries (see the module docstring).
    session = requests.Session()
    auth = SpotifyClientCredentials(
        client_id=settings.SPOTIFY_CLIENT_ID,
        client_secret=settings.SPOTIFY_CLIENT_SECRET,
        requests_session=session,
        requests_timeout=timeout,
        cache_handler=DjangoCacheHandler(_token_key()),
    )
    # Spotify's base URLs come from the settings (spotipy reads both attributes per request).
    auth.OAUTH_TOKEN_URL = f"{settings.SPOTIFY_ACCOUNTS_URL}/api/token"
    client = spotipy.Spotify(
        auth_manager=auth,
        requests_session=session,
        requests_timeout=timeout,
        retries=0,
        status_retries=0,
    )
    client.prefix = f"{settings.SPOTIFY_API_URL}/v1/"
    clients[timeout] = (identity, client)
    return client


def _call(what: str, method: Callable, *args: Any, retries: int | None = None) -> Any:
    """Runs one spotipy call with our retries (SPOTIFY_MAX_RETRIES unless `retries` says).
    Returns its JSON (None for a body that is not JSON) or _NOT_FOUND for a 404/400."""
    attempts = 1 + max(0, settings.SPOTIFY_MAX_RETRIES if retries is None else retries)
    token_renewed = False
    attempt = 0
    while True:
        try:
            return method(*args)
        except spotipy.SpotifyException as exc:
            status = exc.http_status
            if status in (400, 404):
                return _NOT_FOUND
            if status == 401 and not token_renewed:
                # The cached token was revoked or the secret rotated: get a new one once.
                cache.delete(_token_key())
                token_renewed = True
                continue
            if status != 429 and not (isinstance(status, int) and status >= 500):
                logger.warning("Spotify refused the %s request with HTTP %s", what, status)
                raise SpotifyUnavailable(f"Spotify refused the request (HTTP {status}).") from exc
            asked = _retry_after(exc.headers)
            wait = asked if asked is not None else _BACKOFF_BASE * 2**attempt
            attempt += 1
            if attempt >= attempts or wait > settings.SPOTIFY_MAX_RETRY_WAIT:
                logger.warning("Spotify %s request failed with HTTP %s after %s attempts", what, status, attempt)
                reason = "is rate-limiting TuneWave" if status == 429 else f"is failing (HTTP {status})"
                raise SpotifyUnavailable(f"Spotify {reason}. Try again later.", retry_after=asked) from exc
            logger.info("Spotify %s request got HTTP %s; retrying in %.1f s", what, status, wait)
            sleep(wait)
        except SpotifyOauthError as exc:
            logger.error("Spotify refused TuneWave's client credentials: %s", exc.error)
            raise SpotifyUnavailable("Spotify refused TuneWave's credentials.") from exc
        except requests.Timeout as exc:
            logger.warning("Spotify %s request timed out", what)
            raise SpotifyUnavailable(f"Spotify did not answer within {settings.SPOTIFY_TIMEOUT:g} s.") from exc
        except (KeyError, TypeError, ValueError) as exc:
            # The token endpoint answered with something that is not a token (requests'
            # JSONDecodeError is a ValueError too, hence before RequestException).
            logger.warning("Spotify %s request: unreadable token answer (%s)", what, type(exc).__name__)
            raise _unreadable("token") from exc
        except requests.RequestException as exc:
            logger.warning("Spotify %s request failed: %s", what, type(exc).__name__)
            raise SpotifyUnavailable("Spotify could not be reached.") from exc


def _retry_after(headers: Any) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    value = (headers or {}).get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        pass
    try:
        when = parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - timezone.now()).total_seconds())


# --- reading Spotify's JSON --------------------------------------------------------------


def _unreadable(what: str) -> SpotifyUnavailable:
    return SpotifyUnavailable(f"Spotify sent a {what} answer TuneWave could not read.")


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value.strip()


def _count(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return max(0, int(value))


def _largest_image(images: Any) -> str:
    if not isinstance(images, list):
        return ""
    usable = [
        image
        for image in images
        if isinstance(image, dict) and isinstance(image.get("url"), str) and image["url"].startswith("https://")
    ]
    if not usable:
        return ""
    best = max(usable, key=lambda image: (image.get("width") or 0) * (image.get("height") or 0))
    return best["url"]


def _track_from(data: Any, spotify_id: str) -> dict:
    """The id is the one asked for: that is the id our database and our clients know."""
    if not isinstance(data, dict):
        logger.warning("Spotify track %s: the answer is not a JSON object", spotify_id)
        raise _unreadable("track")
    try:
        album = data.get("album") or {}
        artists = [
            {"spotify_id": _text(a["id"]) if a.get("id") else None, "name": _text(a["name"])} for a in data["artists"]
        ]
        track = {
            "spotify_id": spotify_id,
            "name": _text(data["name"]),
            "album": _text(album.get("name") or ""),
            "duration_ms": _count(data.get("duration_ms")),
            "image_url": _largest_image(album.get("images")),
            "popularity": min(100, _count(data.get("popularity"))),
            "artists": artists,
        }
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        logger.warning("Spotify track %s: unreadable answer (%s)", spotify_id, exc)
        raise _unreadable("track") from exc
    if not track["name"] or not artists or not all(a["name"] for a in artists):
        logger.warning("Spotify track %s: the answer has no name or no artists", spotify_id)
        raise _unreadable("track")
    return track


def _search_results_from(data: Any) -> list[dict]:
    """The readable tracks of a search answer ({"tracks": {"items": [...]}}), in its order."""
    try:
        items = data["tracks"]["items"]
        if not isinstance(items, list):
            raise TypeError("items is not a list")
    except (KeyError, TypeError) as exc:
        logger.warning("Spotify search: unreadable answer (%s)", exc)
        raise _unreadable("search") from exc
    tracks = []
    for item in items:
        spotify_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(spotify_id, str) or not _SPOTIFY_ID.fullmatch(spotify_id):
            continue  # local files and nulls (Spotify sends null for items it withdrew)
        try:
            tracks.append(_track_from(item, spotify_id))
        except SpotifyUnavailable:
            continue  # logged by _track_from; the other results still count
    return tracks


def _artists_from(data: Any, ids: list[str]) -> dict[str, dict]:
    """Spotify answers in the order asked, with null for ids it does not know."""
    try:
        answers = data["artists"]
        if not isinstance(answers, list) or len(answers) != len(ids):
            raise ValueError("not one answer per id")
        found = {}
        for artist_id, item in zip(ids, answers, strict=True):
            if item is None:
                continue
            name = _text(item["name"])
            if not name:
                raise ValueError("an artist without a name")
            found[artist_id] = {
                "spotify_id": artist_id,
                "name": name,
                "genres": [_text(genre) for genre in item.get("genres") or []],
                "image_url": _largest_image(item.get("images")),
            }
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        logger.warning("Spotify artists: unreadable answer (%s)", exc)
        raise _unreadable("artists") from exc
    return found

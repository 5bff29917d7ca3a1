"""Spotify's Web Playback SDK for Premium listeners: who can play Spotify, and the short-lived
access token the browser player asks for (GET /auth/spotify/player-token).

Who can play Spotify is one rule, `status_of`, read from the linked account's stored
`extra_data` without any network call: /users/me (`playback.spotify`), the token endpoint, the
room socket's `room.audience` count and the autoplay ranking all ask it.

- `not_linked`: no Spotify account linked;
- `needs_reconnect`: the grant lacks `streaming`, or Spotify refused its refresh token (revoked);
- `needs_premium`: Spotify said the account is not Premium (an unknown product counts as ready);
- `ready`: otherwise.

The token: the stored refresh token is exchanged at {SPOTIFY_ACCOUNTS_URL}/api/token with
TuneWave's client credentials. The answer is kept in the cache until EXPIRY_MARGIN seconds
before it expires, and in `extra_data` (with Spotify's new refresh token when it sends one), so
a relink (a new refresh token) or a cache flush never serves a stale one. One refresh per user
at a time: the refresh runs under the UserSocialAuth row's lock (`select_for_update`, which
serialises the processes on PostgreSQL) and a per-process lock (SQLite ignores row locks); a
request that waited re-reads the row and finds the fresh token there.

Whether the account is Premium comes from /v1/me: stored at link time (`product`, see
SOCIAL_AUTH_SPOTIFY_EXTRA_DATA) and asked again at most every PRODUCT_RECHECK seconds.

Tokens are never logged; Spotify's answers are logged by status and error code only.
"""

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from social_django.models import UserSocialAuth

from core.errors import Conflict, NotFound, ServiceUnavailable

logger = logging.getLogger(__name__)

PROVIDER = "spotify"

READY = "ready"
NEEDS_PREMIUM = "needs_premium"
NEEDS_RECONNECT = "needs_reconnect"
NOT_LINKED = "not_linked"
STATUSES = (READY, NEEDS_PREMIUM, NEEDS_RECONNECT, NOT_LINKED)

# The scope the Web Playback SDK needs (SOCIAL_AUTH_SPOTIFY_SCOPE asks for it).
STREAMING = "streaming"
# A token is handed out only while it has at least this many seconds left.
EXPIRY_MARGIN = 60
# Whether the account is Premium is asked again at most this often (seconds).
PRODUCT_RECHECK = 24 * 3600

# Per-process locks, striped by user: SQLite (the embedded mode, one process) has no row locks.
_LOCKS = [threading.Lock() for _ in range(64)]


class SpotifyNotLinked(NotFound):
    code = "spotify_not_linked"
    default_detail = "No Spotify account is linked to yours: connect Spotify first."


class SpotifyScopeMissing(Conflict):
    code = "spotify_scope_missing"
    default_detail = "Your Spotify account did not allow playback (streaming): connect Spotify again."


class SpotifyNotPremium(Conflict):
    code = "spotify_not_premium"
    default_detail = "Spotify plays full tracks in the browser for Premium accounts only."


class SpotifyReconnect(Conflict):
    code = "spotify_reconnect"
    default_detail = "Spotify no longer accepts TuneWave's access to your account: connect Spotify again."


class SpotifyPlayerUnavailable(ServiceUnavailable):
    code = "spotify_unavailable"
    default_detail = "Spotify did not answer. Try again in a moment."


# --- who can play Spotify (no network) ----------------------------------------------------


def _fingerprint(refresh_token: Any) -> str:
    """Names a refresh token without keeping it (cache entries, the revoked mark)."""
    return hashlib.sha256(str(refresh_token or "").encode()).hexdigest()[:24]


def _has_streaming(data: dict) -> bool:
    scope = data.get("scope")
    if not isinstance(scope, str):
        return True  # not recorded: Spotify names it again at the next refresh
    return STREAMING in scope.replace(",", " ").split()


def _revoked(data: dict) -> bool:
    """Spotify refused this refresh token; a relink brings a new one and clears this."""
    mark = data.get("revoked_refresh")
    return bool(mark) and mark == _fingerprint(data.get("refresh_token"))


def _product(data: dict) -> str | None:
    product = data.get("product")
    return product if isinstance(product, str) and product else None


def status_of(extra_data: dict | None) -> str:
    """The one rule: what a linked account's stored `extra_data` says (None: not linked)."""
    if extra_data is None:
        return NOT_LINKED
    data = extra_data if isinstance(extra_data, dict) else {}
    if _revoked(data) or not _has_streaming(data):
        return NEEDS_RECONNECT
    product = _product(data)
    if product is not None and product != "premium":
        return NEEDS_PREMIUM
    return READY


def _linked_rows(user_ids) -> dict[str, dict]:
    """{user id: extra_data of their latest Spotify link} in one query."""
    rows = (
        UserSocialAuth.objects.filter(provider=PROVIDER, user_id__in=list(user_ids))
        .order_by("user_id", "-pk")
        .values_list("user_id", "extra_data")
    )
    found: dict[str, dict] = {}
    for user_id, extra_data in rows:
        found.setdefault(str(user_id), extra_data if isinstance(extra_data, dict) else {})
    return found


def statuses(user_ids) -> dict[str, str]:
    """{user id (str): status} for many users, in one query."""
    ids = [str(pk) for pk in user_ids]
    if not ids:
        return {}
    linked = _linked_rows(ids)
    return {pk: status_of(linked.get(pk)) for pk in ids}


def status_for(user) -> str:
    return statuses([user.pk])[str(user.pk)]


def ready_count(user_ids) -> int:
    """How many of these users can play Spotify now (status `ready`); one query."""
    return sum(1 for status in statuses(user_ids).values() if status == READY)


# --- the player token ----------------------------------------------------------------------


@dataclass(frozen=True)
class PlayerToken:
    access_token: str
    expires_at: int  # epoch ms


def _cache_key(user_id) -> str:
    return f"spotify:player:{user_id}"


def _token_from(data: dict, *, now: float) -> PlayerToken | None:
    """The stored access token if we refreshed it and it has EXPIRY_MARGIN seconds left."""
    token, expires = data.get("access_token"), data.get("token_expires_at")
    if not isinstance(token, str) or not token or not isinstance(expires, (int, float)):
        return None
    if expires - now <= EXPIRY_MARGIN:
        return None
    return PlayerToken(access_token=token, expires_at=int(expires * 1000))


def _cached(user_id, data: dict, *, now: float) -> PlayerToken | None:
    try:
        entry = cache.get(_cache_key(user_id))
    except Exception:  # noqa: BLE001 - the cache is down: the token stored in extra_data serves
        return None
    if not isinstance(entry, dict) or entry.get("refresh") != _fingerprint(data.get("refresh_token")):
        return None
    expires_at = entry.get("expires_at")
    if not isinstance(expires_at, int) or expires_at / 1000 - now <= EXPIRY_MARGIN:
        return None
    return PlayerToken(access_token=str(entry["access_token"]), expires_at=expires_at)


def _remember(user_id, data: dict, token: PlayerToken, *, now: float) -> None:
    ttl = int(token.expires_at / 1000 - now) - EXPIRY_MARGIN
    if ttl <= 0:
        return
    entry = {
        "access_token": token.access_token,
        "expires_at": token.expires_at,
        "refresh": _fingerprint(data.get("refresh_token")),
    }
    try:
        cache.set(_cache_key(user_id), entry, ttl)
    except Exception:  # noqa: BLE001 - the token is kept in extra_data too; the cache only saves a query
        logger.warning("could not cache a Spotify player token: the cache is unavailable")


def _product_fresh(data: dict, *, now: float) -> bool:
    if _product(data) is None:
        return False
    checked = max(_seconds(data.get("product_checked_at")), _seconds(data.get("auth_time")))
    return now - checked < PRODUCT_RECHECK


def _seconds(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def _refuse_by_status(data: dict) -> None:
    if _revoked(data):
        raise SpotifyReconnect()
    if not _has_streaming(data):
        raise SpotifyScopeMissing()


def _latest_link(user) -> UserSocialAuth:
    social = UserSocialAuth.objects.filter(provider=PROVIDER, user=user).order_by("-pk").first()
    if social is None:
        raise SpotifyNotLinked()
    return social


def player_token(*, user) -> PlayerToken:
    """A Spotify access token for the Web Playback SDK, with EXPIRY_MARGIN seconds left at least.

    Raises SpotifyNotLinked (404), SpotifyScopeMissing, SpotifyReconnect, SpotifyNotPremium
    (409) or SpotifyPlayerUnavailable (503).
    """
    social = _latest_link(user)
    data = social.extra_data if isinstance(social.extra_data, dict) else {}
    _refuse_by_status(data)
    now = time.time()
    if _product_fresh(data, now=now):
        if _product(data) != "premium":
            raise SpotifyNotPremium()
        cached = _cached(user.pk, data, now=now)
        if cached is not None:
            return cached
        stored = _token_from(data, now=now)
        if stored is not None:
            _remember(user.pk, data, stored, now=now)
            return stored
    # Something to ask Spotify: one request per user at a time does it.
    with _LOCKS[hash(str(user.pk)) % len(_LOCKS)]:
        with transaction.atomic():
            outcome = _ensure_locked(social_pk=social.pk)
        if outcome.error is not None or outcome.token is None:
            raise outcome.error or SpotifyPlayerUnavailable()
        _remember(user.pk, outcome.data, outcome.token, now=time.time())
        return outcome.token


@dataclass
class _Outcome:
    data: dict
    token: PlayerToken | None = None
    error: Exception | None = None


def _ensure_locked(*, social_pk: int) -> _Outcome:
    """Refreshes the token and rechecks the product as needed, under the row's lock.

    Returns the error instead of raising it, so that what was learnt (a revoked grant, the new
    product) is committed with the transaction.
    """
    social = UserSocialAuth.objects.select_for_update().get(pk=social_pk)
    stored = social.extra_data if isinstance(social.extra_data, dict) else {}
    data = dict(stored)
    try:
        _refuse_by_status(data)
        now = time.time()
        token = _token_from(data, now=now)  # another request may have refreshed it while we waited
        if token is None:
            token = _refresh(data, user_id=social.user_id)
            _refuse_by_status(data)
        if not _product_fresh(data, now=now):
            product = _ask_product(token, user_id=social.user_id)
            if product is not None:
                data.update(product=product, product_checked_at=int(time.time()))
            elif _product(data) is None:
                raise SpotifyPlayerUnavailable("Spotify did not say whether your account is Premium. Try again later.")
        if _product(data) not in (None, "premium"):
            raise SpotifyNotPremium()
        return _Outcome(data=data, token=token)
    except (SpotifyReconnect, SpotifyScopeMissing, SpotifyNotPremium, SpotifyPlayerUnavailable) as error:
        return _Outcome(data=data, error=error)
    finally:
        if data != stored:
            social.extra_data = data
            social.save(update_fields=["extra_data", "modified"])


def _post_token(refresh_token: str) -> requests.Response:
    return requests.post(
        f"{settings.SPOTIFY_ACCOUNTS_URL}/api/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(settings.SPOTIFY_CLIENT_ID, settings.SPOTIFY_CLIENT_SECRET),
        timeout=settings.SPOTIFY_TIMEOUT,
    )


def _json(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _retry_after(response: requests.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None


def _refresh(data: dict, *, user_id) -> PlayerToken:
    """Exchanges the stored refresh token; updates `data` (tokens, scope, expiry, revoked mark)."""
    refresh_token = data.get("refresh_token")
    if not isinstance(refresh_token, str) or not refresh_token:
        # Linked without a refresh token (never by Spotify's code flow): only a relink helps.
        data["revoked_refresh"] = _fingerprint(refresh_token)
        raise SpotifyReconnect()
    if not (settings.SPOTIFY_CLIENT_ID and settings.SPOTIFY_CLIENT_SECRET):
        raise SpotifyPlayerUnavailable("Spotify is not configured on this server.")
    try:
        response = _post_token(refresh_token)
    except requests.Timeout as exc:
        logger.warning("Spotify token refresh for user %s timed out", user_id)
        raise SpotifyPlayerUnavailable() from exc
    except requests.RequestException as exc:
        logger.warning("Spotify token refresh for user %s failed: %s", user_id, type(exc).__name__)
        raise SpotifyPlayerUnavailable() from exc
    body = _json(response)
    if response.status_code == 400 and body.get("error") == "invalid_grant":
        logger.info("Spotify refused the refresh token of user %s (invalid_grant): reconnect needed", user_id)
        data["revoked_refresh"] = _fingerprint(refresh_token)
        raise SpotifyReconnect()
    if response.status_code != 200:
        logger.warning(
            "Spotify token refresh for user %s failed: HTTP %s (%s)",
            user_id,
            response.status_code,
            str(body.get("error") or "no error code")[:40],
        )
        raise SpotifyPlayerUnavailable(retry_after=_retry_after(response) if response.status_code == 429 else None)
    access_token, expires_in = body.get("access_token"), body.get("expires_in")
    if not isinstance(access_token, str) or not access_token or not isinstance(expires_in, int) or expires_in <= 0:
        logger.warning("Spotify token refresh for user %s: unreadable answer", user_id)
        raise SpotifyPlayerUnavailable()
    expires = time.time() + expires_in
    data.update(access_token=access_token, token_expires_at=int(expires), expires_in=expires_in)
    if isinstance(body.get("refresh_token"), str) and body["refresh_token"]:
        data["refresh_token"] = body["refresh_token"]
    if isinstance(body.get("scope"), str):
        data["scope"] = body["scope"]
    return PlayerToken(access_token=access_token, expires_at=int(expires * 1000))


def _ask_product(token: PlayerToken, *, user_id) -> str | None:
    """`premium`, `free`, … from /v1/me; None when Spotify did not answer usefully."""
    try:
        response = requests.get(
            f"{settings.SPOTIFY_API_URL}/v1/me",
            headers={"Authorization": f"Bearer {token.access_token}"},
            timeout=settings.SPOTIFY_TIMEOUT,
        )
    except requests.RequestException as exc:
        logger.warning("Spotify /v1/me for user %s failed: %s", user_id, type(exc).__name__)
        return None
    product = _json(response).get("product") if response.status_code == 200 else None
    if not isinstance(product, str) or not product:
        logger.warning("Spotify /v1/me for user %s: HTTP %s without a product", user_id, response.status_code)
        return None
    return product

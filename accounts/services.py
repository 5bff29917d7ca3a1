"""Writes for accounts: profiles, avatars, tokens, tickets, deactivation."""

import io
import logging
import math
import re
import secrets
import threading
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Literal, overload

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.utils import timezone
from PIL import Image, UnidentifiedImageError
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken, UntypedToken
from social_django.models import Nonce, Partial, UserSocialAuth

from accounts import events
from accounts.models import USERNAME_TAKEN, User
from accounts.names import (
    display_name_clean,
    username_normalize,
    username_readable,
    username_skeleton,
    username_visible,
)
from accounts.selectors import access_token_denied, access_token_deny_key, socket_user_remember
from core import cache_batch
from core.errors import Conflict, Invalid, ServiceUnavailable, TokenNotValid, TooLarge
from core.realtime import send_on_commit
from core.sql import chunked, lower_variants

logger = logging.getLogger(__name__)

_USERNAME_UNSAFE = re.compile(r"[^\w.@+-]")
_TICKET_PREFIX = "ws-ticket:"
ALLOWED_AVATAR_FORMATS = {"JPEG", "PNG", "WEBP"}
# The same formats as a browser names them (a file input's `accept`, GET /auth/config).
AVATAR_CONTENT_TYPES = [f"image/{name.lower()}" for name in sorted(ALLOWED_AVATAR_FORMATS)]


def normalize_genres(genres: list[str]) -> list[str]:
    """Lower-case, trimmed, de-duplicated genre names in the order given."""
    seen: dict[str, None] = {}
    for genre in genres:
        name = " ".join(str(genre).split()).lower()
        if name:
            seen.setdefault(name, None)
    return list(seen)


def _username_base(base: str) -> str:
    """`base` as a username: NFKC-normalised, only characters a username holds, at most 30."""
    name = _USERNAME_UNSAFE.sub("", username_visible(username_normalize(base)))[:30]
    return name if username_readable(name) else "listener"


def _free_username(base: str) -> str:
    """`base` made safe, or with a number after it: never one taken in any case or look-alike."""
    base = _username_base(base)
    candidate = base
    while User.objects.username_taken(candidate):
        candidate = f"{base[:26]}{secrets.randbelow(10_000)}"
    return candidate


def user_create(
    *, email: str, username: str | None = None, display_name: str = "", email_verified: bool = False
) -> User:
    email = User.objects.normalize_email(email).lower()
    with transaction.atomic():
        user = User(email=email, username=_free_username(username or email.split("@")[0]))
        user.display_name = display_name_clean(display_name)[:64]
        user.email_verified = email_verified
        user.set_unusable_password()
        user.full_clean(exclude=["password", "avatar"])
        user.save()
    return user


@overload
def user_get_or_create(*, email: str, create: Literal[True] = True) -> tuple[User, bool]: ...
@overload
def user_get_or_create(*, email: str, create: bool) -> tuple[User | None, bool]: ...
def user_get_or_create(*, email: str, create: bool = True) -> tuple[User | None, bool]:
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is not None or not create:
        return user, False
    try:
        return user_create(email=email), True
    except IntegrityError:  # created by a concurrent call between our read and write
        return User.objects.get(email__iexact=email.strip()), False


# Users known to an import only by username get an address here (RFC 2606: never delivered).
IMPORT_EMAIL_DOMAIN = "import.invalid"


def users_bulk_get_or_create(*, keys: Iterable[str]) -> tuple[dict[str, uuid.UUID], int]:
    """Users for import rows by e-mail (a key with an @) or username, case-insensitively, in a
    few queries per thousand keys (music's listening-history import).

    Creates the missing ones by `user_create`'s rules: lower-case e-mail; a username stored
    NFKC-normalised, free in any case and in look (accounts.names), made from the e-mail's
    local part; no usable password. Someone known only by a username gets
    `<username>@import.invalid`. Returns ({key.lower(): user id}, how many were created); a
    key whose user could not be created is absent.
    """
    emails: dict[str, str] = {}
    usernames: dict[str, str] = {}  # key.lower() -> the username as stored
    given: set[str] = set()  # the keys as given: older imports stored usernames unnormalised
    for key in keys:
        key = key.strip()
        if "@" in key:
            emails.setdefault(key.lower(), key.lower())
        elif key:
            usernames.setdefault(key.lower(), username_normalize(key) or key)
            given.add(key)
    found: dict[str, uuid.UUID] = {}
    by_email = User.objects.order_by().alias(lemail=Lower("email"))
    by_username = User.objects.order_by().alias(lname=Lower("username"))

    def load_emails(values: Iterable[str], keys_for: dict[str, str]) -> None:
        for chunk in chunked(lower_variants(values)):
            for email, pk in by_email.filter(lemail__in=chunk).values_list("email", "pk"):
                if email.lower() in keys_for:
                    found[keys_for[email.lower()]] = pk

    load_emails(emails, {email: email for email in emails})
    key_for_name = {name.lower(): key for key, name in usernames.items()} | {key: key for key in usernames}
    for chunk in chunked(lower_variants([*given, *usernames.values()])):
        for username, pk in by_username.filter(lname__in=chunk).values_list("username", "pk"):
            if username.lower() in key_for_name:
                found[key_for_name[username.lower()]] = pk

    wanted: dict[str, tuple[str, str]] = {}  # key -> (e-mail, username)
    for email in emails:
        if email not in found:
            wanted[email] = (email, _username_base(email.split("@")[0]))
    for key, username in usernames.items():
        if key not in found:
            wanted[key] = (f"{key}@{IMPORT_EMAIL_DOMAIN}", username)
    if not wanted:
        return found, 0

    taken: set[str] = set()
    for chunk in chunked(lower_variants(username for _, username in wanted.values())):
        taken.update(name.lower() for name in by_username.filter(lname__in=chunk).values_list("username", flat=True))
    # Look-alike usernames are taken too (accounts.names); bulk_create skips User.save, so the
    # skeleton is set here, and a clash the insert skips goes to user_create below.
    for chunk in chunked({username_skeleton(username) for _, username in wanted.values()}):
        skeletons = User.objects.filter(username_skeleton__in=chunk).values_list("username_skeleton", flat=True)
        taken.update(skeleton for skeleton in skeletons if skeleton is not None)
    new_users = []
    for key, (email, username) in wanted.items():
        if (username.lower() in taken or username_skeleton(username) in taken) and "@" in key:
            # The e-mail's local part is someone's username already: a stable suffix keeps reruns alike.
            username = f"{username[:23]}-{uuid.uuid5(uuid.NAMESPACE_URL, email).hex[:6]}"
        skeleton = username_skeleton(username)
        taken.update((username.lower(), skeleton))
        # What set_unusable_password stores, without its 40 calls to secrets.choice per user.
        password = UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)
        new_users.append(User(email=email, username=username, password=password, username_skeleton=skeleton))
    User.objects.bulk_create(new_users, ignore_conflicts=True, batch_size=500)
    addresses = {email: key for key, (email, _) in wanted.items()}
    load_emails(addresses, addresses)
    created = sum(1 for key in wanted if key in found)
    for key, (email, username) in wanted.items():
        if key in found:
            continue
        # Lost to a clash the bulk insert skipped (say, the username); user_create picks another.
        try:
            found[key] = user_create(email=email, username=username).pk
            created += 1
        except (IntegrityError, DjangoValidationError):
            continue
    return found, created


@transaction.atomic
def user_update(*, user: User, data: dict) -> User:
    """Applies a validated `UserUpdate`. A username taken (in any case, or by a look-alike:
    accounts.names) is a 409, and nothing is saved."""
    if "username" in data:
        data = {**data, "username": username_normalize(data["username"])}
        if User.objects.username_taken(data["username"], exclude_pk=user.pk):
            raise Conflict(USERNAME_TAKEN)
    if "display_name" in data:
        data = {**data, "display_name": display_name_clean(data["display_name"])[:64]}
    if "favorite_genres" in data:
        data = {**data, "favorite_genres": normalize_genres(data["favorite_genres"])}
    for field, value in data.items():
        setattr(user, field, value)
    try:
        with transaction.atomic():
            user.save(update_fields=list(data) or None)
    except IntegrityError as exc:  # lost a race for the same username (or its look)
        raise Conflict(USERNAME_TAKEN) from exc
    return user


# One image decode at a time per process: a decoded image is large (a 16 MP RGBA PNG is 64 MB)
# and six concurrent 40 MP PNGs once took a process from 274 MB to 2.1 GB. A caller waits at
# most this many seconds for its turn, then gets a 503.
_DECODE_LOCK = threading.Lock()
_DECODE_WAIT_SECONDS = 20


def _reencode_avatar(upload) -> bytes:
    """Checks the upload by content and returns a square WebP with no metadata."""
    if upload.size > settings.AVATAR_MAX_BYTES:
        raise TooLarge(f"Avatars are limited to {settings.AVATAR_MAX_BYTES // (1024 * 1024)} MB.")
    Image.MAX_IMAGE_PIXELS = settings.AVATAR_MAX_PIXELS
    if not _DECODE_LOCK.acquire(timeout=_DECODE_WAIT_SECONDS):
        raise ServiceUnavailable("Too many avatars are being processed right now. Try again in a moment.")
    try:
        return _decode_square_webp(upload)
    finally:
        _DECODE_LOCK.release()


def _decode_square_webp(upload) -> bytes:
    """Pillow's `Image.open` reads only the header, so every size rule is applied before a
    pixel is decoded; JPEGs then decode at the smallest scale (1/2 … 1/8) still at least
    AVATAR_SIZE on each side, so a 12 MP phone photo costs a few MB instead of 48."""
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            kind = probe.format
            if kind not in ALLOWED_AVATAR_FORMATS:
                raise Invalid("Avatars must be JPEG, PNG or WebP images.", field="avatar_file")
            width, height = probe.size
            if width * height > settings.AVATAR_MAX_PIXELS:
                raise Invalid("The image has too many pixels.", field="avatar_file")
            if kind != "JPEG" and width * height > settings.AVATAR_MAX_FULL_DECODE_PIXELS:
                limit = settings.AVATAR_MAX_FULL_DECODE_PIXELS // 1_000_000
                raise Invalid(
                    f"PNG and WebP avatars are limited to {limit} megapixels; send a smaller image.",
                    field="avatar_file",
                )
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            if image.format == "JPEG":
                image.draft(None, (settings.AVATAR_SIZE, settings.AVATAR_SIZE))
            image.load()
            square = _square(image)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, Image.DecompressionBombError):
            raise Invalid("The image has too many pixels.", field="avatar_file") from exc
        raise Invalid("The file is not a valid JPEG, PNG or WebP image.", field="avatar_file") from exc
    out = io.BytesIO()
    # A fresh image object carries no EXIF/XMP/ICC: the re-encode drops all metadata.
    clean = Image.new(square.mode, square.size)
    clean.paste(square)
    clean.save(out, format="WEBP", quality=85)
    return out.getvalue()


def _square(image: Image.Image) -> Image.Image:
    """The centred square of a loaded image, at most AVATAR_SIZE a side, in RGB or RGBA."""
    mode = "RGBA" if image.mode in ("RGBA", "LA", "P", "PA") else "RGB"
    # convert() copies even when the mode already matches: skip that full-size copy.
    decoded = image if image.mode == mode else image.convert(mode)
    side = min(decoded.size)
    left, top = (decoded.width - side) // 2, (decoded.height - side) // 2
    box = (left, top, left + side, top + side)
    if side <= settings.AVATAR_SIZE:
        return decoded.crop(box)
    # Crops and scales in one pass (no full-size crop copy); reducing_gap box-averages first.
    size = (settings.AVATAR_SIZE, settings.AVATAR_SIZE)
    return decoded.resize(size, Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)


def user_avatar_set(*, user: User, upload) -> User:
    data = _reencode_avatar(upload)
    old = user.avatar.name if user.avatar else None
    user.avatar.save(f"{user.pk.hex}-{uuid.uuid4().hex[:8]}.webp", ContentFile(data), save=False)
    user.save(update_fields=["avatar"])
    if old:
        storage = user.avatar.storage
        transaction.on_commit(lambda: storage.delete(old))
    return user


# --- JWTs: logins (families), rotation, reuse detection, logout -------------------------
#
# Every login starts a *family*: its refresh token carries a `fam` claim that each rotation
# copies into the next one, so all the refresh tokens descended from one sign-in can be
# found and revoked together. Each refresh token also names (`ajti`) the access token
# minted with it, so revoking a family can deny those access tokens too (by `jti`, in the
# cache, until they expire). Tokens from before families existed are their own family.

_FAMILY_CLAIM = "fam"
_ACCESS_JTI_CLAIM = "ajti"
_SPENT_OR_INVALID = "The refresh token is invalid, expired or already used."


def _tokens_mint(*, user: User, family: str) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)  # also records its OutstandingToken
    refresh[_FAMILY_CLAIM] = family
    access = refresh.access_token
    refresh[_ACCESS_JTI_CLAIM] = access[jwt_settings.JTI_CLAIM]
    pair = {"access": str(access), "refresh": str(refresh)}
    # The stored copy must carry the claims above: family revocation reads them back.
    OutstandingToken.objects.filter(jti=refresh[jwt_settings.JTI_CLAIM]).update(token=pair["refresh"])
    return pair


def tokens_issue(*, user: User) -> dict[str, str]:
    """A new sign-in: an access token and a refresh token that starts a new family."""
    return _tokens_mint(user=user, family=uuid.uuid4().hex)


def _refresh_token_decode(token: str) -> UntypedToken:
    """Signature, expiry and type of a presented refresh token; whether it was used is
    the caller's question (UntypedToken skips simplejwt's blacklist lookup)."""
    try:
        # simplejwt annotates its `token` argument as a Token object; it takes the encoded JWT string.
        presented = UntypedToken(token)  # type: ignore[arg-type]
    except TokenError as exc:
        raise TokenNotValid(_SPENT_OR_INVALID) from exc
    if presented.get(jwt_settings.TOKEN_TYPE_CLAIM) != "refresh":
        raise TokenNotValid(_SPENT_OR_INVALID)
    return presented


def _outstanding_record(presented: UntypedToken, token: str, user: User | None) -> OutstandingToken:
    jti = presented[jwt_settings.JTI_CLAIM]
    record, _ = OutstandingToken.objects.get_or_create(
        jti=jti,
        defaults={
            "user": user,
            "token": token,
            "created_at": timezone.now(),
            "expires_at": datetime.fromtimestamp(presented["exp"], tz=UTC),
        },
    )
    return record


def _refresh_token_use(record: OutstandingToken) -> bool:
    """Marks a refresh token used. True for exactly one caller, however many race: the
    blacklist row is unique per token, so every other insert fails (PostgreSQL and SQLite)."""
    try:
        with transaction.atomic():
            BlacklistedToken.objects.create(token=record)
    except IntegrityError:
        return False
    return True


def tokens_refresh(*, token: str) -> dict[str, str]:
    """Rotates a refresh token: a new pair in the same family, and the old token spent.

    Of concurrent uses exactly one wins. A loser within JWT_REFRESH_REUSE_GRACE_SECONDS of
    the winning use (another tab of the same person) only gets a 401. A token spent longer
    ago and presented again was copied: its whole family is revoked, the copy's holder and
    the rightful one both lose that sign-in, and the user's other sign-ins go on.
    """
    presented = _refresh_token_decode(token)
    user = User.objects.filter(pk=presented.get(jwt_settings.USER_ID_CLAIM)).first()
    if user is None:
        raise TokenNotValid("The account behind this token no longer exists.")
    if not user.is_active:
        raise TokenNotValid("No active account found for the given token.")
    family = presented.get(_FAMILY_CLAIM) or presented[jwt_settings.JTI_CLAIM]
    record = _outstanding_record(presented, token, user)
    if not _refresh_token_use(record):
        used_at = BlacklistedToken.objects.filter(token=record).values_list("blacklisted_at", flat=True).first()
        grace = timedelta(seconds=settings.JWT_REFRESH_REUSE_GRACE_SECONDS)
        if used_at is None or timezone.now() - used_at > grace:
            revoked = refresh_token_family_revoke(user=user, family=family)
            logger.warning(
                "A spent refresh token of user %s was presented again: its sign-in is revoked "
                "(%d refresh tokens still outstanding in it).",
                user.pk,
                revoked,
            )
        raise TokenNotValid(_SPENT_OR_INVALID)
    return _tokens_mint(user=user, family=family)


def refresh_token_revoke(*, token: str) -> None:
    """Logout: ends the presented token's sign-in (its refresh token and the access tokens
    minted in it). An invalid or already spent token is a 401."""
    presented = _refresh_token_decode(token)
    user = User.objects.filter(pk=presented.get(jwt_settings.USER_ID_CLAIM)).first()
    record = _outstanding_record(presented, token, user)
    if not _refresh_token_use(record):
        raise TokenNotValid("The refresh token is invalid, expired or already revoked.")
    if user is not None:
        refresh_token_family_revoke(user=user, family=presented.get(_FAMILY_CLAIM) or presented[jwt_settings.JTI_CLAIM])


def refresh_token_family_revoke(*, user: User, family: str) -> int:
    """Revokes one sign-in: blacklists its outstanding refresh tokens and denies the access
    tokens minted with its recent ones. Returns how many refresh tokens were outstanding."""
    now = timezone.now()
    access_lifetime = jwt_settings.ACCESS_TOKEN_LIFETIME
    # Access tokens minted before this horizon have expired already (leeway for clock skew).
    horizon = now - access_lifetime - timedelta(seconds=60)
    rows = OutstandingToken.objects.filter(user=user, expires_at__gt=now).filter(
        Q(blacklistedtoken__isnull=True) | Q(created_at__gte=horizon)
    )
    outstanding: list[OutstandingToken] = []
    deny: dict[str, datetime] = {}
    for row in rows.annotate(spent=Exists(BlacklistedToken.objects.filter(token=OuterRef("pk")))):
        try:
            # simplejwt annotates `token` as a Token object; decode() takes the encoded JWT string.
            claims = token_backend.decode(row.token, verify=False)  # type: ignore[arg-type]
        except TokenBackendError:
            continue
        if (claims.get(_FAMILY_CLAIM) or row.jti) != family:
            continue
        if not row.spent:
            outstanding.append(row)
        if claims.get(_ACCESS_JTI_CLAIM) and row.created_at and row.created_at >= horizon:
            deny[claims[_ACCESS_JTI_CLAIM]] = row.created_at + access_lifetime
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=row) for row in outstanding], ignore_conflicts=True)
    access_tokens_deny(expiry_by_jti=deny)
    return len(outstanding)


def access_tokens_deny(*, expiry_by_jti: dict[str, datetime]) -> bool:
    """Puts access tokens on the deny-list (the shared cache) until each expires.

    Returns False when the cache could not take them: those tokens then keep working
    until they expire (at most ACCESS_TOKEN_LIFETIME), which the log says.
    """
    now = timezone.now()
    try:
        for jti, expires_at in expiry_by_jti.items():
            seconds = math.ceil((expires_at - now).total_seconds()) + 1
            if seconds <= 0:
                continue
            # django-redis answers None instead of raising when it ignores a Redis failure.
            if cache.add(access_token_deny_key(jti), 1, timeout=seconds) is None:
                raise ConnectionError("the cache did not answer")
    except Exception as exc:  # whatever the cache backend raises, the answer is to fail open
        logger.warning(
            "The access-token deny-list is unavailable (%s): %d revoked access tokens keep working "
            "until they expire (at most %s).",
            type(exc).__name__,
            len(expiry_by_jti),
            jwt_settings.ACCESS_TOKEN_LIFETIME,
        )
        return False
    return True


def refresh_tokens_revoke_all(*, user: User) -> None:
    outstanding = OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )


@transaction.atomic
def user_deactivate(*, user: User) -> User:
    """Turns an account off: access tokens stop at the next request, refresh tokens now."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    refresh_tokens_revoke_all(user=user)
    send_on_commit(events.user_group(user.pk), events.account_deactivated(user_id=user.pk))
    return user


@transaction.atomic
def user_claim_verified_email(*, user: User) -> User:
    """A provider proved this person owns the account's e-mail, which nobody had proved.

    Whoever created the account did so with an unverified address (possibly someone
    else's), so the sign-ins they attached are detached and their sessions revoked; the
    proven owner keeps the account and can link those providers again themself.
    """
    user.social_auth.all().delete()
    refresh_tokens_revoke_all(user=user)
    user.email_verified = True
    user.save(update_fields=["email_verified"])
    return user


def ws_ticket_issue(*, user: User, access_jti: str | None = None) -> str:
    """A single-use ticket for the WebSocket, kept in the shared cache for WS_TICKET_TTL.

    `cache.add` says whether the ticket was stored (the cache degrades to "not stored" while
    Redis is down): a ticket no server could redeem is a 503, never a 201. The user, read for
    this request, is remembered for the handshake the ticket is for, which then reads no row.
    """
    ticket = secrets.token_urlsafe(32)
    value = f"{user.pk} {access_jti}" if access_jti else str(user.pk)
    if not cache.add(f"{_TICKET_PREFIX}{ticket}", value, timeout=settings.WS_TICKET_TTL):
        raise ServiceUnavailable("Could not issue a socket ticket right now. Try again in a few seconds.")
    socket_user_remember(user)
    return ticket


def ws_ticket_redeem(*, ticket: str) -> User | None:
    """Returns the ticket's active user once; every later use of the same ticket gets None.

    `cache.delete` reports whether this caller removed the key, so of two racing
    redeemers only one wins, in Redis and in the local cache alike.
    """
    user_id = ws_ticket_take(ticket=ticket)
    return User.objects.filter(pk=user_id, is_active=True).first() if user_id else None


def ws_ticket_take(*, ticket: str) -> str | None:
    """`ws_ticket_redeem` without reading the user (no query): the ticket's user id, once."""
    claims = ws_ticket_claims(ticket=ticket)
    if claims is None:
        return None
    user_id, access_jti = claims
    # A ticket is worth no more than the access token that asked for it (`access_jti`): a
    # sign-out since then voids it, as it voids the token.
    if access_jti and access_token_denied(jti=access_jti):
        return None
    return user_id


def ws_ticket_claims(*, ticket: str, on_loop: bool = False) -> tuple[str, str | None] | None:
    """The ticket's user id and the id (jti) of the access token it was issued for, once (one
    round trip to the cache); the caller checks that token's deny-list entry (`ws_ticket_take`).
    `on_loop`: called on an event loop (core.cache_batch)."""
    if not ticket or len(ticket) > 100:
        return None
    value = cache_batch.take(f"{_TICKET_PREFIX}{ticket}", on_loop=on_loop)
    if value is None:
        return None
    user_id, _, access_jti = str(value).partition(" ")
    return (user_id, access_jti or None) if user_id else None


def social_account_link(*, user: User, provider: str, uid: str, id_key: str, extra_data: dict) -> UserSocialAuth:
    """Links a provider account the person confirmed (accounts.oauth.link_confirm).

    An account of the provider that already belongs to someone else is a Conflict, and
    nothing changes; one that is already theirs gets the fresh provider tokens.
    """
    existing = UserSocialAuth.objects.filter(provider=provider, uid=uid).first()
    if existing is not None:
        if existing.user_id != user.pk:
            raise Conflict("That account is already linked to another TuneWave account.")
        existing.set_extra_data(extra_data)
        return existing
    try:
        with transaction.atomic():
            return UserSocialAuth.objects.create(
                user=user, provider=provider, uid=uid, id_key=id_key, extra_data=extra_data
            )
    except IntegrityError as exc:  # linked by someone else between our read and write
        raise Conflict("That account is already linked to another TuneWave account.") from exc


def oauth_leftovers_prune(*, older_than, dry_run: bool = False) -> int:
    """One-time OAuth state records of sign-ins that were started and never finished."""
    nonces = Nonce.objects.filter(timestamp__lt=older_than.timestamp())
    partials = Partial.objects.filter(timestamp__lt=older_than)
    if dry_run:
        return nonces.count() + partials.count()
    return nonces.delete()[0] + partials.delete()[0]

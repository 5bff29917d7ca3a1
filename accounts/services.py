"""Writes for accounts: profiles, avatars, tokens, tickets, deactivation."""

import io
import re
import secrets
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from PIL import Image, UnidentifiedImageError
from rest_framework.exceptions import AuthenticationFailed, ValidationError
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import events
from tunewave.exceptions import Conflict, PayloadTooLarge
from tunewave.realtime import send_on_commit

User = get_user_model()

_USERNAME_UNSAFE = re.compile(r"[^\w.@+-]")
_TICKET_PREFIX = "ws-ticket:"
ALLOWED_AVATAR_FORMATS = {"JPEG", "PNG", "WEBP"}


def normalize_genres(genres: list[str]) -> list[str]:
    """Lower-case, trimmed, de-duplicated genre names in the order given."""
    seen: dict[str, None] = {}
    for genre in genres:
        name = " ".join(str(genre).split()).lower()
        if name:
            seen.setdefault(name, None)
    return list(seen)


def _free_username(base: str) -> str:
    base = _USERNAME_UNSAFE.sub("", base)[:30] or "listener"
    candidate = base
    while User.objects.filter(username__iexact=candidate).exists():
        candidate = f"{base}{secrets.randbelow(10_000)}"
    return candidate


def user_create(
    *, email: str, username: str | None = None, display_name: str = "", email_verified: bool = False
) -> User:
    email = User.objects.normalize_email(email).lower()
    with transaction.atomic():
        user = User(email=email, username=_free_username(username or email.split("@")[0]))
        user.display_name = display_name[:64]
        user.email_verified = email_verified
        user.set_unusable_password()
        user.full_clean(exclude=["password", "avatar"])
        user.save()
    return user


def user_get_or_create(*, email: str, create: bool = True) -> tuple[User | None, bool]:
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is not None or not create:
        return user, False
    try:
        return user_create(email=email), True
    except IntegrityError:  # created by a concurrent call between our read and write
        return User.objects.get(email__iexact=email.strip()), False


@transaction.atomic
def user_update(*, user: User, data: dict) -> User:
    """Applies a validated `UserUpdate`. A taken username is a 409, and nothing is saved."""
    if "username" in data:
        taken = User.objects.filter(username__iexact=data["username"]).exclude(pk=user.pk).exists()
        if taken:
            raise Conflict("That username is already taken.")
    if "favorite_genres" in data:
        data = {**data, "favorite_genres": normalize_genres(data["favorite_genres"])}
    for field, value in data.items():
        setattr(user, field, value)
    try:
        with transaction.atomic():
            user.save(update_fields=list(data) or None)
    except IntegrityError as exc:  # lost a race for the same username
        raise Conflict("That username is already taken.") from exc
    return user


def _reencode_avatar(upload) -> bytes:
    """Checks the upload by content and returns a square WebP with no metadata."""
    if upload.size > settings.AVATAR_MAX_BYTES:
        raise PayloadTooLarge(f"Avatars are limited to {settings.AVATAR_MAX_BYTES // (1024 * 1024)} MB.")
    Image.MAX_IMAGE_PIXELS = settings.AVATAR_MAX_PIXELS
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            kind = probe.format
            if kind not in ALLOWED_AVATAR_FORMATS:
                raise ValidationError({"avatar_file": ["Avatars must be JPEG, PNG or WebP images."]})
            width, height = probe.size
            if width * height > settings.AVATAR_MAX_PIXELS:
                raise ValidationError({"avatar_file": ["The image has too many pixels."]})
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            image.load()
            image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, Image.DecompressionBombError):
            raise ValidationError({"avatar_file": ["The image has too many pixels."]}) from exc
        raise ValidationError({"avatar_file": ["The file is not a valid JPEG, PNG or WebP image."]}) from exc
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    image = image.crop((left, top, left + side, top + side))
    if side > settings.AVATAR_SIZE:
        image = image.resize((settings.AVATAR_SIZE, settings.AVATAR_SIZE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # A fresh image object carries no EXIF/XMP/ICC: the re-encode drops all metadata.
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    clean.save(out, format="WEBP", quality=85)
    return out.getvalue()


def user_avatar_set(*, user: User, upload) -> User:
    data = _reencode_avatar(upload)
    old = user.avatar.name if user.avatar else None
    user.avatar.save(f"{user.pk.hex}-{uuid.uuid4().hex[:8]}.webp", ContentFile(data), save=False)
    user.save(update_fields=["avatar"])
    if old:
        storage = user.avatar.storage
        transaction.on_commit(lambda: storage.delete(old))
    return user


def tokens_issue(*, user: User) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def refresh_token_revoke(*, token: str) -> None:
    """Blacklists a refresh token (logout). An invalid or already-revoked token is a 401."""
    try:
        RefreshToken(token).blacklist()
    except TokenError as exc:
        raise AuthenticationFailed(
            "The refresh token is invalid, expired or already revoked.", "token_not_valid"
        ) from exc


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


def ws_ticket_issue(*, user: User) -> str:
    ticket = secrets.token_urlsafe(32)
    cache.set(f"{_TICKET_PREFIX}{ticket}", str(user.pk), timeout=settings.WS_TICKET_TTL)
    return ticket


def ws_ticket_redeem(*, ticket: str) -> User | None:
    """Returns the ticket's active user once; every later use of the same ticket gets None.

    `cache.delete` reports whether this caller removed the key, so of two racing
    redeemers only one wins, in Redis and in the local cache alike.
    """
    if not ticket or len(ticket) > 100:
        return None
    key = f"{_TICKET_PREFIX}{ticket}"
    user_id = cache.get(key)
    if user_id is None or not cache.delete(key):
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


def oauth_leftovers_prune(*, older_than, dry_run: bool = False) -> int:
    """One-time OAuth state records of sign-ins that were started and never finished."""
    from social_django.models import Nonce, Partial

    nonces = Nonce.objects.filter(timestamp__lt=older_than.timestamp())
    partials = Partial.objects.filter(timestamp__lt=older_than)
    if dry_run:
        return nonces.count() + partials.count()
    return nonces.delete()[0] + partials.delete()[0]

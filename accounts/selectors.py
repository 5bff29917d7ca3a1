import logging
import time
import uuid
from collections.abc import Iterable
from datetime import date, datetime

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import Http404

from accounts.models import User
from core.cache_batch import Entry, remember_many
from core.reads import CompiledRead

logger = logging.getLogger(__name__)

_DENY_PREFIX = "jwt-deny:"
# While the cache is down every authenticated request would say so; once a minute is enough.
_DENY_LIST_WARNING_EVERY = 60.0
_deny_list_warned_at = -_DENY_LIST_WARNING_EVERY


def user_get(*, user_id: str | uuid.UUID, active_only: bool = True) -> User:
    """The user with that id, or 404 (malformed ids and deactivated accounts included)."""
    try:
        pk = uuid.UUID(str(user_id))
    except ValueError as exc:
        raise Http404("No such user.") from exc
    users = User.objects.filter(pk=pk)
    if active_only:
        users = users.filter(is_active=True)
    user = users.first()
    if user is None:
        raise Http404("No such user.")
    return user


# --- the user behind a socket's credential, remembered for reconnects --------------------

# A socket's handshake needs its user; a crowd (re)connecting would read the same rows once per
# socket. Remembered in the cache for SOCKET_USER_SECONDS, and rewritten when a user is saved
# (after the commit: deactivating shows at the next handshake).
SOCKET_USER_SECONDS = 60
_INACTIVE = "inactive"
# Every column but the password hash, which stays out of the cache (a deferred field).
_SOCKET_USER_COLUMNS = tuple(f for f in User._meta.concrete_fields if f.attname != "password")
_SOCKET_USER_FIELDS = tuple(f.attname for f in _SOCKET_USER_COLUMNS)


def _socket_user_rows(user_ids):
    return User.objects.filter(pk__in=user_ids, is_active=True).values_list(*_SOCKET_USER_FIELDS)


# Compiled once per process (core/reads.py): every handshake of a user not remembered reads it.
_SOCKET_USERS_READ = CompiledRead(_socket_user_rows, "uuid[]", model=User)


def socket_user_key(user_id) -> str:
    return f"accounts:socket-user:{user_id}"


def _socket_user_row(user: User) -> dict | str:
    """The columns as the cache's JSON keeps them (read back with each field's `to_python`)."""
    if not user.is_active:
        return _INACTIVE
    row = {}
    for field in _SOCKET_USER_COLUMNS:
        value = field.value_from_object(user)
        if isinstance(value, datetime | date):
            value = value.isoformat()  # microseconds kept (the JSON encoder keeps milliseconds)
        elif hasattr(value, "storage"):  # a file: its name
            value = value.name
        row[field.attname] = value
    return row


def socket_user_from(row) -> tuple[bool, User | None]:
    """(remembered, the active user or None), without a query, from the value the cache held
    under `socket_user_key` (None: nothing)."""
    if row == _INACTIVE:
        return True, None
    if not isinstance(row, dict):
        return False, None
    try:
        values = [field.to_python(row[field.attname]) for field in _SOCKET_USER_COLUMNS]
    except (KeyError, ValidationError):  # remembered by a release with other columns
        return False, None
    return True, User.from_db("default", list(_SOCKET_USER_FIELDS), values)


def socket_users_read(user_ids: Iterable) -> dict[str, User]:
    """The active users with those ids, by id (as `str(user.pk)`), read in one query and
    remembered in one round trip (`socket_user_from` reads them back). An id that is not a
    UUID is no one."""
    pks = set()
    for user_id in user_ids:
        try:
            pks.add(uuid.UUID(str(user_id)))
        except ValueError:
            continue
    if not pks:
        return {}
    users = {}
    for row in _SOCKET_USERS_READ(sorted(pks)):
        user = User.from_db("default", list(_SOCKET_USER_FIELDS), list(row))
        users[str(user.pk)] = user
    remember_many([_socket_user_entry(user) for user in users.values()])
    return users


def socket_user_remember(user: User) -> None:
    """Remembers a user just read from the database for their next socket handshake."""
    remember_many([_socket_user_entry(user)])


def _socket_user_entry(user: User) -> Entry:
    """`only_new`, as `cache.add`: a save that committed meanwhile wrote its own row (a
    deactivation its tombstone), which wins."""
    return Entry(socket_user_key(user.pk), _socket_user_row(user), SOCKET_USER_SECONDS, only_new=True)


def _user_saved(sender, instance: User, **kwargs) -> None:
    row = _socket_user_row(instance)
    key = socket_user_key(instance.pk)
    transaction.on_commit(lambda: cache.set(key, row, timeout=SOCKET_USER_SECONDS))


def _user_deleted(sender, instance: User, **kwargs) -> None:
    key = socket_user_key(instance.pk)
    transaction.on_commit(lambda: cache.set(key, _INACTIVE, timeout=SOCKET_USER_SECONDS))


def socket_user_watch() -> None:
    """Connects the changes that rewrite remembered socket users (AccountsConfig.ready)."""
    post_save.connect(_user_saved, sender=User, dispatch_uid="accounts.socket_user.saved")
    post_delete.connect(_user_deleted, sender=User, dispatch_uid="accounts.socket_user.deleted")


def access_token_deny_key(jti: str) -> str:
    return f"{_DENY_PREFIX}{jti}"


def access_token_denied(*, jti: str | None) -> bool:
    """Whether a logout or a revoked sign-in put this access token on the deny-list.

    Fails open: while the cache cannot answer, access tokens are taken as not denied (they
    expire within ACCESS_TOKEN_LIFETIME anyway) and the log says so, at most once a minute.
    """
    if not jti:
        return False
    try:
        # django-redis answers None instead of raising when it ignores a Redis failure.
        found = cache.has_key(access_token_deny_key(str(jti)))
    except Exception as exc:  # whatever the cache backend raises, the answer is to fail open
        found, reason = None, type(exc).__name__
    else:
        reason = "no answer"
    if found is None:
        deny_list_unavailable(reason)
        return False
    return bool(found)


def deny_list_unavailable(reason: str) -> None:
    """Says (at most once a minute) that access tokens are being let through unchecked."""
    global _deny_list_warned_at
    now = time.monotonic()
    if now - _deny_list_warned_at >= _DENY_LIST_WARNING_EVERY:
        _deny_list_warned_at = now
        logger.warning(
            "The access-token deny-list is unavailable (%s): access tokens are accepted without "
            "checking for logout until the cache answers again.",
            reason,
        )

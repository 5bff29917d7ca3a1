"""Friendships and notifications. Other apps tell people things through `notify`."""

import logging
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from accounts.events import user_group
from accounts.models import User
from core.background import enqueue
from core.cache_batch import Entry
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.reads import CompiledRead
from core.realtime import send_on_commit
from social import events
from social.models import Friendship, Notification, OutgoingEmail

logger = logging.getLogger(__name__)

Status = Friendship.Status
Kind = Notification.Kind

# Kinds that also go out by e-mail (when the person allows it).
EMAIL_KINDS: dict[str, str] = {Kind.ROOM_INVITE: "You are invited to a room", Kind.FRIEND_REQUEST: "New friend request"}


def notify(*, user: User, kind: str, text: str, data: dict[str, Any] | None = None) -> Notification:
    """Writes a notification in the caller's transaction; pushes it live and e-mails it after commit."""
    notification = Notification.objects.create(user=user, kind=kind, text=text[:500], data=data or {})

    def live_payload():
        unread = Notification.objects.filter(user_id=user.pk, is_read=False).count()
        return events.notification_created(notification, unread_count=unread)

    send_on_commit(user_group(user.pk), live_payload)
    if kind in EMAIL_KINDS and user.email_notifications and user.email:
        email_queue(user=user, kind=kind, subject=f"TuneWave: {EMAIL_KINDS[kind]}", body=_email_body(text))
    return notification


def notify_friends(*, user: User, kind: str, text: str, data: dict[str, Any] | None = None) -> int:
    friends = list(User.objects.filter(pk__in=friend_ids(user=user), is_active=True))
    for friend in friends:
        notify(user=friend, kind=kind, text=text, data=data)
    return len(friends)


def _email_body(text: str) -> str:
    return f"{text}\n\nOpen TuneWave: {settings.FRONTEND_URL}\n\nYou can turn these e-mails off in your profile."


def email_queue(*, user: User, kind: str, subject: str, body: str) -> OutgoingEmail:
    """Adds an e-mail to the outbox (same transaction) and asks a worker to send it after commit.

    If the broker is down, enqueueing fails quietly: the row stays unsent and the periodic
    sweep (social.tasks.emails_requeue) sends it later. No API call fails because of mail.
    """
    email = OutgoingEmail.objects.create(user=user, to_email=user.email, subject=subject, body=body, kind=kind)
    transaction.on_commit(lambda: email_enqueue(email_id=email.pk))
    return email


def email_enqueue(*, email_id) -> bool:
    return enqueue("social.tasks.email_send", args=[str(email_id)])  # by name: social.tasks imports this module


def _friendship_rows(from_user_ids, to_user_ids):
    theirs = Q(from_user_id__in=from_user_ids) | Q(to_user_id__in=to_user_ids)
    return (
        Friendship.objects.filter(theirs, status=Status.ACCEPTED).order_by().values_list("from_user_id", "to_user_id")
    )


# Compiled once per process (core/reads.py): room sockets' joins read it, several users at once.
_FRIENDSHIPS = CompiledRead(_friendship_rows, "uuid[]", "uuid[]", model=Friendship)


def friend_ids_of(user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, set]:
    """Each user's friends' ids, in one query."""
    wanted = sorted(set(user_ids))
    friends: dict[uuid.UUID, set] = {pk: set() for pk in wanted}
    for a, b in _FRIENDSHIPS(wanted, wanted) if wanted else ():
        if a in friends:
            friends[a].add(b)
        if b in friends:
            friends[b].add(a)
    return friends


def friend_ids(*, user: User) -> set:
    return friend_ids_of([user.pk])[user.pk]


# A user's friends, remembered in the cache for a room socket's join (`friend_ids_from`):
# forgotten when a friendship between them changes, and after FRIENDS_CACHE_SECONDS anyway.
FRIENDS_CACHE_SECONDS = 300


def friends_key(user_id) -> str:
    return f"social:friends:{user_id}"


def friend_ids_from(value) -> set[str] | None:
    """The ids (strings) of the user's friends as remembered, without a query, from the value
    the cache held under `friends_key`; None if nothing."""
    return set(value) if isinstance(value, list) else None


def friend_ids_remembered(users: Iterable[User], *, writes: list[Entry]) -> dict[uuid.UUID, set[str]]:
    """`friend_ids` as strings for each user, for a caller that found nothing remembered for
    them (it read the cache along with other keys: `friend_ids_from`): read in one query, and
    the writes that remember them added to `writes` for the caller to make with its others."""
    found = {pk: {str(friend) for friend in ids} for pk, ids in friend_ids_of(user.pk for user in users).items()}
    writes.extend(Entry(friends_key(pk), sorted(ids), FRIENDS_CACHE_SECONDS) for pk, ids in found.items())
    return found


def _friendship_changed(sender, instance: Friendship, **kwargs) -> None:
    keys = [friends_key(instance.from_user_id), friends_key(instance.to_user_id)]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))  # and any read made meanwhile


def friends_watch() -> None:
    """Connects the changes that forget remembered friends (SocialConfig.ready)."""
    post_save.connect(_friendship_changed, sender=Friendship, dispatch_uid="social.friends.saved")
    post_delete.connect(_friendship_changed, sender=Friendship, dispatch_uid="social.friends.deleted")


@transaction.atomic
def friendship_request(*, from_user: User, to_user: User) -> Friendship:
    if from_user.pk == to_user.pk:
        raise Invalid("You cannot send a friend request to yourself.", field="user_id")
    live = (
        Friendship.objects.select_for_update()
        .filter(
            Q(from_user=from_user, to_user=to_user) | Q(from_user=to_user, to_user=from_user),
            status__in=[Status.PENDING, Status.ACCEPTED],
        )
        .first()
    )
    if live is not None:
        if live.status == Status.ACCEPTED:
            raise Conflict("You are already friends.")
        if live.from_user_id == from_user.pk:
            raise Conflict("You already sent this person a friend request.")
        raise Conflict(
            f"{to_user.name} already sent you a friend request: accept it instead (PUT /friendships/{live.pk}/accept)."
        )
    try:
        with transaction.atomic():
            friendship = Friendship.objects.create(from_user=from_user, to_user=to_user)
    except IntegrityError as exc:  # the other side asked at the same moment
        raise Conflict("A friend request between you two already exists.") from exc
    notify(
        user=to_user,
        kind=Kind.FRIEND_REQUEST,
        text=f"{from_user.name} wants to be your friend.",
        data={"friendship_id": str(friendship.pk), "from_user": str(from_user.pk)},
    )
    return friendship


def _mine_or_404(friendship_id, user: User) -> Friendship:
    friendship = (
        Friendship.objects.select_for_update()
        .filter(Q(from_user=user) | Q(to_user=user), pk=friendship_id)
        .select_related("from_user", "to_user")
        .first()
    )
    if friendship is None:
        raise NotFound("No such friendship.")
    return friendship


def _respond(friendship_id, user: User, status: str) -> Friendship:
    friendship = _mine_or_404(friendship_id, user)
    if friendship.to_user_id != user.pk:
        raise Forbidden("Only the person who received the request can answer it.")
    if friendship.status != Status.PENDING:
        raise Conflict(f"This request was already {friendship.status}.")
    friendship.status = status
    friendship.responded_at = timezone.now()
    friendship.save(update_fields=["status", "responded_at"])
    _request_settled(friendship, status)
    return friendship


def _request_settled(friendship: Friendship, status: str) -> None:
    """The recipient's notification of a request that is no longer pending is read and says how
    it ended (`data.status`), so no client offers Accept/Decline on it any more."""
    notes = Notification.objects.filter(
        user_id=friendship.to_user_id, kind=Kind.FRIEND_REQUEST, data__friendship_id=str(friendship.pk)
    )
    for note in notes:
        note.data = {**note.data, "status": status}
        note.is_read = True
        note.save(update_fields=["data", "is_read"])


@transaction.atomic
def friendship_accept(*, friendship_id, user: User) -> Friendship:
    friendship = _respond(friendship_id, user, Status.ACCEPTED)
    notify(
        user=friendship.from_user,
        kind=Kind.FRIEND_ACCEPTED,
        text=f"{user.name} accepted your friend request.",
        data={"friendship_id": str(friendship.pk), "user": str(user.pk)},
    )
    return friendship


@transaction.atomic
def friendship_decline(*, friendship_id, user: User) -> Friendship:
    return _respond(friendship_id, user, Status.DECLINED)


@transaction.atomic
def friendship_delete(*, friendship_id, user: User) -> None:
    """Either side ends a friendship (or withdraws or discards a request)."""
    friendship = _mine_or_404(friendship_id, user)
    if friendship.status == Status.PENDING:
        _request_settled(friendship, "withdrawn" if friendship.from_user_id == user.pk else Status.DECLINED)
    friendship.delete()


def notification_mark_read(*, notification_id, user: User) -> Notification:
    notification = Notification.objects.filter(pk=notification_id, user=user).first()
    if notification is None:
        raise NotFound("No such notification.")
    if not notification.is_read:
        notification.is_read = True
        notification.save(update_fields=["is_read"])
    return notification


def notification_delete(*, notification_id, user: User) -> None:
    deleted, _ = Notification.objects.filter(pk=notification_id, user=user).delete()
    if not deleted:
        raise NotFound("No such notification.")


def notifications_prune(*, older_than, dry_run: bool = False) -> int:
    """Read notifications older than `older_than` (unread ones are kept)."""
    rows = Notification.objects.filter(is_read=True, created_at__lt=older_than)
    return rows.count() if dry_run else rows.delete()[0]


def emails_prune(*, older_than, dry_run: bool = False) -> int:
    """Sent outbox rows older than `older_than` (unsent ones are never pruned)."""
    rows = OutgoingEmail.objects.filter(sent_at__isnull=False, sent_at__lt=older_than)
    return rows.count() if dry_run else rows.delete()[0]

from django.db.models import Q

from accounts.models import User
from social.models import Friendship, Notification


def friends_of(*, user: User, limit: int, offset: int) -> list[Friendship]:
    return list(
        Friendship.objects.filter(Q(from_user=user) | Q(to_user=user), status=Friendship.Status.ACCEPTED)
        .select_related("from_user", "to_user")
        .order_by("-responded_at", "-created_at")[offset : offset + limit]
    )


def requests_sent(*, user: User, limit: int, offset: int) -> list[Friendship]:
    return list(
        Friendship.objects.filter(from_user=user, status=Friendship.Status.PENDING).select_related(
            "from_user", "to_user"
        )[offset : offset + limit]
    )


def requests_received(*, user: User, limit: int, offset: int) -> list[Friendship]:
    return list(
        Friendship.objects.filter(to_user=user, status=Friendship.Status.PENDING).select_related(
            "from_user", "to_user"
        )[offset : offset + limit]
    )


def notifications_of(*, user: User, limit: int, offset: int, unread_only: bool = False) -> list[Notification]:
    notifications = Notification.objects.filter(user=user)
    if unread_only:
        notifications = notifications.filter(is_read=False)
    return list(notifications.order_by("-created_at", "-id")[offset : offset + limit])


def unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, is_read=False).count()

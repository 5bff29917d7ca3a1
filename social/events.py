"""Payloads for the per-user group (accounts.events names it)."""

from typing import Any

from social.models import Notification


def notification_payload(notification: Notification) -> dict[str, Any]:
    return {
        "id": str(notification.pk),
        "kind": notification.kind,
        "text": notification.text,
        "data": notification.data,
        "is_read": notification.is_read,
        "created_at": notification.created_at.isoformat().replace("+00:00", "Z"),
    }


def notification_created(notification: Notification, *, unread_count: int) -> dict[str, Any]:
    return {
        "type": "notification.created",
        "notification": notification_payload(notification),
        "unread_count": unread_count,
    }

"""The one way services broadcast: a channel-layer group_send after the transaction commits.

Nothing is broadcast for a change that might still roll back, and a channel layer that is
down never fails the write that caused the event (the database is the source of truth;
clients resync from it).
"""

import logging
from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def group_send_now(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:  # noqa: BLE001 - a broken layer must not break the request that wrote
        logger.warning("group_send to %s failed", group, exc_info=True)


def send_on_commit(group: str, event: dict[str, Any] | Callable[[], dict[str, Any]]) -> None:
    """`event` may be a callable: it is then built after commit, from committed data."""

    def send():
        try:
            payload = event() if callable(event) else event
        except Exception:  # noqa: BLE001 - e.g. the room was deleted in between
            logger.warning("building the event for %s failed", group, exc_info=True)
            return
        group_send_now(group, payload)

    transaction.on_commit(send)

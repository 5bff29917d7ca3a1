"""/ws/notifications/: every open tab and device of a user hears their new notifications."""

import asyncio
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.events import user_group
from accounts.ws import scope_expires_at, scope_user
from core.frames import FrameError, frame_parse
from core.layers import ConsumerMixin
from core.socket_errors import error_frame
from social import selectors

CLOSE_UNAUTHENTICATED = 4401
# Clients only ever send `{"type": "ping"}` here.
MAX_FRAME_CHARS = 4096


class NotificationConsumer(ConsumerMixin, AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.user = user = scope_user(self.scope)
        self.group: str | None = None
        self.expiry_task: asyncio.Future[None] | None = None
        await self.accept()
        if user is None:
            return await self.close(code=CLOSE_UNAUTHENTICATED)
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        unread = await database_sync_to_async(selectors.unread_count)(user=user)
        await self.send_json({"type": "notifications.hello", "unread_count": unread})
        expires = scope_expires_at(self.scope)
        if expires is not None:
            self.expiry_task = asyncio.ensure_future(self._close_at(expires))

    async def _close_at(self, expires: float):
        try:
            await asyncio.sleep(max(0.0, expires - time.time()))
            await self.send_json({"type": "error", "code": "token_expired", "detail": "Sign in again."})
            await self.close(code=CLOSE_UNAUTHENTICATED)
        except asyncio.CancelledError:
            pass

    async def disconnect(self, code):
        if self.expiry_task is not None:
            self.expiry_task.cancel()
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if content.get("type") == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.send_json({"type": "error", "code": "unknown_type", "detail": "This socket only listens."})

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        # The room socket's codes for the same refusals (chat.consumers.RoomConsumer.receive).
        if text_data is None:
            return await self.send_json(error_frame(FrameError("unsupported", "Send JSON text frames.")))
        if len(text_data) > MAX_FRAME_CHARS:
            refused = FrameError("too_large", f"Frames are limited to {MAX_FRAME_CHARS} characters.")
            return await self.send_json(error_frame(refused))
        try:
            content = frame_parse(text_data)
        except FrameError as exc:
            return await self.send_json(error_frame(exc))
        return await self.receive_json(content)

    async def notification_created(self, event):
        await self.send_json(event)

    async def account_deactivated(self, event):
        await self.close(code=CLOSE_UNAUTHENTICATED)

    async def room_access_revoked(self, event):
        """Room sockets act on this; the notification socket has nothing to close."""

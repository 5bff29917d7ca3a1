from django.conf import settings
from django.db import models
from django.db.models import Q

from rooms.models import Room


class Message(models.Model):
    """A chat message. Ids only ever increase, so "everything after id N" is a resync."""

    id = models.BigAutoField(primary_key=True)
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages")
    # Stored as typed; escaping is the renderer's job (the SPA renders text, never HTML).
    text = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # The sender's own id for this message: the same id twice stores one message.
    client_msg_id = models.CharField(max_length=64, null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["room", "user", "client_msg_id"],
                condition=Q(client_msg_id__isnull=False),
                name="chat_message_client_id_unique",
            )
        ]
        indexes = [models.Index(fields=["room", "-created_at"], name="chat_msg_room_time")]

    def __str__(self) -> str:
        return f"{self.user}: {self.text[:40]}"

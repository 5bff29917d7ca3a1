import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Greatest, Least


class Friendship(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="friend_requests_sent"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="friend_requests_received"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(from_user=models.F("to_user")), name="social_friendship_not_self"),
            # One live (pending or accepted) friendship per pair, whichever way it was asked.
            models.UniqueConstraint(
                Least("from_user", "to_user"),
                Greatest("from_user", "to_user"),
                condition=Q(status__in=["pending", "accepted"]),
                name="social_friendship_one_live_per_pair",
            ),
        ]
        indexes = [
            models.Index(fields=["to_user", "status"], name="social_friend_to_status"),
            models.Index(fields=["from_user", "status"], name="social_friend_from_status"),
        ]

    def __str__(self) -> str:
        return f"{self.from_user} -> {self.to_user} ({self.status})"

    def other(self, user):
        return self.to_user if self.from_user_id == user.pk else self.from_user


class Notification(models.Model):
    class Kind(models.TextChoices):
        FRIEND_REQUEST = "friend_request", "Friend request received"
        FRIEND_ACCEPTED = "friend_accepted", "Friend request accepted"
        ROOM_INVITE = "room_invite", "Room invite"
        BANNED = "banned", "Banned from a room"
        ROLE_CHANGED = "role_changed", "Role changed"
        FRIEND_ROOM = "friend_room", "A friend started a room"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.CharField(max_length=500)
    data = models.JSONField(default=dict, blank=True)
    is_read = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="social_notif_user_time"),
            models.Index(fields=["user", "is_read"], name="social_notif_user_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.text}"


class OutgoingEmail(models.Model):
    """The outbox: each e-mail to send is a row, written with the change that causes it.

    A task sends it and stamps `sent_at`; a periodic sweep re-queues rows still unsent,
    so a broker outage delays mail but loses none.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    to_email = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    kind = models.CharField(max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["sent_at", "created_at"], name="social_email_unsent")]

    def __str__(self) -> str:
        return f"{self.subject} -> {self.to_email}"

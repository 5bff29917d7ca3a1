import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from music.models import Genre, Track


class Room(models.Model):
    class Policy(models.TextChoices):
        MODERATORS = "moderators", "Owner and moderators"
        MEMBERS = "members", "Every member"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=80)
    description = models.TextField(max_length=1000, blank=True)
    is_private = models.BooleanField(default=False)
    genres = models.ManyToManyField(Genre, related_name="rooms", blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_rooms")

    class QueueOrder(models.TextChoices):
        FIFO = "fifo", "First come, first served"
        ROUND_ROBIN = "round_robin", "Members take turns"

    # Who may add to / remove from the queue, and who may play, pause, seek and skip.
    queue_policy = models.CharField(max_length=12, choices=Policy.choices, default=Policy.MEMBERS)
    playback_policy = models.CharField(max_length=12, choices=Policy.choices, default=Policy.MODERATORS)
    # When the queue runs out, the room plays its own suggestions (rooms.services).
    autoplay = models.BooleanField(default=True, db_default=True)
    # The share of the listeners online whose votes skip the track (0 < x <= 1; rounded up).
    skip_share = models.FloatField(default=0.5, db_default=0.5)
    queue_order = models.CharField(
        max_length=12, choices=QueueOrder.choices, default=QueueOrder.FIFO, db_default=QueueOrder.FIFO
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Closed by a moderator in the admin: hidden everywhere, nobody can join.
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(Lower("name"), name="rooms_room_name_ci_unique")]
        indexes = [
            models.Index(fields=["is_private", "-created_at"], name="rooms_room_listing"),
            # The newest-first page of open rooms (GET /rooms/).
            models.Index(
                fields=["-created_at", "id"], name="rooms_room_open_newest", condition=Q(closed_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        MODERATOR = "moderator", "Moderator"
        MEMBER = "member", "Member"

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["room", "user"], name="rooms_membership_unique"),
            models.UniqueConstraint(fields=["room"], condition=Q(role="owner"), name="rooms_membership_one_owner"),
        ]
        indexes = [models.Index(fields=["user", "room"], name="rooms_membership_user")]

    def __str__(self) -> str:
        return f"{self.user} in {self.room} ({self.role})"

    @property
    def can_moderate(self) -> bool:
        return self.role in (self.Role.OWNER, self.Role.MODERATOR)


def _invite_expiry():
    return timezone.now() + timedelta(days=7)


class Invite(models.Model):
    """An invitation into a room; for a private room, the only way in besides membership."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="invites")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="room_invites")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="sent_room_invites"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=_invite_expiry)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["room", "user"], condition=Q(accepted_at__isnull=True), name="rooms_invite_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} invited to {self.room}"


class Ban(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="bans")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bans_received")
    banned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="bans_issued"
    )
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="rooms_ban_unique")]

    def __str__(self) -> str:
        return f"{self.user} banned from {self.room}"


class QueueItem(models.Model):
    """An upcoming track in a room's queue. `id` is the documented `association_id`.

    Positions are dense (0, 1, 2, ...) and unique per room; every write to a room's
    queue happens under that room's row lock (rooms.services).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="queue_items")
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="+")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    # `member`: someone queued it; `autoplay`: TuneWave picked it (with `reason`).
    via = models.CharField(
        max_length=10, choices=[("member", "Member"), ("autoplay", "Autoplay")], default="member", db_default="member"
    )
    reason = models.CharField(max_length=200, blank=True, default="", db_default="")
    position = models.IntegerField()
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["room", "position"]
        constraints = [models.UniqueConstraint(fields=["room", "position"], name="rooms_queue_position_unique")]

    def __str__(self) -> str:
        return f"{self.position}. {self.track} in {self.room}"


class PlaybackState(models.Model):
    """What a room is playing. The server is the single authority.

    `position_ms` is the position at `updated_at`; while playing, the live position is
    `position_ms + (now - updated_at)`. Every change is a compare-and-set on `version`
    (rooms.playback), so racing controls, several processes and retried tasks cannot
    double-advance.
    """

    class Status(models.TextChoices):
        PLAYING = "playing", "Playing"
        PAUSED = "paused", "Paused"
        IDLE = "idle", "Idle"

    room = models.OneToOneField(Room, on_delete=models.CASCADE, primary_key=True, related_name="playback")
    track = models.ForeignKey(Track, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.IDLE)
    position_ms = models.IntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)
    # When the current track started playing (the listens of this play are keyed on it).
    track_started_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0)
    # The version at which the current play started: pause and seek move `version` within one
    # play; skip votes and reactions for a version below this are for an earlier play.
    play_version = models.PositiveIntegerField(default=0, db_default=0)
    # How the current track got here (copied from its queue item): `autoplay` picks say why.
    via = models.CharField(
        max_length=10, choices=[("member", "Member"), ("autoplay", "Autoplay")], default="member", db_default="member"
    )
    reason = models.CharField(max_length=200, blank=True, default="", db_default="")

    def __str__(self) -> str:
        return f"{self.room}: {self.status} v{self.version}"


class SkipVote(models.Model):
    """One member's vote to skip one play (a play is its `track_started_at`)."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="skip_votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    play_started_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room", "user", "play_started_at"], name="rooms_skipvote_once_per_play")
        ]

    def __str__(self) -> str:
        return f"{self.user} votes to skip in {self.room}"


class Reaction(models.Model):
    """A listener's reaction to the track playing (a play is its `track_started_at`)."""

    class Kind(models.TextChoices):
        LIKE = "like", "Like"

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reactions")
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="reactions")
    play_started_at = models.DateTimeField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.LIKE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["room", "user", "play_started_at", "kind"], name="rooms_reaction_once_per_play"
            )
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="rooms_reaction_user_time")]

    def __str__(self) -> str:
        return f"{self.user} {self.kind}s {self.track} in {self.room}"

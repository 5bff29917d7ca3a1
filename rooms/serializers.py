from functools import cached_property

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import UserBriefSerializer
from core.public_urls import absolute_url
from music.covers import room_cover_path
from music.serializers import SpotifyIdField, TrackBaseSerializer
from rooms.models import Ban, Membership, QueueItem, Room


class RoomSerializer(serializers.ModelSerializer):
    """Room. Context: `online` {room_id: count or None when unknown}, `roles` {room_id: role} for the caller,
    `now_playing` {room_id: Track} (each computed once per response, not per room)."""

    genres = serializers.SerializerMethodField()
    owner = UserBriefSerializer()
    member_count = serializers.IntegerField(read_only=True)
    online_count = serializers.SerializerMethodField()
    now_playing = serializers.SerializerMethodField()
    image_url = serializers.SerializerMethodField()
    my_role = serializers.SerializerMethodField()

    class Meta:
        model = Room
        fields = [
            "id",
            "name",
            "description",
            "is_private",
            "genres",
            "owner",
            "member_count",
            "online_count",
            "now_playing",
            "image_url",
            "queue_policy",
            "playback_policy",
            "autoplay",
            "skip_share",
            "queue_order",
            "my_role",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_genres(self, room) -> list[str]:
        return sorted(g.name for g in room.genres.all())

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_online_count(self, room) -> int | None:
        """Listeners with the room open; null while presence is unavailable (Redis down)."""
        return self.context.get("online", {}).get(str(room.pk), 0)

    @cached_property
    def _track(self) -> TrackBaseSerializer:
        # One for every room of a response: building a ModelSerializer's fields costs more than
        # rendering a track with them.
        return TrackBaseSerializer(context=self.context)

    @extend_schema_field(TrackBaseSerializer(allow_null=True))
    def get_now_playing(self, room):
        track = self.context.get("now_playing", {}).get(str(room.pk))
        return self._track.to_representation(track) if track is not None else None

    @extend_schema_field(
        serializers.CharField(help_text="Absolute: the now-playing track's image, else the room's generated cover.")
    )
    def get_image_url(self, room) -> str:
        """The now-playing track's cover, else the room's own generated one (music/covers.py)."""
        track = self.context.get("now_playing", {}).get(str(room.pk))
        if track is not None:
            return self._track.get_image_url(track)
        return absolute_url(room_cover_path(room), self.context.get("request")) or ""

    @extend_schema_field(serializers.ChoiceField(choices=Membership.Role.choices, allow_null=True))
    def get_my_role(self, room) -> str | None:
        return self.context.get("roles", {}).get(str(room.pk))


class RoomWriteSerializer(serializers.Serializer):
    name = serializers.CharField(min_length=2, max_length=80, trim_whitespace=True)
    description = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    is_private = serializers.BooleanField(required=False, default=False)
    genres = serializers.ListField(
        child=serializers.CharField(max_length=50, trim_whitespace=True), max_length=10, required=False, default=list
    )
    queue_policy = serializers.ChoiceField(choices=Room.Policy.choices, required=False, default=Room.Policy.MEMBERS)
    playback_policy = serializers.ChoiceField(
        choices=Room.Policy.choices, required=False, default=Room.Policy.MODERATORS
    )
    autoplay = serializers.BooleanField(
        required=False, default=True, help_text="When the queue runs out, the room plays its own suggestions."
    )
    skip_share = serializers.FloatField(
        required=False,
        default=0.5,
        min_value=0.0,
        max_value=1.0,
        help_text="The share of the listeners online whose votes skip a track (0 < x <= 1, rounded up).",
    )
    queue_order = serializers.ChoiceField(
        choices=Room.QueueOrder.choices,
        required=False,
        default=Room.QueueOrder.FIFO,
        help_text="fifo: in the order added; round_robin: members' additions take turns.",
    )

    def validate_skip_share(self, value: float) -> float:
        if not 0 < value <= 1:  # NaN fails this too
            raise serializers.ValidationError("skip_share must be more than 0 and at most 1.")
        return value

    # Read-only fields a client may echo back from a GET are ignored; anything else (owner,
    # typos) is refused rather than silently dropped. The schema says so (core.schema).
    echoed_fields = frozenset(
        {"id", "member_count", "online_count", "now_playing", "image_url", "my_role", "created_at"}
    )

    def validate(self, attrs):
        if isinstance(self.initial_data, dict):
            unknown = set(self.initial_data) - set(self.fields) - self.echoed_fields
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
        return attrs


class RoomUpdateSerializer(RoomWriteSerializer):
    """PUT: only the fields sent change (no defaults fill in the others)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
            field.default = serializers.empty


class MemberSerializer(serializers.ModelSerializer):
    user = UserBriefSerializer()
    online = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["user", "role", "joined_at", "online"]

    def get_online(self, membership) -> bool:
        """False while presence is unavailable (Redis down): nobody is known to be online."""
        return str(membership.user_id) in self.context.get("online_users", set())


class RoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=[Membership.Role.OWNER, Membership.Role.MODERATOR, Membership.Role.MEMBER])


class BanCreateSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class BanSerializer(serializers.ModelSerializer):
    room_id = serializers.UUIDField(read_only=True)
    user = UserBriefSerializer()
    banned_by = UserBriefSerializer(allow_null=True)

    class Meta:
        model = Ban
        fields = ["id", "room_id", "user", "banned_by", "reason", "created_at"]


class QueueAddSerializer(serializers.Serializer):
    spotify_id = SpotifyIdField()


class QueueItemSerializer(serializers.ModelSerializer):
    """A queued track: who added it (null for TuneWave's own picks), `via` member or autoplay,
    and for autoplay picks the `reason` in words ("" for members' additions)."""

    association_id = serializers.UUIDField(source="id", read_only=True)
    track = TrackBaseSerializer()
    added_by = UserBriefSerializer(allow_null=True)

    class Meta:
        model = QueueItem
        fields = ["id", "association_id", "track", "added_by", "via", "reason", "position", "added_at"]


class InviteSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    room_id = serializers.UUIDField()
    user = UserBriefSerializer()
    invited_by = UserBriefSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()

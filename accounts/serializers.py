from django.contrib.auth.models import AnonymousUser
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts import hooks, spotify_player
from accounts.models import User
from accounts.names import display_name_clean, username_normalize, username_readable
from core.public_urls import absolute_url


class UsernameField(serializers.RegexField):
    """A username, NFKC-normalised before its rules are checked (so `ａｌｉｃｅ` is `alice`)."""

    def to_internal_value(self, data):
        name = username_normalize(super().to_internal_value(data))
        if not username_readable(name):
            self.fail("invalid")
        return name


class DisplayNameField(serializers.CharField):
    """A display name without bidi controls or invisible characters; they may leave it empty."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 64)
        super().__init__(allow_blank=True, **kwargs)

    def to_internal_value(self, data):
        return display_name_clean(super().to_internal_value(data))


def avatar_url(user, request=None) -> str | None:
    return absolute_url(user.avatar.url, request) if user.avatar else None


def user_brief(user, request=None) -> dict:
    """The UserBrief payload (UserBriefSerializer's), built straight from the row: a room's
    presence page lists up to 50 at each join, and DRF builds a serializer's fields anew for
    each instance it is given."""
    return {
        "id": str(user.pk),
        "username": user.username,
        "display_name": user.display_name,
        "avatar_url": avatar_url(user, request),
    }


class UserBriefSerializer(serializers.ModelSerializer):
    """A person as shown inside other objects (room owners, message authors, ...)."""

    def to_representation(self, instance):
        if type(self) is not UserBriefSerializer:  # a fuller view of a person, built on this one
            return super().to_representation(instance)
        return user_brief(instance, self.context.get("request"))

    avatar_url = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "avatar_url"]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_avatar_url(self, user) -> str | None:
        return avatar_url(user, self.context.get("request"))


class UserResponseSerializer(UserBriefSerializer):
    """A profile. `email` is present only when the caller is looking at themself."""

    created_at = serializers.DateTimeField(source="date_joined", read_only=True)
    # Only in the caller's own profile, so optional in the schema: drf-spectacular marks every
    # read-only field required, and this serializer is only ever used for output.
    email = serializers.EmailField(required=False)
    email_notifications = serializers.BooleanField(required=False)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "avatar_url",
            "bio",
            "favorite_genres",
            "history_public",
            "email_notifications",
            "created_at",
            "email",
        ]
        read_only_fields = fields

    def to_representation(self, user):
        data = super().to_representation(user)
        request = self.context.get("request")
        if request is None or request.user.pk != user.pk:
            data.pop("email", None)
            data.pop("email_notifications", None)
        return data


class ListeningRoomSerializer(serializers.Serializer):
    """The room someone is listening in."""

    id = serializers.UUIDField()
    name = serializers.CharField()
    image_url = serializers.CharField(help_text="The room's image, absolute: its now-playing cover or its own.")


# TrackBase is music's (above accounts in the app layers), so it is named by reference here.
_TRACK_OR_NULL = {"allOf": [{"$ref": "#/components/schemas/TrackBase"}], "nullable": True}


class ListeningNowSerializer(serializers.Serializer):
    room = ListeningRoomSerializer()
    track = serializers.SerializerMethodField()

    @extend_schema_field(_TRACK_OR_NULL)
    def get_track(self, listening) -> dict | None:
        return listening["track"]


class PlaybackSerializer(serializers.Serializer):
    """Which players can play for you (the web app picks one per track)."""

    spotify = serializers.ChoiceField(
        choices=list(spotify_player.STATUSES),
        help_text="Spotify's player (Premium accounts): `ready`; `needs_premium` (the linked account is not "
        "Premium); `needs_reconnect` (the grant lacks `streaming` or was revoked: connect Spotify again); "
        "`not_linked`. Read from what TuneWave stored, without asking Spotify.",
    )


class UserDetailSerializer(UserResponseSerializer):
    """A profile as GET /users/{id} shows it: with what they are listening to now."""

    listening_now = serializers.SerializerMethodField()
    # Only in the caller's own profile (GET /users/me), so optional in the schema, like `email`.
    playback = PlaybackSerializer(required=False, help_text="Only in your own profile.")

    class Meta(UserResponseSerializer.Meta):
        fields = [*UserResponseSerializer.Meta.fields, "listening_now", "playback"]
        read_only_fields = fields

    def to_representation(self, user):
        data = super().to_representation(user)
        request = self.context.get("request")
        if request is not None and request.user.pk == user.pk:
            data["playback"] = {"spotify": spotify_player.status_for(user)}
        else:
            data.pop("playback", None)
        return data

    @extend_schema_field(ListeningNowSerializer(allow_null=True))
    def get_listening_now(self, user) -> dict | None:
        """The room they have open now (if you may see it) and its track. Null unless they let
        others see their listening (`history_public`) or it is you, and when they are not in a
        room you may see."""
        request = self.context.get("request")
        viewer = getattr(request, "user", None) or AnonymousUser()
        listening = hooks.listening_now(user=user, viewer=viewer, request=request)
        return ListeningNowSerializer(listening).data if listening is not None else None


class UserUpdateSerializer(serializers.Serializer):
    """`UserUpdate`: every field optional; only the fields sent change."""

    username = UsernameField(
        r"^[\w.@+-]+$",
        min_length=3,
        max_length=30,
        required=False,
        error_messages={"invalid": "Use 3-30 letters, digits and . @ + - _ only."},
    )
    display_name = DisplayNameField(required=False)
    bio = serializers.CharField(max_length=500, required=False, allow_blank=True, trim_whitespace=True)
    favorite_genres = serializers.ListField(
        child=serializers.CharField(max_length=50, trim_whitespace=True), max_length=30, required=False
    )

    history_public = serializers.BooleanField(required=False)
    email_notifications = serializers.BooleanField(required=False)

    # Fields of UserResponse that a client may echo back unchanged are ignored; anything else
    # (e-mail, typos) is refused rather than silently dropped. The schema says so (core.schema).
    echoed_fields = frozenset({"id", "avatar_url", "created_at"})

    def validate(self, attrs):
        unknown = set(self.initial_data) - set(self.fields) - self.echoed_fields
        if unknown:
            raise serializers.ValidationError({name: ["This field cannot be changed."] for name in sorted(unknown)})
        return attrs


class AvatarUploadSerializer(serializers.Serializer):
    avatar_file = serializers.FileField()


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class RefreshBodySerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=2000)


class DevLoginSerializer(serializers.Serializer):
    email = serializers.EmailField()
    display_name = DisplayNameField(required=False)


class DevLoginResponseSerializer(TokenPairSerializer):
    user = UserResponseSerializer()
    created = serializers.BooleanField()


class WsTicketSerializer(serializers.Serializer):
    ticket = serializers.CharField()
    expires_in = serializers.IntegerField()


class AvatarRulesSerializer(serializers.Serializer):
    max_bytes = serializers.IntegerField(help_text="The largest avatar upload, in bytes.")
    content_types = serializers.ListField(
        child=serializers.CharField(), help_text="The image types accepted (checked by content, not by name)."
    )


class UploadRulesSerializer(serializers.Serializer):
    max_bytes = serializers.IntegerField(help_text="The largest audio file POST /track/upload takes, in bytes.")
    quota_bytes = serializers.IntegerField(help_text="How much audio each person may keep uploaded, in bytes.")
    content_types = serializers.ListField(
        child=serializers.CharField(), help_text="The audio types accepted (checked by content, not by name)."
    )


class SpotifyPlayerConfigSerializer(serializers.Serializer):
    sdk_url = serializers.URLField(help_text="The Web Playback SDK script to load (Premium listeners only).")
    api_url = serializers.URLField(help_text="Spotify's Web API base URL, for transferring playback and playing.")


class FrontendConfigSerializer(serializers.Serializer):
    avatar = AvatarRulesSerializer(help_text="What POST /users/me/avatar accepts.")
    uploads = UploadRulesSerializer(help_text="What POST /track/upload accepts.")
    spotify_player = SpotifyPlayerConfigSerializer(
        allow_null=True, help_text="Where the Spotify player lives; null when Spotify is not configured here."
    )
    providers = serializers.ListField(child=serializers.ChoiceField(choices=["google", "spotify"]))
    login_urls = serializers.DictField(child=serializers.URLField())
    dev_login = serializers.BooleanField()
    ws_url = serializers.CharField()
    frontend_url = serializers.URLField()


class LinkStartSerializer(serializers.Serializer):
    provider = serializers.ChoiceField(choices=["google", "spotify"])


class LinkTicketSerializer(serializers.Serializer):
    ticket = serializers.CharField()
    expires_in = serializers.IntegerField()
    login_url = serializers.CharField(help_text="Send this browser here (same browser only).")


class PlayerTokenSerializer(serializers.Serializer):
    access_token = serializers.CharField(
        help_text="A Spotify access token for the Web Playback SDK. Keep it in memory."
    )
    expires_at = serializers.IntegerField(
        help_text="When Spotify stops accepting it (epoch ms); it has at least a minute left. Ask again before."
    )

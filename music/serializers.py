from django.core.validators import URLValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.public_urls import absolute_url
from music.covers import track_cover_path
from music.models import FavoriteTrack, ListeningEvent, Track, Upload
from music.services import TRACK_ID, TRACK_ID_RULE, is_spotify_id, is_track_id

SOURCES = ["audio", "spotify"]


class TrackBaseSerializer(serializers.ModelSerializer):
    """`TrackBase`. Expects a track from `selectors.track_queryset()` (prefetched)."""

    artists = serializers.SerializerMethodField()
    genres = serializers.SerializerMethodField()
    audio_url = serializers.SerializerMethodField()
    image_url = serializers.SerializerMethodField()
    origin = serializers.ChoiceField(
        choices=Track.Origin.choices,
        read_only=True,
        help_text="Where the track comes from: Spotify's catalog, a listener's upload, the demo catalog, "
        "or a listening-history import.",
    )
    sources = serializers.SerializerMethodField()

    class Meta:
        model = Track
        fields = [
            "spotify_id",
            "name",
            "artists",
            "album",
            "duration_ms",
            "genres",
            "image_url",
            "audio_url",
            "origin",
            "sources",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_artists(self, track) -> list[str]:
        return [credit.artist.name for credit in track.credits.all()]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_genres(self, track) -> list[str]:
        return sorted(genre.name for genre in track.genres.all())

    @extend_schema_field(
        serializers.ListField(
            child=serializers.ChoiceField(choices=SOURCES),
            help_text="How a browser can play it: `audio` (its audio_url, for everyone), `spotify` "
            "(Spotify's player, for Premium listeners). Empty: it cannot play here.",
        )
    )
    def get_sources(self, track) -> list[str]:
        return track.sources

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_audio_url(self, track) -> str | None:
        return self._absolute(track.audio_url)

    # Plain strings in the schema, not `format: uri`: both come from clients and Spotify, and
    # Django's URL validation takes IRIs (non-ASCII hosts and paths) that RFC 3986 does not.
    @extend_schema_field(
        serializers.CharField(help_text="Absolute, never null: Spotify's cover art, else the album's generated cover.")
    )
    def get_image_url(self, track) -> str:
        """Spotify's cover, else the album's generated one (music/covers.py): never null."""
        return absolute_url(track.image_url or track_cover_path(track), self.context.get("request")) or ""

    def _absolute(self, url: str) -> str | None:
        return absolute_url(url, self.context.get("request"))


def validate_track_id(value: str) -> None:
    """A field validator: DRF ignores what validators return, only what they raise counts."""
    if not is_track_id(value):
        raise serializers.ValidationError(TRACK_ID_RULE)


@extend_schema_field({"type": "string", "pattern": TRACK_ID.pattern, "description": TRACK_ID_RULE})
class SpotifyIdField(serializers.CharField):
    """The `spotify_id` a track is known by, whatever its origin: Spotify's 22 characters,
    `local:…` (imports) or `upload:…` (uploaded files)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 64)
        super().__init__(validators=[validate_track_id], **kwargs)


class FavoriteTrackAddSerializer(serializers.Serializer):
    spotify_id = SpotifyIdField()


class FavoriteTrackResponseSerializer(serializers.ModelSerializer):
    track = TrackBaseSerializer()

    class Meta:
        model = FavoriteTrack
        fields = ["track", "added_at"]


class ListeningEventSerializer(serializers.ModelSerializer):
    track = TrackBaseSerializer()
    liked = serializers.BooleanField(read_only=True, help_text="The listener reacted with a like during that play.")

    class Meta:
        model = ListeningEvent
        # liked: the listener reacted with a like during that play (issue 14).
        fields = ["track", "room_id", "listened_at", "ms_played", "liked"]


def validate_audio_url(value: str) -> None:
    """An http(s) URL, or a path on this site ("/media/…"): nothing a player could run."""
    if value.startswith("/") and not value.startswith("//"):
        return
    URLValidator(schemes=["http", "https"], message="Give an http(s) URL or a path starting with /.")(value)


class TrackCreateSerializer(serializers.Serializer):
    """`TrackCreate`: the id, plus whatever is known. With `name` and `artists` the track is
    created as given; with less, Spotify fills in the rest."""

    spotify_id = SpotifyIdField(
        help_text="Spotify's id (22 letters and digits): only Spotify tracks are added this way; "
        "files are uploaded with POST /track/upload."
    )
    name = serializers.CharField(max_length=300, required=False)
    artists = serializers.ListField(
        child=serializers.CharField(max_length=300), required=False, allow_empty=False, max_length=50
    )
    album = serializers.CharField(max_length=300, required=False, allow_blank=True)
    duration_ms = serializers.IntegerField(min_value=0, max_value=24 * 60 * 60 * 1000, required=False)
    genres = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, allow_empty=True, max_length=20
    )
    image_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    audio_url = serializers.CharField(max_length=500, required=False, allow_blank=True, validators=[validate_audio_url])

    def validate_spotify_id(self, value: str) -> str:
        if not is_spotify_id(value):
            raise serializers.ValidationError(
                "Only Spotify tracks (22 letters and digits) are added here; upload a file with POST /track/upload."
            )
        return value


# --- uploads (music/uploads.py, views_uploads.py) ------------------------------------------


class ArtistNamesField(serializers.ListField):
    """Artists as a list (one form field per name), or one string with `|` between names."""

    def __init__(self, **kwargs):
        super().__init__(
            child=serializers.CharField(max_length=300), allow_empty=False, max_length=50, required=False, **kwargs
        )

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = [data]
        if isinstance(data, list) and len(data) == 1 and isinstance(data[0], str) and "|" in data[0]:
            data = [name for name in data[0].split("|")]
        names = [name for name in super().to_internal_value(data) if name.strip()]
        if not names:
            raise serializers.ValidationError("Name at least one artist.", code="blank")
        return names


class UploadCreateSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,  # an empty file is refused as `upload_invalid` with the other bad files
        help_text="The audio file: MP3, AAC (M4A), Ogg Vorbis or Opus, FLAC or WAV, recognised by its content.",
    )
    name = serializers.CharField(max_length=300, required=False, help_text="Overrides the file's title tag.")
    artists = ArtistNamesField(help_text="Overrides the file's artist tag: a list, or one string `A|B`.")
    album = serializers.CharField(
        max_length=300, required=False, allow_blank=True, help_text="Overrides the file's album tag."
    )


class UploadUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=300, required=False)
    artists = ArtistNamesField()
    album = serializers.CharField(max_length=300, required=False, allow_blank=True)


class UploadSerializer(serializers.ModelSerializer):
    """`Upload`: one of the caller's uploaded files. `id` is its track's id (`upload:…`)."""

    id = serializers.CharField(source="track.spotify_id", read_only=True, help_text="The track's id: upload:<32 hex>.")
    track = TrackBaseSerializer(read_only=True)
    format = serializers.ChoiceField(
        choices=["mp3", "mp4", "ogg", "flac", "wav"],
        read_only=True,
        help_text="What the content is: mp3, mp4 (AAC/M4A), ogg (Vorbis/Opus), flac, wav.",
    )

    class Meta:
        model = Upload
        fields = ["id", "track", "size_bytes", "format", "content_type", "created_at"]
        read_only_fields = fields


class UploadListSerializer(serializers.Serializer):
    used_bytes = serializers.IntegerField(help_text="What the caller's uploads take in all.")
    quota_bytes = serializers.IntegerField(help_text="The most the caller may store (UPLOAD_QUOTA_BYTES).")
    max_bytes = serializers.IntegerField(help_text="The most one file may have (UPLOAD_MAX_BYTES).")
    count = serializers.IntegerField(help_text="How many uploads the caller has.")
    results = UploadSerializer(many=True)

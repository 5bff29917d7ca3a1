from django.core.validators import URLValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.public_urls import absolute_url
from music.covers import track_cover_path
from music.models import FavoriteTrack, ListeningEvent, Track
from music.services import SPOTIFY_ID, is_spotify_id


class TrackBaseSerializer(serializers.ModelSerializer):
    """`TrackBase`. Expects a track from `selectors.track_queryset()` (prefetched)."""

    artists = serializers.SerializerMethodField()
    genres = serializers.SerializerMethodField()
    audio_url = serializers.SerializerMethodField()
    image_url = serializers.SerializerMethodField()

    class Meta:
        model = Track
        fields = ["spotify_id", "name", "artists", "album", "duration_ms", "genres", "image_url", "audio_url"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_artists(self, track) -> list[str]:
        return [credit.artist.name for credit in track.credits.all()]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_genres(self, track) -> list[str]:
        return sorted(genre.name for genre in track.genres.all())

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


def validate_spotify_id(value: str) -> None:
    """A field validator: DRF ignores what validators return, only what they raise counts."""
    if not is_spotify_id(value):
        raise serializers.ValidationError("A Spotify track id is 22 letters and digits.")


@extend_schema_field({"type": "string", "pattern": SPOTIFY_ID.pattern})
class SpotifyIdField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 22)
        kwargs.setdefault("min_length", 22)
        super().__init__(validators=[validate_spotify_id], **kwargs)


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

    spotify_id = SpotifyIdField()
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

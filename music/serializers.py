from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from music.models import FavoriteTrack, ListeningEvent, Track
from music.services import is_spotify_id


class TrackBaseSerializer(serializers.ModelSerializer):
    """`TrackBase`. Expects a track from `selectors.track_queryset()` (prefetched)."""

    artists = serializers.SerializerMethodField()
    genres = serializers.SerializerMethodField()
    audio_url = serializers.SerializerMethodField()

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
        if not track.audio_url:
            return None
        request = self.context.get("request")
        if request is not None and track.audio_url.startswith("/"):
            return request.build_absolute_uri(track.audio_url)
        return track.audio_url


def validate_spotify_id(value: str) -> str:
    if not is_spotify_id(value):
        raise serializers.ValidationError("A Spotify track id is 22 letters and digits.")
    return value


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

    class Meta:
        model = ListeningEvent
        fields = ["track", "room_id", "listened_at", "ms_played"]

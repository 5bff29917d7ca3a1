from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import ListeningRoomSerializer, UserBriefSerializer
from core.public_urls import absolute_url
from music.covers import album_cover_path
from music.serializers import TrackBaseSerializer
from rooms.serializers import RoomSerializer
from search import services


class SearchTrackSerializer(TrackBaseSerializer):
    """TrackBase for catalog tracks and for Spotify results the catalog lacks (dicts in
    music.spotify's shape: no genres yet, no audio_url, as they cannot play here)."""

    def to_representation(self, instance):
        if not isinstance(instance, dict):
            return super().to_representation(instance)
        request = self.context.get("request")
        artists = [artist["name"] for artist in instance["artists"]]
        # Like every TrackBase, never without an image: Spotify's, else the album's generated one.
        image = instance.get("image_url") or album_cover_path(
            album=instance.get("album", ""), artists=artists, genres=[], name=instance["name"]
        )
        return {
            "spotify_id": instance["spotify_id"],
            "name": instance["name"],
            "artists": artists,
            "album": instance.get("album", ""),
            "duration_ms": instance.get("duration_ms", 0),
            "genres": [],
            "image_url": absolute_url(image, request),
            "audio_url": None,
            # Spotify's catalog: Spotify's player (Premium listeners) plays it.
            "origin": "spotify",
            "sources": ["spotify"],
        }


class SearchResponseSerializer(serializers.Serializer):
    """Only the kinds asked for (`type`) are present."""

    tracks = SearchTrackSerializer(many=True, required=False)
    rooms = RoomSerializer(many=True, required=False)
    users = UserBriefSerializer(many=True, required=False)
    spotify = serializers.ChoiceField(
        choices=[services.SPOTIFY_OK, services.SPOTIFY_FAILED, services.SPOTIFY_OFF],
        help_text="Whether Spotify was asked for tracks and answered: `ok`; `failed` (timeout, error, "
        "rate limit: the tracks are the catalog's only); `off` (not configured on this server, or "
        "tracks not asked for).",
    )


class FriendListeningSerializer(serializers.Serializer):
    user = UserBriefSerializer()
    room = ListeningRoomSerializer()
    track = serializers.SerializerMethodField()

    @extend_schema_field(TrackBaseSerializer(allow_null=True))
    def get_track(self, row) -> dict | None:
        return row["track"]

from functools import cached_property

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from music.serializers import TrackBaseSerializer
from rooms.serializers import RoomSerializer


class _RecommendedRoomSerializer(RoomSerializer):
    """RoomSerializer, with one TrackBase serializer for every room's now_playing, and genres
    from the room index when the selector put them there (no prefetch query).

    RoomSerializer builds a new TrackBaseSerializer per room, and building a ModelSerializer's
    fields costs more than rendering a track; recommendations answer within a few milliseconds.
    """

    def get_genres(self, room) -> list[str]:
        genres = getattr(room, "index_genres", None)
        return genres if genres is not None else super().get_genres(room)

    @cached_property
    def _track(self) -> TrackBaseSerializer:
        return TrackBaseSerializer(context=self.context)

    @extend_schema_field(TrackBaseSerializer(allow_null=True))
    def get_now_playing(self, room):
        track = self.context.get("now_playing", {}).get(str(room.pk))
        return self._track.to_representation(track) if track is not None else None


class RoomRecommendationSerializer(serializers.Serializer):
    """A recommended room. Context: what RoomSerializer needs (see views.room_context)."""

    room = _RecommendedRoomSerializer(source="item")
    score = serializers.FloatField()
    reasons = serializers.ListField(child=serializers.CharField())


class TrackRecommendationSerializer(serializers.Serializer):
    """A recommended track (for the caller, or for a room's queue)."""

    track = TrackBaseSerializer(source="item")
    score = serializers.FloatField()
    reasons = serializers.ListField(child=serializers.CharField())

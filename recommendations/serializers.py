"""Recommended rooms and tracks as the API shows them.

The Room and TrackBase schemas belong to the rooms and music apps. Recommendations render them
from the selectors' cards (plain values read in two queries, see cards.TrackCard and
RoomCard) instead of model instances with prefetches and a nested serializer per object, which
cost more than the recommending itself; tests/test_rendering.py checks that a recommended room
or track reads exactly as the rooms and music endpoints show it.
"""

from rest_framework import serializers

from accounts.models import User
from accounts.serializers import avatar_url
from core.public_urls import absolute_url
from music.covers import album_cover_path, room_cover_path_of
from music.models import track_sources
from music.serializers import TrackBaseSerializer
from recommendations.cards import RoomCard, TrackCard
from rooms.serializers import RoomSerializer

# DRF's own rendering of a datetime (timezone, ISO 8601 with "Z"), as RoomSerializer does it.
_DATETIME = serializers.DateTimeField()


def track_data(track: TrackCard, request=None) -> dict:
    """A TrackBase, as music.serializers.TrackBaseSerializer renders it."""
    return {
        "spotify_id": track.spotify_id,
        "name": track.name,
        "artists": [name for _, name in track.artists],
        "album": track.album,
        "duration_ms": track.duration_ms,
        "genres": [name for _, name in track.genres],
        "image_url": absolute_url(track.image_url or _cover_path(track), request),
        "audio_url": absolute_url(track.audio_url, request),
        "origin": track.origin,
        "sources": track_sources(origin=track.origin, spotify_id=track.spotify_id, audio_url=track.audio_url),
    }


def _cover_path(track: TrackCard) -> str:
    return album_cover_path(
        album=track.album,
        artists=[name for _, name in track.artists],
        genres=[name for _, name in track.genres],
        name=track.name,
    )


def room_data(room: RoomCard, *, online: int | None, request=None) -> dict:
    """A Room, as rooms.serializers.RoomSerializer renders it for a caller with no role in it."""
    owner = room.owner
    playing = track_data(room.now_playing, request) if room.now_playing is not None else None
    return {
        "id": str(room.pk),
        "name": room.name,
        "description": room.description,
        "is_private": room.is_private,
        "genres": list(room.genres),
        "owner": {
            "id": str(owner.pk),
            "username": owner.username,
            "display_name": owner.display_name,
            "avatar_url": avatar_url(User(pk=owner.pk, avatar=owner.avatar), request) if owner.avatar else None,
        },
        "member_count": room.member_count,
        "online_count": online,
        "now_playing": playing,
        "image_url": playing["image_url"]
        if playing
        else absolute_url(room_cover_path_of(room.pk, room.genres), request),
        "queue_policy": room.queue_policy,
        "playback_policy": room.playback_policy,
        "autoplay": room.autoplay,
        "skip_share": room.skip_share,
        "queue_order": room.queue_order,
        "my_role": None,
        "created_at": _DATETIME.to_representation(room.created_at),
    }


class RoomRecommendationSerializer(serializers.Serializer):
    """A recommended room, with its score and the reasons it was picked."""

    # The fields describe the schema; to_representation renders a RoomCard through room_data.
    # Context: `request`, and `online` {room id: listeners, None while presence is unavailable}.

    room = RoomSerializer(source="item")
    score = serializers.FloatField()
    reasons = serializers.ListField(child=serializers.CharField())

    def to_representation(self, instance) -> dict:
        room = instance.item
        online = self.context.get("online", {}).get(str(room.pk), 0)
        return {
            "room": room_data(room, online=online, request=self.context.get("request")),
            "score": float(instance.score),
            "reasons": [str(reason) for reason in instance.reasons],
        }


class TrackRecommendationSerializer(serializers.Serializer):
    """A recommended track (for the caller, or for a room's queue), with its score and reasons."""

    # The fields describe the schema; to_representation renders a TrackCard through track_data.
    # Context: `request`.

    track = TrackBaseSerializer(source="item")
    score = serializers.FloatField()
    reasons = serializers.ListField(child=serializers.CharField())

    def to_representation(self, instance) -> dict:
        return {
            "track": track_data(instance.item, self.context.get("request")),
            "score": float(instance.score),
            "reasons": [str(reason) for reason in instance.reasons],
        }


class RoomSuggestionSerializer(TrackRecommendationSerializer):
    """A track for a room's queue: `reason` is the one the room would give if it played it by
    itself ("Because Alice and Bob like jazz"); `score` and `reasons` as for a track for you."""

    reason = serializers.CharField()

    def to_representation(self, instance) -> dict:  # a recommendations.room_picks.Suggestion
        return {**super().to_representation(instance.recommendation), "reason": instance.reason}

"""Recommendations for the caller and suggestions for a room's queue. Thin: parse, select, render."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.pagination import limit_param
from core.ratelimit import rate_limit
from recommendations import room_picks, selectors
from recommendations.serializers import (
    RoomRecommendationSerializer,
    RoomSuggestionSerializer,
    TrackRecommendationSerializer,
)
from rooms import presence
from rooms.services import recent_play_ids

LIMIT = [OpenApiParameter("limit", OpenApiTypes.INT, description="How many (default 10, at most 50).")]


def _limit(request) -> int:
    return limit_param(request, default=10, maximum=50)


class RoomRecommendationsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=LIMIT,
        responses=RoomRecommendationSerializer(many=True),
        summary="Rooms for me",
        description=(
            "Rooms you may see and are not banned from, ranked by how their music fits your taste, friends "
            "and people with taste like yours in them, and live listeners; rooms playing now come before idle "
            "ones of equal fit. Rooms you already belong to are left out. Each comes with a score and reasons."
        ),
    )
    @rate_limit("10/m")
    def get(self, request):
        recommendations = selectors.room_recommendations(user=request.user, limit=_limit(request))
        # Who is online in the rooms shown, read now (the ranking's counts may be seconds old).
        context = {"request": request, "online": presence.online_counts([r.item.pk for r in recommendations])}
        return Response(RoomRecommendationSerializer(recommendations, many=True, context=context).data)


class TrackRecommendationsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=LIMIT,
        responses=TrackRecommendationSerializer(many=True),
        summary="Tracks for me",
        description=(
            "Tracks people with your listening habits play, tracks like your favorites and genres, and popular "
            "ones last. Never your favorites or what you heard in the last day, unless nothing else is left."
        ),
    )
    @rate_limit("10/m")
    def get(self, request):
        recommendations = selectors.track_recommendations(user=request.user, limit=_limit(request))
        return Response(TrackRecommendationSerializer(recommendations, many=True, context={"request": request}).data)


class RoomSuggestionsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=LIMIT,
        responses=RoomSuggestionSerializer(many=True),
        summary="Tracks for a room's queue",
        description=(
            "Tracks that fit the people in the room (online, else its members) and its music, each with a "
            "`reason` in words; never one already queued or playing or among the room's last plays "
            "(ROOM_AUTOPLAY_RECENT_PLAYS, 20), and those played here in the last hours only when nothing else "
            "is left. Tracks most of the listeners present can hear come first (audio plays for everyone, a "
            "Spotify-only track for those whose `playback.spotify` is `ready`). When its queue runs out, an "
            "autoplay room plays the first of these that someone present can hear."
        ),
    )
    @rate_limit("10/m")
    def get(self, request, room_id):
        room_pk = selectors.suggestions_room(room_id=room_id, user=request.user)
        suggestions = room_picks.suggestions(room_id=room_pk, limit=_limit(request), drop=recent_play_ids(room_pk))
        return Response(RoomSuggestionSerializer(suggestions, many=True, context={"request": request}).data)

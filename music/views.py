"""Favorites and listening history. (The Track API lives in views_tracks.py.)"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import user_get
from core.pagination import before_param, limit_param, offset_param
from core.ratelimit import rate_limit
from core.schema import ERROR
from music import selectors, services
from music.serializers import (
    FavoriteTrackAddSerializer,
    FavoriteTrackResponseSerializer,
    ListeningEventSerializer,
)

PAGE = [
    OpenApiParameter("limit", OpenApiTypes.INT, description="Page size (default 50, at most 200)."),
    OpenApiParameter("offset", OpenApiTypes.INT, description="How many to skip."),
]
HISTORY_PAGE = [
    OpenApiParameter("limit", OpenApiTypes.INT, description="Page size (default 50, at most 200)."),
    OpenApiParameter(
        "before_timestamp",
        OpenApiTypes.DATETIME,
        description="Only listens before this moment (ISO 8601 or Unix seconds): pass the last listened_at seen.",
    ),
]


def _favorites_response(request, user):
    favorites = selectors.favorite_list(
        user=user, limit=limit_param(request, default=50, maximum=200), offset=offset_param(request)
    )
    return Response(FavoriteTrackResponseSerializer(favorites, many=True, context={"request": request}).data)


class MyFavoritesView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=PAGE, responses=FavoriteTrackResponseSerializer(many=True), summary="My favorite tracks")
    @rate_limit("15/m")
    def get(self, request):
        return _favorites_response(request, request.user)

    @extend_schema(
        request=FavoriteTrackAddSerializer,
        # 404: no track with that id; 503: TuneWave lacks it and cannot ask Spotify now.
        responses={201: FavoriteTrackResponseSerializer, 200: FavoriteTrackResponseSerializer, 404: ERROR, 503: ERROR},
        summary="Add a track to my favorites (adding it again changes nothing)",
    )
    @rate_limit("5/m")
    def post(self, request):
        body = FavoriteTrackAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        track = services.track_for_id(spotify_id=body.validated_data["spotify_id"], user=request.user)
        favorite, created = services.favorite_add(user=request.user, track=track)
        # Read back with what the response shows (artists, genres); the track we have if it just went.
        favorite.track = selectors.track_find(spotify_id=track.spotify_id) or track
        return Response(
            FavoriteTrackResponseSerializer(favorite, context={"request": request}).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class MyFavoriteDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None}, summary="Remove a track from my favorites")
    @rate_limit("5/m")
    def delete(self, request, spotify_id):
        if not services.favorite_remove(user=request.user, spotify_id=spotify_id):
            raise NotFound("That track is not among your favorites.")
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserFavoritesView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(parameters=PAGE, responses=FavoriteTrackResponseSerializer(many=True), summary="A user's favorites")
    @rate_limit("10/m")
    def get(self, request, user_id):
        return _favorites_response(request, user_get(user_id=user_id))


def _history_response(request, user):
    events = selectors.history_list(
        user=user, limit=limit_param(request, default=50, maximum=200), before=before_param(request)
    )
    return Response(ListeningEventSerializer(events, many=True, context={"request": request}).data)


class MyHistoryView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=HISTORY_PAGE, responses=ListeningEventSerializer(many=True), summary="My listening history"
    )
    @rate_limit("15/m")
    def get(self, request):
        return _history_response(request, request.user)


class UserHistoryView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=HISTORY_PAGE,
        responses=ListeningEventSerializer(many=True),
        summary="A user's listening history (403 if they keep it private)",
    )
    @rate_limit("10/m")
    def get(self, request, user_id):
        user = user_get(user_id=user_id)
        if not user.history_public and request.user.pk != user.pk:
            raise PermissionDenied("This user keeps their listening history private.")
        return _history_response(request, user)

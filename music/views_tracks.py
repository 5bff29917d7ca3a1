"""The Track API: `GET /track/{spotify_id}` and `POST /track/`.

The database answers first; Spotify only for tracks it lacks. Without Spotify credentials
an unknown track is a 404, and when Spotify cannot answer it is a 503 with a `detail`
saying so — never a 500.
"""

from collections.abc import Callable
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import Invalid, NotFound
from core.ratelimit import rate_limit
from music import selectors, services, spotify
from music.serializers import TrackBaseSerializer, TrackCreateSerializer

_DETAIL = inline_serializer("TrackErrorDetail", {"detail": serializers.CharField(), "code": serializers.CharField()})


def _from_spotify(call: Callable[..., Any], **kwargs: Any) -> Any:
    """Runs a service that may ask Spotify, turning Spotify's failures into a 503."""
    try:
        return call(**kwargs)
    except spotify.SpotifyUnavailable as exc:
        raise services.spotify_unavailable(exc) from exc


def _not_found(spotify_id: str) -> NotFound:
    if not services.is_spotify_id(spotify_id):
        return NotFound(f"No track with id {spotify_id}.")
    if spotify.is_configured():
        return NotFound(f"No track with Spotify id {spotify_id}: neither TuneWave nor Spotify knows it.")
    return NotFound(
        f"TuneWave has no track with Spotify id {spotify_id}, and Spotify is not configured on this "
        "server. POST /track/ with its name and artists to add it."
    )


class TrackDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "spotify_id",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description=services.TRACK_ID_RULE,
                pattern=services.TRACK_ID.pattern,
            )
        ],
        responses={200: TrackBaseSerializer, 400: _DETAIL, 404: _DETAIL, 429: _DETAIL, 503: _DETAIL},
        summary="A track by id (from TuneWave's catalogue, else from Spotify)",
        description="Someone else's upload is a 404 unless it was queued in a room the caller belongs to.",
    )
    @rate_limit("15/m")
    def get(self, request, spotify_id: str):
        if not services.is_track_id(spotify_id):
            raise Invalid(services.TRACK_ID_RULE, field="spotify_id")
        track = _from_spotify(services.track_get_or_fetch, spotify_id=spotify_id)
        if track is None or not selectors.track_is_visible(track=track, user=request.user):
            raise _not_found(spotify_id)
        return Response(TrackBaseSerializer(track, context={"request": request}).data)


class TrackCreateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=TrackCreateSerializer,
        responses={
            200: TrackBaseSerializer,
            201: TrackBaseSerializer,
            400: _DETAIL,
            401: _DETAIL,
            404: _DETAIL,
            413: _DETAIL,
            429: _DETAIL,
            503: _DETAIL,
        },
        summary="Add a track (given in full, or by id from Spotify)",
        description=(
            "With `name` and `artists` the track is created as given, without Spotify. With only "
            "`spotify_id` (or fewer fields) the rest comes from Spotify, the given fields taking "
            "precedence. An id TuneWave already has returns the stored track (200), never a "
            "duplicate; a new track answers 201. The API document calls the response `TrackCreate`; "
            "it is `TrackBase`, which carries every `TrackCreate` field."
        ),
    )
    @rate_limit("10/m")
    def post(self, request):
        body = TrackCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        track, created = _from_spotify(services.track_create, **body.validated_data)
        if track is None:
            raise _not_found(body.validated_data["spotify_id"])
        return Response(
            TrackBaseSerializer(track, context={"request": request}).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

"""Uploaded audio: `POST /track/upload`, `GET /track/uploads`, `PATCH`/`DELETE /track/uploads/{id}`.

The rules (formats by content, the size cap while streaming, the quota, where files go) live
in music/uploads.py; these views parse, call it, and render.
"""

from django.conf import settings
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import DataAndFiles, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import NotFound
from core.pagination import limit_param, offset_param
from core.ratelimit import rate_limit
from core.schema import ERROR
from music import selectors, uploads
from music.serializers import (
    TrackBaseSerializer,
    UploadCreateSerializer,
    UploadListSerializer,
    UploadSerializer,
    UploadUpdateSerializer,
)


class UploadParser(MultiPartParser):
    """multipart/form-data whose `file` part streams to disk through
    `uploads.UploadStreamHandler`, counted as it arrives (413 past the cap), instead of
    Django's default handlers (memory, then a temporary file, counted only at the end)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        request = parser_context["request"]
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        handlers = [uploads.UploadStreamHandler(request._request)]
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            data, files = DjangoMultiPartParser(meta, stream, handlers, encoding).parse()
        except MultiPartParserError as exc:
            raise ParseError(f"Multipart form parse error - {exc}") from exc
        return DataAndFiles(data, files)


def _track_id_param() -> OpenApiParameter:
    return OpenApiParameter(
        "track_id",
        OpenApiTypes.STR,
        OpenApiParameter.PATH,
        description="The upload's id: its track's id, upload:<32 hex>.",
        pattern=r"^upload:[0-9a-f]{32}$",
    )


def _own_upload(request, track_id: str):
    upload = selectors.upload_get_for_owner(owner=request.user, track_id=track_id)
    if upload is None:
        raise NotFound("You have no upload with that id.")
    return upload


class UploadCreateView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [UploadParser]

    @extend_schema(
        request={"multipart/form-data": UploadCreateSerializer},
        responses={201: TrackBaseSerializer, 409: ERROR, 413: ERROR},
        summary="Upload an audio file as a track",
        description=(
            "MP3, AAC (M4A), Ogg Vorbis or Opus, FLAC and WAV, recognised by content, not name. "
            "The file's tags name the track unless `name`, `artists` or `album` are given. "
            "Refusals: 400 `upload_invalid` (empty, corrupt, truncated, not audio, or also "
            "something else such as an image or archive), 400 `upload_unsupported` (audio of "
            "another format), 413 `upload_too_large` (over UPLOAD_MAX_BYTES, counted while the "
            "body arrives), 409 `upload_quota_exceeded` (over the caller's UPLOAD_QUOTA_BYTES). "
            "The file is served at its `audio_url`, an unguessable address."
        ),
    )
    @rate_limit("20/h")
    def post(self, request):
        body = UploadCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = uploads.upload_create(owner=request.user, **body.validated_data)
        track = selectors.track_find(spotify_id=upload.track.spotify_id)
        return Response(TrackBaseSerializer(track, context={"request": request}).data, status=status.HTTP_201_CREATED)


class UploadListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("limit", OpenApiTypes.INT, description="Page size (default 50, at most 200)."),
            OpenApiParameter("offset", OpenApiTypes.INT, description="How many to skip."),
        ],
        responses=UploadListSerializer,
        summary="My uploaded files, newest first, and my upload space",
    )
    @rate_limit("30/m")
    def get(self, request):
        results = selectors.upload_list(
            owner=request.user, limit=limit_param(request, default=50, maximum=200), offset=offset_param(request)
        )
        data = {
            "used_bytes": selectors.upload_used_bytes(owner=request.user),
            "quota_bytes": settings.UPLOAD_QUOTA_BYTES,
            "max_bytes": settings.UPLOAD_MAX_BYTES,
            "count": selectors.upload_count(owner=request.user),
            "results": results,
        }
        return Response(UploadListSerializer(data, context={"request": request}).data)


class UploadDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[_track_id_param()],
        request=UploadUpdateSerializer,
        responses=UploadSerializer,
        summary="Edit an upload's tags (name, artists, album)",
    )
    @rate_limit("30/m")
    def patch(self, request, track_id: str):
        upload = _own_upload(request, track_id)
        body = UploadUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        uploads.upload_update(upload=upload, **body.validated_data)
        return Response(UploadSerializer(_own_upload(request, track_id), context={"request": request}).data)

    @extend_schema(
        parameters=[_track_id_param()],
        request=None,
        responses={204: None},
        summary="Delete an upload (rooms playing it skip it)",
        description="The track leaves every queue; a room playing it moves on, saying the file was deleted.",
    )
    @rate_limit("30/m")
    def delete(self, request, track_id: str):
        uploads.upload_delete(upload=_own_upload(request, track_id))
        return Response(status=status.HTTP_204_NO_CONTENT)

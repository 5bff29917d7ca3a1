from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import user_get
from core.pagination import limit_param, offset_param
from core.ratelimit import rate_limit
from core.schema import ERROR
from music.selectors import track_find
from music.services import track_for_id
from rooms import presence, selectors, services
from rooms.models import Membership
from rooms.serializers import (
    BanCreateSerializer,
    BanSerializer,
    InviteSerializer,
    MemberSerializer,
    QueueAddSerializer,
    QueueItemSerializer,
    RoleSerializer,
    RoomSerializer,
    RoomUpdateSerializer,
    RoomWriteSerializer,
)

PAGE = [
    OpenApiParameter("limit", OpenApiTypes.INT, description="Page size (default 20, at most 100)."),
    OpenApiParameter("offset", OpenApiTypes.INT, description="How many to skip."),
]


def room_context(request, rooms) -> dict:
    """Per-response lookups for RoomSerializer: one presence round trip, one roles query."""
    ids = [room.pk for room in rooms]
    roles = {}
    if request.user.is_authenticated and ids:
        roles = {
            str(room_id): role
            for room_id, role in Membership.objects.filter(user=request.user, room_id__in=ids).values_list(
                "room_id", "role"
            )
        }
    return {
        "request": request,
        "online": presence.online_counts(ids),
        "roles": roles,
        "now_playing": selectors.now_playing_tracks(room_ids=ids),
    }


def room_response(request, room, status_code=status.HTTP_200_OK) -> Response:
    room = selectors.room_get_for_user(room_id=room.pk, user=request.user)
    return Response(RoomSerializer(room, context=room_context(request, [room])).data, status=status_code)


def rooms_response(request, rooms) -> Response:
    return Response(RoomSerializer(rooms, many=True, context=room_context(request, rooms)).data)


class RoomListView(APIView):
    def get_permissions(self):
        return [IsAuthenticated()] if self.request.method == "POST" else [AllowAny()]

    @extend_schema(
        parameters=[
            *PAGE,
            OpenApiParameter("genre", OpenApiTypes.STR, description="Only rooms with this genre."),
            OpenApiParameter("search", OpenApiTypes.STR, description="Words in the name or description."),
            OpenApiParameter("order", OpenApiTypes.STR, enum=["newest", "live"], description="Default newest."),
        ],
        responses=RoomSerializer(many=True),
        summary="Rooms you can see",
    )
    @rate_limit("10/m")
    def get(self, request):
        order = request.query_params.get("order", "newest")
        if order not in ("newest", "live"):
            raise ValidationError({"order": ["order must be 'newest' or 'live'."]})
        search = request.query_params.get("search", "")[:100].strip()
        rooms = selectors.room_list(
            user=request.user,
            genre=request.query_params.get("genre", "")[:50] or None,
            search=search or None,
            order=order,
            limit=limit_param(request, default=20, maximum=100),
            offset=offset_param(request),
        )
        return rooms_response(request, rooms)

    @extend_schema(request=RoomWriteSerializer, responses={201: RoomSerializer, 409: ERROR}, summary="Create a room")
    @rate_limit("5/m")
    def post(self, request):
        body = RoomWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        room = services.room_create(owner=request.user, **body.validated_data)
        return room_response(request, room, status.HTTP_201_CREATED)


class RoomDetailView(APIView):
    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(responses=RoomSerializer, summary="A room")
    @rate_limit("10/m")
    def get(self, request, room_id):
        room = selectors.room_get_for_user(room_id=room_id, user=request.user)
        # A read that finds the track over advances the room (docs/architecture.md: whoever notices first).
        services.playback_advance_if_over(room=room)
        return room_response(request, room)

    @extend_schema(
        request=RoomUpdateSerializer, responses={200: RoomSerializer, 409: ERROR}, summary="Update a room (owner)"
    )
    @rate_limit("10/m")
    def put(self, request, room_id):
        room = selectors.room_get_for_user(room_id=room_id, user=request.user)
        body = RoomUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        room = services.room_update(room=room, actor=request.user, data=dict(body.validated_data))
        return room_response(request, room)

    patch = put

    @extend_schema(responses={204: None}, summary="Delete a room (owner)")
    @rate_limit("10/m")
    def delete(self, request, room_id):
        room = selectors.room_get_for_user(room_id=room_id, user=request.user)
        services.room_delete(room=room, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoomJoinView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: RoomSerializer, 201: RoomSerializer}, summary="Join a room")
    @rate_limit("10/m")
    def post(self, request, room_id):
        room = selectors.room_get_for_user(room_id=room_id, user=request.user)
        _, created = services.room_join(room=room, user=request.user)
        return room_response(request, room, status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class RoomLeaveView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None, 409: ERROR}, summary="Leave a room")
    @rate_limit("10/m")
    def post(self, request, room_id):
        room = selectors.room_get_for_user(room_id=room_id, user=request.user)
        services.room_leave(room=room, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoomMembersView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("limit", OpenApiTypes.INT, description="Page size (default 50, at most 200)."),
            OpenApiParameter("offset", OpenApiTypes.INT),
        ],
        responses=MemberSerializer(many=True),
        summary="A room's members (owner first, then moderators)",
    )
    @rate_limit("10/m")
    def get(self, request, room_id):
        room = selectors.room_get_for_user(room_id=room_id, user=request.user)
        members = selectors.member_list(
            room=room, limit=limit_param(request, default=50, maximum=200), offset=offset_param(request)
        )
        context = {"request": request, "online_users": presence.online_user_ids(room.pk)}
        return Response(MemberSerializer(members, many=True, context=context).data)


class RoomByNameView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("name", OpenApiTypes.STR, required=True, pattern=r"\S")],
        responses={200: RoomSerializer, 404: ERROR},
        summary="Find a room by its name (case-insensitive)",
    )
    @rate_limit("10/m")
    def get(self, request):
        name = request.query_params.get("name", "").strip()
        if not name:
            raise ValidationError({"name": ["name is required."]})
        return room_response(request, selectors.room_by_name(name=name[:80], user=request.user))


class MyRoomsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=PAGE, responses=RoomSerializer(many=True), summary="Rooms I belong to")
    @rate_limit("10/m")
    def get(self, request):
        rooms = selectors.rooms_of_user(
            user=request.user, limit=limit_param(request, default=20, maximum=100), offset=offset_param(request)
        )
        return rooms_response(request, rooms)


class MemberRoleView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=RoleSerializer, responses=MemberSerializer, summary="Change a member's role")
    @rate_limit("5/m")
    def put(self, request, room_id, user_id):
        room = selectors.room_get_for_user(room_id=room_id, user=request.user)
        target = user_get(user_id=user_id)
        body = RoleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        membership = services.member_role_set(
            room=room, actor=request.user, target=target, role=body.validated_data["role"]
        )
        online = presence.online_user_ids(room.pk)
        return Response(MemberSerializer(membership, context={"request": request, "online_users": online}).data)


class InviteView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None, responses={201: InviteSerializer, 200: InviteSerializer, 409: ERROR}, summary="Invite a user"
    )
    @rate_limit("5/m")
    def post(self, request, room_id, user_id):
        room = selectors.room_get_for_user(room_id=room_id, user=request.user)
        target = user_get(user_id=user_id)
        invite, created = services.invite_create(room=room, actor=request.user, target=target)
        data = {
            "id": invite.pk,
            "room_id": room.pk,
            "user": invite.user,
            "invited_by": invite.invited_by,
            "created_at": invite.created_at,
            "expires_at": invite.expires_at,
        }
        return Response(
            InviteSerializer(data, context={"request": request}).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class BanView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=BanCreateSerializer, responses={201: BanSerializer, 409: ERROR}, summary="Ban a user (owner)"
    )
    @rate_limit("5/m")
    def post(self, request, room_id, user_id):
        room = selectors.room_get_for_user(room_id=room_id, user=request.user)
        target = user_get(user_id=user_id, active_only=False)
        body = BanCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ban = services.ban_create(room=room, actor=request.user, target=target, reason=body.validated_data["reason"])
        return Response(BanSerializer(ban, context={"request": request}).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None}, summary="Unban a user (owner)")
    @rate_limit("5/m")
    def delete(self, request, room_id, user_id):
        room = selectors.room_get_for_user(room_id=room_id, user=request.user)
        target = user_get(user_id=user_id, active_only=False)
        services.ban_delete(room=room, actor=request.user, target=target)
        return Response(status=status.HTTP_204_NO_CONTENT)


class QueueView(APIView):
    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(responses=QueueItemSerializer(many=True), summary="The room's upcoming tracks, in order")
    @rate_limit("10/m")
    def get(self, request, room_id):
        room = selectors.room_get_for_user(room_id=room_id, user=request.user)
        items = selectors.queue_list(room=room)
        return Response(QueueItemSerializer(items, many=True, context={"request": request}).data)

    @extend_schema(
        request=QueueAddSerializer,
        responses={201: QueueItemSerializer, 503: ERROR},  # 503: an unknown track and no Spotify
        summary="Add a track to the queue",
    )
    @rate_limit("10/m")
    def post(self, request, room_id):
        room = selectors.room_get_for_user(room_id=room_id, user=request.user)
        body = QueueAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        # Permission before the track lookup, so outsiders cannot make us call Spotify.
        services.queue_check_editor(room=room, user=request.user)
        track = track_for_id(spotify_id=body.validated_data["spotify_id"], user=request.user)
        item = services.queue_add(room=room, actor=request.user, track=track)
        # An idle room starts playing the item at once, so it may already be off the queue.
        item.track = track_find(spotify_id=track.spotify_id) or track
        return Response(QueueItemSerializer(item, context={"request": request}).data, status=status.HTTP_201_CREATED)


class QueueItemView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={204: None, 403: ERROR, 404: ERROR},
        summary="Remove a track from the queue",
        description="Members remove their own additions; the owner and moderators remove any item, "
        "TuneWave's autoplay picks included (another pick then takes its place).",
    )
    @rate_limit("10/m")
    def delete(self, request, room_id, association_id):
        room = selectors.room_get_for_user(room_id=room_id, user=request.user)
        services.queue_remove(room=room, actor=request.user, item_id=association_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyIssuedBansView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=PAGE, responses=BanSerializer(many=True), summary="Bans I issued")
    @rate_limit("15/m")
    def get(self, request):
        bans = selectors.bans_issued(
            user=request.user, limit=limit_param(request, default=50, maximum=200), offset=offset_param(request)
        )
        return Response(BanSerializer(bans, many=True, context={"request": request}).data)


class MyReceivedBansView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=PAGE, responses=BanSerializer(many=True), summary="Bans I received")
    @rate_limit("15/m")
    def get(self, request):
        bans = selectors.bans_received(
            user=request.user, limit=limit_param(request, default=50, maximum=200), offset=offset_param(request)
        )
        return Response(BanSerializer(bans, many=True, context={"request": request}).data)

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from chat import selectors, services
from chat.serializers import MessageCreateSerializer, MessageResponseSerializer
from core.pagination import before_param, limit_param
from core.ratelimit import rate_limit
from core.schema import ERROR
from rooms.selectors import room_get_for_user


class ChatView(APIView):
    def get_permissions(self):
        return [IsAuthenticated()] if self.request.method == "POST" else [AllowAny()]

    @extend_schema(
        parameters=[
            OpenApiParameter("limit", OpenApiTypes.INT, required=True, description="How many (at most 100)."),
            OpenApiParameter(
                "before_timestamp",
                OpenApiTypes.DATETIME,
                description="Only messages older than this; pass the oldest created_at you have.",
            ),
        ],
        responses=MessageResponseSerializer(many=True),
        summary="Chat history, newest first",
    )
    @rate_limit("10/m")
    def get(self, request, room_id):
        room = room_get_for_user(room_id=room_id, user=request.user)
        messages = selectors.message_page(
            room=room, limit=limit_param(request, default=50, maximum=100, required=True), before=before_param(request)
        )
        return Response(MessageResponseSerializer(messages, many=True, context={"request": request}).data)

    @extend_schema(
        request=MessageCreateSerializer,
        # 429: the chat limit is counted in services.message_send (shared with the socket).
        responses={201: MessageResponseSerializer, 200: MessageResponseSerializer, 429: ERROR},
        summary="Send a message (5 per 5 seconds, shared with the room socket)",
    )
    def post(self, request, room_id):
        room = room_get_for_user(room_id=room_id, user=request.user)
        body = MessageCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        message, created = services.message_send(
            room=room,
            user=request.user,
            text=body.validated_data["text"],
            client_msg_id=body.validated_data.get("client_msg_id"),
        )
        return Response(
            MessageResponseSerializer(message, context={"request": request}).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ChatMessageView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None}, summary="Delete a message (owner or moderators)")
    @rate_limit("30/m")
    def delete(self, request, room_id, message_id):
        room = room_get_for_user(room_id=room_id, user=request.user)
        services.message_delete(room=room, actor=request.user, message_id=message_id)
        return Response(status=status.HTTP_204_NO_CONTENT)

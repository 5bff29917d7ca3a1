from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import user_get
from core.pagination import limit_param, offset_param
from core.ratelimit import rate_limit
from core.schema import ERROR
from social import selectors, services
from social.serializers import FriendRequestSerializer, FriendshipSerializer, NotificationSerializer

PAGE = [
    OpenApiParameter("limit", OpenApiTypes.INT, description="Page size (default 50, at most 200)."),
    OpenApiParameter("offset", OpenApiTypes.INT, description="How many to skip."),
]


class AuthenticatedView(APIView):
    permission_classes = [IsAuthenticated]


def _friendship(request, friendship, code=status.HTTP_200_OK):
    return Response(FriendshipSerializer(friendship, context={"request": request}).data, status=code)


class SendRequestView(AuthenticatedView):
    @extend_schema(
        request=FriendRequestSerializer,
        responses={201: FriendshipSerializer, 404: ERROR, 409: ERROR},
        summary="Send a friend request",
    )
    @rate_limit("5/m")
    def post(self, request):
        body = FriendRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        target = user_get(user_id=body.validated_data["user_id"])
        friendship = services.friendship_request(from_user=request.user, to_user=target)
        return _friendship(request, friendship, status.HTTP_201_CREATED)


class AcceptView(AuthenticatedView):
    @extend_schema(
        request=None,
        responses={200: FriendshipSerializer, 409: ERROR},
        summary="Accept a friend request (its recipient)",
    )
    @rate_limit("5/m")
    def put(self, request, friendship_id):
        return _friendship(request, services.friendship_accept(friendship_id=friendship_id, user=request.user))


class DeclineView(AuthenticatedView):
    @extend_schema(
        request=None,
        responses={200: FriendshipSerializer, 409: ERROR},
        summary="Decline a friend request (its recipient)",
    )
    @rate_limit("5/m")
    def put(self, request, friendship_id):
        return _friendship(request, services.friendship_decline(friendship_id=friendship_id, user=request.user))


class FriendshipDetailView(AuthenticatedView):
    @extend_schema(request=None, responses={204: None}, summary="End a friendship or withdraw a request (either side)")
    @rate_limit("5/m")
    def delete(self, request, friendship_id):
        services.friendship_delete(friendship_id=friendship_id, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _listing(selector, summary):
    class View(AuthenticatedView):
        @extend_schema(parameters=PAGE, responses=FriendshipSerializer(many=True), summary=summary)
        @rate_limit("15/m", group=f"social.{selector.__name__}")
        def get(self, request):
            rows = selector(
                user=request.user, limit=limit_param(request, default=50, maximum=200), offset=offset_param(request)
            )
            return Response(FriendshipSerializer(rows, many=True, context={"request": request}).data)

    View.__name__ = View.__qualname__ = f"{selector.__name__.title().replace('_', '')}View"
    return View


MyFriendsView = _listing(selectors.friends_of, "My friends (accepted friendships)")
MySentRequestsView = _listing(selectors.requests_sent, "Friend requests I sent that await an answer")
MyReceivedRequestsView = _listing(selectors.requests_received, "Friend requests waiting for my answer")


class MyNotificationsView(AuthenticatedView):
    @extend_schema(
        parameters=[
            OpenApiParameter("limit", OpenApiTypes.INT, description="How many (default 10, at most 100)."),
            OpenApiParameter("offset", OpenApiTypes.INT, description="How many to skip (default 0)."),
            OpenApiParameter("unread", OpenApiTypes.BOOL, description="Only unread ones."),
        ],
        responses=NotificationSerializer(many=True),
        summary="My notifications, newest first (X-Unread-Count header: how many are unread)",
    )
    @rate_limit("10/m")
    def get(self, request):
        rows = selectors.notifications_of(
            user=request.user,
            limit=limit_param(request, default=10, maximum=100),
            offset=offset_param(request),
            unread_only=request.query_params.get("unread") in ("1", "true", "True"),
        )
        response = Response(NotificationSerializer(rows, many=True).data)
        response["X-Unread-Count"] = str(selectors.unread_count(user=request.user))
        return response


class MarkReadView(AuthenticatedView):
    @extend_schema(request=None, responses=NotificationSerializer, summary="Mark a notification as read")
    @rate_limit("5/m")
    def put(self, request, notification_id):
        notification = services.notification_mark_read(notification_id=notification_id, user=request.user)
        return Response(NotificationSerializer(notification).data)


class NotificationDetailView(AuthenticatedView):
    @extend_schema(request=None, responses={204: None}, summary="Delete a notification")
    @rate_limit("5/m")
    def delete(self, request, notification_id):
        services.notification_delete(notification_id=notification_id, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

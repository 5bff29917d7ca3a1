from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.serializers import UserBriefSerializer
from core.pagination import limit_param
from core.ratelimit import rate_limit
from rooms.serializers import RoomSerializer
from rooms.views import room_context
from search import people, services
from search.serializers import FriendListeningSerializer, SearchResponseSerializer, SearchTrackSerializer

SEARCH_RATE = "60/m"


def query_param(request) -> str:
    query = request.query_params.get("q")
    if query is None or not query.strip():
        raise ValidationError({"q": ["q is required: what to search for (1 to 100 characters)."]})
    query = query.strip()
    if len(query) > services.MAX_QUERY:
        raise ValidationError({"q": [f"q is at most {services.MAX_QUERY} characters."]})
    return query


def types_param(request) -> tuple[str, ...]:
    raw = request.query_params.get("type")
    if raw is None or not raw.strip():
        return services.TYPES
    asked = [name.strip() for name in raw.split(",") if name.strip()]
    unknown = sorted(set(asked) - set(services.TYPES))
    if unknown or not asked:
        raise ValidationError(
            {"type": [f"type is a comma-separated list of track, room, user (unknown: {', '.join(unknown)})."]}
        )
    return tuple(name for name in services.TYPES if name in asked)


class SearchView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "q", OpenApiTypes.STR, required=True, description="What to look for: 1 to 100 characters."
            ),
            OpenApiParameter(
                "type",
                OpenApiTypes.STR,
                description="Which kinds, comma-separated: `track`, `room`, `user` (default all three).",
            ),
            OpenApiParameter("limit", OpenApiTypes.INT, description="Results per kind (default 10, at most 50)."),
        ],
        responses=SearchResponseSerializer,
        summary="Search tracks, rooms and people",
        description="Tracks by name, artist and album (the catalog's, plus Spotify's when the server has "
        "Spotify credentials: those without `audio_url` cannot play in the browser; queueing or favouriting "
        "one stores it); open rooms you may see by name, description and genre; active people by username "
        "and display name (signed-in callers only: `users` is empty for anonymous ones). Each list is "
        "ranked by relevance, an exact name first; on PostgreSQL a word with a typo still matches. Only "
        "the kinds asked for are in the answer.",
    )
    @rate_limit(SEARCH_RATE)
    def get(self, request):
        query = query_param(request)
        types = types_param(request)
        limit = limit_param(request, default=services.DEFAULT_LIMIT, maximum=services.MAX_LIMIT)
        user = request.user if request.user.is_authenticated else None
        results = services.search(query=query, types=types, limit=limit, user=user)
        context = {"request": request}
        data: dict = {}
        if results.tracks is not None:
            data["tracks"] = SearchTrackSerializer(results.tracks, many=True, context=context).data
        if results.rooms is not None:
            rooms = results.rooms
            data["rooms"] = RoomSerializer(rooms, many=True, context=room_context(request, rooms)).data
        if results.users is not None:
            data["users"] = UserBriefSerializer(results.users, many=True, context=context).data
        data["spotify"] = results.spotify
        return Response(data)


class FriendsListeningView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=FriendListeningSerializer(many=True),
        summary="Friends listening now",
        description="Your friends who have a room open now, in a room you may see (a friend in a private "
        "room you do not belong to is left out), with the room and its track (null when nothing plays).",
    )
    @rate_limit("30/m")
    def get(self, request):
        rows = people.friends_listening(user=request.user, request=request)
        return Response(FriendListeningSerializer(rows, many=True, context={"request": request}).data)

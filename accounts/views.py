from urllib.parse import urlencode

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import oauth, selectors, services, spotify_player
from accounts.serializers import (
    AvatarUploadSerializer,
    DevLoginResponseSerializer,
    DevLoginSerializer,
    FrontendConfigSerializer,
    LinkStartSerializer,
    LinkTicketSerializer,
    PlayerTokenSerializer,
    RefreshBodySerializer,
    TokenPairSerializer,
    UserDetailSerializer,
    UserResponseSerializer,
    UserUpdateSerializer,
    WsTicketSerializer,
)
from core.ratelimit import rate_limit

_DETAIL = inline_serializer("Detail", {"detail": serializers.CharField(), "code": serializers.CharField()})

# The audio types POST /track/upload takes (music checks them by content; GET /auth/config lists them).
UPLOAD_CONTENT_TYPES = ("audio/mpeg", "audio/mp4", "audio/ogg", "audio/flac", "audio/wav")


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=UserDetailSerializer, summary="The current user's profile")
    @rate_limit("10/m")
    def get(self, request):
        return Response(UserDetailSerializer(request.user, context={"request": request}).data)


class UserDetailView(APIView):
    @extend_schema(
        responses={200: UserDetailSerializer, 404: _DETAIL},
        summary="A user's public profile, with what they are listening to now",
    )
    @rate_limit("20/m")
    def get(self, request, user_id):
        user = selectors.user_get(user_id=user_id)
        return Response(UserDetailSerializer(user, context={"request": request}).data)

    @extend_schema(
        request=UserUpdateSerializer,
        responses={200: UserResponseSerializer, 400: _DETAIL, 403: _DETAIL, 409: _DETAIL},
        summary="Update your own profile",
    )
    @rate_limit("10/m")
    def put(self, request, user_id):
        user = selectors.user_get(user_id=user_id)
        if user.pk != request.user.pk:
            raise PermissionDenied("You can only change your own profile.")
        body = UserUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = services.user_update(user=request.user, data=body.validated_data)
        return Response(UserResponseSerializer(user, context={"request": request}).data)

    patch = put

    def get_permissions(self):
        if self.request.method in ("PUT", "PATCH"):
            return [IsAuthenticated()]
        return [AllowAny()]


class SpotifyPlayerTokenView(APIView):
    """The Spotify access token the web app's Web Playback SDK player uses (accounts.spotify_player)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: PlayerTokenSerializer, 404: _DETAIL, 409: _DETAIL, 503: _DETAIL},
        summary="A short-lived Spotify access token for the browser player (Premium accounts)",
        description="For the signed-in user's linked Spotify account, refreshed by the server with the stored "
        "refresh token and reused until a minute before it expires. Errors (`code`): 404 `spotify_not_linked` "
        "(connect Spotify first); 409 `spotify_scope_missing` (the grant lacks `streaming`: connect again), "
        "`spotify_not_premium` (Spotify plays in the browser for Premium accounts only), `spotify_reconnect` "
        "(Spotify refused the stored grant, e.g. revoked: connect again); 503 `spotify_unavailable` (Spotify "
        "did not answer: retry later); 429 over 30 a minute. `GET /users/me` says which applies "
        "(`playback.spotify`) without asking Spotify.",
    )
    @rate_limit("30/m")
    def get(self, request):
        token = spotify_player.player_token(user=request.user)
        response = Response(PlayerTokenSerializer(token).data)
        response["Cache-Control"] = "no-store"
        return response


class AvatarView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": AvatarUploadSerializer},
        # 503: every decode slot of the process stayed busy for 20 s (one avatar at a time).
        responses={200: UserResponseSerializer, 400: _DETAIL, 413: _DETAIL, 503: _DETAIL},
        summary="Upload your avatar (JPEG, PNG or WebP, at most 5 MB)",
    )
    @rate_limit("5/m")
    def post(self, request):
        body = AvatarUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = services.user_avatar_set(user=request.user, upload=body.validated_data["avatar_file"])
        return Response(UserResponseSerializer(user, context={"request": request}).data)


class PublicView(APIView):
    """Takes no credentials (a stale Authorization header must not block these calls),
    but still answers bad tokens in the body with 401, not 403."""

    permission_classes = [AllowAny]
    authentication_classes = []

    def get_authenticate_header(self, request):
        return 'Bearer realm="api"'


class TokenRefreshView(PublicView):
    @extend_schema(request=RefreshBodySerializer, responses={200: TokenPairSerializer, 401: _DETAIL})
    @rate_limit("30/m")
    def post(self, request):
        body = RefreshBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(services.tokens_refresh(token=body.validated_data["refresh"]))


class LogoutView(PublicView):
    @extend_schema(request=RefreshBodySerializer, responses={204: None, 401: _DETAIL})
    @rate_limit("30/m")
    def post(self, request):
        body = RefreshBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.refresh_token_revoke(token=body.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class WsTicketView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={201: WsTicketSerializer, 503: _DETAIL},  # 503: the ticket store (cache) is down
        summary="A single-use WebSocket ticket (30 s)",
    )
    @rate_limit("30/m")
    def post(self, request):
        ticket = services.ws_ticket_issue(user=request.user, access_jti=request.auth.get("jti"))
        return Response({"ticket": ticket, "expires_in": settings.WS_TICKET_TTL}, status=status.HTTP_201_CREATED)


class LinkStartView(APIView):
    """Step 1 of linking Google or Spotify to the signed-in account (see accounts.oauth)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=LinkStartSerializer,
        responses={201: LinkTicketSerializer, 400: _DETAIL, 401: _DETAIL},
        summary="Start linking Google or Spotify to your account, in this browser",
        description="Answers a single-use ticket (2 minutes) and remembers in this browser's session "
        "(an HttpOnly cookie) who asked: send this same browser to `login_url`. After the provider, "
        "a TuneWave page naming both accounts asks before anything is linked; the browser then lands "
        "on the front end with `#linked=<provider>` or `#error=<code>`.",
    )
    @rate_limit("10/m")
    def post(self, request):
        body = LinkStartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        provider = body.validated_data["provider"]
        ticket = oauth.link_request_start(request, user=request.user, provider=provider)
        data = {
            "ticket": ticket,
            "expires_in": oauth.LINK_TICKET_TTL,
            "login_url": f"/auth/{provider}/login?{urlencode({'link': ticket})}",
        }
        return Response(data, status=status.HTTP_201_CREATED)


class DevLoginView(PublicView):
    @extend_schema(
        request=DevLoginSerializer,
        responses={200: DevLoginResponseSerializer, 403: _DETAIL, 404: _DETAIL},
        summary="Sign in as any e-mail (only when DEBUG or TUNEWAVE_DEV_LOGIN=1)",
    )
    @rate_limit("10/m")
    def post(self, request):
        if not settings.DEV_LOGIN_ENABLED:
            raise NotFound("Dev login is disabled on this server.")
        body = DevLoginSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user, created = services.user_get_or_create(email=body.validated_data["email"])
        if not user.is_active:
            raise PermissionDenied("This account is deactivated.")
        if created and body.validated_data.get("display_name"):
            user = services.user_update(user=user, data={"display_name": body.validated_data["display_name"]})
        request.user = user
        data = {
            **services.tokens_issue(user=user),
            "user": UserResponseSerializer(user, context={"request": request}).data,
            "created": created,
        }
        return Response(data)


class FrontendConfigView(PublicView):
    @extend_schema(responses=FrontendConfigSerializer, summary="What the SPA needs to sign people in")
    @rate_limit("15/m")
    def get(self, request):
        providers = oauth.configured_providers()
        scheme = "wss" if request.is_secure() else "ws"
        spotify = "spotify" in providers
        return Response(
            {
                "avatar": {"max_bytes": settings.AVATAR_MAX_BYTES, "content_types": services.AVATAR_CONTENT_TYPES},
                "uploads": {
                    "max_bytes": getattr(settings, "UPLOAD_MAX_BYTES", 50 * 1024 * 1024),
                    "quota_bytes": getattr(settings, "UPLOAD_QUOTA_BYTES", 500 * 1024 * 1024),
                    "content_types": list(UPLOAD_CONTENT_TYPES),
                },
                "spotify_player": {"sdk_url": settings.SPOTIFY_SDK_URL, "api_url": settings.SPOTIFY_API_URL}
                if spotify
                else None,
                "providers": providers,
                "login_urls": {name: request.build_absolute_uri(f"/auth/{name}/login") for name in providers},
                "dev_login": settings.DEV_LOGIN_ENABLED,
                "ws_url": f"{scheme}://{request.get_host()}/ws/",
                "frontend_url": settings.FRONTEND_URL,
            }
        )

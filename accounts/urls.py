from accounts import oauth, views
from core.routes import route

urlpatterns = [
    *route("auth/config", views.FrontendConfigView.as_view(), "auth-config"),
    *route("auth/token/refresh", views.TokenRefreshView.as_view(), "token-refresh"),
    *route("auth/logout", views.LogoutView.as_view(), "logout"),
    *route("auth/ws-ticket", views.WsTicketView.as_view(), "ws-ticket"),
    *route("auth/link", views.LinkStartView.as_view(), "link-start"),
    *route("auth/spotify/player-token", views.SpotifyPlayerTokenView.as_view(), "spotify-player-token"),
    *route("auth/dev/login", views.DevLoginView.as_view(), "dev-login"),
    *route("users/me", views.MeView.as_view(), "users-me"),
    *route("users/me/avatar", views.AvatarView.as_view(), "users-me-avatar"),
    *route("users/<str:user_id>", views.UserDetailView.as_view(), "user-detail"),
]
if hasattr(oauth, "login"):
    urlpatterns += [
        *route("auth/<str:provider>/login", oauth.login, "oauth-login"),
        *route("auth/<str:provider>/callback", oauth.callback, "oauth-callback"),
        *route("auth/link/confirm", oauth.link_confirm, "oauth-link-confirm"),
    ]

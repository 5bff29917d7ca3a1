from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.routes import route
from tunewave import health, metrics, views_spa
from tunewave import media as media_files

handler500 = "tunewave.middleware.json_server_error"
handler400 = "tunewave.middleware.json_bad_request"

urlpatterns = [
    path("", RedirectView.as_view(url="/app/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    *route("healthz", health.healthz, "healthz"),
    *route("readyz", health.readyz, "readyz"),
    *route("metrics", metrics.metrics_view, "metrics"),  # 404 unless METRICS_TOKEN is set and sent
    re_path(r"^app(?:/.*)?$", views_spa.spa, name="app"),
    *(path(name, views_spa.icon, {"name": name}) for name in views_spa.ICONS),
    path("", include("accounts.urls")),
    path("", include("music.urls")),
    path("", include("rooms.urls")),
    path("", include("chat.urls")),
    path("", include("recommendations.urls")),
    path("", include("social.urls")),
    path("", include("search.urls")),
]


def media(request, path):
    """Avatars, demo clips and uploaded audio, with Range support (tunewave/media.py). Behind
    nginx, /media/ never reaches Django (deploy/nginx.conf)."""
    return media_files.serve(request, path, document_root=settings.MEDIA_ROOT)


if settings.SERVE_MEDIA:
    urlpatterns.append(re_path(r"^media/(?P<path>.*)$", media))

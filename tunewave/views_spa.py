"""The SPA shell at /app/…: the index.html that `npm --prefix frontend run build` writes.

Vite emits static/app/index.html next to the hashed bundles it references
(`/static/app/assets/…`), so serving that file as it is keeps Django out of the build's
details. Without a build (a fresh checkout) templates/app.html says how to make one.
"""

from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

SHELL = "app/index.html"
BUILD_COMMAND = "npm --prefix frontend ci && npm --prefix frontend run build"
# `make run` builds the web app in the background and holds this file while it does.
BUILDING_MARKER = Path(settings.BASE_DIR) / "frontend" / ".building"


def _shell_path() -> Path | None:
    # STATICFILES_DIRS (static/app/ after a build), then STATIC_ROOT (after collectstatic).
    found = finders.find(SHELL)
    if found:
        return Path(found)
    collected = Path(settings.STATIC_ROOT) / SHELL
    return collected if collected.is_file() else None


@require_safe
def spa(request: HttpRequest) -> HttpResponse:
    path = _shell_path()
    if path is None:
        context = {"build_command": BUILD_COMMAND, "building": BUILDING_MARKER.exists()}
        response = render(request, "app.html", context)
    else:
        response = HttpResponse(path.read_bytes(), content_type="text/html; charset=utf-8")
    # The shell names the current bundle: always revalidate it (the bundles are immutable).
    response["Cache-Control"] = "no-cache"
    return response


# Browsers ask the site root for these whatever the page links: served from tunewave/static/
# (nginx serves the collected copies, deploy/nginx.conf).
ICONS = {"favicon.ico": "image/x-icon", "apple-touch-icon.png": "image/png"}


@require_safe
def icon(request: HttpRequest, name: str) -> HttpResponse:
    found = finders.find(name)
    if not isinstance(found, str):
        raise Http404("No such icon.")
    response = HttpResponse(Path(found).read_bytes(), content_type=ICONS[name])
    response["Cache-Control"] = "public, max-age=86400"
    return response

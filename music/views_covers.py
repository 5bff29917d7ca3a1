"""`GET /covers/v1/<kind>/<key>.svg`: generated cover art (music/covers.py).

A plain Django view, outside the OpenAPI schema like the icons: an image, not JSON. Public
(an <img> sends no token) and read from nothing but its URL, so it is cached for a year:
the URL changes whenever the picture would (a new key, or a new drawing version).
"""

import hashlib

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import get_conditional_response
from django.views.decorators.http import require_safe

from music.covers import COVER_VERSION, KEY, KINDS, render_cover

# An SVG opened on its own is a document: no scripts, no fetches, only its inline styles.
COVER_HEADERS = {
    "Cache-Control": "public, max-age=31536000, immutable",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}


@require_safe
def cover(request: HttpRequest, version: str, kind: str, key: str) -> HttpResponse:
    if version != COVER_VERSION or kind not in KINDS or not KEY.fullmatch(key):
        return JsonResponse({"detail": "No such cover.", "code": "not_found"}, status=404)
    body = render_cover(kind, key)
    etag = f'"{hashlib.sha256(body).hexdigest()[:20]}"'
    response = get_conditional_response(request, etag=etag) or HttpResponse(body, content_type="image/svg+xml")
    response["ETag"] = etag
    for name, value in COVER_HEADERS.items():
        response[name] = value
    return response

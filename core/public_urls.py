"""The one rule for URLs the API hands out (`avatar_url`, `audio_url`, `image_url`): absolute or
null, never "" and never a bare path, in REST answers and socket frames alike."""

from django.conf import settings


def absolute_url(url: str | None, request=None) -> str | None:
    """`url` made absolute: a path on this site ("/media/…", "/static/…") on the host `request`
    was made to, or on `settings.PUBLIC_URL` without one (socket frames are built once for a
    whole group, not per request). An absolute URL is returned as it is; "" and None are None."""
    if not url:
        return None
    if not url.startswith("/") or url.startswith("//"):
        return url  # already absolute (scheme-relative URLs are refused where clients give URLs)
    if request is not None:
        return request.build_absolute_uri(url)
    return f"{settings.PUBLIC_URL}{url}"

"""OAuth sign-in with Google and Spotify (social-auth-app-django).

Placeholder: the views and pipeline steps are filled in by the OAuth work.
"""

from django.conf import settings

PROVIDERS = {"google": "google-oauth2", "spotify": "spotify"}


def configured_providers() -> list[str]:
    configured = {
        "google": bool(settings.GOOGLE_CLIENT_ID and settings.GOOGLE_CLIENT_SECRET),
        "spotify": bool(settings.SPOTIFY_CLIENT_ID and settings.SPOTIFY_CLIENT_SECRET),
    }
    return [name for name in PROVIDERS if configured[name]]

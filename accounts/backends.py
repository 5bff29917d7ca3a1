"""social-core's Spotify backend, with Spotify's base URLs from the settings.

The stock backend hard-codes accounts.spotify.com and api.spotify.com; the browser tests point
SPOTIFY_ACCOUNTS_URL and SPOTIFY_API_URL at a local stub (frontend/e2e/spotify_stub.py). Only
documented hooks are overridden (`authorization_url`, `access_token_url`, `user_data`), and the
backend keeps its name, `spotify`, which `accounts.oauth.PROVIDERS` and the stored
UserSocialAuth rows use.
"""

from typing import Any

from django.conf import settings
from social_core.backends.spotify import SpotifyOAuth2 as StockSpotifyOAuth2


class SpotifyOAuth2(StockSpotifyOAuth2):
    def authorization_url(self) -> str:
        return f"{settings.SPOTIFY_ACCOUNTS_URL}/authorize"

    def access_token_url(self) -> str:
        return f"{settings.SPOTIFY_ACCOUNTS_URL}/api/token"

    def user_data(self, access_token: str, *args, **kwargs) -> dict[str, Any] | None:
        """The Spotify profile (`id`, `email`, `display_name`, `product`, …) of the account."""
        return self.get_json(
            f"{settings.SPOTIFY_API_URL}/v1/me",
            headers={"Authorization": f"Bearer {access_token}"},
        )

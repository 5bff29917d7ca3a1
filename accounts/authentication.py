"""REST authentication: simplejwt's Bearer access tokens, minus those a logout revoked."""

from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings

from accounts import selectors


class JWTAuthentication(authentication.JWTAuthentication):
    """An access token on the deny-list (its sign-in was logged out or revoked) is a 401
    `token_not_valid`, like an expired one, so clients refresh or sign in again."""

    def get_validated_token(self, raw_token):
        token = super().get_validated_token(raw_token)
        if selectors.access_token_denied(jti=token.get(api_settings.JTI_CLAIM)):
            raise InvalidToken("This token was revoked by a sign-out.")
        return token

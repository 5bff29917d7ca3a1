import io
import time

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from social_django.models import UserSocialAuth

from accounts.models import User
from accounts.services import user_avatar_set


# Generic in the model, so `UserFactory.create()` is typed as a User (plain `UserFactory()`
# still reads as a factory to a type checker: factory_boy's metaclass call is unannotated).
class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"listener{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    display_name = factory.LazyAttribute(lambda u: u.username.title())
    favorite_genres = factory.LazyFunction(list)


def with_uploaded_avatar(user: User) -> User:
    """`user` after uploading a small PNG avatar through the avatar service (stored as WebP
    under MEDIA_ROOT, which the root conftest points at a temporary directory)."""
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 40, 90)).save(out, format="PNG")
    return user_avatar_set(user=user, upload=SimpleUploadedFile("me.png", out.getvalue(), "image/png"))


def link_spotify(user: User, *, product: str | None = "premium", scope: str = "streaming user-read-private", **extra):
    """Links a Spotify account to `user` as the sign-in pipeline stores it (social_django's
    UserSocialAuth, provider `spotify`): tokens, scope, `product` and `auth_time` (now)."""
    data = {
        "auth_time": int(time.time()),
        "access_token": f"link-access-{user.username}",
        "refresh_token": f"link-refresh-{user.username}",
        "token_type": "Bearer",
        "expires_in": 3600,
        "scope": scope,
        "product": product,
        **extra,
    }
    return UserSocialAuth.objects.create(user=user, provider="spotify", uid=f"sp-{user.username}", extra_data=data)

import uuid

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower


class TuneWaveUserManager(UserManager):
    def get_by_natural_key(self, username):
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})


class User(AbstractUser):
    """A listener. E-mail and username are unique regardless of case."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField("e-mail address", unique=True)
    display_name = models.CharField(max_length=64, blank=True)
    bio = models.TextField(max_length=500, blank=True)
    avatar = models.ImageField(upload_to="avatars/", blank=True)
    # Lower-case genre names chosen in the profile; the cold start for recommendations.
    favorite_genres = models.JSONField(default=list, blank=True)
    # True once a provider vouched for the e-mail (Google's email_verified); see accounts.oauth.
    email_verified = models.BooleanField(default=False)
    # Whether TuneWave may e-mail this user (room invites, friend requests).
    email_notifications = models.BooleanField(default=True)
    # Whether other people may read this user's listening history.
    history_public = models.BooleanField(default=True)

    objects = TuneWaveUserManager()

    class Meta:
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def created_at(self):
        return self.date_joined

    @property
    def name(self) -> str:
        return self.display_name or self.username

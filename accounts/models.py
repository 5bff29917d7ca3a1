import uuid
from typing import Any, ClassVar, Self

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

from accounts.names import display_name_clean, username_skeleton

USERNAME_TAKEN = "That username is taken, or looks too much like one that is."


class TuneWaveUserManager(UserManager["User"]):
    def get_by_natural_key(self, username):
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})

    def username_taken(self, username: str, *, exclude_pk=None) -> bool:
        """Whether someone else holds this username, in any case or in a look-alike."""
        same = models.Q(username__iexact=username) | models.Q(username_skeleton=username_skeleton(username))
        return self.filter(same).exclude(pk=exclude_pk).exists()


class User(AbstractUser):
    """A listener. E-mail and username are unique regardless of case, and usernames are
    unique by look as well (`accounts.names`): `username_skeleton` follows the username."""

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
    # accounts.names.username_skeleton(username), set on save. Null only for an account that
    # already shared its look with an older one when the rule came in (migration 0003).
    username_skeleton = models.TextField(null=True, editable=False)

    objects: ClassVar[TuneWaveUserManager] = TuneWaveUserManager()
    # The username as loaded or last saved (None for a new user); see _username_changed.
    _saved_username: str | None

    class Meta:
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
            models.UniqueConstraint(fields=["username_skeleton"], name="accounts_user_username_skeleton_unique"),
        ]

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any, **kwargs: Any) -> Self:
        user = super().from_db(db, field_names, values, **kwargs)
        user._saved_username = user.__dict__.get("username")
        return user

    def _username_changed(self) -> bool:
        return self._state.adding or self.username != getattr(self, "_saved_username", None)

    def clean(self):
        super().clean()  # NFKC-normalises the username
        self.display_name = display_name_clean(self.display_name)
        if self.username and self._username_changed():
            if User.objects.filter(username_skeleton=username_skeleton(self.username)).exclude(pk=self.pk).exists():
                raise ValidationError({"username": USERNAME_TAKEN}, code="unique")

    def save(self, *args, **kwargs):
        # Every save keeps the skeleton in step, so the unique constraint holds on every path
        # (admin, services, factories); bulk_create callers set it themselves.
        self.display_name = display_name_clean(self.display_name)[:64]
        update_fields = kwargs.get("update_fields")
        if self._username_changed():
            self.username_skeleton = username_skeleton(self.username)
            if update_fields is not None and "username" in update_fields:
                kwargs["update_fields"] = {*update_fields, "username_skeleton"}
        super().save(*args, **kwargs)
        self._saved_username = self.username

    def __str__(self) -> str:
        return self.username

    @property
    def created_at(self):
        return self.date_joined

    @property
    def name(self) -> str:
        return self.display_name or self.username

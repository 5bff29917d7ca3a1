"""What accounts asks of the apps above it (docs/architecture.md, "Registering implementations
across layers").

`listening_now`: what a user is listening to now, for their profile (GET /users/{id}). Only
rooms and presence know that, and rooms sits above accounts, so the search app registers the
answer at start-up (search/apps.py). Without a registration nobody is listening to anything.
"""

from typing import Protocol

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from accounts.models import User


class ListeningNow(Protocol):
    def __call__(self, *, user: User, viewer: User | AnonymousUser, request: HttpRequest | None) -> dict | None:
        """{"room": {"id", "name", "image_url"}, "track": TrackBase | None} for `user` as
        `viewer` may see it, or None (not listening, not shown to this viewer)."""
        ...


def _nobody_listening(*, user: User, viewer: User | AnonymousUser, request: HttpRequest | None) -> dict | None:
    return None


_listening_now: ListeningNow = _nobody_listening


def register_listening_now(implementation: ListeningNow) -> None:
    global _listening_now
    _listening_now = implementation


def listening_now(*, user: User, viewer: User | AnonymousUser, request: HttpRequest | None = None) -> dict | None:
    return _listening_now(user=user, viewer=viewer, request=request)

import uuid

from django.contrib.auth import get_user_model
from django.http import Http404

User = get_user_model()


def user_get(*, user_id: str | uuid.UUID, active_only: bool = True) -> User:
    """The user with that id, or 404 (malformed ids and deactivated accounts included)."""
    try:
        pk = uuid.UUID(str(user_id))
    except ValueError as exc:
        raise Http404("No such user.") from exc
    users = User.objects.filter(pk=pk)
    if active_only:
        users = users.filter(is_active=True)
    user = users.first()
    if user is None:
        raise Http404("No such user.")
    return user

"""Per-user group: every socket a user has open joins it (rooms, notifications)."""

from typing import Any


def user_group(user_id) -> str:
    return f"user.{user_id}"


def account_deactivated(*, user_id) -> dict[str, Any]:
    """Closes every socket of a deactivated account at once."""
    return {"type": "account.deactivated", "user_id": str(user_id)}

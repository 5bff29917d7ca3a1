"""Telling people about things. Other apps call `notify`; this app decides how."""

from typing import Any

from accounts.models import User


def notify(*, user: User, kind: str, text: str, data: dict[str, Any] | None = None) -> None:
    """The single seam through which every app tells a person about a change.

    Called inside the caller's transaction. Notification rows, the live push and e-mail
    are the social issue's work; until then nothing is stored or sent.
    """
    return None

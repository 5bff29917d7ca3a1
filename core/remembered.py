"""Facts a process remembers for a while, by key: what a crowd would otherwise read once each.

A room filling up, or every listener of a restarted process coming back at once, asks for the
same rows over and over (bench/README.md, "Crowded rooms"): the listeners' briefs and Spotify
readiness (rooms/presence.py), the chat messages a reconnect catches up on (chat/selectors.py).
"""

import threading
import time
from collections.abc import Hashable, Iterable
from typing import Generic, TypeVar

from django.conf import settings

Key = TypeVar("Key", bound=Hashable)
Fact = TypeVar("Fact")


class Remembered(Generic[Key, Fact]):
    """Facts remembered in this process for a time: the setting named `setting` (seconds), or
    `default`. At most `limit` of them; past that it starts over rather than grow."""

    def __init__(self, setting: str, default: float, *, limit: int = 100_000) -> None:
        self.setting, self.default, self.limit = setting, default, limit
        self._lock = threading.Lock()
        self._known: dict[Key, tuple[Fact, float]] = {}

    def recall(self, keys: Iterable[Key]) -> tuple[dict[Key, Fact], list[Key]]:
        """({key: fact} for the keys remembered, [the keys not])."""
        now = time.monotonic()
        found: dict[Key, Fact] = {}
        unknown: list[Key] = []
        with self._lock:
            for key in keys:
                hit = self._known.get(key)
                if hit is None or hit[1] <= now:
                    unknown.append(key)
                else:
                    found[key] = hit[0]
        return found, unknown

    def learn(self, facts: dict[Key, Fact]) -> None:
        until = time.monotonic() + float(getattr(settings, self.setting, self.default))
        with self._lock:
            if len(self._known) > self.limit:
                self._known.clear()
            self._known.update((key, (fact, until)) for key, fact in facts.items())

    def forget(self, key: Key | None = None) -> None:
        """Forgets one fact, or (no key) all of them."""
        with self._lock:
            if key is None:
                self._known.clear()
            else:
                self._known.pop(key, None)

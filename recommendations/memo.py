"""One value kept per process: built once per version, reused for a while, forgotten on demand.

Requests reuse what is costly to rebuild and changes slowly (presence counts, the current
build's catalog and lists, the decoded room index). Each such copy is a `Memo`: it holds one
value with the version it was built for (a build id, an index version) and the time it was
built. `get` returns the held value while the version asked for is the held one and it is
younger than `seconds`; otherwise it builds a new one. Concurrent callers that find it stale
wait for a single build instead of each running their own. `clear()` forgets the value (tests,
and the job that just changed the model).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")

_UNSET = object()


class Memo(Generic[T]):
    def __init__(
        self, seconds: float | Callable[[], float] | None = None, *, clock: Callable[[], float] = time.monotonic
    ):
        """`seconds`: how long a value is reused (a number, or read by a callable on each use, so a
        setting changed in a test applies at once); None reuses it until the version changes."""
        self._seconds = seconds
        self._clock = clock
        self._lock = threading.Lock()  # guards the fields below
        self._build_lock = threading.Lock()  # held by the one caller building
        self._value: T | None = None
        self._version: Hashable = _UNSET
        self._at = 0.0
        self._generation = 0  # moves on clear(), so a build begun before it is not kept

    def _fresh(self, version: Hashable) -> bool:
        if self._version is _UNSET or self._version != version:
            return False
        seconds = self._seconds() if callable(self._seconds) else self._seconds
        return seconds is None or self._clock() - self._at < seconds

    def get(self, build: Callable[[], T], version: Hashable = None) -> T:
        """The value for `version`: the held one while fresh, else `build()`'s (built once)."""
        with self._lock:
            if self._fresh(version):
                return self._value  # type: ignore[return-value]
        with self._build_lock:
            with self._lock:  # another caller may have built it while this one waited
                if self._fresh(version):
                    return self._value  # type: ignore[return-value]
                generation = self._generation
            value = build()
            with self._lock:
                if generation == self._generation:
                    self._value, self._version, self._at = value, version, self._clock()
        return value

    def peek(self) -> T | None:
        """The held value, fresh or not (None when there is none): to reuse parts of it in a build."""
        with self._lock:
            return self._value

    def put(self, value: T, version: Hashable = None) -> None:
        """Holds `value` as built now for `version` (a writer that just made it)."""
        with self._lock:
            self._value, self._version, self._at = value, version, self._clock()
            self._generation += 1

    def clear(self) -> None:
        with self._lock:
            self._value, self._version, self._at = None, _UNSET, 0.0
            self._generation += 1

"""What a joining socket is told about its room's playback, remembered per process.

A crowd joining one room would each read the same rows: the playback state, the play's vote
and reaction counts and the room's skip share (bench/README.md, "Crowded rooms"). A join that
finds nothing usable here reads them on the database thread (rooms.services.join_view) and leaves them
here; the joins after it in this process reuse that read while it is current:

- Every broadcast to the room's group that changes what a view holds (`VIEW_EVENTS`) first
  bumps the room's view counter: in Redis, shared by every process (a process-local one in
  the embedded mode), from core.realtime's send hook, so after the change committed.
- A join reads the counter in the Redis round trip that marks it present (presence.arrive),
  after it joined the room's group. A view is used only under the counter it was read with:
  a change the counter does not show yet is still to be broadcast, and reaches the socket.
- A view lasts VIEW_SECONDS at most (a change nobody broadcast, such as an admin's edit), and
  not past the end of the playing track (the database path moves the room on).
- A view showing the room paused, or idle with autoplay on, is used only if the arrival rules
  run just before it was read found nothing to do (a moderator's pause, an autoplay that found
  nothing to play and waits ROOM_AUTOPLAY_RETRY_SECONDS): otherwise a join there may have to
  resume the room or start its autoplay, which the database path does under the room's lock
  (rooms.services.playback_resume_on_join). No view is used within END_MARGIN_MS of the
  track's end.
- The last leave's pause cannot slip past a join that used a view: a leave pauses only after
  counting nobody under the room's lock, and once the pause committed and its broadcast moved
  the counter it counts again and resumes the room for anyone who arrived meanwhile
  (rooms.services.playback_pause_on_leave); a join after that reads the moved counter, so no
  view from before the pause. A pause at a track's end counts within END_TOLERANCE_MS of the
  end, when no view is used.
"""

import threading
import time
from dataclasses import dataclass

from django.conf import settings
from redis.exceptions import RedisError

from rooms import events
from rooms.models import PlaybackState

# The broadcasts that change a view: the state, the play's counts, the room (its skip share).
VIEW_EVENTS = frozenset({"playback.state", "playback.votes", "reaction.counts", "room.updated", "room.deleted"})
VIEW_SECONDS = 5.0
# No view this close to the end of the playing track: the end's pause or advance may be under
# way (rooms.services.END_TOLERANCE_MS, 1.5 s, with room to spare).
END_MARGIN_MS = 5000
_COUNTER_TTL = 24 * 3600
_ROOM_GROUP_PREFIX = events.room_group("")


def counter_key(room_id) -> str:
    return f"tw:roomview:{room_id}"


@dataclass(frozen=True)
class RoomView:
    """One read of the room's playback as a join tells it."""

    counter: int
    state: dict  # the `playback.state` frame
    tally: tuple[int, dict[str, int]] | None  # the play's (skip votes, reactions by kind); None when idle
    skip_share: float
    settled: bool  # the arrival rules, run just before this read, found nothing to do
    read_at: float  # time.monotonic()

    def frames(self, *, online: int | None) -> list[dict]:
        """`playback.state`, then the play's counts (rooms.services.play_counts)."""
        from rooms.services import play_count_frames  # noqa: PLC0415 - services imports this module

        count_frames = play_count_frames(
            room_id=self.state["room_id"],
            version=self.state["version"],
            tally=self.tally,
            skip_share=self.skip_share,
            online=online,
        )
        return [self.state, *count_frames]


class _Views:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._views: dict[str, RoomView] = {}
        self._local_counters: dict[str, int] = {}  # the embedded mode's counters

    def recall(self, room, counter: int | None) -> RoomView | None:
        """The view to join `room` with, or None: read the room on the database path."""
        if counter is None:
            return None
        with self._lock:
            view = self._views.get(str(room.pk))
        if view is None or view.counter != counter or time.monotonic() - view.read_at > VIEW_SECONDS:
            return None
        state = view.state
        status = state["status"]
        waiting = status == PlaybackState.Status.PAUSED or (status == PlaybackState.Status.IDLE and room.autoplay)
        if waiting and not view.settled:
            return None  # the database path resumes the room, or starts its autoplay
        if status == PlaybackState.Status.PLAYING and state["track"] is not None:
            elapsed = time.time() * 1000 - state["server_time"]
            if state["track"]["duration_ms"] - state["position_ms"] - elapsed <= END_MARGIN_MS:
                return None  # the track is (nearly) over: the database path moves the room on
        return view

    def remember(self, room_id, view: RoomView) -> None:
        with self._lock:
            if len(self._views) > 10_000:  # rooms long quiet: start over rather than grow
                self._views.clear()
            self._views[str(room_id)] = view

    def bump_local(self, room_id) -> None:
        with self._lock:
            key = str(room_id)
            self._local_counters[key] = self._local_counters.get(key, 0) + 1

    def local_counter(self, room_id) -> int:
        with self._lock:
            return self._local_counters.get(str(room_id), 0)

    def clear(self) -> None:
        with self._lock:
            self._views.clear()
            self._local_counters.clear()


views = _Views()


def view_read(*, counter: int, state: dict, tally, skip_share: float, settled: bool) -> RoomView:
    return RoomView(
        counter=counter, state=state, tally=tally, skip_share=skip_share, settled=settled, read_at=time.monotonic()
    )


def bump(room_id) -> None:
    """The room's view changed (call after the change committed, before it is broadcast)."""
    from rooms import presence  # noqa: PLC0415 - presence reads the counter; this writes it

    if not settings.REDIS_URL:
        views.bump_local(room_id)
        return
    try:
        pipe = presence.redis_client().pipeline()
        pipe.incr(counter_key(room_id))
        pipe.expire(counter_key(room_id), _COUNTER_TTL)
        pipe.execute()
    except RedisError:
        # Joins cannot read the counter either while Redis is down (presence unknown: no view
        # is used). Once it answers, views read before this change are still under the old
        # counter: forget this process's; the other processes' expire within VIEW_SECONDS.
        views.clear()


def on_group_send(group: str, event: dict) -> None:
    """core.realtime's send hook: a broadcast that changes a room's view bumps its counter."""
    if group.startswith(_ROOM_GROUP_PREFIX) and event.get("type") in VIEW_EVENTS:
        bump(group[len(_ROOM_GROUP_PREFIX) :])


def reset_local() -> None:
    """Tests only."""
    views.clear()

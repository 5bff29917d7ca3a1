"""Who is online in each room, shared by every server process.

Each open socket is a (room, user, connection) entry with an expiry; sockets refresh
theirs with a heartbeat, so a crashed process leaves entries that simply expire. In
services mode the entries live in a Redis sorted set per room (score = expiry); in the
embedded default a process-local dict plays that role (one process, nothing to share).

Only Redis knows who is online. While it is down or hung, presence is unknown rather than an
error: counts read as None (the API's `online_count` is null), nobody reads as online, and
writes are skipped (a socket's heartbeat writes its entry again within PRESENCE_TTL). The
client is the cache's (core/redis_guard.py), so such a read gives up within a second,
and at once while the process knows Redis is down.
"""

import asyncio
import logging
import threading
import time
import uuid
import weakref
from collections.abc import Iterable
from dataclasses import dataclass

from channels.db import database_sync_to_async
from django.conf import settings
from django.db.models.signals import post_save
from django_redis import get_redis_connection
from redis.exceptions import RedisError

from accounts import spotify_player
from accounts.models import User
from accounts.serializers import user_brief
from core import cache_batch
from core.remembered import Remembered
from rooms import room_view
from rooms.events import room_group

logger = logging.getLogger(__name__)

# A socket that has not refreshed its entry for this long counts as gone.
PRESENCE_TTL = 60


# Every room with a socket entry that may still be live (score = its latest expiry).
_ROOMS_KEY = "tw:presence:rooms"


def _key(room_id) -> str:
    return f"tw:presence:{room_id}"


def _member(user_id, connection: str) -> str:
    return f"{user_id}|{connection}"


class _LocalPresence:
    def __init__(self):
        self._lock = threading.Lock()
        self._rooms: dict[str, dict[str, float]] = {}

    def add(self, room_id, member: str, expires: float) -> None:
        with self._lock:
            self._rooms.setdefault(str(room_id), {})[member] = expires

    def remove(self, room_id, member: str) -> None:
        with self._lock:
            self._rooms.get(str(room_id), {}).pop(member, None)

    def members(self, room_ids: Iterable, now: float) -> dict[str, list[str]]:
        """Each room's entries that have not expired; drops the others."""
        with self._lock:
            found = {}
            for room_id in room_ids:
                entries = self._rooms.get(str(room_id), {})
                for member in [m for m, exp in entries.items() if exp <= now]:
                    del entries[member]
                found[str(room_id)] = list(entries)
            return found

    def rooms(self) -> list[str]:
        with self._lock:
            return [room_id for room_id, entries in self._rooms.items() if entries]

    def clear(self) -> None:
        with self._lock:
            self._rooms.clear()


_local = _LocalPresence()


class PresenceUnavailable(Exception):
    """Redis, which holds presence in services mode, did not answer."""


def redis_client(*, on_loop: bool = False):
    """The cache's Redis client (core/redis_guard.py), which holds presence in services mode;
    `on_loop`: for a call made on an event loop (core.cache_batch.loop_redis)."""
    return cache_batch.loop_redis() if on_loop else get_redis_connection("default")


def _use_redis() -> bool:
    return bool(settings.REDIS_URL)


def connection_id() -> str:
    return uuid.uuid4().hex


def touch(*, room_id, user_id, connection: str, on_loop: bool = False) -> None:
    """Marks one socket present (call on connect and on every heartbeat)."""
    expires = time.time() + PRESENCE_TTL
    member = _member(user_id, connection)
    if _use_redis():
        try:
            pipe = redis_client(on_loop=on_loop).pipeline()
            pipe.zadd(_key(room_id), {member: expires})
            pipe.expire(_key(room_id), PRESENCE_TTL * 2)
            pipe.zadd(_ROOMS_KEY, {str(room_id): expires})
            pipe.execute()
        except RedisError as exc:
            logger.info("presence: could not mark a socket in room %s present (%s)", room_id, type(exc).__name__)
    else:
        _local.add(room_id, member, expires)


def leave(*, room_id, user_id, connection: str) -> None:
    member = _member(user_id, connection)
    if _use_redis():
        try:
            redis_client().zrem(_key(room_id), member)
        except RedisError as exc:  # the entry expires by itself
            logger.info("presence: could not remove a socket from room %s (%s)", room_id, type(exc).__name__)
    else:
        _local.remove(room_id, member)


def _members(room_ids: list) -> dict[str, list[str]]:
    """Raises PresenceUnavailable when Redis does not answer."""
    now = time.time()
    if not room_ids:
        return {}
    if not _use_redis():
        return _local.members(room_ids, now)
    try:
        pipe = redis_client().pipeline()
        for room_id in room_ids:
            pipe.zremrangebyscore(_key(room_id), "-inf", now)
            pipe.zrange(_key(room_id), 0, -1)
        replies = pipe.execute()
    except RedisError as exc:
        raise PresenceUnavailable from exc
    return {
        str(room_id): [m.decode() if isinstance(m, bytes) else m for m in replies[2 * i + 1]]
        for i, room_id in enumerate(room_ids)
    }


def _online_members(ids: list[str]) -> dict[str, set[str]]:
    return {room_id: {m.split("|", 1)[0] for m in members} for room_id, members in _members(ids).items()}


def online_members(room_ids: Iterable) -> dict[str, set[str]]:
    """{room id: ids of the users with at least one live socket there} for many rooms in one
    round trip (one Redis pipeline); every room asked about is a key, an empty set if nobody
    is online. Ids are strings. While presence is unavailable: {} (nobody known online)."""
    try:
        return _online_members([str(r) for r in room_ids])
    except PresenceUnavailable:
        return {}


def online_user_ids(room_id) -> set[str]:
    """Ids of users with at least one live socket in the room (none while presence is unavailable)."""
    return online_members([room_id]).get(str(room_id), set())


def online_counts(room_ids: Iterable) -> dict[str, int | None]:
    """Distinct online users per room, for many rooms in one round trip; None for each room
    while presence is unavailable (unknown, which is not 0)."""
    ids = [str(r) for r in room_ids]
    try:
        return {room_id: len(users) for room_id, users in _online_members(ids).items()}
    except PresenceUnavailable:
        return dict.fromkeys(ids)


def user_connections(*, room_id, user_id) -> int | None:
    """This user's live sockets in the room; None while presence is unavailable."""
    prefix = f"{user_id}|"
    try:
        members = _members([room_id])
    except PresenceUnavailable:
        return None
    return sum(1 for m in members.get(str(room_id), []) if m.startswith(prefix))


def _users_of(members: Iterable[str]) -> dict[str, int]:
    """{user id: live sockets} from socket entries."""
    users: dict[str, int] = {}
    for member in members:
        user = member.split("|", 1)[0]
        users[user] = users.get(user, 0) + 1
    return users


def _decoded(members) -> list[str]:
    return [m.decode() if isinstance(m, bytes) else m for m in members]


@dataclass(frozen=True)
class Arrival:
    """What a socket's arrival read, in the round trip that marked it present."""

    users: dict[str, int] | None  # {user id: live sockets} (this one counted); None: presence unknown
    view_counter: int | None  # the room's view counter (rooms.room_view); None: unknown


def arrive(*, room_id, user_id, connection: str, on_loop: bool = False) -> Arrival:
    """`touch` for a socket that just joined, and what it reads after that, in one Redis round
    trip: the room's listeners and the room's view counter."""
    now = time.time()
    expires = now + PRESENCE_TTL
    member = _member(user_id, connection)
    if not _use_redis():
        _local.add(room_id, member, expires)
        return Arrival(
            users=_users_of(_local.members([room_id], now)[str(room_id)]),
            view_counter=room_view.views.local_counter(room_id),
        )
    try:
        pipe = redis_client(on_loop=on_loop).pipeline()
        pipe.zadd(_key(room_id), {member: expires})
        pipe.expire(_key(room_id), PRESENCE_TTL * 2)
        pipe.zadd(_ROOMS_KEY, {str(room_id): expires})
        pipe.zremrangebyscore(_key(room_id), "-inf", now)
        pipe.zrange(_key(room_id), 0, -1)
        pipe.get(room_view.counter_key(room_id))
        *_, listed, counter = pipe.execute()
    except RedisError as exc:
        logger.info("presence: could not mark a socket in room %s present (%s)", room_id, type(exc).__name__)
        return Arrival(users=None, view_counter=None)
    return Arrival(users=_users_of(_decoded(listed)), view_counter=int(counter or 0))


def depart(*, room_id, user_id, connection: str, on_loop: bool = False) -> dict[str, int] | None:
    """`leave`, and the room's listeners read after it, in one Redis round trip (as `arrive`)."""
    now = time.time()
    member = _member(user_id, connection)
    if not _use_redis():
        _local.remove(room_id, member)
        return _users_of(_local.members([room_id], now)[str(room_id)])
    try:
        pipe = redis_client(on_loop=on_loop).pipeline()
        pipe.zrem(_key(room_id), member)
        pipe.zremrangebyscore(_key(room_id), "-inf", now)
        pipe.zrange(_key(room_id), 0, -1)
        replies = pipe.execute()
    except RedisError as exc:  # the entry expires by itself
        logger.info("presence: could not remove a socket from room %s (%s)", room_id, type(exc).__name__)
        return None
    return _users_of(_decoded(replies[-1]))


# --- what a listener's screen shows: the count, friends present, a page of listeners ----------


def page_of(user_ids: Iterable[str], *, after: str | None, size: int) -> tuple[list[str], str | None]:
    """One page of listener ids in a stable order (by id), after the cursor `after` (the last
    id of the page before; None for the first page), and the cursor of the next page (None
    when this is the last)."""
    ordered = sorted(str(pk) for pk in user_ids if after is None or str(pk) > after)
    page = ordered[:size]
    return page, (page[-1] if len(ordered) > size else None)


# Each listener's UserBrief payload (a rename or a new avatar shows in other processes' pages
# within ROOM_PRESENCE_BRIEF_SECONDS; in the user's own process at once, `_user_saved`).
brief_memo: Remembered[str, dict] = Remembered("ROOM_PRESENCE_BRIEF_SECONDS", 30)


def brief_of(user: User) -> dict:
    """A user's UserBrief payload (its id a string), remembered for the presence pages."""
    brief = user_brief(user)
    brief_memo.learn({brief["id"]: brief})
    return brief


def briefs(user_ids: list[str], *, read: bool = True) -> dict[str, dict] | None:
    """{user id: UserBrief payload} for these users: the remembered ones, and the others in
    one query. `read` False: None unless all are remembered (no query)."""
    found, unknown = brief_memo.recall(user_ids)
    if unknown and not read:
        return None
    if unknown:
        fresh = {str(user.pk): user_brief(user) for user in User.objects.filter(pk__in=unknown, is_active=True)}
        brief_memo.learn(fresh)
        found.update(fresh)
    return found


def _user_saved(sender, instance: User, **kwargs) -> None:
    brief_memo.forget(str(instance.pk))


def brief_watch() -> None:
    post_save.connect(_user_saved, sender=User, dispatch_uid="rooms.presence.user_saved")


def listeners_page(room_id, *, online: Iterable[str], after: str | None = None, size: int | None = None) -> dict:
    """The `presence.page` answer: a page of the room's listeners (at most one query)."""
    ids, following = page_of(online, after=after, size=size or settings.ROOM_PRESENCE_PAGE)
    found = briefs(ids) or {}
    return {
        "type": "presence.page",
        "room_id": str(room_id),
        "online": [found[pk] for pk in ids if pk in found],
        "next": following,
    }


def snapshot(room_id, *, online: set[str] | None, friends: Iterable) -> dict:
    """The `presence` frame a socket starts with: how many are online, the newcomer's
    `friends` among them, and the first page of listeners with the cursor of the next (at most
    one query, whatever the room's size). `online` None: presence is unknown (count null,
    nobody listed)."""
    frame = _snapshot(room_id, online=online, friends=friends, read=True)
    assert frame is not None  # noqa: S101 - reading, it always has one
    return frame


def snapshot_remembered(room_id, *, online: set[str] | None, friends: Iterable) -> dict | None:
    """`snapshot` from what this process remembers, without a query; None if it needs one."""
    return _snapshot(room_id, online=online, friends=friends, read=False)


def _snapshot(room_id, *, online: set[str] | None, friends: Iterable, read: bool) -> dict | None:
    ids = online or set()
    first, following = page_of(ids, after=None, size=settings.ROOM_PRESENCE_PAGE)
    present = sorted(str(pk) for pk in friends if str(pk) in ids) if ids else []
    found = briefs(list(dict.fromkeys(first + present)), read=read)
    if found is None:
        return None
    return {
        "type": "presence",
        "room_id": str(room_id),
        "count": None if online is None else len(ids),
        "online": [found[pk] for pk in first if pk in found],
        "friends": [found[pk] for pk in present if pk in found],
        "next": following,
    }


def live_rooms() -> dict[str, int]:
    """Every room with someone online and its count; costs as many rooms as are live.
    {} while presence is unavailable."""
    now = time.time()
    try:
        if _use_redis():
            client = redis_client()
            client.zremrangebyscore(_ROOMS_KEY, "-inf", now)
            candidates = [r.decode() if isinstance(r, bytes) else r for r in client.zrange(_ROOMS_KEY, 0, -1)]
        else:
            candidates = _local.rooms()
        counts = _online_members(candidates)
    except (RedisError, PresenceUnavailable):
        return {}
    return {room_id: len(users) for room_id, users in counts.items() if users}


# Whether each listener can play Spotify (accounts.spotify_player's rule): a join then reads
# only the listeners not remembered, not every listener's link (a query of N ids per join in a
# crowded room). A link or unlink shows in the counts within ROOM_AUDIENCE_SPOTIFY_SECONDS.
spotify_ready: Remembered[str, bool] = Remembered("ROOM_AUDIENCE_SPOTIFY_SECONDS", 30)


def audience(room_id, *, online: Iterable | None = None) -> dict:
    """The `room.audience` frame: listeners online, and how many of them can play Spotify (a
    query for the listeners not remembered). `online`: the ids, when the caller has read them."""
    frame = _audience(room_id, online=online, read=True)
    assert frame is not None  # noqa: S101 - reading, it always has one
    return frame


def audience_remembered(room_id, *, online: Iterable, partial: bool) -> dict | None:
    """`audience` from what this process remembers, without a query: None if someone is not
    remembered, or with `partial`, they count as not ready."""
    return _audience(room_id, online=online, read=False, partial=partial)


def _audience(room_id, *, online: Iterable | None, read: bool, partial: bool = False) -> dict | None:
    ids = {str(pk) for pk in online} if online is not None else online_user_ids(room_id)
    found, unknown = spotify_ready.recall(ids)
    if unknown and not read:
        if not partial:
            return None
        unknown = []
    if unknown:
        fresh = {pk: status == spotify_player.READY for pk, status in spotify_player.statuses(unknown).items()}
        spotify_ready.learn(fresh)
        found.update(fresh)
    return {
        "type": "room.audience",
        "room_id": str(room_id),
        "online": len(ids),
        "spotify": sum(1 for ready in found.values() if ready),
    }


def audience_news(room_id) -> dict:
    """`audience` for the room's group, with `read_at` (epoch s, taken before the read): a socket
    that read fresher counts itself (on connect) drops older news that reaches it late."""
    read_at = time.time()
    return {**audience(room_id), "read_at": read_at}


def reset_local() -> None:
    """Tests only: forget the embedded mode's entries."""
    _local.clear()
    spotify_ready.forget()
    brief_memo.forget()
    room_view.reset_local()


def prune_stale(*, dry_run: bool = False) -> int:
    """Drops socket entries whose heartbeat stopped (crashed processes). Reads do this for the
    rooms they look at; this sweeps every room. Returns how many entries were stale."""
    now = time.time()
    if not _use_redis():
        with _local._lock:
            stale = [(r, m) for r, entries in _local._rooms.items() for m, exp in entries.items() if exp <= now]
            if not dry_run:
                for room_id, member in stale:
                    del _local._rooms[room_id][member]
            return len(stale)
    client = redis_client()
    rooms = [r.decode() if isinstance(r, bytes) else r for r in client.zrange(_ROOMS_KEY, 0, -1)]
    count = 0
    for room_id in rooms:
        count += client.zcount(_key(room_id), "-inf", now)
        if not dry_run:
            client.zremrangebyscore(_key(room_id), "-inf", now)
    if not dry_run:
        client.zremrangebyscore(_ROOMS_KEY, "-inf", now)
    return count


# --- telling a room who came and went ------------------------------------------------------


class PresenceNews:
    """The joins and leaves of this process's sockets, told to each room at most once per
    `ROOM_PRESENCE_BATCH_SECONDS` (default 0.2): a change in a quiet room goes out at once,
    changes that follow within the window go out together at its end.

    A lone change is `member.joined` / `member.left`; several are one `members.changed`
    {joined, left}; each is followed by the room's `room.audience` (who can hear what, read
    after the change). Every announcement reaches every socket of the room, so a room filling up
    at k joins a second would otherwise cost each listener k frames a second (bench/README.md,
    "ws_fanout.py"). Per event loop; within a window, a user's latest change wins.

    A crowded room (more than ROOM_PRESENCE_LIVE_MAX listeners at the last announcement) hears
    only the count: `room.audience`, at most once per ROOM_PRESENCE_COUNT_SECONDS, and in a
    room so large that this would be more than ROOM_PRESENCE_COUNT_RATE frames a second, once
    per (listeners / that rate) seconds: a room of 1,000 hears its count every 4 s by default,
    which cost a filling room's every listener a frame a second before. Its listeners page
    through who is there (`presence.page`) instead.
    """

    def __init__(self):
        self.pending: dict[str, dict[str, tuple[str, dict]]] = {}
        self.last_sent: dict[str, float] = {}
        self.crowded: dict[str, int] = {}  # crowded rooms: their count at the last announcement

    def announce(self, layer, room_id: str, kind: str, user: dict) -> None:
        """`kind` is "joined" or "left"; `user` is the UserBrief payload (its id a string)."""
        loop = asyncio.get_running_loop()
        window = getattr(settings, "ROOM_PRESENCE_BATCH_SECONDS", 0.2)
        if room_id in self.crowded:
            window = max(window, count_interval(self.crowded[room_id]))
        room = self.pending.get(room_id)
        if room is None:
            room = self.pending[room_id] = {}
            wait = self.last_sent.get(room_id, -window) + window - loop.time()
            loop.call_later(max(0.0, wait), lambda: asyncio.ensure_future(self._flush(layer, room_id)))
        room.pop(user["id"], None)
        room[user["id"]] = (kind, user)

    async def _flush(self, layer, room_id: str) -> None:
        changes = list(self.pending.pop(room_id, {}).values())
        now = asyncio.get_running_loop().time()
        self.last_sent[room_id] = now
        if len(self.last_sent) > 1000:  # forget rooms whose window is long over
            self.last_sent = {room: at for room, at in self.last_sent.items() if now - at < 60}
        try:
            audience = await database_sync_to_async(audience_news)(room_id)
            if audience["online"] > settings.ROOM_PRESENCE_LIVE_MAX:
                self.crowded[room_id] = audience["online"]
            else:
                self.crowded.pop(room_id, None)
                await layer.group_send(room_group(room_id), _members_event(room_id, changes))
            await layer.group_send(room_group(room_id), audience)
        except Exception:  # noqa: BLE001 - presence news is best effort; clients resync presence
            logger.warning("announcing presence in room %s failed", room_id, exc_info=True)


def count_interval(listeners: int) -> float:
    """Seconds between a crowded room's `room.audience` frames from one process (PresenceNews)."""
    rate = settings.ROOM_PRESENCE_COUNT_RATE
    return max(settings.ROOM_PRESENCE_COUNT_SECONDS, listeners / rate if rate > 0 else 0.0)


def _members_event(room_id: str, changes: list[tuple[str, dict]]) -> dict:
    """`member.joined` / `member.left` for a lone change, else `members.changed`."""
    if len(changes) == 1:
        kind, user = changes[0]
        return {"type": f"member.{kind}", "room_id": room_id, "user": user}
    return {
        "type": "members.changed",
        "room_id": room_id,
        "joined": [user for kind, user in changes if kind == "joined"],
        "left": [user for kind, user in changes if kind == "left"],
    }


_presence_news: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, PresenceNews]" = weakref.WeakKeyDictionary()


def presence_news() -> PresenceNews:
    """This event loop's PresenceNews (the room sockets of one process share it)."""
    loop = asyncio.get_running_loop()
    news = _presence_news.get(loop)
    if news is None:
        news = _presence_news[loop] = PresenceNews()
    return news

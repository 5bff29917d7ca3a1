"""Two real Daphne processes behind one room: what scale-out promises (services mode only).

Both servers run `tunewave.asgi:application` against the test database (the tests are
`transaction=True`, so what they write is committed and the servers see it) and against a
private `redis-server` started for this module on a free port, so the Redis-restart test
never touches the shared Redis. The test process broadcasts through that same Redis
(`CHANNEL_LAYERS` pointed at it), as any other server process or worker would.

Shown: a message sent through one process reaches a client of the other; both processes'
clients see the same playback `version`, and racing skips from both advance once; killing
one process leaves the other's clients working; after a Redis restart the clients reconnect,
resync and hold every message exactly once.
"""

import asyncio
import copy
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from channels.db import database_sync_to_async
from django.conf import settings as django_settings
from django.db import connection

from accounts import services as account_services
from accounts.tests.factories import UserFactory
from chat.models import Message
from core.testing.redis_server import RedisServer, free_port
from music.tests.factories import TrackFactory
from rooms import services as room_services
from rooms.models import Membership, PlaybackState

websockets = pytest.importorskip("websockets", reason="websockets is a dev requirement (requirements-dev.txt)")
from websockets.asyncio.client import connect as ws_connect  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
START_TIMEOUT = 25.0  # seconds for a server to answer /healthz
FRAME_TIMEOUT = 5.0  # seconds for any expected frame

db = database_sync_to_async


# --- processes -----------------------------------------------------------------------------


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _kill(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGKILL)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


class Cluster:
    """A private redis-server and two Daphne servers, "A" and "B"; started lazily, restarted
    where a test killed them, stopped when the module ends."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.redis = RedisServer(workdir)
        self.servers: dict[str, subprocess.Popen] = {}
        self.ports: dict[str, int] = {}
        self.database_url = ""

    @property
    def redis_url(self) -> str:
        return self.redis.url

    def url(self, name: str, path: str) -> str:
        return f"http://{HOST}:{self.ports[name]}{path}"

    def ws_url(self, name: str, path: str) -> str:
        return f"ws://{HOST}:{self.ports[name]}{path}"

    # redis-server, on the same port every time so a restart is a restart
    def start_redis(self) -> None:
        self.redis.start()

    def kill_redis(self) -> None:
        self.redis.kill()

    # Daphne
    def _spawn(self, name: str) -> None:
        daphne = Path(sys.executable).with_name("daphne")
        port = free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tunewave.settings",
            "DEBUG": "1",
            "SECRET_KEY": django_settings.SECRET_KEY,  # tokens issued here must verify there
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", ""),
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        log = open(self.workdir / f"daphne-{name}.log", "ab")  # noqa: SIM115 - owned by the child
        self.servers[name] = subprocess.Popen(
            [str(daphne), "-b", HOST, "-p", str(port), "tunewave.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.ports[name] = port

    def _wait_healthy(self, name: str, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self.servers[name].poll() is not None:
                pytest.fail(f"daphne {name} exited:\n{_tail(self.workdir / f'daphne-{name}.log')}")
            try:
                with urllib.request.urlopen(self.url(name, "/healthz"), timeout=1) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.1)
        pytest.fail(f"daphne {name} did not answer /healthz in time:\n{_tail(self.workdir / f'daphne-{name}.log')}")

    def ensure_running(self, database_url: str) -> None:
        if database_url != self.database_url:
            self.stop_servers()
            self.database_url = database_url
        if not self.redis.running:
            self.start_redis()
        started = [n for n in ("A", "B") if n not in self.servers or self.servers[n].poll() is not None]
        for name in started:
            self._spawn(name)
        deadline = time.monotonic() + START_TIMEOUT
        for name in started:
            self._wait_healthy(name, deadline)

    def kill(self, name: str) -> None:
        _kill(self.servers.get(name))

    def stop_servers(self) -> None:
        for proc in self.servers.values():
            _kill(proc)
        self.servers.clear()

    def stop(self) -> None:
        self.stop_servers()
        self.kill_redis()


@pytest.fixture(scope="module")
def _cluster(tmp_path_factory):
    cluster = Cluster(tmp_path_factory.mktemp("two_daphnes"))
    try:
        yield cluster
    finally:
        cluster.stop()


def _database_url() -> str:
    conf = connection.settings_dict  # inside a django_db test: the test database
    auth = quote(conf["USER"] or "postgres")
    if conf.get("PASSWORD"):
        auth += ":" + quote(conf["PASSWORD"])
    return f"postgres://{auth}@{conf['HOST'] or HOST}:{conf['PORT'] or 5432}/{conf['NAME']}"


@pytest.fixture
def cluster(services_mode, transactional_db, _cluster, settings):
    _cluster.ensure_running(_database_url())
    # This process's broadcasts (services called from the tests) go through the same Redis.
    # Same layer as the servers' (CHANNEL_LAYER_BACKEND), pointed at the private Redis.
    layer = copy.deepcopy(django_settings.CHANNEL_LAYERS["default"])
    layer["CONFIG"]["hosts"] = [_cluster.redis_url]
    settings.CHANNEL_LAYERS = {"default": layer}
    return _cluster


# --- clients -------------------------------------------------------------------------------


class Client:
    """One real WebSocket client; a reader task keeps every frame it receives."""

    def __init__(self, name: str, ws):
        self.name = name
        self.ws = ws
        self.frames: list[dict] = []
        self.taken: set[int] = set()
        self.closed = False
        self.changed = asyncio.Condition()
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                async with self.changed:
                    self.frames.append(json.loads(raw))
                    self.changed.notify_all()
        except ConnectionClosed:
            pass
        finally:
            async with self.changed:
                self.closed = True
                self.changed.notify_all()

    async def take(self, kind: str, timeout: float = FRAME_TIMEOUT, **match) -> dict:
        """The first frame of `kind` (with these field values) not taken before."""

        async def find() -> dict:
            async with self.changed:
                while True:
                    for i, frame in enumerate(self.frames):
                        if i in self.taken or frame.get("type") != kind:
                            continue
                        if all(frame.get(k) == v for k, v in match.items()):
                            self.taken.add(i)
                            return frame
                    if self.closed:
                        raise AssertionError(f"{self.name}: socket closed ({self.ws.close_code}) awaiting {kind}")
                    await self.changed.wait()

        try:
            return await asyncio.wait_for(find(), timeout)
        except TimeoutError:
            raise AssertionError(f"{self.name}: no {kind} {match or ''} within {timeout} s; got {self.frames}")

    async def none_of(self, kind: str, wait: float = 1.0, **match) -> bool:
        try:
            await self.take(kind, timeout=wait, **match)
        except AssertionError:
            return True
        return False

    async def wait_closed(self, timeout: float = FRAME_TIMEOUT) -> None:
        await asyncio.wait_for(asyncio.shield(self.reader), timeout)

    async def send(self, payload: dict) -> None:
        await self.ws.send(json.dumps(payload))

    async def say(self, text: str) -> None:
        await self.send({"text": text, "client_msg_id": f"{self.name}-{text}"})

    def chat_ids(self) -> list[int]:
        """Message ids this socket learnt of, live or through chat.history, in arrival order."""
        ids = []
        for frame in self.frames:
            if frame.get("type") == "chat.message":
                ids.append(frame["id"])
            elif frame.get("type") == "chat.history":
                ids.extend(m["id"] for m in frame["messages"])
        return ids

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self.ws.close(), 3)
        except (TimeoutError, OSError):
            pass
        self.reader.cancel()


class Clients:
    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        self.open: list[Client] = []
        self.retries = 0

    async def join(self, name: str, server: str, room_id, token: str, *, attempts: int = 1) -> Client:
        """Connects and reads the two opening frames. With `attempts`, retries as a real
        client does when the server closes a socket before it is set up (e.g. 1011)."""
        for attempt in range(1, attempts + 1):
            ws = await ws_connect(
                self.cluster.ws_url(server, f"/ws/chat/{room_id}?token={token}"),
                open_timeout=FRAME_TIMEOUT,
                close_timeout=1,
                ping_interval=None,
            )
            client = Client(f"{name}@{server}", ws)
            self.open.append(client)
            try:
                await client.take("playback.state")
                await client.take("presence")
                return client
            except AssertionError:
                if attempt == attempts or not client.closed:
                    raise
                self.retries += 1
                await asyncio.sleep(0.2 * attempt)
        raise AssertionError("unreachable")

    async def close_all(self) -> None:
        await asyncio.gather(*(c.close() for c in self.open), return_exceptions=True)


def _servers_settled(timeout: float = 10) -> None:
    """Waits until no other connection to the test database is inside a statement or a
    transaction. Closing a socket makes its server write (an empty room pauses), and the
    flush that ends the test must not race those writes: TRUNCATE beside them deadlocked."""
    from django.db import connection

    deadline = time.monotonic() + timeout
    quiet_since = None
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')"
            )
            busy = cursor.fetchone()[0]
        now = time.monotonic()
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= 0.5:  # quiet for half a second: the closes have been handled
            return
        time.sleep(0.05)


@pytest.fixture
async def clients(cluster):
    registry = Clients(cluster)
    try:
        yield registry
    finally:
        await registry.close_all()
        # The servers hear the closes a moment later; let their writes finish before the flush.
        await db(_servers_settled)()


def post_chat(cluster: Cluster, server: str, room_id, token: str, text: str) -> tuple[int, dict | str]:
    request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
        cluster.url(server, f"/chat/{room_id}"),
        data=json.dumps({"text": text, "client_msg_id": f"rest-{text}"}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        body = exc.read().decode(errors="replace")
        if "<title>" in body:  # DEBUG's error page: its title names the exception
            body = body.split("<title>", 1)[1].split("</title>", 1)[0].strip()
        return exc.code, body[:500]


# --- data ----------------------------------------------------------------------------------


def _world(*names: str, moderators: tuple[str, ...] = ()) -> dict:
    """A public room owned by the first person; everyone's access token."""
    people = {name: UserFactory.create(username=name, email=f"{name}@example.com") for name in names}
    owner = people[names[0]]
    room = room_services.room_create(owner=owner, name="Two servers, one room")
    for name in moderators:
        Membership.objects.create(room=room, user=people[name], role=Membership.Role.MODERATOR)
    tokens = {name: account_services.tokens_issue(user=user)["access"] for name, user in people.items()}
    return {"room": room, "people": people, "tokens": tokens}


# --- the tests -----------------------------------------------------------------------------


async def test_a_message_sent_through_one_process_reaches_the_other(cluster, clients):
    world = await db(_world)("alice", "bob")
    room_id, tokens = world["room"].pk, world["tokens"]
    alice = await clients.join("alice", "A", room_id, tokens["alice"])
    bob = await clients.join("bob", "B", room_id, tokens["bob"])
    assert (await alice.take("member.joined"))["user"]["username"] == "bob"  # B's news, heard on A

    await alice.say("hello from A")
    sent = await bob.take("chat.message", text="hello from A")
    assert sent["user"]["username"] == "alice"
    assert (await alice.take("chat.message"))["id"] == sent["id"]

    await bob.say("hello from B")
    assert (await alice.take("chat.message", text="hello from B"))["user"]["username"] == "bob"
    await bob.take("chat.message", text="hello from B")
    assert alice.chat_ids() == bob.chat_ids() == await db(_room_message_ids)(room_id)


async def test_both_processes_see_the_same_playback_version(cluster, clients):
    world = await db(_world)("alice", "bob", moderators=("bob",))
    room, tokens = world["room"], world["tokens"]
    alice = await clients.join("alice", "A", room.pk, tokens["alice"])
    bob = await clients.join("bob", "B", room.pk, tokens["bob"])

    def queue_three():
        tracks = [TrackFactory(duration_ms=600_000) for _ in range(3)]
        for track in tracks:
            room_services.queue_add(room=room, actor=world["people"]["alice"], track=track)
        return [t.spotify_id for t in tracks]

    tracks = await db(queue_three)()
    # The first add starts the idle room: one new state, the same version on both processes.
    first = [await c.take("playback.state", status="playing") for c in (alice, bob)]
    assert first[0]["version"] == first[1]["version"]
    assert first[0]["track"]["spotify_id"] == first[1]["track"]["spotify_id"] == tracks[0]
    version = first[0]["version"]

    await alice.send({"type": "playback.skip"})  # handled by A
    skipped = [await c.take("playback.state", version=version + 1) for c in (alice, bob)]
    assert {s["track"]["spotify_id"] for s in skipped} == {tracks[1]}

    # Racing skips of the same state through both processes: the CAS lets one advance.
    await asyncio.gather(
        alice.send({"type": "playback.skip", "version": version + 1}),
        bob.send({"type": "playback.skip", "version": version + 1}),
    )
    raced = [await c.take("playback.state", version=version + 2) for c in (alice, bob)]
    assert {s["track"]["spotify_id"] for s in raced} == {tracks[2]}
    assert await alice.none_of("playback.state", version=version + 3)
    assert await bob.none_of("playback.state", wait=0.1, version=version + 3)

    await bob.send({"type": "sync"})  # B reads the row A wrote
    assert (await bob.take("playback.state", version=version + 2))["track"]["spotify_id"] == tracks[2]
    assert await db(lambda: PlaybackState.objects.get(room=room).version)() == version + 2


async def test_killing_one_process_leaves_the_others_clients_working(cluster, clients):
    world = await db(_world)("alice", "bob", "carol")
    room_id, tokens = world["room"].pk, world["tokens"]
    alice = await clients.join("alice", "A", room_id, tokens["alice"])
    bob = await clients.join("bob", "B", room_id, tokens["bob"])
    carol = await clients.join("carol", "B", room_id, tokens["carol"])
    await alice.say("before")
    for client in (alice, bob, carol):
        await client.take("chat.message", text="before")

    cluster.kill("A")
    await alice.wait_closed()  # the kernel closed A's sockets; nothing else went with it

    await bob.say("after")
    assert (await carol.take("chat.message", text="after"))["user"]["username"] == "bob"
    await carol.say("still here")
    assert (await bob.take("chat.message", text="still here"))["user"]["username"] == "carol"
    status, body = await asyncio.to_thread(post_chat, cluster, "B", room_id, tokens["bob"], "over REST")
    assert status == 201, body
    await carol.take("chat.message", text="over REST")

    # Alice's client reconnects, to B this time, and catches up from the last id it saw.
    again = await clients.join("alice", "B", room_id, tokens["alice"])
    await again.send({"type": "chat.resync", "after_id": max(alice.chat_ids())})
    history = await again.take("chat.history")
    assert [m["text"] for m in history["messages"]] == ["after", "still here", "over REST"]


async def test_after_a_redis_restart_clients_resync_and_hold_every_message_once(cluster, clients):
    world = await db(_world)("alice", "bob", "carol")
    room_id, tokens = world["room"].pk, world["tokens"]
    alice = await clients.join("alice", "A", room_id, tokens["alice"])
    bob = await clients.join("bob", "B", room_id, tokens["bob"])
    for i in range(2):
        await alice.say(f"before {i}")
        for client in (alice, bob):
            await client.take("chat.message", text=f"before {i}")

    cluster.kill_redis()
    # Written while Redis is down, through a server that is still up: saved, never broadcast.
    for author, text in (("bob", "dark 0"), ("carol", "dark 1"), ("alice", "dark 2")):
        status, body = await asyncio.to_thread(post_chat, cluster, "B", room_id, tokens[author], text)
        assert status == 201, f"POST /chat during the Redis outage: {status} {body}"
    cluster.start_redis()

    # Each server notices its channel layer went deaf and closes its sockets (4503); clients reconnect.
    for client in (alice, bob):
        await client.wait_closed(timeout=10)
        assert client.ws.close_code == 4503, client.ws.close_code  # "reconnect", not a crash (1011)
    sessions = {}
    for name, old, server in (("alice", alice, "B"), ("bob", bob, "A")):  # and swap processes
        new = await clients.join(name, server, room_id, tokens[name], attempts=5)
        await new.send({"type": "chat.resync", "after_id": max(old.chat_ids())})
        await new.take("chat.history")
        sessions[name] = (old, new)
    await sessions["alice"][1].say("after")
    for _old, new in sessions.values():
        await new.take("chat.message", text="after")

    stored = await db(_room_message_ids)(room_id)
    assert len(stored) == 6
    for name, (old, new) in sessions.items():
        transcript = old.chat_ids() + new.chat_ids()
        assert transcript == stored, f"{name}: {transcript} != {stored}"  # each once, none missing, in order


def _room_message_ids(room_id) -> list[int]:
    return list(Message.objects.filter(room_id=room_id).order_by("id").values_list("id", flat=True))

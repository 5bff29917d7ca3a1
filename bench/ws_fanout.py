"""Fan-out of one room over real Daphne: delivery latency and drops for N listeners.

    .venv/bin/python bench/ws_fanout.py [--clients 10,100,200,500,1000] [--rate 10] [--seconds 6]
                                        [--configs core,pubsub,...] [--servers 1]

For each configuration a fresh Daphne (one process unless --servers) is started on
loopback, and this one process (asyncio, the `websockets` client) connects listeners to one
room, growing their number through --clients. At each size, the first 20 listeners send
--rate messages per second between them, round-robin, for --seconds (each stays within
TuneWave's chat limit of 5 per 5 s); each message carries its send time and every listener
records when each arrives. Printed per size: seconds to connect the new listeners and for
the join chatter to settle, p50/p95/p99/max delivery latency in ms, drops (deliveries still
missing 8 s after the last send, lost or too late; a message TuneWave refused with
`rate_limited` is counted under "rej", not owed), and the CPU used by
Daphne, Redis and this client process, its event-loop lag (p99, ms) and the machine's load.
A configuration whose p99 passes 5 s (or that drops a fifth) skips its larger sizes.

Configurations:
  core                 TuneWave's room socket (tunewave.asgi, DEBUG off) with
                       CHANNEL_LAYER_BACKEND=core: channels_redis.core.RedisChannelLayer
  pubsub               the same with CHANNEL_LAYER_BACKEND=pubsub (the default):
                       core.layers.WatchedPubSubChannelLayer
  relay, relay-pubsub  bench/relay.py: a bare Channels consumer that group_sends every frame,
                       no auth, database or presence, on channels_redis's core / pub/sub layer

Data: PostgreSQL database `tunewave_wsbench` (created and migrated if missing; override with
DATABASE_URL) and Redis db 12 (REDIS_URL), which is flushed before each configuration
(pub/sub channels are server-wide in Redis, not per db; the bench's are its own room's).
DEBUG is off in the servers, as in production.
"""

import argparse
import asyncio
import json
import math
import os
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tunewave_wsbench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/12")
os.environ["DJANGO_SETTINGS_MODULE"] = "tunewave.settings"
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-anything-else-0123456789abcdef")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("JWT_ACCESS_MINUTES", "240")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["CELERY_BROKER_URL"] = ""  # nothing here schedules tasks; keep RabbitMQ out of it

HOST = "127.0.0.1"
ROOM_NAME = "ws fanout bench"
MAX_SENDERS = 20  # the first 20 listeners also send, round-robin (each under the chat limit)
CONNECT_CONCURRENCY = 25
CONNECT_TIMEOUT = 90.0  # seconds to connect one batch of listeners
SETTLE_TIMEOUT = 30.0  # seconds for join/presence chatter to die down before measuring
SATURATED_P99_MS = 5000.0  # past this (or 20 % drops) a configuration skips its larger sizes
DRAIN_TIMEOUT = 8.0  # seconds after the last send for deliveries to arrive
# name: (ASGI application, extra environment, WebSocket path; "{room}" is the room id)
CONFIGS = {
    "core": ("tunewave.asgi:application", {"CHANNEL_LAYER_BACKEND": "core"}, "/ws/chat/{room}"),
    "pubsub": ("tunewave.asgi:application", {"CHANNEL_LAYER_BACKEND": "pubsub"}, "/ws/chat/{room}"),
    "relay": ("bench.relay:application", {"RELAY_LAYER": "core"}, "/ws/relay"),
    "relay-pubsub": ("bench.relay:application", {"RELAY_LAYER": "pubsub"}, "/ws/relay"),
    # bench/ws_join.py's floor: no Django, no Channels (it says hello and relays nothing)
    "bare": ("bench.bare_asgi:application", {}, "/ws/bare"),
}
DEFAULT_CONFIGS = "core,pubsub,relay,relay-pubsub"


def ensure_database(url: str) -> None:
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        return
    import psycopg
    from psycopg import sql

    name = parts.path.lstrip("/")
    with psycopg.connect(
        host=parts.hostname or HOST,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}", flush=True)


ensure_database(os.environ["DATABASE_URL"])

import django  # noqa: E402

django.setup()

import redis  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402
from websockets.asyncio.client import connect as ws_connect  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402

from accounts.models import User  # noqa: E402
from chat.models import Message  # noqa: E402
from rooms import services as room_services  # noqa: E402
from rooms.models import Membership, Room  # noqa: E402

# --- data ----------------------------------------------------------------------------------


def seed(listeners: int) -> tuple[str, list[str]]:
    """The bench room, and an access token for each of `listeners` users (all members)."""
    call_command("migrate", verbosity=0, interactive=False)
    unusable = make_password(None)
    owner, _ = User.objects.get_or_create(
        username="wsbench-owner", defaults={"email": "wsbench-owner@example.com", "password": unusable}
    )
    room = Room.objects.filter(name=ROOM_NAME).first() or room_services.room_create(owner=owner, name=ROOM_NAME)
    names = [f"wsbench-l{i:04d}" for i in range(listeners)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    User.objects.bulk_create(
        [
            User(username=n, email=f"{n}@example.com", display_name=n, password=unusable)
            for n in names
            if n not in existing
        ]
    )
    users = {u.username: u for u in User.objects.filter(username__in=names)}
    Membership.objects.bulk_create(
        [Membership(room=room, user=u, role=Membership.Role.MEMBER) for u in users.values()], ignore_conflicts=True
    )
    tokens = [str(AccessToken.for_user(users[n])) for n in names]
    connections.close_all()
    return str(room.pk), tokens


def saved_seqs(phase: str) -> set[int]:
    """The messages of this phase that TuneWave stored (the ones it accepted)."""
    texts = Message.objects.filter(text__startswith=f"wsb {phase} ").values_list("text", flat=True)
    result = {int(t.split()[2]) for t in texts}
    connections.close_all()
    return result


# --- processes -----------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Servers:
    def __init__(self, config: str, count: int, logdir: Path):
        app, extra_env, _path = CONFIGS[config]
        self.procs: list[subprocess.Popen] = []
        self.ports: list[int] = []
        env = {**os.environ, **extra_env, "PYTHONUNBUFFERED": "1"}
        for i in range(count):
            port = free_port()
            with open(logdir / f"ws_fanout-{config}-{i}.log", "wb") as log:
                self.procs.append(
                    subprocess.Popen(
                        [str(Path(sys.executable).with_name("daphne")), "-b", HOST, "-p", str(port), "-v", "0", app],
                        cwd=ROOT,
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
            self.ports.append(port)
        deadline = time.monotonic() + 30
        for proc, port in zip(self.procs, self.ports, strict=True):
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"daphne for {config} exited; see {logdir}")
                try:
                    with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=1):  # noqa: S310
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"daphne for {config} did not start in 30 s; see {logdir}") from None
                    time.sleep(0.1)

    def cpu(self) -> float:
        return sum(cpu_seconds(p.pid) for p in self.procs)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


# --- clients -------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str = ""
    latencies_ms: list[float] = field(default_factory=list)
    first_ms: dict[int, float] = field(default_factory=dict)  # per message: its earliest delivery
    rejected: int = 0


class Bench:
    """All sockets of one configuration, in this process's event loop."""

    def __init__(self, config: str, servers: Servers, room_id: str):
        self.config = config
        self.tunewave = CONFIGS[config][2].startswith("/ws/chat/")
        self.path = CONFIGS[config][2].format(room=room_id)
        self.servers = servers
        self.listeners: list[dict] = []  # {"ws", "got": set of seqs this phase, "task"}
        self.phase = Phase()
        self.last_frame = time.monotonic()
        self.connect_failures = 0

    def url(self, index: int, token: str) -> str:
        port = self.servers.ports[index % len(self.servers.ports)]
        query = f"?token={token}" if self.tunewave else ""
        return f"ws://{HOST}:{port}{self.path}{query}"

    def _on_frame(self, raw: str, got: set) -> None:
        now = time.monotonic_ns()
        self.last_frame = time.monotonic()
        if self.tunewave:
            if '"chat.message"' not in raw:
                if '"rate_limited"' in raw:
                    self.phase.rejected += 1
                return
            text = json.loads(raw)["text"]
        elif raw.startswith("wsb "):
            text = raw
        else:
            return  # the relay's hello
        _, phase, seq, sent_ns = text.split()
        if phase != self.phase.name:
            return  # late from an earlier size: already counted as a drop there
        got.add(int(seq))
        latency = (now - int(sent_ns)) / 1e6
        self.phase.latencies_ms.append(latency)
        first = self.phase.first_ms
        first[int(seq)] = min(latency, first.get(int(seq), latency))

    async def _read(self, ws, got: set) -> None:
        try:
            async for raw in ws:
                self._on_frame(raw, got)
        except ConnectionClosed:
            pass

    async def _open(self, index: int, token: str):
        for attempt in range(3):
            try:
                return await ws_connect(
                    self.url(index, token), open_timeout=30, close_timeout=2, ping_interval=None, compression=None
                )
            except Exception:  # noqa: BLE001 - counted and retried
                await asyncio.sleep(0.5 * (attempt + 1))
        self.connect_failures += 1
        return None

    async def grow(self, tokens: list[str]) -> float:
        """Connects listeners until there are len(tokens); returns the seconds it took."""
        start = time.monotonic()
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

        async def one(index: int, token: str):
            async with gate:
                ws = await self._open(index, token)
            if ws is not None:
                got: set[int] = set()
                self.listeners.append({"ws": ws, "got": got, "task": asyncio.ensure_future(self._read(ws, got))})

        todo = list(enumerate(tokens))[len(self.listeners) :]
        tasks = [asyncio.ensure_future(one(i, t)) for i, t in todo]
        _done, pending = await asyncio.wait(tasks, timeout=CONNECT_TIMEOUT)
        for task in pending:  # too slow to connect: counted as failures
            task.cancel()
        self.connect_failures += len(pending)
        return time.monotonic() - start

    async def settle(self, quiet: float = 1.0) -> float:
        """Waits for the join chatter (member.joined, presence) to pass; returns the seconds."""
        start = time.monotonic()
        while time.monotonic() - start < SETTLE_TIMEOUT and time.monotonic() - self.last_frame < quiet:
            await asyncio.sleep(0.1)
        return time.monotonic() - start

    async def measure(self, name: str, rate: float, seconds: float) -> dict:
        self.phase = Phase(name=name)
        for listener in self.listeners:
            listener["got"].clear()
        senders = [listener["ws"] for listener in self.listeners[:MAX_SENDERS]]
        lag = LoopLag()
        lag_task = asyncio.ensure_future(lag.run())
        cpu_start = self.servers.cpu(), redis_cpu(), time.process_time(), time.monotonic()

        total = int(rate * seconds)
        loop = asyncio.get_running_loop()
        begin = loop.time() + 0.1
        sent: set[int] = set()
        for seq in range(total):
            delay = begin + seq / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            text = f"wsb {name} {seq} {time.monotonic_ns()}"
            payload = f'{{"text": "{text}", "client_msg_id": "{name}-{seq}"}}' if self.tunewave else text
            try:
                await senders[seq % len(senders)].send(payload)
                sent.add(seq)
            except ConnectionClosed:
                pass

        deadline = time.monotonic() + DRAIN_TIMEOUT
        while time.monotonic() < deadline:
            wanted = len(sent) - self.phase.rejected
            if all(len(listener["got"]) >= wanted for listener in self.listeners):
                break
            if time.monotonic() - self.last_frame > 2.0:
                break
            await asyncio.sleep(0.05)
        wall = time.monotonic() - cpu_start[3]
        cpu_end = self.servers.cpu(), redis_cpu(), time.process_time()
        lag_task.cancel()

        # A message TuneWave refused (rate limit) is not owed to anyone; every other one is.
        expected = sent & await asyncio.to_thread(saved_seqs, name) if self.phase.rejected else sent
        drops = sum(len(expected - listener["got"]) for listener in self.listeners)
        lat = sorted(self.phase.latencies_ms)
        first = sorted(self.phase.first_ms.values())
        return {
            "senders": len(senders),
            "sent": len(sent),
            "rejected": self.phase.rejected,
            "deliveries": len(lat),
            "drops": drops,
            "p50": percentile(lat, 50),
            "p95": percentile(lat, 95),
            "p99": percentile(lat, 99),
            "max": lat[-1] if lat else float("nan"),
            "first_p50": percentile(first, 50),
            "first_max": first[-1] if first else float("nan"),
            "daphne_cpu": 100 * (cpu_end[0] - cpu_start[0]) / wall,
            "redis_cpu": 100 * (cpu_end[1] - cpu_start[1]) / wall,
            "client_cpu": 100 * (cpu_end[2] - cpu_start[2]) / wall,
            "client_lag_p99": lag.p99(),
        }

    async def close(self) -> None:
        for listener in self.listeners:
            listener["task"].cancel()

        async def shut(ws):
            try:
                await asyncio.wait_for(ws.close(), 3)
            except Exception:  # noqa: BLE001, S110 - the server is about to stop anyway
                pass

        await asyncio.gather(*(shut(listener["ws"]) for listener in self.listeners))


class LoopLag:
    """How late this process's event loop wakes up: if it is busy, the figures are ours."""

    def __init__(self, tick: float = 0.005):
        self.tick = tick
        self.lags: list[float] = []

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(self.tick)
            self.lags.append((loop.time() - before - self.tick) * 1000)

    def p99(self) -> float:
        return percentile(sorted(self.lags), 99)


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    index = min(len(values) - 1, max(0, math.ceil(pct / 100 * len(values)) - 1))
    return values[index]


_redis_client = None


def redis_cpu() -> float:
    global _redis_client
    if _redis_client is None:
        _redis_client = redis.Redis.from_url(os.environ["REDIS_URL"])
    info = _redis_client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


# --- the run -------------------------------------------------------------------------------


async def run_config(config: str, args, room_id: str, tokens: list[str], logdir: Path) -> list[dict]:
    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()  # our db only: old groups, presence, limits
    servers = Servers(config, args.servers, logdir)
    bench = Bench(config, servers, room_id)
    rows = []
    try:
        for n in args.clients:
            connect_s = await bench.grow(tokens[:n])
            settle_s = await bench.settle()
            row = await bench.measure(f"{config}-{n}-{int(time.time())}", args.rate, args.seconds)
            row.update(
                config=config,
                n=len(bench.listeners),
                connect_s=connect_s,
                settle_s=settle_s,
                failures=bench.connect_failures,
                load=os.getloadavg()[0],
            )
            rows.append(row)
            print_row(row)
            deliveries = row["sent"] * row["n"]
            if not row["p99"] <= SATURATED_P99_MS or row["drops"] > 0.2 * deliveries:  # (nan: none arrived)
                skipped = [m for m in args.clients if m > n]
                if skipped:
                    print(f"{config:<14} saturated at N={n}: sizes {skipped} skipped", flush=True)
                break
    finally:
        await bench.close()
        servers.stop()
    return rows


HEADER = (
    f"{'config':<14}{'N':>5}{'conn s':>7}{'settle':>7}{'sent':>5}{'rej':>4}{'p50 ms':>8}{'p95 ms':>8}"
    f"{'p99 ms':>8}{'max ms':>8}{'1st50':>6}{'1stmx':>6}{'drops':>7}{'daphne%':>8}{'redis%':>7}{'client%':>8}{'lag99':>6}{'load':>6}"
)


def print_row(row: dict) -> None:
    print(
        f"{row['config']:<14}{row['n']:>5}{row['connect_s']:>7.1f}{row['settle_s']:>7.1f}{row['sent']:>5}"
        f"{row['rejected']:>4}{row['p50']:>8.1f}{row['p95']:>8.1f}{row['p99']:>8.1f}{row['max']:>8.1f}"
        f"{row['first_p50']:>6.1f}{row['first_max']:>6.0f}{row['drops']:>7}{row['daphne_cpu']:>8.0f}{row['redis_cpu']:>7.0f}{row['client_cpu']:>8.0f}"
        f"{row['client_lag_p99']:>6.1f}{row['load']:>6.1f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="10,100,200,500,1000", help="listener counts, growing")
    parser.add_argument("--rate", type=float, default=10.0, help="messages per second into the room")
    parser.add_argument("--seconds", type=float, default=6.0, help="sending time per size")
    parser.add_argument("--configs", default=DEFAULT_CONFIGS, help=f"any of {', '.join(CONFIGS)}")
    parser.add_argument("--servers", type=int, default=1, help="Daphne processes sharing the clients")
    parser.add_argument("--logdir", default="/tmp", help="where Daphne's output goes")
    args = parser.parse_args()
    args.clients = sorted(int(n) for n in args.clients.split(","))
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    unknown = set(configs) - set(CONFIGS)
    if unknown:
        parser.error(f"unknown configs: {', '.join(sorted(unknown))}")
    if args.rate / min(MAX_SENDERS, args.clients[0]) > 1:
        print("warning: more than 1 msg/s per sender; TuneWave's chat limit (5 per 5 s) will reject some")

    room_id, tokens = seed(max(args.clients))
    print(
        f"listeners {args.clients}; {args.rate:g} msg/s for {args.seconds:g} s per size, sent round-robin by the "
        f"first {MAX_SENDERS} listeners; {args.servers} Daphne process(es); Redis {os.environ['REDIS_URL']}; "
        f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    print(HEADER, flush=True)
    rows = []
    for config in configs:
        rows += asyncio.run(run_config(config, args, room_id, tokens, Path(args.logdir)))

    print("\nGoal: p99 <= 50 ms and no drops with 200 listeners at 10 msg/s.")
    for row in rows:
        if row["n"] == 200:
            ok = row["p99"] <= 50 and row["drops"] == 0 and row["rejected"] == 0
            verdict = "met" if ok else "NOT met"
            print(f"  {row['config']:<20} p99 {row['p99']:8.1f} ms, drops {row['drops']:>5}: {verdict}")


if __name__ == "__main__":
    main()

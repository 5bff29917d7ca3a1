"""A reconnect storm in one room: N listeners on two Daphne processes while chat goes on; one
process is SIGKILLed and restarted, then the other is restarted with SIGTERM.

    .venv/bin/python bench/ws_storm.py [--listeners 1000] [--rate 5] [--reconnect lb|home]

Services mode: PostgreSQL (DATABASE_URL, default `tunewave_wsbench`), Redis (REDIS_URL,
default db 12, flushed first) and, if CELERY_BROKER_URL is set, RabbitMQ — as deployed. Two
fresh Daphne processes (TuneWave, DEBUG off, pub/sub layer) on loopback; this one asyncio
process holds every listener (the `websockets` client), spread over the two processes.

Each listener behaves as the web app's room socket (frontend/src/realtime/roomSocket.ts):
on every open it sends `chat.resync` from the last message id it has seen (and pages while
`complete` is false, waiting out `rate_limited`); after any close it reconnects after the web
app's backoff (500 ms doubling to 30 s, "equal jitter": half fixed, half random), reset by the
first frame of a connection; a `busy` frame / 4429 close makes it wait `retry_after_ms` plus up
to a fifth more of jitter, instead of the backoff, as roomSocket.ts does (the server's delay is
jittered already). It keeps every chat message by id: one already
seen is dropped (counted: `dup resync` when a resync repeated a live one, which is expected,
`dup live` when the server sent the same message live twice, which is not).

`--reconnect lb` (default) reconnects through a stand-in for deploy/nginx.conf's upstream
(nginx's defaults): round-robin over the processes, on a refused connection the next one at
once, and a process that refused left out for 10 s; `home` retries the listener's own process
only (no balancer). The room first fills evenly, listener i on process i mod 2.

Meanwhile --senders members (not listeners) post chat over REST (`POST /chat/{room}`, the
same service and broadcast as the socket) at --rate messages a second, one at a time, each
retried with its client_msg_id on another process if a post fails.

The run: connect everyone and let it settle; start the sender; step 1: SIGKILL process 0 and
start it again at once; when every listener is back and resynced, step 2: SIGTERM process 1
(SIGKILL after --term-timeout), start it again. For each step it prints the seconds until
every listener was back (connected, first frame) and resynced (`chat.history` complete), the
closes seen by code, reconnect attempts and 4429 retries. At the end, after the sender stops
and deliveries drain: every message the database holds from this run must have reached every
listener exactly once (after dropping repeats by id): `lost` counts (listener, message) pairs
missing.
"""

import argparse
import asyncio
import json
import os
import random
import resource
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_broker = os.environ.get("CELERY_BROKER_URL", "")
from bench import ws_fanout  # noqa: E402  (sets the environment and Django up)

os.environ["CELERY_BROKER_URL"] = _broker  # the servers get RabbitMQ if asked; this process never enqueues

from websockets.asyncio.client import connect as ws_connect  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402

from bench.ws_fanout import HOST, LoopLag, cpu_seconds, free_port  # noqa: E402

CLOSE_BUSY = 4429
BACKOFF_BASE_MS = 500  # the web app's (frontend/src/realtime/backoff.ts)
BACKOFF_MAX_MS = 30_000
FILL_TIMEOUT = 600.0  # seconds for the room to fill before the storm
START_TIMEOUT = 60.0  # seconds for a Daphne process to answer /healthz
FILL_CONCURRENCY = 50  # joins in flight while the room first fills (not measured as a storm)
QUIET_BETWEEN = 3.0  # seconds of steady chat before, between and after the steps
DRAIN = 8.0  # seconds after the last post for deliveries to arrive
NGINX_FAIL_TIMEOUT = 10.0  # nginx's default: an upstream that refused is skipped this long


def backoff_ms(attempt: int) -> float:
    nominal = min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** max(0, attempt))
    return nominal / 2 + random.random() * nominal / 2


# --- processes -----------------------------------------------------------------------------


def server_command() -> list[str]:
    """Daphne as deployed: `python -m tunewave.serve` (Daphne with a graceful SIGTERM drain)
    where the code has it, plain `daphne` before that."""
    if (ROOT / "tunewave" / "serve.py").exists():
        return [sys.executable, "-m", "tunewave.serve"]
    return [str(Path(sys.executable).with_name("daphne"))]


class Daphne:
    """One TuneWave Daphne process on a fixed port, which can be killed and started again."""

    def __init__(self, index: int, logdir: Path):
        self.index = index
        self.port = free_port()
        self.logdir = logdir
        self.proc: subprocess.Popen | None = None
        self.cpu_before = 0.0  # CPU seconds of earlier lives of this process

    def start(self) -> None:
        env = {**os.environ, "CHANNEL_LAYER_BACKEND": "pubsub", "PYTHONUNBUFFERED": "1"}
        with open(self.logdir / f"ws_storm-{self.index}.log", "ab") as log:
            self.proc = subprocess.Popen(
                [*server_command(), "-b", HOST, "-p", str(self.port), "-v", "0", "tunewave.asgi:application"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def healthy(self) -> float:
        """Waits until /healthz answers; returns when (monotonic)."""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.proc is None or self.proc.poll() is not None:
                raise RuntimeError(f"daphne {self.index} exited; see {self.logdir}")
            try:
                await asyncio.to_thread(self._get_health)
                return time.monotonic()
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"daphne {self.index} did not start; see {self.logdir}") from None
                await asyncio.sleep(0.1)

    def _get_health(self) -> None:
        with urllib.request.urlopen(f"http://{HOST}:{self.port}/healthz", timeout=1):  # noqa: S310
            pass

    def cpu(self) -> float:
        """CPU seconds of this process over all its lives (the last reading, once it is gone)."""
        try:
            if self.proc is not None and self.proc.poll() is None:
                self._last = self.cpu_before + cpu_seconds(self.proc.pid)
        except (FileNotFoundError, ProcessLookupError):
            pass
        return self._last

    _last = 0.0

    def kill(self) -> None:
        self.cpu()
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.cpu_before = self._last

    async def terminate(self, timeout: float) -> tuple[float, bool]:
        """SIGTERM, then SIGKILL after `timeout`; returns (seconds to exit, whether it had to be killed)."""
        assert self.proc is not None
        start = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        while self.proc.poll() is None and time.monotonic() - start < timeout:
            self.cpu()
            await asyncio.sleep(0.05)
        killed = self.proc.poll() is None
        if killed:
            self.cpu()
            self.proc.kill()
        await asyncio.to_thread(self.proc.wait, 10)
        self.cpu_before = self._last
        return time.monotonic() - start, killed

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


# --- listeners -----------------------------------------------------------------------------


@dataclass
class Listener:
    index: int
    token: str
    home: int  # the process it first joins
    last_id: int  # the newest message id it has seen (its resync cursor)
    seen: set[int] = field(default_factory=set)
    seen_live: set[int] = field(default_factory=set)  # of those, the ones that came live
    on: int | None = None  # the process of its current connection
    connects: int = 0  # connections that got a first frame
    ready: bool = False  # connected, first frame, and its last resync complete
    ready_at: float = 0.0
    attempts: int = 0  # connection attempts after the first
    busy: int = 0  # 4429 retries
    dup_resync: int = 0
    dup_live: int = 0
    resync_pages: int = 0


class Storm:
    def __init__(self, args, room_id: str, tokens: list[str], servers: list[Daphne], base_id: int):
        self.args = args
        self.room_id = room_id
        self.servers = servers
        self.listeners = [
            Listener(index=i, token=t, home=i % len(servers), last_id=base_id) for i, t in enumerate(tokens)
        ]
        self.closes: Counter[str] = Counter()
        self.stopping = False
        self.fill_gate = asyncio.Semaphore(FILL_CONCURRENCY)
        self.filling = True
        self.round_robin = 0
        self.down_until = [0.0] * len(servers)

    def url(self, server: int, token: str) -> str:
        return f"ws://{HOST}:{self.servers[server].port}/ws/chat/{self.room_id}?token={token}"

    def _take(self, lis: Listener, message_id: int, *, live: bool) -> None:
        if message_id in lis.seen:
            if live and message_id in lis.seen_live:
                lis.dup_live += 1  # the server sent it live twice
            else:
                lis.dup_resync += 1  # a resync and the live broadcast overlapped: expected
            return
        lis.seen.add(message_id)
        if live:
            lis.seen_live.add(message_id)
        lis.last_id = max(lis.last_id, message_id)

    async def _open(self, lis: Listener, first: bool):
        """A connection through the "balancer": (socket or None, process)."""
        count = len(self.servers)
        if first or self.args.reconnect == "home":
            order = [lis.home]
        else:  # nginx's default upstream: round-robin, next upstream on a connect error,
            # a failed one left out for fail_timeout (10 s)
            start, self.round_robin = self.round_robin, self.round_robin + 1
            order = [(start + k) % count for k in range(count)]
            now = time.monotonic()
            order = [s for s in order if self.down_until[s] <= now] or order
        for server in order:
            try:
                ws = await ws_connect(
                    self.url(server, lis.token), open_timeout=30, close_timeout=2, ping_interval=None, compression=None
                )
                return ws, server
            except ConnectionRefusedError:
                self.closes["refused"] += 1
                self.down_until[server] = time.monotonic() + NGINX_FAIL_TIMEOUT
            except Exception as exc:  # noqa: BLE001 - reset, timed out, refused at HTTP: back off and retry
                status = getattr(getattr(exc, "response", None), "status_code", None)
                self.closes[f"handshake {status or type(exc).__name__}"] += 1
                return None, server
        return None, order[-1]

    async def life(self, lis: Listener) -> None:
        attempt = 0
        first = True
        while not self.stopping:
            gated = self.filling
            if gated:
                await self.fill_gate.acquire()
            released = not gated

            def release() -> None:
                nonlocal released
                if not released:
                    released = True
                    self.fill_gate.release()

            ws, server = await self._open(lis, first)
            first = False
            result = None
            if ws is not None:
                result = await self._connected(lis, ws, server, release)
            release()
            lis.on = None
            lis.ready = False
            if self.stopping:
                return
            if result == -1:  # it had been admitted: the web app's backoff starts from the bottom
                attempt = 0
            delay = backoff_ms(attempt)
            attempt += 1
            if result is not None and result >= 0:
                lis.busy += 1
                delay = result * (1 + random.random() * 0.2)  # roomSocket.ts: busy is not a failure
            lis.attempts += 1
            await asyncio.sleep(delay / 1000)

    async def _connected(self, lis: Listener, ws, server: int, admitted_now) -> int | None:
        """Runs one connection; returns the wait (ms) a busy server asked for, -1 if the
        connection had been admitted, None otherwise."""
        admitted = False
        busy_ms: int | None = None
        cursor = lis.last_id
        try:
            await ws.send(json.dumps({"type": "chat.resync", "after_id": cursor}))
            async for raw in ws:
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind == "busy":
                    wait = frame.get("retry_after_ms")
                    busy_ms = int(wait) if isinstance(wait, int | float) else 1000
                    continue
                if not admitted:
                    admitted = True
                    lis.connects += 1
                    lis.on = server
                    admitted_now()
                if kind == "chat.message":
                    self._take(lis, frame["id"], live=True)
                elif kind == "chat.history":
                    lis.resync_pages += 1
                    for message in frame["messages"]:
                        self._take(lis, message["id"], live=False)
                    if frame.get("complete", True):
                        lis.ready = True
                        lis.ready_at = time.monotonic()
                    else:
                        cursor = max(m["id"] for m in frame["messages"])
                        await ws.send(json.dumps({"type": "chat.resync", "after_id": cursor}))
                elif kind == "error" and frame.get("in_reply_to") == "chat.resync":
                    await asyncio.sleep(float(frame.get("retry_after") or 1))
                    await ws.send(json.dumps({"type": "chat.resync", "after_id": cursor}))
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd is not None else 1006
            self.closes[str(code)] += 1
            if code == CLOSE_BUSY and busy_ms is None:
                busy_ms = 1000
        if admitted:
            return -1
        return busy_ms

    def all_ready(self) -> bool:
        return all(lis.ready for lis in self.listeners)


# --- the sender ----------------------------------------------------------------------------


class Sender:
    """Posts chat over REST at a steady rate, one at a time, to whichever process answers."""

    def __init__(self, room_id: str, tokens: list[str], servers: list[Daphne], rate: float):
        self.room_id = room_id
        self.tokens = tokens
        self.servers = servers
        self.rate = rate
        self.prefer = 1  # the process not being restarted
        self.posted = 0
        self.refused = 0  # 429 and other 4xx: not stored, owed to no one
        self.gave_up = 0  # no process answered within 10 s (it may still have been stored)
        self.retries = 0
        self.stop = False

    def _post(self, port: int, token: str, text: str, client_msg_id: str) -> int:
        body = json.dumps({"text": text, "client_msg_id": client_msg_id}).encode()
        request = urllib.request.Request(  # noqa: S310 - loopback only
            f"http://{HOST}:{port}/chat/{self.room_id}",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    async def run(self, run_id: str) -> None:
        loop = asyncio.get_running_loop()
        begin = loop.time()
        seq = 0
        while not self.stop:
            delay = begin + seq / self.rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            token = self.tokens[seq % len(self.tokens)]
            msg_id = f"{run_id}-{seq}"
            text = f"storm {run_id} {seq}"
            deadline = time.monotonic() + 10
            tries = 0
            while True:
                server = self.servers[(self.prefer + tries) % len(self.servers)]
                try:
                    status = await asyncio.to_thread(self._post, server.port, token, text, msg_id)
                except OSError:
                    status = 0
                if status in (200, 201):
                    self.posted += 1
                    break
                if 400 <= status < 500:
                    self.refused += 1
                    break
                tries += 1
                self.retries += 1
                if time.monotonic() > deadline:
                    self.gave_up += 1
                    break
                await asyncio.sleep(0.1)
            seq += 1


# --- the run -------------------------------------------------------------------------------


def room_messages(room_id: str, base_id: int) -> set[int]:
    from django.db import connections

    from chat.models import Message

    ids = set(Message.objects.filter(room_id=room_id, id__gt=base_id).values_list("id", flat=True))
    connections.close_all()
    return ids


def newest_message_id(room_id: str) -> int:
    from django.db import connections
    from django.db.models import Max

    from chat.models import Message

    newest = Message.objects.filter(room_id=room_id).aggregate(m=Max("id"))["m"] or 0
    connections.close_all()
    return newest


async def wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.05)
    return condition()


async def step(storm: Storm, servers: list[Daphne], target: int, how: str, args) -> dict:
    """Restarts process `target` (SIGKILL or SIGTERM) and waits for every listener to be back."""
    on_target = [lis for lis in storm.listeners if lis.on == target]
    connects_before = {lis.index: lis.connects for lis in on_target}
    attempts_before = sum(lis.attempts for lis in storm.listeners)
    busy_before = sum(lis.busy for lis in storm.listeners)
    closes_before = Counter(storm.closes)
    cpu_before = sum(s.cpu() for s in servers)
    start = time.monotonic()
    exit_s, killed = 0.0, False
    if how == "SIGKILL":
        servers[target].kill()
    else:
        exit_s, killed = await servers[target].terminate(args.term_timeout)
    servers[target].start()
    up_at = await servers[target].healthy()

    def back() -> bool:
        moved = all(lis.connects > connects_before[lis.index] for lis in on_target)
        return moved and storm.all_ready()

    converged = await wait_until(back, args.step_timeout)
    done = time.monotonic()
    last_ready = max((lis.ready_at for lis in on_target), default=done) if converged else float("nan")
    closes = storm.closes - closes_before
    return {
        "step": f"{how} process {target}",
        "affected": len(on_target),
        "exit_s": exit_s,
        "killed": killed,
        "up_s": up_at - start,
        "back_s": (last_ready - start) if converged else float("nan"),
        "converged": converged,
        "timeout": args.step_timeout,
        "not_back": sum(1 for lis in storm.listeners if not lis.ready),
        "attempts": sum(lis.attempts for lis in storm.listeners) - attempts_before,
        "busy": sum(lis.busy for lis in storm.listeners) - busy_before,
        "closes": dict(closes),
        "daphne_cpu_s": sum(s.cpu() for s in servers) - cpu_before,
        "per_process": Counter(lis.on for lis in storm.listeners),
    }


async def run(args, room_id: str, tokens: list[str], base_id: int) -> None:
    listeners = args.listeners
    listener_tokens, sender_tokens = tokens[:listeners], tokens[listeners:]
    if os.environ.get("REDIS_URL"):
        import redis

        redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()  # our db only
    logdir = Path(args.logdir)
    servers = [Daphne(i, logdir) for i in range(2)]
    for server in servers:
        server.start()
    for server in servers:
        await server.healthy()
    print(
        f"{listeners} listeners on 2 Daphne processes ({'tunewave.serve' if len(server_command()) > 1 else 'plain daphne'}; ports "
        f"{servers[0].port}, {servers[1].port}); "
        f"{args.rate:g} msg/s over REST from {args.senders} members; reconnect: {args.reconnect}; "
        f"broker: {'RabbitMQ' if _broker else 'none'}; {os.cpu_count()} CPUs; load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    storm = Storm(args, room_id, listener_tokens, servers, base_id)
    sender = Sender(room_id, sender_tokens, servers, args.rate)
    lag = LoopLag()
    tasks = [asyncio.ensure_future(lag.run())]
    try:
        start = time.monotonic()
        tasks += [asyncio.ensure_future(storm.life(lis)) for lis in storm.listeners]
        filled = await wait_until(storm.all_ready, FILL_TIMEOUT)
        storm.filling = False
        print(
            f"filled: {sum(lis.ready for lis in storm.listeners)} of {listeners} in {time.monotonic() - start:.1f} s"
            f"{'' if filled else ' (timed out)'}; per process {dict(Counter(lis.on for lis in storm.listeners))}",
            flush=True,
        )
        tasks.append(asyncio.ensure_future(sender.run(f"r{int(time.time())}")))
        await asyncio.sleep(QUIET_BETWEEN)
        rows = []
        for target, how in ((0, "SIGKILL"), (1, "SIGTERM")):
            sender.prefer = 1 - target
            row = await step(storm, servers, target, how, args)
            rows.append(row)
            print_step(row)
            await asyncio.sleep(QUIET_BETWEEN)
        sender.stop = True
        # Stragglers still backing off get the time a step gets to come back and resync.
        waited = time.monotonic()
        everyone = await wait_until(storm.all_ready, args.step_timeout)
        waited = time.monotonic() - waited
        await asyncio.sleep(DRAIN)
        expected = await asyncio.to_thread(room_messages, room_id, base_id)
        storm.stopping = True
        out = [lis for lis in storm.listeners if not lis.ready]
        back = [lis for lis in storm.listeners if lis.ready]
        lost = sum(len(expected - lis.seen) for lis in back)
        short = sum(1 for lis in back if expected - lis.seen)
        extra = sum(len(lis.seen - expected) for lis in storm.listeners)
        print(
            f"\nafter the posts stopped: every listener back and resynced {waited:.1f} s later"
            if everyone
            else f"\nafter the posts stopped: {len(out)} listeners still not back after {waited:.0f} s more "
            f"(their {sum(len(expected - lis.seen) for lis in out)} missing deliveries are not counted as lost)",
            flush=True,
        )
        print(
            f"chat: {len(expected)} messages stored ({sender.posted} posted, {sender.refused} refused, "
            f"{sender.gave_up} given up, {sender.retries} post retries) -> owed {len(expected) * listeners} deliveries",
            flush=True,
        )
        print(
            f"lost {lost} (of the {len(back)} listeners back, missing any: {short}); unknown ids {extra}; "
            f"duplicates dropped by id: {sum(lis.dup_resync for lis in storm.listeners)} resync overlapping live, "
            f"{sum(lis.dup_live for lis in storm.listeners)} live repeats; "
            f"resync pages {sum(lis.resync_pages for lis in storm.listeners)}; client loop lag p99 {lag.p99():.0f} ms; "
            f"load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        ok = all(r["converged"] and r["back_s"] <= 15 for r in rows) and lost == 0 and not out
        print(
            f"Goal (issue 17): every listener resynced within 15 s of each restart, 0 lost: {'met' if ok else 'NOT met'}"
        )
    finally:
        storm.stopping = True
        sender.stop = True
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for server in servers:
            server.stop()


def print_step(row: dict) -> None:
    closes = ", ".join(f"{code}: {n}" for code, n in sorted(row["closes"].items()))
    converged = "" if row["converged"] else f" (NOT converged in {row['timeout']:.0f} s: {row['not_back']} not back)"
    exit_part = (
        f"; exited after {row['exit_s']:.1f} s{' (SIGKILLed)' if row['killed'] else ''}" if row["exit_s"] else ""
    )
    print(
        f"{row['step']}: {row['affected']} listeners on it{exit_part}; up again {row['up_s']:.1f} s after; "
        f"all back and resynced {row['back_s']:.1f} s after"
        f"{converged}; "
        f"reconnect attempts {row['attempts']}, 4429 retries {row['busy']}; closes {{{closes}}}; "
        f"Daphne CPU {row['daphne_cpu_s']:.1f} s; now per process {dict(row['per_process'])}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listeners", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=5.0, help="chat messages per second (REST)")
    parser.add_argument("--senders", type=int, default=10, help="members posting, round-robin (5 per 5 s each)")
    parser.add_argument("--reconnect", choices=("lb", "home"), default="lb")
    parser.add_argument("--step-timeout", type=float, default=180.0, help="seconds for a step to converge")
    parser.add_argument("--term-timeout", type=float, default=30.0, help="seconds after SIGTERM before SIGKILL")
    parser.add_argument("--logdir", default="/tmp", help="where Daphne's output goes")
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL") or os.environ["DATABASE_URL"].startswith("sqlite"):
        parser.error("the storm runs in services mode: PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)")
    if args.rate / args.senders > 1:
        parser.error("more than 1 msg/s per sender: the chat limit (5 per 5 s) would refuse some")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 2 * args.listeners + 512)), hard))
    room_id, tokens = ws_fanout.seed(args.listeners + args.senders)
    asyncio.run(run(args, room_id, tokens, newest_message_id(room_id)))


if __name__ == "__main__":
    main()

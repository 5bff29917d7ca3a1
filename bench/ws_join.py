"""Joining one room over real Daphne: N listeners into one room, beside the bare relay and a
bare ASGI app in the same run.

    .venv/bin/python bench/ws_join.py [--clients 200,500,1000] [--servers 1,2]
                                      [--configs tunewave,relay-pubsub,bare] [--modes paced,burst]

For each configuration, process count, mode and size, fresh Daphne process(es) start on
loopback and this one asyncio process (the `websockets` client) connects N listeners to one
room, spread round-robin over the processes:

  paced  at most --paced-concurrency (25, as bench/ws_fanout.py) handshakes in flight: the
         seconds until every handshake completed (`conn s`) and until every listener got its
         first frame (`first s`), then until the room went quiet for a second (`settle`).
  burst  a room opening to a crowd: --burst-concurrency (50) joins in flight at once, each
         from its handshake until its first frame; the seconds until every listener got its
         first frame.

`ms/join` is the server CPU (all Daphne processes, from /proc) from the first handshake until
the room is quiet, divided by N. A join is done at its first frame: TuneWave accepts the
handshake before admission and sends `playback.state` once admitted; the relay and the bare
app say hello on accept. A listener closed with 4429 (or first told `busy`) waits the
`retry_after_ms` it was given (1 s if none) plus up to as much again of jitter and tries
again: `retry` counts those. `drop` counts handshakes that failed (the server closed the
connection before answering, e.g. Daphne's 5 s handshake timeout on a busy loop, a reset or a
timeout): the listener retries after the web app's backoff, up to 5 times; `fail` counts
listeners that never joined. The table ends with TuneWave's figures as ratios to the relay's and the bare app's
in the same run, and the issue's goals.

Configurations (bench/ws_fanout.py's, renamed):
  tunewave      TuneWave's room socket (tunewave.asgi, DEBUG off), pub/sub channel layer
  relay-pubsub  bench/relay.py: a bare Channels consumer on the same layer, no Django ORM
  bare          bench/bare_asgi.py: a plain ASGI callable, no Django, no Channels

Data as in bench/ws_fanout.py: PostgreSQL (DATABASE_URL, default `tunewave_wsbench`) and Redis
(REDIS_URL, default db 12, flushed before each run). With DATABASE_URL=sqlite:///… and
REDIS_URL= (empty) it runs embedded (one process, in-memory layer; `bare` and `tunewave`
only), which is what tunewave/tests/test_bench_ws.py does at N=5.
"""

import argparse
import asyncio
import json
import os
import random
import re
import resource
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from websockets.asyncio.client import connect as ws_connect  # noqa: E402
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus  # noqa: E402

from bench import ws_fanout  # noqa: E402  (sets the environment and Django up)
from bench.ws_fanout import HOST, LoopLag, Servers  # noqa: E402

# ws_join's name: ws_fanout's configuration
CONFIGS = {"tunewave": "pubsub", "relay-pubsub": "relay-pubsub", "bare": "bare"}
CLOSE_BUSY = 4429
DEFAULT_BUSY_MS = 1000  # a 4429 without a `busy` frame naming the wait
MAX_ATTEMPTS = 30  # per listener, busy retries included
MAX_ERRORS = 5  # dropped handshakes per listener before it counts as failed
OPEN_TIMEOUT = 60.0
FIRST_FRAME_TIMEOUT = 60.0
RUN_TIMEOUT = 240.0  # one (configuration, size, mode) run, all listeners
QUIET = 1.0  # seconds without a frame: the room has settled
SETTLE_TIMEOUT = 60.0
FRAME_TYPE = re.compile(r'"type": ?"([a-z._]+)"')


def raise_fd_limit(listeners: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, 2 * listeners + 256))
    if want > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


@dataclass
class Run:
    """The sockets of one run, and what happened to them."""

    path: str
    ports: list[int]
    tokens: list[str]
    with_token: bool
    sockets: list = field(default_factory=list)
    readers: list = field(default_factory=list)
    opened: list[float] = field(default_factory=list)  # monotonic time of each handshake's end
    first: list[float] = field(default_factory=list)  # ... and of each first (non-busy) frame
    retries: int = 0
    dropped: int = 0  # handshakes that failed (closed before the answer, reset, timed out)
    failures: int = 0
    frames: int = 0
    kinds: Counter = field(default_factory=Counter)  # frames after the first, by type
    last_frame: float = 0.0

    def url(self, index: int) -> str:
        port = self.ports[index % len(self.ports)]
        query = f"?token={self.tokens[index]}" if self.with_token else ""
        return f"ws://{HOST}:{port}{self.path}{query}"

    async def _drain(self, ws) -> None:
        try:
            async for raw in ws:
                self.frames += 1
                kind = FRAME_TYPE.search(raw) if isinstance(raw, str) else None
                self.kinds[kind.group(1) if kind else "?"] += 1
                self.last_frame = time.monotonic()
        except ConnectionClosed:
            pass

    async def join(self, index: int, handshake_gate: asyncio.Semaphore | None, join_gate: asyncio.Semaphore | None):
        """One listener, until its first frame; retries a busy server after its wait, and a
        dropped handshake after the web app's backoff (a few times)."""
        errors = 0
        for _attempt in range(MAX_ATTEMPTS):
            try:
                wait_ms = await self._try(index, handshake_gate, join_gate)
            except Exception:  # noqa: BLE001 - a fault of the bench's own: counted, never silent
                wait_ms = -1
            if wait_ms is None:
                return
            if wait_ms >= 0:
                self.retries += 1
                await asyncio.sleep(wait_ms / 1000 * (1 + random.random()))  # noqa: S311 - jitter, not crypto
                continue
            self.dropped += 1
            errors += 1
            if errors > MAX_ERRORS:
                break
            nominal = min(30_000, 500 * 2 ** (errors - 1))  # frontend/src/realtime/backoff.ts
            await asyncio.sleep((nominal / 2 + random.random() * nominal / 2) / 1000)  # noqa: S311
        self.failures += 1

    async def _try(self, index, handshake_gate, join_gate) -> int | None:
        """None: joined. A wait in ms: busy, try again after it. -1: failed."""
        if join_gate is not None:
            await join_gate.acquire()
        try:
            try:
                if handshake_gate is not None:
                    async with handshake_gate:
                        ws = await ws_connect(
                            self.url(index),
                            open_timeout=OPEN_TIMEOUT,
                            close_timeout=2,
                            ping_interval=None,
                            compression=None,
                        )
                else:
                    ws = await ws_connect(
                        self.url(index),
                        open_timeout=OPEN_TIMEOUT,
                        close_timeout=2,
                        ping_interval=None,
                        compression=None,
                    )
            except InvalidStatus as exc:  # a server shedding at the HTTP handshake
                if exc.response.status_code in (429, 503):
                    retry = exc.response.headers.get("Retry-After")
                    return int(float(retry) * 1000) if retry else DEFAULT_BUSY_MS
                return -1
            except (OSError, TimeoutError, InvalidHandshake):  # refused, reset, closed or timed out
                return -1
            opened = time.monotonic()
            try:
                raw = await asyncio.wait_for(ws.recv(), FIRST_FRAME_TIMEOUT)
            except ConnectionClosed as exc:
                return DEFAULT_BUSY_MS if exc.rcvd is not None and exc.rcvd.code == CLOSE_BUSY else -1
            except TimeoutError:
                await ws.close()
                return -1
            busy = busy_wait_ms(raw)
            if busy is not None:
                await ws.close()
                return busy
            self.opened.append(opened)
            self.first.append(time.monotonic())
            self.frames += 1
            self.last_frame = time.monotonic()
            self.sockets.append(ws)
            self.readers.append(asyncio.ensure_future(self._drain(ws)))
            return None
        finally:
            if join_gate is not None:
                join_gate.release()

    async def close(self) -> None:
        for task in self.readers:
            task.cancel()

        async def shut(ws):
            try:
                await asyncio.wait_for(ws.close(), 3)
            except Exception:  # noqa: BLE001, S110 - the server is about to stop anyway
                pass

        await asyncio.gather(*(shut(ws) for ws in self.sockets))


def busy_wait_ms(raw) -> int | None:
    """The wait a `busy` frame asks for (ms), or None for any other frame."""
    if not isinstance(raw, str) or '"busy"' not in raw:
        return None
    frame = json.loads(raw)
    if frame.get("type") != "busy":
        return None
    wait = frame.get("retry_after_ms")
    return int(wait) if isinstance(wait, int | float) and wait >= 0 else DEFAULT_BUSY_MS


def flush_redis() -> None:
    if os.environ.get("REDIS_URL"):
        import redis

        redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()  # our db only


async def one_run(config: str, servers: int, mode: str, n: int, args, room_id: str, tokens: list[str]) -> dict:
    flush_redis()
    fanout_config = CONFIGS[config]
    procs = Servers(fanout_config, servers, Path(args.logdir))
    run = Run(
        path=ws_fanout.CONFIGS[fanout_config][2].format(room=room_id),
        ports=procs.ports,
        tokens=tokens,
        with_token=config == "tunewave",
    )
    lag = LoopLag()
    lag_task = asyncio.ensure_future(lag.run())
    try:
        cpu0, client0 = procs.cpu(), time.process_time()
        start = time.monotonic()
        if mode == "paced":
            gates = (asyncio.Semaphore(args.paced_concurrency), None)
        else:
            gates = (None, asyncio.Semaphore(args.burst_concurrency))
        tasks = [asyncio.ensure_future(run.join(i, *gates)) for i in range(n)]
        _done, pending = await asyncio.wait(tasks, timeout=RUN_TIMEOUT)
        for task in pending:
            task.cancel()
        run.failures += len(pending)
        joined_at = time.monotonic()
        while time.monotonic() - joined_at < SETTLE_TIMEOUT and time.monotonic() - run.last_frame < QUIET:
            await asyncio.sleep(0.05)
        settled = max(run.last_frame, joined_at)
        wall = time.monotonic() - start
        cpu = procs.cpu() - cpu0
        client_cpu = time.process_time() - client0
    finally:
        lag_task.cancel()
        await run.close()
        procs.stop()
    joined = len(run.first)
    return {
        "config": config,
        "servers": servers,
        "mode": mode,
        "n": n,
        "joined": joined,
        "conn_s": (max(run.opened) - start) if run.opened else float("nan"),
        "first_s": (max(run.first) - start) if run.first else float("nan"),
        "settle_s": settled - joined_at,
        "ms_join": 1000 * cpu / max(1, joined),
        "frames": run.frames,
        "kinds": run.kinds,
        "retries": run.retries,
        "dropped": run.dropped,
        "failures": run.failures,
        "client_cpu": 100 * client_cpu / wall,
        "lag99": lag.p99(),
        "load": os.getloadavg()[0],
    }


HEADER = (
    f"{'config':<13}{'proc':>5}{'mode':>7}{'N':>6}{'joined':>7}{'conn s':>8}{'first s':>8}{'settle':>7}"
    f"{'ms/join':>8}{'frames':>8}{'retry':>6}{'drop':>5}{'fail':>5}{'client%':>8}{'lag99':>7}{'load':>6}"
)


def print_row(row: dict) -> None:
    print(
        f"{row['config']:<13}{row['servers']:>5}{row['mode']:>7}{row['n']:>6}{row['joined']:>7}{row['conn_s']:>8.2f}"
        f"{row['first_s']:>8.2f}{row['settle_s']:>7.1f}{row['ms_join']:>8.2f}{row['frames']:>8}{row['retries']:>6}"
        f"{row['dropped']:>5}{row['failures']:>5}{row['client_cpu']:>8.0f}{row['lag99']:>7.1f}{row['load']:>6.1f}",
        flush=True,
    )
    if row["kinds"]:
        top = ", ".join(f"{kind} {count}" for kind, count in row["kinds"].most_common(5))
        print(f"{'':<13}  after the first frames: {top}", flush=True)


def ratio(a: float, b: float) -> str:
    if not (a == a and b == b) or b <= 0:  # nan
        return "-"
    return f"{a / b:.1f}x"


def print_ratios(rows: list[dict]) -> None:
    by = {(r["config"], r["servers"], r["mode"], r["n"]): r for r in rows}
    print("\nTuneWave against the floors in this run (first s: every listener's first frame):")
    print(
        f"{'proc':>5}{'mode':>7}{'N':>6}{'first s':>9}{'/relay':>8}{'/bare':>8}{'conn s':>8}{'/relay':>8}{'/bare':>8}"
        f"{'ms/join':>9}{'/relay':>8}{'/bare':>8}{'retry':>6}"
    )
    for (config, servers, mode, n), tw in sorted(by.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][3])):
        if config != "tunewave":
            continue
        relay = by.get(("relay-pubsub", servers, mode, n), {})
        bare = by.get(("bare", servers, mode, n), {})
        nan = float("nan")
        cells = ""
        for key in ("first_s", "conn_s", "ms_join"):
            cells += (
                f"{tw[key]:>{9 if key != 'conn_s' else 8}.2f}"
                f"{ratio(tw[key], relay.get(key, nan)):>8}{ratio(tw[key], bare.get(key, nan)):>8}"
            )
        print(f"{servers:>5}{mode:>7}{n:>6}{cells}{tw['retries']:>6}")
    print("\nGoals (issue 17), one process, 1,000 listeners:")
    paced = by.get(("tunewave", 1, "paced", 1000))
    paced_relay = by.get(("relay-pubsub", 1, "paced", 1000))
    if paced and paced_relay:
        r = paced["first_s"] / paced_relay["first_s"]
        print(f"  paced join within 3x the relay: {r:.1f}x -> {'met' if r <= 3 else 'NOT met'}")
    burst = by.get(("tunewave", 1, "burst", 1000))
    burst_bare = by.get(("bare", 1, "burst", 1000))
    if burst and burst_bare:
        r = burst["first_s"] / burst_bare["first_s"]
        print(f"  50 in flight within 5x the bare ASGI app: {r:.1f}x -> {'met' if r <= 5 else 'NOT met'}")
    if not ((paced and paced_relay) or (burst and burst_bare)):
        print("  (not measured in this run)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="200,500,1000", help="listener counts")
    parser.add_argument("--servers", default="1,2", help="Daphne process counts")
    parser.add_argument("--configs", default=",".join(CONFIGS), help=f"any of {', '.join(CONFIGS)}")
    parser.add_argument("--modes", default="paced,burst", help="paced and/or burst")
    parser.add_argument("--paced-concurrency", type=int, default=ws_fanout.CONNECT_CONCURRENCY)
    parser.add_argument("--burst-concurrency", type=int, default=50)
    parser.add_argument("--logdir", default="/tmp", help="where Daphne's output goes")
    args = parser.parse_args()
    sizes = sorted(int(n) for n in args.clients.split(","))
    server_counts = [int(s) for s in args.servers.split(",")]
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if set(configs) - set(CONFIGS) or set(modes) - {"paced", "burst"}:
        parser.error("unknown configs or modes")
    if not os.environ.get("REDIS_URL") and ("relay-pubsub" in configs or max(server_counts) > 1):
        parser.error("the relay and more than one process need Redis (REDIS_URL)")
    raise_fd_limit(max(sizes))

    room_id, tokens = ws_fanout.seed(max(sizes))
    print(
        f"listeners {sizes}; Daphne processes {server_counts}; paced: {args.paced_concurrency} handshakes in "
        f"flight, burst: {args.burst_concurrency} joins in flight; {os.cpu_count()} CPUs; load average "
        f"{os.getloadavg()[0]:.1f}; database {os.environ['DATABASE_URL'].split('@')[-1]}",
        flush=True,
    )
    print(HEADER, flush=True)
    rows = []
    for servers in server_counts:
        for mode in modes:
            for n in sizes:
                for config in configs:
                    row = asyncio.run(one_run(config, servers, mode, n, args, room_id, tokens))
                    rows.append(row)
                    print_row(row)
    print_ratios(rows)


if __name__ == "__main__":
    main()

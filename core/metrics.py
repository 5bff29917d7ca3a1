"""TuneWave's own Prometheus metrics, and the one registry view that `/metrics` renders.

Every metric the app defines is here, so the names a dashboard or an alert may use are in one
place (tunewave/tests/test_metrics.py checks deploy/grafana and deploy/prometheus against them).
Apps and `core/` count through the small functions below; the project wiring
(`tunewave/metrics.py`) counts sockets and Celery tasks and serves the page.

Several server processes (two Daphne, the Celery worker's children) each count their own
share. With `PROMETHEUS_MULTIPROC_DIR` set (the deployment sets it; see README "Metrics"),
prometheus_client keeps every process's values in memory-mapped files in that directory, and
a scrape of any one process reads them all: counters and histograms are summed over processes
(dead ones included, so totals never go back), the open-socket gauge is reported per live
process (`pid` label). Without it (the embedded default, the tests), each process reports its
own values.

Readings that are not counted but looked up (live rooms, listeners, the broker's queue) are
taken at scrape time by collectors registered with `register_scrape_collector`: they read
shared state, so the one process that is scraped reports them once.
"""

import glob
import os
import time
from collections.abc import Iterable
from typing import Any, Protocol

from django.db import transaction
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client.registry import REGISTRY

# Read once, as prometheus_client does when it is imported: a process is in multiprocess mode
# or not for its whole life.
MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
if MULTIPROC_DIR:
    os.makedirs(MULTIPROC_DIR, exist_ok=True)
    # A process whose pid an earlier (dead) one had must not inherit its live gauges.
    prometheus_multiprocess.mark_process_dead(os.getpid(), MULTIPROC_DIR)

# The key a published event carries its publishing time under, between the channel layer's
# serializer and its deserializer (core/layers.py); consumers never see it.
SENT_AT_KEY = "__tw_sent_at"

# Socket close codes a client may send that are kept as they are; any other is "other", so a
# client choosing codes cannot make new series. Codes the server sends are TuneWave's own.
_CLIENT_CLOSE_CODES = frozenset({1000, 1001, 1005, 1006, 1011, 1012})

SOCKETS_OPEN = Gauge(
    "tunewave_websocket_connections",
    "WebSocket connections open in this server process (accepted, not yet closed).",
    ["route"],
    multiprocess_mode="liveall",
)
SOCKETS_OPENED = Counter("tunewave_websocket_opened", "WebSocket connections accepted.", ["route"])
SOCKETS_CLOSED = Counter(
    "tunewave_websocket_closed",
    "WebSocket connections ended, by close code and by who closed (server: refused or closed by "
    "TuneWave, e.g. 4401, 4403, 4429, 4503; client: the code the client sent).",
    ["route", "code", "by"],
)
CHAT_MESSAGES = Counter("tunewave_chat_messages", "Chat messages stored (REST and socket), counted on commit.")
PLAYBACK_CHANGES = Counter(
    "tunewave_playback_changes",
    "Room playback state changes (play, pause, seek, skip, advance), by the status they leave.",
    ["status"],
)
BROADCAST_LATENCY = Histogram(
    "tunewave_broadcast_latency_seconds",
    "From an event's publication on the Redis channel layer to its arrival in a server process "
    "that holds sockets of the group (once per process and event; pub/sub layer only).",
    ["event"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
RATE_LIMITED = Counter(
    "tunewave_rate_limited",
    "Requests and socket frames refused by a rate limit (429 or the socket's rate_limited error).",
    ["limit"],
)
TASKS = Counter(
    "tunewave_celery_tasks", "Celery tasks run, by outcome (success, failure, retry...).", ["task", "outcome"]
)
TASK_DURATION = Histogram(
    "tunewave_celery_task_duration_seconds",
    "How long Celery tasks ran.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0),
)


# --- counting --------------------------------------------------------------------------------


def chat_message_stored() -> None:
    """Call inside the transaction that stores a message: counted if it commits."""
    transaction.on_commit(CHAT_MESSAGES.inc)


def playback_changed(*, status: str) -> None:
    """Call inside the transaction that changes a room's playback: counted if it commits."""
    transaction.on_commit(PLAYBACK_CHANGES.labels(status=status).inc)


def rate_limited(*, limit: str) -> None:
    RATE_LIMITED.labels(limit=limit).inc()


def socket_route(path: str) -> str:
    """A socket's route for labels: a handful of values, never an id."""
    if path.startswith(("/ws/chat/", "/ws/rooms/")):
        return "room"
    if path.startswith("/ws/notifications"):
        return "notifications"
    return "other"


def socket_opened(route: str) -> None:
    SOCKETS_OPENED.labels(route=route).inc()
    SOCKETS_OPEN.labels(route=route).inc()


def socket_closed(route: str, *, accepted: bool, code: int | None, by: str) -> None:
    if accepted:
        SOCKETS_OPEN.labels(route=route).dec()
    if code is None:
        label = "none"
    elif by == "client" and code not in _CLIENT_CLOSE_CODES:
        label = "other"
    else:
        label = str(code)
    SOCKETS_CLOSED.labels(route=route, code=label, by=by).inc()


def task_finished(*, task: str, outcome: str, seconds: float | None) -> None:
    TASKS.labels(task=task, outcome=outcome).inc()
    if seconds is not None:
        TASK_DURATION.labels(task=task).observe(seconds)


# --- broadcast latency -----------------------------------------------------------------------


def stamp_sent(message: dict[str, Any]) -> dict[str, Any]:
    """The message to publish: `message` plus its publication time (a copy; `message` is kept)."""
    return {**message, SENT_AT_KEY: time.time()}


def observe_received(event: Any) -> Any:
    """Takes the stamp off a received event (in place, before anyone else sees it) and records
    how long it travelled. Clocks of different hosts must agree (NTP) for this to mean much."""
    if isinstance(event, dict):
        sent_at = event.pop(SENT_AT_KEY, None)
        kind = event.get("type")
        if isinstance(sent_at, int | float) and isinstance(kind, str) and not kind.startswith("layer."):
            BROADCAST_LATENCY.labels(event=kind).observe(max(0.0, time.time() - sent_at))
    return event


# --- the page --------------------------------------------------------------------------------


class ScrapeCollector(Protocol):
    """prometheus_client's custom collector interface: `collect()` yields metric families;
    `describe()` yields the same families without samples (their names, read by the tests)."""

    def collect(self) -> Iterable[Any]: ...

    def describe(self) -> Iterable[Any]: ...


_scrape_collectors: list[ScrapeCollector] = []


def register_scrape_collector(collector: ScrapeCollector) -> None:
    """Adds readings taken at scrape time (by apps' `AppConfig.ready()`, or the wiring)."""
    if collector not in _scrape_collectors:
        _scrape_collectors.append(collector)


def scrape_collectors() -> list[ScrapeCollector]:
    return list(_scrape_collectors)


class _ThisProcess:
    """REGISTRY's metrics, for a process that is not in multiprocess mode."""

    def collect(self):
        return REGISTRY.collect()


def _reap_dead_processes(path: str) -> None:
    """Drops the live gauges of processes that died without saying so (a SIGKILLed Daphne):
    their open sockets are gone. Processes sharing the directory share a pid namespace (one
    host, or containers sharing one; README "Metrics"), so a pid that does not exist is dead."""
    pids = set()
    for name in glob.glob(os.path.join(path, "gauge_live*_*.db")):
        suffix = os.path.basename(name)[: -len(".db")].rsplit("_", 1)[-1]
        if suffix.isdigit():
            pids.add(int(suffix))
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            prometheus_multiprocess.mark_process_dead(pid, path)
        except PermissionError:  # alive, under another user
            pass


def scrape_registry(*, multiproc_dir: str | None = None) -> CollectorRegistry:
    """A registry holding every metric of every process (or of this process, outside
    multiprocess mode), plus the scrape-time readings."""
    path = MULTIPROC_DIR if multiproc_dir is None else multiproc_dir
    registry = CollectorRegistry(auto_describe=False)
    if path:
        _reap_dead_processes(path)
        prometheus_multiprocess.MultiProcessCollector(registry, path=path)
    else:
        registry.register(_ThisProcess())
    for collector in _scrape_collectors:
        registry.register(collector)
    return registry


def exported_names(registry: CollectorRegistry) -> set[str]:
    """Every sample name a scrape of `registry` can show: each family's name with the suffixes
    its type adds (`_total`, `_bucket`...), including families with no sample yet."""
    suffixes = {
        "counter": ("_total", "_created"),
        "histogram": ("_bucket", "_count", "_sum", "_created"),
        "summary": ("", "_count", "_sum", "_created"),
        "info": ("_info",),
    }
    families = list(registry.collect())
    for collector in _scrape_collectors:
        families += list(collector.describe())
    names: set[str] = set()
    for family in families:
        names |= {family.name + suffix for suffix in suffixes.get(family.type, ("",))}
        names |= {sample.name for sample in family.samples}
    return names

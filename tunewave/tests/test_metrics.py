"""/metrics: what an operator's Prometheus reads (content), who may read it (protection), one
view of several processes (multiprocess mode), and the dashboard and alert rules naming only
metrics the app exports (README "Metrics")."""

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest
import yaml
from channels.layers import get_channel_layer
from channels_redis.serializers import registry as serializers
from django.conf import settings
from django.test import Client
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from accounts.tests.factories import UserFactory
from chat.tests.conftest import connect, join
from conftest import client_for
from core import metrics
from core.background import enqueue
from core.layers import decode_once_format
from core.ratelimit import TokenBucket, hit
from music.tests.factories import TrackFactory
from rooms import presence
from rooms import services as room_services
from rooms.tests.factories import make_room
from tunewave.celery import app as celery_app

ROOT = Path(settings.BASE_DIR)
TOKEN = "metrics-token-for-tests-0123456789"  # noqa: S105 - a test value


@pytest.fixture(autouse=True)
def _metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN


def scrape(client: Client | None = None) -> dict[tuple[str, frozenset], float]:
    """{(sample name, labels): value} of one authorized scrape."""
    response = (client or Client()).get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


# --- protection --------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_is_not_there_without_a_token_setting(settings):
    settings.METRICS_TOKEN = ""
    client = Client()
    unknown = client.get("/no-such-page")

    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer "}, {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}):
        response = client.get("/metrics", **headers)
        assert response.status_code == 404
        assert response.content == unknown.content  # the answer of any unknown path


@pytest.mark.django_db
@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Bearer wrong-token-of-some-length", f"Basic {TOKEN}", f"Bearer {TOKEN}x", TOKEN],
)
def test_it_refuses_a_missing_or_wrong_bearer_with_a_404(authorization, caplog):
    client = Client()
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}

    response = client.get("/metrics", **headers)

    assert response.status_code == 404
    assert response.json() == client.get("/no-such-page").json()
    assert b"tunewave_" not in response.content
    assert TOKEN not in caplog.text


@pytest.mark.django_db
def test_it_answers_the_right_bearer_with_the_prometheus_page(caplog):
    response = Client().get("/metrics/", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert b"# TYPE tunewave_chat_messages_total counter" in response.content
    assert b"django_http_requests_latency_including_middlewares_seconds_bucket" in response.content
    assert TOKEN not in caplog.text


# --- content -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_counts_requests_by_status(api):
    before = scrape()
    Client().get("/no-such-page")
    after = scrape()

    assert value(after, "django_http_responses_total_by_status_total", status="404") == (
        value(before, "django_http_responses_total_by_status_total", status="404") + 1
    )


@pytest.mark.django_db
def test_it_counts_a_chat_message_once_it_is_stored(django_capture_on_commit_callbacks):
    alice = UserFactory(username="alice")
    room = make_room(owner=alice, name="Metrics Club")
    before = value(scrape(), "tunewave_chat_messages_total")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice).post(f"/chat/{room.pk}", {"text": "hello"}, format="json")
    assert response.status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        refused = client_for(alice).post(f"/chat/{room.pk}", {"text": ""}, format="json")
    assert refused.status_code == 400

    assert value(scrape(), "tunewave_chat_messages_total") == before + 1


@pytest.mark.django_db
def test_it_counts_playback_changes_by_the_status_they_leave(django_capture_on_commit_callbacks):
    owner = UserFactory(username="owner")
    room = make_room(owner=owner, name="Metrics Jazz")
    track = TrackFactory(name="So What")
    before = scrape()

    with django_capture_on_commit_callbacks(execute=True):
        room_services.queue_add(room=room, actor=owner, track=track)  # an idle room starts playing it
        room_services.playback_pause(room=room, actor=owner)
        room_services.playback_seek(room=room, actor=owner, position_ms=1000)
        room_services.playback_play(room=room, actor=owner)
        room_services.playback_play(room=room, actor=owner)  # playing already: no change

    after = scrape()
    for status, changes in (("playing", 2), ("paused", 2)):
        counted = value(after, "tunewave_playback_changes_total", status=status)
        assert counted == value(before, "tunewave_playback_changes_total", status=status) + changes


@pytest.mark.django_db
def test_it_counts_rate_limit_refusals_by_limit():
    before = scrape()
    for _ in range(3):
        hit(group="metrics.test", key="user:1", rate="2/m")
    bucket = TokenBucket(burst=1, per_second=0.01)
    bucket.take()
    bucket.take()

    after = scrape()
    assert value(after, "tunewave_rate_limited_total", limit="metrics.test") == 1
    assert value(after, "tunewave_rate_limited_total", limit="socket") == (
        value(before, "tunewave_rate_limited_total", limit="socket") + 1
    )


@celery_app.task(name="tunewave.tests.metrics_boom")
def boom() -> None:
    raise RuntimeError("boom")


@pytest.mark.django_db
def test_it_counts_task_outcomes_and_durations(monkeypatch):
    before = scrape()
    # As in a worker: the failure is the task's outcome, not an exception in the caller (an eager
    # task that propagates its exception ends before Celery's failure and postrun signals).
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", False)

    assert enqueue("tunewave.ping") is True
    assert enqueue("tunewave.tests.metrics_boom") is True

    after = scrape()
    for task, outcome in (("tunewave.ping", "success"), ("tunewave.tests.metrics_boom", "failure")):
        assert value(after, "tunewave_celery_tasks_total", task=task, outcome=outcome) == (
            value(before, "tunewave_celery_tasks_total", task=task, outcome=outcome) + 1
        )
        assert value(after, "tunewave_celery_task_duration_seconds_count", task=task) == (
            value(before, "tunewave_celery_task_duration_seconds_count", task=task) + 1
        )


@pytest.mark.django_db
def test_it_reads_live_rooms_and_listeners_at_scrape_time():
    presence.reset_local()
    presence.touch(room_id="room-a", user_id="alice", connection="1")
    presence.touch(room_id="room-a", user_id="alice", connection="2")  # a second tab
    presence.touch(room_id="room-a", user_id="bob", connection="3")
    presence.touch(room_id="room-b", user_id="carol", connection="4")
    try:
        samples = scrape()
    finally:
        for room, user, connection in (("room-a", "alice", "1"), ("room-a", "alice", "2")):
            presence.leave(room_id=room, user_id=user, connection=connection)
        presence.leave(room_id="room-a", user_id="bob", connection="3")
        presence.leave(room_id="room-b", user_id="carol", connection="4")
        presence.reset_local()

    if settings.REDIS_URL:  # shared Redis: other rooms may be live; ours are counted at least
        assert value(samples, "tunewave_rooms_live") >= 2
        assert value(samples, "tunewave_listeners_online") >= 3
    else:
        assert value(samples, "tunewave_rooms_live") == 2
        assert value(samples, "tunewave_listeners_online") == 3


@pytest.mark.django_db(transaction=True)
async def test_it_counts_sockets_opened_open_and_closed_by_code():
    from asgiref.sync import sync_to_async

    alice = await sync_to_async(UserFactory)(username="alice")
    room = await sync_to_async(make_room)(owner=alice, name="Metrics Room")
    read = sync_to_async(scrape)
    before = await read()

    socket = await join(alice, room.pk)
    during = await read()
    await socket.close()
    refused, _ = await connect(None, room.pk, token="not-a-token")  # noqa: S106 - a bad token on purpose
    assert (await refused.receive_output(timeout=5))["code"] == 4401
    await refused.wait()
    after = await read()

    assert value(during, "tunewave_websocket_connections", route="room") == (
        value(before, "tunewave_websocket_connections", route="room") + 1
    )
    assert value(after, "tunewave_websocket_connections", route="room") == value(
        before, "tunewave_websocket_connections", route="room"
    )
    assert value(after, "tunewave_websocket_opened_total", route="room") == (
        value(before, "tunewave_websocket_opened_total", route="room") + 2  # accepted, then told 4401
    )
    for code, by in (("1000", "client"), ("4401", "server")):
        assert value(after, "tunewave_websocket_closed_total", route="room", code=code, by=by) == (
            value(before, "tunewave_websocket_closed_total", route="room", code=code, by=by) + 1
        )


def test_a_client_cannot_invent_close_code_labels():
    before = metrics.SOCKETS_CLOSED.labels(route="room", code="other", by="client")._value.get()

    metrics.socket_closed("room", accepted=False, code=4999, by="client")

    assert metrics.SOCKETS_CLOSED.labels(route="room", code="other", by="client")._value.get() == before + 1


def test_broadcast_latency_is_stamped_on_publish_and_observed_once_on_receipt():
    serializer = serializers.get_serializer(decode_once_format("msgpack"))
    event = {"type": "chat.message", "text": "hi"}
    before = value(_registry_samples(), "tunewave_broadcast_latency_seconds_count", event="chat.message")

    published = serializer.serialize(event)
    received = serializer.deserialize(published)
    again = serializer.deserialize(published)  # the next local channel of the group: same event

    assert received == {"type": "chat.message", "text": "hi"}  # consumers never see the stamp
    assert again is received
    assert event == {"type": "chat.message", "text": "hi"}
    after = value(_registry_samples(), "tunewave_broadcast_latency_seconds_count", event="chat.message")
    assert after == before + 1


@pytest.mark.services
async def test_broadcast_latency_is_measured_through_redis(services_mode):
    layer = get_channel_layer()
    channel = await layer.new_channel()
    group = f"metrics-{uuid.uuid4().hex}"
    await layer.group_add(group, channel)
    before = value(_registry_samples(), "tunewave_broadcast_latency_seconds_count", event="metrics.test")

    await layer.group_send(group, {"type": "metrics.test", "n": 1})
    message = await layer.receive(channel)

    assert message == {"type": "metrics.test", "n": 1}
    after = _registry_samples()
    assert value(after, "tunewave_broadcast_latency_seconds_count", event="metrics.test") == before + 1
    assert value(after, "tunewave_broadcast_latency_seconds_sum", event="metrics.test") < 5
    await layer.group_discard(group, channel)
    await layer.flush()


def _registry_samples():
    text = generate_latest(metrics.scrape_registry()).decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value for f in text_string_to_metric_families(text) for s in f.samples
    }


# --- several processes -------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import os, sys
    import django
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tunewave.settings")
    django.setup()
    from core import metrics
    from core.background import enqueue
    from tunewave.celery import app

    for _ in range(int(sys.argv[1])):
        metrics.rate_limited(limit="multi")
    metrics.socket_opened("room")
    if sys.argv[2] == "task":
        app.conf.task_always_eager = True
        assert enqueue("tunewave.ping")
    print("ready", flush=True)
    sys.stdin.readline()  # stays alive (its socket open) until the test lets it go
    """
)


def test_multiprocess_mode_sums_counters_over_processes_and_drops_dead_ones_gauges(tmp_path, monkeypatch):
    directory = tmp_path / "metrics"
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory), "PYTHONPATH": str(ROOT)}
    env.pop("METRICS_TOKEN", None)
    writers = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", WRITER, count, kind],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for count, kind in (("3", "task"), ("4", "none"))
    ]
    try:
        for writer in writers:
            assert writer.stdout is not None
            assert writer.stdout.readline().strip() == "ready"
        monkeypatch.setattr(metrics, "MULTIPROC_DIR", str(directory))
        both = _registry_samples()

        writers[0].communicate("go\n", timeout=30)  # the first process exits
        one = _registry_samples()
    finally:
        for writer in writers:
            if writer.poll() is None:
                writer.communicate("go\n", timeout=30)

    assert value(both, "tunewave_rate_limited_total", limit="multi") == 7
    assert value(both, "tunewave_celery_tasks_total", task="tunewave.ping", outcome="success") == 1
    per_process = {
        dict(labels)["pid"]: v
        for (name, labels), v in both.items()
        if name == "tunewave_websocket_connections" and dict(labels).get("route") == "room"
    }
    assert per_process == {str(writers[0].pid): 1, str(writers[1].pid): 1}
    # A process that died: its counts stay in the totals, its open sockets are gone.
    assert value(one, "tunewave_rate_limited_total", limit="multi") == 7
    assert value(one, "tunewave_websocket_connections", route="room", pid=str(writers[0].pid)) == 0
    assert value(one, "tunewave_websocket_connections", route="room", pid=str(writers[1].pid)) == 1


# --- dashboard and alert rules -----------------------------------------------------------

_PROMQL_WORDS = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "and",
    "or",
    "unless",
    "bool",
    "offset",
}


def promql_metric_names(expression: str) -> set[str]:
    """The metric names an expression reads (functions, keywords, labels and strings left out)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expression)
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    text = re.sub(r"\$\w+", "", text)  # Grafana variables
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        following = text[match.end() :].lstrip()
        if following.startswith("(") or match.group() in _PROMQL_WORDS:
            continue
        names.add(match.group())
    return names


def test_the_promql_reader_finds_metrics_and_nothing_else():
    expression = (
        'histogram_quantile(0.95, sum by (le, view) (rate(a_bucket{status=~"5.."}[5m]))) '
        "/ on (job) b_total > 0.5 and max by (queue) (c) == 0"
    )
    assert promql_metric_names(expression) == {"a_bucket", "b_total", "c"}


def _dashboard_expressions() -> list[str]:
    found = []

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("expr"), str):
                found.append(node["expr"])
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(json.loads((ROOT / "deploy/grafana/tunewave.json").read_text()))
    return found


def _alert_expressions() -> list[str]:
    rules = yaml.safe_load((ROOT / "deploy/prometheus/alerts.yml").read_text())
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


@pytest.mark.django_db
def test_the_dashboard_and_the_alerts_name_only_metrics_the_app_exports():
    Client().get("/healthz")  # django-prometheus's request metrics exist once a request went through
    exported = metrics.exported_names(metrics.scrape_registry())
    dashboard, alerts = _dashboard_expressions(), _alert_expressions()
    assert len(dashboard) >= 15 and len(alerts) >= 4

    used = {name: expression for expression in dashboard + alerts for name in promql_metric_names(expression)}
    unknown = {name: expression for name, expression in used.items() if name not in exported}

    assert unknown == {}
    for needed in (
        "tunewave_websocket_connections",
        "tunewave_websocket_closed_total",
        "tunewave_rooms_live",
        "tunewave_listeners_online",
        "tunewave_chat_messages_total",
        "tunewave_playback_changes_total",
        "tunewave_broadcast_latency_seconds_bucket",
        "tunewave_rate_limited_total",
        "tunewave_celery_tasks_total",
        "tunewave_celery_task_duration_seconds_bucket",
        "tunewave_celery_queue_messages",
        "django_http_responses_total_by_status_total",
    ):
        assert needed in used, f"the dashboard or the alerts should show {needed}"


def test_the_alert_rules_pass_promtool():
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed (Debian's prometheus package; .ci/run installs it)")

    checked = subprocess.run(  # noqa: S603 - a fixed command
        [promtool, "check", "rules", "deploy/prometheus/alerts.yml"], cwd=ROOT, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run(  # noqa: S603 - a fixed command
        [promtool, "test", "rules", "deploy/prometheus/alerts.test.yml"], cwd=ROOT, capture_output=True, text=True
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_the_alerts_fire_on_the_trouble_they_are_for():
    """What alerts.test.yml covers: every alert of alerts.yml (a new alert gets a case there)."""
    cases = yaml.safe_load((ROOT / "deploy/prometheus/alerts.test.yml").read_text())
    tested = {case["alertname"] for test in cases["tests"] for case in test["alert_rule_test"] if case["exp_alerts"]}
    rules = yaml.safe_load((ROOT / "deploy/prometheus/alerts.yml").read_text())
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}

    assert alerts == tested


# --- the broker's queue ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_queue_reading_is_left_out_quickly_when_the_broker_does_not_answer(monkeypatch):
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    monkeypatch.setitem(celery_app.conf, "broker_url", "amqp://guest:guest@127.0.0.1:1//")
    monkeypatch.setitem(celery_app.conf, "broker_read_url", "amqp://guest:guest@127.0.0.1:1//")
    started = time.monotonic()

    samples = scrape()

    assert time.monotonic() - started < 3
    assert not any(name.startswith("tunewave_celery_queue_") for name, _ in samples)


@pytest.mark.services
def test_the_queue_reading_shows_the_brokers_backlog(services_mode, monkeypatch):
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    queue = celery_app.conf.task_default_queue
    with celery_app.connection_for_write() as conn:
        celery_app.amqp.queues[queue](conn.default_channel).declare()  # as Celery declares it

    samples = scrape()

    assert value(samples, "tunewave_celery_queue_messages", queue=queue) >= 0
    assert (("tunewave_celery_queue_consumers", frozenset({("queue", queue)}))) in samples

"""What an operator reads: one JSON line per request and per socket session, the request id from
nginx through the view into its tasks (eager and on a real worker), and no credential anywhere."""

import io
import json
import logging
import os
import subprocess
import sys
import time
import uuid
from importlib import import_module

import pytest
from django.conf import settings

from accounts.services import tokens_issue
from chat.tests.conftest import connect, join, token_for
from core.request_id import request_id_bind, request_id_unbind
from tunewave.celery import app, ping
from tunewave.logging import JsonFormatter, RedactTokensFilter, RequestIdFilter, sentry_before_send
from tunewave.tests import BASE_DIR
from tunewave.tests.celery_worker import celery_worker

BROKER_CONFIGURED = not settings.CELERY_TASK_ALWAYS_EAGER  # read before conftest forces eager mode


@pytest.fixture
def json_log():
    """The root handler as LOG_FORMAT=json configures it, writing to a buffer; returns the lines so far."""
    # Both run django.setup() the first time, which configures logging afresh and would drop the
    # handler below: importing the ASGI app, and Celery loading every app's tasks (enqueue by name).
    import_module("tunewave.asgi")
    app.loader.import_default_modules()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactTokensFilter())
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # Each test starts outside any request, whatever ran before it in this thread (a CI run once
    # found an id bound here by an earlier test; which one, a rerun did not show).
    outside = request_id_bind(None)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        request_id_unbind(outside)
        root.removeHandler(handler)
        root.setLevel(previous_level)


def access_lines(lines, event):
    return [line for line in lines if line.get("event") == event]


def test_a_request_writes_one_json_line_and_answers_with_its_request_id(json_log, api, alice):
    access = tokens_issue(user=alice)["access"]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")

    response = api.get("/rooms?search=jazz&ticket=t1ck3t", HTTP_X_REQUEST_ID="nginx-0123456789abcdef")

    assert response.status_code == 200
    assert response["X-Request-ID"] == "nginx-0123456789abcdef"
    [line] = access_lines(json_log(), "http_request")
    assert line["method"] == "GET"
    assert line["path"] == "/rooms"  # no query string
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert line["user_id"] == str(alice.pk)
    assert line["request_id"] == "nginx-0123456789abcdef"
    assert line["level"] == "INFO" and line["logger"] == "tunewave.access"


def test_a_hostile_or_missing_request_id_is_replaced_by_a_new_one(json_log, api):
    hostile = api.get("/healthz", HTTP_X_REQUEST_ID='x" injected\n{"level": "ERROR"}')
    missing = api.get("/healthz")

    for response in (hostile, missing):
        assert len(response["X-Request-ID"]) == 32
        int(response["X-Request-ID"], 16)
    assert hostile["X-Request-ID"] != missing["X-Request-ID"]
    lines = access_lines(json_log(), "http_request")
    assert [line["request_id"] for line in lines] == [hostile["X-Request-ID"], missing["X-Request-ID"]]
    assert all("user_id" not in line for line in lines)  # nobody signed in


def test_an_error_answer_is_logged_with_its_status(json_log, api):
    response = api.get("/no/such/endpoint")

    assert response.status_code == 404
    [line] = access_lines(json_log(), "http_request")
    assert line["status"] == 404
    assert line["request_id"] == response["X-Request-ID"]


@pytest.mark.django_db(transaction=True)  # real commits: the view's on-commit enqueue runs inside the request
def test_the_request_id_reaches_the_log_of_a_task_the_request_enqueued(json_log, api, alice, bob):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_issue(user=alice)['access']}")

    response = api.post("/friendships/send-request", {"user_id": str(bob.pk)}, format="json")

    assert response.status_code == 201, response.content
    request_id = response["X-Request-ID"]
    lines = json_log()
    task_lines = [line for line in lines if line["logger"] == "celery.app.trace" and "email_send" in line["message"]]
    assert task_lines, lines
    assert all(line["request_id"] == request_id for line in task_lines)


def test_a_task_outside_any_request_has_no_request_id(json_log):
    ping.apply_async()

    [line] = [line for line in json_log() if line["logger"] == "celery.app.trace"]
    assert "request_id" not in line


@pytest.mark.django_db(transaction=True)
async def test_a_socket_session_writes_one_line_with_its_close_code(json_log, people, public_room):
    member = people["member"]

    socket = await join(member, public_room.pk, path="rooms")
    await socket.ws.disconnect(code=1001)
    refused, _ = await connect(None, public_room.pk, token="not-a-token")
    assert (await refused.receive_output(timeout=5)) == {"type": "websocket.close", "code": 4401}
    await refused.disconnect()

    joined, rejected = access_lines(json_log(), "ws_session")
    assert joined["room_id"] == str(public_room.pk)
    assert joined["path"] == f"/ws/rooms/{public_room.pk}"
    assert joined["accepted"] is True
    assert joined["close_code"] == 1001 and joined["closed_by"] == "client"
    assert joined["user_id"] == str(member.pk)
    assert len(joined["request_id"]) == 32
    assert joined["duration_ms"] > 0
    assert rejected["close_code"] == 4401 and rejected["closed_by"] == "server"
    assert "user_id" not in rejected


@pytest.mark.django_db(transaction=True)
async def test_no_log_line_carries_a_token(json_log, people, public_room, api):
    member = people["member"]
    token = await token_for(member)

    socket = await join(member, public_room.pk, token=token)
    await socket.close()
    logging.getLogger("tunewave").info("WSCONNECT /ws/chat/%s?token=%s", public_room.pk, token)
    logging.getLogger("tunewave").warning("refused", extra={"url": "/auth/google/callback?code=4/0Ab&state=s7"})

    text = "\n".join(json.dumps(line) for line in json_log())
    assert token not in text
    assert "4/0Ab" not in text and "s7" not in text
    assert "token=[redacted]" in text


def test_the_json_format_is_chosen_by_LOG_FORMAT():
    script = (
        "import django, logging; django.setup(); "
        "print(type(logging.getLogger().handlers[0].formatter).__name__); "
        "logging.getLogger('tunewave').warning('hello ?ticket=abc')"
    )
    environment = {**os.environ, "LOG_FORMAT": "json", "DJANGO_SETTINGS_MODULE": "tunewave.settings"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=BASE_DIR, env=environment, capture_output=True, text=True, timeout=60
    )

    assert done.stdout.strip() == "JsonFormatter", done.stderr
    line = json.loads(done.stderr.strip().splitlines()[-1])
    assert line["message"] == "hello ?ticket=[redacted]"
    assert line["level"] == "WARNING"


def test_human_readable_logs_stay_the_default():
    handler = logging.getLogger().handlers[0]
    assert type(handler.formatter).__name__ == "HumanFormatter"


# --- a real worker (services mode) -------------------------------------------------------------


@pytest.fixture
def json_worker(tmp_path):
    """A worker on a queue of its own, writing JSON logs to a file."""
    if not BROKER_CONFIGURED:
        pytest.skip("services mode only: set CELERY_BROKER_URL to run a real worker")
    log_path = tmp_path / "worker.log"
    with celery_worker(log_path, prefix="tw-log", env={**os.environ, "LOG_FORMAT": "json"}) as (queue, _worker):
        yield queue, log_path


def test_a_real_worker_logs_the_request_id_of_the_request_that_enqueued(json_worker):
    queue, log_path = json_worker
    app.conf.task_always_eager = False  # conftest's fixture restores eager mode afterwards
    request_id = f"req-{uuid.uuid4().hex}"

    token = request_id_bind(request_id)
    try:
        result = ping.apply_async(queue=queue)
    finally:
        request_id_unbind(token)
    assert result.get(timeout=30) == "pong"

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = [json.loads(raw) for raw in log_path.read_text().splitlines() if raw.startswith("{")]
        done = [line for line in lines if line["logger"] == "celery.app.trace" and "tunewave.ping" in line["message"]]
        if done:
            break
        time.sleep(0.1)
    assert done, log_path.read_text()
    assert done[0]["request_id"] == request_id


# --- Sentry -----------------------------------------------------------------------------------


def test_sentry_events_lose_credentials():
    event = {
        "request": {
            "url": "https://tunewave.example/auth/google/callback?code=4/0Ab&state=s7",
            "query_string": "ticket=t1ck3t&token=eyJh.b.c&page=2",
            "headers": {"Authorization": "Bearer eyJh.b.c", "User-Agent": "test", "Cookie": "sessionid=abc"},
            "cookies": {"sessionid": "abc", "csrftoken": "def"},
        },
        "breadcrumbs": {"values": [{"message": "GET /ws/chat/1?token=eyJh.b.c"}]},
        "exception": {"values": [{"value": "bad request to /x?code=4/0Ab"}]},
    }

    cleaned = sentry_before_send(event, {})

    text = json.dumps(cleaned)
    for secret in ("4/0Ab", "s7", "t1ck3t", "eyJh.b.c", "sessionid=abc", '"abc"', '"def"'):
        assert secret not in text, secret
    assert cleaned["request"]["headers"]["User-Agent"] == "test"
    assert "page=2" in cleaned["request"]["query_string"]


def test_without_a_dsn_sentry_is_not_initialised():
    import sentry_sdk

    assert not settings.SENTRY_DSN
    assert not sentry_sdk.get_client().is_active()


def test_with_a_dsn_sentry_starts_without_personal_data_and_with_the_redaction():
    script = (
        "import django, sentry_sdk; django.setup(); client = sentry_sdk.get_client(); "
        "print(client.is_active(), client.options['send_default_pii'], client.options['before_send'].__name__)"
    )
    environment = {
        **os.environ,
        "SENTRY_DSN": "http://public@127.0.0.1:9/1",
        "DJANGO_SETTINGS_MODULE": "tunewave.settings",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=BASE_DIR, env=environment, capture_output=True, text=True, timeout=60
    )

    assert done.stdout.split() == ["True", "False", "sentry_before_send"], done.stderr

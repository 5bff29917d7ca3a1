"""The deployed topology, end to end (issue 18): `make stack-test` starts it (deploy/stack.sh up),
runs this file, and stops it.

Everything goes through nginx (https://127.0.0.1:8443, its certificate verified against the
stack's own self-signed one), except what only an operator can do: kill a process, read the
mail directory and the logs, and hold a database lock to catch a task mid-run. Tests run in
file order; the fault tests come after the plain ones, and the last one reads every log for
the credentials the run used.
"""

import json
import os
import re
import signal
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from email import message_from_bytes
from io import BytesIO
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parents[2]
STACK_DIR = Path(os.environ.get("STACK_DIR", ROOT / ".stack")).resolve()
STACK_SH = ROOT / "deploy" / "stack.sh"
ENV = dict(line.split("=", 1) for line in (STACK_DIR / "stack.env").read_text().splitlines() if "=" in line)
BASE = ENV["STACK_URL"]
HTTP_BASE = ENV["STACK_HTTP_URL"]
CERT = str(STACK_DIR / "tls" / "fullchain.pem")
MAIL_DIR = STACK_DIR / "mail"
LOGS = STACK_DIR / "logs"
UPSTREAM = "X-Stack-Upstream"  # added by stack.sh's copy of deploy/nginx.conf: which Daphne answered

# Every credential this run hands over; the last test looks for each in every log.
SECRETS: set[str] = set()


# --- helpers ------------------------------------------------------------------------------


def manage(*args: str, stdin: str | None = None) -> str:
    """A manage.py command with the stack's environment (as an operator on the host runs it)."""
    env = {**os.environ, **ENV, "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}"}
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def stack(*args: str) -> None:
    subprocess.run([str(STACK_SH), *args], check=True, timeout=120, env={**os.environ, "STACK_DIR": str(STACK_DIR)})


def pid(name: str) -> int:
    return int((STACK_DIR / "run" / f"{name}.pid").read_text())


def alive(process_id: int) -> bool:
    try:
        os.kill(process_id, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for(predicate, *, timeout: float, what: str, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Client:
    """One signed-in listener, talking to the stack through nginx only."""

    def __init__(self, access: str, refresh: str = ""):
        self.access = access
        SECRETS.update(s for s in (access, refresh) if s)
        # verify= on every call: a Session's own `verify` loses to REQUESTS_CA_BUNDLE.
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {access}"

    def get(self, path: str, **kw) -> requests.Response:
        return self.http.get(BASE + path, timeout=10, verify=CERT, **kw)

    def post(self, path: str, data: Any = None, **kw) -> requests.Response:
        return self.http.post(BASE + path, json=data, timeout=10, verify=CERT, **kw)

    def me(self) -> dict:
        return self.get("/users/me").json()

    def ticket(self) -> str:
        response = self.post("/auth/ws-ticket")
        assert response.status_code == 201, response.text
        ticket = response.json()["ticket"]
        SECRETS.add(ticket)
        return ticket

    def room_socket(self, room_id: str) -> "Socket":
        return Socket(connect_room(room_id, self.ticket()))


def tls() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=CERT)


def connect_room(room_id: str, credential: str) -> ClientConnection:
    ws_base = BASE.replace("https://", "wss://")
    return connect(
        f"{ws_base}/ws/chat/{room_id}?token={credential}", ssl=tls(), origin=BASE, open_timeout=10, close_timeout=2
    )


class Socket:
    """A room socket that keeps the chat messages it has seen."""

    def __init__(self, ws: ClientConnection):
        self.ws = ws
        # nginx lists every Daphne it tried ("a, b" when a was down): the last one took it.
        self.upstream = ws.response.headers[UPSTREAM].split(", ")[-1]
        self.chat: list[dict] = []

    def send(self, frame: dict) -> None:
        self.ws.send(json.dumps(frame))

    def next(self, kind: str, timeout: float = 10, **match) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            frame = json.loads(self.ws.recv(timeout=max(0.01, deadline - time.monotonic())))
            if frame["type"] == "chat.message":
                self.chat.append(frame)
            if frame["type"] == kind and all(frame.get(k) == v for k, v in match.items()):
                return frame

    def say(self, text: str) -> dict:
        client_msg_id = str(uuid.uuid4())
        self.send({"type": "chat.message", "text": text, "client_msg_id": client_msg_id})
        return self.next("chat.message", client_msg_id=client_msg_id)

    def close(self) -> None:
        self.ws.close()


def dev_login(email: str) -> Client:
    response = requests.post(BASE + "/auth/dev/login", json={"email": email}, verify=CERT, timeout=10)
    assert response.status_code in (200, 201), response.text
    body = response.json()
    return Client(body["access"], body["refresh"])


def issued(email: str) -> Client:
    """A user made on the host with `manage.py issue_token --create` (saves the sign-in limit)."""
    return Client(manage("issue_token", "--create", email).strip())


def mails() -> list[Any]:
    return [message_from_bytes(path.read_bytes().split(b"\n" + b"-" * 79)[0]) for path in sorted(MAIL_DIR.glob("*"))]


def mails_to(address: str, subject: str | None = None) -> list[Any]:
    return [m for m in mails() if m["To"] == address and (subject is None or m["Subject"] == subject)]


@pytest.fixture(scope="module")
def run_id() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def alice(run_id) -> Client:
    return dev_login(f"alice-{run_id}@example.com")


@pytest.fixture(scope="module")
def bob(run_id) -> Client:
    return issued(f"bob-{run_id}@example.com")


@pytest.fixture(scope="module")
def room(alice, bob) -> str:
    response = alice.post("/rooms/", {"name": f"Stack {uuid.uuid4().hex[:6]}", "description": "", "genres": ["jazz"]})
    assert response.status_code == 201, response.text
    room_id = response.json()["id"]
    assert bob.post(f"/rooms/{room_id}/join").status_code in (200, 201)
    return room_id


def reconnect(client: Client, room_id: str, *, attempts: int = 5) -> Socket:
    """As the socket clients do after a drop: a new ticket each time, backing off on a refusal."""
    for attempt in range(attempts):
        try:
            return client.room_socket(room_id)
        except InvalidStatus:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5 * 2**attempt)
    raise AssertionError("unreachable")


def socket_on(client: Client, room_id: str, upstream: str, *, tries: int = 16) -> Socket:
    """A socket held by the given Daphne: nginx balances round-robin, so a few tries find it.
    Each try is two requests (the ticket, then the upgrade), which can fall into step with the
    round-robin and send every upgrade to the same process: a miss adds one request to break
    the step."""
    for _ in range(tries):
        socket = client.room_socket(room_id)
        if socket.upstream == upstream:
            socket.next("presence")
            return socket
        try:
            socket.close()
        except ConnectionClosed:  # already gone; this one is not wanted anyway
            pass
        client.get("/healthz")
    raise AssertionError(f"no socket landed on {upstream} in {tries} tries")


# --- the topology -------------------------------------------------------------------------


def test_it_redirects_plain_http_to_https_and_answers_probes_on_both():
    response = requests.get(HTTP_BASE + "/rooms/?page=2", allow_redirects=False, timeout=10)

    assert response.status_code == 301
    assert response.headers["Location"] == BASE + "/rooms/?page=2"
    assert requests.get(HTTP_BASE + "/healthz", timeout=10).json() == {"status": "ok"}


def test_it_answers_health_and_readiness_through_nginx_with_production_headers():
    health = requests.get(BASE + "/healthz", verify=CERT, timeout=10)
    ready = requests.get(BASE + "/readyz", verify=CERT, timeout=10)

    assert health.status_code == 200
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "cache": "ok", "channel_layer": "ok", "broker": "ok"}
    assert "max-age=31536000" in ready.headers["Strict-Transport-Security"]  # DEBUG is off
    assert ready.headers["Server"] == "nginx"  # no version (server_tokens off)


def test_check_deploy_says_the_dev_login_is_on():
    """The test stack signs in with TUNEWAVE_DEV_LOGIN=1; a real deployment never does, and the
    release step's `manage.py check --deploy` says so."""
    release = (LOGS / "release.log").read_text()

    assert ("tunewave.W001" in release) == (ENV.get("TUNEWAVE_DEV_LOGIN") == "1")


def test_it_balances_requests_over_both_daphne_processes():
    upstreams = {requests.get(BASE + "/healthz", verify=CERT, timeout=10).headers[UPSTREAM] for _ in range(8)}

    assert upstreams == {"127.0.0.1:8001", "127.0.0.1:8002"}


def test_it_serves_the_api_with_a_token_and_refuses_it_without(alice, run_id):
    assert alice.me()["email"] == f"alice-{run_id}@example.com"
    anonymous = requests.get(BASE + "/users/me", verify=CERT, timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"


def test_chat_reaches_a_socket_held_by_the_other_daphne(alice, bob, room):
    on_first = socket_on(alice, room, "127.0.0.1:8001")
    on_second = socket_on(bob, room, "127.0.0.1:8002")
    try:
        sent = on_first.say("across the processes")

        heard = on_second.next("chat.message", id=sent["id"])

        assert heard["text"] == "across the processes"
    finally:
        on_first.close()
        on_second.close()


def test_nginx_serves_an_uploaded_avatar_with_nosniff_and_ranges(alice):
    image = BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 90)).save(image, format="PNG")
    response = alice.post("/users/me/avatar", files={"avatar_file": ("me.png", image.getvalue(), "image/png")})
    assert response.status_code == 200, response.text
    url = next(v for k, v in response.json().items() if "avatar" in k and isinstance(v, str) and v)
    assert url.startswith(BASE + "/media/")

    whole = requests.get(url, verify=CERT, timeout=10)
    part = requests.get(url, headers={"Range": "bytes=0-9"}, verify=CERT, timeout=10)

    assert whole.status_code == 200
    assert whole.headers["X-Content-Type-Options"] == "nosniff"
    assert UPSTREAM not in whole.headers or whole.headers[UPSTREAM] == ""  # from disk, not from Daphne
    assert whole.headers["Content-Type"].startswith("image/")
    assert part.status_code == 206
    assert part.content == whole.content[:10]
    assert part.headers["Content-Range"] == f"bytes 0-9/{len(whole.content)}"


def test_nginx_serves_hashed_static_files_with_long_cache_headers():
    manifest = json.loads((STACK_DIR / "staticfiles" / "staticfiles.json").read_text())["paths"]

    response = requests.get(f"{BASE}/static/{manifest['admin/css/base.css']}", verify=CERT, timeout=10)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/css")
    assert "max-age=2592000" in response.headers["Cache-Control"]  # 30 days
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Expires" in response.headers


def test_the_worker_sends_the_mail_a_friend_request_produces(alice, bob, run_id):
    response = bob.post("/friendships/send-request", {"user_id": alice.me()["id"]})
    assert response.status_code == 201, response.text

    [mail] = wait_for(
        lambda: mails_to(f"alice-{run_id}@example.com", "TuneWave: New friend request"),
        timeout=30,
        what="the friend-request e-mail",
    )

    assert f"bob-{run_id} wants to be your friend." in mail.get_payload()
    assert f"Open TuneWave: {BASE}/app/" in mail.get_payload()


BACKDATED_EMAIL = """
from datetime import timedelta
from django.utils import timezone
from accounts.models import User
from social.models import OutgoingEmail
user = User.objects.get(email={email!r})
email = OutgoingEmail.objects.create(user=user, to_email=user.email, subject={subject!r}, body="Sent by the sweep.", kind="friend_request")
OutgoingEmail.objects.filter(pk=email.pk).update(created_at=timezone.now() - timedelta(minutes=5))
print(email.pk)
"""

SWEEP_EVERY = """
from django_celery_beat.models import IntervalSchedule, PeriodicTask
every, _ = IntervalSchedule.objects.get_or_create(every={seconds}, period=IntervalSchedule.SECONDS)
PeriodicTask.objects.filter(name="social-emails-requeue").update(interval=every)
from django_celery_beat.models import PeriodicTasks
PeriodicTasks.update_changed()
"""


def test_beat_runs_the_outbox_sweep_that_sends_a_forgotten_mail(alice, run_id):
    """An unsent outbox row whose enqueue was lost (none was made here) is sent by the periodic
    sweep: beat schedules it, the worker runs it. The sweep runs every minute; this run makes it
    every 2 s the way an admin would (django-celery-beat's table), and puts it back after."""
    subject = f"Swept {run_id}"
    manage("shell", "-c", BACKDATED_EMAIL.format(email=f"alice-{run_id}@example.com", subject=subject))
    manage("shell", "-c", SWEEP_EVERY.format(seconds=2))
    try:
        wait_for(lambda: mails_to(f"alice-{run_id}@example.com", subject), timeout=45, what="the swept e-mail")
    finally:
        manage("shell", "-c", SWEEP_EVERY.format(seconds=60))
    assert "Sending due task social-emails-requeue" in (LOGS / "beat.log").read_text()


# --- metrics ------------------------------------------------------------------------------


def scrape(authorization: str | None = None) -> requests.Response:
    headers = {"Authorization": authorization} if authorization else {}
    return requests.get(BASE + "/metrics", headers=headers, verify=CERT, timeout=10)


def samples(page: str, name: str) -> list[Any]:
    return [
        sample for family in text_string_to_metric_families(page) for sample in family.samples if sample.name == name
    ]


def test_metrics_are_a_404_without_the_bearer_token_or_with_a_wrong_one():
    for authorization in (None, "Bearer " + "x" * 43, f"Basic {ENV['METRICS_TOKEN']}"):
        response = scrape(authorization)

        assert response.status_code == 404, authorization
        assert "tunewave_" not in response.text


def test_metrics_show_open_sockets_of_both_daphne_processes_and_the_worker_s_tasks(alice, bob, room):
    """Multiprocess mode (README "Metrics"): whichever Daphne nginx sends the scrape to reads
    the files of all three processes. Runs after the friend-request mail, which the worker sent."""
    on_first = socket_on(alice, room, "127.0.0.1:8001")
    on_second = socket_on(bob, room, "127.0.0.1:8002")
    try:
        pages: dict[str, requests.Response] = {}  # a scrape answered by each Daphne
        for _ in range(8):
            response = scrape(f"Bearer {ENV['METRICS_TOKEN']}")
            pages.setdefault(response.headers[UPSTREAM], response)
            if len(pages) == 2:
                break
    finally:
        on_first.close()
        on_second.close()

    assert set(pages) == {"127.0.0.1:8001", "127.0.0.1:8002"}
    for response in pages.values():
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        open_sockets = {
            int(s.labels["pid"]): s.value
            for s in samples(response.text, "tunewave_websocket_connections")
            if s.labels["route"] == "room"
        }
        assert {p for p, value in open_sockets.items() if value >= 1} == {pid("web-1"), pid("web-2")}
        sent = [
            s.value
            for s in samples(response.text, "tunewave_celery_tasks_total")
            if s.labels == {"task": "social.tasks.email_send", "outcome": "success"}
        ]
        assert sent and sent[0] >= 1  # one series: summed over the worker's pool processes


# --- the request id -------------------------------------------------------------------------


def json_lines(name: str) -> list[dict]:
    lines = []
    for line in (LOGS / name).read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except ValueError:
                pass
    return lines


def nginx_line(request_id: str) -> str | None:
    """The access-log line nginx wrote for a request: its format ends with $request_id."""
    lines = (LOGS / "tunewave.access.log").read_text().splitlines()
    return next((line for line in lines if line.endswith(" " + request_id)), None)


def test_a_request_carries_nginx_s_request_id_into_the_daphne_access_line(alice):
    response = alice.get("/users/me")
    request_id = response.headers["X-Request-ID"]
    daphne_log = {"127.0.0.1:8001": "web-1.log", "127.0.0.1:8002": "web-2.log"}[response.headers[UPSTREAM]]

    line = wait_for(lambda: nginx_line(request_id), timeout=10, what="nginx's access line")
    [access] = wait_for(
        lambda: [
            e for e in json_lines(daphne_log) if e.get("request_id") == request_id and e.get("event") == "http_request"
        ],
        timeout=10,
        what="Daphne's JSON access line",
    )

    # nginx's line ends with its own $request_id: had Daphne not been sent it, the app's id
    # (made afresh) would be in no nginx line.
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert '"GET /users/me HTTP/1.1" 200' in line
    assert (access["method"], access["path"], access["status"]) == ("GET", "/users/me", 200)
    assert access["user_id"] == str(alice.me()["id"])


def test_the_request_id_of_a_friend_request_reaches_the_worker_s_log_of_its_mail(alice, run_id):
    carol = issued(f"carol-{run_id}@example.com")
    response = carol.post("/friendships/send-request", {"user_id": alice.me()["id"]})
    assert response.status_code == 201, response.text
    request_id = response.headers["X-Request-ID"]
    wait_for(
        lambda: [m for m in mails_to(f"alice-{run_id}@example.com") if f"carol-{run_id}" in m.get_payload()],
        timeout=30,
        what="carol's friend-request e-mail",
    )

    task_lines = wait_for(
        lambda: [e for e in json_lines("worker.log") if e.get("request_id") == request_id],
        timeout=10,
        what="the worker's log lines of the task",
    )

    assert any("social.tasks.email_send" in e["message"] for e in task_lines), task_lines
    assert nginx_line(request_id) and '"POST /friendships/send-request HTTP/1.1" 201' in nginx_line(request_id)


# --- faults -------------------------------------------------------------------------------


def test_sockets_of_a_killed_daphne_reconnect_to_the_other_and_lose_nothing(alice, bob, room):
    victim, survivor = "127.0.0.1:8001", "127.0.0.1:8002"
    on_victim = socket_on(alice, room, victim)
    on_survivor = socket_on(bob, room, survivor)
    last_seen = on_victim.say("before the crash")["id"]

    stack("kill", "web-1")
    with pytest.raises(ConnectionClosed):
        on_victim.next("never")
    while_away = on_survivor.say("while you were away")
    # The socket client's reconnect: a new ticket, through nginx, which skips the dead process.
    back = reconnect(alice, room)
    back.next("presence")
    back.send({"type": "chat.resync", "after_id": last_seen})
    history = back.next("chat.history")
    after = on_survivor.say("after the reconnect")
    back.next("chat.message", id=after["id"])

    assert back.upstream == survivor
    assert [m["id"] for m in history["messages"]] == [while_away["id"]]
    assert history["complete"] is True
    assert [m["id"] for m in back.chat] == [after["id"]]
    back.close()
    on_survivor.close()
    stack("start", "web-1")
    wait_for(
        lambda: (
            {requests.get(BASE + "/readyz", verify=CERT, timeout=5).headers[UPSTREAM] for _ in range(4)}
            == {victim, survivor}
        ),
        timeout=30,
        what="web-1 back behind nginx",
        every=0.5,
    )


@pytest.fixture
def outbox_lock() -> Iterator[psycopg.Connection]:
    """A connection that will hold social_outgoingemail in EXCLUSIVE mode (`lock_outbox`): a send
    task then blocks on its first query, before sending anything, until the lock goes. That is
    how a test catches a task mid-run."""
    conn = psycopg.connect(ENV["DATABASE_URL"])
    yield conn
    conn.close()


def blocked_backends(conn: psycopg.Connection) -> list[int]:
    rows = conn.execute(
        "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE %s AND pid <> pg_backend_pid()",
        ["%social_outgoingemail%"],
    ).fetchall()
    return [row[0] for row in rows]


def queued_mail_behind_lock(lock: psycopg.Connection, email: str, subject: str) -> str:
    """An outbox row; then the lock; then its send task on the broker (the service's own enqueue)."""
    row = manage("shell", "-c", BACKDATED_EMAIL.format(email=email, subject=subject).replace("minutes=5", "minutes=0"))
    email_id = row.strip().splitlines()[-1]  # after the shell's own "N objects imported" line
    lock.execute("LOCK TABLE social_outgoingemail IN EXCLUSIVE MODE")
    manage("shell", "-c", f"from social.services import email_enqueue; assert email_enqueue(email_id={email_id!r})")
    return email_id


def attempts(conn: psycopg.Connection, email_id: str) -> tuple[int, bool]:
    with psycopg.connect(ENV["DATABASE_URL"]) as other:
        row = other.execute(
            "SELECT attempts, sent_at IS NOT NULL FROM social_outgoingemail WHERE id = %s", [email_id]
        ).fetchone()
    assert row is not None
    return row[0], row[1]


def test_a_task_whose_worker_is_killed_runs_once_on_the_next_worker(alice, run_id, outbox_lock):
    address, subject = f"alice-{run_id}@example.com", f"Killed {run_id}"
    with psycopg.connect(ENV["DATABASE_URL"], autocommit=True) as watch:
        email_id = queued_mail_behind_lock(outbox_lock, address, subject)
        wait_for(lambda: blocked_backends(watch), timeout=20, what="the send task to start")

        stack("kill", "worker")
        # The dead worker's database session waits on, unaware; end it as PostgreSQL would
        # once it noticed the client gone.
        for backend in blocked_backends(watch):
            watch.execute("SELECT pg_terminate_backend(%s)", [backend])
        stack("start", "worker")
        wait_for(lambda: blocked_backends(watch), timeout=60, what="the redelivered task on the new worker")
        outbox_lock.rollback()  # let it run

        wait_for(lambda: mails_to(address, subject), timeout=30, what="the redelivered mail")
        time.sleep(2)  # a second delivery would land by now

        assert len(mails_to(address, subject)) == 1
        assert attempts(watch, email_id) == (1, True)


def test_sigterm_lets_the_running_task_finish_before_the_worker_exits(alice, run_id, outbox_lock):
    address, subject = f"alice-{run_id}@example.com", f"Drained {run_id}"
    worker = pid("worker")
    with psycopg.connect(ENV["DATABASE_URL"], autocommit=True) as watch:
        email_id = queued_mail_behind_lock(outbox_lock, address, subject)
        wait_for(lambda: blocked_backends(watch), timeout=20, what="the send task to start")

        os.kill(worker, signal.SIGTERM)  # what `docker stop` sends: to the main process only
        time.sleep(3)
        assert alive(worker), "the worker left while its task was still running"
        assert mails_to(address, subject) == []
        outbox_lock.rollback()

        wait_for(lambda: not alive(worker), timeout=30, what="the worker to exit after its task")
        assert len(mails_to(address, subject)) == 1
        assert attempts(watch, email_id) == (1, True)
    stack("start", "worker")


def test_oauth_callbacks_and_sockets_with_credentials_in_the_url_are_answered(alice, room):
    """Feeds the log check below: an OAuth callback with a code and state, and a socket opened
    with an access token rather than a ticket (both in the query string)."""
    code, state = f"oauth-code-{uuid.uuid4().hex}", f"oauth-state-{uuid.uuid4().hex}"
    SECRETS.update((code, state))
    for provider in ("google", "spotify"):
        response = requests.get(
            f"{BASE}/auth/{provider}/callback?code={code}&state={state}",
            verify=CERT,
            timeout=10,
            allow_redirects=False,
        )
        assert response.status_code < 500
    with connect_room(room, alice.access) as ws:
        assert json.loads(ws.recv(timeout=10))["type"]


def test_no_log_holds_a_token_ticket_oauth_code_or_the_metrics_token():
    assert len(SECRETS) >= 10, "the earlier tests did not run"
    SECRETS.update((ENV["SECRET_KEY"], ENV["METRICS_TOKEN"]))
    logs = sorted(LOGS.glob("*.log"))
    names = {p.name for p in logs}
    assert {"tunewave.access.log", "nginx.error.log", "web-1.log", "web-2.log", "worker.log", "beat.log"} <= names
    access_log = (LOGS / "tunewave.access.log").read_text()
    assert re.search(r'"GET /ws/chat/[0-9a-f-]+ HTTP/1.1" 101', access_log), "socket upgrades are logged"

    found = [(p.name, s[:12] + "…") for p in logs for s in SECRETS if s in p.read_text(errors="replace")]

    assert found == []

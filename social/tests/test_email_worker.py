"""E-mail through a real Celery worker on RabbitMQ: sent, never lost, never doubled (services mode only).

Each test starts `celery -A tunewave worker` subprocesses (prefork, one child: the production
pool) on a queue of their own, against the test database (the tests are `transaction=True`: what
they commit, the worker sees), this run's Redis (task results) and RabbitMQ. `email_send` is
routed to that queue by wrapping its `apply_async` here, so nobody else's worker takes these tasks.
(Not the solo pool: with acks_late and prefetch 1 it leaves a delivered message unread until its
next timer tick, up to 10 s with --without-heartbeat.)

Shown:
- a friend request (API call) makes the worker send the e-mail (file backend) and stamp `sent_at`;
- with this process pointed at a closed broker port, API calls that send mail all answer 201 at
  once; once the broker is back, the sweep re-queues every e-mail (twice, before a worker runs, so
  each is queued twice) and each goes out exactly once;
- a worker killed in the middle of sending neither loses the e-mail nor sends it twice, and a
  second delivery of the same e-mail running concurrently sends nothing.

How "killed mid-send" is checked: the worker sends over SMTP to a small server in this process
that holds each session at DATA (envelope given, message not yet handed over) until the test lets
it go. Meanwhile the outbox row is locked (this process cannot take it with SKIP LOCKED). The
test SIGKILLs the whole worker, or only the pool child running the task, sees the lock go
(PostgreSQL rolled the transaction back when the connection died), releases the server, and
waits: the message was never acknowledged (`acks_late`), so RabbitMQ hands it to the next worker
when the killed one's connection drops, or, when only the child died, the worker requeues it
(`task_reject_on_worker_lost`). The server then receives the message once, with `attempts == 1`
(the killed attempt left nothing behind).

The remaining window: sending and writing `sent_at` are not atomic. A worker killed after the
SMTP server accepted the message (its 250 reply to the end of DATA) but before the commit leaves
the row unsent, and the redelivery sends it again. Its Message-ID is the outbox id both times, so
a mail store that deduplicates on Message-ID shows one. These tests do not kill there.
"""

import os
import re
import signal
import socketserver
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection, transaction

from accounts.tests.factories import UserFactory
from social import tasks
from social.models import OutgoingEmail
from tunewave.celery import app, ping
from tunewave.tests import BASE_DIR, clean_env

# Read at import, before conftest's autouse fixture forces eager mode for each test.
SERVICES = (
    not settings.CELERY_TASK_ALWAYS_EAGER
    and bool(settings.REDIS_URL)
    and settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
)

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not SERVICES, reason="services mode only (DATABASE_URL, REDIS_URL, CELERY_BROKER_URL)"),
]

HOST = "127.0.0.1"
WAIT = 30.0  # seconds, for anything a worker has to do
START_WAIT = 90.0  # seconds for a worker to come up (Django and Celery start slowly on a busy machine)
CLOSED_BROKER = f"amqp://guest:guest@{HOST}:1//"
MESSAGE_ID = re.compile(rb"^Message-ID: <([^@>]+)@tunewave>", re.MULTILINE | re.IGNORECASE)


# --- workers -------------------------------------------------------------------------------


def _database_url() -> str:
    conf = connection.settings_dict  # inside a django_db test: the test database
    auth = quote(conf["USER"] or "postgres")
    if conf.get("PASSWORD"):
        auth += ":" + quote(conf["PASSWORD"])
    return f"postgres://{auth}@{conf['HOST'] or HOST}:{conf['PORT'] or 5432}/{conf['NAME']}"


def _kill(proc: subprocess.Popen) -> None:
    """SIGKILLs a worker and its pool children (it leads its own process group)."""
    if proc.returncode is None:  # not reaped yet, so its group id is still its own
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(timeout=WAIT)


class Workers:
    """Celery workers consuming one queue of their own; `email_url` is their EMAIL_URL."""

    def __init__(self, tmp_path: Path):
        self.queue = f"tw-mail-test-{uuid.uuid4().hex[:12]}"
        self.tmp_path = tmp_path
        self.email_url = "dummymail://"
        self.procs: list[tuple[subprocess.Popen, Path]] = []

    def start(self, count: int = 1) -> list[subprocess.Popen]:
        """Starts `count` workers and returns once each consumes the queue."""
        started = [self._spawn() for _ in range(count)]
        for proc, log in started:
            self.wait_for(lambda log=log: b" ready." in log.read_bytes(), f"worker {proc.pid} to start", START_WAIT)
        return [proc for proc, _ in started]

    def _spawn(self) -> tuple[subprocess.Popen, Path]:
        name = f"{self.queue}-{len(self.procs)}"
        env = clean_env(
            DATABASE_URL=_database_url(),
            REDIS_URL=settings.REDIS_URL,
            CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
            CELERY_RESULT_BACKEND=settings.CELERY_RESULT_BACKEND,
            EMAIL_URL=self.email_url,
        )
        log = self.tmp_path / f"{name}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "tunewave", "worker", "-P", "prefork", "-c", "1"]
                + ["-Q", self.queue, "-n", f"{name}@%h", "--without-gossip", "--without-mingle"]
                + ["--without-heartbeat", "-l", "info"],
                cwd=BASE_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.procs.append((proc, log))
        return proc, log

    def stop(self) -> None:
        for proc, _ in self.procs:
            _kill(proc)

    def logs(self) -> str:
        parts = []
        for proc, log in self.procs:
            state = "running" if proc.poll() is None else f"exited with {proc.returncode}"
            parts.append(f"--- worker {proc.pid} ({state}):\n{log.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)

    def wait_for(self, check, what: str, timeout: float = WAIT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if value := check():
                return value
            time.sleep(0.05)
        pytest.fail(f"waited {timeout:.0f} s for {what}\n{self.logs()}")

    def drain(self) -> None:
        """Returns once a worker has run everything queued before now (one consumer: FIFO)."""
        try:
            assert ping.apply_async(queue=self.queue).get(timeout=WAIT) == "pong"
        except Exception as exc:  # noqa: BLE001 - show the workers' side
            pytest.fail(f"the worker did not drain its queue ({exc!r})\n{self.logs()}")


@pytest.fixture
def workers(_eager_celery, tmp_path, monkeypatch):
    app.conf.task_always_eager = False  # conftest's fixture restores eager mode afterwards
    workers = Workers(tmp_path)
    send = tasks.email_send.apply_async

    def to_test_queue(*args, **kwargs):
        kwargs.setdefault("queue", workers.queue)
        return send(*args, **kwargs)

    monkeypatch.setattr(tasks.email_send, "apply_async", to_test_queue)
    try:
        yield workers
    finally:
        workers.stop()
        with app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
            conn.default_channel.queue_delete(workers.queue)


@contextmanager
def broker_at(url: str):
    """Points this process's Celery app at another broker, as a restart with a new URL would."""
    saved = app.conf.broker_url, app.conf.broker_write_url

    def switch(broker_url, write_url):
        app.conf.broker_url, app.conf.broker_write_url = broker_url, write_url
        app._pool = None  # what Celery does after a fork: forget the connection and producer pools
        app.amqp._producer_pool = None

    switch(url, url)
    try:
        yield
    finally:
        switch(*saved)


# --- where the mail lands ------------------------------------------------------------------


def mail_files(directory: Path) -> Counter:
    """Times each outbox id was written by the file backend (it may append several to one file)."""
    found: Counter[str] = Counter()
    for path in directory.glob("*.log"):
        found.update(match.decode() for match in MESSAGE_ID.findall(path.read_bytes()))
    return found


def filemail_url(directory: Path) -> str:
    # django-environ drops the path's first "/": filemail:///tmp/x would write to ./tmp/x.
    return f"filemail:///{directory}"


class SmtpServer(socketserver.ThreadingTCPServer):
    """A minimal SMTP server on 127.0.0.1. Records the outbox id of each message it accepts.

    While `release` is clear, every session waits at DATA, i.e. in the middle of the sender's
    `message.send()`; `reached_data` counts the sessions that got there.
    """

    daemon_threads = True

    def __init__(self):
        super().__init__((HOST, 0), _SmtpSession)
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.release.set()
        self.reached_data = 0
        self.received: list[str] = []

    @property
    def url(self) -> str:
        return f"smtp://{HOST}:{self.server_address[1]}"


class _SmtpSession(socketserver.StreamRequestHandler):
    timeout = WAIT

    def say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        try:
            self.converse()
        except OSError:
            pass  # the client died: nothing was accepted

    def converse(self):
        server = self.server
        self.say("220 test ESMTP")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb == b"DATA":
                with server.lock:
                    server.reached_data += 1
                server.release.wait(WAIT)
                self.say("354 end with <CRLF>.<CRLF>")
                data = b""
                while (chunk := self.rfile.readline()) != b".\r\n":
                    if not chunk:
                        return  # the client vanished mid-message: not accepted
                    data += chunk
                match = MESSAGE_ID.search(data)
                with server.lock:
                    server.received.append(match.group(1).decode() if match else "?")
                self.say("250 accepted")
            elif verb == b"QUIT":
                self.say("221 bye")
                return
            else:  # EHLO, MAIL FROM, RCPT TO, RSET, NOOP
                self.say("250 ok")


@pytest.fixture
def smtp():
    server = SmtpServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=WAIT)


# --- helpers -------------------------------------------------------------------------------


def befriend(client, user) -> None:
    response = client.post("/friendships/send-request", {"user_id": str(user.pk)}, format="json")
    assert response.status_code == 201, response.content


def is_sent(email: OutgoingEmail) -> bool:
    email.refresh_from_db()
    return email.sent_at is not None


def row_locked(email: OutgoingEmail) -> bool:
    with transaction.atomic():
        return not OutgoingEmail.objects.select_for_update(skip_locked=True).filter(pk=email.pk).exists()


def pool_child(worker: subprocess.Popen) -> int:
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
    assert len(children) == 1, children  # -c 1: the one process running tasks
    return int(children[0])


# --- tests ---------------------------------------------------------------------------------


def test_a_friend_request_is_mailed_by_a_real_worker(workers, tmp_path, alice, bob, as_user):
    outbox = tmp_path / "mail"
    workers.email_url = filemail_url(outbox)
    workers.start()

    befriend(as_user(alice), bob)

    email = OutgoingEmail.objects.get()
    assert email.to_email == bob.email
    workers.wait_for(lambda: is_sent(email), "the e-mail to be sent")
    assert mail_files(outbox) == {str(email.pk): 1}
    written = b"".join(path.read_bytes() for path in outbox.glob("*.log"))
    assert b"To: bob@example.com" in written
    assert b"Subject: TuneWave: New friend request" in written
    assert email.attempts == 1


def test_a_broker_outage_fails_no_api_call_and_loses_no_email(workers, tmp_path, alice, as_user):
    outbox = tmp_path / "mail"
    workers.email_url = filemail_url(outbox)
    people = [UserFactory() for _ in range(4)]
    client = as_user(alice)

    seconds = []
    with broker_at(CLOSED_BROKER):
        for person in people:
            started = time.monotonic()
            befriend(client, person)
            seconds.append(time.monotonic() - started)
    print("API call times during the outage (s):", ", ".join(f"{s:.3f}" for s in seconds))
    assert max(seconds) < 2, seconds  # one refused connection each, not kombu's ~6 s reconnect loop

    emails = list(OutgoingEmail.objects.all())
    assert len(emails) == len(people)
    assert all(email.sent_at is None for email in emails)

    # The broker is back. Age the rows past REQUEUE_AFTER and sweep twice before any worker
    # runs: every e-mail is now queued twice.
    OutgoingEmail.objects.update(created_at=emails[0].created_at - tasks.REQUEUE_AFTER * 2)
    assert tasks.emails_requeue() == len(emails)
    assert tasks.emails_requeue() == len(emails)

    workers.start()
    workers.drain()

    assert mail_files(outbox) == {str(email.pk): 1 for email in emails}
    assert all(is_sent(email) and email.attempts == 1 for email in emails)
    assert tasks.emails_requeue() == 0


@pytest.mark.parametrize("killed", ["worker", "pool child"])
def test_a_worker_killed_mid_send_neither_loses_the_email_nor_sends_it_twice(
    killed, workers, smtp, alice, bob, as_user
):
    workers.email_url = smtp.url
    smtp.release.clear()  # hold every SMTP session at DATA
    [worker] = workers.start()

    befriend(as_user(alice), bob)

    email = OutgoingEmail.objects.get()
    workers.wait_for(lambda: smtp.reached_data == 1, "the worker to be in the middle of sending")
    assert row_locked(email)  # its transaction holds the row while the mail goes out
    if killed == "worker":
        _kill(worker)  # the whole worker: its broker and database connections die with it
    else:
        os.kill(pool_child(worker), signal.SIGKILL)  # only the process running the task
    workers.wait_for(lambda: not row_locked(email), "PostgreSQL to roll back the killed transaction")
    email.refresh_from_db()
    assert (email.sent_at, email.attempts, smtp.received) == (None, 0, [])

    smtp.release.set()
    if killed == "worker":
        workers.start()  # RabbitMQ hands the unacknowledged message to the next worker
    workers.wait_for(lambda: is_sent(email), "the redelivered task to send the e-mail")
    workers.drain()

    assert smtp.received == [str(email.pk)]
    assert smtp.reached_data == 2  # two attempts got as far as DATA; one message went through
    assert email.attempts == 1


def test_a_concurrent_second_delivery_of_the_same_email_sends_nothing(workers, smtp, alice, bob, as_user):
    workers.email_url = smtp.url
    smtp.release.clear()
    workers.start(count=2)

    befriend(as_user(alice), bob)

    email = OutgoingEmail.objects.get()
    workers.wait_for(lambda: smtp.reached_data == 1, "one worker to be in the middle of sending")
    # That worker holds its one unacknowledged message (prefetch 1), so the duplicate goes to the
    # other worker, which finds the row locked and skips it.
    duplicate = tasks.email_send.apply_async(args=[str(email.pk)], ignore_result=False)
    assert duplicate.get(timeout=WAIT) is False
    assert (smtp.reached_data, smtp.received) == (1, [])

    smtp.release.set()
    workers.wait_for(lambda: is_sent(email), "the first delivery to send the e-mail")
    late = tasks.email_send.apply_async(args=[str(email.pk)], ignore_result=False)
    assert late.get(timeout=WAIT) is False  # the row is sent: nothing to do

    assert smtp.received == [str(email.pk)]
    assert smtp.reached_data == 1
    assert email.attempts == 1

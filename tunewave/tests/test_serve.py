"""`python -m tunewave.serve` (the Procfile's `web`): on SIGTERM it stops accepting, closes
every socket with 4503 so clients reconnect elsewhere, and exits 0 within WS_DRAIN_SECONDS.

A real server process on 127.0.0.1, on a database of its own (a migrated SQLite file, no
Redis): what is tested is the process's own stop, the same in both modes.
"""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from core.testing.redis_server import free_port

websockets = pytest.importorskip("websockets", reason="websockets is a dev requirement (requirements-dev.txt)")
from websockets.asyncio.client import ClientConnection  # noqa: E402
from websockets.asyncio.client import connect as ws_connect  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
DRAIN_SECONDS = 5
SOCKETS = 4

# Migrates the server's database and makes a room, a listener and their tokens.
SETUP = """
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0, interactive=False)
from accounts.services import tokens_issue
from accounts.tests.factories import UserFactory
from rooms.tests.factories import make_room
owner = UserFactory(username="owner")
room = make_room(owner=owner, name="Drain")
print(json.dumps({"room": str(room.pk), "tokens": [tokens_issue(user=owner)["access"] for _ in range(%d)]}))
"""


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "tunewave.settings",
        "DEBUG": "1",
        "SECRET_KEY": "drain-test-secret-key-drain-test-secret-key",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "WS_DRAIN_SECONDS": str(DRAIN_SECONDS),
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


def _wait_healthy(proc: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"the server did not answer /healthz:\n{log.read_text(errors='replace')[-3000:]}")


async def _listen(url: str) -> tuple[ClientConnection, asyncio.Task]:
    socket = await ws_connect(url, open_timeout=10)
    await asyncio.wait_for(socket.recv(), timeout=10)  # admitted: playback.state

    async def until_closed() -> int | None:
        try:
            async for _ in socket:
                pass
        except ConnectionClosed:
            pass
        return socket.close_code

    return socket, asyncio.ensure_future(until_closed())


def test_on_sigterm_every_socket_closes_with_4503_and_the_server_exits_within_the_bound(tmp_path):
    env = _env(tmp_path)
    made = subprocess.run(
        [sys.executable, "-c", SETUP % SOCKETS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert made.returncode == 0, made.stderr[-3000:]
    fixture = json.loads(made.stdout.strip().splitlines()[-1])
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tunewave.serve", "-b", HOST, "-p", str(port), "tunewave.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_healthy(proc, port, log)

        async def scenario() -> tuple[list[int | None], float]:
            url = f"ws://{HOST}:{port}/ws/chat/{fixture['room']}?token="
            listening = [await _listen(url + token) for token in fixture["tokens"]]
            # Chat on the way to every socket while they close: a socket closed under its
            # consumer must drop the frame, not fail (it did, with a traceback per socket).
            for socket, _ in listening:
                for n in range(5):
                    await socket.send(json.dumps({"type": "chat.message", "text": f"last words {n}"}))
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            codes = await asyncio.wait_for(asyncio.gather(*(task for _, task in listening)), timeout=DRAIN_SECONDS)
            return codes, started

        codes, started = asyncio.run(scenario())
        assert codes == [4503] * SOCKETS
        exit_code = proc.wait(timeout=DRAIN_SECONDS + 2)
        assert exit_code == 0, log.read_text(errors="replace")[-3000:]
        assert time.monotonic() - started < DRAIN_SECONDS + 2
        assert "Exception inside application" not in log.read_text(errors="replace")
        # It no longer accepts.
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=1)  # noqa: S310
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)


@pytest.mark.parametrize(
    ("environment", "argv", "expected"),
    [
        ({}, [], 30.0),
        ({"WS_CONNECT_TIMEOUT": "12"}, [], 12.0),
        ({"WS_CONNECT_TIMEOUT": "nonsense"}, [], 30.0),
        ({"WS_CONNECT_TIMEOUT": "12"}, ["--websocket_connect_timeout", "7"], 7.0),
    ],
    ids=["default", "from the environment", "unreadable", "the command line wins"],
)
def test_a_handshake_may_wait_longer_than_daphnes_five_seconds(monkeypatch, environment, argv, expected):
    from tunewave import serve

    monkeypatch.delenv("WS_CONNECT_TIMEOUT", raising=False)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    args = serve.DrainingCommandLine().parser.parse_args([*argv, "tunewave.asgi:application"])
    assert args.websocket_connect_timeout == expected

"""Fixtures shared by every app's tests.

Outgoing HTTP is blocked: `requests` goes through `responses` (tests register what
Spotify or Google answer), and raw sockets may only reach this machine.
"""

import socket
from urllib.parse import urlsplit

import pytest
import responses as responses_lib
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from core.testing.redis_server import RedisServer

# Room personas (owner, moderator, member, outsider, banned) for every app's tests.
pytest_plugins = ["rooms.tests.fixtures"]

_real_connect = socket.socket.connect


def _service_hosts() -> set[str]:
    """Loopback, plus the hosts of the configured services (CI may name them `redis`, …)."""
    hosts = {"127.0.0.1", "localhost", "::1"}
    for url in (settings.REDIS_URL, settings.CELERY_BROKER_URL):
        if url:
            hosts.add(urlsplit(url).hostname or "")
    hosts.add(settings.DATABASES["default"].get("HOST") or "")
    for host in list(hosts):
        try:
            hosts.update(str(info[4][0]) for info in socket.getaddrinfo(host, None))
        except (OSError, UnicodeError):
            pass
    hosts.discard("")
    return hosts


_ALLOWED_HOSTS = _service_hosts()


def _guarded_connect(sock, address):
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and host not in _ALLOWED_HOSTS and not host.startswith("/"):
        raise OSError(f"Tests may not reach the network (tried {host}).")
    return _real_connect(sock, address)


@pytest.fixture(autouse=True)
def _block_network(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


@pytest.fixture(autouse=True)
def mocked_responses():
    with responses_lib.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    """A new channel layer per test: channels_redis binds its locks to the event loop that
    first used them, and each async test runs on a loop of its own."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters and tickets must not leak from one test into the next, nor what a
    process remembers (core/remembered.py): SQLite hands a flushed table's ids out again."""
    from chat.selectors import history_forget
    from rooms.presence import reset_local

    cache.clear()
    reset_local()
    history_forget()
    yield
    cache.clear()
    reset_local()
    history_forget()


class _FrozenClock:
    """Rate-limit windows are fixed minutes; a test must not straddle a window edge."""

    def __init__(self):
        import time

        self.now = float(int(time.time()) // 60 * 60 + 1)

    def time(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def ratelimit_clock(monkeypatch):
    clock = _FrozenClock()
    monkeypatch.setattr("django_ratelimit.core.time", clock)
    return clock


@pytest.fixture(autouse=True)
def _eager_celery(settings):
    """Tasks run in-process in tests; the services-mode worker test opts out explicitly."""
    from tunewave.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    settings.CELERY_TASK_ALWAYS_EAGER = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def services_mode():
    if not (settings.REDIS_URL and "postgres" in settings.DATABASES["default"]["ENGINE"]):
        pytest.skip("services mode only (DATABASE_URL, REDIS_URL, CELERY_BROKER_URL)")


@pytest.fixture
def dead_redis_cache(settings, tmp_path):
    """The cache on django-redis (as in services mode), on a private redis-server that is then
    killed: every cache call meets a Redis that refuses connections."""
    server = RedisServer(tmp_path)
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1, "IGNORE_EXCEPTIONS": True},
        }
    }
    server.kill()
    yield server
    server.kill()


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", email="alice@example.com", display_name="Alice")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob", email="bob@example.com", display_name="Bob")


def client_for(user) -> APIClient:
    from accounts.services import tokens_issue

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_issue(user=user)['access']}")
    return client


@pytest.fixture
def as_user():
    return client_for

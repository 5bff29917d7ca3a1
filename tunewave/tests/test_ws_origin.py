"""The socket origin check compares whole origins, scheme, host and port (issue 11, item 10):
a page on another port of an allowed host is another site."""

import pytest
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.urls import path

from accounts.ws import websocket_stack

# The token middleware behind the check opens a database connection (no token: no query).
pytestmark = pytest.mark.django_db(transaction=True)


class Open(AsyncWebsocketConsumer):
    """Accepts everyone who got past the origin check (authentication is not tested here)."""

    async def connect(self):
        await self.accept()


# types-channels wants URLRouter routes typed as its own pattern class, which path() never returns.
app = websocket_stack(URLRouter([path("ws/open/", Open.as_asgi())]))  # type: ignore[list-item, arg-type]


async def handshake(origin: str | None, *, host: str | None = None, scheme: str = "ws", **headers) -> bool:
    sent = [(b"origin", origin.encode())] if origin is not None else []
    if host is not None:
        sent.append((b"host", host.encode()))
    sent += [(name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()]
    communicator = WebsocketCommunicator(app, "/ws/open/", headers=sent)
    communicator.scope["scheme"] = scheme
    connected, _ = await communicator.connect(timeout=3)
    if connected:
        await communicator.disconnect()
    return connected


@pytest.fixture(autouse=True)
def deployment(settings):
    settings.FRONTEND_URL = "http://127.0.0.1:8000/app/"
    settings.FRONTEND_ORIGINS = ["http://localhost:5173"]
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
    settings.SECURE_PROXY_SSL_HEADER = None
    return settings


@pytest.mark.parametrize("origin", ["http://127.0.0.1:8000", "http://localhost:5173", "HTTP://LOCALHOST:5173"])
async def test_it_accepts_the_configured_front_end_origins(origin):
    assert await handshake(origin)


@pytest.mark.parametrize(
    "origin",
    [
        "http://127.0.0.1:9999",  # the front end's host, another port
        "http://127.0.0.1",  # ... port 80
        "http://localhost:5174",
        "https://localhost:5173",  # another scheme
        "http://localhost:8000",  # an allowed host with no front end on it
        "https://evil.example",
        "null",  # sandboxed frames and file:// pages
        "http://127.0.0.1:notaport",
        "ws://127.0.0.1:8000",
    ],
)
async def test_it_refuses_other_origins_even_on_allowed_hosts(origin):
    assert not await handshake(origin, host="127.0.0.1:8000")


async def test_scripts_without_an_origin_are_still_allowed():
    assert await handshake(None)
    assert await handshake(None, host="127.0.0.1:8000")


@pytest.mark.parametrize("port", ["8000", "8765"])
async def test_the_spa_served_by_daphne_on_any_port_opens_its_socket(port):
    """Same origin: the page and the socket share the Host the browser addressed."""
    assert await handshake(f"http://127.0.0.1:{port}", host=f"127.0.0.1:{port}")
    assert await handshake(f"http://[::1]:{port}", host=f"[::1]:{port}")
    assert not await handshake(f"http://127.0.0.1:{int(port) + 1}", host=f"127.0.0.1:{port}")
    assert not await handshake(f"https://127.0.0.1:{port}", host=f"127.0.0.1:{port}")  # scheme differs


async def test_same_origin_needs_a_host_that_allowed_hosts_accepts():
    assert not await handshake("http://rebound.example:8765", host="rebound.example:8765")


async def test_a_wildcard_allowed_hosts_no_longer_lets_every_site_in(deployment):
    deployment.ALLOWED_HOSTS = ["*"]
    assert not await handshake("https://evil.example", host="127.0.0.1:8000")
    assert await handshake("http://tunewave.test:8000", host="tunewave.test:8000")  # its own origin


async def test_default_ports_are_the_same_origin(deployment):
    deployment.FRONTEND_URL = "https://tunewave.example/app/"
    deployment.ALLOWED_HOSTS = ["tunewave.example"]
    assert await handshake("https://tunewave.example")
    assert await handshake("https://tunewave.example:443")
    assert not await handshake("https://tunewave.example:8443")
    assert not await handshake("http://tunewave.example")
    # Its own origin over TLS, straight to Daphne:
    deployment.FRONTEND_URL = "https://elsewhere.example/app/"
    assert await handshake("https://tunewave.example", host="tunewave.example", scheme="wss")
    assert await handshake("https://tunewave.example", host="tunewave.example:443", scheme="wss")
    assert not await handshake("https://tunewave.example", host="tunewave.example", scheme="ws")


async def test_behind_the_tls_proxy_the_forwarded_scheme_counts_only_when_trusted(deployment):
    deployment.FRONTEND_URL = "https://elsewhere.example/app/"
    deployment.ALLOWED_HOSTS = ["tunewave.example"]
    forwarded = {"x_forwarded_proto": "https"}
    assert not await handshake("https://tunewave.example", host="tunewave.example", **forwarded)
    deployment.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # TRUSTED_PROXY_COUNT > 0
    assert await handshake("https://tunewave.example", host="tunewave.example", **forwarded)
    assert not await handshake("http://tunewave.example", host="tunewave.example", **forwarded)


async def test_the_project_application_checks_origins_too():
    from tunewave.asgi import application

    communicator = WebsocketCommunicator(
        application, "/ws/notifications/", headers=[(b"origin", b"http://127.0.0.1:9999"), (b"host", b"127.0.0.1:8000")]
    )
    output = await communicator.connect(timeout=3)
    assert output == (False, 4403)

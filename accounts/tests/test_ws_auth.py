"""The WebSocket middleware stack every consumer sits behind, shown with a tiny consumer."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.routing import URLRouter
from channels.testing import HttpCommunicator, WebsocketCommunicator
from django.urls import path
from rest_framework_simplejwt.tokens import AccessToken

from accounts import services
from accounts.tests.factories import UserFactory
from accounts.ws import websocket_stack

pytestmark = pytest.mark.django_db(transaction=True)


class WhoAmI(AsyncJsonWebsocketConsumer):
    async def connect(self):
        if not self.scope["user"].is_authenticated:
            await self.close(code=4401)
            return
        await self.accept()
        await self.send_json({"user": self.scope["user"].username, "expires": self.scope["auth_expires_at"]})


# types-channels wants URLRouter routes typed as its own pattern class, which path() never returns.
app = websocket_stack(URLRouter([path("ws/whoami/", WhoAmI.as_asgi())]))  # type: ignore[list-item, arg-type]


async def connect(query: str = "", origin: bytes | None = None):
    headers = [(b"origin", origin)] if origin is not None else []
    communicator = WebsocketCommunicator(app, f"/ws/whoami/{query}", headers=headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


@database_sync_to_async
def make_user(**kwargs):
    return UserFactory(**kwargs)


async def test_it_accepts_an_access_jwt():
    alice = await make_user(username="alice")
    access = await database_sync_to_async(services.tokens_issue)(user=alice)
    communicator, connected, _ = await connect(f"?token={access['access']}")
    assert connected
    assert (await communicator.receive_json_from())["user"] == "alice"
    await communicator.disconnect()


async def test_it_accepts_a_ticket_once():
    alice = await make_user(username="alice")
    ticket = await database_sync_to_async(services.ws_ticket_issue)(user=alice)
    communicator, connected, _ = await connect(f"?token={ticket}")
    assert connected
    message = await communicator.receive_json_from()
    assert message["user"] == "alice"
    assert message["expires"] is not None
    await communicator.disconnect()
    _, connected, code = await connect(f"?token={ticket}")
    assert not connected
    assert code == 4401


@pytest.mark.parametrize("query", ["", "?token=", "?token=nonsense", "?token=a.b.c"])
async def test_it_closes_4401_without_a_valid_token(query):
    _, connected, code = await connect(query)
    assert not connected
    assert code == 4401


async def test_it_refuses_an_expired_jwt():
    alice = await make_user(username="alice")
    token = AccessToken.for_user(alice)
    token.set_exp(lifetime=-timedelta(seconds=1))
    _, connected, code = await connect(f"?token={token}")
    assert (connected, code) == (False, 4401)


async def test_it_refuses_a_deactivated_user():
    alice = await make_user(username="alice")
    access = (await database_sync_to_async(services.tokens_issue)(user=alice))["access"]
    await database_sync_to_async(services.user_deactivate)(user=alice)
    _, connected, code = await connect(f"?token={access}")
    assert (connected, code) == (False, 4401)


async def test_it_refuses_pages_from_other_sites():
    alice = await make_user(username="alice")
    access = (await database_sync_to_async(services.tokens_issue)(user=alice))["access"]
    _, connected, _ = await connect(f"?token={access}", origin=b"https://evil.example")
    assert not connected


@pytest.mark.parametrize("origin", [b"http://127.0.0.1:8000", b"http://localhost:5173", None])
async def test_it_allows_our_own_pages_and_non_browser_clients(origin):
    alice = await make_user(username="alice")
    access = (await database_sync_to_async(services.tokens_issue)(user=alice))["access"]
    communicator, connected, _ = await connect(f"?token={access}", origin=origin)
    assert connected
    await communicator.disconnect()


async def test_the_project_application_serves_http():
    from tunewave.asgi import application

    communicator = HttpCommunicator(application, "GET", "/healthz", headers=[(b"host", b"127.0.0.1")])
    response = await communicator.get_response()
    assert response["status"] == 200

"""Room-socket helpers: real ASGI application, real middleware, personas from rooms tests."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts import services as account_services
from rooms import presence


@pytest.fixture(autouse=True)
def _fresh_presence_for_sockets():
    presence.reset_local()
    yield
    presence.reset_local()


async def token_for(user) -> str:
    return (await database_sync_to_async(account_services.tokens_issue)(user=user))["access"]


class Socket:
    """A connected client, with the frames it has received so far."""

    def __init__(self, communicator: WebsocketCommunicator):
        self.ws = communicator

    async def send(self, payload: dict) -> None:
        await self.ws.send_json_to(payload)

    async def receive(self, timeout: float = 3) -> dict:
        return await self.ws.receive_json_from(timeout=timeout)

    async def receive_type(self, kind: str, timeout: float = 3) -> dict:
        """The next frame of `kind`, skipping others (presence chatter, member events)."""
        while True:
            frame = await self.receive(timeout)
            if frame.get("type") == kind:
                return frame

    async def nothing(self, timeout: float = 0.3) -> bool:
        return await self.ws.receive_nothing(timeout=timeout)

    async def close(self) -> None:
        await self.ws.disconnect()


async def connect(user, room_id, *, token: str | None = None, path: str = "chat"):
    from tunewave.asgi import application

    if token is None and user is not None:
        token = await token_for(user)
    query = f"?token={token}" if token else ""
    communicator = WebsocketCommunicator(application, f"/ws/{path}/{room_id}{query}")
    connected, _ = await communicator.connect(timeout=5)
    return communicator, connected


async def join(user, room_id, **kwargs) -> Socket:
    """Connects and reads the three frames every socket starts with."""
    communicator, connected = await connect(user, room_id, **kwargs)
    assert connected
    socket = Socket(communicator)
    first = await socket.receive()
    assert first["type"] == "playback.state", first
    second = await socket.receive()
    assert second["type"] == "presence", second
    third = await socket.receive()
    assert third["type"] == "room.audience", third
    return socket


async def closed_with(user, room_id, **kwargs) -> int:
    communicator, connected = await connect(user, room_id, **kwargs)
    output = await communicator.receive_output(timeout=5)
    assert output["type"] == "websocket.close", output
    return output["code"]

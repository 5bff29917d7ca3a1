"""A bare Channels relay for bench/ws_fanout.py: the floor under the room socket's figures.

    RELAY_LAYER=core|pubsub REDIS_URL=redis://127.0.0.1:6379/12 daphne bench.relay:application

One WebSocket route, `/ws/relay`, whose consumer joins one group, says `{"type": "hello"}`
(so bench/ws_join.py can time a join to its first frame, as for TuneWave's `playback.state`),
and group_sends every text frame it receives to it, unchanged. No authentication, no
database, no presence, no rate limit: the same Daphne, Channels and channel layer as
TuneWave, and nothing else. HTTP answers `/healthz` so the benches can wait for the server.
"""

import os

import django
from django.conf import settings

GROUP = "bench.relay"
HELLO = '{"type": "hello"}'

if not settings.configured:
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/12")
    layer = os.environ.get("RELAY_LAYER", "core")
    if layer == "pubsub":
        config = {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [redis_url], "prefix": "twbench"},
        }
    elif layer == "core":
        # tunewave.settings' options for CHANNEL_LAYER_BACKEND=core.
        config = {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": redis_url, "socket_timeout": 10}],
                "prefix": "tw:asgi",
                "capacity": 1000,
                "expiry": 30,
            },
        }
    else:
        raise RuntimeError(f"RELAY_LAYER must be core or pubsub, not {layer!r}")
    settings.configure(INSTALLED_APPS=["channels"], CHANNEL_LAYERS={"default": config}, USE_TZ=True)
    django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import re_path  # noqa: E402

from bench.bare_asgi import healthz  # noqa: E402
from core.layers import ConsumerMixin  # noqa: E402


class RelayConsumer(ConsumerMixin, AsyncWebsocketConsumer):
    """ConsumerMixin: dispatch without Channels' per-event hop to the sync thread, as
    TuneWave's consumers do."""

    async def connect(self):
        await self.channel_layer.group_add(GROUP, self.channel_name)
        await self.accept()
        await self.send(text_data=HELLO)

    async def disconnect(self, code):
        await self.channel_layer.group_discard(GROUP, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        if text_data is not None:
            await self.channel_layer.group_send(GROUP, {"type": "relay.frame", "text": text_data})

    async def relay_frame(self, event):
        await self.send(text_data=event["text"])


application = ProtocolTypeRouter(
    {
        "http": healthz,
        "websocket": URLRouter(
            [
                re_path(r"^ws/relay/?$", RelayConsumer.as_asgi()),
            ]
        ),
    }
)

"""TuneWave's settings with the Redis pub/sub channel layer, for bench/ws_fanout.py only.

    DJANGO_SETTINGS_MODULE=bench.settings_pubsub daphne tunewave.asgi:application

Everything else (database, cache, presence, rate limits) is exactly tunewave.settings.
"""

from tunewave.settings import *  # noqa: F403
from tunewave.settings import REDIS_URL

if not REDIS_URL:
    raise RuntimeError("bench.settings_pubsub needs REDIS_URL")

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": "tw:asgi"},
    }
}

"""TuneWave's settings with the core Redis channel layer as it should be configured, for
bench/ws_fanout.py: the same layer and options as tunewave.settings, plus a socket timeout
longer than the layer's 5 s blocking pop.

redis-py 8 gives every connection a 5 s socket timeout by default, and channels_redis's
core layer waits on BZPOPMIN for 5 s: on a quiet channel the read times out just as Redis
answers, the receive raises `redis.exceptions.TimeoutError`, and the consumer holding the
receive lock dies (its socket closes with 1011), one every ~5 s of silence per process.
"""

from tunewave.settings import *  # noqa: F403
from tunewave.settings import REDIS_URL

if not REDIS_URL:
    raise RuntimeError("bench.settings_core needs REDIS_URL")

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [{"address": REDIS_URL, "socket_timeout": 10}],
            "prefix": "tw:asgi",
            "capacity": 1000,
            "expiry": 30,
        },
    }
}

"""One ASGI application for HTTP and WebSocket, served by Daphne."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tunewave.settings")
django_asgi_app = get_asgi_application()  # sets Django up before consumers import models

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from accounts.ws import websocket_stack  # noqa: E402
from chat.consumers import shed_busy  # noqa: E402
from core.realtime import with_server_loop  # noqa: E402
from tunewave import daphne_requests  # noqa: E402
from tunewave.asgi_limits import BodyLimitMiddleware  # noqa: E402
from tunewave.checks import warn_if_static_not_collected  # noqa: E402
from tunewave.logging import SocketSessionLogMiddleware  # noqa: E402
from tunewave.metrics import count_sockets  # noqa: E402
from tunewave.routing import websocket_urlpatterns  # noqa: E402

# with_server_loop: broadcasts from views and socket work go through this event loop (realtime.py).
application = with_server_loop(
    ProtocolTypeRouter(
        {
            "http": BodyLimitMiddleware(django_asgi_app),
            "websocket": count_sockets(
                websocket_stack(SocketSessionLogMiddleware(URLRouter(websocket_urlpatterns)), before_auth=shed_busy)
            ),
        }
    )
)

# Everything loaded by now (Django, the apps, and, imported here, every view and serializer)
# lives as long as the process: move it out of the cyclic collector's sight, so a full
# collection scans only what requests and sockets create. Full collections had been stalling
# the room fan-out for 20-60 ms (bench/README.md, "ws_fanout.py").
get_resolver().url_patterns  # noqa: B018
gc.freeze()

daphne_requests.install()
warn_if_static_not_collected()

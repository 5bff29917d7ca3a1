"""One ASGI application for HTTP and WebSocket, served by Daphne."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tunewave.settings")
django_asgi_app = get_asgi_application()  # sets Django up before consumers import models

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from accounts.ws import websocket_stack  # noqa: E402
from tunewave.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": websocket_stack(URLRouter(websocket_urlpatterns)),
    }
)

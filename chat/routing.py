from django.urls import re_path

from chat.consumers import RoomConsumer

# Channels routes ASGI apps through Django's URL patterns (its documented routing);
# django-stubs types re_path for HTTP views only, hence the ignores.
websocket_urlpatterns = [
    # The documented path, and an alias under the name the rest of the API uses.
    re_path(r"^ws/chat/(?P<room_id>[^/]+)/?$", RoomConsumer.as_asgi()),  # type: ignore[arg-type]
    re_path(r"^ws/rooms/(?P<room_id>[^/]+)/?$", RoomConsumer.as_asgi()),  # type: ignore[arg-type]
]

from django.urls import re_path

from chat.consumers import RoomConsumer

websocket_urlpatterns = [
    # The documented path, and an alias under the name the rest of the API uses.
    re_path(r"^ws/chat/(?P<room_id>[^/]+)/?$", RoomConsumer.as_asgi()),
    re_path(r"^ws/rooms/(?P<room_id>[^/]+)/?$", RoomConsumer.as_asgi()),
]

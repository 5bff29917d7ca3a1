"""WebSocket routes of every app."""

from chat.routing import websocket_urlpatterns as chat_routes
from social.routing import websocket_urlpatterns as social_routes

websocket_urlpatterns: list = [*chat_routes, *social_routes]

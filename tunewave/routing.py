"""WebSocket routes of every app."""

from chat.routing import websocket_urlpatterns as chat_routes

websocket_urlpatterns: list = [*chat_routes]

"""WebSocket routes of every app; each app adds its own list here as it gains a consumer."""

websocket_urlpatterns: list = []

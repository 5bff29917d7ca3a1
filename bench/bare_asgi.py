"""A bare ASGI WebSocket app, no Django and no Channels: the floor under a join.

    daphne bench.bare_asgi:application

Any WebSocket path is accepted and answered with one text frame, `{"type": "hello"}`, then
held open (frames from the client are read and dropped) until the client leaves. HTTP answers
`/healthz`, so the benches can wait for the server. bench/ws_join.py sets TuneWave's room
socket and bench/relay.py beside it: what the same Daphne costs with nothing behind it.
"""

HELLO = '{"type": "hello"}'


async def healthz(scope, receive, send):
    """HTTP: 200 on /healthz, 404 elsewhere (bench/relay.py answers with it too)."""
    await receive()
    found = scope["path"].rstrip("/") == "/healthz"
    await send(
        {
            "type": "http.response.start",
            "status": 200 if found else 404,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"status": "ok"}' if found else b"{}"})


async def application(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] == "http":
        await healthz(scope, receive, send)
        return
    if scope["type"] != "websocket":
        return
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.send", "text": HELLO})
    while (await receive())["type"] != "websocket.disconnect":
        pass

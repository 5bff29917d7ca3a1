"""A tiny stand-in for Spotify's accounts service and Web API, for the browser tests.

The real SDK and Spotify need the internet and a Premium account; the browser suite points
SPOTIFY_ACCOUNTS_URL and SPOTIFY_API_URL at this server instead (and injects a fake
`window.Spotify`). Standard library only; listens on 127.0.0.1.

    python frontend/e2e/spotify_stub.py [PORT]      # or SPOTIFY_STUB_PORT; 0 (default) = any free port

It prints `spotify-stub listening on http://127.0.0.1:<port>` once ready, then serves:

- GET  /authorize            the consent screen, skipped: 302 to `redirect_uri?code=stub-code&state=…`
                             (so "Connect Spotify" can run its whole link flow against the stub)
- POST /api/token            refresh_token grant → {"access_token": "stub-access-<n>", "token_type",
                             "expires_in": 3600, "scope"} (with `streaming`); authorization_code
                             grant → the same plus "refresh_token"; other grants → 400
- GET  /v1/me                {"id", "product": "premium", …}
- PUT  /v1/me/player         204 (transfer playback)
- PUT  /v1/me/player/play    204; remembers the body and `device_id`
- GET  /stub/last-play       the last play request: {"device_id", "body", "at"} or {} (for tests)
- GET  /stub/calls           every request seen: [{"method", "path"}]

Every answer carries CORS headers (the browser calls /v1/me/player* directly), and OPTIONS
answers the preflight.
"""

import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

SCOPE = "streaming user-read-email user-read-private user-read-playback-state user-modify-playback-state"


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.tokens = 0
        self.last_play: dict = {}
        self.calls: list[dict] = []


STATE = State()


class Handler(BaseHTTPRequestHandler):
    server_version = "SpotifyStub/1"

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        """Quiet: the browser suite prints what it needs."""

    def _cors(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Methods", "GET, POST, PUT, OPTIONS")
        # What the preflight asks for (the browser suite adds X-Forwarded-For to every request).
        asked = self.headers.get("Access-Control-Request-Headers") or "Authorization, Content-Type"
        self.send_header("Access-Control-Allow-Headers", asked)
        self.send_header("Access-Control-Max-Age", "600")

    def _send(self, status: int, body: object | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self._cors()
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _record(self) -> tuple[str, dict]:
        parts = urlsplit(self.path)
        with STATE.lock:
            STATE.calls.append({"method": self.command, "path": parts.path})
        return parts.path.rstrip("/") or "/", parse_qs(parts.query)

    def do_OPTIONS(self):  # noqa: N802 - http.server's naming
        self._record()
        self._send(204)

    def do_POST(self):  # noqa: N802
        path, _ = self._record()
        raw = self._body()
        if path != "/api/token":
            return self._send(404, {"error": {"status": 404, "message": "Not found"}})
        form = parse_qs(raw.decode("utf-8", "replace"))
        grant = (form.get("grant_type") or [""])[0]
        if not (grant == "refresh_token" and form.get("refresh_token")) and not (
            grant == "authorization_code" and form.get("code")
        ):
            return self._send(400, {"error": "unsupported_grant_type"})
        with STATE.lock:
            STATE.tokens += 1
            number = STATE.tokens
        body = {"access_token": f"stub-access-{number}", "token_type": "Bearer", "expires_in": 3600, "scope": SCOPE}
        if grant == "authorization_code":
            body["refresh_token"] = f"stub-refresh-{number}"
        return self._send(200, body)

    def do_GET(self):  # noqa: N802
        path, query = self._record()
        if path == "/authorize":
            target = (query.get("redirect_uri") or [""])[0]
            if not target.startswith(("http://", "https://")):
                return self._send(400, {"error": "invalid_request"})
            params = urlencode({"code": "stub-code", "state": (query.get("state") or [""])[0]})
            self.send_response(302)
            self._cors()
            self.send_header("Location", f"{target}{'&' if '?' in target else '?'}{params}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if path == "/v1/me":
            return self._send(
                200,
                {
                    "id": "stub-listener",
                    "display_name": "Stub Listener",
                    "email": "stub-listener@example.com",
                    "product": "premium",
                    "country": "SE",
                },
            )
        if path == "/stub/last-play":
            with STATE.lock:
                return self._send(200, STATE.last_play)
        if path == "/stub/calls":
            with STATE.lock:
                return self._send(200, list(STATE.calls))
        return self._send(404, {"error": {"status": 404, "message": "Not found"}})

    def do_PUT(self):  # noqa: N802
        path, query = self._record()
        raw = self._body()
        if path == "/v1/me/player":
            return self._send(204)
        if path == "/v1/me/player/play":
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                return self._send(400, {"error": {"status": 400, "message": "Malformed json"}})
            with STATE.lock:
                STATE.last_play = {"device_id": (query.get("device_id") or [None])[0], "body": body, "at": time.time()}
            return self._send(204)
        return self._send(404, {"error": {"status": 404, "message": "Not found"}})


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("SPOTIFY_STUB_PORT", "0"))
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"spotify-stub listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()

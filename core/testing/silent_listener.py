"""A TCP listener on a free loopback port that accepts connections and never answers, for
tests of a hung service (a broker or Redis whose port is open but whose process is stuck).

The kernel completes the TCP handshake, so a client's `connect()` succeeds at once; whatever
the client then waits for (the AMQP greeting, a Redis reply) never comes. Accepted sockets are
held open, unread, until `stop()`.
"""

import socket
import threading

from core.testing.redis_server import HOST


class SilentListener:
    """Started with `start()`, closed with `stop()` (also as a context manager)."""

    def __init__(self):
        self._server: socket.socket | None = None
        self._accepted: list[socket.socket] = []
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.port = 0

    @property
    def address(self) -> tuple[str, int]:
        return HOST, self.port

    def amqp_url(self) -> str:
        return f"amqp://guest:guest@{HOST}:{self.port}//"

    def redis_url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    @property
    def connections(self) -> int:
        """How many connections it has accepted so far."""
        return len(self._accepted)

    def start(self) -> "SilentListener":
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind((HOST, 0))
        self._server.listen(128)
        self._server.settimeout(0.1)
        self.port = self._server.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_forever, name="silent-listener", daemon=True)
        self._thread.start()
        return self

    def _accept_forever(self) -> None:
        server = self._server
        assert server is not None, "start() binds the socket before the thread runs"
        while not self._stopping.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._accepted.append(conn)  # kept open and never read: the peer just waits

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        for conn in self._accepted:
            conn.close()
        if self._server is not None:
            self._server.close()

    def __enter__(self) -> "SilentListener":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

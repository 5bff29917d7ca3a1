"""Daphne, with a graceful stop: `python -m tunewave.serve` takes Daphne's own arguments.

On SIGTERM (or SIGINT) the server stops accepting connections, closes every WebSocket with
4503 ("reconnect elsewhere, then resync": docs/realtime.md) so clients come back through the
load balancer to another process, waits for the sockets and requests in flight to finish
(their consumers' `disconnect` runs: presence, history), and exits 0 — after
WS_DRAIN_SECONDS at most. Daphne's own handling of SIGTERM stops the reactor at once: its
sockets vanish without a close frame, and their clients wait for a ping timeout first.

Daphne's command line builds its server from `CommandLineInterface.server_class`; this swaps
in a subclass and changes nothing else (`tunewave/tests/test_serve.py` runs it for real).
"""

import logging
import os
import signal
import sys
import time
from typing import Any

from daphne.cli import CommandLineInterface
from daphne.server import Server
from daphne.ws_protocol import WebSocketProtocol
from twisted.internet import reactor as twisted_reactor

logger = logging.getLogger(__name__)

CLOSE_RESTART = 4503  # core.layers.CLOSE_RECONNECT; not imported: Django is not set up yet
POLL_SECONDS = 0.1
# Twisted's global reactor (the asyncio one Daphne installs); its stubs type it as a module.
reactor: Any = twisted_reactor


def drain_seconds() -> float:
    from django.conf import settings  # noqa: PLC0415 - read once the application has set Django up

    return float(getattr(settings, "WS_DRAIN_SECONDS", 10.0))


class DrainingServer(Server):
    def __init__(self, *args, **kwargs):
        kwargs["signal_handlers"] = False  # ours instead (installed once the reactor runs)
        super().__init__(*args, **kwargs)
        self.ports: list = []
        self.draining = False

    def run(self):
        reactor.callWhenRunning(self._install_signal_handlers)
        super().run()

    def listen_success(self, port):
        self.ports.append(port)
        super().listen_success(port)

    def _install_signal_handlers(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: reactor.callFromThread(self.drain))

    def drain(self) -> None:
        if self.draining:
            return
        self.draining = True
        deadline = time.monotonic() + drain_seconds()
        for port in self.ports:
            port.stopListening()
        sockets = [p for p in self.connections if isinstance(p, WebSocketProtocol)]
        for protocol in sockets:
            if protocol.state in (protocol.STATE_OPEN, protocol.STATE_CONNECTING):
                protocol.serverClose(code=CLOSE_RESTART)
        logger.info("draining: closed %d sockets with %d", len(sockets), CLOSE_RESTART)
        self._wait(deadline)

    def _wait(self, deadline: float) -> None:
        # Daphne forgets a connection once it is closed and its application has finished.
        if self.connections and time.monotonic() < deadline:
            reactor.callLater(POLL_SECONDS, self._wait, deadline)
            return
        if self.connections:
            logger.warning("drain: %d connections still open at the deadline", len(self.connections))
        reactor.stop()


def connect_timeout() -> float:
    """Seconds a WebSocket handshake may wait for the application to accept it
    (WS_CONNECT_TIMEOUT, from the environment: Django is not set up when the command line is
    read). Daphne's own default, 5 s, drops the handshakes of a reconnect storm that queue
    behind the joins ahead of them, and every dropped one sends its client further into its
    backoff; the room socket sheds load itself (4429 with a retry delay) once it runs."""
    try:
        return max(1.0, float(os.environ.get("WS_CONNECT_TIMEOUT", "30")))
    except ValueError:
        return 30.0


class DrainingCommandLine(CommandLineInterface):
    server_class = DrainingServer

    def __init__(self) -> None:
        super().__init__()
        # `--websocket_connect_timeout` on the command line still wins.
        self.parser.set_defaults(websocket_connect_timeout=connect_timeout())


def main(argv: list[str] | None = None) -> None:
    DrainingCommandLine().run(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()

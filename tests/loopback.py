"""What every test server here shares: a `socketserver` HTTP server on 127.0.0.1 (port 0), served from a daemon
thread while a `with` block runs, shut down and closed after it."""

from __future__ import annotations

import socketserver
import threading
from typing import Self


class LoopbackServer:
    """Subclasses build their server, then call `super().__init__(server, name)`."""

    def __init__(self, server: socketserver.BaseServer, name: str) -> None:
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
        )

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def origin(self) -> str:
        host, port = self._server.server_address[:2]  # type: ignore[attr-defined]
        return f"http://{host}:{port}"

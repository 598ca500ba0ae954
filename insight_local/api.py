"""The Chalice app served on 127.0.0.1 with the deployed API's routes (Chalice's local server)."""

from __future__ import annotations

import threading
from typing import Any

from insight_local.lambdas import resolve


class LocalAPI:
    def __init__(self, host: str = "127.0.0.1", port: int = 8000) -> None:
        self.host, self.port = host, port
        self.url = f"http://{host}:{port}"
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> LocalAPI:
        from chalice.config import Config
        from chalice.local import create_local_server

        app = resolve("app.app")
        config = Config.create(chalice_stage="dev", app_name="insight")
        self._server = create_local_server(app, config, self.host, self.port)
        self._thread = threading.Thread(target=self._server.server.serve_forever, name="local-api", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server.server_close()
            self._server = None

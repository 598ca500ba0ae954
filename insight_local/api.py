"""The Chalice app served on 127.0.0.1 with the deployed API's routes (Chalice's local server)."""

from __future__ import annotations

import functools
import threading
import warnings
from typing import Any

from insight_local.lambdas import resolve


class LocalAPI:
    def __init__(self, host: str = "127.0.0.1", port: int = 8000, access_log: bool = True) -> None:
        self.host, self.port = host, port
        self.access_log = access_log
        self.url = f"http://{host}:{port}"
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> LocalAPI:
        from chalice.config import Config
        from chalice.local import ChaliceRequestHandler, create_local_server

        # Chalice's local server does not check IAM; say so once in the docs, not per request.
        warnings.filterwarnings("ignore", message="IAMAuthorizer is not a supported in local mode")
        app = resolve("app.app")
        config = Config.create(chalice_stage="dev", app_name="insight")
        self._server = create_local_server(app, config, self.host, self.port)
        if not self.access_log:

            class QuietHandler(ChaliceRequestHandler):
                def log_message(self, format: str, *args: Any) -> None:
                    pass

            self._server.server.RequestHandlerClass = functools.partial(QuietHandler, app_object=app, config=config)
        self._thread = threading.Thread(target=self._server.server.serve_forever, name="local-api", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server.server_close()
            self._server = None

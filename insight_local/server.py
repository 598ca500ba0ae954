"""The local AWS: moto's server on 127.0.0.1, with Insight's extensions installed."""

from __future__ import annotations

import json
import logging
import os
import socket
import urllib.request
import warnings
from typing import Any

from insight_local import moto_gaps

REGION = "us-east-1"
ACCOUNT = "123456789012"
#: The one identity of the local AWS: what it signs with, and what it checks signatures against.
ACCESS_KEY_ID = "testing"
SECRET_ACCESS_KEY = "testing"  # noqa: S105 (a fake: nothing leaves the machine)


#: What every process that talks to the local AWS needs: fake credentials (nothing
#: leaves the machine) and boto3 pointed at the server.
def client_environment(endpoint: str) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_SESSION_TOKEN": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": endpoint,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "Insight",
        "POWERTOOLS_SERVICE_NAME": "insight",
    }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalAWS:
    """moto's threaded server, Step Functions executing definitions, Lambdas in process."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._server: Any = None

    def start(self) -> LocalAWS:
        without = frozenset(filter(None, os.environ.get("INSIGHT_LOCAL_WITHOUT", "").split(",")))
        moto_gaps.install(without)
        # Step Functions' engine calls other services at localhost:$MOTO_PORT.
        os.environ["MOTO_PORT"] = str(self.port)
        os.environ.update(client_environment(self.endpoint))
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
        # The engine logs every Fail state as an ERROR with its parse tree; jobs say why they failed.
        logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
        # Read-only API calls publish no metric; Powertools warns about that on every request.
        warnings.filterwarnings("ignore", message="No application metrics to publish")

        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        self.configure({"stepfunctions": {"execute_state_machine": True}})
        return self

    def configure(self, config: dict[str, Any]) -> None:
        request = urllib.request.Request(
            f"{self.endpoint}/moto-api/config", data=json.dumps(config).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def client(self, service: str) -> Any:
        import boto3

        return boto3.session.Session().client(service, region_name=REGION, endpoint_url=self.endpoint)

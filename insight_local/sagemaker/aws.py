"""The local AWS as the engine sees it: boto3 clients on moto's server (this process's), and
helpers for S3 URIs and EventBridge events in AWS's shapes."""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from typing import Any

_clients: dict[tuple[str, str], Any] = {}
_lock = threading.Lock()


def client(service: str, region: str) -> Any:
    """A boto3 client of the local AWS (the server whose port moto's own Step Functions engine
    calls: ``MOTO_PORT``), one per service and region."""
    import boto3
    from botocore.config import Config

    endpoint = f"http://127.0.0.1:{os.environ.get('MOTO_PORT', '5000')}"
    with _lock:
        key = (service, region + endpoint)
        if key not in _clients:
            _clients[key] = boto3.session.Session().client(
                service,
                region_name=region,
                endpoint_url=endpoint,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",  # noqa: S106 (the local AWS's fake credentials)
                config=Config(retries={"max_attempts": 2}),
            )
        return _clients[key]


def split_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise ValueError(f"{uri!r} is not an s3:// URI")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def millis(moment: datetime | None) -> int | None:
    return int(moment.timestamp() * 1000) if moment else None


def jsonable(value: Any) -> Any:
    """A Describe answer as EventBridge carries it: timestamps as epoch milliseconds."""
    if isinstance(value, datetime):
        return millis(value)
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return value


def tags_as_map(tags: list[dict[str, str]] | None) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in tags or []}


def _event(detail_type: str, resource_arn: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "Source": "aws.sagemaker",
        "DetailType": detail_type,
        "Resources": [resource_arn],
        "Detail": json.dumps(jsonable(detail), default=str),
    }


def emit(region: str, detail_type: str, resource_arn: str, detail: dict[str, Any]) -> None:
    """Put a SageMaker event on the default bus, as SageMaker does (source ``aws.sagemaker``),
    through the local AWS's API: for the engine's own threads, outside any request."""
    entry = {**_event(detail_type, resource_arn, detail), "Time": datetime.now(UTC)}
    client("events", region).put_events(Entries=[entry])


def emit_in_process(account_id: str, region: str, detail_type: str, resource_arn: str, detail: dict[str, Any]) -> None:
    """The same event put straight on moto's EventBridge backend: for an event published while
    moto answers a SageMaker request, which then holds no server's address (moto in process,
    or a server already stopped) and needs none."""
    from moto.events.models import events_backends

    events_backends[account_id][region].put_events([_event(detail_type, resource_arn, detail)])

"""boto3 clients, made on first use and then kept for the life of the Lambda container."""

from __future__ import annotations

from functools import cache
from typing import Any

from chalicelib.settings import get_settings


@cache
def aws(service: str) -> Any:
    """The client for ``service`` in the configured region.

    boto3 is imported here and not at module level so that a cold start only pays
    for it when a handler first calls AWS. Where the endpoint is (AWS or the local
    runtime) is boto3's own business: ``AWS_ENDPOINT_URL`` decides, not this code.
    """
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=5,
        read_timeout=60,
        signature_version="s3v4" if service == "s3" else None,
    )
    return boto3.session.Session().client(service, region_name=get_settings().region, config=config)

"""Fixtures shared by every test: fake credentials, and no way to reach AWS."""

from __future__ import annotations

import os

# Before anything imports boto3: fake credentials, a region, and no real endpoint.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "Insight",
        "POWERTOOLS_SERVICE_NAME": "insight",
    }
)
os.environ.pop("AWS_PROFILE", None)

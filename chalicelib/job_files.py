"""Where a job's files go: ``jobs/<job id>/<name>`` in the results bucket."""

from __future__ import annotations

from chalicelib.models import ObjectRef
from chalicelib.settings import get_settings


def job_file(job_id: str, name: str) -> ObjectRef:
    return ObjectRef(bucket=get_settings().results_bucket, key=f"jobs/{job_id}/{name}")

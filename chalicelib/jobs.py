"""Jobs as the API shows them."""

from __future__ import annotations

import re

from chalicelib import services
from chalicelib.errors import NotFound
from chalicelib.models import JobPage, JobView, ListJobsQuery
from chalicelib.settings import get_settings

JOB_ID = re.compile(r"[0-9a-f]{32}")


def get_job(job_id: str) -> JobView:
    if not JOB_ID.fullmatch(job_id):
        raise NotFound(f"no job with id {job_id[:64]!r}: job ids are 32 lower-case hexadecimal characters (0-9, a-f)")
    job = services.jobs_table().get(job_id)
    expiry = get_settings().results_url_expiry_seconds
    storage = services.storage()
    downloads = {name: storage.presigned_get(ref, expiry) for name, ref in job.files().items()}
    return JobView(job=job, results_url=downloads.get("results"), downloads=downloads)


def list_jobs(query: ListJobsQuery) -> JobPage:
    return services.jobs_table().list(query.limit or get_settings().jobs_page_size, query.next_token)

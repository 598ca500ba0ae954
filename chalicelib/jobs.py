"""Jobs as the API shows them."""

from __future__ import annotations

from chalicelib import services
from chalicelib.models import JobPage, JobView, ListJobsQuery
from chalicelib.settings import get_settings


def get_job(job_id: str) -> JobView:
    job = services.jobs_table().get(job_id)
    results_url = None
    if job.results is not None:
        results_url = services.storage().presigned_get(job.results, get_settings().results_url_expiry_seconds)
    return JobView(job=job, results_url=results_url)


def list_jobs(query: ListJobsQuery) -> JobPage:
    return services.jobs_table().list(query.limit or get_settings().jobs_page_size, query.next_token)

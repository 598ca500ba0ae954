"""Step: write the media's results document and mark the job SUCCEEDED."""

from typing import Any

from chalicelib.media_workflow import record_media_success
from chalicelib.models import FinishedMedia
from chalicelib.observability import workflow_step


@workflow_step
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    job = record_media_success(FinishedMedia.model_validate(event))
    return {"job_id": job.job_id, "status": job.status.value}

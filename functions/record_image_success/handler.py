"""Step: write the image's results document and mark the job SUCCEEDED."""

from typing import Any

from chalicelib.image_workflow import record_image_success
from chalicelib.models import FinishedImage
from chalicelib.observability import workflow_step


@workflow_step
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    job = record_image_success(FinishedImage.model_validate(event))
    return {"job_id": job.job_id, "status": job.status.value}

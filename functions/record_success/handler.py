"""Step: write the results document and mark the job SUCCEEDED."""

from typing import Any

from chalicelib.document_workflow import record_success
from chalicelib.models import FinishedDocument
from chalicelib.observability import workflow_step


@workflow_step
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    job = record_success(FinishedDocument.model_validate(event))
    return {"job_id": job.job_id, "status": job.status.value}

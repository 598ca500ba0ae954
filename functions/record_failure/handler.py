"""Step: the failure path; mark the job FAILED with the error's name and reason."""

from typing import Any

from chalicelib.document_workflow import record_failure
from chalicelib.models import FailedExecution
from chalicelib.observability import workflow_step


@workflow_step
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    job = record_failure(FailedExecution.model_validate(event))
    return {"job_id": job.job_id, "status": job.status.value}

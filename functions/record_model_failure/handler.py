"""Step: the failure path of training runs and transforms; the record FAILED with the reason."""

from typing import Any

from chalicelib.lifecycle_models import RunFailure
from chalicelib.observability import workflow_step
from chalicelib.trainings import record_failure


@workflow_step
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    record = record_failure(RunFailure.model_validate(event))
    return {"status": record.get("status")}

"""Step: the transform SUCCEEDED, its output where its record says."""

from typing import Any

from chalicelib.lifecycle_models import TransformExecution
from chalicelib.observability import workflow_step
from chalicelib.transforms import record_transform


@workflow_step
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return record_transform(TransformExecution.model_validate(event)).model_dump(mode="json")

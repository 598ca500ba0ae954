"""Step: the transform's CreateTransformJob request over the live model."""

from typing import Any

from chalicelib.lifecycle_models import TransformExecution
from chalicelib.observability import workflow_step
from chalicelib.transforms import prepare_transform


@workflow_step
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return prepare_transform(TransformExecution.model_validate(event))

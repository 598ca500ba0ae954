"""Step: register the model package with its metrics, data and code versions."""

from typing import Any

from chalicelib.lifecycle_models import RegisterInput
from chalicelib.observability import workflow_step
from chalicelib.trainings import register_model


@workflow_step
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return register_model(RegisterInput.model_validate(event)).model_dump(mode="json")

"""Step: version the run's data and code, mark it RUNNING, write its SageMaker job requests."""

from typing import Any

from chalicelib.lifecycle_models import TrainingExecution
from chalicelib.observability import workflow_step
from chalicelib.trainings import prepare_training


@workflow_step
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return prepare_training(TrainingExecution.model_validate(event)).model_dump(mode="json")

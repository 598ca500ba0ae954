"""Step: the gate; the new model's metric against the threshold and the model in production."""

from typing import Any

from chalicelib.lifecycle_models import JudgeInput
from chalicelib.observability import workflow_step
from chalicelib.trainings import judge_model


@workflow_step
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return judge_model(JudgeInput.model_validate(event)).model_dump(mode="json")

"""EventBridge schedule of one model: a training run of it."""

from typing import Any

from chalicelib.lifecycle_models import ScheduledTraining
from chalicelib.observability import logger, metrics, traced
from chalicelib.trainings import scheduled_training


@logger.inject_lambda_context
@traced
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    run = scheduled_training(ScheduledTraining.model_validate(event))
    return {"runs": [run.run_id]}

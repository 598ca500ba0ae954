"""EventBridge schedule: a training run of every model."""

from typing import Any

from chalicelib.observability import logger, metrics, traced
from chalicelib.trainings import scheduled_trainings


@logger.inject_lambda_context
@traced
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"runs": [run.run_id for run in scheduled_trainings()]}

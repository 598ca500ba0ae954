"""Logger, tracer and metrics: one of each for every Insight handler."""

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "insight"

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(service=SERVICE, namespace="Insight")


def workflow_step(handler: Callable[[dict[str, Any], Any], Any]) -> Callable[[dict[str, Any], Any], Any]:
    """The decorators every workflow step's handler wears: JSON logs correlated by the
    job id of the state data, a trace segment, and EMF metrics flushed at the end."""
    handler = metrics.log_metrics(handler)
    handler = tracer.capture_lambda_handler(handler)
    return logger.inject_lambda_context(correlation_id_path="job_id")(handler)

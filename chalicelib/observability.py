"""Logger, tracer and metrics: one of each for every Insight handler.

Tracing: Lambda's active tracing (set by the template) records every invocation without any
code. With the ``detailed_tracing`` setting on, handlers also run under Powertools Tracer,
which adds a subsegment per AWS call through the X-Ray SDK. The SDK is imported only then:
alone it costs a cold start about as much as boto3 does.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools import Logger, Metrics

from chalicelib.settings import get_settings

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

SERVICE = "insight"

logger = Logger(service=SERVICE)
metrics = Metrics(service=SERVICE, namespace="Insight")

Handler = TypeVar("Handler", bound=Callable[..., Any])


@functools.lru_cache(maxsize=1)
def tracer() -> Tracer | None:
    """Powertools Tracer when detailed tracing is on, else None (decided at the first call)."""
    if not get_settings().detailed_tracing:
        return None
    from aws_lambda_powertools import Tracer

    return Tracer(service=SERVICE)


def traced(handler: Handler) -> Handler:
    """``tracer.capture_lambda_handler`` when detailed tracing is on; the handler as it is when off."""
    wrapped: Callable[..., Any] | None = None

    @functools.wraps(handler)
    def run(*args: Any, **kwargs: Any) -> Any:
        nonlocal wrapped
        if wrapped is None:
            active = tracer()
            wrapped = active.capture_lambda_handler(handler) if active else handler
        return wrapped(*args, **kwargs)

    return run  # type: ignore[return-value]


def workflow_step(handler: Callable[[dict[str, Any], Any], Any]) -> Callable[[dict[str, Any], Any], Any]:
    """The decorators every workflow step's handler wears: JSON logs correlated by the
    job id of the state data, a trace segment, and EMF metrics flushed at the end."""
    handler = metrics.log_metrics(handler)
    handler = traced(handler)
    return logger.inject_lambda_context(correlation_id_path="job_id")(handler)

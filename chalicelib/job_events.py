"""Events out: every change of a job's status or step is published to EventBridge as a
"Job State Change" (``source: insight``, detail ``JobStateChange``), for users' own rules and
for Insight's callbacks.

``published`` is the jobs table's ``on_change`` hook (``chalicelib.services``): the one
place job state changes pass, whoever makes them.
"""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from chalicelib import services
from chalicelib.models import Job, JobStateChange
from chalicelib.observability import logger, metrics

DETAIL_TYPE = "Job State Change"


def published(job: Job) -> None:
    """Publish the job's new state. A failure to publish (after the SDK's retries) is logged
    and counted, never raised: the job's own record is already written and stays the truth."""
    change = JobStateChange.of(job)
    try:
        services.event_bus().publish(DETAIL_TYPE, change.model_dump_json(), resources=[])
    except Exception:
        metrics.add_metric(name="JobEventsNotPublished", unit=MetricUnit.Count, value=1)
        logger.exception("job state change not published", job_id=job.job_id, status=job.status.value)

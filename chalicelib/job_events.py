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


def publish(job: Job) -> None:
    """Publish the job's state as a "Job State Change" event."""
    services.event_bus().publish(DETAIL_TYPE, JobStateChange.of(job).model_dump_json(), resources=[])


def published(job: Job) -> None:
    """Publish the job's new state. A failure to publish (after the SDK's retries) is logged
    and counted, never raised: the job's own record is already written and stays the truth
    (the sweep publishes again the end of a job whose callback was never attempted)."""
    try:
        publish(job)
    except Exception:
        metrics.add_metric(name="JobEventsNotPublished", unit=MetricUnit.Count, value=1)
        logger.exception("job state change not published", job_id=job.job_id, status=job.status.value)

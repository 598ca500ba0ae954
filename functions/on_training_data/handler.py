"""S3 notifications of the model bucket's training/ prefix: the training run of each upload's settle window."""

from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import S3Model

from chalicelib.observability import logger, metrics, traced
from chalicelib.trainings import data_arrived


@logger.inject_lambda_context
@traced
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    notification = parse(event=event, model=S3Model)
    runs = [data_arrived(r.s3.bucket.name, r.s3.object.key, r.eventTime) for r in notification.Records]
    return {"runs": sorted({run.run_id for run in runs if run is not None})}

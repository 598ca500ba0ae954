"""Uploads: the form a client uploads with, and what happens when the file lands."""

from __future__ import annotations

import re
import uuid
from urllib.parse import unquote_plus

from aws_lambda_powertools.metrics import MetricUnit

from chalicelib import services
from chalicelib.adapters.jobs_table import JobExists
from chalicelib.clock import now
from chalicelib.errors import InvalidRequest, NotFound, ServiceThrottled, ServiceUnavailable
from chalicelib.models import (
    DocumentExecution,
    Job,
    JobError,
    JobKind,
    JobStatus,
    JobStep,
    ObjectRef,
    UploadRequest,
    UploadTicket,
)
from chalicelib.observability import logger, metrics
from chalicelib.settings import get_settings

UPLOAD_PREFIX = "uploads/"
UPLOAD_KEY = re.compile(r"^uploads/(?P<job_id>[0-9a-f]{32})/(?P<file_name>[^/]+)$")


def upload_key(job_id: str, file_name: str) -> str:
    return f"{UPLOAD_PREFIX}{job_id}/{file_name}"


def create_upload(request: UploadRequest) -> UploadTicket:
    """A new job id and the presigned form to upload its file with.

    The form's conditions hold the client to the type and size it declared, within the
    stage's limits; S3 refuses anything else.
    """
    settings = get_settings()
    if request.content_type not in settings.allowed_content_types:
        raise InvalidRequest(
            f"content_type {request.content_type!r} is not accepted; accepted types: "
            + ", ".join(settings.allowed_content_types)
        )
    if request.size > settings.max_upload_bytes:
        raise InvalidRequest(f"size {request.size} bytes is over the limit of {settings.max_upload_bytes} bytes")
    job_id = uuid.uuid4().hex
    target = ObjectRef(bucket=settings.upload_bucket, key=upload_key(job_id, request.file_name))
    post = services.storage().presigned_post(
        target,
        content_type=request.content_type,
        max_size=request.size,
        expires_in=settings.upload_url_expiry_seconds,
    )
    metrics.add_metric(name="UploadFormsIssued", unit=MetricUnit.Count, value=1)
    logger.info("upload form issued", job_id=job_id, content_type=request.content_type, size=request.size)
    return UploadTicket(
        job_id=job_id, upload=post, expires_in=settings.upload_url_expiry_seconds, max_size=request.size
    )


def receive_upload(bucket: str, encoded_key: str) -> Job | None:
    """Record the job of an uploaded file and start its workflow, once.

    S3 delivers its events at least once: the job record is created only if missing and
    the execution is named from the job id, so a repeated event starts nothing new,
    while an event repeated after a half-done first delivery finishes its work.
    """
    settings = get_settings()
    key = unquote_plus(encoded_key)
    match = UPLOAD_KEY.fullmatch(key)
    if match is None:
        logger.warning("object is not an Insight upload; ignored", bucket=bucket, key=key)
        return None
    job_id = match["job_id"]
    logger.set_correlation_id(job_id)
    table = services.jobs_table()
    source = ObjectRef(bucket=bucket, key=key)
    try:
        head = services.storage().head(source)
    except NotFound:
        logger.warning("uploaded object is gone; nothing to do", bucket=bucket, key=key)
        return None
    created = now()
    job = Job(
        job_id=job_id,
        kind=JobKind.DOCUMENT,
        status=JobStatus.RECEIVED,
        step=JobStep.QUEUED,
        file_name=match["file_name"],
        content_type=head.content_type,
        size=head.size,
        source=source,
        created_at=created,
        updated_at=created,
    )
    try:
        table.create(job)
        metrics.add_metric(name="JobsReceived", unit=MetricUnit.Count, value=1)
    except JobExists:
        job = table.get(job_id)
        logger.info("job already recorded; event repeated", status=job.status.value)
        if job.status.finished:
            return job
    execution = DocumentExecution(job_id=job_id, document=source)
    try:
        arn = services.workflows().start(
            settings.document_workflow_arn, name=job_id, payload=execution.model_dump(mode="json")
        )
    except (ServiceThrottled, ServiceUnavailable):
        raise  # Lambda retries the event and the start is tried again
    except Exception as error:
        logger.exception("workflow did not start")
        return table.fail(job_id, JobError(type="WorkflowNotStarted", reason=str(error)), now())
    logger.info("workflow started" if arn else "workflow already running", execution_arn=arn)
    return job

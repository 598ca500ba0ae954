"""Uploads: the form a client uploads with, and what happens when the file lands."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from urllib.parse import unquote_plus

from aws_lambda_powertools.metrics import MetricUnit

from chalicelib import services
from chalicelib.clock import now
from chalicelib.errors import InsightError, InvalidRequest, NotFound, ServiceThrottled, ServiceUnavailable
from chalicelib.models import (
    DocumentExecution,
    ImageExecution,
    Job,
    JobError,
    JobKind,
    JobOptions,
    JobStatus,
    JobStep,
    MediaExecution,
    ObjectRef,
    UploadRequest,
    UploadsReconciled,
    UploadTicket,
)
from chalicelib.observability import logger, metrics
from chalicelib.settings import Settings, get_settings

UPLOAD_PREFIX = "uploads/"
UPLOAD_KEY = re.compile(r"^uploads/(?P<job_id>[0-9a-f]{32})/(?P<file_name>[^/]+)$")


def upload_key(job_id: str, file_name: str) -> str:
    return f"{UPLOAD_PREFIX}{job_id}/{file_name}"


def accepted_types(settings: Settings) -> dict[JobKind, tuple[str, ...]]:
    """The content types each kind of job accepts. A type several kinds accept (JPEG, PNG) goes
    to the first of them here unless the upload names its kind."""
    return {
        JobKind.IMAGE: settings.image_content_types,
        JobKind.MEDIA: settings.media_content_types,
        JobKind.DOCUMENT: settings.allowed_content_types,
    }


def default_kind(content_type: str, settings: Settings) -> JobKind | None:
    return next((kind for kind, types in accepted_types(settings).items() if content_type in types), None)


def size_limit(kind: JobKind, settings: Settings) -> int:
    return settings.max_media_bytes if kind is JobKind.MEDIA else settings.max_upload_bytes


def job_kind(request: UploadRequest, settings: Settings) -> JobKind:
    """The kind of job an upload starts: the one it names, else the one its content type says."""
    accepted = accepted_types(settings)
    if request.kind is not None:
        if request.content_type not in accepted[request.kind]:
            raise InvalidRequest(
                f"content_type {request.content_type!r} cannot be analysed as {request.kind.value}; "
                f"{request.kind.value} accepts: " + ", ".join(accepted[request.kind])
            )
        return request.kind
    kind = default_kind(request.content_type, settings)
    if kind is None:
        every = dict.fromkeys(t for types in accepted.values() for t in types)
        raise InvalidRequest(
            f"content_type {request.content_type!r} is not accepted; accepted types: " + ", ".join(every)
        )
    return kind


def job_options(request: UploadRequest, kind: JobKind, settings: Settings) -> JobOptions | None:
    """What the upload asked for beyond the analysis: translations and a spoken summary, for
    audio and video only."""
    if kind is not JobKind.MEDIA:
        if request.translate_to or request.spoken_summary:
            raise InvalidRequest("translate_to and spoken_summary apply to audio and video uploads only")
        return None
    if len(request.translate_to) > settings.max_translations:
        raise InvalidRequest(
            f"translate_to names {len(request.translate_to)} languages, over the limit of {settings.max_translations}"
        )
    return request.options()


def create_upload(request: UploadRequest) -> UploadTicket:
    """A new job id and the presigned form to upload its file with.

    The form's conditions hold the client to the type and size it declared, within the
    stage's limits; S3 refuses anything else.
    """
    settings = get_settings()
    kind = job_kind(request, settings)
    options = job_options(request, kind, settings)
    limit = size_limit(kind, settings)
    if request.size > limit:
        raise InvalidRequest(f"size {request.size} bytes is over the limit of {limit} bytes")
    job_id = uuid.uuid4().hex
    target = ObjectRef(bucket=settings.upload_bucket, key=upload_key(job_id, request.file_name))
    post = services.storage().presigned_post(
        target,
        content_type=request.content_type,
        max_size=request.size,
        expires_in=settings.upload_url_expiry_seconds,
    )
    issued = now()
    services.jobs_table().create(
        Job(
            job_id=job_id,
            kind=kind,
            status=JobStatus.AWAITING_UPLOAD,
            step=JobStep.UPLOADING,
            file_name=request.file_name,
            content_type=request.content_type,
            size=request.size,
            source=target,
            created_at=issued,
            updated_at=issued,
            options=options,
        )
    )
    metrics.add_metric(name="UploadFormsIssued", unit=MetricUnit.Count, value=1)
    logger.info(
        "upload form issued", job_id=job_id, kind=kind.value, content_type=request.content_type, size=request.size
    )
    return UploadTicket(
        job_id=job_id, upload=post, expires_in=settings.upload_url_expiry_seconds, max_size=request.size
    )


def receive_upload(bucket: str, encoded_key: str, version: str | None = None) -> Job | None:
    """Record the job of an uploaded file as RECEIVED and start its workflow, once.

    S3 delivers its events at least once: the record moves to RECEIVED only from
    AWAITING_UPLOAD and the execution is named from the job id, so a repeated event starts
    nothing new, while an event repeated after a half-done first delivery finishes its work.
    """
    key = unquote_plus(encoded_key)
    match = UPLOAD_KEY.fullmatch(key)
    if match is None:
        logger.warning("object is not an Insight upload; ignored", bucket=bucket, key=key)
        return None
    return _receive(ObjectRef(bucket=bucket, key=key, version=version), match["job_id"], match["file_name"])


def _receive(source: ObjectRef, job_id: str, file_name: str) -> Job | None:
    settings = get_settings()
    logger.set_correlation_id(job_id)
    table = services.jobs_table()
    try:
        head = services.storage().head(source)
    except NotFound:
        logger.warning("uploaded object is gone; nothing to do", bucket=source.bucket, key=source.key)
        return None
    # The job reads this version to the end: a second POST of the same form makes a new
    # version, not a different file under a running job.
    source = source.model_copy(update={"version": source.version or head.version})
    received = now()
    job, new = table.receive(
        Job(
            job_id=job_id,
            # Without the form's record (issued before records were kept), its type decides.
            kind=default_kind(head.content_type, settings) or JobKind.DOCUMENT,
            status=JobStatus.RECEIVED,
            step=JobStep.QUEUED,
            file_name=file_name,
            content_type=head.content_type,
            size=head.size,
            source=source,
            created_at=received,
            updated_at=received,
        )
    )
    if new:
        metrics.add_metric(name="JobsReceived", unit=MetricUnit.Count, value=1)
    else:
        logger.info("job already received; event repeated", status=job.status.value)
        if job.status.finished:
            return job
    workflow, execution = workflow_of(job, source, settings)
    try:
        arn = services.workflows().start(workflow, name=job_id, payload=execution)
    except (ServiceThrottled, ServiceUnavailable):
        raise  # Lambda retries the event, then the sweep (reconcile_uploads) does
    except Exception as error:
        logger.exception("workflow did not start")
        return table.fail(job_id, JobError(type="WorkflowNotStarted", reason=str(error)), now())
    logger.info("workflow started" if arn else "workflow already running", execution_arn=arn)
    return job


def workflow_of(job: Job, source: ObjectRef, settings: Settings) -> tuple[str, dict[str, object]]:
    """The state machine that analyses the job's kind, and its input."""
    if job.kind is JobKind.IMAGE:
        return settings.image_workflow_arn, ImageExecution(job_id=job.job_id, image=source).model_dump(mode="json")
    if job.kind is JobKind.MEDIA:
        execution = MediaExecution(
            job_id=job.job_id, media=source, file_name=job.file_name, options=job.options or JobOptions()
        )
        return settings.media_workflow_arn, execution.model_dump(mode="json")
    document = DocumentExecution(job_id=job.job_id, document=source)
    return settings.document_workflow_arn, document.model_dump(mode="json")


def reconcile_uploads() -> UploadsReconciled:
    """The sweep behind the S3 event: no upload is lost, no job waits for ever.

    S3 events are retried twice by Lambda and then dropped. So, for recent jobs:
    a job still AWAITING_UPLOAD after its form expired is received if its file is there
    (its event was lost) and EXPIRED if not; a job RECEIVED for longer than
    ``stalled_job_seconds`` has its workflow started again (a no-op if it runs).
    """
    settings = get_settings()
    table = services.jobs_table()
    moment = now()
    report = UploadsReconciled()
    form_lapsed = timedelta(seconds=settings.upload_url_expiry_seconds + settings.upload_grace_seconds)
    stalled = timedelta(seconds=settings.stalled_job_seconds)
    for job in table.waiting_since(moment - timedelta(hours=settings.reconcile_window_hours)):
        logger.set_correlation_id(job.job_id)
        if job.status is JobStatus.AWAITING_UPLOAD:
            if job.created_at + form_lapsed > moment:
                continue
            try:
                services.storage().head(job.source)
            except NotFound:
                table.expire(job.job_id, moment)
                logger.info("upload form expired unused")
                report.expired.append(job.job_id)
                continue
            logger.warning("upload landed but its event was lost; receiving it now")
        elif job.updated_at + stalled > moment:
            continue
        else:
            logger.warning("job received but its workflow did not start; starting it now")
        try:
            _receive(job.source, job.job_id, job.file_name)
            report.redriven.append(job.job_id)
        except InsightError as error:  # left for the next sweep
            logger.warning("could not redrive the job", error=str(error))
            report.deferred.append(job.job_id)
    logger.set_correlation_id(None)
    for name, jobs in (("UploadsRedriven", report.redriven), ("UploadFormsExpired", report.expired)):
        if jobs:
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=len(jobs))
    return report

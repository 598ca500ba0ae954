"""Uploads: the form a client uploads with, and what happens when the file lands."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from urllib.parse import unquote_plus

from aws_lambda_powertools.metrics import MetricUnit

from chalicelib import services
from chalicelib.adapters.jobs_table import JobExists
from chalicelib.callbacks import check_callback_url
from chalicelib.clock import now
from chalicelib.errors import (
    InsightError,
    InvalidDocument,
    InvalidImage,
    InvalidMedia,
    InvalidRequest,
    NotFound,
    ServiceThrottled,
    ServiceUnavailable,
)
from chalicelib.models import (
    FILE_NAME_PATTERN,
    AnalysisOutcome,
    AnalysisStart,
    Callback,
    DocumentExecution,
    ImageExecution,
    Job,
    JobError,
    JobKind,
    JobOptions,
    JobOrigin,
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
    if request.callback_url is not None:
        check_callback_url(request.callback_url, settings.stage)
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
            callback=Callback(url=request.callback_url) if request.callback_url else None,
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
    return receive_object(ObjectRef(bucket=bucket, key=key, version=version), match["job_id"], match["file_name"])


def receive_object(
    source: ObjectRef,
    job_id: str,
    file_name: str,
    origin: JobOrigin | None = None,
    kind: JobKind | None = None,
    options: JobOptions | None = None,
) -> Job | None:
    """Record the job of an object in the upload bucket as RECEIVED and start its workflow,
    once (an upload's, or a webhook's: ``origin``). None if the object is not there. A job
    recorded at ``POST /uploads`` keeps its kind and options; another is of ``kind``, or by
    default of the kind the object's content type says, with ``options`` (media only)."""
    logger.set_correlation_id(job_id)
    settings = get_settings()
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
            kind=kind or default_kind(head.content_type, settings) or JobKind.DOCUMENT,
            status=JobStatus.RECEIVED,
            step=JobStep.QUEUED,
            file_name=file_name,
            content_type=head.content_type,
            size=head.size,
            source=source,
            created_at=received,
            updated_at=received,
            origin=origin,
            options=options,
        )
    )
    if new:
        metrics.add_metric(name="JobsReceived", unit=MetricUnit.Count, value=1)
    else:
        logger.info("job already received; event repeated", status=job.status.value)
        if job.status.finished:
            return job
    job, _ = _start_workflow(job)
    return job


def _start_workflow(job: Job) -> tuple[Job, bool]:
    """Start the job's workflow, its execution named from the job id: the job, and whether an
    execution started now (False: one of that name exists). A workflow that cannot start
    marks the job FAILED with why; throttling and transient errors are raised, for a retry."""
    workflow, execution = workflow_of(job, job.source, get_settings())
    try:
        arn = services.workflows().start(workflow, name=job.job_id, payload=execution)
    except (ServiceThrottled, ServiceUnavailable):
        raise  # Lambda retries the event, then the sweep (reconcile_uploads) does
    except Exception as error:
        logger.exception("workflow did not start")
        failed = services.jobs_table().fail(job.job_id, JobError(type="WorkflowNotStarted", reason=str(error)), now())
        return failed, False
    logger.info("workflow started" if arn else "workflow already running", execution_arn=arn)
    return job, arn is not None


def _redrive_callbacks(report: UploadsReconciled, moment: datetime) -> None:
    """Finished jobs whose callback never had an attempt: their end's event was not published
    (or its delivery was lost). Publish it again; the callback rule queues the delivery."""
    from chalicelib.job_events import publish

    settings = get_settings()
    cutoff = moment - timedelta(hours=settings.reconcile_window_hours)
    quiet_since = moment - timedelta(seconds=settings.callback_redrive_seconds)
    for job in services.jobs_table().callbacks_not_attempted(cutoff, quiet_since):
        logger.warning("job ended but its callback was never attempted; publishing its end again", job_id=job.job_id)
        try:
            publish(job)
        except InsightError as error:  # left for the next sweep
            logger.warning("could not publish the job's end", job_id=job.job_id, error=str(error))
            report.deferred.append(job.job_id)
            continue
        report.callbacks_redriven.append(job.job_id)


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
            receive_object(job.source, job.job_id, job.file_name, origin=job.origin)
            report.redriven.append(job.job_id)
        except InsightError as error:  # left for the next sweep
            logger.warning("could not redrive the job", error=str(error))
            report.deferred.append(job.job_id)
    logger.set_correlation_id(None)
    _redrive_callbacks(report, moment)
    for name, jobs in (
        ("UploadsRedriven", report.redriven),
        ("UploadFormsExpired", report.expired),
        ("CallbacksRedriven", report.callbacks_redriven),
    ):
        if jobs:
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=len(jobs))
    return report


# --- analyses asked for by name (the chat) ----------------------------------------------

#: A job that failed for one of these would fail alike on the same file: not retried.
FILE_ERRORS = frozenset({InvalidDocument.__name__, InvalidImage.__name__, InvalidMedia.__name__})
#: Retries of a failed job get ids derived from its id: asking twice starts one retry.
RETRY_NAMESPACE = uuid.UUID("5d3c2b1a-4e6f-4a8b-9c0d-1e2f3a4b5c6d")


def find_upload(name: str) -> Job | None:
    """The job of the upload a user names: by its object key (``uploads/<job id>/<file name>``,
    also as ``s3://<upload bucket>/uploads/...``), or by its file name (the newest upload of that
    name). None when nothing was uploaded with that name; ``InvalidRequest`` (saying why) for a
    name that cannot be one of Insight's uploads."""
    said = name.strip()
    bucket_prefix = f"s3://{get_settings().upload_bucket}/"
    if said.startswith(bucket_prefix):
        said = said[len(bucket_prefix) :]
    table = services.jobs_table()
    match = UPLOAD_KEY.fullmatch(said)
    if match is not None:
        try:
            job = table.get(match["job_id"])
        except NotFound:
            return None
        return job if job.file_name == match["file_name"] else None
    if said.startswith(("s3://", "http://", "https://")):
        raise InvalidRequest(f"{said[:80]!r} is not in Insight's upload bucket: name a file uploaded to Insight")
    if "/" in said or "\\" in said:
        raise InvalidRequest(
            f"{said[:80]!r} is not an Insight upload: uploads are named by their file name, or by their key "
            "uploads/<job id>/<file name>"
        )
    if len(said) > 255 or not FILE_NAME_PATTERN.fullmatch(said):
        raise InvalidRequest(f"{said[:80]!r} is not a file name Insight accepts for uploads")
    return table.latest_by_file_name(said)


def has_landed(job: Job) -> bool:
    """Whether the job's file is in the upload bucket."""
    try:
        services.storage().head(job.source)
    except NotFound:
        return False
    return True


def start_analysis(job: Job) -> AnalysisStart:
    """Analyse an upload because a user asked, as often as they ask, starting at most once.

    A job whose file landed but was never received (its event lost, or its form expired just
    before) is received now, through the same path as S3's event; a job received but whose
    workflow did not start has it started (a no-op if it runs); a running or succeeded job is
    left alone; a failed job's upload is analysed again as a new job (``retry_of`` names the
    failed one) whose id derives from the failed job's, so asking again starts nothing new,
    unless it failed because of the file itself (``FILE_ERRORS``): then it would fail
    alike. A form whose file never landed starts nothing.
    """
    logger.set_correlation_id(job.job_id)
    if job.status in (JobStatus.AWAITING_UPLOAD, JobStatus.EXPIRED):
        if not has_landed(job):
            return AnalysisStart(outcome=AnalysisOutcome.NOT_UPLOADED, job=job)
        received = receive_object(job.source, job.job_id, job.file_name, origin=job.origin)
        if received is None:  # gone since the HEAD
            return AnalysisStart(outcome=AnalysisOutcome.NOT_UPLOADED, job=job)
        return _started(received, AnalysisOutcome.STARTED)
    if job.status is JobStatus.RECEIVED:
        job, started = _start_workflow(job)
        return _started(job, AnalysisOutcome.STARTED if started else AnalysisOutcome.IN_PROGRESS)
    if job.status is JobStatus.RUNNING:
        return AnalysisStart(outcome=AnalysisOutcome.IN_PROGRESS, job=job)
    if job.status is JobStatus.SUCCEEDED:
        return AnalysisStart(outcome=AnalysisOutcome.FINISHED, job=job)
    if job.error is not None and job.error.type in FILE_ERRORS:
        return AnalysisStart(outcome=AnalysisOutcome.NOT_RETRIABLE, job=job)
    return _retry(job)


def _retry(failed: Job) -> AnalysisStart:
    table = services.jobs_table()
    moment = now()
    retry = Job(
        job_id=uuid.uuid5(RETRY_NAMESPACE, failed.job_id).hex,
        kind=failed.kind,
        options=failed.options,
        status=JobStatus.RECEIVED,
        step=JobStep.QUEUED,
        file_name=failed.file_name,
        content_type=failed.content_type,
        size=failed.size,
        source=failed.source,
        created_at=moment,
        updated_at=moment,
        origin=failed.origin,
        callback=Callback(url=failed.callback.url) if failed.callback else None,
        retry_of=failed.job_id,
    )
    try:
        table.create(retry)
    except JobExists:
        logger.info("the failed job was retried already", retry_job_id=retry.job_id)
        return start_analysis(table.get(retry.job_id))  # running, done, or failed again: retried in turn
    logger.set_correlation_id(retry.job_id)
    logger.info("analysing a failed job's upload again", retry_of=failed.job_id)
    metrics.add_metric(name="JobsRetried", unit=MetricUnit.Count, value=1)
    job, _ = _start_workflow(retry)
    return _started(job, AnalysisOutcome.RETRIED)


def _started(job: Job, outcome: AnalysisOutcome) -> AnalysisStart:
    if job.status is JobStatus.FAILED:  # the workflow could not start: the job says why
        return AnalysisStart(outcome=AnalysisOutcome.NOT_STARTED, job=job)
    return AnalysisStart(outcome=outcome, job=job)

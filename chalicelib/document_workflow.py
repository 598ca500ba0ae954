"""The steps of the document workflow (``statemachines/document.asl.json``).

Each step is called by one thin handler in ``functions/``; each records on the job
where the workflow is, reads its inputs from S3 pointers and writes its outputs to S3.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from chalicelib import services
from chalicelib.clock import now
from chalicelib.documents import check_type, count_pages, text_from_blocks
from chalicelib.errors import InsightError, InvalidDocument, NotFound, ServiceThrottled, ServiceUnavailable
from chalicelib.models import (
    DocumentExecution,
    DocumentInfo,
    ExecutionStatusChange,
    ExtractedText,
    FailedExecution,
    FinishedDocument,
    Job,
    JobError,
    JobStep,
    ObjectRef,
    TextAnalysis,
    TextDetectionStart,
)
from chalicelib.observability import logger, metrics
from chalicelib.settings import get_settings
from chalicelib.text_analysis import analyse_text, summarise


def result_ref(job_id: str, name: str) -> ObjectRef:
    return ObjectRef(bucket=get_settings().results_bucket, key=f"jobs/{job_id}/{name}.json")


def validate_document(execution: DocumentExecution) -> DocumentInfo:
    """The upload is a document Insight accepts: its real type, its size, its pages."""
    settings = get_settings()
    job = services.jobs_table().advance(execution.job_id, JobStep.VALIDATING, now())
    store = services.storage()
    head = store.head(execution.document)
    if head.size == 0:
        raise InvalidDocument("the file is empty (0 bytes)")
    if head.size > settings.max_upload_bytes:
        raise InvalidDocument(f"the file is {head.size} bytes, over the limit of {settings.max_upload_bytes}")
    data = store.read(execution.document)
    media_type = check_type(data, job.content_type, settings.allowed_content_types)
    pages = count_pages(data, media_type)
    if pages > settings.max_pages:
        raise InvalidDocument(f"the document has {pages} pages, over the limit of {settings.max_pages}")
    metrics.add_metric(name="DocumentsAccepted", unit=MetricUnit.Count, value=1)
    logger.info("document accepted", media_type=media_type, pages=pages, size=head.size)
    return DocumentInfo(media_type=media_type, size=head.size, pages=pages)


def _write_text(job_id: str, blocks: list[dict[str, Any]]) -> ExtractedText:
    document = text_from_blocks(blocks)
    pages = max((int(block.get("Page", 1)) for block in blocks if block.get("BlockType") == "PAGE"), default=1)
    ref = services.storage().write_json(result_ref(job_id, "text"), document)
    metrics.add_metric(name="PagesRead", unit=MetricUnit.Count, value=pages)
    return ExtractedText(text=ref, pages=pages, characters=len(document["text"]))


def detect_text(execution: DocumentExecution) -> ExtractedText:
    """Synchronous text detection: images and one-page documents."""
    services.jobs_table().advance(execution.job_id, JobStep.EXTRACTING_TEXT, now())
    blocks = services.textract().detect_text(execution.document)
    extracted = _write_text(execution.job_id, blocks)
    logger.info("text detected", pages=extracted.pages, characters=extracted.characters)
    return extracted


def start_text_detection(start: TextDetectionStart) -> None:
    """Asynchronous text detection of a multi-page document.

    The workflow waits on ``start.task_token``; the token is kept on the job before the
    detection starts, so the completion notification always finds it.
    """
    settings = get_settings()
    table = services.jobs_table()
    table.advance(start.job_id, JobStep.EXTRACTING_TEXT, now())
    table.hold_task_token(start.job_id, start.task_token)
    textract_job = services.textract().start_text_detection(
        start.document,
        job_tag=start.job_id,
        topic_arn=settings.text_detection_topic_arn,
        role_arn=settings.text_detection_role_arn,
    )
    logger.info("text detection started", textract_job_id=textract_job)


def finish_text_detection(job_id: str, textract_job_id: str, status: str) -> None:
    """Resume the waiting workflow with the detected text, or fail its step with why.

    The notification may come more than once: only the first finds the token.
    """
    table = services.jobs_table()
    token = table.task_token(job_id)
    if token is None:
        metrics.add_metric(name="RepeatedNotifications", unit=MetricUnit.Count, value=1)
        logger.info("no workflow waits for this detection; repeated notification", textract_job_id=textract_job_id)
        return
    flow = services.workflows()
    try:
        # A FAILED job raises TextDetectionFailed with Textract's StatusMessage.
        blocks = list(services.textract().text_detection_blocks(textract_job_id))
        extracted = _write_text(job_id, blocks)
    except (ServiceThrottled, ServiceUnavailable):
        # Transient: the notification is delivered again and finds the token still here.
        # Failing the step instead would restart a detection Textract takes for a repeat.
        raise
    except Exception as error:
        flow.fail(token, type(error).__name__, str(error) or f"Textract ended the job {status}")
        table.release_task_token(job_id, token)
        if isinstance(error, InsightError):
            logger.warning("text detection failed", reason=str(error))
            return
        raise
    flow.resume(token, extracted.model_dump(mode="json"))
    table.release_task_token(job_id, token)
    logger.info("text detection finished", pages=extracted.pages, characters=extracted.characters)


def analyse_document_text(job_id: str, extraction: ExtractedText) -> TextAnalysis:
    services.jobs_table().advance(job_id, JobStep.ANALYZING_TEXT, now())
    store = services.storage()
    text = store.read_json(extraction.text)["text"]
    analysis = analyse_text(services.comprehend(), text)
    ref = store.write_json(result_ref(job_id, "analysis"), analysis)
    summary = summarise(analysis, pages=extraction.pages, characters=extraction.characters)
    metrics.add_metric(name="CharactersAnalysed", unit=MetricUnit.Count, value=extraction.characters)
    logger.info("text analysed", language=summary.language, entities=len(analysis["entities"]))
    return TextAnalysis(analysis=ref, summary=summary)


def record_success(finished: FinishedDocument) -> Job:
    """Write the results document and mark the job SUCCEEDED with its summary."""
    table = services.jobs_table()
    table.advance(finished.job_id, JobStep.WRITING_RESULTS, now())
    store = services.storage()
    text = store.read_json(finished.extraction.text)
    analysis = store.read_json(finished.analysis.analysis)
    results = {
        "job_id": finished.job_id,
        "document": {
            **finished.document.model_dump(),
            **finished.info.model_dump(),
        },
        "summary": finished.analysis.summary.model_dump(mode="json"),
        **analysis,
        "text": text["text"],
        "pages": text["pages"],
    }
    ref = store.write_json(result_ref(finished.job_id, "results"), results)
    job = table.succeed(finished.job_id, now(), summary=finished.analysis.summary, results=ref)
    metrics.add_metric(name="JobsSucceeded", unit=MetricUnit.Count, value=1)
    logger.info("job succeeded", status=job.status.value)
    return job


ENDED_ERRORS = {"TIMED_OUT": "States.Timeout", "ABORTED": "ExecutionAborted", "FAILED": "ExecutionFailed"}


def record_execution_end(ended: ExecutionStatusChange) -> Job | None:
    """The safety net: a job whose execution ended without recording an outcome (stopped,
    timed out, or failed outside any Catch) is marked FAILED. A job that has its outcome
    already keeps it; the execution's name is the job id."""
    reason = ended.cause or f"the workflow's execution ended {ended.status} before recording the job's outcome"
    error = JobError(type=ended.error or ENDED_ERRORS.get(ended.status, ended.status), reason=reason)
    try:
        job = services.jobs_table().fail(ended.name, error, now())
    except NotFound:
        logger.info("execution is not a job's; ignored", execution_arn=ended.executionArn)
        return None
    logger.info("execution ended", status=ended.status, job_status=job.status.value)
    return job


def record_failure(failed: FailedExecution) -> Job:
    """Mark the job FAILED with the error's name and the reason in words. The upload stays."""
    reason = failed.failure.cause or failed.failure.error
    try:
        cause = json.loads(reason)
        if isinstance(cause, dict) and "errorMessage" in cause:
            reason = str(cause["errorMessage"])
    except ValueError:
        pass
    job = services.jobs_table().fail(failed.job_id, JobError(type=failed.failure.error, reason=reason), now())
    metrics.add_metric(name="JobsFailed", unit=MetricUnit.Count, value=1)
    metrics.add_metadata(key="error_type", value=failed.failure.error)
    logger.warning("job failed", error_type=failed.failure.error, reason=reason)
    return job

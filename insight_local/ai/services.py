"""The offline engines, answering as AWS's AI services inside moto's server.

Each operation handler takes moto's response object (for the account and region of the
call) and the request as the API's input shape, and returns the API's output shape.
Errors are AWS's own error codes, so botocore raises what it raises against AWS.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto.core.exceptions import JsonRESTError

from insight_local.ai import comprehend, textract, textract_analysis

Handler = Callable[[Any, dict[str, Any]], dict[str, Any]]


class EngineClock:
    """Seconds the offline engines spent computing answers (the benchmark splits a job's time
    into this and the runtime's overhead)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.seconds = 0.0

    def add(self, seconds: float) -> None:
        with self._lock:
            self.seconds += seconds


engine_clock = EngineClock()


def _timed(handler: Handler) -> Handler:
    def timed(response: Any, request: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            return handler(response, request)
        finally:
            engine_clock.add(time.perf_counter() - started)

    return timed


def _s3_bytes(response: Any, location: dict[str, Any]) -> bytes:
    from moto.s3.models import s3_backends

    s3_object = location.get("S3Object") or {}
    try:
        backend = s3_backends[response.current_account]["aws"]
        key = backend.get_object(s3_object["Bucket"], s3_object["Name"], version_id=s3_object.get("Version"))
    except Exception as error:
        raise JsonRESTError(
            "InvalidS3ObjectException",
            "Unable to get object metadata from S3. Check object key, region and/or access permissions.",
        ) from error
    if key is None:
        raise JsonRESTError(
            "InvalidS3ObjectException",
            "Unable to get object metadata from S3. Check object key, region and/or access permissions.",
        )
    return bytes(key.value)


def _document_bytes(response: Any, document: dict[str, Any]) -> bytes:
    if "Bytes" in document:
        import base64

        return base64.b64decode(document["Bytes"])
    return _s3_bytes(response, document)


# --- Textract -------------------------------------------------------------------------


@dataclass
class TextractJob:
    job_id: str
    api: str  # the Start operation: StartDocumentTextDetection or StartDocumentAnalysis
    job_tag: str | None
    location: dict[str, Any]
    features: frozenset[str] = frozenset()  # FeatureTypes of a document analysis
    status: str = "IN_PROGRESS"
    status_message: str | None = None
    pages: list[list[dict[str, Any]]] = field(default_factory=list)


_MODEL_VERSION_KEYS = {
    "StartDocumentTextDetection": "DetectDocumentTextModelVersion",
    "StartDocumentAnalysis": "AnalyzeDocumentModelVersion",
}


class TextractJobs:
    """Asynchronous text detection and document analysis: a job runs on a thread, then publishes
    to the job's topic. A job is only found by the Get operation of the API that started it."""

    def __init__(self) -> None:
        self._jobs: dict[str, TextractJob] = {}
        self._by_token: dict[tuple[str, str], str] = {}  # (API, ClientRequestToken) -> JobId
        self._lock = threading.Lock()

    def start(self, response: Any, request: dict[str, Any], api: str) -> dict[str, Any]:
        features: frozenset[str] = frozenset()
        if api == "StartDocumentAnalysis":
            try:
                features = textract_analysis.check_features(
                    request.get("FeatureTypes") or [], request.get("QueriesConfig")
                )
            except textract.TextractError as error:
                raise JsonRESTError(error.code, error.message) from error
        token = request.get("ClientRequestToken")
        with self._lock:
            if token and (api, token) in self._by_token:
                return {"JobId": self._by_token[(api, token)]}
        data = _s3_bytes(response, request["DocumentLocation"])
        job = TextractJob(
            job_id=uuid.uuid4().hex,
            api=api,
            job_tag=request.get("JobTag"),
            location=request["DocumentLocation"],
            features=features,
        )
        with self._lock:
            if token and (api, token) in self._by_token:
                return {"JobId": self._by_token[(api, token)]}
            self._jobs[job.job_id] = job
            if token:
                self._by_token[(api, token)] = job.job_id
        account, region = response.current_account, response.region
        channel = request.get("NotificationChannel")
        threading.Thread(
            target=self._run, args=(job, data, account, region, channel), name=f"textract:{job.job_id}", daemon=True
        ).start()
        return {"JobId": job.job_id}

    def _run(self, job: TextractJob, data: bytes, account: str, region: str, channel: dict[str, Any] | None) -> None:
        started = time.perf_counter()
        try:
            if job.features:
                job.pages = textract_analysis.analyze_pages(data, job.features)
            else:
                job.pages = textract.detect_pages(data)
            engine_clock.add(time.perf_counter() - started)
            job.status = "SUCCEEDED"
        except textract.TextractError as error:
            job.status, job.status_message = "FAILED", error.message
        except Exception as error:  # the engine's bug must still end the job
            job.status, job.status_message = "FAILED", f"the offline engine failed: {error}"
        if channel and channel.get("SNSTopicArn"):
            self._notify(job, account, region, channel["SNSTopicArn"])

    @staticmethod
    def _notify(job: TextractJob, account: str, region: str, topic_arn: str) -> None:
        from moto.sns.models import sns_backends

        s3_object = job.location.get("S3Object", {})
        message = {
            "JobId": job.job_id,
            "Status": job.status,
            "API": job.api,
            "JobTag": job.job_tag or "",
            "Timestamp": int(time.time() * 1000),
            "DocumentLocation": {"S3ObjectName": s3_object.get("Name", ""), "S3Bucket": s3_object.get("Bucket", "")},
        }
        sns_backends[account][region].publish(
            message=json.dumps(message), arn=topic_arn, subject="Amazon Textract Job Completion"
        )

    def get(self, request: dict[str, Any], api: str) -> dict[str, Any]:
        job = self._jobs.get(request["JobId"])
        if job is None or job.api != api:
            raise JsonRESTError("InvalidJobIdException", f"Request has invalid Job Id: {request['JobId']}")
        answer: dict[str, Any] = {"JobStatus": job.status, _MODEL_VERSION_KEYS[api]: "1.0"}
        if job.status_message:
            answer["StatusMessage"] = job.status_message
        if job.status == "SUCCEEDED":
            try:
                blocks, token = textract.paginate_blocks(
                    job.pages, int(request.get("MaxResults", 1000)), request.get("NextToken")
                )
            except textract.TextractError as error:
                raise JsonRESTError(error.code, error.message) from error
            answer["DocumentMetadata"] = {"Pages": len(job.pages)}
            answer["Blocks"] = blocks
            if token:
                answer["NextToken"] = token
        return answer


def _textract_operations() -> dict[str, Handler]:
    jobs = TextractJobs()

    def detect_document_text(response: Any, request: dict[str, Any]) -> dict[str, Any]:
        data = _document_bytes(response, request["Document"])
        try:
            return textract.detect_document_text(data)
        except textract.TextractError as error:
            raise JsonRESTError(error.code, error.message) from error

    def analyze_document(response: Any, request: dict[str, Any]) -> dict[str, Any]:
        try:
            features = textract_analysis.check_features(request.get("FeatureTypes") or [], request.get("QueriesConfig"))
            data = _document_bytes(response, request["Document"])
            return textract_analysis.analyze_document(data, features)
        except textract.TextractError as error:
            raise JsonRESTError(error.code, error.message) from error

    def start(api: str) -> Handler:
        return lambda response, request: jobs.start(response, request, api)

    return {
        "DetectDocumentText": detect_document_text,
        "StartDocumentTextDetection": start("StartDocumentTextDetection"),
        "GetDocumentTextDetection": lambda response, request: jobs.get(request, "StartDocumentTextDetection"),
        "AnalyzeDocument": analyze_document,
        "StartDocumentAnalysis": start("StartDocumentAnalysis"),
        "GetDocumentAnalysis": lambda response, request: jobs.get(request, "StartDocumentAnalysis"),
    }


# --- Comprehend -----------------------------------------------------------------------


def _comprehend_operations() -> dict[str, Handler]:
    def wrap(operation: Callable[[dict[str, Any]], dict[str, Any]]) -> Handler:
        def handle(response: Any, request: dict[str, Any]) -> dict[str, Any]:
            try:
                return operation(request)
            except comprehend.ComprehendError as error:
                raise JsonRESTError(error.code, error.message) from error

        return handle

    return {name: wrap(operation) for name, operation in comprehend.OPERATIONS.items()}


# --- Rekognition ----------------------------------------------------------------------


def _rekognition_operations() -> dict[str, Handler]:
    from insight_local.ai import rekognition

    def image_operation(operation: Callable[[bytes, dict[str, Any]], dict[str, Any]]) -> Handler:
        def handle(response: Any, request: dict[str, Any]) -> dict[str, Any]:
            data = _document_bytes(response, request.get("Image") or {})
            try:
                return operation(data, request)
            except rekognition.RekognitionError as error:
                raise JsonRESTError(error.code, error.message) from error

        return handle

    return {
        "DetectFaces": image_operation(rekognition.detect_faces),
        "DetectLabels": image_operation(rekognition.detect_labels),
        "DetectModerationLabels": image_operation(rekognition.detect_moderation_labels),
        "DetectText": image_operation(rekognition.detect_text),
    }


def operation_tables() -> list[tuple[type, dict[str, Handler]]]:
    from moto.comprehend.responses import ComprehendResponse
    from moto.rekognition.responses import RekognitionResponse
    from moto.textract.responses import TextractResponse
    from moto.transcribe.responses import TranscribeResponse

    return [
        (response_class, {name: _timed(handler) for name, handler in operations.items()})
        for response_class, operations in (
            (TextractResponse, _textract_operations()),
            (ComprehendResponse, _comprehend_operations()),
            (RekognitionResponse, _rekognition_operations()),
        )
    ] + [(TranscribeResponse, _transcribe_operations())]


# --- Polly and Transcribe (insight_local.ai.audio_services) ---------------------------


def _transcribe_operations() -> dict[str, Handler]:
    """Not wrapped in ``_timed``: the jobs' worker adds the engine's own time to the clock."""
    from insight_local.ai import audio_services

    return audio_services.transcribe_operations(engine_clock.add)


def install_rest_operations() -> None:
    """The REST-JSON engines (Polly), which ``moto_gaps._answer`` (JSON protocol) cannot serve."""
    from insight_local.ai import audio_services

    audio_services.install_polly(engine_clock.add)

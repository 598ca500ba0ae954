"""The offline Polly and Transcribe engines, answering inside moto's server.

Polly is a REST-JSON API whose SynthesizeSpeech answers a binary stream with headers, so it
cannot go through the JSON-protocol helper of ``moto_gaps._answer``: :func:`answer_rest` makes
one of moto's response classes answer an action (the path segment after ``/v1/``) with a
handler that returns ``(status, headers, body)``. Transcribe is JSON-protocol and goes through
``services.operation_tables`` like the other engines.

* Polly: ``SynthesizeSpeech``, and synthesis tasks (``StartSpeechSynthesisTask``,
  ``GetSpeechSynthesisTask``, ``ListSpeechSynthesisTasks``) that run on a thread, write
  ``<prefix>.<TaskId>.<ext>`` (``<TaskId>.<ext>`` without a prefix) to the output bucket and
  notify the task's SNS topic.
* Transcribe: transcription jobs run one at a time on a worker thread (QUEUED, IN_PROGRESS, then
  COMPLETED or FAILED), read their media from S3, write the transcript JSON to the output
  bucket (or to a service bucket, served by a presigned URL of the local endpoint) and publish
  "Transcribe Job State Change" on the default event bus when they end.
"""

from __future__ import annotations

import json
import queue
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlparse

from moto.core.exceptions import JsonRESTError

from insight_local.ai import polly, transcribe

__all__ = ["answer_rest", "install_polly", "transcribe_operations"]

RestHandler = Callable[[Any], tuple[int, dict[str, str], Any]]
Clock = Callable[[float], None]


def _error(code: str, message: str, status: int = 400) -> JsonRESTError:
    error = JsonRESTError(code, message)
    error.code = status
    return error


def answer_rest(response_class: type, action: str, handler: RestHandler) -> None:
    """Make moto's ``response_class`` answer the REST ``action`` (``_get_action()``'s value,
    e.g. ``speech``) with ``handler(response) -> (status, headers, body)``."""
    from moto.core.utils import camelcase_to_underscores

    def method(self: Any) -> tuple[int, dict[str, str], Any]:
        return handler(self)

    method.__name__ = camelcase_to_underscores(action)
    setattr(response_class, method.__name__, method)


def _now() -> float:
    return time.time()


def _s3_backend(account: str) -> Any:
    from moto.s3.models import s3_backends

    return s3_backends[account]["aws"]


def _endpoint(response: Any) -> str:
    """The local endpoint the caller reached (for URLs it can fetch)."""
    host = response.headers.get("Host") or "127.0.0.1"
    return f"http://{host}"


# --- Polly ----------------------------------------------------------------------------

_BUCKET = re.compile(r"^[a-z0-9][\.\-a-z0-9]{1,61}[a-z0-9]$")
_KEY_PREFIX = re.compile(r"^[0-9a-zA-Z\/\!\-_\.\*\'\(\):;\$@=+\,\?&]{0,800}$")
_TOPIC = re.compile(r"^arn:aws(-(cn|iso(-b)?|us-gov|eusc))?:sns:[a-z0-9_-]{1,50}:\d{12}:[a-zA-Z0-9_-]{1,251}(\.fifo)?$")
_TASK_ID = re.compile(r"^[a-zA-Z0-9_-]{1,100}$")


def _lexicons(account: str, region: str) -> dict[str, str]:
    from moto.polly.models import polly_backends

    return {name: lexicon.content for name, lexicon in polly_backends[account][region]._lexicons.items()}


def _synthesize(response: Any, request: dict[str, Any], limits: tuple[int, int], clock: Clock) -> polly.Speech:
    lexicons = _lexicons(response.current_account, response.region)
    started = time.perf_counter()
    try:
        return polly.synthesize(request, lexicons, limits)
    except polly.PollyError as error:
        raise _error(error.code, error.message, error.status) from error
    finally:
        clock(time.perf_counter() - started)


@dataclass
class SynthesisTask:
    account: str
    region: str
    request: dict[str, Any]
    task_id: str
    bucket: str
    key: str
    request_characters: int
    creation_time: float = field(default_factory=_now)
    status: str = "scheduled"
    reason: str | None = None

    @property
    def output_uri(self) -> str:
        return f"https://s3.{self.region}.amazonaws.com/{self.bucket}/{self.key}"

    def view(self) -> dict[str, Any]:
        request = self.request
        view: dict[str, Any] = {
            "Engine": request.get("Engine", "standard"),
            "TaskId": self.task_id,
            "TaskStatus": self.status,
            "OutputUri": self.output_uri,
            "CreationTime": self.creation_time,
            "RequestCharacters": self.request_characters,
            "OutputFormat": request["OutputFormat"],
            "TextType": request.get("TextType", "text"),
            "VoiceId": request["VoiceId"],
        }
        if self.reason:
            view["TaskStatusReason"] = self.reason
        for name in ("SnsTopicArn", "LexiconNames", "SampleRate", "SpeechMarkTypes", "LanguageCode"):
            if request.get(name):
                view[name] = request[name]
        return view


class SynthesisTasks:
    def __init__(self, clock: Clock) -> None:
        self._tasks: dict[str, SynthesisTask] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def start(self, response: Any) -> dict[str, Any]:
        request = json.loads(response.body or "{}")
        account, region = response.current_account, response.region
        try:
            checked = polly.check_request(request, polly.TASK_LIMITS)
        except polly.PollyError as error:
            raise _error(error.code, error.message, error.status) from error
        missing = [name for name in checked.lexicon_names if name not in _lexicons(account, region)]
        if missing:
            raise _error("LexiconNotFoundException", f"Lexicon not found: {missing[0]}")
        bucket = request.get("OutputS3BucketName", "")
        if not _BUCKET.match(bucket) or bucket not in _s3_backend(account).buckets:
            raise _error(
                "InvalidS3BucketException",
                "The provided Amazon S3 bucket name is invalid. Please check your input with S3 bucket naming "
                "requirements and try again.",
            )
        prefix = request.get("OutputS3KeyPrefix", "")
        if not _KEY_PREFIX.match(prefix):
            raise _error(
                "InvalidS3KeyException",
                "The provided Amazon S3 key prefix is invalid. Please provide a valid S3 object key name.",
            )
        topic = request.get("SnsTopicArn")
        if topic is not None and not self._topic_exists(topic, account, region):
            raise _error(
                "InvalidSnsTopicArnException",
                "The provided SNS topic ARN is invalid. Please provide a valid SNS topic ARN and try again.",
            )
        task_id = str(uuid.uuid4())
        extension = polly.output_extension(checked.output_format)
        key = f"{prefix}.{task_id}.{extension}" if prefix else f"{task_id}.{extension}"
        billed = polly.billed_characters(checked.text, checked.text_type)
        task = SynthesisTask(account, region, request, task_id, bucket, key, billed)
        with self._lock:
            self._tasks[task_id] = task
        answer = {"SynthesisTask": task.view()}
        threading.Thread(target=self._run, args=(task, response), name=f"polly:{task_id}", daemon=True).start()
        return answer

    @staticmethod
    def _topic_exists(topic: str, account: str, region: str) -> bool:
        from moto.sns.models import sns_backends

        if not _TOPIC.match(topic):
            return False
        try:
            sns_backends[account][region].get_topic(topic)
        except Exception:
            return False
        return True

    def _run(self, task: SynthesisTask, response: Any) -> None:
        task.status = "inProgress"
        try:
            speech = _synthesize(response, task.request, polly.TASK_LIMITS, self._clock)
            _s3_backend(task.account).put_object(task.bucket, task.key, speech.body)
            task.status = "completed"
        except JsonRESTError as error:
            task.status, task.reason = "failed", f"{error.error_type}: {error.message}"
        except Exception as error:  # the engine's bug must still end the task
            task.status, task.reason = "failed", f"the offline engine failed: {error}"
        topic = task.request.get("SnsTopicArn")
        if topic:
            self._notify(task, topic)

    @staticmethod
    def _notify(task: SynthesisTask, topic: str) -> None:
        from moto.sns.models import sns_backends

        request = task.request
        message: dict[str, Any] = {
            "taskId": task.task_id,
            "taskStatus": task.status.upper() if task.status != "inProgress" else "IN_PROGRESS",
            "outputUri": f"s3://{task.bucket}/{task.key}",
            "creationTime": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(task.creation_time))
            + f".{int(task.creation_time * 1000) % 1000:03d}Z",
            "requestCharacters": task.request_characters,
            "snsTopicArn": topic,
            "outputFormat": request["OutputFormat"].upper(),
            "textType": request.get("TextType", "text").upper(),
            "voiceId": request["VoiceId"],
            "engine": request.get("Engine", "standard").upper(),
        }
        if task.reason:
            message["taskStatusReason"] = task.reason
        sns_backends[task.account][task.region].publish(message=json.dumps(message), arn=topic)

    def get(self, response: Any, task_id: str) -> dict[str, Any]:
        if not _TASK_ID.match(task_id):
            raise _error(
                "InvalidTaskIdException",
                "The provided Task ID is not valid. Please provide a valid Task ID and try again.",
            )
        task = self._tasks.get(task_id)
        if task is None or (task.account, task.region) != (response.current_account, response.region):
            raise _error(
                "SynthesisTaskNotFoundException", "The Speech Synthesis task with requested Task ID cannot be found."
            )
        return {"SynthesisTask": task.view()}

    def list(self, response: Any) -> dict[str, Any]:
        query = response.querystring
        status = (query.get("Status") or [None])[0]
        max_results = int((query.get("MaxResults") or ["100"])[0])
        token = (query.get("NextToken") or [None])[0]
        tasks = sorted(
            (
                task
                for task in self._tasks.values()
                if (task.account, task.region) == (response.current_account, response.region)
                and (status is None or task.status == status)
            ),
            key=lambda task: task.creation_time,
            reverse=True,
        )
        start = 0
        if token is not None:
            if not token.isdigit() or int(token) > len(tasks):
                raise _error(
                    "InvalidNextTokenException",
                    "The NextToken is invalid. Verify that it's spelled correctly, and then try again.",
                )
            start = int(token)
        page = tasks[start : start + max_results]
        answer: dict[str, Any] = {"SynthesisTasks": [task.view() for task in page]}
        if start + max_results < len(tasks):
            answer["NextToken"] = str(start + max_results)
        return answer


def install_polly(clock: Clock) -> None:
    """Answer SynthesizeSpeech and the synthesis-task operations in moto's Polly."""
    from moto.polly import urls
    from moto.polly.responses import PollyResponse

    urls.url_paths.setdefault("{0}/v1/synthesisTasks", PollyResponse.dispatch)
    urls.url_paths.setdefault("{0}/v1/synthesisTasks/(?P<task_id>[^/]+)", PollyResponse.dispatch)
    tasks = SynthesisTasks(clock)

    def speech(response: Any) -> tuple[int, dict[str, str], Any]:
        request = json.loads(response.body or "{}")
        spoken = _synthesize(response, request, polly.SYNC_LIMITS, clock)
        headers = {"Content-Type": spoken.content_type, "x-amzn-RequestCharacters": str(spoken.request_characters)}
        return 200, headers, spoken.body

    def synthesis_tasks(response: Any) -> tuple[int, dict[str, str], Any]:
        parts = urlparse(response.uri).path.strip("/").split("/")
        if response.method == "POST":
            answer = tasks.start(response)
        elif len(parts) > 2:
            answer = tasks.get(response, unquote(parts[2]))
        else:
            answer = tasks.list(response)
        return 200, {"Content-Type": "application/json"}, json.dumps(answer)

    answer_rest(PollyResponse, "speech", speech)
    answer_rest(PollyResponse, "synthesisTasks", synthesis_tasks)


# --- Transcribe -----------------------------------------------------------------------

_JOB_NAME = re.compile(r"^[0-9a-zA-Z._-]+$")
_OUTPUT_KEY = re.compile(r"^[a-zA-Z0-9-_.!*'()/]{1,1024}$")
_UNSUPPORTED = {
    "ShowSpeakerLabels": "speaker partitioning",
    "ChannelIdentification": "channel identification",
    "ShowAlternatives": "alternative transcriptions",
    "VocabularyName": "custom vocabularies",
    "VocabularyFilterName": "vocabulary filters",
}
_NOT_OFFLINE = ("ContentRedaction", "ModelSettings", "Subtitles", "ToxicityDetection", "IdentifyMultipleLanguages")


def _bad_request(message: str) -> JsonRESTError:
    return _error("BadRequestException", message)


def parse_media_uri(uri: str) -> tuple[str, str]:
    """(bucket, key) of an S3 media URI: ``s3://bucket/key`` or an https path-style or
    virtual-hosted-style S3 URL."""
    parsed = urlparse(uri)
    if parsed.scheme == "s3" and parsed.netloc and parsed.path.strip("/"):
        return parsed.netloc, unquote(parsed.path.lstrip("/"))
    if parsed.scheme == "https":
        host = parsed.netloc.lower()
        path = unquote(parsed.path.lstrip("/"))
        virtual = re.match(r"^(.+)\.s3([.-][a-z0-9-]+)?\.amazonaws\.com$", host)
        if virtual and path:
            return virtual.group(1), path
        if re.match(r"^s3([.-][a-z0-9-]+)?\.amazonaws\.com$", host) and "/" in path:
            bucket, key = path.split("/", 1)
            if key:
                return bucket, key
    raise _bad_request(
        "The URI that you provided doesn't point to an S3 object. Make sure that the object exists and try your "
        "request again."
    )


@dataclass
class TranscriptionJob:
    account: str
    region: str
    name: str
    request: dict[str, Any]
    language_code: str | None
    endpoint: str
    creation_time: float = field(default_factory=_now)
    start_time: float | None = None
    completion_time: float | None = None
    status: str = "QUEUED"
    failure_reason: str | None = None
    media_format: str | None = None
    sample_rate: int | None = None
    transcript_uri: str | None = None

    @property
    def output_location_type(self) -> str:
        return "CUSTOMER_BUCKET" if self.request.get("OutputBucketName") else "SERVICE_BUCKET"

    def view(self) -> dict[str, Any]:
        request = self.request
        view: dict[str, Any] = {
            "TranscriptionJobName": self.name,
            "TranscriptionJobStatus": self.status,
            "Media": request["Media"],
            "CreationTime": self.creation_time,
            "Settings": request.get("Settings") or {"ChannelIdentification": False, "ShowAlternatives": False},
        }
        if self.language_code:
            view["LanguageCode"] = self.language_code
        if self.media_format or request.get("MediaFormat"):
            view["MediaFormat"] = self.media_format or request["MediaFormat"]
        if self.sample_rate or request.get("MediaSampleRateHertz"):
            view["MediaSampleRateHertz"] = self.sample_rate or request["MediaSampleRateHertz"]
        if self.start_time is not None:
            view["StartTime"] = self.start_time
        if self.completion_time is not None:
            view["CompletionTime"] = self.completion_time
        if self.failure_reason:
            view["FailureReason"] = self.failure_reason
        if self.transcript_uri:
            view["Transcript"] = {"TranscriptFileUri": self.transcript_uri}
        if request.get("IdentifyLanguage"):
            view["IdentifyLanguage"] = True
            if request.get("LanguageOptions"):
                view["LanguageOptions"] = request["LanguageOptions"]
        if request.get("Tags"):
            view["Tags"] = request["Tags"]
        return view

    def summary(self) -> dict[str, Any]:
        view = self.view()
        summary: dict[str, Any] = {
            name: view[name]
            for name in (
                "TranscriptionJobName",
                "CreationTime",
                "StartTime",
                "CompletionTime",
                "LanguageCode",
                "TranscriptionJobStatus",
                "FailureReason",
                "IdentifyLanguage",
            )
            if name in view
        }
        summary["OutputLocationType"] = self.output_location_type
        return summary


class TranscriptionJobs:
    """Transcription jobs of every account and region, run one at a time by a worker thread."""

    def __init__(self, clock: Clock) -> None:
        self._jobs: dict[tuple[str, str, str], TranscriptionJob] = {}
        self._lock = threading.Lock()
        self._queue: queue.Queue[TranscriptionJob] = queue.Queue()
        self._clock = clock
        self._worker: threading.Thread | None = None

    def start(self, response: Any, request: dict[str, Any]) -> dict[str, Any]:
        name = request.get("TranscriptionJobName", "")
        if not _JOB_NAME.match(name) or len(name) > 200:
            raise _bad_request(
                f"1 validation error detected: Value '{name}' at 'transcriptionJobName' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: ^[0-9a-zA-Z._-]+"
            )
        language = self._language(request)
        for setting, feature in _UNSUPPORTED.items():
            if (request.get("Settings") or {}).get(setting):
                raise _bad_request(f"{setting}: {feature} is not available offline (the local Transcribe).")
        for member in _NOT_OFFLINE:
            if request.get(member):
                raise _bad_request(f"{member} is not available offline (the local Transcribe).")
        media_format = request.get("MediaFormat")
        if media_format is not None and media_format not in transcribe.MEDIA_FORMATS:
            raise _bad_request(
                f"1 validation error detected: Value '{media_format}' at 'mediaFormat' failed to satisfy "
                f"constraint: Member must satisfy enum value set: [{', '.join(sorted(transcribe.MEDIA_FORMATS))}]"
            )
        parse_media_uri((request.get("Media") or {}).get("MediaFileUri", ""))
        output_key = request.get("OutputKey")
        if output_key is not None and not _OUTPUT_KEY.match(output_key):
            raise _bad_request(
                "The OutputKey that you specified isn't valid. Check the key and try your request again."
            )
        if output_key is not None and not request.get("OutputBucketName"):
            raise _bad_request("OutputKey requires OutputBucketName.")
        bucket = request.get("OutputBucketName")
        if bucket and bucket not in _s3_backend(response.current_account).buckets:
            raise _bad_request(
                "The specified S3 bucket does not exist. Check the bucket name and try your request again."
            )
        job = TranscriptionJob(response.current_account, response.region, name, request, language, _endpoint(response))
        key = (job.account, job.region, name)
        with self._lock:
            if key in self._jobs:
                raise _error("ConflictException", "The requested job name already exists. Use a different job name.")
            self._jobs[key] = job
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="transcribe", daemon=True)
                self._worker.start()
        self._queue.put(job)
        return {"TranscriptionJob": job.view()}

    @staticmethod
    def _language(request: dict[str, Any]) -> str | None:
        code = request.get("LanguageCode")
        identify = request.get("IdentifyLanguage") or request.get("IdentifyMultipleLanguages")
        if (code is None) == (not identify):
            raise _bad_request(
                "You must specify either LanguageCode or IdentifyLanguage (and not both). Check your request and "
                "try again."
            )
        if code is not None:
            if code not in transcribe.ENGLISH:
                raise _bad_request(
                    f"Language {code} is not available offline: the local Transcribe has an English model only "
                    f"({', '.join(transcribe.ENGLISH)})."
                )
            return str(code)
        options = request.get("LanguageOptions") or []
        english = [option for option in options if option in transcribe.ENGLISH]
        if options and not english:
            raise _bad_request(
                f"None of LanguageOptions {options} is available offline: the local Transcribe identifies English only."
            )
        return None

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            try:
                self._run(job)
            finally:
                self._queue.task_done()

    def _run(self, job: TranscriptionJob) -> None:
        job.status, job.start_time = "IN_PROGRESS", _now()
        request = job.request
        try:
            bucket, key = parse_media_uri(request["Media"]["MediaFileUri"])
            data = self._media(job.account, bucket, key)
            started = time.perf_counter()
            try:
                transcript = transcribe.transcribe(
                    data, request.get("MediaFormat"), request.get("MediaSampleRateHertz")
                )
            finally:
                self._clock(time.perf_counter() - started)
            job.media_format, job.sample_rate = transcript.media_format, transcript.sample_rate
            if job.language_code is None:  # IdentifyLanguage: English is all the offline model knows
                options = [option for option in request.get("LanguageOptions") or [] if option in transcribe.ENGLISH]
                job.language_code = options[0] if options else "en-US"
            results = dict(transcript.results)
            if request.get("IdentifyLanguage"):
                results = {"language_code": job.language_code, **results}
            document = {"jobName": job.name, "accountId": job.account, "status": "COMPLETED", "results": results}
            job.transcript_uri = self._write(job, json.dumps(document).encode())
            job.status = "COMPLETED"
        except transcribe.TranscribeError as error:
            job.status, job.failure_reason = "FAILED", error.message
        except JsonRESTError as error:
            job.status, job.failure_reason = "FAILED", error.message
        except Exception as error:  # the engine's bug must still end the job
            job.status, job.failure_reason = "FAILED", f"The offline engine failed: {error}"
        job.completion_time = _now()
        self._announce(job)

    @staticmethod
    def _media(account: str, bucket: str, key: str) -> bytes:
        try:
            stored = _s3_backend(account).get_object(bucket, key)
        except Exception:
            stored = None
        if stored is None:
            raise transcribe.TranscribeError(
                "The S3 URI that you provided can't be accessed. Make sure that you have read permission and try "
                "your request again."
            )
        return bytes(stored.value)

    def _write(self, job: TranscriptionJob, document: bytes) -> str:
        backend = _s3_backend(job.account)
        bucket = job.request.get("OutputBucketName")
        if bucket:
            output_key = job.request.get("OutputKey")
            if not output_key:
                key = f"{job.name}.json"
            elif output_key.endswith("/"):
                key = f"{output_key}{job.name}.json"
            else:
                key = output_key
            backend.put_object(bucket, key, document)
            return f"https://s3.{job.region}.amazonaws.com/{bucket}/{key}"
        service_bucket = f"aws-transcribe-{job.region}-prod"
        if service_bucket not in backend.buckets:
            backend.create_bucket(service_bucket, job.region)
        key = f"{job.account}/{job.name}/{uuid.uuid4()}/asrOutput.json"
        backend.put_object(service_bucket, key, document)
        return _presigned(job.endpoint, job.region, service_bucket, key)

    @staticmethod
    def _announce(job: TranscriptionJob) -> None:
        from moto.events.models import events_backends

        detail: dict[str, Any] = {"TranscriptionJobName": job.name, "TranscriptionJobStatus": job.status}
        if job.failure_reason:
            detail["FailureReason"] = job.failure_reason
        events_backends[job.account][job.region].put_events(
            [
                {
                    "Source": "aws.transcribe",
                    "DetailType": "Transcribe Job State Change",
                    "Detail": json.dumps(detail),
                    "Resources": [],
                }
            ]
        )

    def _job(self, response: Any, request: dict[str, Any], missing: str) -> TranscriptionJob:
        job = self._jobs.get((response.current_account, response.region, request.get("TranscriptionJobName", "")))
        if job is None:
            raise _error(missing, "The requested job couldn't be found. Check the job name and try your request again.")
        return job

    def get(self, response: Any, request: dict[str, Any]) -> dict[str, Any]:
        return {"TranscriptionJob": self._job(response, request, "NotFoundException").view()}

    def delete(self, response: Any, request: dict[str, Any]) -> dict[str, Any]:
        job = self._job(response, request, "BadRequestException")
        with self._lock:
            self._jobs.pop((job.account, job.region, job.name), None)
        return {}

    def list(self, response: Any, request: dict[str, Any]) -> dict[str, Any]:
        status = request.get("Status")
        contains = (request.get("JobNameContains") or "").lower()
        max_results = int(request.get("MaxResults") or 5)
        jobs = sorted(
            (
                job
                for (account, region, _), job in list(self._jobs.items())
                if (account, region) == (response.current_account, response.region)
                and (status is None or job.status == status)
                and contains in job.name.lower()
            ),
            key=lambda job: job.creation_time,
            reverse=True,
        )
        token = request.get("NextToken")
        start = 0
        if token is not None:
            if not str(token).isdigit() or int(token) > len(jobs):
                raise _bad_request("The NextToken that you specified isn't valid.")
            start = int(token)
        answer: dict[str, Any] = {
            "TranscriptionJobSummaries": [job.summary() for job in jobs[start : start + max_results]]
        }
        if status:
            answer["Status"] = status
        if start + max_results < len(jobs):
            answer["NextToken"] = str(start + max_results)
        return answer


def _presigned(endpoint: str, region: str, bucket: str, key: str) -> str:
    import boto3
    from botocore.config import Config

    client = boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="transcribe",
        aws_secret_access_key="transcribe",  # noqa: S106 (the local endpoint checks no signature)
        config=Config(signature_version="s3v4"),
    )
    return str(client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=900))


def transcribe_operations(clock: Clock) -> dict[str, Callable[[Any, dict[str, Any]], dict[str, Any]]]:
    jobs = TranscriptionJobs(clock)
    return {
        "StartTranscriptionJob": jobs.start,
        "GetTranscriptionJob": jobs.get,
        "ListTranscriptionJobs": jobs.list,
        "DeleteTranscriptionJob": jobs.delete,
    }

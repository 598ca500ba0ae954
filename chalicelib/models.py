"""Insight's contracts: API bodies, job records and the data its workflows pass.

Every body the API accepts or returns, and every event a function receives, is one of
these models; the OpenAPI document is generated from them.
"""

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chalicelib.settings import LANGUAGE_CODE_PATTERN

FILE_NAME_PATTERN = re.compile(r"^[\w\-. ()\[\]+,@&=]+$")


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class ObjectRef(Model):
    """Where a thing lives in S3. Workflows pass these, never the thing itself."""

    bucket: Annotated[str, Field(min_length=3, max_length=63)]
    key: Annotated[str, Field(min_length=1, max_length=1024)]
    version: Annotated[str | None, Field(max_length=1024)] = Field(
        default=None, description="The object's S3 version: uploads are read as they landed, never a later copy."
    )

    def locator(self) -> dict[str, str]:
        """``Bucket``, ``Key`` and, for a version, ``VersionId``: S3's parameters for this object."""
        located = {"Bucket": self.bucket, "Key": self.key}
        if self.version:
            located["VersionId"] = self.version
        return located

    def s3_object(self) -> dict[str, str]:
        """Textract's and Rekognition's ``S3Object`` for this object."""
        located = {"Bucket": self.bucket, "Name": self.key}
        if self.version:
            located["Version"] = self.version
        return located


# --- uploads -------------------------------------------------------------------------


class JobKind(StrEnum):
    """Which workflow analyses a job's file."""

    DOCUMENT = "DOCUMENT"  # text: Textract, then Comprehend
    IMAGE = "IMAGE"  # Rekognition: labels, text, faces, moderation; a thumbnail
    MEDIA = "MEDIA"  # audio or video: Transcribe, then Comprehend; translations, a spoken summary


class JobOptions(Model):
    """What an upload asked for beyond the analysis itself (audio and video only)."""

    translate_to: list[str] = Field(
        default=[], description="Languages the transcript is translated into (its PII-redacted copy)."
    )
    spoken_summary: bool = Field(default=False, description="Whether Polly reads a summary aloud (an MP3).")


class UploadRequest(Model):
    """What a client says about the file it is about to upload."""

    file_name: Annotated[str, Field(min_length=1, max_length=255, examples=["invoice.pdf"])]
    content_type: Annotated[str, Field(min_length=3, max_length=127, examples=["application/pdf"])]
    size: Annotated[int, Field(gt=0, strict=True, description="Size of the file in bytes.")]
    kind: JobKind | None = Field(
        default=None,
        description="The analysis to run. By default it follows the content type: images (JPEG, PNG, WebP) run "
        "the image workflow, audio and video the media workflow, PDF and TIFF the document workflow. "
        "DOCUMENT reads a photographed or scanned page (JPEG, PNG) as a document instead.",
    )
    translate_to: list[Annotated[str, Field(pattern=LANGUAGE_CODE_PATTERN)]] = Field(
        default=[],
        max_length=20,
        description="Audio and video: translate the transcript, PII redacted, into these languages (Translate's "
        "codes).",
        examples=[["es"]],
    )
    spoken_summary: bool = Field(default=False, description="Audio and video: a summary spoken by Polly (MP3).")
    callback_url: Annotated[
        str | None,
        Field(
            max_length=2048,
            description="Where to POST the job's outcome when it ends, signed with Standard Webhooks. "
            "https only in prod; http to a loopback address is also allowed in dev and locally.",
            examples=["https://example.com/hooks/insight"],
        ),
    ] = None

    @field_validator("callback_url")
    @classmethod
    def plain_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("callback_url must be an absolute https URL")
        if parts.username is not None or parts.password is not None:
            raise ValueError("callback_url must not carry credentials")
        if parts.fragment:
            raise ValueError("callback_url must not have a fragment")
        try:
            parts.port  # noqa: B018 (a malformed port raises)
        except ValueError as error:
            raise ValueError(f"callback_url has a bad port: {error}") from error
        return value

    @field_validator("file_name")
    @classmethod
    def plain_file_name(cls, value: str) -> str:
        if value in {".", ".."} or not FILE_NAME_PATTERN.fullmatch(value):
            raise ValueError(
                "file_name must be a plain file name: letters, digits, spaces and - _ . ( ) [ ] + , @ & =, "
                "with no path separators"
            )
        return value

    @field_validator("content_type")
    @classmethod
    def lower_content_type(cls, value: str) -> str:
        return value.strip().lower()

    @field_validator("translate_to")
    @classmethod
    def distinct_languages(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("translate_to names a language more than once")
        return value

    def options(self) -> JobOptions:
        return JobOptions(translate_to=self.translate_to, spoken_summary=self.spoken_summary)


class PresignedPost(Model):
    """An S3 presigned POST: send ``fields`` and then the file as multipart form data to ``url``."""

    url: str
    fields: dict[str, str]


class UploadTicket(Model):
    job_id: str
    upload: PresignedPost
    expires_in: int = Field(description="Seconds the upload form stays valid.")
    max_size: int = Field(description="The largest size in bytes the form accepts: the size declared.")


# --- jobs ----------------------------------------------------------------------------


class JobStatus(StrEnum):
    AWAITING_UPLOAD = "AWAITING_UPLOAD"  # the form is issued, the file has not landed yet
    RECEIVED = "RECEIVED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"  # the form expired and no file was uploaded with it

    @property
    def finished(self) -> bool:
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.EXPIRED)


class JobStep(StrEnum):
    UPLOADING = "uploading"
    QUEUED = "queued"
    VALIDATING = "validating"
    EXTRACTING_TEXT = "extracting_text"
    ANALYZING_IMAGE = "analyzing_image"
    TRANSCRIBING = "transcribing"
    ANALYZING_TEXT = "analyzing_text"
    TRANSLATING = "translating"
    SPEAKING_SUMMARY = "speaking_summary"
    WRITING_RESULTS = "writing_results"
    DONE = "done"


class JobError(Model):
    type: str = Field(description="The error's name, e.g. InvalidDocument or States.Timeout.")
    reason: str


class EntityCount(Model):
    type: str
    count: int


class TextSummary(Model):
    """The headline of a text's analysis by Comprehend."""

    characters: int
    language: str | None = None
    sentiment: str | None = None
    entities: list[EntityCount] = []
    key_phrases: list[str] = Field(default=[], description="The highest scoring key phrases.")
    pii_entities: list[EntityCount] = []


class DocumentSummary(TextSummary):
    """The headline of a document's analysis, kept on the job record."""

    pages: int


class ModerationSummary(Model):
    status: Literal["checked", "unavailable"] = Field(
        description="unavailable: Rekognition could not check the image here (the reason says why); "
        "it is not called safe."
    )
    labels: list[str] = []
    reason: str | None = None


class ImageSummary(Model):
    """The headline of an image's analysis, kept on the job record."""

    media_type: str
    width: int
    height: int
    labels: list[str] = Field(default=[], description="Label names, most confident first.")
    faces: int = 0
    text: list[str] = Field(default=[], description="Lines of text read in the image.")
    moderation: ModerationSummary
    thumbnail: ObjectRef


class TranslationSummary(Model):
    language: str
    status: Literal["translated", "unavailable"]
    reason: str | None = None


class MediaSummary(TextSummary):
    """The headline of an audio or video file's transcript and its analysis."""

    duration_seconds: float | None = Field(default=None, description="From the file's headers, when they say.")
    redacted_pii: int = Field(default=0, description="PII entities replaced in the redacted transcript.")
    translations: list[TranslationSummary] = []
    spoken_summary: ObjectRef | None = None


class JobOrigin(Model):
    """The webhook that started a job (jobs from uploads have none)."""

    source: str
    event_id: str
    event_type: str


class CallbackState(StrEnum):
    PENDING = "PENDING"  # the job has not ended, or its outcome is being delivered
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"  # every attempt failed


class CallbackAttempt(Model):
    at: datetime
    status_code: int | None = Field(default=None, description="The receiver's HTTP status, if it answered.")
    error: str | None = Field(default=None, description="Why the attempt failed; none when it was delivered.")


class Callback(Model):
    url: str
    state: CallbackState = CallbackState.PENDING
    attempts: list[CallbackAttempt] = []


class Job(Model):
    job_id: str
    kind: JobKind
    status: JobStatus
    step: JobStep
    file_name: str
    content_type: str
    size: int
    source: ObjectRef
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None
    options: JobOptions | None = None
    summary: DocumentSummary | ImageSummary | MediaSummary | None = None
    results: ObjectRef | None = None
    error: JobError | None = None
    origin: JobOrigin | None = None
    callback: Callback | None = None
    retry_of: str | None = Field(
        default=None, description="The failed job whose upload this job analyses again (started from the chat)."
    )

    def files(self) -> dict[str, ObjectRef]:
        """What the job wrote that a client downloads: the results, a thumbnail, a spoken summary."""
        found: dict[str, ObjectRef] = {}
        if self.results is not None:
            found["results"] = self.results
        if isinstance(self.summary, ImageSummary):
            found["thumbnail"] = self.summary.thumbnail
        if isinstance(self.summary, MediaSummary) and self.summary.spoken_summary is not None:
            found["spoken_summary"] = self.summary.spoken_summary
        return found


class JobStateChange(Model):
    """The detail of the "Job State Change" event Insight publishes to EventBridge
    (``source: insight``) whenever a job's status or step changes."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    job_id: str
    kind: JobKind
    status: JobStatus
    step: JobStep
    error: JobError | None = None
    updated_at: datetime
    has_callback: bool = Field(default=False, description="The job was created with a callback URL.")

    @classmethod
    def of(cls, job: Job) -> "JobStateChange":
        return cls(
            job_id=job.job_id,
            kind=job.kind,
            status=job.status,
            step=job.step,
            error=job.error,
            updated_at=job.updated_at,
            has_callback=job.callback is not None,
        )


class JobView(Model):
    """A job as the API shows it: the record plus links to what it wrote."""

    job: Job
    results_url: str | None = Field(default=None, description="A presigned GET of the results document.")
    downloads: dict[str, str] = Field(
        default={}, description="Presigned GETs of the job's files: results, thumbnail, spoken_summary."
    )


class JobPage(Model):
    jobs: list[Job]
    next_token: str | None = Field(default=None, description="Pass as ?next_token= to get the next page.")


class ListJobsQuery(Model):
    limit: Annotated[int | None, Field(ge=1, le=100)] = None
    next_token: Annotated[str | None, Field(max_length=2048)] = None


# --- webhooks ---------------------------------------------------------------------------


class WebhookEvent(Model):
    """A verified webhook, as queued for processing: who sent it, its id and type, its body."""

    source: str
    event_id: Annotated[str, Field(min_length=1, max_length=256)]
    event_type: Annotated[str, Field(max_length=256)]
    received_at: datetime
    payload: Any


class WebhookAccepted(Model):
    """The answer to a verified webhook: it is queued and will be processed once."""

    source: str
    event_id: str
    event_type: str
    job_id: str = Field(description="The job this event starts if a routing rule starts one (GET /jobs/{job_id}).")


class WebhookOutcome(Model):
    """What processing a webhook did: started a job, or why it did not."""

    source: str
    event_id: str
    event_type: str
    outcome: Literal["started", "ignored", "refused"]
    job_id: str | None = None
    reason: str | None = None


class ErrorBody(Model):
    """Every 4xx and 5xx answer of the API."""

    code: str
    message: str
    details: list[dict[str, Any]] | None = None


class UploadsReconciled(Model):
    """What one sweep of waiting jobs did (``uploads.reconcile_uploads``)."""

    redriven: list[str] = Field(default=[], description="Jobs received again or whose workflow was started again.")
    expired: list[str] = Field(default=[], description="Jobs whose upload form expired unused.")
    deferred: list[str] = Field(default=[], description="Jobs left for the next sweep after an error.")
    callbacks_redriven: list[str] = Field(
        default=[], description="Finished jobs whose callback was never queued: their end published again."
    )


class AnalysisOutcome(StrEnum):
    """What asking to analyse an upload again did (``uploads.start_analysis``)."""

    STARTED = "STARTED"  # the upload's job was received (its event was lost) or its workflow restarted
    RETRIED = "RETRIED"  # a failed job's upload is analysed again, as a new job
    IN_PROGRESS = "IN_PROGRESS"  # the job is already being analysed: nothing new started
    FINISHED = "FINISHED"  # the job succeeded already: its results are there
    NOT_UPLOADED = "NOT_UPLOADED"  # the form was issued but no file has landed
    NOT_RETRIABLE = "NOT_RETRIABLE"  # the job failed because of the file itself: a new run would fail alike
    NOT_STARTED = "NOT_STARTED"  # the workflow could not start: the job is FAILED and says why


class AnalysisStart(Model):
    outcome: AnalysisOutcome
    job: Job = Field(description="The job that analyses (or analysed) the upload.")


# --- chat ------------------------------------------------------------------------------

#: Lex V2's session ids: 2 to 100 of letters, digits and . _ : -
SESSION_ID_PATTERN = r"^[0-9a-zA-Z._:-]{2,100}$"


class ChatRequest(Model):
    """What a user says to Insight's assistant, in a session (start one by leaving it out)."""

    text: Annotated[str, Field(min_length=1, max_length=1024, examples=["what is the status of my job?"])]
    session_id: Annotated[
        str | None,
        Field(
            default=None,
            pattern=SESSION_ID_PATTERN,
            description="The conversation: 2 to 100 letters, digits and . _ : -; a new one is made if left out.",
        ),
    ] = None

    @field_validator("text")
    @classmethod
    def something_said(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text must say something (it is blank)")
        return value


class ChatMessage(Model):
    content: str
    content_type: str = "PlainText"


class ChatIntent(Model):
    name: str
    state: str | None = None
    confirmation_state: str | None = None
    slots: dict[str, str | None] = Field(default={}, description="Each slot's interpreted value, null if unfilled.")


class ChatDialogAction(Model):
    type: str
    slot_to_elicit: str | None = None


class ChatSessionState(Model):
    dialog_action: ChatDialogAction | None = None
    intent: ChatIntent | None = None
    session_attributes: dict[str, str] = {}


class ChatReply(Model):
    """The assistant's answer: what it says, and where the conversation stands."""

    session_id: str
    messages: list[ChatMessage]
    session_state: ChatSessionState


# --- the document workflow's state -----------------------------------------------------


class DocumentExecution(Model):
    """The input of the document workflow: which job, and where its upload is."""

    job_id: str
    document: ObjectRef


class DocumentInfo(Model):
    media_type: str
    size: int
    pages: int


class ExtractedText(Model):
    """Where the text of a document was written, and how much of it there is."""

    text: ObjectRef
    pages: int
    characters: int


class TextToAnalyse(Model):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    job_id: str
    extraction: ExtractedText


class TextDetectionCompleted(Model):
    """Textract's completion notification, as published to the job's SNS topic."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    JobId: str
    Status: str
    API: str | None = None
    JobTag: str
    StatusMessage: str | None = None


class TextAnalysis(Model):
    analysis: ObjectRef
    summary: DocumentSummary


class TextDetectionStart(Model):
    """The input of the step that starts asynchronous text detection and waits for it."""

    job_id: str
    document: ObjectRef
    task_token: str


class WorkflowFailure(Model):
    """The Catch output the failure step receives: Error and Cause as Step Functions names them."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True, defer_build=True)

    error: str = Field(alias="Error")
    cause: str | None = Field(default=None, alias="Cause")


class FailedExecution(Model):
    job_id: str
    failure: WorkflowFailure


class ExecutionStatusChange(Model):
    """The detail of Step Functions' "Execution Status Change" event."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    executionArn: str
    name: str
    status: str
    error: str | None = None
    cause: str | None = None
    stopDate: datetime | None = None  # epoch milliseconds in the event


class FinishedDocument(Model):
    """The input of the last step: everything the workflow learned, as pointers."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    job_id: str
    document: ObjectRef
    info: DocumentInfo
    extraction: ExtractedText
    analysis: TextAnalysis


# --- the image workflow's state ----------------------------------------------------------


class ImageExecution(Model):
    """The input of the image workflow: which job, and where its upload is."""

    job_id: str
    image: ObjectRef


class ImageInfo(Model):
    """The upload as validated, and the image Rekognition analyses (the upload, or a copy)."""

    media_type: str
    size: int
    width: int = Field(description="Width of the analysed image, in pixels.")
    height: int
    analysed: ObjectRef
    analysed_type: str
    changes: list[str] = Field(default=[], description="What the analysed copy changed: converted, scaled...")


class ImageFeature(StrEnum):
    LABELS = "labels"
    TEXT = "text"
    FACES = "faces"
    MODERATION = "moderation"


class ImageFeatureRequest(Model):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    job_id: str
    feature: ImageFeature
    info: ImageInfo


class ImageFeatureResult(Model):
    """One analysis of the image, written to S3; ``unavailable`` when the service could not
    give it here, with why."""

    feature: ImageFeature
    status: Literal["available", "unavailable"]
    result: ObjectRef | None = None
    reason: str | None = None


class ThumbnailRequest(Model):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    job_id: str
    info: ImageInfo


class Thumbnail(Model):
    thumbnail: ObjectRef
    width: int
    height: int


class ImageAnalyses(Model):
    labels: ImageFeatureResult
    text: ImageFeatureResult
    faces: ImageFeatureResult
    moderation: ImageFeatureResult
    thumbnail: Thumbnail


class FinishedImage(Model):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    job_id: str
    image: ObjectRef
    info: ImageInfo
    analyses: ImageAnalyses


# --- the media workflow's state ----------------------------------------------------------


class MediaExecution(Model):
    """The input of the media workflow: which job, where its upload is, what it asked for."""

    job_id: str
    media: ObjectRef
    file_name: str | None = None
    options: JobOptions = Field(default_factory=JobOptions)


class TranscriptionWait(Model):
    """How long the transcription step waits (``TimeoutSecondsPath``) and how long it waits
    for each heartbeat (``HeartbeatSecondsPath``): set from the media's duration."""

    timeout_seconds: int = Field(gt=0)
    heartbeat_seconds: int = Field(gt=0)


class MediaInfo(Model):
    media_type: str
    format: str = Field(description="Transcribe's MediaFormat: mp3, mp4, wav, flac, ogg, webm.")
    size: int
    duration_seconds: float | None = None
    wait: TranscriptionWait


class TranscriptionStart(Model):
    """The input of the step that starts the transcription and waits for it."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    job_id: str
    media: ObjectRef
    info: MediaInfo
    task_token: str


class TranscriptionStateChange(Model):
    """The detail of Transcribe's "Transcribe Job State Change" event."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    TranscriptionJobName: str
    TranscriptionJobStatus: str


class TranscriptText(Model):
    """Where the transcript was written (text and timed segments), and how much there is."""

    transcript: ObjectRef
    characters: int
    language_code: str | None = None


class TranscriptAnalysisRequest(Model):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    job_id: str
    file_name: str | None = None
    info: MediaInfo
    transcript: TranscriptText


class SpokenSummaryText(Model):
    text: ObjectRef
    characters: int
    long: bool = Field(default=False, description="Read by a Polly synthesis task rather than at once.")


class TranscriptAnalysis(Model):
    analysis: ObjectRef
    redacted: ObjectRef
    redacted_pii: int
    summary: TextSummary
    spoken: SpokenSummaryText


class TranslationRequest(Model):
    """One translation of a media's transcript: always of its redacted copy (PII replaced by its
    type), so that no personal data reaches Translate or the translations."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    job_id: str
    language: Annotated[str, Field(pattern=LANGUAGE_CODE_PATTERN)]
    redacted: ObjectRef = Field(description="The redacted transcript (TranscriptAnalysis.redacted), as text.")
    source_language: str | None = None


class Translation(Model):
    language: str
    status: Literal["translated", "unavailable"]
    translation: ObjectRef | None = None
    reason: str | None = None


class SpeechRequest(Model):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    job_id: str
    spoken: SpokenSummaryText
    task_token: str | None = None


class SpokenSummary(Model):
    audio: ObjectRef
    characters: int
    voice: str


class SpeechSynthesisCompleted(Model):
    """Polly's notification that a speech synthesis task ended, as published to its SNS topic."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    taskId: str
    taskStatus: str
    outputUri: str
    requestCharacters: int = 0
    taskStatusReason: str | None = None


class FinishedMedia(Model):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    job_id: str
    media: ObjectRef
    options: JobOptions = Field(default_factory=JobOptions)
    info: MediaInfo
    transcript: TranscriptText
    analysis: TranscriptAnalysis
    translations: list[Translation] = []
    speech: SpokenSummary | None = None


class TranscriptionsWatched(Model):
    """What one run of the transcription watch did."""

    heartbeats: list[str] = Field(default=[], description="Jobs whose wait was told that Transcribe still works.")
    finished: list[str] = Field(default=[], description="Jobs whose end was found here (its event was lost).")
    lost: list[str] = Field(default=[], description="Jobs whose transcription job Transcribe no longer knows.")

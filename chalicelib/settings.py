"""The one typed settings object. Nothing else reads the environment."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Annotated, Any, Literal, get_origin

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: What each kind of job accepts (``content_type`` at ``POST /uploads``). JPEG and PNG are
#: both: a photo runs the image workflow unless the upload asks for ``kind: DOCUMENT`` (a
#: scanned page, read by OCR).
DEFAULT_CONTENT_TYPES = (
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/tiff",
)
DEFAULT_IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
#: Transcribe's media formats (mp3, mp4, wav, flac, ogg, webm) under their usual names.
DEFAULT_MEDIA_TYPES = (
    "audio/mpeg",
    "audio/mp3",
    "audio/mp4",
    "audio/x-m4a",
    "video/mp4",
    "audio/wav",
    "audio/x-wav",
    "audio/wave",
    "audio/flac",
    "audio/x-flac",
    "audio/ogg",
    "video/ogg",
    "audio/webm",
    "video/webm",
)

PREFIX = "INSIGHT_"
#: A language code as Translate names them: ``es``, ``fr-CA``, ``zh-TW``.
LANGUAGE_CODE_PATTERN = r"^[a-z]{2,3}(-[A-Z]{2})?$"


class WebhookSource(BaseModel):
    """A business system that sends Insight webhooks, and how it signs them.

    ``standard``: Standard Webhooks (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``);
    ``github``: ``X-Hub-Signature-256`` (GitHub signs no timestamp: replays are caught by the
    delivery id only); ``stripe``: ``Stripe-Signature``. The signing secret is the value of
    the key ``name`` in the webhook secrets (``webhook_secrets_arn``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    scheme: Literal["standard", "github", "stripe"]


class WebhookRoute(BaseModel):
    """A source's event type, mapped to a workflow: ``document``, ``image`` or ``media``.

    The workflow runs on an object already in the upload bucket, named by the event at the
    JMESPath expressions ``bucket`` and ``key`` (and ``version``, optional), with the input an
    upload of that kind gives it. The object is analysed as the rule's kind whatever its type:
    one that is not of that kind fails at the workflow's validation, with the reason on the job.
    A ``media`` rule may ask, as an upload may, for translations of the (redacted) transcript
    and a spoken summary. Insight never fetches a URL from a webhook.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    source: str
    event_type: str
    workflow: Literal["document", "image", "media"] = "document"
    bucket: str = "data.bucket"
    key: str = "data.key"
    version: str | None = None
    translate_to: tuple[Annotated[str, Field(pattern=LANGUAGE_CODE_PATTERN)], ...] = ()
    spoken_summary: bool = False

    @model_validator(mode="after")
    def options_of_media(self) -> WebhookRoute:
        if self.workflow != "media" and (self.translate_to or self.spoken_summary):
            raise ValueError(
                f"the {self.workflow} workflow has no translations or spoken summary: translate_to and "
                "spoken_summary are for media routes only"
            )
        if len(set(self.translate_to)) != len(self.translate_to):
            raise ValueError("translate_to names a language more than once")
        return self


def default_webhook_sources() -> tuple[WebhookSource, ...]:
    return (
        WebhookSource(name="crm", scheme="standard"),
        WebhookSource(name="github", scheme="github"),
        WebhookSource(name="stripe", scheme="stripe"),
    )


def default_webhook_routes() -> tuple[WebhookRoute, ...]:
    """A CRM's "document attached", "image attached" and "recording attached" events, a
    GitHub repository dispatch and a Stripe file upload, each naming a file already in the
    upload bucket."""
    return (
        WebhookRoute(source="crm", event_type="document.attached", bucket="data.bucket", key="data.key"),
        WebhookRoute(source="crm", event_type="image.attached", workflow="image", bucket="data.bucket", key="data.key"),
        WebhookRoute(
            source="crm", event_type="recording.attached", workflow="media", bucket="data.bucket", key="data.key"
        ),
        WebhookRoute(
            source="github",
            event_type="repository_dispatch.insight_document",
            bucket="client_payload.bucket",
            key="client_payload.key",
        ),
        WebhookRoute(
            source="stripe",
            event_type="file.created",
            bucket="data.object.metadata.insight_bucket",
            key="data.object.metadata.insight_key",
        ),
    )


class MlModel(BaseModel):
    """A model Insight trains and deploys with SageMaker, as ``infra/resources.py`` declares it
    (``Model``): names, the gate, the jobs' resources, the deployment's guard rails."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9-]{0,23}$")
    package_group: str
    endpoint: str
    variant: str = "AllTraffic"
    metric: str = "accuracy"
    higher_is_better: bool = True
    threshold: float = 0.75
    min_improvement: float = 0.0
    auto_approve: bool = False
    image_uri: str
    processing_instance_type: str = "ml.m5.large"
    training_instance_type: str = "ml.m5.large"
    inference_instance_type: str = "ml.m5.large"
    inference_instance_count: int = Field(default=1, gt=0)
    max_runtime_seconds: int = Field(default=3600, gt=0)
    spot: bool = True
    max_wait_seconds: int = Field(default=7200, gt=0)
    hyperparameters: dict[str, str] = {}
    metric_definitions: tuple[dict[str, str], ...] = ()
    canary_percent: int = Field(default=10, gt=0, le=100)
    canary_wait_seconds: int = Field(default=300, ge=0, le=3600)
    baking_seconds: int = Field(default=600, ge=0, le=3600)
    #: UpdateEndpoint's MaximumExecutionTimeoutInSeconds: 600 to 28800.
    max_deployment_seconds: int = Field(default=3600, ge=600, le=28800)
    max_errors_per_minute: int = Field(default=1, gt=0)
    max_latency_ms: int = Field(default=1000, gt=0)
    settle_seconds: int = Field(default=300, ge=0)


class Settings(BaseModel):
    """Insight's configuration, read once from ``INSIGHT_*`` environment variables.

    Resource names come from the deployment (the SAM template or the local runtime),
    limits from the stage's configuration. List settings take a JSON array
    (``INSIGHT_ALLOWED_CONTENT_TYPES='["application/pdf"]'``).
    """

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    stage: str = "dev"
    region: str = "us-east-1"

    upload_bucket: str = "insight-uploads"
    results_bucket: str = "insight-results"
    jobs_table: str = "insight-jobs"
    document_workflow_arn: str = ""
    image_workflow_arn: str = ""
    media_workflow_arn: str = ""
    text_detection_topic_arn: str = ""
    text_detection_role_arn: str = ""
    speech_synthesis_topic_arn: str = ""

    #: The content types of documents (the document workflow), images and audio or video.
    allowed_content_types: tuple[str, ...] = DEFAULT_CONTENT_TYPES
    image_content_types: tuple[str, ...] = DEFAULT_IMAGE_TYPES
    media_content_types: tuple[str, ...] = DEFAULT_MEDIA_TYPES
    max_upload_bytes: int = Field(default=50 * 1024 * 1024, gt=0)
    #: Audio and video: Transcribe takes files up to 2 GB and 4 hours.
    max_media_bytes: int = Field(default=2 * 1000**3, gt=0)
    max_media_seconds: int = Field(default=4 * 3600, gt=0)
    #: Images: the analysed copy's longer side (a larger image is scaled down to it; Rekognition
    #: takes up to 10,000 pixels a side and 15 MB from S3), the most pixels decoded, the thumbnail's side.
    image_analysis_side: int = Field(default=4096, ge=80, le=10_000)
    max_image_pixels: int = Field(default=100_000_000, gt=0)
    thumbnail_side: int = Field(default=256, ge=16, le=1024)
    #: Transcribe's language: one code, or several to let Transcribe identify which.
    transcription_languages: tuple[str, ...] = ("en-US",)
    #: How long the media workflow waits for Transcribe: ``transcription_base_seconds`` plus
    #: ``transcription_seconds_per_media_second`` for every second of the media (the longest
    #: media allowed when its duration cannot be read). While Transcribe works, the scheduled
    #: watch (``media_workflow.watch_transcriptions``, every 5 minutes) sends the waiting step a
    #: heartbeat; a wait that gets none for ``transcription_heartbeat_seconds`` fails.
    transcription_base_seconds: int = Field(default=900, gt=0)
    transcription_seconds_per_media_second: float = Field(default=2.0, gt=0)
    transcription_heartbeat_seconds: int = Field(default=1200, gt=0)
    #: Languages one upload may ask its transcript to be translated into.
    max_translations: int = Field(default=5, ge=0, le=20)
    #: The spoken summary: Polly's voice, and how many of the transcript's sentences it reads.
    speech_voice: str = "Joanna"
    spoken_summary_sentences: int = Field(default=3, ge=0, le=20)
    #: A spoken summary longer than this many characters is read by a Polly synthesis task
    #: (StartSpeechSynthesisTask, written to S3, its end announced on SNS) instead of at once
    #: by SynthesizeSpeech, which takes at most 3,000.
    speech_task_characters: int = Field(default=3000, ge=1, le=3000)
    max_pages: int = Field(default=100, gt=0)
    upload_url_expiry_seconds: int = Field(default=900, gt=0, le=7 * 24 * 3600)
    results_url_expiry_seconds: int = Field(default=3600, gt=0, le=7 * 24 * 3600)
    #: The sweep of waiting jobs (``uploads.reconcile_uploads``): slack after a form expires
    #: before its job is expired, how long a RECEIVED job may wait for its workflow, how far back.
    upload_grace_seconds: int = Field(default=300, ge=0)
    stalled_job_seconds: int = Field(default=600, gt=0)
    reconcile_window_hours: int = Field(default=48, gt=0)
    job_retention_days: int = Field(default=90, gt=0)
    jobs_page_size: int = Field(default=20, gt=0, le=100)
    #: The Lex V2 bot behind ``POST /chat`` (ids given by the deployment) and its language.
    chat_bot_id: str = ""
    chat_bot_alias_id: str = ""
    chat_bot_locale: str = "en_US"
    #: X-Ray subsegments for every AWS call, through Powertools Tracer and the X-Ray SDK. Off,
    #: Lambda's active tracing still records each invocation; on, every cold start pays for
    #: importing the SDK (about as much as boto3 itself, see `make bench`).
    detailed_tracing: bool = False

    #: Webhooks in (``POST /webhooks/{source}``): where verified events are queued, the table
    #: that makes each one processed once, the secret holding each source's signing secret
    #: (a JSON object keyed by source name), the sources and the routing rules.
    webhook_queue_url: str = ""
    idempotency_table: str = "insight-idempotency"
    webhook_secrets_arn: str = ""
    webhook_sources: tuple[WebhookSource, ...] = Field(default_factory=default_webhook_sources)
    webhook_routes: tuple[WebhookRoute, ...] = Field(default_factory=default_webhook_routes)
    #: Signed timestamps older (or newer) than this are refused: replays outside it are 401.
    webhook_tolerance_seconds: int = Field(default=300, gt=0, le=3600)
    max_webhook_body_bytes: int = Field(default=64 * 1024, gt=0, le=200 * 1024)
    #: How long an event id is remembered as processed.
    webhook_dedup_days: int = Field(default=7, gt=0)
    #: Signing secrets are read through Powertools Parameters and cached this long.
    secrets_cache_seconds: int = Field(default=300, ge=0)

    #: Events out: every job state change goes to this EventBridge bus (name or ARN).
    job_events_bus: str = "default"
    #: Job callbacks: the queue of deliveries to make (its messages are retried with
    #: exponential backoff), the Standard Webhooks secret they are signed with.
    callback_queue_url: str = ""
    callback_secret_arn: str = ""
    callback_max_attempts: int = Field(default=6, gt=0, le=20)
    callback_backoff_seconds: int = Field(default=2, gt=0, le=900)
    callback_timeout_seconds: float = Field(default=10, gt=0, le=60)
    #: The sweep publishes again the end of a job whose callback has had no attempt this long
    #: after it finished (its "Job State Change" event was lost).
    callback_redrive_seconds: int = Field(default=600, ge=0)

    #: SageMaker (issue 5): the data and artifacts bucket, the records of trainings, transforms
    #: and deployments, the role SageMaker's jobs and models run with, the three workflows,
    #: and the models (a JSON array of ``MlModel``, written by the deployment).
    model_bucket: str = "insight-model-data"
    models_table: str = "insight-model-records"
    sagemaker_role_arn: str = ""
    training_workflow_arn: str = ""
    deployment_workflow_arn: str = ""
    transform_workflow_arn: str = ""
    ml_models: tuple[MlModel, ...] = ()
    #: How long a deployment's schema and the registry's answers are cached in a container.
    model_schema_cache_seconds: int = Field(default=300, ge=0)

    @model_validator(mode="after")
    def routes_within_limits(self) -> Settings:
        for route in self.webhook_routes:
            if len(route.translate_to) > self.max_translations:
                raise ValueError(
                    f"the webhook route for {route.source} {route.event_type!r} asks for {len(route.translate_to)} "
                    f"translations, over max_translations ({self.max_translations})"
                )
        return self

    def ml_model(self, name: str) -> MlModel | None:
        return next((model for model in self.ml_models if model.name == name), None)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Settings:
        """``INSIGHT_<FIELD>`` for each field (``AWS_REGION`` for the region)."""
        values: dict[str, Any] = {}
        if "AWS_REGION" in environ:
            values["region"] = environ["AWS_REGION"]
        for name, field in cls.model_fields.items():
            raw = environ.get(PREFIX + name.upper())
            if raw is None:
                continue
            if get_origin(field.annotation) is tuple:
                try:
                    values[name] = json.loads(raw)
                except json.JSONDecodeError as error:
                    raise ValueError(f"{PREFIX + name.upper()} must be a JSON array: {error}") from error
            else:
                values[name] = raw
        return cls.model_validate(values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_environment(os.environ)

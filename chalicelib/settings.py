"""The one typed settings object. Nothing else reads the environment."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, get_origin

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_CONTENT_TYPES = (
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/tiff",
)

PREFIX = "INSIGHT_"


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
    text_detection_topic_arn: str = ""
    text_detection_role_arn: str = ""

    allowed_content_types: tuple[str, ...] = DEFAULT_CONTENT_TYPES
    max_upload_bytes: int = Field(default=50 * 1024 * 1024, gt=0)
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

"""The one typed settings object. Nothing else reads the environment."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_CONTENT_TYPES = (
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/tiff",
)


class Settings(BaseSettings):
    """Insight's configuration, read once from ``INSIGHT_*`` environment variables.

    Resource names come from the deployment (the SAM template or the local runtime),
    limits from the stage's configuration.
    """

    model_config = SettingsConfigDict(env_prefix="INSIGHT_", extra="ignore", frozen=True)

    stage: str = "dev"
    region: str = Field(default="us-east-1", validation_alias="AWS_REGION")

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
    job_retention_days: int = Field(default=90, gt=0)
    jobs_page_size: int = Field(default=20, gt=0, le=100)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

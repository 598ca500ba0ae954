"""The adapters, built from the settings on first use and kept for the container's life."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from chalicelib.adapters.comprehend import Comprehend
from chalicelib.adapters.jobs_table import JobsTable
from chalicelib.adapters.polly import Polly
from chalicelib.adapters.rekognition import Rekognition
from chalicelib.adapters.storage import Storage
from chalicelib.adapters.textract import Textract
from chalicelib.adapters.transcribe import Transcribe
from chalicelib.adapters.translate import Translate
from chalicelib.adapters.workflows import Workflows
from chalicelib.clients import aws
from chalicelib.settings import get_settings


@lru_cache(maxsize=1)
def jobs_table() -> JobsTable:
    settings = get_settings()
    return JobsTable(aws("dynamodb"), settings.jobs_table, timedelta(days=settings.job_retention_days))


@lru_cache(maxsize=1)
def storage() -> Storage:
    return Storage(aws("s3"))


@lru_cache(maxsize=1)
def workflows() -> Workflows:
    return Workflows(aws("stepfunctions"))


@lru_cache(maxsize=1)
def textract() -> Textract:
    return Textract(aws("textract"))


@lru_cache(maxsize=1)
def comprehend() -> Comprehend:
    return Comprehend(aws("comprehend"))


@lru_cache(maxsize=1)
def rekognition() -> Rekognition:
    return Rekognition(aws("rekognition"))


@lru_cache(maxsize=1)
def transcribe() -> Transcribe:
    return Transcribe(aws("transcribe"))


@lru_cache(maxsize=1)
def translate() -> Translate:
    return Translate(aws("translate"))


@lru_cache(maxsize=1)
def polly() -> Polly:
    return Polly(aws("polly"))


FACTORIES = (
    jobs_table,
    storage,
    workflows,
    textract,
    comprehend,
    rekognition,
    transcribe,
    translate,
    polly,
    aws,
    get_settings,
)


def reset() -> None:
    """Forget every adapter, client and the settings (tests change the environment)."""
    for factory in FACTORIES:
        factory.cache_clear()

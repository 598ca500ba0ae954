"""The adapters, built from the settings on first use and kept for the container's life.

Each factory imports its adapter when first called: a handler loads only the adapters it
uses (a cold start pays for what the function needs, not for every service Insight calls).
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from chalicelib.clients import aws
from chalicelib.settings import get_settings

if TYPE_CHECKING:
    from chalicelib.adapters.chatbot import Chatbot
    from chalicelib.adapters.comprehend import Comprehend
    from chalicelib.adapters.events import EventBus
    from chalicelib.adapters.jobs_table import JobsTable
    from chalicelib.adapters.model_records import ModelRecords
    from chalicelib.adapters.polly import Polly
    from chalicelib.adapters.queues import Queues
    from chalicelib.adapters.rekognition import Rekognition
    from chalicelib.adapters.sagemaker import Alarms, Hosting, Jobs, ModelRuntime, Registry
    from chalicelib.adapters.secrets import Secrets
    from chalicelib.adapters.storage import Storage
    from chalicelib.adapters.textract import Textract
    from chalicelib.adapters.transcribe import Transcribe
    from chalicelib.adapters.translate import Translate
    from chalicelib.adapters.workflows import Workflows


@lru_cache(maxsize=1)
def jobs_table() -> JobsTable:
    """The job records; every state change they record is published (``job_events``)."""
    from chalicelib.adapters.jobs_table import JobsTable
    from chalicelib.job_events import published

    settings = get_settings()
    return JobsTable(
        aws("dynamodb"), settings.jobs_table, timedelta(days=settings.job_retention_days), on_change=published
    )


@lru_cache(maxsize=1)
def event_bus() -> EventBus:
    from chalicelib.adapters.events import EventBus

    return EventBus(aws("events"), get_settings().job_events_bus)


@lru_cache(maxsize=1)
def queues() -> Queues:
    from chalicelib.adapters.queues import Queues

    return Queues(aws("sqs"))


@lru_cache(maxsize=1)
def secrets() -> Secrets:
    from chalicelib.adapters.secrets import Secrets

    return Secrets(aws("secretsmanager"), get_settings().secrets_cache_seconds)


@lru_cache(maxsize=1)
def storage() -> Storage:
    from chalicelib.adapters.storage import Storage

    return Storage(aws("s3"))


@lru_cache(maxsize=1)
def workflows() -> Workflows:
    from chalicelib.adapters.workflows import Workflows

    return Workflows(aws("stepfunctions"))


@lru_cache(maxsize=1)
def textract() -> Textract:
    from chalicelib.adapters.textract import Textract

    return Textract(aws("textract"))


@lru_cache(maxsize=1)
def comprehend() -> Comprehend:
    from chalicelib.adapters.comprehend import Comprehend

    return Comprehend(aws("comprehend"))


@lru_cache(maxsize=1)
def rekognition() -> Rekognition:
    from chalicelib.adapters.rekognition import Rekognition

    return Rekognition(aws("rekognition"))


@lru_cache(maxsize=1)
def transcribe() -> Transcribe:
    from chalicelib.adapters.transcribe import Transcribe

    return Transcribe(aws("transcribe"))


@lru_cache(maxsize=1)
def translate() -> Translate:
    from chalicelib.adapters.translate import Translate

    return Translate(aws("translate"))


@lru_cache(maxsize=1)
def polly() -> Polly:
    from chalicelib.adapters.polly import Polly

    return Polly(aws("polly"))


@lru_cache(maxsize=1)
def chatbot() -> Chatbot:
    from chalicelib.adapters.chatbot import Chatbot

    settings = get_settings()
    return Chatbot(aws("lexv2-runtime"), settings.chat_bot_id, settings.chat_bot_alias_id, settings.chat_bot_locale)


@lru_cache(maxsize=1)
def model_records() -> ModelRecords:
    from chalicelib.adapters.model_records import ModelRecords

    return ModelRecords(aws("dynamodb"), get_settings().models_table)


@lru_cache(maxsize=1)
def registry() -> Registry:
    from chalicelib.adapters.sagemaker import Registry

    return Registry(aws("sagemaker"))


@lru_cache(maxsize=1)
def hosting() -> Hosting:
    from chalicelib.adapters.sagemaker import Hosting

    return Hosting(aws("sagemaker"))


@lru_cache(maxsize=1)
def sagemaker_jobs() -> Jobs:
    from chalicelib.adapters.sagemaker import Jobs

    return Jobs(aws("sagemaker"))


@lru_cache(maxsize=1)
def alarms() -> Alarms:
    from chalicelib.adapters.sagemaker import Alarms

    return Alarms(aws("cloudwatch"))


@lru_cache(maxsize=1)
def model_runtime() -> ModelRuntime:
    from chalicelib.adapters.sagemaker import ModelRuntime

    return ModelRuntime(aws("sagemaker-runtime"))


def reset() -> None:
    """Forget every adapter, client and the settings (tests change the environment)."""
    from chalicelib import signatures, webhooks

    factories = (
        jobs_table,
        event_bus,
        queues,
        secrets,
        storage,
        workflows,
        textract,
        comprehend,
        rekognition,
        transcribe,
        translate,
        polly,
        chatbot,
        model_records,
        registry,
        hosting,
        sagemaker_jobs,
        alarms,
        model_runtime,
        aws,
        get_settings,
    )
    for factory in (*factories, webhooks._idempotency_config, webhooks._idempotent_process):
        factory.cache_clear()
    signatures._standard_webhook.cache_clear()

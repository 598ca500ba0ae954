"""The adapters, built from the settings on first use and kept for the container's life."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from chalicelib.adapters.chatbot import Chatbot
from chalicelib.adapters.comprehend import Comprehend
from chalicelib.adapters.events import EventBus
from chalicelib.adapters.jobs_table import JobsTable
from chalicelib.adapters.model_records import ModelRecords
from chalicelib.adapters.queues import Queues
from chalicelib.adapters.sagemaker import Alarms, Hosting, Jobs, ModelRuntime, Registry
from chalicelib.adapters.secrets import Secrets
from chalicelib.adapters.storage import Storage
from chalicelib.adapters.textract import Textract
from chalicelib.adapters.workflows import Workflows
from chalicelib.clients import aws
from chalicelib.settings import get_settings


@lru_cache(maxsize=1)
def jobs_table() -> JobsTable:
    """The job records; every state change they record is published (``job_events``)."""
    from chalicelib.job_events import published

    settings = get_settings()
    return JobsTable(
        aws("dynamodb"), settings.jobs_table, timedelta(days=settings.job_retention_days), on_change=published
    )


@lru_cache(maxsize=1)
def event_bus() -> EventBus:
    return EventBus(aws("events"), get_settings().job_events_bus)


@lru_cache(maxsize=1)
def queues() -> Queues:
    return Queues(aws("sqs"))


@lru_cache(maxsize=1)
def secrets() -> Secrets:
    return Secrets(aws("secretsmanager"), get_settings().secrets_cache_seconds)


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
def chatbot() -> Chatbot:
    settings = get_settings()
    return Chatbot(aws("lexv2-runtime"), settings.chat_bot_id, settings.chat_bot_alias_id, settings.chat_bot_locale)


@lru_cache(maxsize=1)
def model_records() -> ModelRecords:
    return ModelRecords(aws("dynamodb"), get_settings().models_table)


@lru_cache(maxsize=1)
def registry() -> Registry:
    return Registry(aws("sagemaker"))


@lru_cache(maxsize=1)
def hosting() -> Hosting:
    return Hosting(aws("sagemaker"))


@lru_cache(maxsize=1)
def sagemaker_jobs() -> Jobs:
    return Jobs(aws("sagemaker"))


@lru_cache(maxsize=1)
def alarms() -> Alarms:
    return Alarms(aws("cloudwatch"))


@lru_cache(maxsize=1)
def model_runtime() -> ModelRuntime:
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

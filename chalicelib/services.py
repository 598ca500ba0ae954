"""The adapters, built from the settings on first use and kept for the container's life."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from chalicelib.adapters.chatbot import Chatbot
from chalicelib.adapters.comprehend import Comprehend
from chalicelib.adapters.jobs_table import JobsTable
from chalicelib.adapters.storage import Storage
from chalicelib.adapters.textract import Textract
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
def chatbot() -> Chatbot:
    settings = get_settings()
    return Chatbot(aws("lexv2-runtime"), settings.chat_bot_id, settings.chat_bot_alias_id, settings.chat_bot_locale)


def reset() -> None:
    """Forget every adapter, client and the settings (tests change the environment)."""
    for factory in (jobs_table, storage, workflows, textract, comprehend, chatbot, aws, get_settings):
        factory.cache_clear()

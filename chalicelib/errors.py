"""Domain exceptions.

The API maps them to HTTP once (``app.py``). In Lambda functions that state machines
call, the exception's class name is the error name that the ASL's Retry and Catch
match, so these names are part of the workflows' contract.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class InsightError(Exception):
    """Base of every domain error."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(InsightError):
    """The thing asked for does not exist."""


class InvalidRequest(InsightError):
    """The caller sent something Insight cannot accept."""


class Unauthorized(InsightError):
    """The request is not signed as its sender must sign it (webhooks): missing, wrong,
    expired or replayed outside the tolerance."""


class PayloadTooLarge(InsightError):
    """The request's body is over the limit."""


class Conflict(InsightError):
    """The request collides with another one under way (two messages of one chat session at once)."""


class DependencyFailed(InsightError):
    """A service Insight called could not answer because something it depends on failed (the
    chat bot's code hook)."""


class InvalidDocument(InsightError):
    """The uploaded object is not a document Insight can analyse (type, size, pages, damage)."""


class InvalidImage(InsightError):
    """The uploaded object is not an image Insight can analyse (type, size, dimensions, damage)."""


class InvalidMedia(InsightError):
    """The uploaded object is not audio or video Insight can transcribe (type, size, duration, damage)."""


class ServiceThrottled(InsightError):
    """An AWS service refused the call for rate; the workflow retries it with backoff."""


class ServiceUnavailable(InsightError):
    """An AWS service failed transiently; the workflow retries it."""


class UnsupportedLanguage(InsightError):
    """The AI service has no model for the text's language."""


class AnalysisFailed(InsightError):
    """An AI service could not analyse the input; not worth retrying."""


class AnalysisUnavailable(InsightError):
    """A service cannot give this analysis here (not permitted, not offered for a language
    pair, not available offline): the job records it as unavailable, with why, and goes on."""


class TranscriptionFailed(AnalysisFailed):
    """Transcribe ended the job FAILED (media it cannot read, no audio, ...)."""


class SpeechSynthesisFailed(AnalysisFailed):
    """Polly ended a speech synthesis task failed."""


THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "SlowDown",
        "LimitExceededException",
    }
)
TRANSIENT_CODES = frozenset(
    {
        "InternalServerError",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalServerException",
    }
)


def aws_error_code(error: Exception) -> str | None:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None


@contextmanager
def service_call(service: str) -> Iterator[None]:
    """Turn botocore's throttling and transient errors into the names workflows retry on."""
    try:
        yield
    except Exception as error:
        code = aws_error_code(error)
        if code in THROTTLING_CODES:
            raise ServiceThrottled(f"{service} throttled the call ({code})") from error
        if code in TRANSIENT_CODES:
            raise ServiceUnavailable(f"{service} failed transiently ({code})") from error
        raise

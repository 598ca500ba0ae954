"""Job callbacks: a job created with a ``callback_url`` gets its outcome POSTed there when it
ends, signed with Standard Webhooks, retried with exponential backoff, every attempt
recorded on the job.

The job's end is published as a "Job State Change" event (``chalicelib.job_events``); a rule
on the bus queues the events of finished jobs that have a callback, and ``deliver`` runs
once per delivery of such a message.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import urllib.error
import urllib.request
from datetime import UTC, datetime
from urllib.parse import urlsplit

from aws_lambda_powertools.metrics import MetricUnit

from chalicelib import services
from chalicelib.errors import InsightError, InvalidRequest, NotFound
from chalicelib.models import CallbackAttempt, CallbackState, JobStateChange, JobView
from chalicelib.observability import logger, metrics
from chalicelib.settings import get_settings
from chalicelib.signatures import standard_headers

#: Stages where http to a loopback address is allowed besides https (development, the local runtime).
LOOPBACK_STAGES = frozenset({"dev", "local", "test"})
USER_AGENT = "Insight-Callbacks/1.0"


class CallbackNotDelivered(InsightError):
    """The receiver did not take the callback; it is tried again later."""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_callback_url(url: str, stage: str) -> None:
    """A callback URL the stage accepts: https, or (dev and local only) http to a loopback
    address. In other stages an address that is not public (loopback, private, link-local)
    is refused too."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    loopback_ok = stage in LOOPBACK_STAGES
    if parts.scheme == "http" and not (loopback_ok and _is_loopback(host)):
        allowed = "https, or http to a loopback address" if loopback_ok else "https"
        raise InvalidRequest(f"callback_url must use {allowed} in the {stage} stage")
    if not loopback_ok:
        if host == "localhost" or host.endswith(".localhost"):
            raise InvalidRequest("callback_url must be a public address")
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return
        if not address.is_global:
            raise InvalidRequest("callback_url must be a public address")


def _resolves_publicly(host: str) -> bool:
    """Every address ``host`` resolves to is public (checked again at delivery: DNS may change)."""
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return True  # the request itself will fail and be retried
    return all(ipaddress.ip_address(info[4][0]).is_global for info in infos)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not an instruction: Insight POSTs only to the URL it was given."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST and return the HTTP status; ``OSError`` when nothing answered."""
    opener = urllib.request.build_opener(_NoRedirects)
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310 (checked URL)
    try:
        with opener.open(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def message(change: JobStateChange) -> tuple[str, str]:
    """The callback's id and body: the job as ``GET /jobs/{id}`` shows it, in the Standard
    Webhooks payload shape (``type``, ``timestamp``, ``data``)."""
    from chalicelib.jobs import get_job

    view: JobView = get_job(change.job_id)
    body = {
        "type": f"job.{change.status.value.lower()}",
        "timestamp": change.updated_at.isoformat(),
        "data": view.model_dump(mode="json"),
    }
    return f"{change.job_id}.{change.status.value}", json.dumps(body, separators=(",", ":"))


def deliver(change: JobStateChange, attempt: int, receipt_handle: str) -> CallbackState:
    """Make attempt number ``attempt`` at delivering the job's outcome, and record it.

    Delivered, or failed for the last time: returns the state. Otherwise the message is
    delivered again after ``callback_backoff_seconds * 2**(attempt - 1)`` seconds and
    ``CallbackNotDelivered`` is raised (the batch reports it as failed)."""
    settings = get_settings()
    table = services.jobs_table()
    try:
        job = table.get(change.job_id)
    except NotFound:  # the record expired (job_retention_days) before the delivery
        logger.warning("no job for this callback; nothing to deliver", job_id=change.job_id)
        return CallbackState.FAILED
    logger.set_correlation_id(job.job_id)
    if job.callback is None or job.callback.state is not CallbackState.PENDING or not job.status.finished:
        logger.info("no callback to deliver", state=job.callback.state.value if job.callback else None)
        return job.callback.state if job.callback else CallbackState.DELIVERED
    url = job.callback.url
    host = urlsplit(url).hostname or ""
    status: int | None = None
    error: str | None = None
    if settings.stage not in LOOPBACK_STAGES and not _resolves_publicly(host):
        error = f"{host} resolves to an address that is not public"
        attempt = settings.callback_max_attempts  # never worth retrying
    else:
        message_id, body = message(change)
        secret = services.secrets().text(settings.callback_secret_arn)
        headers = {
            **standard_headers(secret, message_id, body),
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
        }
        try:
            status = _post(url, body.encode(), headers, settings.callback_timeout_seconds)
            if not 200 <= status < 300:
                error = f"the receiver answered HTTP {status}"
        except OSError as failure:
            error = f"the receiver could not be reached: {failure}"
    delivered = error is None
    last = attempt >= settings.callback_max_attempts
    state = CallbackState.DELIVERED if delivered else CallbackState.FAILED if last else CallbackState.PENDING
    table.record_callback_attempt(
        job.job_id, CallbackAttempt(at=datetime.now(UTC), status_code=status, error=error), state
    )
    metrics.add_metric(
        name="CallbacksDelivered" if delivered else "CallbackAttemptsFailed", unit=MetricUnit.Count, value=1
    )
    if delivered or last:
        log = logger.info if delivered else logger.warning
        outcome = "callback delivered" if delivered else "callback abandoned"
        log(outcome, attempts=attempt, status_code=status, error=error)
        return state
    delay = settings.callback_backoff_seconds * 2 ** (attempt - 1)
    services.queues().retry_after(settings.callback_queue_url, receipt_handle, delay)
    logger.info("callback attempt failed; retrying", attempt=attempt, retry_in=delay, error=error)
    raise CallbackNotDelivered(f"attempt {attempt}: {error}")

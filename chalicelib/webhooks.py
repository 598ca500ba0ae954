"""Webhooks from business systems: accepted at the edge, processed once from a queue.

``accept`` (the route ``POST /webhooks/{source}``) verifies the signature before anything
else, then queues the event and answers at once. ``process_once`` (the queue's consumer)
routes each event to a workflow by the rules in the settings, once per event id.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from chalicelib import services, uploads
from chalicelib.clock import now
from chalicelib.errors import InvalidRequest, NotFound, PayloadTooLarge, ServiceUnavailable
from chalicelib.models import (
    JobKind,
    JobOptions,
    JobOrigin,
    ObjectRef,
    WebhookAccepted,
    WebhookEvent,
    WebhookOutcome,
)
from chalicelib.observability import logger, metrics
from chalicelib.settings import WebhookRoute, WebhookSource, get_settings
from chalicelib.signatures import verify

#: Job ids of webhook jobs are derived from the event, so that even a lost idempotency
#: record cannot make a second job of one event.
JOB_NAMESPACE = uuid.UUID("5b0f3f52-8a55-4c47-9d6c-2f0f6a1b9e11")
MAX_NAME = 256  # event ids and types (WebhookEvent)


def source_named(name: str) -> WebhookSource:
    source = next((s for s in get_settings().webhook_sources if s.name == name), None)
    if source is None:
        raise NotFound(f"no webhook source {name[:64]!r}")
    return source


def job_id_for(source: str, event_id: str) -> str:
    """The id of the job an event starts: the same for every delivery of the event."""
    return uuid.uuid5(JOB_NAMESPACE, f"{source}\n{event_id}").hex


def event_key(source: str, event_id: str) -> str:
    """A queue-safe key of one event of one source (SQS deduplication and group ids)."""
    return hashlib.sha256(f"{source}\n{event_id}".encode()).hexdigest()


def accept(source_name: str, body: bytes, headers: Mapping[str, str]) -> WebhookAccepted:
    """Verify a webhook and queue it; processing happens later, once.

    Refused with ``Unauthorized`` (401) when unsigned, wrongly signed, or signed outside the
    tolerance; nothing is queued then. A valid replay within the tolerance is queued again
    (the FIFO queue drops it within 5 minutes, the consumer's idempotency after that)."""
    settings = get_settings()
    source = source_named(source_name)
    if len(body) > settings.max_webhook_body_bytes:
        raise PayloadTooLarge(f"the webhook's body is over {settings.max_webhook_body_bytes} bytes")
    secret = services.secrets().json(settings.webhook_secrets_arn).get(source.name)
    if not isinstance(secret, str) or not secret:
        logger.error("no signing secret for a configured webhook source", source=source.name)
        raise ServiceUnavailable(f"the webhook source {source.name!r} has no signing secret configured")
    signed = verify(source.scheme, secret, body, headers, settings.webhook_tolerance_seconds, time.time())
    if not signed.event_type:
        raise InvalidRequest("the webhook names no event type")
    if len(signed.event_id) > MAX_NAME or len(signed.event_type) > MAX_NAME:
        raise InvalidRequest(f"the webhook's event id and type must be at most {MAX_NAME} characters")
    event = WebhookEvent(
        source=source.name,
        event_id=signed.event_id,
        event_type=signed.event_type,
        received_at=now(),
        payload=signed.payload,
    )
    key = event_key(source.name, signed.event_id)
    services.queues().send(settings.webhook_queue_url, event.model_dump(mode="json"), group_id=key, dedup_id=key)
    metrics.add_metric(name="WebhooksAccepted", unit=MetricUnit.Count, value=1)
    logger.info("webhook accepted", source=source.name, event_id=event.event_id, event_type=event.event_type)
    return WebhookAccepted(
        source=source.name,
        event_id=event.event_id,
        event_type=event.event_type,
        job_id=job_id_for(source.name, event.event_id),
    )


# --- processing -----------------------------------------------------------------------------


def route_for(event: WebhookEvent) -> WebhookRoute | None:
    return next(
        (r for r in get_settings().webhook_routes if r.source == event.source and r.event_type == event.event_type),
        None,
    )


def job_options(route: WebhookRoute) -> JobOptions | None:
    """What a route's jobs ask for beyond the analysis, as an upload of that kind would: the
    translations and spoken summary of a media route; nothing for the other kinds."""
    if route.workflow != "media":
        return None
    return JobOptions(translate_to=list(route.translate_to), spoken_summary=route.spoken_summary)


def _pick(expression: str | None, payload: Any) -> str | None:
    import jmespath

    if expression is None:
        return None
    value = jmespath.search(expression, payload)
    return value if isinstance(value, str) and value else None


def process(event: WebhookEvent) -> WebhookOutcome:
    """Route one event: start the workflow its rule names (document, image or media), or say
    why nothing was started.

    Events without a rule are ignored; events naming an object outside the upload bucket's
    ``uploads/``, or one that is not there, are refused. Neither is retried. Insight reads
    objects only from its own bucket and never fetches a URL given by a webhook."""
    logger.append_keys(webhook_source=event.source, webhook_event_id=event.event_id)

    def outcome(kind: str, reason: str | None = None, job_id: str | None = None) -> WebhookOutcome:
        metrics.add_metric(name=f"Webhooks{kind.capitalize()}", unit=MetricUnit.Count, value=1)
        logger.info("webhook processed", outcome=kind, reason=reason, job_id=job_id)
        return WebhookOutcome(
            source=event.source,
            event_id=event.event_id,
            event_type=event.event_type,
            outcome=kind,  # type: ignore[arg-type]
            job_id=job_id,
            reason=reason,
        )

    route = route_for(event)
    if route is None:
        return outcome("ignored", f"no routing rule for {event.source} events of type {event.event_type!r}")
    settings = get_settings()
    bucket, key = _pick(route.bucket, event.payload), _pick(route.key, event.payload)
    if bucket is None or key is None:
        return outcome("refused", f"the event names no object at {route.bucket!r} and {route.key!r}")
    if bucket != settings.upload_bucket or not key.startswith(uploads.UPLOAD_PREFIX) or ".." in key.split("/"):
        return outcome("refused", f"s3://{bucket}/{key} is not in an allowed bucket and prefix")
    try:
        source = ObjectRef(bucket=bucket, key=key, version=_pick(route.version, event.payload))
    except ValueError as error:
        return outcome("refused", f"the event's object is not valid: {error}")
    job_id = job_id_for(event.source, event.event_id)
    origin = JobOrigin(source=event.source, event_id=event.event_id, event_type=event.event_type)
    # The rule names the workflow: the object is analysed as that kind whatever its type, and
    # the workflow's validation fails the job, saying why, if the object is not of that kind.
    kind = JobKind(route.workflow.upper())
    job = uploads.receive_object(
        source, job_id, key.rsplit("/", 1)[-1], origin=origin, kind=kind, options=job_options(route)
    )
    if job is None:
        return outcome("refused", f"s3://{bucket}/{key} does not exist", job_id)
    return outcome("started", job_id=job.job_id)


@lru_cache(maxsize=1)
def _idempotency_config() -> Any:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    return IdempotencyConfig(
        event_key_jmespath="[source, event_id]",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=get_settings().webhook_dedup_days * 24 * 3600,
    )


@lru_cache(maxsize=1)
def _idempotent_process() -> Callable[..., dict[str, Any]]:
    """``process`` made idempotent by (source, event id) on the idempotency table."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent_function

    from chalicelib.clients import aws

    persistence = DynamoDBPersistenceLayer(table_name=get_settings().idempotency_table, boto3_client=aws("dynamodb"))

    def process_event(event: WebhookEvent) -> dict[str, Any]:
        return process(event).model_dump(mode="json")

    return idempotent_function(  # type: ignore[no-any-return]
        process_event,
        data_keyword_argument="event",
        persistence_store=persistence,
        config=_idempotency_config(),
        key_prefix="webhook",
    )


def register_context(context: Any) -> None:
    """The Lambda context, so that an interrupted event's in-progress record expires with it."""
    _idempotency_config().register_lambda_context(context)


def process_once(event: WebhookEvent) -> WebhookOutcome:
    """``process``, once per event id: a repeated event returns the first outcome."""
    return WebhookOutcome.model_validate(_idempotent_process()(event=event))

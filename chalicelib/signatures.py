"""Webhook signatures: checking the three schemes business systems sign with, and signing
Insight's own callbacks (Standard Webhooks).

Each check runs over the raw body as received, compares in constant time, and refuses
timestamps outside the tolerance. The providers' libraries do the work where one exists:
``standardwebhooks`` (small, imported on first use) and ``stripe`` (about as slow to import
as boto3, so imported only when a Stripe webhook arrives). GitHub publishes no library; its
scheme is an HMAC-SHA256 of the body, compared with ``hmac.compare_digest`` as its docs say.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from chalicelib import strict_json
from chalicelib.errors import InvalidRequest, Unauthorized

#: The headers each scheme reads (lower case).
STANDARD_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
GITHUB_HEADERS = ("x-hub-signature-256", "x-github-delivery", "x-github-event")
STRIPE_HEADER = "stripe-signature"


@dataclass(frozen=True)
class Signed:
    """What a verified webhook says about itself."""

    event_id: str
    event_type: str
    payload: Any


def verify(scheme: str, secret: str, body: bytes, headers: Mapping[str, str], tolerance: int, now: float) -> Signed:
    """The event of a correctly signed ``body``; ``Unauthorized`` for anything else.

    ``headers`` must be case-insensitive or lower-case keyed."""
    if scheme == "standard":
        return _standard(secret, body, headers, tolerance, now)
    if scheme == "github":
        return _github(secret, body, headers)
    if scheme == "stripe":
        return _stripe(secret, body, headers, tolerance, now)
    raise ValueError(f"unknown signature scheme {scheme!r}")


def _payload(body: bytes) -> Any:
    """The verified body as JSON: a signed body that is not JSON is the sender's mistake (400)."""
    try:
        return strict_json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidRequest(f"the webhook is signed but its body is not JSON ({error})") from error


def _within(timestamp: float, tolerance: int, now: float) -> None:
    if abs(now - timestamp) > tolerance:
        raise Unauthorized(f"the signature's timestamp is more than {tolerance} seconds from now")


@lru_cache(maxsize=32)
def _standard_webhook(secret: str) -> Any:
    from standardwebhooks.webhooks import Webhook

    return Webhook(secret)


def _standard(secret: str, body: bytes, headers: Mapping[str, str], tolerance: int, now: float) -> Signed:
    from standardwebhooks.webhooks import WebhookVerificationError

    values = {name: headers.get(name) or "" for name in STANDARD_HEADERS}
    if not all(values.values()):
        raise Unauthorized("the webhook is not signed: webhook-id, webhook-timestamp and webhook-signature are needed")
    try:
        _within(float(values["webhook-timestamp"]), tolerance, now)
    except ValueError as error:
        raise Unauthorized("webhook-timestamp is not a Unix time") from error
    try:
        _standard_webhook(secret).verify(body, values, json_parse=False)
    except (WebhookVerificationError, ValueError) as error:  # ValueError: malformed signature or body
        raise Unauthorized(f"the webhook's signature does not match ({error})") from error
    payload = _payload(body)
    event_type = payload.get("type") if isinstance(payload, dict) else None
    return Signed(event_id=values["webhook-id"], event_type=str(event_type or ""), payload=payload)


def _github(secret: str, body: bytes, headers: Mapping[str, str]) -> Signed:
    signature, delivery, event = (headers.get(name) or "" for name in GITHUB_HEADERS)
    if not signature or not delivery:
        raise Unauthorized("the webhook is not signed: X-Hub-Signature-256 and X-GitHub-Delivery are needed")
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise Unauthorized("the webhook's signature does not match")
    payload = _payload(body)
    # GitHub names the event in a header and what happened in the body's "action"
    # (repository_dispatch: the dispatch's event_type): "repository_dispatch.insight_document".
    # Without the event's name there is no event type, whatever the body's action says.
    action = payload.get("action") if isinstance(payload, dict) else None
    return Signed(
        event_id=delivery,
        event_type=f"{event}.{action}" if event and isinstance(action, str) else event,
        payload=payload,
    )


def _stripe(secret: str, body: bytes, headers: Mapping[str, str], tolerance: int, now: float) -> Signed:
    header = headers.get(STRIPE_HEADER) or ""
    if not header:
        raise Unauthorized("the webhook is not signed: Stripe-Signature is needed")
    import stripe  # heavy: loaded only by the first Stripe webhook of a container

    try:
        stripe.WebhookSignature.verify_header(body, header, secret, tolerance)
    except (stripe.SignatureVerificationError, ValueError) as error:  # ValueError: a body that is not UTF-8
        raise Unauthorized(f"the webhook's signature does not match ({error})") from error
    # Stripe's library refuses old timestamps only; a signed timestamp far ahead is refused too.
    stamps = [part[2:] for part in header.split(",") if part.startswith("t=")]
    try:
        _within(float(stamps[0]), tolerance, now)
    except (IndexError, ValueError) as error:
        raise Unauthorized("Stripe-Signature has no timestamp") from error
    payload = _payload(body)
    if not isinstance(payload, dict) or not isinstance(payload.get("id"), str):
        raise InvalidRequest("the Stripe event has no id")
    return Signed(event_id=payload["id"], event_type=str(payload.get("type") or ""), payload=payload)


# --- signing (Insight's callbacks) ----------------------------------------------------------


def standard_headers(secret: str, message_id: str, body: str, at: datetime | None = None) -> dict[str, str]:
    """The Standard Webhooks headers of a message Insight sends."""
    moment = at or datetime.now(UTC)
    signature = _standard_webhook(secret).sign(message_id, moment, body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signature,
    }

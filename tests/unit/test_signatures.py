"""Webhook signature checks of each scheme, and the rules for callback URLs (no sockets)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.callbacks import check_callback_url
from chalicelib.errors import InvalidRequest, Unauthorized
from chalicelib.settings import Settings
from chalicelib.signatures import standard_headers, verify

STANDARD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BODY = json.dumps({"type": "document.attached", "id": "evt_1", "data": {"bucket": "b", "key": "uploads/x"}}).encode()
TOLERANCE = 300


def stripe_header(secret: str, body: bytes, at: float) -> str:
    import stripe

    return str(stripe.WebhookSignature.generate_signature_header(body.decode(), secret, int(at)))


def test_a_standard_webhook_signed_with_the_secret_is_accepted() -> None:
    # Given a body signed the Standard Webhooks way
    headers = standard_headers(STANDARD_SECRET, "msg_1", BODY.decode())
    # When it is verified
    signed = verify("standard", STANDARD_SECRET, BODY, headers, TOLERANCE, time.time())
    # Then its id, type and payload come out of it
    assert (signed.event_id, signed.event_type) == ("msg_1", "document.attached")
    assert signed.payload["data"]["key"] == "uploads/x"


@pytest.mark.parametrize(
    ("what", "change"),
    [
        ("no headers", lambda h, b: ({}, b)),
        ("another id", lambda h, b: ({**h, "webhook-id": "msg_2"}, b)),
        ("a changed body", lambda h, b: (h, b.replace(b"uploads/x", b"uploads/y"))),
        ("a signature of v2 only", lambda h, b: ({**h, "webhook-signature": "v2," + h["webhook-signature"][3:]}, b)),
        ("a malformed signature", lambda h, b: ({**h, "webhook-signature": "garbage"}, b)),
        ("a timestamp that is not a number", lambda h, b: ({**h, "webhook-timestamp": "soon"}, b)),
        ("a body that is not UTF-8", lambda h, b: (h, b"\xff\xfe")),
    ],
)
def test_a_standard_webhook_not_signed_as_it_should_be_is_refused(what: str, change: object) -> None:
    headers, body = change(standard_headers(STANDARD_SECRET, "msg_1", BODY.decode()), BODY)  # type: ignore[operator]
    with pytest.raises(Unauthorized):
        verify("standard", STANDARD_SECRET, body, headers, TOLERANCE, time.time())


def test_standard_timestamps_outside_the_tolerance_are_refused_both_ways() -> None:
    now = datetime.now(UTC)
    for moment in (now - timedelta(seconds=TOLERANCE + 5), now + timedelta(seconds=TOLERANCE + 5)):
        headers = standard_headers(STANDARD_SECRET, "msg_1", BODY.decode(), at=moment)
        with pytest.raises(Unauthorized, match="seconds from now"):
            verify("standard", STANDARD_SECRET, BODY, headers, TOLERANCE, now.timestamp())
    # and a tighter tolerance is ours to set
    headers = standard_headers(STANDARD_SECRET, "msg_1", BODY.decode(), at=now - timedelta(seconds=61))
    with pytest.raises(Unauthorized):
        verify("standard", STANDARD_SECRET, BODY, headers, 60, now.timestamp())


def test_github_signatures_are_checked_over_the_raw_body() -> None:
    secret = "gh-secret"
    good = "sha256=" + hmac.new(secret.encode(), BODY, hashlib.sha256).hexdigest()
    headers = {"x-hub-signature-256": good, "x-github-delivery": "d-1", "x-github-event": "push"}
    signed = verify("github", secret, BODY, headers, TOLERANCE, time.time())
    assert (signed.event_id, signed.event_type) == ("d-1", "push")
    # The same JSON with different whitespace is a different body
    respaced = json.dumps(json.loads(BODY), indent=2).encode()
    with pytest.raises(Unauthorized):
        verify("github", secret, respaced, headers, TOLERANCE, time.time())
    with pytest.raises(Unauthorized):
        verify("github", secret, BODY, {**headers, "x-hub-signature-256": "sha256=" + "0" * 64}, TOLERANCE, 0)
    with pytest.raises(Unauthorized):
        verify("github", secret, BODY, {"x-hub-signature-256": good}, TOLERANCE, 0)  # no delivery id
    # A repository dispatch's type is the event and the dispatch's event_type (the body's action)
    dispatch = json.dumps({"action": "insight_document", "client_payload": {}}).encode()
    signature = "sha256=" + hmac.new(secret.encode(), dispatch, hashlib.sha256).hexdigest()
    headers = {"x-hub-signature-256": signature, "x-github-delivery": "d-2", "x-github-event": "repository_dispatch"}
    signed = verify("github", secret, dispatch, headers, TOLERANCE, 0)
    assert signed.event_type == "repository_dispatch.insight_document"
    # Without X-GitHub-Event it names no event type (refused at the edge with a 400), not ".insight_document"
    no_event = {name: value for name, value in headers.items() if name != "x-github-event"}
    assert verify("github", secret, dispatch, no_event, TOLERANCE, 0).event_type == ""


def test_stripe_signatures_use_stripes_library_and_the_tolerance() -> None:
    secret = "whsec_stripe_test"
    now = time.time()
    signed = verify("stripe", secret, BODY, {"stripe-signature": stripe_header(secret, BODY, now)}, TOLERANCE, now)
    assert (signed.event_id, signed.event_type) == ("evt_1", "document.attached")
    for header in (
        stripe_header("whsec_other", BODY, now),
        stripe_header(secret, BODY, now - TOLERANCE - 5),
        stripe_header(secret, BODY, now + TOLERANCE + 5),
        "t=1,v0=abc",
        "",
    ):
        with pytest.raises(Unauthorized):
            verify("stripe", secret, BODY, {"stripe-signature": header}, TOLERANCE, now)


def test_a_signed_body_that_is_not_json_is_a_bad_request_not_a_bad_signature() -> None:
    body = b"plain text"
    headers = standard_headers(STANDARD_SECRET, "msg_1", body.decode())
    with pytest.raises(InvalidRequest, match="not JSON"):
        verify("standard", STANDARD_SECRET, body, headers, TOLERANCE, time.time())


def test_a_signed_body_nested_too_deeply_is_a_bad_request() -> None:
    body = b'{"type": "document.attached", "data": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    headers = standard_headers(STANDARD_SECRET, "msg_1", body.decode())
    with pytest.raises(InvalidRequest, match=r"not JSON.*nested too deeply"):
        verify("standard", STANDARD_SECRET, body, headers, TOLERANCE, time.time())


@pytest.mark.parametrize(
    ("url", "stage", "allowed"),
    [
        ("https://example.com/hooks", "prod", True),
        ("https://93.184.215.14/hooks", "prod", True),
        ("http://example.com/hooks", "prod", False),
        ("http://127.0.0.1:8080/hooks", "prod", False),
        ("https://127.0.0.1/hooks", "prod", False),
        ("https://10.0.0.7/hooks", "prod", False),
        ("https://169.254.169.254/latest/meta-data", "prod", False),
        ("https://localhost/hooks", "prod", False),
        ("https://[::1]/hooks", "prod", False),
        ("http://127.0.0.1:8080/hooks", "dev", True),
        ("http://localhost:8080/hooks", "local", True),
        ("http://[::1]:8080/hooks", "local", True),
        ("http://example.com/hooks", "dev", False),
        ("http://10.0.0.7/hooks", "local", False),
        ("https://example.com/hooks", "local", True),
    ],
)
def test_callback_urls_https_only_in_prod_loopback_also_in_dev(url: str, stage: str, allowed: bool) -> None:
    if allowed:
        check_callback_url(url, stage)
    else:
        with pytest.raises(InvalidRequest, match="callback_url"):
            check_callback_url(url, stage)


def test_webhook_sources_and_routes_are_read_from_json_settings() -> None:
    settings = Settings.from_environment(
        {
            "INSIGHT_WEBHOOK_SOURCES": '[{"name": "erp", "scheme": "standard"}]',
            "INSIGHT_WEBHOOK_ROUTES": '[{"source": "erp", "event_type": "invoice.filed", "key": "data.path"}]',
        }
    )
    assert [s.name for s in settings.webhook_sources] == ["erp"]
    [route] = settings.webhook_routes
    assert (route.workflow, route.bucket, route.key) == ("document", "data.bucket", "data.path")
    with pytest.raises(ValueError, match="scheme"):
        Settings.from_environment({"INSIGHT_WEBHOOK_SOURCES": '[{"name": "erp", "scheme": "basic-auth"}]'})

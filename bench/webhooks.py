"""Webhook acknowledgement: the handler's own time per request, as a ratio to the signature
verification alone. Budget: 3x.

For each scheme, 1,000 signed requests go in process through the API's Lambda entry point
(``app.app`` with an API Gateway proxy event: Chalice's routing, Powertools' logger and
metrics, the signature check, the queue's deduplication key, the SendMessage call) and, in
the same run, through ``signatures.verify`` alone. "Own time": AWS answers every call from
a canned response at botocore's ``before-send`` (the request is still built, serialised and
signed), so the service's and the network's time are left out and everything the handler
itself does is in. The signing secrets come through Powertools Parameters' cache, as they
do in a warm Lambda.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import io
import json
import os
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

BUDGET = 3.0
REQUESTS = 1_000
ROUNDS = 3
SECRETS = {
    "crm": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "github": "0f3c2b1a9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a",
    "stripe": "whsec_9b2d4f6a8c0e1f3a5b7d9f1b3d5f7a9c",
}
SCHEMES = {"crm": "standard", "github": "github", "stripe": "stripe"}


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, *args: Any, **kwargs: Any) -> Iterator[bytes]:
        yield self._body


CANNED = {
    "SendMessage": {"MessageId": "00000000-0000-0000-0000-000000000000", "MD5OfMessageBody": "0" * 32},
    "GetSecretValue": {
        "ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:insight-bench-webhook-secrets-AbCdEf",
        "Name": "insight-bench-webhook-secrets",
        "VersionId": "v1",
        "SecretString": json.dumps(SECRETS),
    },
}


def _answer(request: Any, event_name: str, **kwargs: Any) -> Any:
    """A service's answer without the service: what botocore would have received."""
    from botocore.awsrequest import AWSResponse

    body = json.dumps(CANNED[event_name.rsplit(".", 1)[-1]]).encode()
    return AWSResponse(request.url, 200, {"Content-Type": "application/x-amz-json-1.0"}, _Raw(body))


def environment() -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "insight",
        "POWERTOOLS_METRICS_NAMESPACE": "Insight",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "INSIGHT_STAGE": "bench",
        "INSIGHT_WEBHOOK_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/insight-bench-webhook-events.fifo",
        "INSIGHT_WEBHOOK_SECRETS_ARN": CANNED["GetSecretValue"]["ARN"],
    }


def sign(source: str, body: bytes, event_id: str) -> dict[str, str]:
    secret = SECRETS[source]
    if source == "crm":
        from chalicelib.signatures import standard_headers

        return standard_headers(secret, event_id, body.decode())
    if source == "github":
        digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return {"x-hub-signature-256": f"sha256={digest}", "x-github-delivery": event_id, "x-github-event": "push"}
    import stripe

    return {"stripe-signature": stripe.WebhookSignature.generate_signature_header(body.decode(), secret)}


def requests(source: str) -> list[tuple[bytes, dict[str, str]]]:
    made = []
    for _ in range(REQUESTS):
        event_id = f"evt_{uuid.uuid4().hex}"
        document = {
            "id": event_id,
            "type": "document.attached",
            "timestamp": datetime.now(UTC).isoformat(),
            "data": {"bucket": "insight-bench-uploads", "key": f"uploads/{uuid.uuid4().hex}/contract.pdf"},
        }
        body = json.dumps(document).encode()
        made.append((body, sign(source, body, event_id)))
    return made


def proxy_event(source: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    """API Gateway's REST proxy event for ``POST /webhooks/{source}``."""
    return {
        "resource": "/webhooks/{source}",
        "path": f"/api/webhooks/{source}",
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json", **headers},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"source": source},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/webhooks/{source}",
            "httpMethod": "POST",
            "path": f"/api/webhooks/{source}",
            "stage": "api",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "203.0.113.9"},
        },
        "body": body.decode(),
        "isBase64Encoded": False,
    }


class Context:
    function_name = "insight-bench-api-handler"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:insight-bench-api-handler"
    memory_limit_in_mb = 512
    aws_request_id = "bench"
    log_group_name = "/aws/lambda/insight-bench-api-handler"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def _timed(run: Callable[[], None]) -> float:
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink):  # the EMF metrics are still written, to a sink
        started = time.perf_counter()
        run()
        return time.perf_counter() - started


#: What each figure times, per request: the whole handler, then its parts alone.
PARTS = ("handler", "accept", "send", "verify")


def figures() -> dict[str, dict[str, float]]:
    """Per source, microseconds per request of: the Lambda entry point (``handler``), the
    domain function it calls (``accept``: verification, deduplication key, enqueue), the
    SendMessage call alone (``send``), the verification alone (``verify``); and ``ratio``,
    handler over verify: the budgeted figure."""
    os.environ.update(environment())
    from chalicelib import services
    from chalicelib.clients import aws
    from chalicelib.observability import logger
    from chalicelib.settings import get_settings
    from chalicelib.signatures import verify
    from chalicelib.webhooks import accept

    services.reset()
    for service in ("sqs", "secretsmanager"):
        aws(service).meta.events.register(f"before-send.{aws(service).meta.service_model.endpoint_prefix}", _answer)
    logger.registered_handler.stream = io.StringIO()  # the JSON logs are written, to a sink
    from app import app

    context = Context()
    settings = get_settings()
    queue_url = settings.webhook_queue_url
    results = {}
    for source in SCHEMES:
        made = requests(source)
        events = [proxy_event(source, body, headers) for body, headers in made]
        with contextlib.redirect_stdout(io.StringIO()):
            warm = app(events[0], context)  # imports, the secret's first read
        assert warm["statusCode"] == 202, f"the bench's own request was refused: {warm}"

        def handler(events: list[dict[str, Any]] = events) -> None:
            for event in events:
                app(event, context)

        def accept_only(made: list[tuple[bytes, dict[str, str]]] = made, source: str = source) -> None:
            for body, headers in made:
                accept(source, body, headers)

        def send_only(made: list[tuple[bytes, dict[str, str]]] = made) -> None:
            for body, _ in made:
                services.queues().send(queue_url, {"body": body.decode()}, group_id="g", dedup_id="d")

        def verify_only(made: list[tuple[bytes, dict[str, str]]] = made, source: str = source) -> None:
            now = time.time()
            for body, headers in made:
                verify(SCHEMES[source], SECRETS[source], body, headers, settings.webhook_tolerance_seconds, now)

        runs = dict(zip(PARTS, (handler, accept_only, send_only, verify_only), strict=True))
        samples: dict[str, list[float]] = {part: [] for part in PARTS}
        for _ in range(ROUNDS):  # interleaved, so a change in the machine's load weighs on all alike
            for part, run in runs.items():
                samples[part].append(_timed(run))
        figure = {part: statistics.median(samples[part]) / REQUESTS * 1e6 for part in PARTS}
        figure["ratio"] = figure["handler"] / figure["verify"]
        results[source] = figure
    return results


def main() -> dict[str, dict[str, float]]:
    results = figures()
    print(
        f"webhook acknowledgement ({REQUESTS} signed requests per source, in process, AWS answering canned; "
        f"budget {BUDGET}x the verification alone):"
    )
    for source, figure in results.items():
        ratio = figure["ratio"]
        verdict = "ok" if ratio <= BUDGET else f"OVER the {BUDGET}x budget"
        print(f"  {source:<7} {SCHEMES[source]:<9} handler {ratio:6.1f}x the verification alone  {verdict}")
        print(
            "          where the time goes, as multiples of the verification: "
            f"domain function {figure['accept'] / figure['verify']:.1f}x, "
            f"of which SendMessage (botocore: build, sign, parse) {figure['send'] / figure['verify']:.1f}x; "
            f"Chalice + Powertools middleware {(figure['handler'] - figure['accept']) / figure['verify']:.1f}x"
        )
    return results


if __name__ == "__main__":
    main()

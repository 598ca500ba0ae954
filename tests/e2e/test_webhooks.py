"""Webhooks from business systems, end to end through the local runtime: a signed POST to the
API, the FIFO queue, the consumer, the routing rule, the document, image or media workflow,
the job API."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import SAMPLES, Client, wait_for_job
from tests.e2e.test_document_workflow import execution_of, results_of, upload
from tests.e2e.test_media_workflow import setting


def secret_of(runtime: Any, source: str) -> str:
    return str(json.loads(runtime.deployment.secrets["WebhookSecrets"])[source])


def post(api: Client, source: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    request = urllib.request.Request(f"{api.base}/webhooks/{source}", data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    for name, value in headers.items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


# --- how each business system signs ----------------------------------------------------------


def standard_signed(secret: str, event_id: str, body: bytes, at: datetime | None = None) -> dict[str, str]:
    from standardwebhooks.webhooks import Webhook

    moment = at or datetime.now(UTC)
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": Webhook(secret).sign(event_id, moment, body.decode()),
    }


def github_signed(secret: str, event_id: str, body: bytes, event: str = "repository_dispatch") -> dict[str, str]:
    return {
        "X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
        "X-GitHub-Delivery": event_id,
        "X-GitHub-Event": event,
    }


def stripe_signed(secret: str, body: bytes, at: datetime | None = None) -> dict[str, str]:
    import stripe

    moment = at or datetime.now(UTC)
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), secret, int(moment.timestamp()))
    return {"Stripe-Signature": header}


def webhook(scheme: str, bucket: str, key: str, event_id: str) -> tuple[str, bytes]:
    """The body a source of ``scheme`` sends to say a document is attached, and its source name."""
    if scheme == "standard":
        document = {
            "type": "document.attached",
            "timestamp": "2026-11-24T10:00:00Z",
            "data": {"bucket": bucket, "key": key},
        }
        return "crm", json.dumps(document).encode()
    if scheme == "github":
        document = {"action": "insight_document", "client_payload": {"bucket": bucket, "key": key}}
        return "github", json.dumps(document).encode()
    document = {
        "id": event_id,
        "object": "event",
        "type": "file.created",
        "data": {"object": {"id": "file_1", "metadata": {"insight_bucket": bucket, "insight_key": key}}},
    }
    return "stripe", json.dumps(document).encode()


def signed(
    runtime: Any, scheme: str, source: str, event_id: str, body: bytes, at: datetime | None = None
) -> dict[str, str]:
    secret = secret_of(runtime, source)
    if scheme == "standard":
        return standard_signed(secret, event_id, body, at)
    if scheme == "github":
        return github_signed(secret, event_id, body)
    return stripe_signed(secret, body, at)


@pytest.fixture(scope="module")
def invoice(api: Client) -> dict[str, Any]:
    """An invoice already uploaded (and analysed) through the API: the file webhooks point at."""
    job_id = upload(api, "invoice.pdf", (SAMPLES / "invoice.pdf").read_bytes(), "application/pdf")
    return dict(wait_for_job(api, job_id)["job"]["source"])


@pytest.fixture(scope="module")
def photo(api: Client) -> dict[str, Any]:
    """The astronaut photo, uploaded (and analysed) through the API."""
    job_id = upload(api, "astronaut.jpg", (SAMPLES / "astronaut.jpg").read_bytes(), "image/jpeg")
    return dict(wait_for_job(api, job_id)["job"])


@pytest.fixture(scope="module")
def voicemail(api: Client) -> dict[str, Any]:
    """The sample voicemail, uploaded (and transcribed) through the API."""
    job_id = upload(api, "voicemail.mp3", (SAMPLES / "voicemail.mp3").read_bytes(), "audio/mpeg")
    return dict(wait_for_job(api, job_id, timeout=120)["job"])


def crm_event(runtime: Any, api: Client, event_type: str, source: dict[str, Any]) -> dict[str, Any]:
    """A CRM's signed event of ``event_type`` naming the object ``source``, POSTed: the answer."""
    event_id = f"evt_{uuid.uuid4().hex}"
    body = json.dumps({"type": event_type, "data": {"bucket": source["bucket"], "key": source["key"]}}).encode()
    status, answer = post(api, "crm", body, standard_signed(secret_of(runtime, "crm"), event_id, body))
    assert status == 202, answer
    return dict(answer)


def execution_input(runtime: Any, machine: str, job_id: str) -> dict[str, Any]:
    sfn = runtime.aws.client("stepfunctions")
    return dict(json.loads(sfn.describe_execution(executionArn=execution_of(runtime, job_id, machine))["input"]))


def test_a_signed_webhook_runs_the_image_workflow_on_an_uploaded_photo(
    runtime: Any, api: Client, photo: dict[str, Any]
) -> None:
    # Given a CRM's "image attached" event naming a photo already uploaded
    # When it is POSTed, signed
    answer = crm_event(runtime, api, "image.attached", photo["source"])
    # Then the rule's image workflow analysed the photo, and the job SUCCEEDED with its results
    view = wait_for_job(api, answer["job_id"])
    job = view["job"]
    assert job["status"] == "SUCCEEDED", job
    assert job["kind"] == "IMAGE" and job["options"] is None
    assert job["origin"] == {"source": "crm", "event_id": answer["event_id"], "event_type": "image.attached"}
    summary = job["summary"]
    assert summary["faces"] == 1 and {"Person", "Face", "Text"} <= set(summary["labels"])
    assert "Eileen Collins, STS-93 commander" in summary["text"]
    assert results_of(runtime, view)["image"]["key"] == photo["source"]["key"]
    assert set(view["downloads"]) == {"results", "thumbnail"}
    # And the image workflow was started with the input an upload of that photo gives it
    started = execution_input(runtime, "ImageWorkflow", job["job_id"])
    uploaded = execution_input(runtime, "ImageWorkflow", photo["job_id"])
    assert started == {**uploaded, "job_id": job["job_id"]} == {"job_id": job["job_id"], "image": job["source"]}


#: A CRM's call recordings to the media workflow, translated into Spanish and summed up aloud.
RECORDING_ROUTE = {
    "source": "crm",
    "event_type": "call.recorded",
    "workflow": "media",
    "translate_to": ["es"],
    "spoken_summary": True,
}


def test_a_signed_webhook_runs_the_media_workflow_with_its_rules_options(
    runtime: Any, api: Client, voicemail: dict[str, Any]
) -> None:
    # Given a routing rule that sends a CRM's call recordings to the media workflow, with a
    # Spanish translation and a spoken summary
    with setting("webhook_routes", json.dumps([RECORDING_ROUTE])):
        # When the CRM's signed "call recorded" event names a voicemail already uploaded
        answer = crm_event(runtime, api, "call.recorded", voicemail["source"])
        view = wait_for_job(api, answer["job_id"], timeout=120)
    # Then the media workflow transcribed and analysed it, and the job SUCCEEDED with its results
    job = view["job"]
    assert job["status"] == "SUCCEEDED", job
    assert job["kind"] == "MEDIA" and job["options"] == {"translate_to": ["es"], "spoken_summary": True}
    results = results_of(runtime, view)
    assert "John Smith" in results["transcript"]["text"] and "[NAME]" in results["redacted_transcript"]
    assert job["summary"]["sentiment"] == "POSITIVE" and 11.5 < job["summary"]["duration_seconds"] < 12.5
    # translated, from the redacted transcript: none of the personal data found is in the translation
    [spanish] = results["translations"]
    assert spanish["language"] == "es" and spanish["status"] == "translated"
    found = {results["transcript"]["text"][e["BeginOffset"] : e["EndOffset"]] for e in results["pii_entities"]}
    assert found and not any(value in spanish["text"] for value in found), spanish["text"]
    assert "Londres" in spanish["text"]
    # and summed up aloud
    assert set(view["downloads"]) == {"results", "spoken_summary"}
    # And the media workflow was started with the input an upload asking for the same gives it
    started = execution_input(runtime, "MediaWorkflow", job["job_id"])
    uploaded = execution_input(runtime, "MediaWorkflow", voicemail["job_id"])
    assert set(started) == set(uploaded) == {"job_id", "media", "file_name", "options"}
    assert started == {
        "job_id": job["job_id"],
        "media": job["source"],
        "file_name": "voicemail.mp3",
        "options": {"translate_to": ["es"], "spoken_summary": True},
    }


@pytest.mark.parametrize(
    ("event_type", "named", "kind", "error", "reason"),
    [
        ("image.attached", "invoice", "IMAGE", "InvalidImage", "not an image of an accepted type"),
        ("recording.attached", "photo", "MEDIA", "InvalidMedia", "not audio or video Insight accepts"),
        ("document.attached", "voicemail", "DOCUMENT", "InvalidDocument", "not one of the accepted types"),
    ],
)
def test_a_rule_naming_a_workflow_the_file_does_not_fit_ends_failed_with_the_reason(
    runtime: Any,
    api: Client,
    invoice: dict[str, Any],
    photo: dict[str, Any],
    voicemail: dict[str, Any],
    event_type: str,
    named: str,
    kind: str,
    error: str,
    reason: str,
) -> None:
    # Given an event whose rule names a workflow that the file it names is not for (an invoice
    # as an image, a photo as a recording, a voicemail as a document)
    source = {"invoice": invoice, "photo": photo["source"], "voicemail": voicemail["source"]}[named]
    # When it is POSTed, signed
    answer = crm_event(runtime, api, event_type, source)
    # Then the job is of the rule's kind, and its workflow's validation failed it with why
    job = wait_for_job(api, answer["job_id"])["job"]
    assert job["status"] == "FAILED", job
    assert (job["kind"], job["step"], job["error"]["type"]) == (kind, "validating", error)
    assert reason in job["error"]["reason"] and source["key"] == job["source"]["key"]
    # And the file is kept as it was
    runtime.aws.client("s3").head_object(Bucket=source["bucket"], Key=source["key"])


def executions_named(runtime: Any, name: str) -> int:
    sfn = runtime.aws.client("stepfunctions")
    executions = sfn.list_executions(stateMachineArn=runtime.deployment.arns["DocumentWorkflow"])["executions"]
    return [e["name"] for e in executions].count(name)


@pytest.mark.parametrize("scheme", ["standard", "github", "stripe"])
def test_a_signed_webhook_runs_the_document_workflow_for_an_uploaded_file(
    runtime: Any, api: Client, invoice: dict[str, Any], scheme: str
) -> None:
    # Given a business system's "document attached" event naming an invoice already uploaded
    event_id = f"evt_{uuid.uuid4().hex}"
    source, body = webhook(scheme, invoice["bucket"], invoice["key"], event_id)
    # When it is POSTed with the source's signature
    status, answer = post(api, source, body, signed(runtime, scheme, source, event_id, body))
    # Then it is acknowledged at once, and names the job it starts
    assert status == 202, answer
    assert answer["event_id"] == event_id and answer["source"] == source
    # And the queued event was routed to the document workflow, which analysed the file
    job = wait_for_job(api, answer["job_id"])["job"]
    assert job["status"] == "SUCCEEDED", job
    assert job["source"]["key"] == invoice["key"]
    assert job["origin"] == {"source": source, "event_id": event_id, "event_type": answer["event_type"]}
    assert job["summary"]["pages"] == 1


@pytest.mark.parametrize("scheme", ["standard", "github", "stripe"])
def test_a_replayed_webhook_is_processed_once(runtime: Any, api: Client, invoice: dict[str, Any], scheme: str) -> None:
    # Given a signed webhook that was delivered and processed
    event_id = f"evt_{uuid.uuid4().hex}"
    source, body = webhook(scheme, invoice["bucket"], invoice["key"], event_id)
    headers = signed(runtime, scheme, source, event_id, body)
    status, first = post(api, source, body, headers)
    assert status == 202
    wait_for_job(api, first["job_id"])
    # When the very same request is replayed within the tolerance, twice
    replays = [post(api, source, body, headers) for _ in range(2)]
    # Then each replay is acknowledged (the sender is done) but nothing runs again
    assert [code for code, _ in replays] == [202, 202]
    time.sleep(1.5)
    assert executions_named(runtime, first["job_id"]) == 1
    job = wait_for_job(api, first["job_id"])["job"]
    assert job["status"] == "SUCCEEDED"


@pytest.fixture
def consumer_paused(runtime: Any) -> Iterator[str]:
    """The webhook consumer switched off, so a test can see what reached the queue."""
    functions = runtime.aws.client("lambda")
    queue_arn = runtime.deployment.arns["WebhookEvents"]
    [mapping] = functions.list_event_source_mappings(EventSourceArn=queue_arn)["EventSourceMappings"]
    functions.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
    try:
        yield runtime.deployment.environment["INSIGHT_WEBHOOK_QUEUE_URL"]
    finally:
        functions.update_event_source_mapping(UUID=mapping["UUID"], Enabled=True)


def queued(runtime: Any, queue_url: str) -> int:
    attributes = runtime.aws.client("sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def attacks(runtime: Any, scheme: str, bucket: str, key: str) -> list[tuple[str, str, bytes, dict[str, str]]]:
    """(what, source, body, headers) of requests that must be refused."""
    event_id = f"evt_{uuid.uuid4().hex}"
    source, body = webhook(scheme, bucket, key, event_id)
    stranger = "whsec_" + "c2VjcmV0LW9mLWFub3RoZXItc2VuZGVy" if scheme != "github" else "not-the-secret"
    old = datetime.now(UTC) - timedelta(minutes=6)
    tampered = body.replace(key.encode(), b"uploads/" + b"0" * 32 + b"/other.pdf")
    made: list[tuple[str, str, bytes, dict[str, str]]] = [
        ("unsigned", source, body, {}),
        ("tampered body", source, tampered, signed(runtime, scheme, source, event_id, body)),
    ]
    if scheme == "standard":
        made.append(("wrong secret", source, body, standard_signed(stranger, event_id, body)))
        made.append(("expired", source, body, signed(runtime, scheme, source, event_id, body, at=old)))
        made.append(
            (
                "from the future",
                source,
                body,
                signed(runtime, scheme, source, event_id, body, at=old + timedelta(minutes=12)),
            )
        )
        made.append(
            (
                "garbled signature",
                source,
                body,
                {**signed(runtime, scheme, source, event_id, body), "webhook-signature": "v1,%%%"},
            )
        )
    elif scheme == "github":
        made.append(("wrong secret", source, body, github_signed(stranger, event_id, body)))
        made.append(("sha1 only", source, body, {"X-Hub-Signature": "sha1=00", "X-GitHub-Delivery": event_id}))
    else:
        made.append(("wrong secret", source, body, stripe_signed("whsec_not_the_secret", body)))
        made.append(("expired", source, body, signed(runtime, scheme, source, event_id, body, at=old)))
        made.append(("garbled signature", source, body, {"Stripe-Signature": "t=notanumber,v1=zz"}))
    return made


@pytest.mark.parametrize("scheme", ["standard", "github", "stripe"])
def test_unsigned_forged_and_expired_webhooks_are_refused_and_nothing_is_queued(
    runtime: Any, api: Client, invoice: dict[str, Any], scheme: str, consumer_paused: str
) -> None:
    # Given requests that are unsigned, signed with another secret, tampered, expired or garbled
    before = queued(runtime, consumer_paused)
    for what, source, body, headers in attacks(runtime, scheme, invoice["bucket"], invoice["key"]):
        # When each is POSTed
        status, answer = post(api, source, body, headers)
        # Then each is refused with 401 and says why
        assert status == 401, (what, answer)
        assert answer["code"] == "Unauthorized" and answer["message"], what
    # And nothing reached the queue
    assert queued(runtime, consumer_paused) == before


def test_unknown_sources_and_signed_junk_get_clear_answers(runtime: Any, api: Client) -> None:
    # An unknown source
    status, answer = post(api, "nobody", b"{}", {})
    assert status == 404 and "nobody" in answer["message"]
    # A correctly signed body that is not JSON
    body = b"not json"
    status, answer = post(api, "crm", body, standard_signed(secret_of(runtime, "crm"), "evt_junk", body))
    assert status == 400 and "not JSON" in answer["message"]
    # A correctly signed event whose id is absurdly long
    body = b'{"type": "document.attached"}'
    status, answer = post(api, "crm", body, standard_signed(secret_of(runtime, "crm"), "e" * 300, body))
    assert status == 400 and "at most 256" in answer["message"]
    # A body over the limit is refused before its signature is even read
    status, answer = post(api, "crm", b"x" * (65 * 1024), {})
    assert status == 413


def test_an_event_without_a_rule_or_outside_the_bucket_starts_nothing(
    runtime: Any, api: Client, invoice: dict[str, Any]
) -> None:
    secret = secret_of(runtime, "crm")
    # Given an event type no rule routes, and a routed event naming a file in another bucket
    other_type = json.dumps({"type": "contact.updated", "data": {"id": 7}}).encode()
    elsewhere = json.dumps(
        {"type": "document.attached", "data": {"bucket": "someone-elses", "key": "uploads/x.pdf"}}
    ).encode()
    answers = []
    for body in (other_type, elsewhere):
        event_id = f"evt_{uuid.uuid4().hex}"
        status, answer = post(api, "crm", body, standard_signed(secret, event_id, body))
        assert status == 202
        answers.append(answer)
    # Then both are processed (recorded once) without a job
    table = runtime.aws.client("dynamodb")
    deadline = time.monotonic() + 10
    outcomes: list[dict[str, Any]] = []
    while time.monotonic() < deadline and len(outcomes) < 2:
        items = table.scan(TableName=runtime.deployment.names["Idempotency"])["Items"]
        records = [json.loads(i["data"]["S"]) for i in items if "data" in i]
        outcomes = [r for r in records if r["event_id"] in {a["event_id"] for a in answers}]
        time.sleep(0.2)
    assert sorted(o["outcome"] for o in outcomes) == ["ignored", "refused"]
    for answer in answers:
        assert api.call("GET", f"/jobs/{answer['job_id']}")[0] == 404

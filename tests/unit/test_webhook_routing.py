"""Routing a verified webhook: which events start a job, and which are ignored or refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib import services, uploads, webhooks
from chalicelib.models import Job, JobKind, JobOrigin, JobStatus, JobStep, ObjectRef, WebhookEvent

#: The kind each received object was asked to be analysed as.
kinds: list[JobKind | None] = []


@pytest.fixture
def received(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[ObjectRef, str, JobOrigin | None]]]:
    """The upload bucket is "uploads-b"; receiving an object records what was asked, and a job."""
    calls: list[tuple[ObjectRef, str, JobOrigin | None]] = []
    kinds.clear()
    monkeypatch.setenv("INSIGHT_UPLOAD_BUCKET", "uploads-b")
    services.reset()

    def receive_object(
        source: ObjectRef, job_id: str, file_name: str, origin: JobOrigin | None = None, kind: JobKind | None = None
    ) -> Job:
        calls.append((source, job_id, origin))
        kinds.append(kind)
        moment = datetime.now(UTC)
        return Job(
            job_id=job_id,
            kind=kind or JobKind.DOCUMENT,
            status=JobStatus.RECEIVED,
            step=JobStep.QUEUED,
            file_name=file_name,
            content_type="application/pdf",
            size=1,
            source=source,
            created_at=moment,
            updated_at=moment,
            origin=origin,
        )

    monkeypatch.setattr(uploads, "receive_object", receive_object)
    yield calls
    services.reset()


def event(payload: Any, event_type: str = "document.attached", source: str = "crm") -> WebhookEvent:
    return WebhookEvent(
        source=source, event_id="evt_9", event_type=event_type, received_at=datetime.now(UTC), payload=payload
    )


def test_a_routed_event_starts_the_document_workflow_on_its_object(received: list[Any]) -> None:
    # Given a CRM's "document attached" event naming a file in the upload bucket
    outcome = webhooks.process(event({"data": {"bucket": "uploads-b", "key": "uploads/abc/contract.pdf"}}))
    # Then it starts a job on that object, whose id comes from the event
    assert outcome.outcome == "started"
    assert outcome.job_id == webhooks.job_id_for("crm", "evt_9")
    [(source, job_id, origin)] = received
    assert (source.bucket, source.key, job_id) == ("uploads-b", "uploads/abc/contract.pdf", outcome.job_id)
    assert origin == JobOrigin(source="crm", event_id="evt_9", event_type="document.attached")
    # And the object is analysed as the rule's workflow says: a document, whatever its type
    assert kinds == [JobKind.DOCUMENT]


@pytest.mark.parametrize(
    ("payload", "event_type", "expected", "reason"),
    [
        ({"data": {}}, "contact.updated", "ignored", "no routing rule"),
        ({"data": {"bucket": "uploads-b"}}, "document.attached", "refused", "names no object"),
        ({"data": {"bucket": "uploads-b", "key": 7}}, "document.attached", "refused", "names no object"),
        (
            {"data": {"bucket": "elsewhere", "key": "uploads/a/b.pdf"}},
            "document.attached",
            "refused",
            "not in an allowed",
        ),
        (
            {"data": {"bucket": "uploads-b", "key": "results/a.json"}},
            "document.attached",
            "refused",
            "not in an allowed",
        ),
        (
            {"data": {"bucket": "uploads-b", "key": "uploads/../x.pdf"}},
            "document.attached",
            "refused",
            "not in an allowed",
        ),
        ({"data": {"url": "https://evil.example/x.pdf"}}, "document.attached", "refused", "names no object"),
    ],
)
def test_events_without_a_rule_or_an_allowed_object_start_nothing(
    received: list[Any], payload: Any, event_type: str, expected: str, reason: str
) -> None:
    outcome = webhooks.process(event(payload, event_type))
    assert outcome.outcome == expected and reason in (outcome.reason or "")
    assert received == []


def test_the_same_event_always_names_the_same_job_and_other_events_other_jobs() -> None:
    assert webhooks.job_id_for("crm", "evt_1") == webhooks.job_id_for("crm", "evt_1")
    assert (
        len(
            {
                webhooks.job_id_for("crm", "evt_1"),
                webhooks.job_id_for("crm", "evt_2"),
                webhooks.job_id_for("github", "evt_1"),
            }
        )
        == 3
    )

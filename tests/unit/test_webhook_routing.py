"""Routing a verified webhook: which events start a job, and which are ignored or refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from chalicelib import services, uploads, webhooks
from chalicelib.models import Job, JobKind, JobOptions, JobOrigin, JobStatus, JobStep, ObjectRef, WebhookEvent
from chalicelib.settings import Settings, WebhookRoute

#: The kind each received object was asked to be analysed as, and with which options.
kinds: list[JobKind | None] = []
asked: list[JobOptions | None] = []


@pytest.fixture
def received(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[ObjectRef, str, JobOrigin | None]]]:
    """The upload bucket is "uploads-b"; receiving an object records what was asked, and a job."""
    calls: list[tuple[ObjectRef, str, JobOrigin | None]] = []
    kinds.clear()
    asked.clear()
    monkeypatch.setenv("INSIGHT_UPLOAD_BUCKET", "uploads-b")
    services.reset()

    def receive_object(
        source: ObjectRef,
        job_id: str,
        file_name: str,
        origin: JobOrigin | None = None,
        kind: JobKind | None = None,
        options: JobOptions | None = None,
    ) -> Job:
        calls.append((source, job_id, origin))
        kinds.append(kind)
        asked.append(options)
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
            options=options,
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
    assert kinds == [JobKind.DOCUMENT] and asked == [None]


@pytest.mark.parametrize(
    ("event_type", "kind"),
    [("document.attached", JobKind.DOCUMENT), ("image.attached", JobKind.IMAGE), ("recording.attached", JobKind.MEDIA)],
)
def test_the_crms_rules_name_the_document_image_and_media_workflows(
    received: list[Any], event_type: str, kind: JobKind
) -> None:
    # Given the CRM's default rules, an event of each type naming a file in the upload bucket
    outcome = webhooks.process(event({"data": {"bucket": "uploads-b", "key": "uploads/abc/file"}}, event_type))
    # Then each starts a job of the kind its rule names, whatever the file is
    assert outcome.outcome == "started"
    assert kinds == [kind]
    # And a media job asks for what a plain media upload asks for: no translation, no spoken summary
    assert asked == [JobOptions() if kind is JobKind.MEDIA else None]


def test_a_media_rule_asks_for_translations_and_a_spoken_summary(
    received: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a rule that sends a CRM's call recordings to the media workflow, translated into
    # Spanish and French and summed up aloud
    routes = [
        {
            "source": "crm",
            "event_type": "call.recorded",
            "workflow": "media",
            "key": "data.recording",
            "translate_to": ["es", "fr"],
            "spoken_summary": True,
        }
    ]
    monkeypatch.setenv("INSIGHT_WEBHOOK_ROUTES", json.dumps(routes))
    services.reset()
    # When such an event comes
    outcome = webhooks.process(
        event({"data": {"bucket": "uploads-b", "recording": "uploads/abc/call.mp3"}}, "call.recorded")
    )
    # Then its job is a media job with those options, as an upload asking for them would be
    assert outcome.outcome == "started"
    assert kinds == [JobKind.MEDIA]
    assert asked == [JobOptions(translate_to=["es", "fr"], spoken_summary=True)]


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        ({"workflow": "image", "translate_to": ["es"]}, "for media routes only"),
        ({"workflow": "document", "spoken_summary": True}, "for media routes only"),
        ({"workflow": "video"}, "'document', 'image' or 'media'"),
        ({"workflow": "media", "translate_to": ["Spanish"]}, "should match pattern"),
        ({"workflow": "media", "translate_to": ["es", "es"]}, "more than once"),
    ],
)
def test_a_rule_that_cannot_be_followed_is_refused_with_the_settings(route: dict[str, Any], reason: str) -> None:
    with pytest.raises(ValidationError) as refused:
        WebhookRoute.model_validate({"source": "crm", "event_type": "x", **route})
    assert reason in str(refused.value)


def test_a_rule_may_ask_for_no_more_translations_than_an_upload() -> None:
    route = {"source": "crm", "event_type": "x", "workflow": "media", "translate_to": ["es", "fr", "de"]}
    environment = {"INSIGHT_WEBHOOK_ROUTES": json.dumps([route]), "INSIGHT_MAX_TRANSLATIONS": "2"}
    with pytest.raises(ValidationError) as refused:
        Settings.from_environment(environment)
    assert "over max_translations (2)" in str(refused.value)
    assert Settings.from_environment({**environment, "INSIGHT_MAX_TRANSLATIONS": "3"}).webhook_routes[0].translate_to


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
